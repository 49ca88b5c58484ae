// The [metrics] listener through the real binary: /metrics and /healthz only (a Prometheus server
// on another host scrapes it without reaching the UI's configuration or reload), its own
// allow_clients, never reachable through the proxy; and the configuration's hash it reports
// (exaproxy_config_info), which follows conf.d's files on a reload and not the --set overrides.
#include "itest.h"

#include <csignal>
#include <regex>

using namespace itest;

namespace {

class MetricsListener : public ::testing::Test {
protected:
  void start(std::vector<std::string> sets = {}) {
    ProxyOptions o;
    o.sets = {"metrics.enabled=yes", "metrics.listen=127.0.0.1:0"};
    o.sets.insert(o.sets.end(), sets.begin(), sets.end());
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
    std::string ep;
    ASSERT_TRUE(waitFor(
        [&] {
          ep = readFile(proxy_->dir() + "/ready.metrics");
          return !ep.empty() && ep.back() == '\n';
        },
        Millis(10000)))
        << proxy_->stderrText();
    ep.pop_back();
    base_ = "http://" + ep;
  }
  CurlResult get(const std::string& path, std::vector<std::string> extra = {}) {
    extra.push_back(base_ + path);
    return runCurl(extra);
  }
  // The hash exaproxy_config_info reports ("" when absent).
  std::string hash() {
    auto r = get("/metrics");
    std::smatch m;
    static const std::regex kInfo("exaproxy_config_info\\{hash=\"([0-9a-f]{64})\"\\} 1");
    return std::regex_search(r.out, m, kInfo) ? m[1].str() : std::string();
  }

  std::unique_ptr<ProxyProcess> proxy_;
  std::string base_;
};

TEST_F(MetricsListener, ServesMetricsAndHealthzAndNothingElse) {
  start();
  auto metrics = get("/metrics");
  ASSERT_EQ(metrics.exitCode, 0) << metrics.describe();
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.out.find("exaproxy_requests_total"), std::string::npos) << metrics.out;
  EXPECT_EQ(hash().size(), 64u) << metrics.out;
  auto health = get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.out, "ok\n");
  for (const std::string path : {"/api/v1/config", "/", "/index.html", "/api/v1/stats"})
    EXPECT_EQ(get(path).status, 404) << path;
  auto reload = get("/api/v1/reload", {"-X", "POST", "-H", "X-ExaProxy-CSRF: 1"});
  EXPECT_EQ(reload.status, 405) << "no action here";
  EXPECT_EQ(proxy_->stderrText().find("reload.start"), std::string::npos);
  // Not a destination through the proxy, even with loopback destinations allowed (the test's
  // fixture allows them).
  auto through = runCurl({"-x", proxy_->proxyArg(), base_ + "/metrics"});
  EXPECT_EQ(through.status, 403) << through.describe();
}

TEST_F(MetricsListener, AllowClientsRefusesOthers) {
  start({"metrics.allow_clients=10.0.0.0/8"});
  auto r = get("/metrics");
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.out.find("exaproxy_"), std::string::npos) << r.out;
  EXPECT_TRUE(
      waitFor([&] { return proxy_->stderrText().find("metrics.refused") != std::string::npos; },
              Millis(5000)));
}

TEST_F(MetricsListener, TheConfigHashFollowsConfDirOnAReload) {
  start({"timeouts.connect=7s"});
  std::string before = hash();
  ASSERT_EQ(before.size(), 64u);
  writeFile(proxy_->confDir() + "/90-extra.conf", "[timeouts]\nconnect = 6s\n");
  proxy_->sendSignal(SIGHUP);
  std::string after;
  EXPECT_TRUE(waitFor(
      [&] {
        after = hash();
        return after.size() == 64u && after != before;
      },
      Millis(10000)))
      << "the hash should change with a new file in conf.d\n"
      << proxy_->stderrText();
  EXPECT_NE(proxy_->stderrText().find("reload.done conf_hash=" + after), std::string::npos);
}

} // namespace
