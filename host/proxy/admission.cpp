#include "proxy/admission.h"

#include "http/via.h"

namespace exaproxy::proxy {

namespace {

constexpr std::string_view kAllow = "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, CONNECT";

Admission answer(int status, std::string_view resultCode, std::string detail, bool close) {
  Admission a;
  a.next = Admission::Next::Answer;
  a.answer.status = status;
  a.answer.resultCode = resultCode;
  a.answer.detail = std::move(detail);
  a.answer.close = close;
  return a;
}

Admission refusal(std::string_view event, std::string reason, std::string detail, bool close) {
  Admission a = answer(403, "TCP_DENIED", std::move(detail), close);
  a.event = event;
  a.reason = std::move(reason);
  return a;
}

} // namespace

bool targetsProxyItself(const http::RequestHead& req, const HostConfig& cfg,
                        const LocalHost& host) {
  if (req.form != http::TargetForm::Origin)
    return false;
  if (req.host.empty())
    return true; // HTTP/1.0 without Host: it can only mean us
  if (http::iequals(req.host, cfg.name))
    return true;
  auto ip = IpAddress::parse(req.host);
  if (!ip) {
    if (http::iequals(req.host, "localhost"))
      return host.reachesListener(Endpoint{*IpAddress::parse("127.0.0.1"), req.port}) ||
             host.reachesListener(Endpoint{*IpAddress::parse("::1"), req.port});
    return false;
  }
  return host.reachesListener(Endpoint{*ip, req.port});
}

Admission admit(const http::RequestHead& req, const HostConfig& cfg, const Origin& from) {
  // A refusal before the body was read closes the connection: the body would follow the head. So
  // does a refused CONNECT: a client may send its first tunnel bytes (a TLS hello) right behind
  // the head, and they are no HTTP request.
  bool hasBody = req.framing != http::Framing::None || req.isConnect();
  if (!cfg.allowClients.contains(from.client.address))
    return refusal("client.denied", "not in allow_clients",
                   "Your address is not allowed to use this proxy.", hasBody);
  if (http::viaNames(req.headers, cfg.name))
    return refusal("request.loop", "Via carries our name",
                   "Forwarding loop detected: this request already went through this proxy.",
                   hasBody);
  if (cfg.maxRequestBody && req.framing == http::Framing::ContentLength &&
      req.contentLength > cfg.maxRequestBody)
    return answer(413, "TCP_DENIED", "The request body is larger than this proxy accepts.", true);
  bool isTrace = req.method == "TRACE";
  bool isOptions = req.method == "OPTIONS";
  if (isTrace && !cfg.allowTrace) {
    Admission a = answer(405, "TCP_DENIED", "TRACE is disabled on this proxy.", hasBody);
    a.answer.headers = {{"Allow", std::string(kAllow)}};
    return a;
  }
  if ((isTrace || isOptions) && req.maxForwards && *req.maxForwards == 0) {
    // Max-Forwards: 0 means this hop answers (RFC 9110 §7.6.2).
    Admission a = answer(200, "TCP_MISS", {}, hasBody);
    a.answer.errorPage = false;
    if (isOptions) {
      a.answer.headers = {{"Allow", std::string(kAllow)}};
    } else {
      a.answer.contentType = "message/http";
      a.answer.body = req.raw;
    }
    return a;
  }
  Admission a;
  if (targetsProxyItself(req, cfg, from.host)) {
    // /healthz is the load balancer's and answers even with a broken plugin; any other page of
    // ours may come from a plugin (a PAC file, a status page) before our own answer.
    if (req.pathAndQuery.starts_with("/healthz")) {
      a.next = Admission::Next::ProxyPage;
      return a;
    }
    a.selfTarget = true;
  }
  if (req.form == http::TargetForm::Origin && !from.routeByHost && !a.selfTarget)
    return answer(400, "NONE_NONE", "This listener accepts only absolute-form (proxy) requests.",
                  hasBody);
  if (req.form == http::TargetForm::Asterisk)
    return answer(400, "NONE_NONE", "OPTIONS * is answered by origin servers, not by this proxy.",
                  hasBody);
  bool connect = req.isConnect();
  if (!a.selfTarget && !portAllowed(req.port, connect, cfg)) { // our own pages are not forwarded
    auto port = std::to_string(req.port);
    return refusal("destination.denied",
                   connect ? "port not in connect_ports" : "port not in http_ports",
                   connect ? "CONNECT to port " + port + " is not allowed."
                           : "Requests to port " + port + " are not allowed.",
                   hasBody);
  }
  return a;
}

} // namespace exaproxy::proxy
