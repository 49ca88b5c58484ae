#include "ui/ui_server.h"

#include "core/logging.h"
#include "ui/api_handlers.h"
#include "ui/metrics_handler.h"
#include "ui/request_guard.h"
#include "ui/sampler.h"
#include "ui/static_files.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace exaproxy::ui {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr std::string_view kApiPrefix = "/api/v1/";

// Same-origin only, no framing, no inline code: the page needs none of it, and a policy
// violation would show as a console error the browser test catches.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

size_t numberParam(const Poco::URI::QueryParameters& params, std::string_view name, size_t fallback,
                   size_t max) {
  for (const auto& [k, v] : params) {
    if (k != name)
      continue;
    size_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size())
      return fallback;
    return std::min(n, max);
  }
  return fallback;
}

std::string textParam(const Poco::URI::QueryParameters& params, std::string_view name) {
  for (const auto& [k, v] : params)
    if (k == name)
      return v;
  return "";
}

std::optional<std::string_view> header(const HTTPServerRequest& req, const std::string& name) {
  auto it = req.find(name);
  if (it == req.end())
    return std::nullopt;
  return std::string_view(it->second);
}

} // namespace

// Shared by every handler; owned by UiServer and alive until the HTTP server has stopped.
struct UiServer::Impl {
  UiOptions options;
  UiSources sources;
  Sampler sampler{sources};
  ApiHandlers handlers{sources, sampler, options.startedUnixMs};
  Poco::ThreadPool pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::shared_ptr<spdlog::logger> log = logger("ui");

  Impl(UiOptions o, UiSources s)
      : options(std::move(o)), sources(std::move(s)),
        pool(1, static_cast<int>(std::max(1u, options.threads)), 60) {}

  void handle(HTTPServerRequest& req, HTTPServerResponse& resp);
  void handleMetricsOnly(HTTPServerRequest& req, HTTPServerResponse& resp);
  void send(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status, std::string_view type,
            std::string_view body);
  void sendJson(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status,
                const nlohmann::json& body);
  void sendError(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status, std::string message);
  void api(HTTPServerRequest& req, HTTPServerResponse& resp, std::string_view name,
           const Poco::URI& uri);
  void reload(HTTPServerRequest& req, HTTPServerResponse& resp);
  void staticFile(HTTPServerResponse& resp, const std::string& path);
};

namespace {

// One per request (Poco creates and deletes it); forwards to the shared Impl and is the edge where
// every exception stops: a bug or a throwing source answers 500, never takes the process down.
class Handler final : public Poco::Net::HTTPRequestHandler {
public:
  explicit Handler(UiServer::Impl& impl) : impl_(impl) {}
  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override;

private:
  UiServer::Impl& impl_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
  explicit Factory(UiServer::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(impl_); // Poco takes ownership and deletes it after the request
  }

private:
  UiServer::Impl& impl_;
};

void Handler::handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) {
  try {
    impl_.handle(req, resp);
  } catch (const std::exception& e) {
    impl_.log->warn("ui.request_failed uri=\"{}\" reason=\"{}\"", req.getURI(), e.what());
    if (!resp.sent()) {
      try {
        impl_.sendError(resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, e.what());
      } catch (...) {
        // The client is gone; nothing left to tell it.
      }
    }
  } catch (...) {
    impl_.log->warn("ui.request_failed uri=\"{}\" reason=\"unknown exception\"", req.getURI());
  }
}

} // namespace

void UiServer::Impl::send(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status,
                          std::string_view type, std::string_view body) {
  resp.setStatusAndReason(status);
  resp.setContentType(std::string(type));
  resp.set("X-Content-Type-Options", "nosniff");
  resp.set("X-Frame-Options", "DENY");
  resp.set("Referrer-Policy", "no-referrer");
  resp.set("Content-Security-Policy", kContentSecurityPolicy);
  if (!resp.has("Cache-Control"))
    resp.set("Cache-Control", "no-store");
  resp.sendBuffer(body.data(), body.size()); // no body for HEAD: Poco checks the method
}

