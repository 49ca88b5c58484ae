// The JSON shape and values of every /api/v1/ endpoint, against a fake proxy with known numbers.
#include "ui/api_handlers.h"

#include "fake_sources.h"

#include <gtest/gtest.h>

namespace exaproxy::ui {
namespace {

using nlohmann::json;

class ApiHandlersTest : public ::testing::Test {
protected:
  test::FakeProxy fake;
  UiSources sources = fake.sources();
  Sampler sampler{sources};
  ApiHandlers api{sources, sampler, nowUnixMs() - 5000};
};

TEST_F(ApiHandlersTest, StatsHasTotalsByFamily) {
  json s = api.stats();
  EXPECT_EQ(s["version"], EXAPROXY_VERSION);
  EXPECT_GE(s["uptimeSeconds"].get<double>(), 4.9);
  EXPECT_EQ(s["loops"], 2);
  EXPECT_EQ(s["draining"], false);
  EXPECT_EQ(s["requests"]["total"], 42);
  EXPECT_EQ(s["responses"]["2xx"], 40);
  EXPECT_EQ(s["responses"]["5xx"], 2);
  EXPECT_EQ(s["connections"]["active"], 3);
  EXPECT_EQ(s["bytes"]["toClients"], 50000);
  EXPECT_EQ(s["dns"]["queries"], 8);
  EXPECT_DOUBLE_EQ(s["dns"]["hitRatio"].get<double>(), 0.75);
  EXPECT_EQ(s["errors"].size(), 7u);
  EXPECT_EQ(s["latency"]["firstByte"]["count"], 11);
  // Every counter of the X-macro is listed by name.
#define EXAPROXY_UI_TEST_FIELD(name, kind, help)                                                   \
  EXPECT_TRUE(s["counters"].contains(#name)) << #name;
  EXAPROXY_COUNTERS(EXAPROXY_UI_TEST_FIELD)
#undef EXAPROXY_UI_TEST_FIELD
}

TEST_F(ApiHandlersTest, StatsRatesComeFromTheLastSampleInterval) {
  sampler.sampleOnce(10'000);
  fake.counters.requests += 20;
  fake.counters.bytes_to_clients += 4000;
  sampler.sampleOnce(12'000); // 2 s later
  json s = api.stats();
  EXPECT_DOUBLE_EQ(s["requests"]["perSecond"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(s["bytes"]["toClientsPerSecond"].get<double>(), 2000.0);
  EXPECT_DOUBLE_EQ(s["rates"]["requests"].get<double>(), 10.0);
  EXPECT_FALSE(s["rates"].contains("connections_active")) << "gauges have no rate";
}

TEST_F(ApiHandlersTest, ConnectionsAreOldestFirstWithStatesAndPaging) {
  json c = api.connections(0, 100);
  EXPECT_EQ(c["total"], 3);
  ASSERT_EQ(c["connections"].size(), 3u);
  EXPECT_EQ(c["connections"][0]["client"], "127.0.0.1:5001");
  EXPECT_EQ(c["connections"][0]["identity"], "alice");
  EXPECT_EQ(c["connections"][0]["state"], "Relaying");
  EXPECT_EQ(c["connections"][0]["method"], "GET");
  EXPECT_EQ(c["connections"][0]["upstream"], "192.0.2.1:80");
  EXPECT_EQ(c["connections"][0]["bytesOut"], 200000);
  EXPECT_DOUBLE_EQ(c["connections"][0]["ageSeconds"].get<double>(), 12.0);
  EXPECT_EQ(c["states"]["Idle"], 1);
  EXPECT_EQ(c["states"]["ReadingHead"], 1);

  json page = api.connections(1, 1);
  EXPECT_EQ(page["total"], 3);
  EXPECT_EQ(page["offset"], 1);
  ASSERT_EQ(page["connections"].size(), 1u);
  EXPECT_EQ(page["connections"][0]["client"], "127.0.0.1:5000");

  json past = api.connections(10, 5);
  EXPECT_EQ(past["offset"], 3);
  EXPECT_TRUE(past["connections"].empty());
}

TEST_F(ApiHandlersTest, PluginsShowStateReasonCountersAndStatus) {
  json p = api.plugins();
  EXPECT_EQ(p["runtime"], true);
  ASSERT_EQ(p["plugins"].size(), 2u);
  const auto& xff = p["plugins"][0];
  EXPECT_EQ(xff["name"], "10-xff");
  EXPECT_EQ(xff["file"], "/lib/10-xff.so");
  EXPECT_EQ(xff["version"], "1.2.0");
  EXPECT_EQ(xff["vendor"], "Exa");
  EXPECT_EQ(xff["abi"], "1.0");
  EXPECT_EQ(xff["state"], "loaded");
  EXPECT_EQ(xff["counters"]["calls"], 7);
  EXPECT_EQ(xff["counters"]["forwarded"], 5) << "the plugin's own metrics beside the host's";
  EXPECT_EQ(xff["status"]["trusted"], 2) << "valid status JSON is embedded as JSON";
  EXPECT_EQ(xff["change"], "upgraded 1.1.0 -> 1.2.0");
  EXPECT_EQ(xff["required"], true);
  const auto& bad = p["plugins"][1];
  EXPECT_EQ(bad["required"], false);
  EXPECT_EQ(bad["state"], "refused");
  EXPECT_EQ(bad["reason"], "ABI major 2 != 1");
  EXPECT_EQ(bad["status"], "not json") << "invalid status JSON is shown as text";
}

TEST_F(ApiHandlersTest, WithoutRuntimePluginsComeFromConfD) {
  fake.config->plugins.push_back({"50-demo", "/etc/exaproxy/50-demo.so", {}});
  UiSources bare = fake.sources(false);
  ApiHandlers noRuntime{bare, sampler, 0};
  json p = noRuntime.plugins();
  EXPECT_EQ(p["runtime"], false);
  ASSERT_EQ(p["plugins"].size(), 1u);
  EXPECT_EQ(p["plugins"][0]["name"], "50-demo");
  EXPECT_EQ(p["plugins"][0]["state"], "configured");
  EXPECT_EQ(noRuntime.workers(), json({{"available", false}}));
}

TEST_F(ApiHandlersTest, DnsListsPositiveAndNegativeEntriesByName) {
  json d = api.dns(0, 100);
  EXPECT_EQ(d["available"], true);
  EXPECT_EQ(d["cacheHits"], 6);
  EXPECT_EQ(d["totalEntries"], 2);
  EXPECT_EQ(d["negativeEntries"], 1);
  ASSERT_EQ(d["entries"].size(), 2u);
  EXPECT_EQ(d["entries"][0]["name"], "a.example.test");
  EXPECT_EQ(d["entries"][0]["negative"], true);
  EXPECT_EQ(d["entries"][0]["remainingSeconds"], 20);
  EXPECT_EQ(d["entries"][1]["addresses"], json::array({"192.0.2.2"}));
}

TEST_F(ApiHandlersTest, WorkersShowSizeBoundsQueueAndWaits) {
  json w = api.workers();
  EXPECT_EQ(w["available"], true);
  EXPECT_EQ(w["size"], 4);
  EXPECT_EQ(w["min"], 2);
  EXPECT_EQ(w["max"], 16);
  EXPECT_EQ(w["queued"], 0);
  EXPECT_DOUBLE_EQ(w["queueWaitMs"]["p99"].get<double>(), 2.0);
}

TEST_F(ApiHandlersTest, ConfigGivesFileLineAndMarksOverriddenEntries) {
  json c = api.config();
  ASSERT_EQ(c["entries"].size(), 3u);
  EXPECT_EQ(c["entries"][0]["file"], "/etc/exaproxy/00-exaproxy.conf");
  EXPECT_EQ(c["entries"][0]["line"], 3);
  EXPECT_EQ(c["entries"][0]["section"], "server");
  EXPECT_EQ(c["entries"][0]["overridden"], true);
  EXPECT_EQ(c["entries"][2]["file"], "--set");
  EXPECT_EQ(c["entries"][2]["value"], "2");
  EXPECT_EQ(c["entries"][2]["overridden"], false);
}

TEST_F(ApiHandlersTest, LogFiltersByLevel) {
  EXPECT_EQ(api.log("").at("records").size(), 3u);
  json warn = api.log("warning");
  ASSERT_EQ(warn["records"].size(), 2u);
  EXPECT_EQ(warn["records"][0]["message"], "something odd");
  EXPECT_EQ(warn["records"][1]["level"], "error");
  EXPECT_EQ(warn["records"][1]["time"], 3000);
}

TEST_F(ApiHandlersTest, HistoryHasOnePointPerSampleAndRespectsSince) {
  sampler.noteActivity(1'000);
  sampler.sampleOnce(1'000);
  fake.counters.requests += 5;
  fake.dns.cacheHits += 3;
  fake.dns.cacheMisses += 1;
  sampler.sampleOnce(2'000);
  json h = api.history(0);
  ASSERT_EQ(h["points"].size(), 2u);
  const auto& p = h["points"][1];
  EXPECT_EQ(p["t"], 2000);
  EXPECT_DOUBLE_EQ(p["requestsPerSec"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(p["dnsHitRatio"].get<double>(), 0.75);
  EXPECT_EQ(p["connections"], 3);
  EXPECT_EQ(p["workers"], 4);
  EXPECT_EQ(api.history(1'000)["points"].size(), 1u);
}

TEST_F(ApiHandlersTest, IdleInterfaceDoesNotAskLoopsForDns) {
  int dnsCalls = 0;
  UiSources counting = fake.sources();
  counting.dns = [&] {
    ++dnsCalls;
    return fake.dns;
  };
  Sampler quiet{counting};
  quiet.sampleOnce(1'000'000);
  EXPECT_EQ(dnsCalls, 0);
  quiet.noteActivity(1'000'000);
  quiet.sampleOnce(1'001'000);
  EXPECT_EQ(dnsCalls, 1);
  quiet.sampleOnce(1'000'000 + Sampler::kActiveMs + 1);
  EXPECT_EQ(dnsCalls, 1) << "5 minutes without a request: idle again";
}

TEST_F(ApiHandlersTest, HistoryKeepsFiveMinutes) {
  for (int i = 0; i < 400; ++i)
    sampler.sampleOnce(i * 1000);
  EXPECT_EQ(api.history(0)["points"].size(), Sampler::kHistory);
}

TEST(HistogramPercentile, InterpolatesInsideBuckets) {
  HistogramValues h;
  EXPECT_EQ(histogramPercentileMs(h, 0.5), 0.0);
  h.buckets[0] = 50; // (0, 1]
  h.buckets[1] = 50; // (1, 2]
  EXPECT_NEAR(histogramPercentileMs(h, 0.5), 1.0, 1e-9);
  EXPECT_NEAR(histogramPercentileMs(h, 0.75), 1.5, 1e-9);
  h.buckets[LatencyHistogram::kBuckets - 1] = 1000;
  EXPECT_EQ(histogramPercentileMs(h, 0.99), 30000.0) << "+Inf reported at the last bound";
}

} // namespace
} // namespace exaproxy::ui
