// /metrics is valid Prometheus text: every sample belongs to a family declared with HELP and TYPE
// before it, names and labels are well formed, histogram buckets are cumulative and end at +Inf
// equal to _count. The checker below is our own reading of the exposition format 0.0.4.
#include "ui/metrics_handler.h"

#include "fake_sources.h"
#include "ui/metric_names.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace exaproxy::ui {
namespace {

struct MetricSample {
  std::string name;
  std::string labels; // raw text between the braces
  double value = 0;
};

struct Parsed {
  std::map<std::string, std::string> types; // family -> type
  std::set<std::string> helps;
  std::vector<MetricSample> samples;
  std::vector<std::string> problems;
};

// The family a sample belongs to: histogram samples carry a suffix.
std::string familyOf(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      auto base = name.substr(0, name.size() - s.size());
      auto it = types.find(base);
      if (it != types.end() &&
          (it->second == "histogram" || (it->second == "summary" && s != "_bucket")))
        return base;
    }
  }
  return name;
}

Parsed parse(const std::string& text) {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (\S+)$)");
  static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                               "untyped"};
  Parsed p;
  std::istringstream in(text);
  std::string line;
  if (text.empty() || text.back() != '\n')
    p.problems.push_back("the text must end with a newline");
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      auto rest = line.substr(7);
      auto name = rest.substr(0, rest.find(' '));
      if (!std::regex_match(name, kName) || !p.helps.insert(name).second)
        p.problems.push_back("bad or repeated HELP: " + line);
    } else if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      if (!std::regex_match(name, kName) || !kTypes.count(type) || p.types.count(name))
        p.problems.push_back("bad or repeated TYPE: " + line);
      if (!p.helps.count(name))
        p.problems.push_back("TYPE without HELP first: " + line);
      p.types[name] = type;
    } else if (line.empty() || line[0] == '#') {
      p.problems.push_back("unexpected line: '" + line + "'");
    } else {
      std::smatch m;
      if (!std::regex_match(line, m, kSample)) {
        p.problems.push_back("malformed sample: " + line);
        continue;
      }
      MetricSample s{m[1], m[3], 0};
      try {
        s.value = m[4] == "+Inf" ? INFINITY : std::stod(m[4]);
      } catch (...) {
        p.problems.push_back("bad value: " + line);
      }
      if (!p.types.count(familyOf(s.name, p.types)))
        p.problems.push_back("sample before its TYPE: " + line);
      p.samples.push_back(s);
    }
  }
  return p;
}

double valueOf(const Parsed& p, const std::string& name, const std::string& labels = "") {
  for (const auto& s : p.samples)
    if (s.name == name && s.labels == labels)
      return s.value;
  ADD_FAILURE() << "no sample " << name << "{" << labels << "}";
  return -1;
}

TEST(MetricsHandler, IsValidExpositionText) {
  test::FakeProxy fake;
  auto text = prometheusText(fake.sources(), nowUnixMs());
  auto p = parse(text);
  for (const auto& problem : p.problems)
    ADD_FAILURE() << problem;
  EXPECT_GT(p.samples.size(), 40u) << text;
}

