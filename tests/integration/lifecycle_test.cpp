// The daemon's life: --check, --version, SIGTERM draining an in-flight download, SIGHUP reloads
// (under traffic, with a live ACL change, with an invalid configuration), SIGUSR1 reopening the
// access log, and the access log's Squid format (read by calamaris).
#include "itest.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <pwd.h>
#include <regex>
#include <sstream>
#include <sys/stat.h>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// A conf dir with one 00-exaproxy.conf, removed at the end.
struct ConfDir {
  explicit ConfDir(const std::string& content) : dir(makeTempDir("itest-conf")) {
    writeFile(dir + "/00-exaproxy.conf", content);
  }
  ~ConfDir() { removeTree(dir); }
  std::string dir;
};

std::vector<std::string> fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> f;
  std::string w;
  while (in >> w)
    f.push_back(w);
  return f;
}

} // namespace

TEST(LifecycleTest, CheckAcceptsAGoodConfiguration) {
  ConfDir conf(ProxyProcess::defaultConfig().replace(ProxyProcess::defaultConfig().find("@DIR@"), 5,
                                                     "/tmp"));
  auto r = runExaproxy({"--conf-dir", conf.dir, "--check"});
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
}

TEST(LifecycleTest, CheckRejectsAnUnknownKeyWithFileLineKey) {
  ConfDir conf("[listener main]\n"
               "address = 127.0.0.1:0\n"
               "\n"
               "[server]\n"
               "bogus_key = 1\n"
               "[timeouts]\n"
               "connect = soon\n");
  auto r = runExaproxy({"--conf-dir", conf.dir, "--check"});
  EXPECT_EQ(r.exitCode, 1);
  std::string all = r.out + r.err;
  EXPECT_NE(all.find("00-exaproxy.conf:5"), std::string::npos) << all;
  EXPECT_NE(all.find("bogus_key"), std::string::npos) << all;
  // Every error is reported, not only the first.
  EXPECT_NE(all.find("00-exaproxy.conf:7"), std::string::npos) << all;
  EXPECT_NE(all.find("connect"), std::string::npos) << all;
}

