#include "proxy/filter_stage.h"

#include "http/serializer.h"
#include "http/syntax.h"
#include "plugin/plugin_runtime.h"
#include "proxy/denial_log.h"
#include "proxy/local_response.h"
#include "proxy/loop_context.h"
#include "proxy/plugin_answer.h"
#include "proxy/proxy_log.h"
#include "workers/worker_pool.h"

#include <ctime>

namespace exaproxy::proxy {

namespace {

// A request whose body may still be on its way is answered and closed: its framing is lost.
bool bodyPending(const Exchange& ex) {
  return !ex.cur.requestSent && ex.tx.req.framing != http::Framing::None;
}

} // namespace

void FilterStage::run(const Exchange& ex, plugin::PluginTransaction::Callback onVerdict) {
  auto* runtime = ex.ctx.shared().runtime;
  running_ = true;
  if (!runtime) {
    onVerdict(plugin::Outcome{});
  } else {
    tx_ = std::make_unique<plugin::PluginTransaction>(
        runtime->chain(), ex.ctx.loop(), ex.ctx.shared().workers,
        plugin::TxInfo{ex.client, ex.listener, ex.connection});
    tx_->onBodyResume(bodyResume_);
    tx_->runRequest(ex.tx.req, std::move(onVerdict));
  }
  running_ = false;
}

Next FilterStage::decide(const Exchange& ex, const plugin::Outcome& o) {
  using Kind = plugin::Outcome::Kind;
  // Which plugins rewrote the request, in one token (the line keeps its 11 fields): a pass and a
  // rewrite by the same redirector look different, an identity plugin's bookkeeping is left out.
  if (!o.rewrittenBy.empty())
    ex.tx.note = "rewritten:" + o.rewrittenBy;
  switch (o.kind) {
  case Kind::Continue:
    if (ex.tx.selfTarget)
      return answerProxyItself(ex); // no plugin answered a request for the proxy's own pages
    // A REWRITE may have changed where the request goes.
    return chooseDestination(ex, ex.tx.req.host, ex.tx.req.port);
  case Kind::Route: {
    uint16_t port = o.routePort ? o.routePort : ex.tx.req.port;
    ex.tx.note = "routed=" + o.routeHost + ":" + std::to_string(port) + " plugin=" + o.plugin;
    proxyLog()->debug("request.routed client={} url={} to={}:{} plugin={}", ex.client.toString(),
                      ex.tx.req.url(), o.routeHost, port, o.plugin);
    return chooseDestination(ex, o.routeHost, port);
  }
  default:
    return answerFor(ex, o);
  }
}

Next chooseDestination(const Exchange& ex, std::string host, uint16_t port) {
  ex.tx.destHost = std::move(host);
  ex.cur.destPort = port;
  // A rewrite or a route may have chosen the destination. Its port is the operator's choice (as
  // in Squid, http_ports/connect_ports judge the client's request, before the filters), but an
  // ambiguous IPv4 host is refused here as in the request line; the addresses are checked once
  // resolved (upstream_connector).
  if (!http::ambiguousIpv4(ex.tx.destHost))
    return Next::to(Next::Kind::Resolve);
  bump(ex.ctx.counters().denied);
  logDenial("destination.denied: ambiguous IPv4 address",
            "destination.denied client={} url={} host={} reason=\"ambiguous IPv4 address\"",
            ex.client.toString(), ex.tx.req.url(), ex.tx.destHost);
  return Next::error(403, "The destination " + ex.tx.destHost + " is an ambiguous IPv4 address.",
                     "TCP_DENIED", ex.tx.req.framing != http::Framing::None);
}

Next FilterStage::answerFor(const Exchange& ex, const plugin::Outcome& o) {
  ex.tx.note = std::string(plugin::toString(o.kind)) + " plugin=" + o.plugin;
  if (!o.incident.empty())
    ex.tx.note += " incident=" + o.incident;
  const plugin::Identity* who = tx_ ? &tx_->identity() : nullptr;
  PageContext pc{ex.tx.req, who ? who->address : ex.client.address.toString(),
                 who ? who->user : std::string(), ex.cfg.name, ex.ctx.errorPages()};
  LocalAnswer a = pluginAnswer(pc, o);
  a.close = bodyPending(ex);
  if (o.kind == plugin::Outcome::Kind::Respond && o.page.name.empty() && !o.file.empty()) {
    Next n = Next::answerWith(std::move(a));
    n.kind = Next::Kind::ReadFile;
    n.file = o.file.string();
    n.why = o.plugin;
    return n;
  }
  if (o.kind != plugin::Outcome::Kind::Redirect && o.kind != plugin::Outcome::Kind::Respond) {
    bump(ex.ctx.counters().denied);
    logDenial("request.denied plugin=" + o.plugin,
              "request.denied client={} url={} plugin={}{}{} reason=\"{}\"", ex.client.toString(),
              ex.tx.req.url(), o.plugin, o.incident.empty() ? "" : " incident=", o.incident,
              o.reason);
  }
  return Next::answerWith(std::move(a));
}

std::optional<Next> FilterStage::onResponse(const Exchange& ex) {
  if (!tx_)
    return std::nullopt;
  auto verdict = tx_->runResponse(ex.tx.resp);
  if (verdict.kind == plugin::Outcome::Kind::Continue)
    return std::nullopt;
  ex.up.close(); // the origin's response is replaced: its body is not read
  return answerFor(ex, verdict);
}

void FilterStage::release(net::EventLoop& loop) {
  if (tx_) {
    tx_->onBodyResume(nullptr); // the walk is over for the session, whatever it awaited
    loop.deferDestroy(std::move(tx_));
  }
}

std::string_view FilterStage::user() const {
  return tx_ ? std::string_view(tx_->identity().user) : std::string_view();
}

void FilterStage::endConnection(LoopContext& ctx, uint64_t connection, bool admitted) {
  tx_.reset();
  auto* runtime = ctx.shared().runtime;
  if (admitted && runtime && !ctx.tearingDown())
    runtime->chain()->onConnectionClose(connection);
}

Next answerProxyItself(const Exchange& ex) {
  ex.cur.hierarchy = "HIER_NONE";
  auto answer =
      ownPage(ex.tx.req.pathAndQuery, ex.cfg,
              ex.ctx.shared().draining.load(std::memory_order_relaxed), ex.ctx.errorPages());
  answer.close = ex.tx.req.framing != http::Framing::None;
  return Next::answerWith(std::move(answer));
}

} // namespace exaproxy::proxy
