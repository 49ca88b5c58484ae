// Admission: the host's own rules for a parsed request head, before any plugin runs — client
// allowed, forwarding loop, body limit, TRACE/OPTIONS, requests for the proxy's own pages, target
// form, ports. Pure functions of the head, the configuration and where the request came from:
// they say what to do next and never act; ClientSession answers, counts and logs.
#pragma once

#include "core/config.h"
#include "http/request_parser.h"
#include "proxy/destination_policy.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace exaproxy::proxy {

// An answer the proxy writes itself.
struct LocalAnswer {
  int status = 0;
  std::string_view resultCode; // access log: TCP_DENIED, TCP_MISS, NONE_NONE
  // true: the status's error page, with `detail`; false: `contentType` and `body` as given.
  bool errorPage = true;
  std::string detail;
  std::string contentType;
  std::string_view body; // points into the request head (TRACE echo) or static text
  std::string ownBody;   // a body the answer owns (a rendered page); used when not empty
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false; // close the connection after it even if keep-alive
};

struct Admission {
  enum class Next {
    Filter,    // on to the plugins (selfTarget: a request for the proxy's own pages)
    ProxyPage, // the proxy's own page now, whatever the plugins (/healthz)
    Answer,    // `answer`
  };
  Next next = Next::Filter;
  bool selfTarget = false;
  LocalAnswer answer;
  // A refusal the session counts as denied and logs as `event client=... url=... reason="..."`
  // (empty event: neither).
  std::string_view event;
  std::string reason;
};

// Where a request came from.
struct Origin {
  const Endpoint& client;  // after PROXY protocol
  const LocalHost& host;   // the proxy's listeners
  bool routeByHost = true; // the listener's route_by_host
};

Admission admit(const http::RequestHead& req, const HostConfig& cfg, const Origin& from);

// Addressed to the proxy itself: origin-form for our name, "localhost", or an address and port
// one of our listeners has (or no Host at all, in HTTP/1.0).
bool targetsProxyItself(const http::RequestHead& req, const HostConfig& cfg, const LocalHost& host);

} // namespace exaproxy::proxy