TEST(LifecycleTest, CheckRejectsABadSetOverride) {
  ConfDir conf("[listener main]\naddress = 127.0.0.1:0\n");
  auto r = runExaproxy({"--conf-dir", conf.dir, "--set", "limits.max_uri=huge", "--check"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE((r.out + r.err).find("max_uri"), std::string::npos) << r.out << r.err;
}

TEST(LifecycleTest, Version) {
  auto r = runExaproxy({"--version"});
  EXPECT_EQ(r.exitCode, 0);
  // Exactly the project's version (CMake's PROJECT_VERSION), on stdout.
  EXPECT_EQ(r.out, "exaproxy " EXAPROXY_EXPECTED_VERSION "\n") << r.err;
}

TEST(LifecycleTest, SigtermLetsAnInFlightDownloadFinish) {
  OriginServer origin;
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  const uint64_t size = 20ull << 20;
  auto download = std::async(std::launch::async, [&] {
    return runCurl({"-x", proxy.proxyArg(), "-o", "/dev/null",
                    origin.url("/slow/" + std::to_string(size) + "/2000")},
                   30);
  });
  ASSERT_TRUE(origin.waitForRequests(1, 5s));
  std::this_thread::sleep_for(300ms); // the body is flowing
  proxy.sendSignal(SIGTERM);
  auto r = download.get();
  EXPECT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.sizeDownload, size) << r.describe();
  auto code = proxy.waitExit(20s);
  ASSERT_TRUE(code) << "exaproxy did not exit after SIGTERM and the download's end";
  EXPECT_EQ(*code, 0) << proxy.stderrText();
}

TEST(LifecycleTest, SigtermStopsAcceptingNewConnections) {
  OriginServer origin;
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  // Keep the proxy draining with a slow download, then check new clients are no longer served.
  auto download = std::async(std::launch::async, [&] {
    return runCurl({"-x", proxy.proxyArg(), "-o", "/dev/null", origin.url("/slow/1000000/1500")},
                   30);
  });
  ASSERT_TRUE(origin.waitForRequests(1, 5s));
  proxy.sendSignal(SIGTERM);
  // The listeners close once the drain starts: wait for a connect to be refused.
  EXPECT_TRUE(waitFor(
      [&] {
        int fd = connectTo(proxy.endpoint(), 500ms);
        if (fd < 0)
          return true;
        ::close(fd);
        return false;
      },
      5s))
      << "the listener still accepts after SIGTERM";
  EXPECT_NE(proxy.stderrText().find("shutdown.start"), std::string::npos) << proxy.stderrText();
  auto late = runCurl({"-x", proxy.proxyArg(), origin.url("/")}, 5);
  EXPECT_NE(late.status, 200) << "a new request was served after SIGTERM: " << late.describe();
  EXPECT_EQ(download.get().exitCode, 0);
  EXPECT_EQ(proxy.waitExit(20s).value_or(-1), 0);
}

TEST(LifecycleTest, SighupUnderTrafficFailsNoRequest) {
  OriginServer origin;
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  RawClient keepAlive(proxy.endpoint());
  ASSERT_TRUE(keepAlive.connected());
  int failures = 0;
  std::string firstFailure;
  auto count = [&](const std::string& needle) {
    std::string text = proxy.stderrText();
    size_t n = 0;
    for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1))
      ++n;
    return n;
  };
  size_t reloads = 0;
  for (int i = 0; i < 200; ++i) {
    if (i % 40 == 20) {
      proxy.sendSignal(SIGHUP);
      // Wait until this reload started (the requests that follow run during it), so that no two
      // signals merge into one.
      ++reloads;
      EXPECT_TRUE(waitFor([&] { return count("reload.start") >= reloads; }, 5s))
          << "SIGHUP " << reloads << " was not handled";
    }
    std::optional<HttpResponse> r;
    std::string request = absoluteGet(origin, "/bytes/" + std::to_string(100 + i));
    if (i % 2 == 0) {
      // A long-lived client connection must survive every reload.
      if (keepAlive.send(request))
        r = keepAlive.readResponse(5s);
    } else {
      r = rawExchange(proxy.endpoint(), request, 5s);
    }
    if (!r || r->status != 200 || r->body.size() != static_cast<size_t>(100 + i)) {
      if (failures++ == 0)
        firstFailure = "request " + std::to_string(i) + ": " +
                       (r ? "status " + std::to_string(r->status) : keepAlive.lastError());
    }
  }
  EXPECT_EQ(failures, 0) << firstFailure;
  EXPECT_TRUE(proxy.alive());
  // Every reload happened, and succeeded.
  EXPECT_EQ(reloads, 5u);
  EXPECT_TRUE(waitFor([&] { return count("reload.done") == reloads; }, 5s)) << proxy.stderrText();
  EXPECT_EQ(count("reload.rejected"), 0u);
}

TEST(LifecycleTest, SighupAppliesAnAclChangeLive) {
  OriginServer origin;
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  ASSERT_EQ(runCurl({"-x", proxy.proxyArg(), origin.url("/")}).status, 200);
  proxy.writeConfig(ProxyProcess::defaultConfig() + "\n[acl]\nallow_clients = 10.0.0.0/8\n");
  proxy.sendSignal(SIGHUP);
  ASSERT_TRUE(
      waitFor([&] { return proxy.stderrText().find("reload.done") != std::string::npos; }, 5s))
      << proxy.stderrText();
  EXPECT_TRUE(waitFor(
      [&] {
        return runCurl({"-x", proxy.proxyArg(), origin.url("/")}).status == 403;
      },
      5s))
      << "the new ACL was not applied";
  EXPECT_EQ(proxy.endpoints().size(), 1u);
}

