// ClientSession: one client connection and the transactions it carries, one at a time and in
// order (pipelined requests wait in the input buffer until the response before them is done).
//
// An explicit state machine (transaction_state.h) driven by its loop: socket readiness, DNS
// answers, connect completion and timers all end in advance(), which does every piece of work
// that is possible now, then sets the epoll interest of both sockets from what it waits for.
// Backpressure is that interest: a side is read only while the other side has drained what was
// read before, so memory per connection stays bounded by two buffers.
#pragma once

#include "core/config.h"
#include "core/ip_address.h"
#include "dns/resolver.h"
#include "http/chunked.h"
#include "http/request_parser.h"
#include "http/response_parser.h"
#include "net/buffer.h"
#include "net/event_loop.h"
#include "net/proxy_protocol.h"
#include "net/socket.h"
#include "net/splice_pipe.h"
#include "plugin/outcome.h"
#include "plugin/plugin_transaction.h"
#include "proxy/admission.h"
#include "proxy/dechunker.h"
#include "proxy/transaction.h"
#include "proxy/transaction_state.h"

#include <memory>
#include <string>
#include <vector>

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
  enum class Side { Client, Upstream };

  // Event entry points.
  void onClientEvent(uint32_t events);
  void onUpstreamEvent(uint32_t events);
  void onTimeout();

  void setState(TxState s);
  void advance();
  void updateInterest();

  // Steps; each returns true when it made progress (advance() loops while they do).
  bool stepProxyHeader();
  bool stepHead();
  bool admitConnection(); // the accept hook, once the client's address is known
  bool stepHttp();
  bool stepTunnel();
  // A tunnel direction relays by splice(2) once the bytes the proxy buffered for it are gone.
  struct SpliceLeg {
    net::SplicePipe pipe;  // held only while it carries bytes
    bool readable = false; // the source reported readiness and has not been read since
  };
  bool splicing(Side from) const;
  bool pumpSplice(SpliceLeg& leg, Side from);
  bool stepLocal();

  // Request handling.
  void startTransaction();
  void runPlugins();
  void onVerdict(plugin::Outcome outcome);
  // Answers a plugin's Redirect / Respond / Deny (request or response hook).
  void answerOutcome(const plugin::Outcome& outcome);
  void respondWithFile(const plugin::Outcome& outcome);
  // The HTML page of a plugin's Deny, or of a Respond/Deny naming a template (ABI 1.2
  // verdict_set_page), rendered from the host's templates with the host's variables.
  std::string pluginPage(const plugin::Outcome& outcome, int status, std::string_view detail);
  void resolveDestination();
  void onResolved(const dns::Answer& answer);
  void connectNext();
  void onConnected();
  void startForwarding();
  bool handleResponseHead();
  void markRequestSendable();
  bool markResponseSendable();
  void finishTransaction();

  // Local answers.
  void respondLocal(int status, std::string_view contentType, std::string_view body,
                    std::vector<std::pair<std::string, std::string>> extra, bool close,
                    std::string_view resultCode);
  void respondError(int status, std::string_view detail, std::string_view resultCode,
                    bool close = false);
  void answerProxyItself();
  void answerLocally(const LocalAnswer& answer); // admission's answers

  // I/O.
  bool readInto(int fd, net::Buffer& buf, size_t limit, bool& eof, Side side);
  // Writes `head` then `rest` (either may be empty); returns bytes written, sets blocked/broken.
  size_t writeFrom(int fd, const char* head, size_t headLen, const char* rest, size_t restLen,
                   bool& blocked, Side side);
  bool flushParts(int fd, net::Buffer& head, net::Buffer& body, size_t& sendable, bool& blocked,
                  Side side);
  bool flushClient();   // out_ then the response bytes ready in upIn_
  bool flushUpstream(); // upOut_ then the request bytes ready in in_
  // Byte accounting of one read or write on either side (access log, counters).
  void countRead(Side side, uint64_t n);
  void countWritten(Side side, uint64_t n);
  void closeUpstream();
  void abort(std::string_view why);
  void finish();
  void logAccess();
  void releaseTransaction(); // the request is done: its state goes, the connection stays

  LoopContext& ctx_;
  std::shared_ptr<const HostConfig> cfg_; // the configuration this transaction started with
  net::Fd fd_;
  Endpoint peer_;    // the client: the TCP peer, or the address a PROXY header carried
  Endpoint tcpPeer_; // the TCP peer itself (a load balancer behind PROXY protocol)
  std::unique_ptr<net::ProxyProtocolParser> proxyHeader_; // until the PROXY header is read
  std::string proxyAuthority_;                            // its AUTHORITY TLV, for the UI
  const ListenerConfig& listener_; // owned by the LoopContext, outlives every session
  Endpoint listenerEndpoint_;      // the address the client connected to
  net::IoWatch watch_;
  net::Timer timer_;
  TxState state_ = TxState::Idle;
  bool closed_ = false;
  bool counted_ = false; // holds a per-client slot in ProxyShared

  // Client side.
  net::Buffer in_;  // bytes from the client not yet consumed
  net::Buffer out_; // bytes for the client generated here (heads, local responses)
  bool clientEof_ = false;
  bool clientBlocked_ = false;
  bool clientShut_ = false;
  net::Clock::time_point connStart_;

  // The current transaction.

  std::unique_ptr<Transaction> tx_; // only while a request is in flight
  TxProgress cur_;                  // reset as a whole when the request is done
  bool closeAfter_ = false;         // close the client connection once this response is written
  dns::ResolveHandle dnsHandle_;
  std::unique_ptr<plugin::PluginTransaction> pluginTx_; // this request's walk through the chain
  bool inFilter_ = false;     // runRequest() is on the stack: its callback must not advance()
  std::shared_ptr<int> life_; // made on first use; weak_ptrs tell late completions we left

  // Request body (client → upstream).

  // Upstream.
  net::Fd up_;
  net::IoWatch upWatch_;
  Endpoint upRemote_;
  bool upReused_ = false;
  bool upConnected_ = false;
  net::Buffer upIn_;
  net::Buffer upOut_;
  bool upEof_ = false;
  bool upBlocked_ = false;
  bool upShut_ = false;

  // Tunnel by splice(2): client → upstream and upstream → client.
  bool spliceTunnel_ = false; // [upstream] splice, read when the tunnel opens; off after a failure
  SpliceLeg toUpstream_;
  SpliceLeg toClient_;

  // Response (upstream → client).

  // Access log.
  uint64_t bytesIn_ = 0;
  uint64_t bytesOut_ = 0;
};

} // namespace exaproxy::proxy
