// What the local plugin's logic hands to the glue: the request as plain values (copied, so a job on
// the worker pool may keep it) and the answer (mapped one to one onto a verdict).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace exaproxy::local {

struct LocalRequest {
  std::string method;
  std::string url;  // "http://host[:port]/path?query"
  std::string host; // lower case
  uint16_t port = 80;
  std::string path; // path and query
  bool connect = false;
  std::string client;   // identity: address (after xff/PROXY)
  std::string user;     // identity: user, empty when anonymous
  std::string listener; // "ip:port" the request came in on
  std::optional<std::string> ifNoneMatch;
  std::optional<std::string> ifModifiedSince;
};

struct LocalAnswer {
  enum class Kind {
    Pass,     // no rule matched: the next plugin runs
    Respond,  // status + headers + (body, the file the host sends, or the page it renders)
    Redirect, // status + Location (a directory asked without its trailing '/')
    Deny,     // the host's error page with status and reason
  };
  Kind kind = Kind::Pass;
  int status = 0;
  std::string reason;      // Deny: on the page and in the log
  std::string contentType; // Respond; empty for 304
  std::string body;
  std::string file; // Respond: the host sends this file (canonical path inside the root)
  std::string page; // Respond: the host renders its template <page>.html instead of body
  std::vector<std::pair<std::string, std::string>> pageVars; // the page's plugin variables
  std::string location;                                      // Redirect
  // Extra response headers. A Deny with headers (405's Allow) is sent as the host's error page
  // through a RESPOND, since a DENY verdict carries none.
  std::vector<std::pair<std::string, std::string>> headers;
};

} // namespace exaproxy::local
