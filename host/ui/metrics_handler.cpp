#include "ui/metrics_handler.h"

#include "ui/sampler.h"

#include <fmt/format.h>

namespace exaproxy::ui {

namespace {

// Appends one metric family: HELP, TYPE, then its samples (written by the caller).
class Writer {
public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(std::string_view name, double value, std::string_view labels = {}) {
    if (labels.empty())
      out_ += fmt::format("{} {}\n", name, value);
    else
      out_ += fmt::format("{}{{{}}} {}\n", name, labels, value);
  }
  void sample(std::string_view name, uint64_t value, std::string_view labels = {}) {
    if (labels.empty())
      out_ += fmt::format("{} {}\n", name, value);
    else
      out_ += fmt::format("{}{{{}}} {}\n", name, labels, value);
  }
  void single(std::string_view name, std::string_view type, std::string_view help, uint64_t v) {
    family(name, type, help);
    sample(name, v);
  }
  // Buckets converted from milliseconds to seconds and made cumulative, as Prometheus expects.
  void histogram(std::string_view name, std::string_view help, const HistogramValues& h) {
    family(name, "histogram", help);
    std::string bucket = std::string(name) + "_bucket";
    uint64_t cumulative = 0;
    for (size_t i = 0; i + 1 < LatencyHistogram::kBuckets; ++i) {
      cumulative += h.buckets[i];
      double le = static_cast<double>(LatencyHistogram::kBoundsMs[i]) / 1000.0;
      sample(bucket, cumulative, fmt::format("le=\"{}\"", le));
    }
    cumulative += h.buckets[LatencyHistogram::kBuckets - 1];
    // _count must equal the +Inf bucket even if the per-loop sums were read a moment apart.
    sample(bucket, cumulative, "le=\"+Inf\"");
    sample(std::string(name) + "_sum", static_cast<double>(h.sumMs) / 1000.0);
    sample(std::string(name) + "_count", cumulative);
  }
  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

} // namespace

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string prometheusText(const UiSources& sources, int64_t startedUnixMs) {
  Writer w;
  w.family("exaproxy_build_info", "gauge", "Version of the running exaproxy (value is always 1).");
  w.sample("exaproxy_build_info", uint64_t{1},
           fmt::format("version=\"{}\"", escapeLabelValue(EXAPROXY_VERSION)));
  w.family("exaproxy_uptime_seconds", "gauge", "Seconds since the process started.");
  w.sample("exaproxy_uptime_seconds", static_cast<double>(nowUnixMs() - startedUnixMs) / 1000.0);
  if (sources.loops)
    w.single("exaproxy_loops", "gauge", "Event loops serving connections.", sources.loops());
  if (sources.draining)
    w.single("exaproxy_draining", "gauge", "1 while the proxy drains before stopping.",
             sources.draining() ? 1 : 0);

  if (sources.counters) {
    CounterValues c = sources.counters();
    // Counters get the _total suffix the format's conventions ask for; gauges keep their name.
#define EXAPROXY_UI_METRIC(name, kind, help)                                                       \
  {                                                                                                \
    constexpr bool isCounter = std::string_view(#kind) == "counter";                               \
    std::string metric = isCounter ? "exaproxy_" #name "_total" : "exaproxy_" #name;               \
    w.single(metric, #kind, help, c.name);                                                         \
  }
    EXAPROXY_COUNTERS(EXAPROXY_UI_METRIC)
#undef EXAPROXY_UI_METRIC
  }
  if (sources.firstByteLatency)
    w.histogram("exaproxy_first_byte_seconds",
                "Time from the request head parsed to the response head from upstream.",
                sources.firstByteLatency());
  if (sources.totalLatency)
    w.histogram("exaproxy_transaction_seconds",
                "Time from the first byte of the request head to the end of the transaction.",
                sources.totalLatency());

  if (sources.dns) {
    DnsInfo d = sources.dns();
    w.single("exaproxy_dns_queries_total", "counter", "DNS queries sent.", d.queries);
    w.single("exaproxy_dns_cache_hits_total", "counter", "Lookups answered by the DNS cache.",
             d.cacheHits);
    w.single("exaproxy_dns_cache_misses_total", "counter", "Lookups not in the DNS cache.",
             d.cacheMisses);
    w.single("exaproxy_dns_failures_total", "counter", "DNS lookups that failed.", d.failures);
    w.single("exaproxy_dns_inflight", "gauge", "DNS queries waiting for an answer.", d.inflight);
    w.single("exaproxy_dns_cache_entries", "gauge", "Names in the DNS caches (all loops).",
             d.cacheSize);
  }

  if (sources.workers) {
    if (auto wp = sources.workers()) {
      w.single("exaproxy_worker_threads", "gauge", "Worker pool threads.", wp->size);
      w.single("exaproxy_worker_threads_min", "gauge", "Worker pool lower bound.", wp->minSize);
      w.single("exaproxy_worker_threads_max", "gauge", "Worker pool upper bound.", wp->maxSize);
      w.single("exaproxy_worker_busy", "gauge", "Worker threads running a task.", wp->busy);
      w.single("exaproxy_worker_queue_length", "gauge", "Tasks waiting for a worker.", wp->queued);
      w.single("exaproxy_worker_tasks_completed_total", "counter", "Tasks finished by workers.",
               wp->completed);
      w.family("exaproxy_worker_queue_wait_seconds", "gauge",
               "Recent queue wait percentiles of worker tasks.");
      w.sample("exaproxy_worker_queue_wait_seconds", wp->queueWaitP50Ms / 1000.0,
               "quantile=\"0.5\"");
      w.sample("exaproxy_worker_queue_wait_seconds", wp->queueWaitP90Ms / 1000.0,
               "quantile=\"0.9\"");
      w.sample("exaproxy_worker_queue_wait_seconds", wp->queueWaitP99Ms / 1000.0,
               "quantile=\"0.99\"");
    }
  }

  if (sources.plugins) {
    auto plugins = sources.plugins();
    w.family("exaproxy_plugin_loaded", "gauge", "1 for a loaded plugin, 0 for a refused one.");
    for (const auto& p : plugins)
      w.sample("exaproxy_plugin_loaded", uint64_t{p.state == "loaded" ? 1u : 0u},
               fmt::format("plugin=\"{}\"", escapeLabelValue(p.name)));
    w.family("exaproxy_plugin_counter", "gauge", "A plugin's own counters, by name.");
    for (const auto& p : plugins)
      for (const auto& [name, value] : p.counters)
        w.sample("exaproxy_plugin_counter", value,
                 fmt::format("plugin=\"{}\",name=\"{}\"", escapeLabelValue(p.name),
                             escapeLabelValue(name)));
  }
  return w.take();
}

} // namespace exaproxy::ui
