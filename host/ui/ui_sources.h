// What the web interface reads, as callbacks that main.cpp fills from the proxy's Server (and,
// once they exist, from the plugin runtime and the worker pool). host/ui never includes
// host/proxy: the callbacks return the small structs below, and the adapters at the end copy a
// Server snapshot into them by field name, so main.cpp stays one line per source.
//
// Every callback is called on a UI thread (an HTTP handler or the 1 s sampler), never on a loop,
// and may be called concurrently: each must be thread-safe and bounded in time (Server's
// snapshots ask the loops by message and wait at most 500 ms).
#pragma once

#include "core/config.h"
#include "core/counters.h"
#include "core/logging.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace exaproxy::ui {

// Every counter of core/counters.h, summed over the loops.
struct CounterValues {
#define EXAPROXY_UI_COUNTER_FIELD(name, kind, help) uint64_t name = 0;
  EXAPROXY_COUNTERS(EXAPROXY_UI_COUNTER_FIELD)
#undef EXAPROXY_UI_COUNTER_FIELD
};

// A latency histogram with LatencyHistogram::kBoundsMs upper bounds; buckets are per bucket (not
// cumulative), the last one is +Inf.
struct HistogramValues {
  uint64_t buckets[LatencyHistogram::kBuckets] = {};
  uint64_t count = 0;
  uint64_t sumMs = 0;
};

// One client connection.
struct ConnectionInfo {
  std::string client;   // address:port after PROXY protocol
  std::string identity; // user or forwarded client set by an identity plugin; empty if none
  std::string state;    // TxState name: ReadingHead, Relaying, Idle, ...
  std::string method;
  std::string target;
  std::string upstream;
  uint64_t bytesIn = 0;
  uint64_t bytesOut = 0;
  double ageSeconds = 0;
};

struct DnsEntry {
  std::string name;
  std::string status; // "ok", "nxdomain", ... (a status other than ok is a negative entry)
  std::vector<std::string> addresses;
  int64_t remainingSeconds = 0;
};

struct DnsInfo {
  uint64_t queries = 0, cacheHits = 0, cacheMisses = 0, failures = 0;
  uint64_t inflight = 0, cacheSize = 0;
  std::vector<DnsEntry> entries; // every loop's cache: a name cached by two loops shows twice
};

// One plugin as the runtime sees it (filled by the lead from host/plugin).
struct PluginInfo {
  std::string name; // conf.d entry name, "NN-name"
  std::string file; // the .so
  std::string version;
  std::string vendor;
  std::string abi; // "major.minor" the plugin was built for
  std::string description;
  std::string state;  // "loaded", "refused" (or "configured" when there is no runtime)
  std::string reason; // why it was refused; empty when loaded
  std::vector<std::pair<std::string, uint64_t>> counters; // the host's, EXAPROXY_PLUGIN_COUNTERS
  std::string statusJson; // the plugin's own status; shown as JSON when valid, as text otherwise
  std::string pluginName; // the descriptor's name ("acl"): /metrics names its metrics after it
  // A metric the plugin defined (metric_define), with the kind and help it declared.
  struct Metric {
    std::string name;
    std::string help;
    bool gauge = false;
    int64_t value = 0;
  };
  std::vector<Metric> metrics;
  std::string change;   // what the last load/reload did: "loaded", "upgraded 1.0.0 -> 1.0.1"...
  bool required = true; // [plugin] required: a refusal stops the start / rejects a reload
};

// The adaptive worker pool (filled by the lead from host/workers).
struct WorkerPoolInfo {
  uint64_t size = 0, minSize = 0, maxSize = 0; // threads now, and the configured bounds
  uint64_t busy = 0;                           // threads running a task
  uint64_t queued = 0;                         // tasks waiting
  uint64_t submitted = 0, completed = 0;       // tasks since start
  uint64_t grown = 0, shrunk = 0;              // threads added on queue wait / retired when idle
  double queueWaitP50Ms = 0, queueWaitP90Ms = 0, queueWaitP99Ms = 0; // recent queue wait
  uint64_t queueWaits = 0;   // queue waits measured since start (jobs a worker took)
  double queueWaitSumMs = 0; // and their sum
};

