// One direction of a tunnel relayed by splice(2): socket → kernel pipe → socket, the bytes never
// copied through the proxy's memory. The pipe comes from the loop's pool only while it carries
// bytes. pump() moves what it can now and says what happened; the caller decides what a failure
// means (an upstream reset ends the stream, a client reset aborts the tunnel).
#pragma once

#include "net/splice_pipe.h"

#include <cstdint>

namespace exaproxy::net {

struct SpliceLeg {
  SplicePipe pipe;       // held only while it carries bytes
  bool readable = false; // the source reported readiness and has not been read since
};

struct SpliceResult {
  enum class Fault {
    None,
    WriteFailed, // the destination socket failed (`error`)
    ReadFailed,  // the source socket failed (`error`)
    Unavailable, // no pipe, or the sockets cannot splice (`error`): copy through user space
  };
  bool progress = false;
  uint64_t read = 0;    // bytes taken from the source
  uint64_t written = 0; // bytes given to the destination
  Fault fault = Fault::None;
  int error = 0;
};

// Moves one pipeful: what the pipe still holds goes out first; the source is read (once per
// readiness report, as the copying path reads once) only into an empty pipe, so an EAGAIN from
// the read always means "nothing to read", never "the pipe is full". 0 from the source sets
// `srcEof`; EAGAIN on the destination sets `dstBlocked`.
SpliceResult pumpSplice(SpliceLeg& leg, int src, int dst, bool& srcEof, bool& dstBlocked,
                        PipePool& pipes);

} // namespace exaproxy::net
