// /metrics of the real binary, with two instances of the stock acl plugin (it defines counters and
// a gauge) and some traffic: `promtool check metrics` (Debian's prometheus package) finds nothing
// to complain about, each plugin metric is its own family exaproxy_plugin_acl_<metric> with the
// kind and help acl declared and one sample per conf.d entry, the host's per-plugin counters are
// exaproxy_plugin_<counter>_total, the worker queue wait is a summary, and the idle connection
// gauge follows keep-alive connections without wrapping below zero.
#include "itest.h"

#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#ifndef ACL_PLUGIN
#error "ACL_PLUGIN must name acl.so"
#endif

using namespace itest;

namespace {

// promtool on $PATH, or "" when the prometheus package is not installed.
std::string findPromtool() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && fileExists(dir + "/promtool"))
      return dir + "/promtool";
  return "";
}

std::string aclConf(const std::string& reason) {
  return std::string("[plugin]\npath = ") + ACL_PLUGIN +
         "\n\n[acl_policy]\ndefault = allow\n\n[acl_rule blocked]\ndomains = blocked.test\n"
         "action = deny\nreason = " +
         reason + "\n";
}

class MetricsExposition : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(origin_.ok());
    ProxyOptions o;
    // blocked.test must never reach the machine's resolver, even if acl let it through.
    o.sets = {"ui.enabled=yes", "ui.listen=127.0.0.1:0",
              "dns.servers=127.0.0.1:" + std::to_string(closedPort())};
    o.extraFiles = {{"40-acl.conf", aclConf("blocked by the first")},
                    {"45-acl.conf", aclConf("blocked by the second")}};
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
    std::string ui;
    ASSERT_TRUE(waitFor(
        [&] {
          ui = readFile(proxy_->dir() + "/ready.ui");
          return !ui.empty() && ui.back() == '\n';
        },
        Millis(10000)));
    ui.pop_back();
    ui_ = "http://" + ui;
  }

  std::string metrics() {
    auto r = runCurl({"--noproxy", "*", ui_ + "/metrics"});
    EXPECT_EQ(r.status, 200) << r.describe();
    return r.out;
  }

  // The value of the sample "name{labels}" (labels as written, without braces); nullopt if absent.
  static std::optional<double> sample(const std::string& text, const std::string& name,
                                      const std::string& labels = "") {
    std::string head = labels.empty() ? name + " " : name + "{" + labels + "} ";
    for (const auto& line : splitLines(text))
      if (line.rfind(head, 0) == 0)
        return std::stod(line.substr(head.size()));
    return std::nullopt;
  }

  OriginServer origin_;
  std::unique_ptr<ProxyProcess> proxy_;
  std::string ui_;
};

