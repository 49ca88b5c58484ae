// LoopContext: everything one event loop owns — its listeners, resolver, upstream pool, counters,
// the configuration it currently serves with, and its client sessions. Used only on its loop's
// thread, except where a method says otherwise.
#pragma once

#include "core/config.h"
#include "core/counters.h"
#include "dns/resolver.h"
#include "http/error_pages.h"
#include "net/event_loop.h"
#include "net/listener.h"
#include "net/splice_pipe.h"
#include "proxy/destination_policy.h"
#include "proxy/proxy_shared.h"
#include "proxy/transaction_state.h"
#include "proxy/upstream_pool.h"

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace exaproxy::proxy {

class ClientSession;
class IcapServer;

// One line of the connection list (status page, UI).
struct SessionInfo {
  std::string client;
  std::string identity; // the user the plugins gave its current or last request ("" if none)
  TxState state;
  std::string method;
  std::string target;
  std::string upstream;
  uint64_t bytesIn = 0;
  uint64_t bytesOut = 0;
  double ageSeconds = 0;
};

class LoopContext {
public:
  LoopContext(net::EventLoop& loop, std::shared_ptr<const HostConfig> config,
              std::shared_ptr<const LocalHost> localHost, ProxyShared& shared);
  ~LoopContext();

  // Startup (before run): adopt a listening socket bound for this loop.
  void addListener(net::Fd socket, const Endpoint& bound, const ListenerConfig& config);

  // Startup, loop 0 only: serve the ICAP server ([icap_server]) on this bound socket.
  void addIcapServer(net::Fd socket, const Endpoint& bound);
  // Loop thread (posted by SIGHUP): serve new transactions with `config`.
  void applyConfig(std::shared_ptr<const HostConfig> config);
  // Loop thread (posted at SIGHUP and when the web interface binds): where this host is.
  void setLocalHost(std::shared_ptr<const LocalHost> host) { localHost_ = std::move(host); }
  // Loop thread (posted by SIGTERM): stop accepting, close idle clients, let the rest finish.
  // `done` runs on this loop once its last session is gone.
  void startDrain(std::function<void()> done);
  // [timeouts] drain_announce: before startDrain, every response closes its connection (idle
  // ones are left for their next request) while the listeners keep accepting.
  void announceDrain() { announcing_ = true; }
  // Loop thread: what every connection is doing.
  std::vector<SessionInfo> sessions() const;

  net::EventLoop& loop() { return loop_; }
  dns::Resolver& resolver() { return resolver_; }
  UpstreamPool& pool() { return pool_; }
  net::PipePool& pipes() { return pipes_; }
  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }
  LatencyHistogram& firstByteLatency() { return firstByte_; }
  LatencyHistogram& totalLatency() { return total_; }
  const LatencyHistogram& firstByteLatency() const { return firstByte_; }
  const LatencyHistogram& totalLatency() const { return total_; }
  ProxyShared& shared() { return shared_; }
  const std::shared_ptr<const HostConfig>& config() const { return config_; }
  const LocalHost& localHost() const { return *localHost_; }
  const http::ErrorPages& errorPages() const { return *errorPages_; }
  // Responses close their connections: the drain is announced or under way.
  bool draining() const { return draining_ || announcing_; }
  // The loop is being torn down: sessions destroyed now do not tell the plugins their
  // connection closed (the instances go right after; their transactions may outlive them).
  bool tearingDown() const { return tearingDown_; }

  // Called by a session when it ends (from one of its own callbacks): destroyed after dispatch.
  void release(ClientSession* session);

private:
  void onAccept(net::Fd fd, const Endpoint& peer, const ListenerConfig& listener,
                const Endpoint& bound);
  bool admitMore(); // the listeners' gate: below max_connections (else they are paused)
  void pauseListeners();
  void resumeListeners();
  void onDescriptorsExhausted(int err);

  net::EventLoop& loop_;
  std::shared_ptr<const HostConfig> config_;
  std::shared_ptr<const LocalHost> localHost_;
  ProxyShared& shared_;
  Counters counters_;
  LatencyHistogram firstByte_; // request head parsed → response head from upstream
  LatencyHistogram total_;     // request head started → transaction logged
  dns::Resolver resolver_;
  UpstreamPool pool_;
  net::PipePool pipes_; // splice(2) pipes of this loop's tunnels
  std::shared_ptr<const http::ErrorPages> errorPages_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  std::vector<std::unique_ptr<ListenerConfig>> listenerConfigs_;
  std::unordered_map<ClientSession*, std::unique_ptr<ClientSession>> sessions_;
  net::Timer resumeTimer_;
  bool draining_ = false;
  bool announcing_ = false;
  bool tearingDown_ = false;
  bool acceptPaused_ = false;             // at max_connections (accept.paused logged)
  net::Clock::time_point pausedAt_{};     // when, for accept.resumed
  net::Clock::time_point exhaustedLog_{}; // the last descriptors_exhausted line (rate limit)
  uint64_t exhaustedUnlogged_ = 0;        // events since that line
  std::function<void()> drained_;
  std::unique_ptr<IcapServer> icap_; // loop 0 with [icap_server] enabled; destroyed first
};

// The resolver settings of a host configuration.
dns::ResolverConfig resolverConfig(const HostConfig& c);

} // namespace exaproxy::proxy