void UiServer::Impl::sendJson(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status,
                              const nlohmann::json& body) {
  // Targets and names come from the network and may not be UTF-8: replace, never throw.
  send(resp, status, "application/json",
       body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void UiServer::Impl::sendError(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status,
                               std::string message) {
  sendJson(resp, status, {{"error", std::move(message)}, {"status", static_cast<int>(status)}});
}

void UiServer::Impl::handleMetricsOnly(HTTPServerRequest& req, HTTPServerResponse& resp) {
  constexpr std::string_view kText = "text/plain; charset=utf-8";
  auto client = IpAddress::parse(req.clientAddress().host().toString());
  if (!options.allowClients.empty() && (!client || !options.allowClients.contains(*client))) {
    log->info("metrics.refused client={} reason=\"not in [metrics] allow_clients\"",
              req.clientAddress().toString());
    return send(resp, HTTPResponse::HTTP_FORBIDDEN, kText, "forbidden\n");
  }
  if (req.getMethod() != "GET" && req.getMethod() != "HEAD") {
    resp.set("Allow", "GET, HEAD");
    return send(resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, kText, "GET or HEAD only\n");
  }
  const std::string path = Poco::URI(req.getURI()).getPath();
  if (path == "/metrics")
    return send(resp, HTTPResponse::HTTP_OK, kPrometheusContentType,
                prometheusText(sources, options.startedUnixMs));
  if (path == "/healthz") {
    // A load balancer's check: 503 while draining, so it stops sending before the proxy goes.
    if (sources.draining && sources.draining())
      return send(resp, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, kText, "draining\n");
    return send(resp, HTTPResponse::HTTP_OK, kText, "ok\n");
  }
  send(resp, HTTPResponse::HTTP_NOT_FOUND, kText, "only /metrics and /healthz here\n");
}

void UiServer::Impl::handle(HTTPServerRequest& req, HTTPServerResponse& resp) {
  if (options.metricsOnly)
    return handleMetricsOnly(req, resp);
  Poco::URI uri(req.getURI());
  const std::string& path = uri.getPath(); // percent-decoded
  const std::string& method = req.getMethod();
  sampler.noteActivity(nowUnixMs());

  if (path == "/api/v1/reload") {
    if (method != "POST") {
      resp.set("Allow", "POST");
      return sendError(resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED,
                       "reload is POST only (with the X-ExaProxy-CSRF: 1 header)");
    }
    return reload(req, resp);
  }
  if (method != "GET" && method != "HEAD") {
    resp.set("Allow", "GET, HEAD");
    return sendError(resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "read-only resource");
  }
  if (path.rfind(kApiPrefix, 0) == 0)
    return api(req, resp, std::string_view(path).substr(kApiPrefix.size()), uri);
  if (path == "/metrics")
    return send(resp, HTTPResponse::HTTP_OK, kPrometheusContentType,
                prometheusText(sources, options.startedUnixMs));
  staticFile(resp, path);
}

void UiServer::Impl::api(HTTPServerRequest&, HTTPServerResponse& resp, std::string_view name,
                         const Poco::URI& uri) {
  auto params = uri.getQueryParameters();
  auto offset = [&] { return numberParam(params, "offset", 0, SIZE_MAX); };
  auto limit = [&] {
    return numberParam(params, "limit", ApiHandlers::kDefaultLimit, ApiHandlers::kMaxLimit);
  };
  nlohmann::json body;
  if (name == "stats")
    body = handlers.stats();
  else if (name == "connections")
    body = handlers.connections(offset(), limit());
  else if (name == "plugins")
    body = handlers.plugins();
  else if (name == "dns")
    body = handlers.dns(offset(), limit());
  else if (name == "workers")
    body = handlers.workers();
  else if (name == "config")
    body = handlers.config();
  else if (name == "log")
    body = handlers.log(textParam(params, "level"));
  else if (name == "history")
    body = handlers.history(static_cast<int64_t>(numberParam(params, "since", 0, INT64_MAX)));
  else
    return sendError(resp, HTTPResponse::HTTP_NOT_FOUND, "no such endpoint");
  sendJson(resp, HTTPResponse::HTTP_OK, body);
}

void UiServer::Impl::reload(HTTPServerRequest& req, HTTPServerResponse& resp) {
  GuardInput in;
  in.host = req.getHost();
  in.origin = header(req, "Origin");
  in.csrf = header(req, std::string(kCsrfHeader));
  in.fetchSite = header(req, "Sec-Fetch-Site");
  auto refused = refuseStateChange(in);
  std::string client = req.clientAddress().toString();
  if (!refused.empty()) {
    log->warn("ui.reload_refused client={} origin={} reason=\"{}\"", client,
              in.origin ? std::string(*in.origin) : "-", refused);
    return sendError(resp, HTTPResponse::HTTP_FORBIDDEN, refused);
  }
  if (!sources.reload)
    return sendError(resp, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "reload is not wired");
  log->info("ui.reload_requested client={}", client);
  sources.reload();
  sendJson(resp, HTTPResponse::HTTP_ACCEPTED,
           {{"status", "reload requested"}, {"time", nowUnixMs()}});
}

void UiServer::Impl::staticFile(HTTPServerResponse& resp, const std::string& path) {
  auto file = findStaticFile(options.www, path);
  if (!file)
    return send(resp, HTTPResponse::HTTP_NOT_FOUND, "text/plain; charset=utf-8", "not found\n");
  std::ifstream in(file->path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in)
    return send(resp, HTTPResponse::HTTP_NOT_FOUND, "text/plain; charset=utf-8", "not found\n");
  resp.set("Cache-Control", "no-cache"); // revalidate: an upgrade must show at once
  send(resp, HTTPResponse::HTTP_OK, file->contentType, content.str());
}

UiServer::UiServer(UiOptions options, UiSources sources)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(sources))) {}

