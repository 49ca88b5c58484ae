#include "proxy/tunnel.h"

#include "proxy/loop_context.h"
#include "proxy/proxy_log.h"
#include "proxy/relay_io.h"
#include "proxy/transaction_log.h"

#include <sys/socket.h>

#include <cstring>
#include <string>

namespace exaproxy::proxy {

namespace {

// One direction by splice. Abort on a failure that ends the tunnel.
std::optional<Next> pump(const Exchange& ex, Tunnel& t, Side from, bool& progress) {
  bool fromClient = from == Side::Client;
  net::Stream& src = fromClient ? ex.down : ex.up.s;
  net::Stream& dst = fromClient ? ex.up.s : ex.down;
  auto& leg = fromClient ? t.toUpstream : t.toClient;
  auto r = net::pumpSplice(leg, src.fd.get(), dst.fd.get(), src.eof, dst.blocked, ex.ctx.pipes());
  if (r.read)
    countRead(ex, from, r.read);
  if (r.written) {
    countWritten(ex, fromClient ? Side::Upstream : Side::Client, r.written);
    bump(ex.ctx.counters().bytes_spliced, r.written);
  }
  progress = progress || r.progress;
  using Fault = net::SpliceResult::Fault;
  switch (r.fault) {
  case Fault::None:
    break;
  case Fault::Unavailable:
    // No pipe (descriptor limit) or not spliceable here: copy through user space from now on.
    proxyLog()->warn("tunnel.splice_off client={} reason=\"{}\"", ex.client.toString(),
                     std::strerror(r.error));
    t.splice = false;
    break;
  case Fault::WriteFailed:
    if (!fromClient)
      markAborted(ex.cur);
    return Next::abort(std::string(fromClient ? "upstream" : "client") +
                       " write error: " + std::strerror(r.error));
  case Fault::ReadFailed:
    if (fromClient)
      return Next::abort(std::string("client read error: ") + std::strerror(r.error));
    src.eof = true; // a reset from the upstream ends the stream, as on the copying path
    progress = true;
    break;
  }
  return std::nullopt;
}

} // namespace

bool Tunnel::splicing(const Exchange& ex, Side from) const {
  if (!splice)
    return false;
  if (from == Side::Client)
    return ex.down.in.empty() && ex.up.s.out.empty();
  return ex.up.s.in.empty() && ex.down.out.empty();
}

void Tunnel::release(net::PipePool& pipes) {
  pipes.release(std::move(toUpstream.pipe));
  pipes.release(std::move(toClient.pipe));
}

void openTunnel(const Exchange& ex, Tunnel& t, bool splice) {
  // Bytes the client sent after the CONNECT head (an eager TLS hello) go through the tunnel.
  ex.cur.reqSendable = ex.down.in.size();
  t.splice = splice;
}

Next stepTunnel(const Exchange& ex, Tunnel& t) {
  bool progress = false;
  auto& cur = ex.cur;
  // client → upstream: first what the proxy buffered, then by splice once that is gone.
  cur.reqSendable = ex.down.in.size();
  if (!ex.up.s.blocked && (cur.reqSendable > 0 || !ex.up.s.out.empty())) {
    Next n = flushUpstream(ex);
    if (n.kind == Next::Kind::Abort)
      return n;
    progress = progress || n.progressed();
  }
  if (t.splicing(ex, Side::Client))
    if (auto fail = pump(ex, t, Side::Client, progress))
      return std::move(*fail);
  if (ex.down.eof && ex.down.in.empty() && t.toUpstream.pipe.pending() == 0 && !ex.up.s.shut &&
      ex.up.valid()) {
    ::shutdown(ex.up.s.fd.get(), SHUT_WR); // half-close: the server still answers
    ex.up.s.shut = true;
    progress = true;
  }
  // upstream → client: the 200 (or 101) head and what was read with it, then by splice.
  cur.respSendable = ex.up.s.in.size();
  if (!ex.down.blocked && (!ex.down.out.empty() || cur.respSendable > 0)) {
    Next n = flushClient(ex);
    if (n.kind == Next::Kind::Abort)
      return n;
    progress = progress || n.progressed();
  }
  if (t.splicing(ex, Side::Upstream))
    if (auto fail = pump(ex, t, Side::Upstream, progress))
      return std::move(*fail);
  if (ex.up.s.eof && ex.up.s.in.empty() && ex.down.out.empty() && t.toClient.pipe.pending() == 0 &&
      !ex.down.shut) {
    ::shutdown(ex.down.fd.get(), SHUT_WR);
    ex.down.shut = true;
    progress = true;
  }
  if (ex.up.s.shut && ex.down.shut)
    return Next::to(Next::Kind::Finish);
  return progress ? Next::progress(Rearm::TunnelIdle) : Next::stay();
}

} // namespace exaproxy::proxy
