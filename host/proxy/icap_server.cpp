#include "proxy/icap_server.h"

#include "core/logging.h"
#include "proxy/icap_session.h"
#include "proxy/loop_context.h"

namespace exaproxy::proxy {

IcapServer::IcapServer(LoopContext& ctx, net::Fd socket, const Endpoint& bound)
    : ctx_(ctx), bound_(bound) {
  listener_ = std::make_unique<net::Listener>(
      ctx.loop(), std::move(socket), bound,
      [this](net::Fd fd, const Endpoint& peer) { onAccept(std::move(fd), peer); });
}

IcapServer::~IcapServer() = default;

void IcapServer::close() {
  if (listener_)
    listener_->close();
}

void IcapServer::onAccept(net::Fd fd, const Endpoint& peer) {
  const HostConfig& cfg = *ctx_.config();
  if (!cfg.icapServerClients.contains(peer.address)) {
    bump(ctx_.counters().icap_refused);
    logger("icap")->warn("icap.refused client={} reason=\"not in [icap_server] allow_clients\"",
                         peer.toString());
    return; // the descriptor closes
  }
  if (sessions_.size() >= cfg.icapServerMaxConnections) {
    bump(ctx_.counters().icap_refused);
    logger("icap")->warn("icap.refused client={} reason=\"max_connections {} reached\"",
                         peer.toString(), cfg.icapServerMaxConnections);
    return;
  }
  auto session = std::make_unique<IcapSession>(*this, std::move(fd), peer);
  IcapSession* raw = session.get();
  sessions_.emplace(raw, std::move(session));
  raw->start();
}

void IcapServer::release(IcapSession* session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end())
    return;
  ctx_.loop().deferDestroy(std::move(it->second));
  sessions_.erase(it);
}

} // namespace exaproxy::proxy
