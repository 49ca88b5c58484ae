// The proxy's own pages, for requests addressed to the proxy itself that no plugin answered:
// /healthz (the load balancer's: 200 "ok", 503 "draining"), / (what this is: the `info` template,
// or a built-in page), anything else 404. Pure: the session writes the answer.
#pragma once

#include "core/config.h"
#include "http/error_pages.h"
#include "http/request_parser.h"
#include "proxy/admission.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::net {
class EventLoop;
}
namespace exaproxy::workers {
class WorkerPool;
}

namespace exaproxy::proxy {

// `path` is the request's path and query; `pages` the templates ([server] templates).
LocalAnswer ownPage(std::string_view path, const HostConfig& cfg, bool draining,
                    const http::ErrorPages& pages);

// The bytes of an answer the proxy writes itself: status line, headers, and the body (the
// status's error page with the answer's detail when `errorPage`), without a body for HEAD.
// `req` is null when no request head was read. `contentType` gets the type sent (access log).
std::string serializeAnswer(const LocalAnswer& a, const http::RequestHead* req,
                            const HostConfig& cfg, const http::ErrorPages& pages, bool keepAlive,
                            std::string& contentType);

// Reads a file for an answer off the loop (a slow disk or NFS must not stall it): a worker reads,
// `done` runs on `loop` with the content, or nullopt when it could not be read. Without workers
// the read happens now and `done` is posted.
void readAnswerFile(workers::WorkerPool* workers, net::EventLoop& loop, std::string path,
                    std::function<void(std::optional<std::string>&&)> done);

} // namespace exaproxy::proxy