TEST_F(MetricsExposition, PromtoolAcceptsItAndPluginMetricsHaveTheirOwnFamilies) {
  // Traffic: allowed requests, and one denied by the first instance.
  for (int i = 0; i < 5; ++i) {
    auto r = runCurl({"-x", proxy_->proxyArg(), origin_.url("/?n=" + std::to_string(i))});
    ASSERT_EQ(r.status, 200) << r.describe();
  }
  auto denied = runCurl({"-x", proxy_->proxyArg(), "http://blocked.test/"});
  ASSERT_EQ(denied.status, 403) << denied.describe();
  ASSERT_TRUE(proxy_->waitForAccessLogLines(6));
  std::string text = metrics();

  // promtool, when installed (the test command installs it: installers/bootstrap-deps.sh test).
  std::string promtool = findPromtool();
  if (!promtool.empty()) {
    std::string file = proxy_->dir() + "/metrics.txt";
    ASSERT_TRUE(writeFile(file, text));
    std::string out = proxy_->dir() + "/promtool.out";
    pid_t pid = spawnProcess({promtool, "check", "metrics"}, out, out, file);
    ASSERT_GT(pid, 0);
    auto status = waitPidFor(pid, Millis(30000));
    ASSERT_TRUE(status) << "promtool did not finish";
    EXPECT_EQ(exitCodeOf(*status), 0) << readFile(out) << "\n" << text;
    EXPECT_EQ(readFile(out), "") << text;
  }

  // Our own reading too: every sample's family has exactly one HELP and one TYPE before it.
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  for (const auto& line : splitLines(text)) {
    std::istringstream in(line);
    std::string a, b, name, type;
    if (line.rfind("# HELP ", 0) == 0) {
      in >> a >> b >> name;
      EXPECT_TRUE(helps.insert(name).second) << "second HELP: " << line;
    } else if (line.rfind("# TYPE ", 0) == 0) {
      in >> a >> b >> name >> type;
      EXPECT_TRUE(helps.count(name)) << "TYPE without HELP: " << line;
      EXPECT_TRUE(types.emplace(name, type).second) << "second TYPE: " << line;
    } else {
      name = line.substr(0, line.find_first_of("{ "));
      bool known = types.count(name) != 0;
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        std::string s(suffix);
        if (!known && name.size() > s.size() && name.ends_with(s))
          known = types.count(name.substr(0, name.size() - s.size())) != 0;
      }
      EXPECT_TRUE(known) << "sample without HELP/TYPE: " << line;
    }
  }

  EXPECT_EQ(text.find("exaproxy_plugin_counter"), std::string::npos) << "the old family is gone";
  // acl's counters and gauge: one family each, its own help, one sample per instance.
  EXPECT_EQ(types["exaproxy_plugin_acl_denied_total"], "counter");
  EXPECT_NE(text.find("# HELP exaproxy_plugin_acl_denied_total requests denied\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(sample(text, "exaproxy_plugin_acl_denied_total", "plugin=\"40-acl\""), 1.0) << text;
  EXPECT_EQ(sample(text, "exaproxy_plugin_acl_denied_total", "plugin=\"45-acl\""), 0.0) << text;
  EXPECT_EQ(sample(text, "exaproxy_plugin_acl_allowed_total", "plugin=\"45-acl\""), 5.0) << text;
  EXPECT_EQ(types["exaproxy_plugin_acl_list_domains"], "gauge");
  EXPECT_TRUE(sample(text, "exaproxy_plugin_acl_list_domains", "plugin=\"40-acl\"")) << text;
  EXPECT_TRUE(sample(text, "exaproxy_plugin_acl_list_domains", "plugin=\"45-acl\"")) << text;
  // The host's counters of each plugin.
  EXPECT_EQ(types["exaproxy_plugin_calls_total"], "counter");
  EXPECT_GE(sample(text, "exaproxy_plugin_calls_total", "plugin=\"40-acl\"").value_or(0), 6.0);
  EXPECT_EQ(sample(text, "exaproxy_plugin_denies_total", "plugin=\"40-acl\""), 1.0) << text;
  // The worker pool's queue wait: a summary.
  EXPECT_EQ(types["exaproxy_worker_queue_wait_seconds"], "summary");
  EXPECT_TRUE(sample(text, "exaproxy_worker_queue_wait_seconds_sum")) << text;
  EXPECT_TRUE(sample(text, "exaproxy_worker_queue_wait_seconds_count")) << text;
}

TEST_F(MetricsExposition, IdleConnectionsFollowKeepAlive) {
  {
    RawClient c(proxy_->endpoint());
    ASSERT_TRUE(c.connected());
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(c.send(absoluteGet(origin_, "/?keepalive=" + std::to_string(i))));
      auto r = c.readResponse();
      ASSERT_TRUE(r) << c.lastError();
      ASSERT_EQ(r->status, 200);
    }
    // Between requests on an open keep-alive connection: exactly this one is idle.
    std::optional<double> idle;
    EXPECT_TRUE(
        waitFor([&] { return (idle = sample(metrics(), "exaproxy_connections_idle")) == 1.0; },
                Millis(5000)))
        << "idle = " << idle.value_or(-1);
  }
  // Closed: back to zero, not 2^64 - 1.
  std::string text;
  ASSERT_TRUE(waitFor(
      [&] {
        text = metrics();
        return sample(text, "exaproxy_connections_active") == 0.0;
      },
      Millis(5000)))
      << text;
  EXPECT_EQ(sample(text, "exaproxy_connections_idle"), 0.0) << text;
  // Plain curl requests (a connection each, closed after the answer) leave it at zero too.
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(runCurl({"-x", proxy_->proxyArg(), origin_.url("/")}).status, 200);
  ASSERT_TRUE(waitFor(
      [&] {
        text = metrics();
        return sample(text, "exaproxy_connections_active") == 0.0;
      },
      Millis(5000)));
  EXPECT_EQ(sample(text, "exaproxy_connections_idle"), 0.0) << text;
}

} // namespace
