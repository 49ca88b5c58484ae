// What the plugin chain decided, in the host's terms: the session acts on an Outcome and never sees
// the C ABI. ERROR verdicts, timeouts and misbehaviour have already been turned into Continue or
// Deny by the plugin's configured policy before an Outcome reaches the session.
#pragma once

#include "core/ip_address.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace exaproxy::plugin {

// A page the host renders from its templates directory (verdict_set_page): <name>.html with the
// host's variables, then the plugin's (a plugin variable replaces the host's of the same name).
struct Page {
  std::string name;                                      // template name; empty: no page
  std::vector<std::pair<std::string, std::string>> vars; // the plugin's variables, in order
};

struct Outcome {
  enum class Kind {
    Continue, // forward the request (already edited in place by any REWRITE)
    Route,    // connect to routeHost:routePort instead; the request is unchanged
    Redirect, // answer `status` (3xx) with Location: location (+ headers)
    Respond,  // answer status + headers + (body, or the contents of `file`) with contentType
    Deny,     // the host's error page with `status` (403; 503 when a plugin failed) and reason
  };
  Kind kind = Kind::Continue;
  std::string plugin;     // who decided (conf.d entry name, "NN-name"); empty for Continue
  std::string pluginName; // its descriptor's name ("local"), the {{plugin}} of pages
  std::string reason;     // for the access log; shown on Deny pages unless clientDetail is set
  // An internal failure (a plugin's error or timeout under a deny policy): the id its log line
  // carries, and the page's text in place of the reason, which the client must not see.
  std::string incident;
  std::string clientDetail;
  std::string routeHost;
  uint16_t routePort = 0; // Route: 0 = keep the request's port
  int status = 0;
  std::string location;
  std::vector<std::pair<std::string, std::string>> headers; // Redirect/Respond extra headers
  std::string body;
  std::string contentType;    // Respond; empty: none sent
  std::filesystem::path file; // Respond: send this file instead of body (host reads it)
  Page page;                  // Respond/Deny: the body is this page (ABI 1.2), text/html
  bool rewritten = false;     // some plugin changed the request (REWRITE)
  std::string rewrittenBy;    // the plugins whose change is a rewrite (txn_state.h), for the log
};

const char* toString(Outcome::Kind kind);

// Where a transaction came from; plugins see it through client_address / listener_address.
struct TxInfo {
  Endpoint client;         // the TCP peer, or the PROXY protocol source
  Endpoint listener;       // the local address it came in on
  uint64_t connection = 0; // the client connection's id (conn_id, ABI 1.5)
};

// The client as later plugins and the access log see it (plugins may change it).
struct Identity {
  std::string address; // textual IP (no port)
  std::string user;    // empty: anonymous
};

// What the session tells the plugins when a transaction ends (on_done).
struct TxSummary {
  int status = 0; // sent to the client; 0 if none
  uint64_t bytesIn = 0;
  uint64_t bytesOut = 0;
  std::chrono::microseconds duration{0};
};

} // namespace exaproxy::plugin