TEST(MetricsHandler, CounterNamesComeFromTheXMacro) {
  test::FakeProxy fake;
  auto p = parse(prometheusText(fake.sources(), nowUnixMs()));
#define EXAPROXY_UI_TEST_METRIC(name, kind, help)                                                  \
  {                                                                                                \
    bool counter = std::string_view(#kind) == "counter";                                           \
    std::string metric = counter ? "exaproxy_" #name "_total" : "exaproxy_" #name;                 \
    EXPECT_EQ(p.types[metric], #kind) << metric;                                                   \
  }
  EXAPROXY_COUNTERS(EXAPROXY_UI_TEST_METRIC)
#undef EXAPROXY_UI_TEST_METRIC
  EXPECT_EQ(valueOf(p, "exaproxy_requests_total"), 42);
  EXPECT_EQ(valueOf(p, "exaproxy_connections_active"), 3);
  EXPECT_EQ(valueOf(p, "exaproxy_dns_cache_hits_total"), 6);
  EXPECT_EQ(valueOf(p, "exaproxy_worker_threads"), 4);
  EXPECT_EQ(valueOf(p, "exaproxy_plugin_loaded", "plugin=\"10-xff\""), 1);
  EXPECT_EQ(valueOf(p, "exaproxy_plugin_loaded", "plugin=\"20-bad\""), 0);
  EXPECT_EQ(valueOf(p, "exaproxy_plugin_calls_total", "plugin=\"10-xff\""), 7);
  EXPECT_EQ(valueOf(p, "exaproxy_build_info", "version=\"" EXAPROXY_VERSION "\""), 1);
}

TEST(MetricsHandler, TheConfigurationsHashIsAnInfoMetric) {
  test::FakeProxy fake;
  fake.config->confHash = std::string(64, 'a');
  auto p = parse(prometheusText(fake.sources(), nowUnixMs()));
  EXPECT_EQ(p.types["exaproxy_config_info"], "gauge");
  EXPECT_EQ(valueOf(p, "exaproxy_config_info", "hash=\"" + std::string(64, 'a') + "\""), 1);
}

TEST(MetricsHandler, PluginMetricsAreFamiliesNamedAfterThePlugin) {
  test::FakeProxy fake;
  auto second = fake.plugins[0];
  second.name = "15-xff";
  second.counters = {{"calls", 1}};
  second.metrics[0].value = 9;
  second.metrics[1].value = -1;
  fake.plugins.push_back(second);
  auto text = prometheusText(fake.sources(), nowUnixMs());
  auto p = parse(text);
  for (const auto& problem : p.problems)
    ADD_FAILURE() << problem;
  EXPECT_EQ(text.find("exaproxy_plugin_counter"), std::string::npos) << "the old family is gone";
  // The plugin's counter: its own family, the declared kind and help, one sample per instance.
  EXPECT_EQ(p.types["exaproxy_plugin_xff_forwarded_total"], "counter");
  EXPECT_NE(text.find("# HELP exaproxy_plugin_xff_forwarded_total requests with a trusted "
                      "X-Forwarded-For\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(valueOf(p, "exaproxy_plugin_xff_forwarded_total", "plugin=\"10-xff\""), 5);
  EXPECT_EQ(valueOf(p, "exaproxy_plugin_xff_forwarded_total", "plugin=\"15-xff\""), 9);
  // The gauge: no _total, negative values kept.
  EXPECT_EQ(p.types["exaproxy_plugin_xff_trusted_hops"], "gauge");
  EXPECT_EQ(valueOf(p, "exaproxy_plugin_xff_trusted_hops", "plugin=\"10-xff\""), 2);
  EXPECT_EQ(valueOf(p, "exaproxy_plugin_xff_trusted_hops", "plugin=\"15-xff\""), -1);
  // The host's own counters of each plugin, from the X-macro.
#define EXAPROXY_UI_TEST_PLUGIN_COUNTER(name, help)                                                \
  EXPECT_EQ(p.types["exaproxy_plugin_" #name "_total"], "counter") << #name;
  EXAPROXY_PLUGIN_COUNTERS(EXAPROXY_UI_TEST_PLUGIN_COUNTER)
#undef EXAPROXY_UI_TEST_PLUGIN_COUNTER
  EXPECT_EQ(valueOf(p, "exaproxy_plugin_calls_total", "plugin=\"15-xff\""), 1);
  EXPECT_EQ(valueOf(p, "exaproxy_plugin_denies_total", "plugin=\"10-xff\""), 2);
  // Every family once.
  size_t forwardedTypes = 0;
  for (size_t at = 0;
       (at = text.find("# TYPE exaproxy_plugin_xff_forwarded_total ", at)) != std::string::npos;
       ++at)
    ++forwardedTypes;
  EXPECT_EQ(forwardedTypes, 1u);
}

TEST(MetricsHandler, PluginMetricNamesAreSanitisedAndNeverClash) {
  EXPECT_EQ(pluginMetricFamily("acl", "denied", true), "exaproxy_plugin_acl_denied_total");
  EXPECT_EQ(pluginMetricFamily("acl", "denied_total", true), "exaproxy_plugin_acl_denied_total");
  EXPECT_EQ(pluginMetricFamily("acl", "list_domains", false), "exaproxy_plugin_acl_list_domains");
  EXPECT_EQ(pluginMetricFamily("acl", "domains_total", false), "exaproxy_plugin_acl_domains");
  EXPECT_EQ(pluginMetricFamily("My-Filter.v2", "hits", true),
            "exaproxy_plugin_my_filter_v2_hits_total");
  EXPECT_EQ(pluginMetricFamily("", "x", false), "exaproxy_plugin_unnamed_x");

  test::FakeProxy fake;
  // "fail" + "open" is the host's exaproxy_plugin_fail_open_total: the host's family wins.
  fake.plugins[0].pluginName = "fail";
  fake.plugins[0].metrics = {{"open", "clashes with the host", false, 3},
                             {"kept", "a gauge", true, 1},
                             {"kept_total", "the same name as a counter", false, 2}};
  auto text = prometheusText(fake.sources(), nowUnixMs());
  auto p = parse(text);
  for (const auto& problem : p.problems)
    ADD_FAILURE() << problem;
  EXPECT_EQ(text.find("clashes with the host"), std::string::npos) << text;
  EXPECT_EQ(p.types["exaproxy_plugin_fail_kept"], "gauge");
  EXPECT_EQ(p.types["exaproxy_plugin_fail_kept_total"], "counter");
}

TEST(MetricsHandler, WorkerQueueWaitIsASummary) {
  test::FakeProxy fake;
  auto p = parse(prometheusText(fake.sources(), nowUnixMs()));
  for (const auto& problem : p.problems)
    ADD_FAILURE() << problem;
  EXPECT_EQ(p.types["exaproxy_worker_queue_wait_seconds"], "summary");
  EXPECT_DOUBLE_EQ(valueOf(p, "exaproxy_worker_queue_wait_seconds", "quantile=\"0.99\""), 0.002);
  EXPECT_DOUBLE_EQ(valueOf(p, "exaproxy_worker_queue_wait_seconds_sum"), 0.0495);
  EXPECT_EQ(valueOf(p, "exaproxy_worker_queue_wait_seconds_count"), 99);
}

TEST(MetricsHandler, HelpTextIsEscaped) {
  test::FakeProxy fake;
  fake.plugins[0].metrics[0].help = "two\nlines and a \\ backslash";
  auto text = prometheusText(fake.sources(), nowUnixMs());
  EXPECT_NE(text.find("two\\nlines and a \\\\ backslash\n"), std::string::npos) << text;
  auto p = parse(text);
  for (const auto& problem : p.problems)
    ADD_FAILURE() << problem;
}

TEST(MetricsHandler, HistogramBucketsAreCumulativeInSeconds) {
  test::FakeProxy fake;
  auto p = parse(prometheusText(fake.sources(), nowUnixMs()));
  EXPECT_EQ(p.types["exaproxy_first_byte_seconds"], "histogram");
  EXPECT_EQ(p.types["exaproxy_transaction_seconds"], "histogram");
  std::vector<MetricSample> buckets;
  for (const auto& s : p.samples)
    if (s.name == "exaproxy_first_byte_seconds_bucket")
      buckets.push_back(s);
  ASSERT_EQ(buckets.size(), LatencyHistogram::kBuckets);
  EXPECT_EQ(buckets.front().labels, "le=\"0.001\"");
  EXPECT_EQ(buckets.front().value, 5);
  EXPECT_EQ(buckets[3].labels, "le=\"0.01\"");
  EXPECT_EQ(buckets[3].value, 10);
  EXPECT_EQ(buckets.back().labels, "le=\"+Inf\"");
  for (size_t i = 1; i < buckets.size(); ++i)
    EXPECT_GE(buckets[i].value, buckets[i - 1].value) << buckets[i].labels;
  EXPECT_EQ(buckets.back().value, valueOf(p, "exaproxy_first_byte_seconds_count"));
  EXPECT_EQ(valueOf(p, "exaproxy_first_byte_seconds_count"), 11);
  EXPECT_DOUBLE_EQ(valueOf(p, "exaproxy_first_byte_seconds_sum"), 60.0);
}

TEST(MetricsHandler, OptionalSourcesAreLeftOut) {
  test::FakeProxy fake;
  auto p = parse(prometheusText(fake.sources(false), nowUnixMs()));
  EXPECT_TRUE(p.problems.empty());
  EXPECT_EQ(p.types.count("exaproxy_worker_threads"), 0u);
  EXPECT_EQ(p.types.count("exaproxy_plugin_loaded"), 0u);
  EXPECT_EQ(p.types.count("exaproxy_requests_total"), 1u);
}

TEST(MetricsHandler, LabelValuesAreEscaped) {
  EXPECT_EQ(escapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  test::FakeProxy fake;
  fake.plugins[0].name = "odd\"name\\\n";
  auto p = parse(prometheusText(fake.sources(), nowUnixMs()));
  for (const auto& problem : p.problems)
    ADD_FAILURE() << problem;
}

} // namespace
} // namespace exaproxy::ui