TEST(LifecycleTest, SighupWithInvalidConfigKeepsServingAndSaysWhy) {
  OriginServer origin;
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  proxy.writeConfig(ProxyProcess::defaultConfig() +
                    "\n[acl]\nallow_clients = 10.0.0.0/8\n[server]\nreload_bogus_key = 1\n");
  proxy.sendSignal(SIGHUP);
  EXPECT_TRUE(
      waitFor([&] { return proxy.stderrText().find("reload_bogus_key") != std::string::npos; }, 5s))
      << "the rejected reload was not logged:\n"
      << proxy.stderrText();
  EXPECT_TRUE(
      waitFor([&] { return proxy.stderrText().find("reload.rejected") != std::string::npos; }, 5s));
  EXPECT_EQ(proxy.stderrText().find("reload.done"), std::string::npos);
  ASSERT_TRUE(proxy.alive());
  // Nothing changed: the ACL line of the invalid file was not applied either.
  auto r = runCurl({"-x", proxy.proxyArg(), origin.url("/")});
  EXPECT_EQ(r.status, 200) << r.describe();
}

TEST(LifecycleTest, SigusrOneReopensTheAccessLog) {
  OriginServer origin;
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  ASSERT_EQ(runCurl({"-x", proxy.proxyArg(), origin.url("/before")}).status, 404);
  ASSERT_TRUE(proxy.waitForAccessLogLines(1));
  std::string rotated = proxy.accessLogPath() + ".1";
  std::filesystem::rename(proxy.accessLogPath(), rotated);
  proxy.sendSignal(SIGUSR1);
  ASSERT_TRUE(
      waitFor([&] { return proxy.stderrText().find("logs.reopened") != std::string::npos; }, 5s))
      << proxy.stderrText();
  ASSERT_EQ(runCurl({"-x", proxy.proxyArg(), origin.url("/after")}).status, 404);
  EXPECT_TRUE(waitFor([&] { return proxy.accessLog().find("/after") != std::string::npos; }, 5s))
      << "new file: [" << proxy.accessLog() << "] rotated: [" << readFile(rotated) << "]";
  EXPECT_NE(readFile(rotated).find("/before"), std::string::npos);
  EXPECT_EQ(readFile(rotated).find("/after"), std::string::npos) << "still writing the old file";
}

