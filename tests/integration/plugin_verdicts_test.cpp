// Every plugin verdict end to end through the real binary with curl, the access log's 11th field
// (the decision), and SIGHUP reloads while requests flow. The plugins: the settings-driven
// tests/plugin_abi/plugins/scripted.c, the SDK example slow_lookup, and the small file responder
// below (this same file built as a plugin with PLUGIN_VERDICTS_FILE_PLUGIN defined: scripted.c
// has no setting for verdict_set_file).
#ifdef PLUGIN_VERDICTS_FILE_PLUGIN

#include <exaproxy/plugin.hpp>

namespace sdk = exaproxy::sdk;

// [file_responder] file = /abs/path   type = text/plain   status = 200
class FileResponder : public sdk::Plugin {
public:
  explicit FileResponder(sdk::Host& host) : Plugin(host) {
    for (const auto& s : host.settings()) {
      if (s.key == "file")
        file_ = s.value;
      else if (s.key == "type")
        type_ = s.value;
      else if (s.key == "status")
        status_ = std::stoi(s.value);
      else
        throw sdk::ConfigError(s.index, "unknown key (known: file, type, status)");
    }
  }

  sdk::Verdict onRequest(sdk::Txn&) override {
    return sdk::Verdict::respondFile(status_, file_, type_);
  }

private:
  std::string file_;
  std::string type_ = "text/plain";
  int status_ = 200;
};

EXAPROXY_PLUGIN(FileResponder, "file_responder", "1.0.0", "tests",
                "answers every request with a file (RESPOND with verdict_set_file)")

#else

#include "itest.h"

#include <atomic>
#include <csignal>
#include <sstream>
#include <thread>

#ifndef SCRIPTED_PLUGIN
#error "SCRIPTED_PLUGIN must name scripted.so"
#endif
#ifndef SLOW_LOOKUP_PLUGIN
#error "SLOW_LOOKUP_PLUGIN must name slow_lookup.so"
#endif
#ifndef FILE_RESPONDER_PLUGIN
#error "FILE_RESPONDER_PLUGIN must name file_responder.so"
#endif

using namespace itest;

namespace {

// A conf.d file enabling one plugin: [plugin] (path + host policy lines) then the plugin's own
// section with its settings.
std::string pluginConf(const std::string& path, const std::string& section,
                       const std::vector<std::string>& settings,
                       const std::vector<std::string>& policy = {}) {
  std::string text = "[plugin]\npath = " + path + "\n";
  for (const auto& p : policy)
    text += p + "\n";
  text += "\n[" + section + "]\n";
  for (const auto& s : settings)
    text += s + "\n";
  return text;
}

std::string scriptedConf(const std::vector<std::string>& settings,
                         const std::vector<std::string>& policy = {}) {
  return pluginConf(SCRIPTED_PLUGIN, "scripted", settings, policy);
}

// The whitespace-separated fields of a line.
std::vector<std::string> fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string f; in >> f;)
    out.push_back(f);
  return out;
}

// The 11th field (the plugins' decision) of the last access-log line whose URL contains needle.
std::string decisionFor(const ProxyProcess& proxy, const std::string& needle) {
  std::string found;
  for (const auto& line : splitLines(proxy.accessLog())) {
    auto f = fields(line);
    if (f.size() >= 11 && f[6].find(needle) != std::string::npos)
      found = f[10];
  }
  return found;
}

// The 11th field for needle, polling until the line is written.
std::string waitDecision(const ProxyProcess& proxy, const std::string& needle) {
  std::string d;
  waitFor([&] { return !(d = decisionFor(proxy, needle)).empty(); }, Millis(5000));
  return d;
}

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = 0; (p = text.find(needle, p)) != std::string::npos; p += needle.size())
    ++n;
  return n;
}

size_t reloadsDone(const ProxyProcess& proxy) {
  return countOf(proxy.stderrText() + proxy.stdoutText(), "reload.done");
}

// Rewrites (or, with an empty content, removes) a conf.d file, sends SIGHUP and waits for the
// reload to finish.
testing::AssertionResult reload(ProxyProcess& proxy, const std::string& name,
                                const std::string& content) {
  size_t before = reloadsDone(proxy);
  std::string path = proxy.confDir() + "/" + name;
  if (content.empty())
    std::remove(path.c_str());
  else
    writeFile(path, content);
  proxy.sendSignal(SIGHUP);
  if (!waitFor([&] { return reloadsDone(proxy) > before; }, Millis(10000)))
    return testing::AssertionFailure() << "no reload.done after SIGHUP\n" << proxy.stderrText();
  return testing::AssertionSuccess();
}

