# ctest -R sdk_out_of_tree: install the SDK component of BUILD_DIR into WORK_DIR/prefix, build each
# example of EXAMPLES_DIR as a separate CMake project against it, verify each plugin it built, and
# run the example's own ctest (exaproxy_add_plugin VERIFY with EXAPROXY_EXECUTABLE = EXAPROXY):
# at least one test must run, and pass.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --component sdk --prefix ${prefix})
foreach(header abi.h plugin.hpp text.hpp)
  if(NOT EXISTS ${prefix}/include/exaproxy/${header})
    message(FATAL_ERROR "the sdk component did not install include/exaproxy/${header}")
  endif()
endforeach()

file(GLOB examples LIST_DIRECTORIES true ${EXAMPLES_DIR}/*)
set(count 0)
foreach(example ${examples})
  if(NOT EXISTS ${example}/CMakeLists.txt)
    continue()
  endif()
  get_filename_component(name ${example} NAME)
  set(build ${WORK_DIR}/build-${name})
  # Only the install prefix is visible: nothing from the proxy's source or build tree.
  run(${CMAKE_COMMAND} -S ${example} -B ${build} -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix}
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DEXAPROXY_EXECUTABLE=${EXAPROXY})
  run(${CMAKE_COMMAND} --build ${build})
  file(GLOB built ${build}/*.so)
  if(NOT built)
    message(FATAL_ERROR "${name}: no .so built")
  endif()
  foreach(so ${built})
    run(${VERIFY_TOOL} ${so})
  endforeach()
  execute_process(COMMAND ${CTEST} --test-dir ${build} --output-on-failure
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "100% tests passed, 0 tests failed out of [1-9]")
    message(FATAL_ERROR "${name}: its ctest (VERIFY) ran no test or failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${name}: ${out}")
  math(EXPR count "${count} + 1")
endforeach()
if(count LESS 2)
  message(FATAL_ERROR "expected at least 2 examples, built ${count}")
endif()