// An access log that cannot be opened at start stops the proxy (exit 1), naming path and errno;
// --check finds it first (it runs as the service user in the systemd unit).
TEST(LifecycleTest, AnAccessLogThatCannotBeOpenedStopsTheStart) {
  ConfDir conf("[listener main]\naddress = 127.0.0.1:0\n\n[log]\n"
               "access_log = /nonexistent-exaproxy-dir/access.log\n");
  auto check = runExaproxy({"--conf-dir", conf.dir, "--check", "--set", "ui.enabled=no"});
  EXPECT_EQ(check.exitCode, 1) << check.out << check.err;
  EXPECT_NE((check.out + check.err).find("access_log: /nonexistent-exaproxy-dir/access.log"),
            std::string::npos)
      << check.out << check.err;
  auto run = runExaproxy({"--conf-dir", conf.dir, "--set", "ui.enabled=no"});
  EXPECT_EQ(run.exitCode, 1) << run.out << run.err;
  EXPECT_NE(run.err.find("startup.failed reason=\"cannot open the access log "
                         "/nonexistent-exaproxy-dir/access.log: No such file or directory"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("listener.ready"), std::string::npos) << "served without its access log";
  // The same for the diagnostic log file.
  ConfDir daemon("[listener main]\naddress = 127.0.0.1:0\n\n[log]\naccess_log = off\n"
                 "file = /nonexistent-exaproxy-dir/exaproxy.log\n");
  auto d = runExaproxy({"--conf-dir", daemon.dir, "--set", "ui.enabled=no"});
  EXPECT_EQ(d.exitCode, 1) << d.out << d.err;
  EXPECT_NE(d.err.find("/nonexistent-exaproxy-dir/exaproxy.log: No such file or directory"),
            std::string::npos)
      << d.err;
}

// Started as root with [server] user: the access log opened before the drop is given to the user,
// so it can reopen (and create) it after a rotation. A reopen that fails keeps the old file open
// and says so.
TEST(LifecycleTest, LogFilesBelongToTheServerUserAndAFailedReopenKeepsTheOldFile) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to drop privileges";
  passwd* pw = ::getpwnam("nobody");
  if (!pw)
    GTEST_SKIP() << "no user nobody";
  OriginServer origin;
  ProxyProcess proxy({"", {"server.loops=1", "server.user=nobody"}, {}});
  ASSERT_EQ(::chmod(proxy.dir().c_str(), 0777), 0); // the ready file is written after the drop
  ASSERT_EQ(::chmod(proxy.confDir().c_str(), 0755), 0);
  ASSERT_TRUE(proxy.start());
  struct stat st {};
  ASSERT_EQ(::stat(proxy.accessLogPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, pw->pw_uid) << "the access log still belongs to root";
  // Rotation into a directory the user may write: the user creates the new file itself.
  std::string rotated = proxy.accessLogPath() + ".1";
  std::filesystem::rename(proxy.accessLogPath(), rotated);
  proxy.sendSignal(SIGUSR1);
  ASSERT_TRUE(
      waitFor([&] { return proxy.stderrText().find("logs.reopened") != std::string::npos; }, 5s));
  ASSERT_EQ(runCurl({"-x", proxy.proxyArg(), origin.url("/after")}).status, 404);
  EXPECT_TRUE(waitFor([&] { return proxy.accessLog().find("/after") != std::string::npos; }, 5s));
  // Now a directory it may not write: the reopen fails, the old file goes on.
  std::string second = proxy.accessLogPath() + ".2";
  std::filesystem::rename(proxy.accessLogPath(), second);
  ASSERT_EQ(::chmod(proxy.dir().c_str(), 0755), 0);
  size_t reopens = 0;
  proxy.sendSignal(SIGUSR1);
  ASSERT_TRUE(waitFor(
      [&] {
        std::string e = proxy.stderrText();
        reopens = e.find("cannot reopen the access log");
        return reopens != std::string::npos;
      },
      5s))
      << proxy.stderrText();
  ASSERT_EQ(runCurl({"-x", proxy.proxyArg(), origin.url("/still")}).status, 404);
  EXPECT_TRUE(waitFor([&] { return readFile(second).find("/still") != std::string::npos; }, 5s))
      << "the old descriptor was dropped: " << readFile(second);
  ::chmod(proxy.dir().c_str(), 0777);
}

TEST(LifecycleTest, AccessLogIsSquidNativeFormatAndCalamarisReadsIt) {
  OriginServer origin;
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  ASSERT_EQ(runCurl({"-x", proxy.proxyArg(), origin.url("/bytes/1234")}).status, 200);
  ASSERT_EQ(runCurl({"-x", proxy.proxyArg(), origin.url("/missing")}).status, 404);
  ASSERT_EQ(runCurl({"-x", proxy.proxyArg(), "-X", "TRACE", origin.url("/")}).status, 405);
  ASSERT_TRUE(proxy.waitForAccessLogLines(3));
  auto lines = splitLines(proxy.accessLog());
  ASSERT_EQ(lines.size(), 3u) << proxy.accessLog();
  // Each loop writes its own lines: two requests served by two loops may land in either order.
  // Put them in the order of their timestamps (ties keep the file's order).
  std::stable_sort(lines.begin(), lines.end(), [](const std::string& a, const std::string& b) {
    return std::stod(a.substr(0, a.find(' '))) < std::stod(b.substr(0, b.find(' ')));
  });

  const std::regex time(R"(\d{9,}\.\d{3})"), digits(R"(\d+)"), code(R"([A-Z_]+/\d{3})"),
      hier(R"([A-Z_]+/\S+)");
  for (const auto& line : lines) {
    auto f = fields(line);
    ASSERT_GE(f.size(), 10u) << line;
    EXPECT_TRUE(std::regex_match(f[0], time)) << line;
    EXPECT_TRUE(std::regex_match(f[1], digits)) << line;
    EXPECT_EQ(f[2], "127.0.0.1") << line;
    EXPECT_TRUE(std::regex_match(f[3], code)) << line;
    EXPECT_TRUE(std::regex_match(f[4], digits)) << line;
    EXPECT_TRUE(std::regex_match(f[8], hier)) << line;
  }
  auto first = fields(lines[0]);
  EXPECT_EQ(first[3], "TCP_MISS/200") << lines[0];
  EXPECT_GT(std::stoul(first[4]), 1234u) << "bytes sent include the head";
  EXPECT_EQ(first[5], "GET");
  EXPECT_EQ(first[6], origin.url("/bytes/1234"));
  EXPECT_EQ(first[7], "-");
  EXPECT_EQ(first[8], "HIER_DIRECT/127.0.0.1");
  EXPECT_EQ(first[9], "application/octet-stream");
  EXPECT_EQ(fields(lines[1])[3], "TCP_MISS/404") << lines[1];
  EXPECT_EQ(fields(lines[2])[3].substr(fields(lines[2])[3].find('/')), "/405") << lines[2];
  EXPECT_EQ(fields(lines[2])[8], "HIER_NONE/-") << lines[2];

  // Debian's calamaris parses every line.
  std::string out = proxy.dir() + "/calamaris.out", err = proxy.dir() + "/calamaris.err";
  pid_t pid = spawnProcess({"/usr/bin/calamaris", "-a"}, out, err, proxy.accessLogPath());
  ASSERT_GT(pid, 0);
  auto st = waitPidFor(pid, 30s);
  ASSERT_TRUE(st);
  EXPECT_EQ(exitCodeOf(*st), 0) << readFile(err);
  // Its summary counts every line as parsed and none as invalid.
  std::string report = readFile(out);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(report, m, std::regex(R"(lines parsed:\s+lines\s+(\d+))")))
      << report.substr(0, 3000);
  EXPECT_EQ(m[1].str(), std::to_string(lines.size())) << report.substr(0, 3000);
  ASSERT_TRUE(std::regex_search(report, m, std::regex(R"(invalid lines:\s+lines\s+(\d+))")));
  EXPECT_EQ(m[1].str(), "0") << report.substr(0, 3000);
}

