// Every counter and gauge of the redirector, declared once: the list generates the Metric enum,
// the names the UI and /metrics show (plugin_<name>_<metric>) and the status JSON. It holds every
// metric of the helper pool (plugins/common/helper_pool_metrics.h) under the same name, plus the
// redirector's decisions (allowed ... denied); fromPool() maps the pool's onto these.
#pragma once

#include "helper_pool_metrics.h"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace exaproxy::redirector {

#define EXAPROXY_REDIRECTOR_METRICS(COUNTER, GAUGE)                                                \
  COUNTER(requests, "requests handed to the redirector")                                           \
  COUNTER(helper_requests, "requests written to a helper, retries included")                       \
  COUNTER(replies, "answers read from helpers")                                                    \
  COUNTER(latency_us, "sum of helper answer times, microseconds (divide by replies)")              \
  COUNTER(allowed, "requests the helpers let through unchanged")                                   \
  COUNTER(rewritten, "requests rewritten (URL or headers)")                                        \
  COUNTER(routed, "requests sent to another host:port")                                            \
  COUNTER(redirected, "requests answered with a redirect")                                         \
  COUNTER(responded, "requests answered with a helper's page or file")                             \
  COUNTER(denied, "requests denied by a helper (CONNECT to a block page)")                         \
  COUNTER(timeouts, "requests a helper did not answer in time (on_timeout policy)")                \
  COUNTER(broken, "BH answers")                                                                    \
  COUNTER(errors, "requests answered by the on_error policy")                                      \
  COUNTER(retries, "requests retried on another helper (BH or a helper that died)")                \
  COUNTER(spawns, "helper processes started")                                                      \
  COUNTER(respawns, "helper processes that died or were killed and replaced")                      \
  COUNTER(spawn_failures, "helper processes that could not be started")                            \
  COUNTER(bypassed, "requests passed without a helper because all were busy (bypass)")             \
  COUNTER(overloaded, "requests refused because the queue was full")                               \
  COUNTER(too_long, "requests too long for a helper line (414)")                                   \
  COUNTER(unexpected_replies, "answers matching no request (unknown channel, late, garbage)")      \
  COUNTER(canary_checks, "canary requests answered")                                               \
  COUNTER(canary_failures, "canary requests a helper did not rewrite (fail-open helper)")          \
  GAUGE(queue, "requests waiting for a helper")                                                    \
  GAUGE(in_flight, "requests being answered by helpers")                                           \
  GAUGE(children, "helper processes running")                                                      \
  GAUGE(busy, "helper processes with a request in flight")                                         \
  GAUGE(idle, "helper processes without a request")                                                \
  GAUGE(canary_failing, "1 while helpers fail the canary")

enum class Metric : size_t {
#define EXAPROXY_REDIRECTOR_ENUM(name, help) name,
  EXAPROXY_REDIRECTOR_METRICS(EXAPROXY_REDIRECTOR_ENUM, EXAPROXY_REDIRECTOR_ENUM)
#undef EXAPROXY_REDIRECTOR_ENUM
      Count
};

struct MetricInfo {
  const char* name;
  const char* help;
  bool gauge;
};

inline constexpr std::array<MetricInfo, static_cast<size_t>(Metric::Count)> kMetrics = {{
#define EXAPROXY_REDIRECTOR_COUNTER(name, help) {#name, help, false},
#define EXAPROXY_REDIRECTOR_GAUGE(name, help) {#name, help, true},
    EXAPROXY_REDIRECTOR_METRICS(EXAPROXY_REDIRECTOR_COUNTER, EXAPROXY_REDIRECTOR_GAUGE)
#undef EXAPROXY_REDIRECTOR_COUNTER
#undef EXAPROXY_REDIRECTOR_GAUGE
}};

// The redirector's metric for one of the pool's (same name: a missing one does not compile).
constexpr Metric fromPool(common::PoolMetric m) {
  switch (m) {
#define EXAPROXY_REDIRECTOR_FROM_POOL(name, help)                                                  \
  case common::PoolMetric::name:                                                                   \
    return Metric::name;
    EXAPROXY_HELPER_POOL_METRICS(EXAPROXY_REDIRECTOR_FROM_POOL, EXAPROXY_REDIRECTOR_FROM_POOL)
#undef EXAPROXY_REDIRECTOR_FROM_POOL
  case common::PoolMetric::Count:
    break;
  }
  return Metric::Count;
}

// The values (any thread, lock-free), mirrored to an optional sink (the host's metrics).
class Metrics {
public:
  // (metric, value, isGauge): delta for counters, the new value for gauges.
  using Sink = std::function<void(Metric, int64_t, bool)>;

  explicit Metrics(Sink sink = {}) : sink_(std::move(sink)) {}

  void add(Metric m, int64_t delta = 1) {
    values_[index(m)].fetch_add(delta, std::memory_order_relaxed);
    if (sink_)
      sink_(m, delta, false);
  }
  void set(Metric m, int64_t value) {
    if (values_[index(m)].exchange(value, std::memory_order_relaxed) != value && sink_)
      sink_(m, value, true);
  }
  int64_t get(Metric m) const { return values_[index(m)].load(std::memory_order_relaxed); }

private:
  static size_t index(Metric m) { return static_cast<size_t>(m); }
  std::array<std::atomic<int64_t>, static_cast<size_t>(Metric::Count)> values_{};
  Sink sink_;
};

} // namespace exaproxy::redirector
