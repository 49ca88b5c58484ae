#include "proxy/interest.h"

#include "proxy/relay_io.h"

#include <sys/epoll.h>

namespace exaproxy::proxy {

namespace {

struct View {
  const HostConfig& cfg;
  const net::Stream& down;
  const Upstream& up;
  const TxProgress& cur;
};

bool wantClient(TxState state, const View& ex, const Tunnel& tunnel) {
  switch (state) {
  case TxState::Idle:
  case TxState::ReadingHead:
    return ex.down.in.size() < ex.cfg.maxRequestHead + kReadChunk;
  case TxState::Filtering:
  case TxState::Resolving:
  case TxState::Connecting:
    // Waiting for a verdict, an address or a connect: keep reading what fits beside the head (a
    // pipelined request, the start of a body), so that a request whose verdict is pending costs
    // no epoll_ctl to stop reading and another to start again.
    return ex.down.in.size() < ex.cfg.maxRequestHead;
  case TxState::Forwarding:
  case TxState::Relaying:
    // Reading on (into the room left) while the response flows costs nothing and saves two
    // epoll_ctl per request; a pipelined request simply waits in the buffer.
    return ex.down.in.size() < (ex.cur.reqBody.done() ? ex.cfg.maxRequestHead : kBufferLimit);
  case TxState::Tunnelling:
    return !ex.up.s.shut && ex.down.in.size() < kBufferLimit &&
           tunnel.toUpstream.pipe.pending() == 0;
  case TxState::Lingering:
    return true; // read (and drop) until the client's end of stream or the deadline
  default:
    return false;
  }
}

bool wantUpstream(TxState state, const View& ex, const Tunnel& tunnel) {
  if (state == TxState::Forwarding || state == TxState::Relaying)
    return !ex.cur.respBody.done() && ex.up.s.in.size() < kBufferLimit;
  if (state == TxState::Tunnelling)
    return !ex.down.shut && ex.up.s.in.size() < kBufferLimit && tunnel.toClient.pipe.pending() == 0;
  return false;
}

} // namespace

Interest interestFor(TxState state, const HostConfig& cfg, const net::Stream& down,
                     const Upstream& up, const TxProgress& cur, const Tunnel& tunnel) {
  View ex{cfg, down, up, cur};
  Interest i;
  if (wantClient(state, ex, tunnel) && !ex.down.eof)
    i.client |= EPOLLIN;
  if (ex.down.blocked)
    i.client |= EPOLLOUT;
  if (!ex.up.connected) {
    i.upstream = EPOLLOUT; // the connect's completion
    return i;
  }
  if (wantUpstream(state, ex, tunnel) && !ex.up.s.eof)
    i.upstream |= EPOLLIN;
  if (ex.up.s.blocked)
    i.upstream |= EPOLLOUT;
  return i;
}

void applyInterest(const Interest& want, net::Stream& down, Upstream& up) {
  down.watch.setEvents(want.client);
  if (up.valid())
    up.s.watch.setEvents(want.upstream);
}

} // namespace exaproxy::proxy
