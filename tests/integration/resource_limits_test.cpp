// Resource limits that say what they do (through the real binary): the descriptor limit raised at
// start for max_connections (or a warning when it cannot be), descriptor exhaustion logged once
// per 10 s and counted while the web interface still answers, and accept.paused / accept.resumed
// around max_connections without a connection over the limit.
#include "session_helpers.h"

#include <sys/resource.h>

#include <fstream>
#include <memory>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// The "Max open files" soft limit of a process (/proc/<pid>/limits).
long softNofile(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Max open files", 0) == 0)
      return std::stol(line.substr(26));
  return -1;
}

// The daemon started by prlimit(1) with RLIMIT_NOFILE soft:hard (prlimit execs it: same PID).
ProxyOptions withNofile(ProxyOptions o, rlim_t soft, rlim_t hard) {
  o.wrapper = {"/usr/bin/prlimit", "--nofile=" + std::to_string(soft) + ":" + std::to_string(hard),
               "--"};
  return o;
}

std::string uiUrl(const ProxyProcess& proxy) {
  std::string ui;
  waitFor(
      [&] {
        ui = readFile(proxy.dir() + "/ready.ui");
        return !ui.empty() && ui.back() == '\n';
      },
      10s);
  if (!ui.empty())
    ui.pop_back();
  return "http://" + ui;
}

std::optional<double> metric(const std::string& text, const std::string& name) {
  for (const auto& line : splitLines(text))
    if (line.rfind(name + " ", 0) == 0)
      return std::stod(line.substr(name.size() + 1));
  return std::nullopt;
}

} // namespace

// A soft limit below what max_connections needs is raised up to the hard limit, at start.
TEST(ResourceLimits, TheSoftDescriptorLimitIsRaisedForMaxConnections) {
  rlimit cur{};
  ::getrlimit(RLIMIT_NOFILE, &cur);
  if (cur.rlim_max != RLIM_INFINITY && cur.rlim_max < 8000)
    GTEST_SKIP() << "hard RLIMIT_NOFILE " << cur.rlim_max << " is below what this test raises to";
  ProxyProcess proxy(withNofile({"", {"limits.max_connections=1000", "upstream.splice=no"}, {}},
                                256, cur.rlim_max));
  ASSERT_TRUE(proxy.start());
  // 2 descriptors per connection without splice, plus 1024 for the rest.
  EXPECT_EQ(softNofile(proxy.pid()), 3024);
  EXPECT_NE(proxy.stderrText().find("limits.nofile soft=3024"), std::string::npos)
      << proxy.stderrText();
}

// A hard limit too low for max_connections: a warning naming the numbers; then, flooded with
// connections, the proxy stops before the last descriptors (closing the newcomers), logs it once
// per 10 s however often it happens, counts every time, and its web interface still answers.
// Once clients leave, it serves again.
TEST(ResourceLimits, DescriptorExhaustionIsLoggedCountedAndLeavesTheUiAnswering) {
  OriginServer origin;
  ProxyProcess proxy(withNofile(
      {"",
       {"server.loops=1", "ui.enabled=yes", "ui.listen=127.0.0.1:0", "timeouts.header_read=30s"},
       {}},
      160, 160));
  ASSERT_TRUE(proxy.start());
  EXPECT_EQ(softNofile(proxy.pid()), 160);
  EXPECT_NE(proxy.stderrText().find("limits.nofile soft=160 hard=160"), std::string::npos)
      << proxy.stderrText();
  EXPECT_NE(proxy.stderrText().find("cannot raise the descriptor limit"), std::string::npos);
  std::string ui = uiUrl(proxy);

  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 220; ++i) {
    clients.push_back(std::make_unique<RawClient>());
    clients.back()->connect(proxy.endpoint(), 2000ms); // the kernel completes the handshake
  }
  ASSERT_TRUE(waitFor(
      [&] { return proxy.stderrText().find("accept.descriptors_exhausted") != std::string::npos; },
      10s))
      << proxy.stderrText();
  // The UI answers from the reserve, and counts what happened.
  auto m = runCurl({"--noproxy", "*", "--max-time", "5", ui + "/metrics"});
  ASSERT_EQ(m.status, 200) << m.describe();
  auto exhausted = metric(m.out, "exaproxy_descriptors_exhausted_total");
  ASSERT_TRUE(exhausted) << m.out.substr(0, 2000);
  EXPECT_GE(*exhausted, 1);
  // Logged once however many times it happened within 10 s.
  std::string err = proxy.stderrText();
  size_t lines = 0;
  for (size_t p = 0; (p = err.find("accept.descriptors_exhausted", p)) != std::string::npos; ++p)
    ++lines;
  EXPECT_EQ(lines, 1u) << err;

  clients.clear();
  auto r = waitFor(
      [&] {
        auto x = rawExchange(proxy.endpoint(), absoluteGet(origin, "/"), 2s);
        return x && x->status == 200;
      },
      10s);
  EXPECT_TRUE(r) << "not serving again after the clients left";
}

