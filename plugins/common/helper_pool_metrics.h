// Every counter and gauge a HelperPool reports, declared once. A plugin that runs a pool lists the
// same names among its own metrics (the redirector's redirector_metrics.h does) and maps each
// PoolMetric onto its own with the X-macro, so a missing name does not compile.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace exaproxy::common {

#define EXAPROXY_HELPER_POOL_METRICS(COUNTER, GAUGE)                                               \
  COUNTER(requests, "requests handed to the pool")                                                 \
  COUNTER(helper_requests, "requests written to a helper, retries included")                       \
  COUNTER(replies, "answers read from helpers")                                                    \
  COUNTER(latency_us, "sum of helper answer times, microseconds (divide by replies)")              \
  COUNTER(timeouts, "requests a helper did not answer in time")                                    \
  COUNTER(broken, "broken-helper (BH) answers")                                                    \
  COUNTER(errors, "requests that failed without an answer")                                        \
  COUNTER(retries, "requests retried on another helper (BH or a helper that died)")                \
  COUNTER(spawns, "helper processes started")                                                      \
  COUNTER(respawns, "helper processes that died or were killed and replaced")                      \
  COUNTER(spawn_failures, "helper processes that could not be started")                            \
  COUNTER(bypassed, "requests passed without a helper because all were busy (bypass)")             \
  COUNTER(overloaded, "requests refused because the queue was full")                               \
  COUNTER(too_long, "requests too long for the helper's protocol")                                 \
  COUNTER(unexpected_replies, "answers matching no request (unknown channel, late, garbage)")      \
  COUNTER(canary_checks, "canary requests answered")                                               \
  COUNTER(canary_failures, "canary requests a helper answered wrongly (fail-open helper)")         \
  GAUGE(queue, "requests waiting for a helper")                                                    \
  GAUGE(in_flight, "requests being answered by helpers")                                           \
  GAUGE(children, "helper processes running")                                                      \
  GAUGE(busy, "helper processes with a request in flight")                                         \
  GAUGE(idle, "helper processes without a request")                                                \
  GAUGE(canary_failing, "1 while helpers fail the canary")

enum class PoolMetric : size_t {
#define EXAPROXY_HELPER_POOL_ENUM(name, help) name,
  EXAPROXY_HELPER_POOL_METRICS(EXAPROXY_HELPER_POOL_ENUM, EXAPROXY_HELPER_POOL_ENUM)
#undef EXAPROXY_HELPER_POOL_ENUM
      Count
};

struct PoolMetricInfo {
  const char* name;
  const char* help;
  bool gauge;
};

inline constexpr std::array<PoolMetricInfo, static_cast<size_t>(PoolMetric::Count)> kPoolMetrics = {
    {
#define EXAPROXY_HELPER_POOL_COUNTER(name, help) {#name, help, false},
#define EXAPROXY_HELPER_POOL_GAUGE(name, help) {#name, help, true},
        EXAPROXY_HELPER_POOL_METRICS(EXAPROXY_HELPER_POOL_COUNTER, EXAPROXY_HELPER_POOL_GAUGE)
#undef EXAPROXY_HELPER_POOL_COUNTER
#undef EXAPROXY_HELPER_POOL_GAUGE
    }};

// Where a pool reports: (metric, value), a delta for a counter, the new value for a gauge (only
// when it changed). Called on the manager thread, and inside submit() once the pool has stopped.
using PoolMetricSink = std::function<void(PoolMetric, int64_t)>;

} // namespace exaproxy::common
