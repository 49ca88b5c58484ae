// A client connection before its first request: the PROXY protocol header (only from a trusted
// load balancer, within its deadline), the per-client connection limit, and the plugins' accept
// hook. Each refusal is logged and counted here; the session closes or answers.
#pragma once

#include "core/config.h"
#include "core/ip_address.h"
#include "net/buffer.h"
#include "net/proxy_protocol.h"

#include <string>

namespace exaproxy::proxy {

class LoopContext;

enum class Welcome {
  Admitted,
  TooMany, // over max_connections_per_client: answered 503
  Refused, // an accept hook said no: closed without a word
};

// `counted`: the connection got a per-client slot (max_connections_per_client, counted by `client`,
// the address after PROXY protocol). `connection`: its id, as the accept hooks see it (conn_id).
Welcome admitConnection(LoopContext& ctx, bool counted, const Endpoint& client,
                        const Endpoint& listener, uint64_t connection);

// Whether the TCP peer may send the PROXY header this listener expects.
bool proxyPeerTrusted(LoopContext& ctx, const ListenerConfig& listener, const Endpoint& tcpPeer);

enum class HeaderStep { NeedMore, Failed, Done };

// The PROXY header at the front of `in`. Done: consumed, `client` (unless a LOCAL header or no
// address) and `authority` set from it.
HeaderStep readProxyHeader(LoopContext& ctx, net::ProxyProtocolParser& parser, net::Buffer& in,
                           bool eof, const Endpoint& tcpPeer, Endpoint& client,
                           std::string& authority);

void proxyHeaderTimedOut(LoopContext& ctx, const Endpoint& tcpPeer);

} // namespace exaproxy::proxy
