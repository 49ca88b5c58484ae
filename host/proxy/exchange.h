// What the stages of a request work on: the two sides of the connection and the request's state.
// ClientSession owns every part and hands the stages this view (references only, made per call);
// a stage reads and moves bytes through it and returns a Next (proxy/next.h).
#pragma once

#include "core/config.h"
#include "core/ip_address.h"
#include "net/stream.h"
#include "proxy/transaction.h"

#include <cstdint>
#include <memory>
#include <string>

namespace exaproxy::proxy {

class LoopContext;

enum class Side { Client, Upstream };

// The origin side: a stream, where it goes, and how it was had.
struct Upstream {
  net::Stream s;
  Endpoint remote;
  bool connected = false; // the connect finished (or the connection came from the pool)
  bool reused = false;    // from the pool

  bool valid() const { return s.valid(); }

  void close() {
    s.watch.reset();
    s.fd.reset();
    connected = false;
    s.blocked = false;
  }
};

// The connection's byte totals (the status page); the request's own are in TxProgress.
struct SessionTotals {
  uint64_t in = 0;
  uint64_t out = 0;
  std::string user; // the user of the connection's last logged request (the UI's list)
};

struct Exchange {
  LoopContext& ctx;
  const HostConfig& cfg;    // the configuration this request started with
  const Endpoint& client;   // after PROXY protocol
  const Endpoint& tcpPeer;  // the TCP peer itself
  const Endpoint& listener; // the address the client connected to
  Transaction& tx;
  TxProgress& cur;
  net::Stream& down; // the client
  Upstream& up;
  SessionTotals& totals;
  bool& closeAfter;        // close the client connection once this response is written
  uint64_t connection = 0; // the client connection's id (plugins' conn_id)
};

} // namespace exaproxy::proxy
