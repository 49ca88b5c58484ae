# exaproxy_add_plugin(<name> SOURCES <file>... [LIBS <lib>...] [OUTPUT_NAME <name>]
#                     [ABI <major>.<minor>] [VERIFY])
#
# Builds an ExaProxy plugin: a MODULE library named <name>.so (no "lib" prefix: conf.d orders
# plugins by file name, e.g. 30-<name>.so), hidden visibility so that the only exported symbol is
# exaproxy_plugin_entry (a version script, exaproxy_plugin.map, makes sure of it even for what
# static libraries bring), and --no-undefined so a missing library is a link error here rather
# than a refusal at load time. ABI 1.<minor> builds the plugin for hosts of that minor and later
# (defines EXAPROXY_TARGET_ABI_MINOR, see abi.h; default: the SDK's own minor). VERIFY adds a
# test running `exaproxy --verify-plugin` on the result, and calls enable_testing() so that
# `ctest` runs it; it needs the exaproxy binary (EXAPROXY_EXECUTABLE, found by the package).
include_guard(GLOBAL)

function(exaproxy_add_plugin name)
  cmake_parse_arguments(P "VERIFY" "OUTPUT_NAME;ABI" "SOURCES;LIBS" ${ARGN})
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
  if(P_ABI)
    _exaproxy_target_abi(${name} "${P_ABI}")
  endif()
  if(P_VERIFY)
    _exaproxy_verify_test(${name})
  endif()
endfunction()

# ABI <major>.<minor>: the plugin declares that minor (EXAPROXY_TARGET_ABI_MINOR); the major must
# be the SDK's (the headers refuse a minor newer than theirs).
function(_exaproxy_target_abi name abi)
  if(NOT abi MATCHES "^([0-9]+)\\.([0-9]+)$")
    message(FATAL_ERROR "exaproxy_add_plugin(${name}): ABI ${abi}: expected <major>.<minor>, e.g. 1.0")
  endif()
  set(major ${CMAKE_MATCH_1})
  set(minor ${CMAKE_MATCH_2})
  if(DEFINED ExaProxySDK_VERSION_MAJOR)
    set(sdk_major ${ExaProxySDK_VERSION_MAJOR}) # find_package(ExaProxySDK)
  elseif(DEFINED EXAPROXY_ABI_VERSION)
    string(REGEX REPLACE "\\..*" "" sdk_major "${EXAPROXY_ABI_VERSION}") # in the proxy's tree
  endif()
  if(DEFINED sdk_major AND NOT major EQUAL sdk_major)
    message(FATAL_ERROR "exaproxy_add_plugin(${name}): ABI ${abi}: this SDK builds ABI ${sdk_major}.x plugins")
  endif()
  target_compile_definitions(${name} PRIVATE EXAPROXY_TARGET_ABI_MINOR=${minor})
endfunction()

# VERIFY: a ctest `<name>_verify` running `exaproxy --verify-plugin` on the plugin, and testing
# enabled in this directory and the top-level one (where `ctest --test-dir build` starts).
# enable_testing() sets a directory variable, which a function's scope would drop: it is deferred
# to the end of those directories instead (CMake 3.19).
function(_exaproxy_verify_test name)
  if(NOT EXAPROXY_EXECUTABLE)
    message(WARNING "exaproxy_add_plugin(${name} VERIFY): the exaproxy binary was not found, so "
                    "there is no ${name}_verify test: install the exaproxy package or set "
                    "EXAPROXY_EXECUTABLE")
    return()
  endif()
  if(DEFINED BUILD_TESTING AND NOT BUILD_TESTING)
    return() # the CTest module's switch, off
  endif()
  add_test(NAME ${name}_verify COMMAND ${EXAPROXY_EXECUTABLE} --verify-plugin $<TARGET_FILE:${name}>)
  if(CMAKE_VERSION VERSION_LESS 3.19)
    message(WARNING "exaproxy_add_plugin(${name} VERIFY): with CMake older than 3.19, call "
                    "enable_testing() in your top-level CMakeLists.txt")
    return()
  endif()
  foreach(dir ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_SOURCE_DIR})
    get_property(deferred DIRECTORY ${dir} PROPERTY EXAPROXY_ENABLE_TESTING_DEFERRED)
    if(NOT deferred)
      set_property(DIRECTORY ${dir} PROPERTY EXAPROXY_ENABLE_TESTING_DEFERRED TRUE)
      cmake_language(DEFER DIRECTORY ${dir} CALL enable_testing)
    endif()
  endforeach()
endfunction()