class PluginVerdicts : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(origin_.ok());
    ASSERT_TRUE(second_.ok());
  }

  // Starts the proxy with 20-scripted.conf (or another plugin conf) in conf.d.
  void startWith(const std::string& conf, const std::string& name = "20-scripted.conf") {
    ProxyOptions o;
    if (!conf.empty())
      o.extraFiles.emplace_back(name, conf);
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
  }

  CurlResult get(const std::string& url, std::vector<std::string> extra = {}, int maxTime = 20) {
    std::vector<std::string> args{"-x", proxy_->proxyArg()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(url);
    return runCurl(args, maxTime);
  }

  OriginServer origin_;
  OriginServer second_;
  std::unique_ptr<ProxyProcess> proxy_;
};

TEST_F(PluginVerdicts, NoPluginLogsDashDecision) {
  startWith("");
  auto r = get(origin_.url("/?plain"));
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(waitDecision(*proxy_, "/?plain"), "-");
}

TEST_F(PluginVerdicts, RewriteIsSeenByTheOrigin) {
  startWith(scriptedConf({"label = e2e", "action = rewrite", "header = X-Rewritten",
                          "url = " + origin_.url("/echo?rewritten=1")}));
  auto r = get(origin_.url("/original"));
  ASSERT_EQ(r.status, 200) << r.describe();
  auto reqs = origin_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target.find("/original"), std::string::npos) << reqs[0].target;
  EXPECT_NE(reqs[0].target.find("/echo?rewritten=1"), std::string::npos) << reqs[0].target;
  EXPECT_EQ(reqs[0].headers.get("X-Rewritten").value_or(""), "e2e");
  EXPECT_EQ(reqs[0].headers.get("X-Chain").value_or(""), "e2e");
  EXPECT_NE(r.out.find("X-Rewritten: e2e"), std::string::npos) << r.out;
  // The access log names the URL as sent on (after the rewrite), and the plugin that rewrote it,
  // in one token.
  EXPECT_EQ(waitDecision(*proxy_, "/echo?rewritten=1"), "rewritten:20-scripted")
      << proxy_->accessLog();
}

TEST_F(PluginVerdicts, RouteSendsTheUnchangedRequestToAnotherOrigin) {
  startWith(scriptedConf(
      {"action = route", "route = 127.0.0.1", "port = " + std::to_string(second_.port())}));
  auto r = get(origin_.url("/echo?routed"));
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(origin_.requestCount(), 0u);
  auto reqs = second_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_NE(reqs[0].target.find("/echo?routed"), std::string::npos) << reqs[0].target;
  // The request is unchanged: its Host still names the first origin.
  EXPECT_EQ(reqs[0].headers.get("Host").value_or(""), origin_.endpoint().str());
  std::string d = waitDecision(*proxy_, "/echo?routed");
  EXPECT_NE(d.find("routed"), std::string::npos) << proxy_->accessLog();
  EXPECT_NE(d.find(std::to_string(second_.port())), std::string::npos) << d;
}

TEST_F(PluginVerdicts, RedirectAnswers3xxWithLocation) {
  startWith(scriptedConf(
      {"action = redirect", "status = 307", "location = http://elsewhere.example/moved"}));
  auto r = get(origin_.url("/?redirect"), {"-D", "-"});
  EXPECT_EQ(r.status, 307) << r.describe();
  EXPECT_NE(r.out.find("Location: http://elsewhere.example/moved"), std::string::npos) << r.out;
  EXPECT_EQ(origin_.requestCount(), 0u);
  EXPECT_NE(waitDecision(*proxy_, "/?redirect").find("redirect"), std::string::npos)
      << proxy_->accessLog();
}

TEST_F(PluginVerdicts, RespondWithBytes) {
  startWith(scriptedConf({"action = respond", "status = 202", "body = answered-locally"}));
  auto r = get(origin_.url("/?respond"), {"-D", "/dev/stderr"});
  EXPECT_EQ(r.status, 202) << r.describe();
  EXPECT_EQ(r.out, "answered-locally");
  EXPECT_NE(r.err.find("text/plain"), std::string::npos) << r.err;
  EXPECT_EQ(origin_.requestCount(), 0u);
  EXPECT_NE(waitDecision(*proxy_, "/?respond").find("respond"), std::string::npos)
      << proxy_->accessLog();
}

