# EXAPROXY_SANITIZE=address,undefined builds everything with those sanitizers.
set(EXAPROXY_SANITIZE "" CACHE STRING "Comma-separated -fsanitize list (empty: none)")
if(EXAPROXY_SANITIZE)
  add_compile_options(-fsanitize=${EXAPROXY_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${EXAPROXY_SANITIZE})
  # GCC documents -Wmaybe-uninitialized as unreliable under sanitizers; GCC 12 reports it inside
  # libstdc++'s <regex> (std::function moves in the NFA) for any translation unit using std::regex.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-Wno-maybe-uninitialized>)
  endif()
endif()