// [timeouts] drain_announce: after SIGTERM the proxy still accepts and serves for that long,
// /healthz answers 503 (a load balancer stops sending), every response closes its connection
// (a kept-alive one included, after its next request: never while idle); then the listener
// closes and the process exits.
TEST(LifecycleTest, DrainAnnounceKeepsServingWhileHealthzSays503) {
  OriginServer origin;
  ProxyOptions o;
  o.sets = {"timeouts.drain_announce=1500ms"};
  ProxyProcess proxy(o);
  ASSERT_TRUE(proxy.start());
  RawClient kept(proxy.endpoint());
  ASSERT_TRUE(kept.send(absoluteGet(origin, "/")));
  auto first = kept.readFinalResponse(5s);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  auto healthz = [&] {
    RawClient c(proxy.endpoint());
    if (!c.send("GET /healthz HTTP/1.1\r\nHost: " + proxy.endpoint().str() + "\r\n\r\n"))
      return 0;
    auto r = c.readFinalResponse(5s);
    return r ? r->status : 0;
  };
  EXPECT_EQ(healthz(), 200);

  auto signalled = std::chrono::steady_clock::now();
  proxy.sendSignal(SIGTERM);
  EXPECT_TRUE(waitFor([&] { return healthz() == 503; }, 1s)) << proxy.stderrText();
  // A new client is still served, and told the connection closes.
  auto fresh = runCurl({"-x", proxy.proxyArg(), "-D", "-", origin.url("/")}, 5);
  EXPECT_EQ(fresh.status, 200) << fresh.describe();
  EXPECT_NE(fresh.out.find("Connection: close"), std::string::npos) << fresh.out;
  // The kept-alive connection, idle meanwhile, was left open: its next request is served, with
  // Connection: close, and then it ends.
  ASSERT_TRUE(kept.send(absoluteGet(origin, "/")));
  auto second = kept.readFinalResponse(5s);
  ASSERT_TRUE(second) << proxy.stderrText();
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->headers.get("Connection").value_or(""), "close");
  EXPECT_TRUE(kept.waitClosed(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 1500ms)
      << "all of the above within the announcement";

  auto code = proxy.waitExit(10s);
  ASSERT_TRUE(code) << "exaproxy did not exit after the announcement";
  EXPECT_EQ(*code, 0) << proxy.stderrText();
  EXPECT_GE(std::chrono::steady_clock::now() - signalled, 1500ms) << "it left before its time";
  EXPECT_NE(proxy.stderrText().find("shutdown.announce for=1500ms"), std::string::npos);
}
