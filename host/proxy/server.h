// Server: the proxy's process-level lifecycle — bind the listeners (one SO_REUSEPORT socket per
// loop), start the loops on their threads, reload, drain and stop. main.cpp only wires this to
// the command line and to signals.
#pragma once

#include "core/config.h"
#include "core/result.h"
#include "proxy/destination_policy.h"
#include "proxy/loop_context.h"
#include "proxy/proxy_shared.h"

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace exaproxy::proxy {

// Sums of every loop's counters (plain numbers: a snapshot).
struct CounterTotals {
#define EXAPROXY_TOTAL_FIELD(name, kind, help) uint64_t name = 0;
  EXAPROXY_COUNTERS(EXAPROXY_TOTAL_FIELD)
#undef EXAPROXY_TOTAL_FIELD
};

struct HistogramTotals {
  uint64_t buckets[LatencyHistogram::kBuckets] = {}; // per bucket, not cumulative
  uint64_t count = 0;
  uint64_t sumMs = 0;
};

struct DnsSnapshot {
  uint64_t queries = 0, cacheHits = 0, cacheMisses = 0, failures = 0;
  size_t inflight = 0, cacheSize = 0;
  std::vector<dns::DnsCache::EntryInfo> entries; // every loop's cache (a name may repeat)
};

class Server {
public:
  explicit Server(std::shared_ptr<const HostConfig> config);
  // Before start(): the plugin runtime and the worker pool the sessions use. Both outlive the
  // server (main owns them); without them the chain is empty and files are read on the loop.
  void attach(plugin::PluginRuntime* runtime, workers::WorkerPool* workers) {
    shared_.runtime = runtime;
    shared_.workers = workers;
  }
  ~Server();

  // Binds every listener for every loop. Run before dropping privileges.
  Status bind();
  // Starts the loops; returns once every loop is running. Returns the bound addresses.
  std::vector<Endpoint> start();
  // SIGHUP: applies a validated configuration to every loop (live settings only) and returns
  // what needs a restart to change.
  // Re-reads the host's interface addresses too.
  std::vector<std::string> reload(std::shared_ptr<const HostConfig> config);
  // After start(): the web interface listens on `ui`; no request may reach it. Returns once
  // every loop knows.
  void protectUi(const Endpoint& ui);
  // SIGTERM with [timeouts] drain_announce, before drain(): /healthz answers 503 and every
  // response closes its connection while the listeners keep accepting (a load balancer sees the
  // drain before connections are refused). Returns at once.
  void announceDrain();
  // SIGTERM: stops accepting and waits up to the drain time for in-flight transactions.
  // Returns true if everything finished in time.
  bool drain();
  // Stops the loops now and joins their threads; sessions stay until release().
  void stop();
  // After stop() (and after the worker pool is joined, so no job can post any more): runs what
  // was posted to the loops meanwhile (plugin completions free the plugins' memory), then
  // destroys the sessions. The destructor does it too.
  void release();

  const std::vector<Endpoint>& endpoints() const { return shared_.listenEndpoints; }
  // The ICAP server's bound address ([icap_server] enabled), after bind().
  const std::optional<Endpoint>& icapEndpoint() const { return icapEndpoint_; }

  // Snapshots for the control plane (any thread). Counters are read without involving the loops;
  // the others are asked of each loop by message and wait at most `wait` for the answers (a loop
  // that does not answer in time is left out, never blocked on).
  CounterTotals counters() const;
  HistogramTotals firstByteLatency() const;
  HistogramTotals totalLatency() const;
  std::vector<SessionInfo>
  sessions(std::chrono::milliseconds wait = std::chrono::milliseconds(500)) const;
  DnsSnapshot dns(std::chrono::milliseconds wait = std::chrono::milliseconds(500)) const;
  std::shared_ptr<const HostConfig> config() const;
  unsigned loopCount() const { return loopCount_; }
  bool draining() const { return shared_.draining.load(std::memory_order_relaxed); }

private:
  struct Loop {
    std::unique_ptr<net::EventLoop> loop;
    std::unique_ptr<LoopContext> ctx;
    std::unique_ptr<net::Timer> logFlush; // writes the loop's batched access-log lines
    std::unique_ptr<net::Timer> denials;  // loop 0: the refusals' summary line (denial_log.h)
    std::thread thread;
  };

  template <typename T, typename Fn>
  std::vector<T> askLoops(Fn fn, std::chrono::milliseconds wait) const;

  mutable std::mutex configMutex_; // config_ is swapped by reload() while the UI reads it
  std::shared_ptr<const HostConfig> config_;
  ProxyShared shared_;
  std::shared_ptr<const LocalHost> localHost_; // main thread; loops get copies by message
  unsigned loopCount_ = 1;
  std::vector<std::vector<net::Fd>> sockets_; // [loop][listener]
  net::Fd icapSocket_;                        // loop 0's, until start()
  std::optional<Endpoint> icapEndpoint_;
  std::vector<Loop> loops_;
};

} // namespace exaproxy::proxy
