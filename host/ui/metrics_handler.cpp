#include "ui/metrics_handler.h"

#include "ui/metric_names.h"
#include "ui/sampler.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>

namespace exaproxy::ui {

namespace {

// Appends one metric family: HELP, TYPE, then its samples (written by the caller).
class Writer {
public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    declared_.emplace(name);
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escapeHelp(help), name, type);
  }
  bool declared(const std::string& name) const { return declared_.count(name) != 0; }
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
  // Quantile samples over a recent window, then the all-time _sum and _count.
  void summary(std::string_view name, std::string_view help,
               const std::vector<std::pair<std::string_view, double>>& quantiles, double sum,
               uint64_t count) {
    family(name, "summary", help);
    for (const auto& [q, v] : quantiles)
      sample(name, v, fmt::format("quantile=\"{}\"", q));
    sample(std::string(name) + "_sum", sum);
    sample(std::string(name) + "_count", count);
  }
  // Text written as it is (samples a caller grouped itself).
  void raw(std::string_view text) { out_ += text; }
  std::string take() { return std::move(out_); }

private:
  // HELP text: backslash and newline escaped, as the format requires.
  static std::string escapeHelp(std::string_view help) {
    std::string out;
    for (char c : help) {
      if (c == '\\')
        out += "\\\\";
      else if (c == '\n')
        out += "\\n";
      else
        out += c;
    }
    return out;
  }

  std::string out_;
  std::set<std::string, std::less<>> declared_;
};

// One family of plugin-defined metrics, its samples grouped whatever the plugin order.
struct PluginFamily {
  std::string name;
  bool counter = false;
  std::string help; // the first instance's (two versions of a plugin may word it differently)
  std::string samples;
  std::set<std::string> instances; // one sample per conf.d entry
};

// The plugins' own metrics, one family per (plugin name, metric): exaproxy_plugin_<name>_<metric>
// {plugin="<entry>"}. A name the host already exports, or one two metrics sanitise to with
// different kinds, keeps its first owner; the other is left out rather than break the format.
void pluginMetrics(Writer& w, const std::vector<PluginInfo>& plugins) {
  std::vector<PluginFamily> families;
  std::map<std::string, size_t> byName;
  for (const auto& p : plugins) {
    for (const auto& m : p.metrics) {
      std::string name = pluginMetricFamily(p.pluginName, m.name, !m.gauge);
      if (w.declared(name))
        continue;
      auto [it, fresh] = byName.emplace(name, families.size());
      if (fresh)
        families.push_back(PluginFamily{name, !m.gauge, m.help, {}, {}});
      auto& f = families[it->second];
      if (f.counter == m.gauge || !f.instances.insert(p.name).second)
        continue;
      // A counter is monotonic: a negative value (a plugin's misuse of metric_add) shows as 0.
      int64_t value = f.counter && m.value < 0 ? 0 : m.value;
      f.samples += fmt::format("{}{{plugin=\"{}\"}} {}\n", name, escapeLabelValue(p.name), value);
    }
  }
  for (const auto& f : families) {
    w.family(f.name, f.counter ? "counter" : "gauge",
             f.help.empty() ? "Defined by the plugin (no help given)." : f.help);
    w.raw(f.samples);
  }
}

// The host's counters of each plugin: exaproxy_plugin_<counter>_total{plugin="<entry>"}.
void pluginHostCounters(Writer& w, const std::vector<PluginInfo>& plugins) {
  auto valueOf = [](const PluginInfo& p, std::string_view counter) -> std::optional<uint64_t> {
    for (const auto& [name, value] : p.counters)
      if (name == counter)
        return value;
    return std::nullopt;
  };
#define EXAPROXY_UI_PLUGIN_COUNTER(counter, help)                                                  \
  {                                                                                                \
    std::string metric = "exaproxy_plugin_" #counter "_total";                                     \
    w.family(metric, "counter", "Per plugin: " help ".");                                          \
    for (const auto& p : plugins)                                                                  \
      if (auto v = valueOf(p, #counter))                                                           \
        w.sample(metric, *v, fmt::format("plugin=\"{}\"", escapeLabelValue(p.name)));              \
  }
  EXAPROXY_PLUGIN_COUNTERS(EXAPROXY_UI_PLUGIN_COUNTER)
#undef EXAPROXY_UI_PLUGIN_COUNTER
}

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
  if (auto cfg = sources.config ? sources.config() : nullptr) {
    w.family("exaproxy_config_info", "gauge",
             "SHA-256 of conf.d's files before --set (value is always 1): instances that should "
             "share one configuration show the same hash.");
    w.sample("exaproxy_config_info", uint64_t{1},
             fmt::format("hash=\"{}\"", escapeLabelValue(cfg->confHash)));
  }
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
      w.summary("exaproxy_worker_queue_wait_seconds",
                "Time worker tasks waited in the queue (quantiles over the last 1024 tasks).",
                {{"0.5", wp->queueWaitP50Ms / 1000.0},
                 {"0.9", wp->queueWaitP90Ms / 1000.0},
                 {"0.99", wp->queueWaitP99Ms / 1000.0}},
                wp->queueWaitSumMs / 1000.0, wp->queueWaits);
    }
  }

  if (sources.plugins) {
    auto plugins = sources.plugins();
    w.family("exaproxy_plugin_loaded", "gauge", "1 for a loaded plugin, 0 for a refused one.");
    for (const auto& p : plugins)
      w.sample("exaproxy_plugin_loaded", uint64_t{p.state == "loaded" ? 1u : 0u},
               fmt::format("plugin=\"{}\"", escapeLabelValue(p.name)));
    pluginHostCounters(w, plugins);
    pluginMetrics(w, plugins);
  }
  return w.take();
}

} // namespace exaproxy::ui
