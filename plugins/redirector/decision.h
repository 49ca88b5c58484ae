// What the redirector knows about a request (captured on the loop thread, then handed to the
// helper manager thread) and what a helper decided about it, in plain C++ types: nothing here
// knows the plugin ABI, so the protocols and the pool are unit-testable alone.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace exaproxy::redirector {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One request as the helper sees it. Copied out of the transaction during the hook.
struct RequestInfo {
  std::string method;     // "GET", "CONNECT", ...
  std::string url;        // "http://host[:port]/path?query", or "host:port" for CONNECT
  std::string host;       // lowercase, IPv6 without brackets
  uint16_t port = 0;      // the request's port (80 when not given)
  std::string path;       // path and query; empty for CONNECT
  bool isConnect = false; // CONNECT: url is the authority form
  std::string client;     // the client's identity (after xff / PROXY protocol)
  std::string user;       // empty: anonymous
  std::string listenerIp; // the address the request came in on
  uint16_t listenerPort = 0;
  HeaderList headers; // the request's headers (only captured for the ICAP dialect)
};

// One edit of the request's header list, computed from an ICAP req-hdr replacement.
struct HeaderOp {
  enum class Kind { Remove, Add };
  Kind kind = Kind::Add;
  std::string name;
  std::string value; // Add only
  bool operator==(const HeaderOp&) const = default;
};

// A helper's answer translated into the proxy's terms.
struct Decision {
  enum class Kind {
    Continue, // forward unchanged (Squid OK/ERR, exaproxy "" / 204)
    Rewrite,  // change the URL (url, Host follows) and/or the headers (headerOps); forward it
    Route,    // connect to routeHost:routePort instead; the request is unchanged
    Redirect, // answer `status` (3xx) with Location: location
    Respond,  // answer status + respHeaders + (body, or the contents of `file`)
    Deny,     // the proxy's error page with `status` and `reason` (which names the URL)
    Broken,   // the helper said BH: retry on another child, then the on_error policy
    Error,    // the helper failed (garbage, crash, timeout): the on_error / on_timeout policy
  };
  Kind kind = Kind::Continue;
  std::string url;                 // Rewrite: the new URL ("" = keep it)
  std::vector<HeaderOp> headerOps; // Rewrite: header edits, applied in order
  std::string routeHost;           // Route
  uint16_t routePort = 0;          // Route: 0 = the request's port
  int status = 0;                  // Redirect, Respond, Deny
  std::string location;            // Redirect
  HeaderList respHeaders;          // Redirect, Respond: extra response headers
  std::string body;                // Respond
  std::string contentType;         // Respond
  std::string file;                // Respond: serve this file (absolute path) instead of body
  std::string reason;              // Deny / Broken / Error: why (logged, shown on deny pages)
  std::string warning;             // a problem worth a log line even though the request goes on
  bool timedOut = false;           // Error: the helper did not answer in time

  static Decision pass() { return Decision{}; }
  static Decision make(Kind k) {
    Decision d;
    d.kind = k;
    return d;
  }
  static Decision passWithWarning(std::string w) {
    Decision d;
    d.warning = std::move(w);
    return d;
  }
  static Decision error(std::string why) {
    Decision d = make(Kind::Error);
    d.reason = std::move(why);
    return d;
  }
  // True when the decision edits the request: it is completed as a REWRITE verdict that carries
  // the edits (redirector_plugin.cpp), which the host applies on the request's loop.
  bool editsRequest() const { return kind == Kind::Rewrite; }
};

const char* toString(Decision::Kind kind);

} // namespace exaproxy::redirector
