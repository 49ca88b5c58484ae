# EXAPROXY_SANITIZE=address,undefined builds everything with those sanitizers.
set(EXAPROXY_SANITIZE "" CACHE STRING "Comma-separated -fsanitize list (empty: none)")
if(EXAPROXY_SANITIZE)
  add_compile_options(-fsanitize=${EXAPROXY_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${EXAPROXY_SANITIZE})
endif()