struct UiSources {
  std::function<CounterValues()> counters;
  std::function<HistogramValues()> firstByteLatency;
  std::function<HistogramValues()> totalLatency;
  std::function<std::vector<ConnectionInfo>()> connections;
  std::function<DnsInfo()> dns;
  std::function<std::shared_ptr<const HostConfig>()> config;
  std::function<std::vector<LogRecord>()> log; // core/logging.h recentLogRecords()
  std::function<unsigned()> loops;
  std::function<bool()> draining;
  // Optional: empty means "no plugin runtime" / "no worker pool" (the page says so).
  std::function<std::vector<PluginInfo>()> plugins;
  std::function<std::optional<WorkerPoolInfo>()> workers;
  // The one state-changing action: what SIGHUP does. Must return quickly (it only asks).
  std::function<void()> reload;
};

// Wall-clock milliseconds since the epoch (the page shows local times from it).
inline int64_t nowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Adapters from the proxy's snapshot types, matched by field name so that host/ui does not
// include host/proxy. A field added to the X-macro is picked up by both sides at once.
template <typename Totals> CounterValues countersFrom(const Totals& t) {
  CounterValues v;
#define EXAPROXY_UI_COPY_FIELD(name, kind, help) v.name = t.name;
  EXAPROXY_COUNTERS(EXAPROXY_UI_COPY_FIELD)
#undef EXAPROXY_UI_COPY_FIELD
  return v;
}

template <typename Histogram> HistogramValues histogramFrom(const Histogram& h) {
  HistogramValues v;
  for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i)
    v.buckets[i] = h.buckets[i];
  v.count = h.count;
  v.sumMs = h.sumMs;
  return v;
}

// toString(state) is found by argument-dependent lookup in the state's namespace.
template <typename Sessions> std::vector<ConnectionInfo> connectionsFrom(const Sessions& sessions) {
  std::vector<ConnectionInfo> out;
  out.reserve(sessions.size());
  for (const auto& s : sessions) {
    ConnectionInfo c;
    c.client = s.client;
    if constexpr (requires { s.identity; })
      c.identity = s.identity;
    c.state = std::string(toString(s.state));
    c.method = s.method;
    c.target = s.target;
    c.upstream = s.upstream;
    c.bytesIn = s.bytesIn;
    c.bytesOut = s.bytesOut;
    c.ageSeconds = s.ageSeconds;
    out.push_back(std::move(c));
  }
  return out;
}

template <typename Snapshot> DnsInfo dnsFrom(const Snapshot& d) {
  DnsInfo v;
  v.queries = d.queries;
  v.cacheHits = d.cacheHits;
  v.cacheMisses = d.cacheMisses;
  v.failures = d.failures;
  v.inflight = d.inflight;
  v.cacheSize = d.cacheSize;
  v.entries.reserve(d.entries.size());
  for (const auto& e : d.entries) {
    DnsEntry entry;
    entry.name = e.name;
    entry.status = std::string(toString(e.answer.status));
    for (const auto& a : e.answer.addresses)
      entry.addresses.push_back(a.toString());
    entry.remainingSeconds = static_cast<int64_t>(e.remaining.count());
    v.entries.push_back(std::move(entry));
  }
  return v;
}

// From workers::PoolStats.
template <typename Stats> WorkerPoolInfo workersFrom(const Stats& w) {
  WorkerPoolInfo v;
  v.size = w.size;
  v.minSize = w.min;
  v.maxSize = w.max;
  v.busy = w.busy;
  v.queued = w.queued;
  v.submitted = w.submitted;
  v.completed = w.completed;
  v.grown = w.grown;
  v.shrunk = w.shrunk;
  v.queueWaitP50Ms = w.waitP50Ms;
  v.queueWaitP90Ms = w.waitP90Ms;
  v.queueWaitP99Ms = w.waitP99Ms;
  v.queueWaits = w.waits;
  v.queueWaitSumMs = static_cast<double>(w.waitSumUs) / 1000.0;
  return v;
}

} // namespace exaproxy::ui