UiServer::~UiServer() { stop(); }

Result<Endpoint> UiServer::start() {
  try {
    const auto& listen = impl_->options.listen;
    Poco::Net::SocketAddress address(listen.address.toString(), listen.port);
    // SO_REUSEADDR for a quick restart, but not SO_REUSEPORT (Poco's default with reuse): a
    // second proxy must fail to bind rather than silently share the port.
    Poco::Net::ServerSocket socket;
    socket.bind(address, true, false);
    socket.listen(64);
    // Ownership transfers to Poco: HTTPServerParams is reference counted (never deleted by us).
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(static_cast<int>(std::max(1u, impl_->options.threads)));
    params->setMaxQueued(64);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    params->setMaxKeepAliveRequests(1000);
    params->setTimeout(Poco::Timespan(10, 0)); // a stalled browser frees its thread after this
    params->setServerName(impl_->options.metricsOnly ? "exaproxy-metrics" : "exaproxy-ui");
    impl_->server =
        std::make_unique<Poco::Net::HTTPServer>(new Factory(*impl_), impl_->pool, socket, params);
    impl_->server->start();
    auto bound = Endpoint::parse(socket.address().toString());
    bound_ = bound ? *bound : listen;
  } catch (const std::exception& e) {
    impl_->server.reset();
    return makeError(0, "cannot serve the interface on " + impl_->options.listen.toString() + ": " +
                            e.what());
  }
  if (!impl_->options.metricsOnly)
    impl_->sampler.start();
  return bound_;
}

void UiServer::stop() {
  if (!impl_)
    return;
  if (impl_->server) {
    impl_->server->stopAll(true);
    impl_->server.reset();
  }
  impl_->sampler.stop();
  impl_->pool.joinAll();
}

} // namespace exaproxy::ui
