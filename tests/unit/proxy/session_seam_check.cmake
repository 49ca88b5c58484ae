# The session seam, checked: a stage of the request (host/proxy/*, host/http/*, host/net/*) never
# includes client_session.h: it returns what to do and ClientSession acts. Only the session itself
# and the LoopContext that owns the sessions may include it.
#   cmake -DHOST_DIR=<source>/host -P session_seam_check.cmake
cmake_minimum_required(VERSION 3.20)
set(allowed proxy/client_session.cpp proxy/client_session.h proxy/loop_context.cpp)
file(GLOB_RECURSE sources RELATIVE ${HOST_DIR} ${HOST_DIR}/*.cpp ${HOST_DIR}/*.h)
set(offenders)
foreach(f IN LISTS sources)
  if(f IN_LIST allowed)
    continue()
  endif()
  file(STRINGS ${HOST_DIR}/${f} hits REGEX "#include[ \t]+\"proxy/client_session.h\"")
  if(hits)
    list(APPEND offenders ${f})
  endif()
endforeach()
list(LENGTH sources checked)
if(offenders)
  message(FATAL_ERROR "these files include proxy/client_session.h (a stage must return a "
                      "decision, not call the session): ${offenders}")
endif()
# The session keeps events, advance(), interest, timeouts, apply(Next), finish and abort: the
# stages do the rest. Its size is the check that they stay out.
file(STRINGS ${HOST_DIR}/proxy/client_session.cpp session_lines)
list(LENGTH session_lines session_count)
if(session_count GREATER 500)
  message(FATAL_ERROR "proxy/client_session.cpp has ${session_count} lines (at most 500): "
                      "move the work into a stage that returns a Next")
endif()
file(READ ${HOST_DIR}/proxy/client_session.cpp session_text)
if(session_text MATCHES "resetTransaction")
  message(FATAL_ERROR "resetTransaction is back: per-request state belongs in Transaction/TxProgress")
endif()
message(STATUS "session seam: ${checked} files checked, none but the session's own include it")
