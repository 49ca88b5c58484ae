# exaproxy_add_test(<name> SOURCES a.cpp ... LIBS lib ... [LABELS unit|integration] [TIMEOUT s])
# Builds a GoogleTest executable and registers each of its tests with ctest.
include(GoogleTest)
function(exaproxy_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest_main GTest::gmock exaproxy_warnings)
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                       DISCOVERY_TIMEOUT 30)
endfunction()