TEST_F(PluginVerdicts, RespondWithFile) {
  std::string dir = makeTempDir("itest-verdict-file-");
  std::string file = dir + "/answer.txt";
  ASSERT_TRUE(writeFile(file, "content from a file\n"));
  startWith(pluginConf(FILE_RESPONDER_PLUGIN, "file_responder",
                       {"file = " + file, "type = text/x-test", "status = 200"}),
            "20-file_responder.conf");
  auto r = get(origin_.url("/?file"), {"-D", "/dev/stderr"});
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.out, "content from a file\n");
  EXPECT_NE(r.err.find("text/x-test"), std::string::npos) << r.err;
  EXPECT_EQ(origin_.requestCount(), 0u);
  EXPECT_NE(waitDecision(*proxy_, "/?file").find("respond"), std::string::npos)
      << proxy_->accessLog();
  removeTree(dir);
}

TEST_F(PluginVerdicts, DenyShowsTheReason) {
  startWith(scriptedConf({"action = deny", "reason = blocked-by-scripted-test"}));
  auto r = get(origin_.url("/?deny"));
  EXPECT_EQ(r.status, 403) << r.describe();
  EXPECT_NE(r.out.find("blocked-by-scripted-test"), std::string::npos) << r.out;
  EXPECT_EQ(origin_.requestCount(), 0u);
  std::string d = waitDecision(*proxy_, "/?deny");
  EXPECT_NE(d.find("deny"), std::string::npos) << proxy_->accessLog();
  EXPECT_NE(proxy_->accessLog().find("TCP_DENIED/403"), std::string::npos) << proxy_->accessLog();
}

TEST_F(PluginVerdicts, PendingCompletedFromAWorkerContinues) {
  startWith(scriptedConf({"label = w", "action = pending", "delay_ms = 100", "then = continue"}));
  auto r = get(origin_.url("/echo?pending"));
  ASSERT_EQ(r.status, 200) << r.describe();
  ASSERT_EQ(origin_.requestCount(), 1u);
  EXPECT_EQ(origin_.requests()[0].headers.get("X-Chain").value_or(""), "w");
}

TEST_F(PluginVerdicts, PendingCompletedFromAWorkerDenies) {
  startWith(scriptedConf(
      {"action = pending", "delay_ms = 100", "then = deny", "reason = worker-said-no"}));
  auto r = get(origin_.url("/?pending-deny"));
  EXPECT_EQ(r.status, 403) << r.describe();
  EXPECT_NE(r.out.find("worker-said-no"), std::string::npos) << r.out;
  EXPECT_EQ(origin_.requestCount(), 0u);
  EXPECT_NE(waitDecision(*proxy_, "/?pending-deny").find("deny"), std::string::npos)
      << proxy_->accessLog();
}

TEST_F(PluginVerdicts, SlowLookupExampleCompletesFromTheWorkerPool) {
  startWith(pluginConf(SLOW_LOOKUP_PLUGIN, "slow_lookup", {"delay = 50", "deny = bad.example"}),
            "20-slow_lookup.conf");
  auto ok = get(origin_.url("/?slow-ok"));
  EXPECT_EQ(ok.status, 200) << ok.describe();
  EXPECT_EQ(origin_.requestCount(), 1u);
  // bad.example is listed: denied before any DNS lookup or connection.
  auto bad = get("http://bad.example/?slow-bad");
  EXPECT_EQ(bad.status, 403) << bad.describe();
  EXPECT_NE(bad.out.find("reputation service lists bad.example"), std::string::npos) << bad.out;
}

TEST_F(PluginVerdicts, PendingTimeoutFailOpenReachesTheOrigin) {
  startWith(scriptedConf({"action = pending", "delay_ms = 3000", "then = deny"},
                         {"timeout = 500ms", "on_timeout = allow"}));
  auto start = std::chrono::steady_clock::now();
  auto r = get(origin_.url("/echo?timeout-allow"));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(origin_.requestCount(), 1u);
  EXPECT_LT(took, std::chrono::milliseconds(2500)) << "the timeout did not cut the wait";
}

