#include "proxy/connection_admission.h"

#include "plugin/plugin_runtime.h"
#include "proxy/denial_log.h"
#include "proxy/loop_context.h"
#include "proxy/proxy_log.h"

namespace exaproxy::proxy {

Welcome admitConnection(LoopContext& ctx, bool counted, const Endpoint& client,
                        const Endpoint& listener, uint64_t connection) {
  if (!counted) {
    bump(ctx.counters().connections_refused);
    logDenial("client.refused: too many connections from this address",
              "client.refused client={} reason=\"too many connections from this address\"",
              client.address.toString());
    return Welcome::TooMany;
  }
  if (auto* runtime = ctx.shared().runtime) {
    auto verdict = runtime->chain()->onAccept(plugin::TxInfo{client, listener, connection});
    if (verdict.kind == plugin::Outcome::Kind::Deny) {
      bump(ctx.counters().denied);
      logDenial("client.refused plugin=" + verdict.plugin,
                "client.refused client={} plugin={} reason=\"{}\"", client.toString(),
                verdict.plugin, verdict.reason);
      return Welcome::Refused;
    }
  }
  return Welcome::Admitted;
}

bool proxyPeerTrusted(LoopContext& ctx, const ListenerConfig& listener, const Endpoint& tcpPeer) {
  if (listener.proxyTrusted.contains(tcpPeer.address))
    return true;
  bump(ctx.counters().proxy_protocol_errors);
  logDenial("proxy_protocol.refused: not in proxy_trusted",
            "proxy_protocol.refused peer={} reason=\"not in proxy_trusted\"", tcpPeer.toString());
  return false;
}

HeaderStep readProxyHeader(LoopContext& ctx, net::ProxyProtocolParser& parser, net::Buffer& in,
                           bool eof, const Endpoint& tcpPeer, Endpoint& client,
                           std::string& authority) {
  auto st = parser.parse(in.view());
  if (st == net::ProxyParseState::NeedMore && !eof)
    return HeaderStep::NeedMore;
  if (st != net::ProxyParseState::Done) {
    bump(ctx.counters().proxy_protocol_errors);
    proxyLog()->warn("proxy_protocol.failed peer={} reason=\"{}\"", tcpPeer.toString(),
                     st == net::ProxyParseState::Error ? parser.error()
                                                       : "closed before the header ended");
    return HeaderStep::Failed;
  }
  const auto& h = parser.header();
  if (!h.local && h.source)
    client = *h.source; // the real client, for the ACL, the plugins and the access log
  authority = h.authority;
  in.consume(parser.consumed());
  return HeaderStep::Done;
}

void proxyHeaderTimedOut(LoopContext& ctx, const Endpoint& tcpPeer) {
  bump(ctx.counters().proxy_protocol_errors);
  proxyLog()->warn("proxy_protocol.timeout peer={}", tcpPeer.toString());
}

} // namespace exaproxy::proxy
