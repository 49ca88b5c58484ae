#include "net/splice_relay.h"

#include <cerrno>

namespace exaproxy::net {

namespace {

// Empties the pipe into `dst` while it takes bytes; false on a write failure.
bool drainPipe(SpliceLeg& leg, int dst, bool& dstBlocked, PipePool& pipes, SpliceResult& r) {
  while (leg.pipe.pending() > 0 && !dstBlocked) {
    ssize_t n = leg.pipe.drain(dst, leg.pipe.pending());
    if (n > 0) {
      r.written += static_cast<uint64_t>(n);
      r.progress = true;
    } else if (n == -1 && errno == EAGAIN) {
      dstBlocked = true;
    } else {
      r.fault = SpliceResult::Fault::WriteFailed;
      r.error = n == -1 ? errno : EPIPE;
      return false;
    }
  }
  if (leg.pipe.valid() && leg.pipe.pending() == 0)
    pipes.release(std::move(leg.pipe)); // an idle tunnel holds no pipe
  return true;
}

} // namespace

SpliceResult pumpSplice(SpliceLeg& leg, int src, int dst, bool& srcEof, bool& dstBlocked,
                        PipePool& pipes) {
  SpliceResult r;
  if (!drainPipe(leg, dst, dstBlocked, pipes, r))
    return r;
  if (leg.pipe.pending() > 0 || !leg.readable || srcEof)
    return r;
  leg.readable = false;
  if (!leg.pipe.valid()) {
    auto pipe = pipes.acquire();
    if (!pipe) {
      r.fault = SpliceResult::Fault::Unavailable; // descriptor limit: copy from now on
      r.error = errno;
      return r;
    }
    leg.pipe = std::move(*pipe);
  }
  ssize_t n = leg.pipe.fill(src, leg.pipe.capacity());
  if (n > 0) {
    r.read += static_cast<uint64_t>(n);
    r.progress = true;
    if (!drainPipe(leg, dst, dstBlocked, pipes, r))
      return r;
  } else if (n == 0) {
    srcEof = true;
    r.progress = true;
  } else if (errno == EAGAIN) {
    // a spurious wake-up: nothing to read
  } else if (errno == EINVAL || errno == ENOSYS) {
    r.fault = SpliceResult::Fault::Unavailable; // not spliceable here: the read comes back
    r.error = errno;
  } else {
    r.fault = SpliceResult::Fault::ReadFailed;
    r.error = errno;
  }
  if (leg.pipe.valid() && leg.pipe.pending() == 0)
    pipes.release(std::move(leg.pipe));
  return r;
}

} // namespace exaproxy::net
