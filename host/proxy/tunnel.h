// A CONNECT tunnel, or a WebSocket after 101: bytes both ways until both sides ended. What the
// proxy buffered first (bytes behind the CONNECT head, the 200 or 101 head) goes out by copy;
// then each direction relays by splice(2) when [upstream] splice is on. A side that ends is
// half-closed on the other, so the server still answers a client that finished sending.
#pragma once

#include "net/splice_relay.h"
#include "proxy/exchange.h"
#include "proxy/next.h"

namespace exaproxy::proxy {

struct Tunnel {
  bool splice = false; // relay by splice(2); off after a failure to get or use a pipe
  net::SpliceLeg toUpstream;
  net::SpliceLeg toClient;

  // True while `from`'s bytes go by splice: nothing of that direction is buffered.
  bool splicing(const Exchange& ex, Side from) const;
  // Gives the pipes back (one still holding bytes is closed).
  void release(net::PipePool& pipes);
};

// Starts relaying: the bytes already read from the client go first.
void openTunnel(const Exchange& ex, Tunnel& t, bool splice);

// Progress (rearm the tunnel's idle deadline), Stay, Finish once both directions ended, Abort.
Next stepTunnel(const Exchange& ex, Tunnel& t);

} // namespace exaproxy::proxy