TEST_F(PluginVerdicts, PendingTimeoutFailClosedShowsAnErrorPage) {
  startWith(scriptedConf({"action = pending", "delay_ms = 3000", "then = continue"},
                         {"timeout = 500ms", "on_timeout = deny"}));
  auto start = std::chrono::steady_clock::now();
  auto r = get(origin_.url("/?timeout-deny"));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 503) << r.describe();
  EXPECT_NE(r.out.find("could not be filtered in time (incident "), std::string::npos) << r.out;
  EXPECT_EQ(origin_.requestCount(), 0u);
  EXPECT_LT(took, std::chrono::milliseconds(2500)) << "the timeout did not cut the wait";
  EXPECT_NE(waitDecision(*proxy_, "/?timeout-deny"), "-") << proxy_->accessLog();
}

TEST_F(PluginVerdicts, ReloadWhileRequestsFlowLosesNone) {
  startWith(scriptedConf({"label = g0", "action = rewrite", "header = X-Gen"}));
  std::atomic<int> done{0};
  std::vector<std::string> failures;
  std::thread client([&] {
    for (int i = 0; i < 100; ++i) {
      auto r = get(origin_.url("/?flow=" + std::to_string(i)));
      if (r.status != 200 || r.out != "origin-ok\n")
        failures.push_back("request " + std::to_string(i) + ": " + r.describe());
      done.fetch_add(1);
    }
  });
  // Three reloads spread over the run: new settings, another library, back to the first one.
  const std::vector<std::pair<std::string, std::string>> steps{
      {"20-scripted.conf", scriptedConf({"label = g1", "action = rewrite", "header = X-Gen"})},
      {"20-scripted.conf", pluginConf(SLOW_LOOKUP_PLUGIN, "slow_lookup", {"delay = 5"})},
      {"20-scripted.conf", scriptedConf({"label = g3", "action = pending", "delay_ms = 5"})}};
  int threshold = 10;
  for (const auto& [name, content] : steps) {
    waitFor([&] { return done.load() >= threshold; }, Millis(60000));
    EXPECT_TRUE(reload(*proxy_, name, content));
    threshold += 25;
  }
  client.join();
  EXPECT_EQ(done.load(), 100);
  for (const auto& f : failures)
    ADD_FAILURE() << f;
  EXPECT_TRUE(proxy_->alive());
  // Lines are written in batches: wait for the last ones.
  waitFor([&] { return countOf(proxy_->accessLog(), "/?flow=") >= 100; }, Millis(5000));
  EXPECT_EQ(countOf(proxy_->accessLog(), "/?flow="), 100u);
  // Requests after the last reload ran the last plugin (a PENDING that continues, label g3).
  auto r = get(origin_.url("/echo?after-reloads"));
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_NE(r.out.find("X-Chain: g3"), std::string::npos) << r.out;
}

TEST_F(PluginVerdicts, RemovedPluginNoLongerActsAfterReload) {
  startWith(scriptedConf({"action = deny", "reason = removed-soon"}));
  auto before = get(origin_.url("/?before-removal"));
  EXPECT_EQ(before.status, 403) << before.describe();
  ASSERT_TRUE(reload(*proxy_, "20-scripted.conf", ""));
  auto after = get(origin_.url("/?after-removal"));
  EXPECT_EQ(after.status, 200) << after.describe();
  EXPECT_EQ(after.out, "origin-ok\n");
  EXPECT_EQ(origin_.requestCount(), 1u);
  EXPECT_EQ(waitDecision(*proxy_, "/?after-removal"), "-") << proxy_->accessLog();
}

TEST_F(PluginVerdicts, AddedPluginActsOnTheNextRequestAfterReload) {
  startWith("");
  auto before = get(origin_.url("/?before-add"));
  EXPECT_EQ(before.status, 200) << before.describe();
  ASSERT_TRUE(reload(*proxy_, "20-scripted.conf",
                     scriptedConf({"action = respond", "status = 200", "body = now-filtered"})));
  auto after = get(origin_.url("/?after-add"));
  EXPECT_EQ(after.status, 200) << after.describe();
  EXPECT_EQ(after.out, "now-filtered");
  EXPECT_EQ(origin_.requestCount(), 1u);
}

} // namespace

#endif
