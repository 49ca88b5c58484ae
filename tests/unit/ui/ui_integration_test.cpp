// The web interface of the real binary: N requests through the proxy are N in /api/v1/stats and
// in /metrics; POST /api/v1/reload with the page's header reloads (the proxy logs it), without it
// or from another origin it is refused. The UI binds 127.0.0.1:0; its address is in <ready>.ui.
#include "curl_runner.h"
#include "origin_server.h"
#include "proxy_process.h"
#include "raw_client.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using namespace itest;
using nlohmann::json;

class UiIntegrationTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(origin.ok());
    ASSERT_TRUE(proxy.start());
    auto text = readFile(proxy.dir() + "/ready.ui");
    auto lines = splitLines(text);
    ASSERT_EQ(lines.size(), 1u) << "ready.ui: '" << text << "'\n" << proxy.stderrText();
    ui = "http://" + lines[0];
  }

  // Straight to the UI, never through a proxy from the environment.
  CurlResult get(const std::string& path) { return runCurl({"--noproxy", "*", ui + path}); }
  CurlResult post(const std::string& path, std::vector<std::string> headers) {
    std::vector<std::string> args{"--noproxy", "*", "-X", "POST"};
    for (auto& h : headers) {
      args.push_back("-H");
      args.push_back(h);
    }
    args.push_back(ui + path);
    return runCurl(args);
  }

  OriginServer origin;
  ProxyProcess proxy{ProxyOptions{"", {"ui.enabled=yes", "ui.listen=127.0.0.1:0"}, {}}};
  std::string ui;
};

// A Prometheus sample's value ("name value" line); -1 when absent.
double metric(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

TEST_F(UiIntegrationTest, RequestsThroughTheProxyAreCountedInStatsAndMetrics) {
  constexpr int kRequests = 25;
  for (int i = 0; i < kRequests; ++i) {
    auto r = runCurl({"-x", proxy.proxyArg(), origin.url("/")});
    ASSERT_EQ(r.status, 200) << r.describe();
  }
  // The counters are bumped when each transaction is logged: wait for the access log.
  ASSERT_TRUE(proxy.waitForAccessLogLines(kRequests));

  auto stats = get("/api/v1/stats");
  ASSERT_EQ(stats.status, 200) << stats.describe();
  auto s = json::parse(stats.out);
  EXPECT_EQ(s["requests"]["total"], kRequests) << stats.out;
  EXPECT_EQ(s["responses"]["2xx"], kRequests);
  EXPECT_GE(s["connections"]["accepted"].get<int>(), kRequests);
  EXPECT_GT(s["bytes"]["toClients"].get<int>(), 0);
  EXPECT_GE(s["loops"].get<int>(), 1);

  auto metrics = get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metric(metrics.out, "exaproxy_requests_total"), kRequests) << metrics.out;
  EXPECT_EQ(metric(metrics.out, "exaproxy_responses_2xx_total"), kRequests);
  EXPECT_EQ(metric(metrics.out, "exaproxy_transaction_seconds_count"), kRequests);
  EXPECT_NE(metrics.out.find("exaproxy_first_byte_seconds_bucket{le=\"+Inf\"}"), std::string::npos);
}

TEST_F(UiIntegrationTest, EveryEndpointAnswers) {
  for (const char* name :
       {"stats", "connections", "plugins", "dns", "workers", "config", "log", "history"}) {
    auto r = get(std::string("/api/v1/") + name);
    EXPECT_EQ(r.status, 200) << name << r.describe();
    EXPECT_FALSE(json::parse(r.out, nullptr, false).is_discarded()) << name;
  }
  auto config = json::parse(get("/api/v1/config").out);
  bool sawOverride = false;
  for (const auto& e : config["entries"])
    sawOverride |= e["file"] == "--set" && e["section"] == "ui" && e["key"] == "listen";
  EXPECT_TRUE(sawOverride) << config.dump(1);
  auto page = get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.out.find("ExaProxy"), std::string::npos);
}

TEST_F(UiIntegrationTest, ConnectionsListsAnOpenClient) {
  // A client that connected and sent half a request head stays in ReadingHead.
  RawClient client(proxy.endpoint());
  ASSERT_TRUE(client.send("GET http://127.0.0.1/ HTTP/1.1\r\n"));
  json list;
  ASSERT_TRUE(waitFor(
      [&] {
        list = json::parse(get("/api/v1/connections").out);
        return list["total"] == 1;
      },
      Millis(5000)))
      << list.dump(1);
  EXPECT_EQ(list["connections"][0]["state"], "ReadingHead");
  EXPECT_EQ(list["states"]["ReadingHead"], 1);
}

TEST_F(UiIntegrationTest, ReloadNeedsThePagesHeaderAndItsOrigin) {
  EXPECT_EQ(get("/api/v1/reload").status, 405);
  EXPECT_EQ(post("/api/v1/reload", {}).status, 403);
  EXPECT_EQ(post("/api/v1/reload", {"X-ExaProxy-CSRF: 1", "Origin: http://evil.example"}).status,
            403);
  EXPECT_EQ(proxy.stderrText().find("reload.start"), std::string::npos)
      << "a refused request must not reload";

  auto ok = post("/api/v1/reload", {"X-ExaProxy-CSRF: 1", "Origin: " + ui});
  EXPECT_EQ(ok.status, 202) << ok.describe();
  EXPECT_TRUE(waitFor([&] { return proxy.stderrText().find("reload.done") != std::string::npos; },
                      Millis(5000)))
      << proxy.stderrText();
  // The page confirms a reload from the in-memory log.
  auto log = json::parse(get("/api/v1/log").out);
  bool sawDone = false;
  for (const auto& r : log["records"])
    sawDone |= r["message"].get<std::string>().find("reload.done") == 0;
  EXPECT_TRUE(sawDone) << log.dump(1);
  EXPECT_TRUE(proxy.alive());
}

} // namespace