// max_connections = 3 with two loops: accept.paused once at the limit, accept.resumed when a slot
// frees, and never a fourth connection open at the same time.
TEST(ResourceLimits, AcceptPausesAtTheLimitNeverOverItAndSaysWhenItResumes) {
  OriginServer origin;
  ProxyProcess proxy(
      {"",
       {"server.loops=2", "limits.max_connections=3", "limits.max_connections_per_client=3",
        "timeouts.header_read=30s", "ui.enabled=yes", "ui.listen=127.0.0.1:0"},
       {}});
  ASSERT_TRUE(proxy.start());
  std::string ui = uiUrl(proxy);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(std::make_unique<RawClient>(proxy.endpoint()));
    ASSERT_TRUE(clients.back()->connected());
  }
  ASSERT_TRUE(
      waitFor([&] { return proxy.stderrText().find("accept.paused") != std::string::npos; }, 5s))
      << proxy.stderrText();
  std::this_thread::sleep_for(300ms);
  auto m = runCurl({"--noproxy", "*", "--max-time", "5", ui + "/metrics"});
  ASSERT_EQ(m.status, 200) << m.describe();
  auto open = metric(m.out, "exaproxy_connections_active");
  ASSERT_TRUE(open) << m.out.substr(0, 2000);
  EXPECT_EQ(*open, 3) << "over max_connections";
  // Which three were accepted is the kernel's choice (each loop's SO_REUSEPORT socket has its
  // own backlog, and the first client may wait in a loop that paused before it accepted any):
  // every client leaves, so the accepted ones free their slots.
  clients.clear();
  EXPECT_TRUE(
      waitFor([&] { return proxy.stderrText().find("accept.resumed") != std::string::npos; }, 5s))
      << proxy.stderrText();
  EXPECT_NE(proxy.stderrText().find("accept.paused connections=3 limit=3"), std::string::npos)
      << proxy.stderrText();
}

// Refusals under attack: each is in the access log; the daemon log (at info) gets no line per
// refusal but one summary per 10 s with the count and the top reasons.
TEST(ResourceLimits, RefusalsAreSummedUpInTheDaemonLogNotLineByLine) {
  ProxyProcess proxy({"[listener main]\naddress = 127.0.0.1:0\n\n[log]\nlevel = info\n"
                      "access_log = @DIR@/access.log\n",
                      {"server.loops=1"},
                      {}});
  ASSERT_TRUE(proxy.start());
  for (int i = 0; i < 30; ++i) {
    auto r = rawExchange(proxy.endpoint(), "CONNECT 127.0.0.1:25 HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
  }
  ASSERT_TRUE(proxy.waitForAccessLogLines(30));
  ASSERT_TRUE(waitFor(
      [&] { return proxy.stderrText().find("requests.denied count=30 ") != std::string::npos; },
      15s))
      << proxy.stderrText();
  std::string err = proxy.stderrText();
  EXPECT_EQ(err.find("destination.denied client="), std::string::npos) << err;
  EXPECT_NE(err.find("connect_ports\":30"), std::string::npos) << err;
}
