#include "proxy/deadlines.h"

#include "proxy/loop_context.h"
#include "proxy/proxy_log.h"
#include "proxy/upstream_connector.h"

namespace exaproxy::proxy {

net::Millis deadline(Rearm which, const HostConfig& cfg) {
  switch (which) {
  case Rearm::HeaderRead:
    return cfg.headerRead;
  case Rearm::Connect:
    return cfg.connect;
  case Rearm::FirstByte:
    return cfg.firstByte;
  case Rearm::RelayIdle:
    return cfg.relayIdle;
  case Rearm::TunnelIdle:
    return cfg.tunnelIdle;
  case Rearm::IdleKeepAlive:
  case Rearm::None:
    break;
  }
  return cfg.idleKeepAlive;
}

Next onDeadline(const Exchange& ex, TxState state) {
  switch (state) {
  case TxState::Idle:
    if (ex.down.in.empty())
      return Next::to(Next::Kind::Finish); // idle keep-alive: close quietly, as every proxy does
    [[fallthrough]];
  case TxState::ReadingHead:
    proxyLog()->info("client.timeout client={} state=ReadingHead", ex.client.toString());
    return Next::error(408, "The request head did not arrive in time.", "NONE_NONE", true);
  case TxState::Connecting:
    return connectFailed(ex, "connect timeout", true);
  case TxState::Forwarding:
    // Nothing went to the client but an interim 100 Continue: it may still get an answer.
    if (!ex.cur.respHeadDone && ex.cur.bytesToClient + ex.down.out.size() <= ex.cur.interimBytes) {
      bump(ex.ctx.counters().upstream_timeouts);
      ex.up.close();
      return Next::error(504,
                         ex.cur.requestSent ? "The server did not start its response in time."
                                            : "The request body did not go through in time.",
                         "TCP_MISS", true);
    }
    return Next::abort("relay timeout");
  case TxState::Resolving:
  case TxState::Filtering:
    return Next::error(504, "The request could not be routed in time.", "TCP_MISS", true);
  default:
    return Next::abort(std::string("idle timeout in state ") + std::string(toString(state)));
  }
}

} // namespace exaproxy::proxy
