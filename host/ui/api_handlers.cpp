#include "ui/api_handlers.h"

#include <algorithm>
#include <map>
#include <set>

namespace exaproxy::ui {

using nlohmann::json;

namespace {

template <typename T> json orNull(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

double ratio(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

// Clamps a page to the list.
std::pair<size_t, size_t> pageOf(size_t total, size_t offset, size_t limit) {
  size_t first = std::min(offset, total);
  size_t count = std::min(limit, total - first);
  return {first, count};
}

json latencyJson(const HistogramValues& h) {
  return {
      {"count", h.count},
      {"averageMs", h.count ? static_cast<double>(h.sumMs) / static_cast<double>(h.count) : 0.0},
      {"p50Ms", histogramPercentileMs(h, 0.50)},
      {"p90Ms", histogramPercentileMs(h, 0.90)},
      {"p99Ms", histogramPercentileMs(h, 0.99)}};
}

json dnsTotalsJson(const DnsInfo& d) {
  return {{"queries", d.queries},
          {"cacheHits", d.cacheHits},
          {"cacheMisses", d.cacheMisses},
          {"failures", d.failures},
          {"inflight", d.inflight},
          {"cacheSize", d.cacheSize},
          {"hitRatio", ratio(d.cacheHits, d.cacheHits + d.cacheMisses)}};
}

json workersJson(const WorkerPoolInfo& w) {
  return {{"available", true},
          {"size", w.size},
          {"min", w.minSize},
          {"max", w.maxSize},
          {"busy", w.busy},
          {"queued", w.queued},
          {"submitted", w.submitted},
          {"completed", w.completed},
          {"grown", w.grown},
          {"shrunk", w.shrunk},
          {"queueWaitMs",
           {{"p50", w.queueWaitP50Ms}, {"p90", w.queueWaitP90Ms}, {"p99", w.queueWaitP99Ms}}}};
}

int levelRank(std::string_view level) {
  static const std::pair<std::string_view, int> kRanks[] = {
      {"trace", 0}, {"debug", 1}, {"info", 2},    {"warning", 3},
      {"warn", 3},  {"error", 4}, {"critical", 5}};
  for (const auto& [name, rank] : kRanks)
    if (name == level)
      return rank;
  return 2;
}

} // namespace

double histogramPercentileMs(const HistogramValues& h, double q) {
  uint64_t total = 0;
  for (auto b : h.buckets)
    total += b;
  if (total == 0)
    return 0;
  double target = q * static_cast<double>(total);
  uint64_t seen = 0;
  constexpr size_t kFinite = LatencyHistogram::kBuckets - 1;
  for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
    if (h.buckets[i] == 0)
      continue;
    if (static_cast<double>(seen + h.buckets[i]) >= target) {
      if (i == kFinite)
        return static_cast<double>(LatencyHistogram::kBoundsMs[kFinite - 1]);
      double lower = i == 0 ? 0.0 : static_cast<double>(LatencyHistogram::kBoundsMs[i - 1]);
      double upper = static_cast<double>(LatencyHistogram::kBoundsMs[i]);
      double within = (target - static_cast<double>(seen)) / static_cast<double>(h.buckets[i]);
      return lower + (upper - lower) * std::clamp(within, 0.0, 1.0);
    }
    seen += h.buckets[i];
  }
  return static_cast<double>(LatencyHistogram::kBoundsMs[kFinite - 1]);
}

ApiHandlers::ApiHandlers(const UiSources& sources, const Sampler& sampler, int64_t startedUnixMs)
    : sources_(sources), sampler_(sampler), startedUnixMs_(startedUnixMs) {}

json ApiHandlers::stats() const {
  CounterValues c = sources_.counters ? sources_.counters() : CounterValues{};
  int64_t now = nowUnixMs();
  json out;
  out["version"] = EXAPROXY_VERSION;
  out["time"] = now;
  out["uptimeSeconds"] = static_cast<double>(now - startedUnixMs_) / 1000.0;
  out["loops"] = sources_.loops ? sources_.loops() : 0u;
  out["draining"] = sources_.draining ? sources_.draining() : false;

  // Rates: the sampler's last interval (about a second old at most).
  json rates = json::object();
  double requestsPerSec = 0, fromClientsPerSec = 0, toClientsPerSec = 0;
  if (auto two = sampler_.lastTwo()) {
    const auto& [a, b] = *two;
    double dt = static_cast<double>(b.unixMs - a.unixMs) / 1000.0;
    auto perSec = [dt](uint64_t now2, uint64_t before) {
      return dt > 0 && now2 >= before ? static_cast<double>(now2 - before) / dt : 0.0;
    };
#define EXAPROXY_UI_RATE(name, kind, help)                                                         \
  if (std::string_view(#kind) == "counter")                                                        \
    rates[#name] = perSec(b.counters.name, a.counters.name);
    EXAPROXY_COUNTERS(EXAPROXY_UI_RATE)
#undef EXAPROXY_UI_RATE
    requestsPerSec = rates["requests"].get<double>();
    fromClientsPerSec = rates["bytes_from_clients"].get<double>();
    toClientsPerSec = rates["bytes_to_clients"].get<double>();
  }

  out["requests"] = {{"total", c.requests}, {"perSecond", requestsPerSec}};
  out["responses"] = {{"1xx", c.responses_1xx}, {"2xx", c.responses_2xx},
                      {"3xx", c.responses_3xx}, {"4xx", c.responses_4xx},
                      {"5xx", c.responses_5xx}, {"local", c.local_responses}};
  out["connections"] = {{"active", c.connections_active},
                        {"idle", c.connections_idle},
                        {"accepted", c.connections_accepted},
                        {"refused", c.connections_refused}};
  out["upstream"] = {{"connects", c.upstream_connects},
                     {"reused", c.upstream_reused},
                     {"pooled", c.upstream_pooled},
                     {"connectErrors", c.upstream_connect_errors}};
  out["tunnels"] = {{"total", c.tunnels}, {"active", c.tunnels_active}};
  out["bytes"] = {
      {"fromClients", c.bytes_from_clients},       {"toClients", c.bytes_to_clients},
      {"fromUpstream", c.bytes_from_upstream},     {"toUpstream", c.bytes_to_upstream},
      {"fromClientsPerSecond", fromClientsPerSec}, {"toClientsPerSecond", toClientsPerSec}};
  // Per address family: IPv6 counted, IPv4 the rest.
  auto v4 = [](uint64_t all, uint64_t v6) { return all >= v6 ? all - v6 : 0; };
  out["bytesByFamily"] = {{"ipv4",
                           {{"fromClients", v4(c.bytes_from_clients, c.bytes_from_clients_v6)},
                            {"toClients", v4(c.bytes_to_clients, c.bytes_to_clients_v6)},
                            {"fromUpstream", v4(c.bytes_from_upstream, c.bytes_from_upstream_v6)},
                            {"toUpstream", v4(c.bytes_to_upstream, c.bytes_to_upstream_v6)}}},
                          {"ipv6",
                           {{"fromClients", c.bytes_from_clients_v6},
                            {"toClients", c.bytes_to_clients_v6},
                            {"fromUpstream", c.bytes_from_upstream_v6},
                            {"toUpstream", c.bytes_to_upstream_v6}}}};
  out["errors"] = {{"parse", c.parse_errors},
                   {"denied", c.denied},
                   {"connectionsRefused", c.connections_refused},
                   {"upstreamConnect", c.upstream_connect_errors},
                   {"upstreamBadResponse", c.upstream_bad_responses},
                   {"upstreamTimeout", c.upstream_timeouts},
                   {"dns", c.dns_errors}};

  // DNS totals from the sampler when fresh, else asked now (the first request after idling).
  std::optional<DnsInfo> dns;
  if (auto last = sampler_.latest(); last && last->dns && now - last->unixMs < 2000)
    dns = last->dns;
  else if (sources_.dns)
    dns = sources_.dns();
  out["dns"] = dns ? dnsTotalsJson(*dns) : json(nullptr);

  out["latency"] = {
      {"firstByte",
       latencyJson(sources_.firstByteLatency ? sources_.firstByteLatency() : HistogramValues{})},
      {"total", latencyJson(sources_.totalLatency ? sources_.totalLatency() : HistogramValues{})}};

  json counters = json::object();
#define EXAPROXY_UI_COUNTER_JSON(name, kind, help) counters[#name] = c.name;
  EXAPROXY_COUNTERS(EXAPROXY_UI_COUNTER_JSON)
#undef EXAPROXY_UI_COUNTER_JSON
  out["counters"] = std::move(counters);
  out["rates"] = std::move(rates);
  return out;
}

json ApiHandlers::connections(size_t offset, size_t limit) const {
  auto list = sources_.connections ? sources_.connections() : std::vector<ConnectionInfo>{};
  // Oldest first: a stable order while the page refreshes, and the long-lived ones on top.
  std::stable_sort(list.begin(), list.end(), [](const ConnectionInfo& a, const ConnectionInfo& b) {
    return a.ageSeconds > b.ageSeconds;
  });
  std::map<std::string, uint64_t> states;
  for (const auto& c : list)
    ++states[c.state];
  auto [first, count] = pageOf(list.size(), offset, limit);
  json rows = json::array();
  for (size_t i = first; i < first + count; ++i) {
    const auto& c = list[i];
    rows.push_back({{"client", c.client},
                    {"identity", c.identity},
                    {"state", c.state},
                    {"method", c.method},
                    {"target", c.target},
                    {"upstream", c.upstream},
                    {"bytesIn", c.bytesIn},
                    {"bytesOut", c.bytesOut},
                    {"ageSeconds", c.ageSeconds}});
  }
  return {{"total", list.size()},
          {"offset", first},
          {"limit", limit},
          {"states", states},
          {"connections", rows}};
}

json ApiHandlers::plugins() const {
  json rows = json::array();
  if (sources_.plugins) {
    for (const auto& p : sources_.plugins()) {
      json status = p.statusJson;
      if (!p.statusJson.empty()) {
        // A plugin's own JSON is shown as such; text that does not parse is shown as text.
        auto parsed = json::parse(p.statusJson, nullptr, false);
        if (!parsed.is_discarded())
          status = std::move(parsed);
      } else {
        status = nullptr;
      }
      json counters = json::object();
      for (const auto& [name, value] : p.counters)
        counters[name] = value;
      for (const auto& m : p.metrics) // the plugin's own, beside the host's (as on the page)
        counters[m.name] = m.value;
      rows.push_back({{"name", p.name},
                      {"file", p.file},
                      {"version", p.version},
                      {"vendor", p.vendor},
                      {"abi", p.abi},
                      {"description", p.description},
                      {"state", p.state},
                      {"reason", p.reason},
                      {"change", p.change},
                      {"required", p.required},
                      {"counters", counters},
                      {"status", status}});
    }
    return {{"runtime", true}, {"plugins", rows}};
  }
  // No runtime yet: what conf.d enables, so the operator sees what would be loaded.
  auto cfg = sources_.config ? sources_.config() : nullptr;
  if (cfg)
    for (const auto& p : cfg->plugins)
      rows.push_back({{"name", p.name},
                      {"file", p.library.string()},
                      {"version", ""},
                      {"vendor", ""},
                      {"abi", ""},
                      {"description", ""},
                      {"state", "configured"},
                      {"reason", "this build has no plugin runtime"},
                      {"change", ""},
                      {"required", p.required},
                      {"counters", json::object()},
                      {"status", nullptr}});
  return {{"runtime", false}, {"plugins", rows}};
}

json ApiHandlers::dns(size_t offset, size_t limit) const {
  if (!sources_.dns)
    return {{"available", false}};
  auto d = sources_.dns();
  std::sort(d.entries.begin(), d.entries.end(), [](const DnsEntry& a, const DnsEntry& b) {
    return a.name != b.name ? a.name < b.name : a.remainingSeconds > b.remainingSeconds;
  });
  size_t negative = 0;
  for (const auto& e : d.entries)
    negative += e.status != "ok";
  auto [first, count] = pageOf(d.entries.size(), offset, limit);
  json rows = json::array();
  for (size_t i = first; i < first + count; ++i) {
    const auto& e = d.entries[i];
    rows.push_back({{"name", e.name},
                    {"status", e.status},
                    {"negative", e.status != "ok"},
                    {"addresses", e.addresses},
                    {"remainingSeconds", e.remainingSeconds}});
  }
  json out = dnsTotalsJson(d);
  out["available"] = true;
  out["totalEntries"] = d.entries.size();
  out["negativeEntries"] = negative;
  out["offset"] = first;
  out["limit"] = limit;
  out["entries"] = std::move(rows);
  return out;
}

json ApiHandlers::workers() const {
  std::optional<WorkerPoolInfo> w;
  if (sources_.workers)
    w = sources_.workers();
  if (!w)
    return {{"available", false}};
  return workersJson(*w);
}

json ApiHandlers::config() const {
  auto cfg = sources_.config ? sources_.config() : nullptr;
  if (!cfg)
    return {{"entries", json::array()}, {"plugins", json::array()}};
  // The last entry for a (section, key) is the one in force.
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<bool> overridden(cfg->entries.size(), false);
  for (size_t i = cfg->entries.size(); i-- > 0;) {
    const auto& e = cfg->entries[i];
    overridden[i] = !seen.insert({e.section, e.key}).second;
  }
  json rows = json::array();
  for (size_t i = 0; i < cfg->entries.size(); ++i) {
    const auto& e = cfg->entries[i];
    rows.push_back({{"section", e.section},
                    {"key", e.key},
                    {"value", e.value},
                    {"file", e.file},
                    {"line", e.line},
                    {"overridden", static_cast<bool>(overridden[i])}});
  }
  json plugins = json::array();
  for (const auto& p : cfg->plugins)
    plugins.push_back(
        {{"name", p.name}, {"library", p.library.string()}, {"settings", p.settings.size()}});
  return {{"entries", rows}, {"plugins", plugins}, {"conf_hash", cfg->confHash}};
}

json ApiHandlers::log(const std::string& minLevel) const {
  int min = levelRank(minLevel.empty() ? "info" : minLevel);
  json rows = json::array();
  if (sources_.log)
    for (const auto& r : sources_.log())
      if (levelRank(r.level) >= min)
        rows.push_back(
            {{"time", r.unixMs}, {"level", r.level}, {"logger", r.logger}, {"message", r.message}});
  return {{"capacity", kRecentLogCapacity}, {"records", rows}};
}

json ApiHandlers::history(int64_t sinceMs) const {
  json rows = json::array();
  for (const auto& p : sampler_.history(sinceMs))
    rows.push_back({{"t", p.unixMs},
                    {"requestsPerSec", p.requestsPerSec},
                    {"errorsPerSec", p.errorsPerSec},
                    {"bytesFromClientsPerSec", p.bytesFromClientsPerSec},
                    {"bytesToClientsPerSec", p.bytesToClientsPerSec},
                    {"connections", p.connections},
                    {"tunnels", p.tunnels},
                    {"dnsHitRatio", orNull(p.dnsHitRatio)},
                    {"dnsLookupsPerSec", orNull(p.dnsLookupsPerSec)},
                    {"workers", orNull(p.workers)},
                    {"workerQueue", orNull(p.workerQueue)},
                    {"queueWaitP90Ms", orNull(p.queueWaitP90Ms)}});
  return {{"intervalMs", 1000},
          {"capacity", Sampler::kHistory},
          {"workersAvailable", static_cast<bool>(sources_.workers)},
          {"points", rows}};
}

} // namespace exaproxy::ui
