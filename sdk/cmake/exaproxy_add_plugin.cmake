# exaproxy_add_plugin(<name> SOURCES <file>... [LIBS <lib>...] [OUTPUT_NAME <name>] [VERIFY])
#
# Builds an ExaProxy plugin: a MODULE library named <name>.so (no "lib" prefix: conf.d orders
# plugins by file name, e.g. 30-<name>.so), hidden visibility so that the only exported symbol is
# exaproxy_plugin_entry (a version script, exaproxy_plugin.map, makes sure of it even for what
# static libraries bring), and --no-undefined so a missing library is a link error here rather
# than a refusal at load time. VERIFY adds a test running `exaproxy --verify-plugin` on the result
# when the exaproxy binary is known (EXAPROXY_EXECUTABLE).
include_guard(GLOBAL)

function(exaproxy_add_plugin name)
  cmake_parse_arguments(P "VERIFY" "OUTPUT_NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT P_SOURCES)
    message(FATAL_ERROR "exaproxy_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${P_SOURCES})
  target_link_libraries(${name} PRIVATE ExaProxy::sdk ${P_LIBS})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)
  if(P_OUTPUT_NAME)
    set_target_properties(${name} PROPERTIES OUTPUT_NAME ${P_OUTPUT_NAME})
  endif()
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    target_link_options(${name} PRIVATE "LINKER:--no-undefined"
      "LINKER:--version-script=${CMAKE_CURRENT_FUNCTION_LIST_DIR}/exaproxy_plugin.map")
    set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS
                 ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/exaproxy_plugin.map)
  endif()
  if(P_VERIFY AND EXAPROXY_EXECUTABLE)
    add_test(NAME ${name}_verify COMMAND ${EXAPROXY_EXECUTABLE} --verify-plugin $<TARGET_FILE:${name}>)
  endif()
endfunction()
