#include "proxy/local_response.h"

#include "http/serializer.h"
#include "net/event_loop.h"
#include "workers/worker_pool.h"

#include <fstream>
#include <memory>
#include <sstream>

namespace exaproxy::proxy {

namespace {

// Used when the templates directory has no info.html (www/templates/info.html is the shipped one).
constexpr std::string_view kBuiltinInfo =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>{{proxy}}</title></head><body>"
    "<h1>{{proxy}}</h1><p>This is a forward HTTP proxy (ExaProxy {{version}}). Configure it as "
    "your browser's proxy; it does not serve pages itself.</p>"
    "<p><a href=\"/healthz\">/healthz</a></p></body></html>\n";

LocalAnswer plain(int status, std::string_view contentType, std::string_view body) {
  LocalAnswer a;
  a.status = status;
  a.resultCode = "TCP_MISS";
  a.errorPage = false;
  a.contentType = contentType;
  a.body = body;
  return a;
}

} // namespace

LocalAnswer ownPage(std::string_view path, const HostConfig& cfg, bool draining,
                    const http::ErrorPages& pages) {
  path = path.substr(0, path.find('?'));
  if (path == "/healthz")
    return draining ? plain(503, "text/plain; charset=utf-8", "draining\n")
                    : plain(200, "text/plain; charset=utf-8", "ok\n");
  if (path == "/" || path.empty()) {
    http::PageVars vars{{"proxy", cfg.name}, {"version", EXAPROXY_VERSION}};
    LocalAnswer a = plain(200, "text/html; charset=utf-8", {});
    a.ownBody = pages.has("info") ? pages.renderNamed("info", 200, vars)
                                  : http::renderTemplate(kBuiltinInfo, vars);
    return a;
  }
  LocalAnswer a;
  a.status = 404;
  a.resultCode = "TCP_MISS";
  a.detail = "This proxy serves no page at this address.";
  return a;
}

std::string serializeAnswer(const LocalAnswer& a, const http::RequestHead* req,
                            const HostConfig& cfg, const http::ErrorPages& pages, bool keepAlive,
                            std::string& contentType) {
  std::string page;
  if (a.errorPage)
    page = pages.render(a.status, a.detail, req ? req->url() : "-", cfg.name);
  std::string_view body = a.errorPage ? page : a.ownBody.empty() ? a.body : a.ownBody;
  contentType.assign(a.errorPage ? "text/html; charset=utf-8" : a.contentType);
  std::string bytes;
  http::ForwardOptions opts;
  opts.viaName = cfg.name;
  opts.keepAlive = keepAlive;
  http::writeLocalResponse(a.status, contentType, body, a.headers, opts, bytes);
  if (req && req->isHead())
    bytes.resize(bytes.size() - body.size()); // HEAD: the same head (Content-Length too), no body
  return bytes;
}

void readAnswerFile(workers::WorkerPool* workers, net::EventLoop& loop, std::string path,
                    std::function<void(std::optional<std::string>&&)> done) {
  auto content = std::make_shared<std::optional<std::string>>();
  auto read = [content, path = std::move(path)] {
    std::ifstream f(path, std::ios::binary);
    if (f) {
      std::ostringstream ss;
      ss << f.rdbuf();
      *content = ss.str();
    }
  };
  auto complete = [content, done = std::move(done)] { done(std::move(*content)); };
  if (workers) {
    workers->submit(std::move(read), loop, std::move(complete));
  } else {
    read();
    loop.post(std::move(complete));
  }
}

} // namespace exaproxy::proxy
