// Which events each socket of a session waits for, from its state: backpressure is this. A side
// is read only while what was read from it before has room to wait (its buffer below the limit,
// its splice pipe empty); EPOLLOUT only while a send is blocked.
#pragma once

#include "proxy/exchange.h"
#include "proxy/transaction_state.h"
#include "proxy/tunnel.h"

#include <cstdint>

namespace exaproxy::proxy {

struct Interest {
  uint32_t client = 0;
  uint32_t upstream = 0; // meaningful only while the session has an upstream socket
};

// Also between requests, when the session holds no transaction: only the streams and the
// request's progress are read.
Interest interestFor(TxState state, const HostConfig& cfg, const net::Stream& down,
                     const Upstream& up, const TxProgress& cur, const Tunnel& tunnel);

// Sets each socket's watch to what `want` says (the upstream's only while there is one).
void applyInterest(const Interest& want, net::Stream& down, Upstream& up);

} // namespace exaproxy::proxy
