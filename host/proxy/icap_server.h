// The ICAP server ([icap_server], off by default): ICAP/1.0 REQMOD and RESPMOD services on loop 0
// through which an ICAP client — Squid with `icap_service ... reqmod_precache
// icap://127.0.0.1:1344/reqmod` (and `respmod_precache .../respmod`) — has every request and
// response judged by this proxy's plugin chain, so that a site can keep Squid in
// front while its filtering moves into our plugins. IcapServer accepts (allow_clients,
// max_connections) and owns the connections; IcapSession (icap_session.h) serves one.
#pragma once

#include "net/event_loop.h"
#include "net/listener.h"
#include "net/socket.h"

#include <memory>
#include <unordered_map>

namespace exaproxy::proxy {

class LoopContext;
class IcapSession;

class IcapServer {
public:
  // Loop thread of `ctx` (loop 0), before the loop runs: adopts the bound socket.
  IcapServer(LoopContext& ctx, net::Fd socket, const Endpoint& bound);
  ~IcapServer();
  IcapServer(const IcapServer&) = delete;
  IcapServer& operator=(const IcapServer&) = delete;

  const Endpoint& endpoint() const { return bound_; }
  LoopContext& context() { return ctx_; }
  // Stops accepting (SIGTERM); connections in flight finish their exchange.
  void close();
  // Called by a session when it ends (from one of its callbacks): destroyed after dispatch.
  void release(IcapSession* session);

private:
  void onAccept(net::Fd fd, const Endpoint& peer);

  LoopContext& ctx_;
  Endpoint bound_;
  std::unique_ptr<net::Listener> listener_;
  std::unordered_map<IcapSession*, std::unique_ptr<IcapSession>> sessions_;
};

} // namespace exaproxy::proxy
