#include "proxy/relay_io.h"

#include "proxy/transaction_log.h"

#include <cstring>
#include <string>

namespace exaproxy::proxy {

void markAborted(TxProgress& cur) {
  if (!cur.resultCode.ends_with("_ABORTED"))
    cur.resultCode += "_ABORTED";
}

void queueContinue(const Exchange& ex) {
  constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  ex.down.out.append(kContinue);
  ex.cur.interimBytes += kContinue.size();
}

Next readSide(const Exchange& ex, Side side, size_t limit) {
  net::Stream& s = side == Side::Client ? ex.down : ex.up.s;
  auto r = net::readSome(s.fd.get(), s.in, limit, kReadChunk, s.eof);
  if (r.bytes)
    countRead(ex, side, r.bytes);
  if (!r.error)
    return Next::stay();
  if (side == Side::Upstream) {
    s.eof = true; // a reset from the upstream is an end of stream: the stage decides what it means
    return Next::stay();
  }
  return Next::abort(std::string("client read error: ") + std::strerror(r.error));
}

Next flushClient(const Exchange& ex) {
  // A filtered response's chunk end (and last chunk) rides behind its in-place piece.
  auto r = net::sendParts(ex.down.fd.get(), ex.down.out, ex.up.s.in, ex.cur.respSendable,
                          ex.down.blocked, ex.cur.respFiltered ? &ex.tx.filtered.suffix : nullptr);
  if (r.bytes)
    countWritten(ex, Side::Client, r.bytes);
  if (r.error) {
    markAborted(ex.cur);
    return Next::abort(std::string("client write error: ") + std::strerror(r.error));
  }
  return r.bytes ? Next::progress() : Next::stay();
}

Next flushUpstream(const Exchange& ex) {
  auto r =
      net::sendParts(ex.up.s.fd.get(), ex.up.s.out, ex.down.in, ex.cur.reqSendable, ex.up.s.blocked,
                     ex.cur.reqFiltered ? &ex.tx.filteredReq.suffix : nullptr);
  if (r.bytes)
    countWritten(ex, Side::Upstream, r.bytes);
  if (r.error)
    return Next::abort(std::string("upstream write error: ") + std::strerror(r.error));
  return r.bytes ? Next::progress() : Next::stay();
}

} // namespace exaproxy::proxy
