// The proxy's own pages, for requests addressed to the proxy itself that no plugin answered:
// /healthz (the load balancer's: 200 "ok", 503 "draining"), / (what this is: the `info` template,
// or a built-in page), anything else 404. Pure: the session writes the answer.
#pragma once

#include "core/config.h"
#include "http/error_pages.h"
#include "proxy/admission.h"

#include <string_view>

namespace exaproxy::proxy {

// `path` is the request's path and query; `pages` the templates ([server] templates).
LocalAnswer ownPage(std::string_view path, const HostConfig& cfg, bool draining,
                    const http::ErrorPages& pages);

} // namespace exaproxy::proxy
