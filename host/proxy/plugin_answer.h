// The answer a plugin's Redirect, Respond or Deny verdict gives, as the proxy writes it: shared by
// the proxy's request and response paths (filter_stage) and the ICAP server (host/icap), which
// sends the same page inside an ICAP response. Pure: no counters, no logging.
#pragma once

#include "http/error_pages.h"
#include "http/request_parser.h"
#include "plugin/outcome.h"
#include "proxy/admission.h"

#include <string>
#include <string_view>

namespace exaproxy::proxy {

// Who and what a plugin page is about (the template's variables).
struct PageContext {
  const http::RequestHead& req;
  std::string client; // as the plugins left the identity (address)
  std::string user;
  std::string_view proxyName; // [server] name
  const http::ErrorPages& pages;
};

// The page of a verdict: the named template of the Outcome (ABI 1.2) or the status's error page,
// with `detail`.
std::string pluginPage(const PageContext& pc, const plugin::Outcome& o, int status,
                       std::string_view detail);

// The LocalAnswer of a Redirect, Respond or Deny verdict (anything else is treated as Deny).
// A Respond with a file leaves the body empty: the caller reads o.file.
LocalAnswer pluginAnswer(const PageContext& pc, const plugin::Outcome& o);

} // namespace exaproxy::proxy
