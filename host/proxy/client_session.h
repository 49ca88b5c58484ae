// ClientSession: one client connection and the transactions it carries, one at a time and in
// order (pipelined requests wait in the input buffer until the response before them is done).
//
// An explicit state machine (transaction_state.h) driven by its loop: socket readiness, DNS
// answers, plugin verdicts, connect completion and timers all end in advance(), which steps the
// stage of the current state until it waits, then sets the epoll interest of both sockets from
// what it waits for. Backpressure is that interest: a side is read only while the other side has
// drained what was read before, so memory per connection stays bounded by two buffers.
//
// The stages of a request live in their own files (admission, filter_stage, upstream_connector,
// http_exchange, tunnel, deadlines, transaction_log) and never call back into the session: each
// returns a Next (proxy/next.h), and apply() is the only place that changes the state, arms the
// timer and writes answers.
#pragma once

#include "core/config.h"
#include "core/ip_address.h"
#include "dns/resolver.h"
#include "net/event_loop.h"
#include "net/proxy_protocol.h"
#include "net/socket.h"
#include "net/stream.h"
#include "proxy/exchange.h"
#include "proxy/filter_stage.h"
#include "proxy/next.h"
#include "proxy/transaction.h"
#include "proxy/transaction_state.h"
#include "proxy/tunnel.h"
#include "proxy/tx_cache.h"

#include <memory>
#include <string>

namespace exaproxy::proxy {

class LoopContext;
struct SessionInfo;

class ClientSession {
public:
  ClientSession(LoopContext& ctx, net::Fd fd, const Endpoint& peer, const ListenerConfig& listener,
                const Endpoint& listenerEndpoint);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // Called once after construction (may already answer, e.g. a refused client).
  void start();
  TxState state() const { return state_; }
  SessionInfo info() const;
  const Endpoint& peer() const { return peer_; }
  // Draining: an idle connection closes now; a busy one closes after its response.
  void drain();

private:
  // Event entry points.
  void onClientEvent(uint32_t events);
  void onUpstreamEvent(uint32_t events);
  void onTimeout();

  void setState(TxState s);
  void advance();
  // A body plugin's PENDING verdict arrived (proxy/filtered_body.h): step on.
  void resumeBody() {
    if (!closed_)
      advance();
  }
  void updateInterest();
  // Does what a stage decided; true when the state machine should step again.
  bool apply(Next next);
  Exchange ex();

  // Steps of the states the session handles itself; true when they made progress.
  bool stepProxyHeader();
  bool welcome(); // the limits and the accept hook, once the client's address is known
  bool stepHead();
  bool stepLocal();

  bool resolve();
  void readFile(Next next);
  void respond(const LocalAnswer& answer);
  void finishTransaction();
  void releaseTransaction(); // the request is done: its state goes, the connection stays
  void abort(std::string_view why);
  void finish();

  LoopContext& ctx_;
  std::shared_ptr<const HostConfig> cfg_; // the configuration this transaction started with
  Endpoint peer_;    // the client: the TCP peer, or the address a PROXY header carried
  Endpoint tcpPeer_; // the TCP peer itself (a load balancer behind PROXY protocol)
  std::unique_ptr<net::ProxyProtocolParser> proxyHeader_; // until the PROXY header is read
  std::string proxyAuthority_;                            // its AUTHORITY TLV, for the UI
  const ListenerConfig& listener_; // owned by the LoopContext, outlives every session
  Endpoint listenerEndpoint_;      // the address the client connected to
  net::Timer timer_;
  TxState state_ = TxState::Idle;
  bool closed_ = false;
  bool counted_ = false; // holds a per-client slot in ProxyShared (and the accept hooks ran)
  uint64_t connId_ = 0;  // the plugins' conn_id
  net::Clock::time_point connStart_;

  net::Stream down_; // the client
  Upstream up_;
  Tunnel tunnel_;
  SessionTotals totals_;

  // The current request: `tx_` only while one is in flight (recycled per loop thread when done),
  // `cur_` reset as a whole. The filter stage is declared after tx_, so it goes first.
  std::unique_ptr<Transaction, detail::TxRecycler<Transaction>> tx_;
  TxProgress cur_;
  bool closeAfter_ = false; // close the client connection once this response is written
  dns::ResolveHandle dnsHandle_;
  FilterStage filters_;
  std::shared_ptr<int> life_; // made on first use; weak_ptrs tell late completions we left
};

} // namespace exaproxy::proxy
