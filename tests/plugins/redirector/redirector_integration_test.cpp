// The redirector through the real binary with curl: Debian's squidGuard (domain list, URL list,
// regex, allowed site, CONNECT to a blocked host, a broken configuration caught by the canary),
// Squid's own url_fake_rewrite with concurrency=4, a helper answering out of order, a helper
// killed mid-request, a hanging helper, every shipped example helper, and calamaris on the log.
#include "itest.h"

#include <chrono>
#include <filesystem>
#include <regex>

using namespace itest;
using namespace std::chrono_literals;

#ifndef REDIRECTOR_PLUGIN
#error "REDIRECTOR_PLUGIN must name redirector.so"
#endif

namespace {

namespace fs = std::filesystem;

const char* kSquidGuard = "/usr/bin/squidGuard";
const char* kFakeRewrite = "/usr/lib/squid/url_fake_rewrite";
const std::string kExamples = REDIRECTOR_EXAMPLES;

class TempDir {
public:
  TempDir() : dir_(makeTempDir("itest-redirector")) {}
  ~TempDir() { removeTree(dir_); }
  std::string write(const std::string& name, const std::string& content, bool exec = false) const {
    std::string p = dir_ + "/" + name;
    fs::create_directories(fs::path(p).parent_path());
    writeFile(p, content);
    if (exec)
      fs::permissions(p, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
    return p;
  }
  const std::string& path() const { return dir_; }

private:
  std::string dir_;
};

// Every *.test and youtube name resolves to 127.0.0.1, where the origin listens.
Dnsmasq localDns() {
  return Dnsmasq(DnsmasqOptions{
      300, {"--address=/test/127.0.0.1", "--address=/youtube.com/127.0.0.1"}, {}, true});
}

ProxyOptions options(const Dnsmasq& dns, const std::string& redirector) {
  ProxyOptions o;
  o.sets.push_back("dns.servers=" + dns.server());
  o.extraFiles = {{"50-redirector.conf", std::string("[plugin]\npath = ") + REDIRECTOR_PLUGIN +
                                             "\ntimeout = 10s\n\n[redirector]\n" + redirector}};
  return o;
}

std::string at(const OriginServer& origin, const std::string& host, const std::string& path) {
  return "http://" + host + ":" + std::to_string(origin.port()) + path;
}

CurlResult get(const ProxyProcess& proxy, const std::string& url,
               std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"-x", proxy.proxyArg()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(url);
  return runCurl(args);
}

std::optional<RecordedRequest> lastRequest(const OriginServer& origin) {
  auto r = origin.requests();
  if (r.empty())
    return std::nullopt;
  return r.back();
}

// A squidGuard setup in dir: lists + config. Blocks go to block.test:<port>/blocked?...
std::string squidGuardConfig(const TempDir& dir, const OriginServer& origin, bool broken = false) {
  // No subdomain of a listed domain in the list: squidGuard 1.6 then stops matching the other
  // subdomains (www.bad.test passes when canary.bad.test is listed beside bad.test).
  dir.write("db/bad/domains", "bad.test\nads.test\n");
  dir.write("db/bad/urls", "good.test/evil\n");
  dir.write("db/bad/expressions", "(porn|xxx)\n");
  fs::create_directories(dir.path() + "/log");
  std::string redirect = "http://block.test:" + std::to_string(origin.port()) +
                         "/blocked?clientaddr=%a&clientgroup=%s&targetgroup=%t&url=%u";
  std::string conf = "dbhome " + dir.path() + "/db\nlogdir " + dir.path() + "/log\n" +
                     "dest bad {\n domainlist bad/domains\n urllist bad/urls\n"
                     " expressionlist bad/expressions\n redirect " +
                     redirect + "\n}\nacl {\n default {\n  pass !bad all\n  redirect " + redirect +
                     "\n }\n}\n";
  if (broken) // PROTOCOLS.md §1.6: a redirect that is not a URL sends squidGuard to emergency
    conf += "dest worse {\n redirect 127.0.0.1:8443\n}\n";
  return dir.write("squidGuard.conf", conf);
}

void expectBlocked(const OriginServer& origin, const std::string& what) {
  auto r = lastRequest(origin);
  ASSERT_TRUE(r) << what;
  EXPECT_EQ(r->target.rfind("/blocked?", 0), 0u) << what << ": " << r->target;
  EXPECT_NE(r->target.find("targetgroup=bad"), std::string::npos) << r->target;
  EXPECT_EQ(r->headers.get("Host").value_or(""), "block.test:" + std::to_string(origin.port()))
      << "Host follows the rewritten URL";
}

// The CONNECT answer as raw bytes (curl does not show the body of a failed CONNECT).
std::optional<HttpResponse> connectVia(const ProxyProcess& proxy, const std::string& authority) {
  return rawExchange(proxy.endpoint(),
                     "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
}

bool haveSquidGuard() { return fs::exists(kSquidGuard); }

} // namespace

TEST(RedirectorIntegrationTest, SquidGuardDomainsUrlsRegexAndAllowed) {
  if (!haveSquidGuard())
    GTEST_SKIP() << "squidguard is not installed (installers/bootstrap-deps.sh test)";
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  TempDir dir;
  std::string conf = squidGuardConfig(dir, origin);
  ProxyProcess proxy(options(dns, std::string("program = ") + kSquidGuard + " -c " + conf +
                                      "\nconcurrency = 0\nchildren = 3\n"
                                      "canary = http://canary.bad.test/\n"));
  ASSERT_TRUE(proxy.start());

  // Blocked domain, subdomain, URL-list prefix, regex: the request goes to the block page. So do
  // other spellings of a listed URL, as under Squid: an escaped unreserved character (%65 = e),
  // a host in capitals with a trailing dot (squidGuard matches the canonical URL).
  for (const auto& u : {at(origin, "bad.test", "/page"), at(origin, "www.bad.test", "/x"),
                        at(origin, "good.test", "/evil/x"), at(origin, "site.test", "/xxx.html"),
                        at(origin, "good.test", "/%65vil/x"), at(origin, "BAD.test.", "/page")}) {
    auto r = get(proxy, u);
    EXPECT_EQ(r.exitCode, 0) << r.describe();
    expectBlocked(origin, u);
    EXPECT_NE(lastRequest(origin)->target.find("url="), std::string::npos);
  }
  // An allowed site reaches the origin unchanged.
  auto ok = get(proxy, at(origin, "good.test", "/"));
  EXPECT_EQ(ok.status, 200) << ok.describe();
  EXPECT_EQ(ok.out, "origin-ok\n");
  EXPECT_EQ(lastRequest(origin)->target, "/");

  // CONNECT to a blocked host: squidGuard rewrites it to its http:// block page, which a tunnel
  // cannot go to: 403, and the page names the URL (Squid 5.7 answers 500 here).
  auto c = connectVia(proxy, "bad.test:443");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 403);
  EXPECT_NE(c->body.find("http://block.test:"), std::string::npos) << c->body;
  EXPECT_NE(c->body.find("bad.test:443"), std::string::npos) << c->body;
  // CONNECT to an allowed host is not the redirector's business (nothing listens on :443 here,
  // so the host answers its own error; the access log names no plugin).
  auto allowed = connectVia(proxy, "good.test:443");
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 502) << allowed->body; // good.test:443 = 127.0.0.1:443: refused

  // The access log: every line parses with calamaris, the denied CONNECT is logged as such. All
  // 9 lines (7 GETs, 2 CONNECTs): each loop batches its own, so the CONNECTs' may come last.
  ASSERT_TRUE(proxy.waitForAccessLogLines(9)) << proxy.accessLog();
  std::string log = proxy.accessLog();
  EXPECT_NE(log.find("TCP_DENIED/403"), std::string::npos) << log;
  std::string out = proxy.dir() + "/calamaris.out", err = proxy.dir() + "/calamaris.err";
  pid_t pid = spawnProcess({"/usr/bin/calamaris", "-a"}, out, err, proxy.accessLogPath());
  ASSERT_GT(pid, 0);
  auto st = waitPidFor(pid, 30s);
  ASSERT_TRUE(st);
  EXPECT_EQ(exitCodeOf(*st), 0) << readFile(err);
  std::smatch m;
  std::string report = readFile(out);
  ASSERT_TRUE(std::regex_search(report, m, std::regex(R"(invalid lines:\s+lines\s+(\d+))")))
      << report.substr(0, 2000);
  // Needs every line to have the same number of fields: calamaris takes the count from the
  // first line, so a "[rewritten]" note on some lines only makes the others invalid.
  EXPECT_EQ(m[1].str(), "0") << log;
}

TEST(RedirectorIntegrationTest, SquidGuardBrokenConfigCaughtByCanary) {
  if (!haveSquidGuard())
    GTEST_SKIP() << "squidguard is not installed";
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  TempDir dir;
  std::string conf = squidGuardConfig(dir, origin, true);
  ProxyProcess proxy(options(dns, std::string("program = ") + kSquidGuard + " -c " + conf +
                                      "\ncanary = http://canary.bad.test/\non_error = deny\n"
                                      "canary_interval = 1s\n"));
  ASSERT_TRUE(proxy.start());
  ASSERT_TRUE(
      waitFor([&] { return proxy.stderrText().find("emergency mode") != std::string::npos; }, 10s))
      << proxy.stderrText();
  // squidGuard now passes everything; the redirector refuses to: on_error = deny.
  auto r = get(proxy, at(origin, "bad.test", "/page"));
  EXPECT_EQ(r.status, 503) << r.describe();
  EXPECT_TRUE(origin.requests().empty());
}

TEST(RedirectorIntegrationTest, SquidFakeRewriteWithConcurrency) {
  if (!fs::exists(kFakeRewrite))
    GTEST_SKIP() << "squid (url_fake_rewrite) is not installed";
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  ProxyProcess proxy(
      options(dns, std::string("program = ") + kFakeRewrite + "\nconcurrency = 4\nchildren = 2\n"));
  ASSERT_TRUE(proxy.start());
  std::vector<std::thread> threads;
  std::vector<CurlResult> results(8);
  for (size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] {
      results[i] = get(proxy, at(origin, "fake.test", "/status/20" + std::to_string(i % 2)));
    });
  for (auto& t : threads)
    t.join();
  for (size_t i = 0; i < results.size(); ++i)
    EXPECT_EQ(results[i].status, i % 2 ? 201 : 200) << results[i].describe();
}

TEST(RedirectorIntegrationTest, OutOfOrderAnswersRewriteEachRequestRight) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  TempDir dir;
  // Holds three requests, then answers them in reverse, rewriting each to /status/<n>.
  std::string helper = dir.write("reverse.py", R"PY(#!/usr/bin/python3
import sys
held = []
for line in sys.stdin:
    cid, url = line.split()[:2]
    held.append((cid, url))
    if len(held) == 3:
        for c, u in reversed(held):
            n = u.rsplit("/", 1)[1]
            print(c + ' OK rewrite-url="' + u.rsplit("/", 2)[0] + '/status/' + n + '"', flush=True)
        held = []
)PY",
                                 true);
  ProxyProcess proxy(options(dns, "program = " + helper + "\nconcurrency = 8\nchildren = 1\n"));
  ASSERT_TRUE(proxy.start());
  std::vector<std::thread> threads;
  std::vector<CurlResult> results(3);
  const int codes[] = {201, 202, 203};
  for (size_t i = 0; i < 3; ++i)
    threads.emplace_back([&, i] {
      results[i] = get(proxy, at(origin, "order.test", "/ask/" + std::to_string(codes[i])));
    });
  for (auto& t : threads)
    t.join();
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(results[i].status, codes[i]) << results[i].describe();
}

TEST(RedirectorIntegrationTest, HelperKilledMidRequestStillAnswers) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  TempDir dir;
  std::string marker = dir.path() + "/died";
  std::string helper = dir.write("die.py",
                                 "#!/usr/bin/python3\nimport os, sys\n"
                                 "for line in sys.stdin:\n"
                                 "    if '/die' in line and not os.path.exists('" +
                                     marker +
                                     "'):\n"
                                     "        open('" +
                                     marker +
                                     "', 'w').close(); os.kill(os.getpid(), 9)\n"
                                     "    print('ERR', flush=True)\n",
                                 true);
  ProxyProcess proxy(options(dns, "program = " + helper + "\n"));
  ASSERT_TRUE(proxy.start());
  auto r = get(proxy, at(origin, "kill.test", "/die"));
  EXPECT_EQ(r.status, 404) << r.describe(); // answered (by the origin), after a retry
  EXPECT_TRUE(fileExists(marker));
  EXPECT_NE(proxy.stderrText().find("killed by signal 9"), std::string::npos);
  EXPECT_EQ(get(proxy, at(origin, "kill.test", "/")).status, 200);
  // ABI 1.4: the helpers' pipes are the host loop's, not a thread's of the plugin.
  EXPECT_NE(proxy.stderrText().find("helpers served on the host's event loop"), std::string::npos)
      << proxy.stderrText();
}

TEST(RedirectorIntegrationTest, HangingHelperTimeoutPolicy) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  TempDir dir;
  std::string helper = dir.write("hang.py",
                                 "#!/usr/bin/python3\nimport sys\n"
                                 "for line in sys.stdin:\n"
                                 "    if '/stall' not in line:\n"
                                 "        print('ERR', flush=True)\n",
                                 true);
  for (std::string policy : {"deny", "allow"}) {
    ProxyProcess proxy(
        options(dns, "program = " + helper + "\ntimeout = 700ms\non_timeout = " + policy + "\n"));
    ASSERT_TRUE(proxy.start());
    auto t0 = std::chrono::steady_clock::now();
    auto r = get(proxy, at(origin, "hang.test", "/stall"));
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(r.status, policy == "deny" ? 503 : 404) << r.describe();
    EXPECT_LT(took, 5s);
    // The hung child was replaced: the next request is answered at once.
    EXPECT_EQ(get(proxy, at(origin, "hang.test", "/")).status, 200) << policy;
  }
}

// A helper answering garbage (no OK/ERR/BH, no legacy form) is not a pass: on_error decides
// (deny here: 503, the origin never asked); the allow policy passes it. Its bytes reach the daemon
// log and the deny page (a CONNECT "blocked" to a URL) with NUL, ESC and DEL escaped.
TEST(RedirectorIntegrationTest, GarbageAnswerGoesToOnErrorAndIsSanitised) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  TempDir dir;
  std::string helper = dir.write(
      "garbage.py",
      "#!/usr/bin/python3\nimport sys\nfor line in sys.stdin:\n"
      "    if line.split()[3] == 'CONNECT':\n"
      "        print('OK rewrite-url=\"http://block.test/\\x1b[31mred\\x7f\"', flush=True)\n"
      "    elif '/garbage' in line:\n"
      "        print('\\x1b[2J\\x00\\x7fwhatever', flush=True)\n"
      "    else:\n        print('ERR', flush=True)\n",
      true);
  for (std::string policy : {"deny", "allow"}) {
    ProxyProcess proxy(options(dns, "program = " + helper + "\non_error = " + policy + "\n"));
    ASSERT_TRUE(proxy.start());
    origin.clearRecords();
    auto r = get(proxy, at(origin, "g.test", "/garbage"));
    EXPECT_EQ(r.status, policy == "deny" ? 503 : 404) << r.describe();
    EXPECT_EQ(origin.requests().empty(), policy == "deny");
    EXPECT_EQ(get(proxy, at(origin, "g.test", "/")).status, 200) << "ERR is a pass";
    if (policy == "allow")
      continue;
    RawClient c(proxy.endpoint());
    ASSERT_TRUE(c.send("CONNECT c.test:443 HTTP/1.1\r\nHost: c.test:443\r\n\r\n"));
    auto page = c.readResponse(10s);
    ASSERT_TRUE(page) << c.lastError();
    EXPECT_EQ(page->status, 403);
    EXPECT_NE(page->body.find("block.test/\\x1b[31mred\\x7f"), std::string::npos) << page->body;
    std::string log = proxy.stderrText();
    EXPECT_NE(log.find("\\x1b[2J\\x00\\x7fwhatever"), std::string::npos) << log;
    for (char bad : {'\x1b', '\x7f', '\0'}) {
      EXPECT_EQ(log.find(bad), std::string::npos) << "raw byte " << int(bad) << " in the log";
      EXPECT_EQ(page->body.find(bad), std::string::npos)
          << "raw byte " << int(bad) << " on the page";
    }
  }
}

TEST(RedirectorIntegrationTest, RewriteHostFollowsAndConnectRoutes) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  TempDir dir;
  std::string port = std::to_string(origin.port());
  std::string helper =
      dir.write("rw.py",
                "#!/usr/bin/python3\nimport sys\nfor line in sys.stdin:\n"
                "    url, method = line.split()[0], line.split()[3]\n"
                "    if method == 'CONNECT':\n"
                "        print('OK rewrite-url=\"127.0.0.1:" +
                    port +
                    "\"', flush=True)\n"
                    "    elif 'from.test' in url:\n"
                    "        print('OK rewrite-url=\"http://to.test:" +
                    port +
                    "/landed\"', flush=True)\n"
                    "    elif 'moved.test' in url:\n"
                    "        print('OK status=301 url=\"http://new.test/\"', flush=True)\n"
                    "    else:\n        print('ERR', flush=True)\n",
                true);
  ProxyProcess proxy(options(dns, "program = " + helper + "\n"));
  ASSERT_TRUE(proxy.start());
  get(proxy, at(origin, "from.test", "/x"));
  auto r = lastRequest(origin);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target, "/landed");
  EXPECT_EQ(r->headers.get("Host").value_or(""), "to.test:" + port);
  auto m = get(proxy, at(origin, "moved.test", "/"), {"-D", "-"});
  EXPECT_EQ(m.status, 301);
  EXPECT_NE(m.out.find("Location: http://new.test/"), std::string::npos) << m.out;
  // CONNECT nowhere.test:443 → tunnelled to the origin instead.
  auto t = runCurl({"-x", proxy.proxyArg(), "-p", "http://nowhere.test:443/"});
  EXPECT_EQ(t.connectStatus, 200) << t.describe();
  EXPECT_EQ(t.out, "origin-ok\n");
}

// ---- the shipped examples --------------------------------------------------------------------

TEST(RedirectorExamplesTest, AllowAll) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  for (std::string conc : {"0", "4"}) {
    ProxyProcess proxy(
        options(dns, "program = " + kExamples + "/allow_all.sh\nconcurrency = " + conc + "\n"));
    ASSERT_TRUE(proxy.start());
    auto r = get(proxy, at(origin, "any.test", "/?a=*&b=?"));
    EXPECT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(r.out, "origin-ok\n");
  }
}

TEST(RedirectorExamplesTest, DenyPageAndServeFile) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  ProxyProcess deny(options(dns, "program = " + kExamples +
                                     "/deny_page.py ads.test\nprotocol = exaproxy-url\n"
                                     "files = " +
                                     kExamples + "/pages\n"));
  ASSERT_TRUE(deny.start());
  auto blocked = get(deny, at(origin, "www.ads.test", "/banner"));
  EXPECT_NE(blocked.out.find("<h1>Blocked</h1>"), std::string::npos) << blocked.describe();
  EXPECT_EQ(get(deny, at(origin, "fine.test", "/")).out, "origin-ok\n");

  ProxyProcess serve(options(dns, "program = " + kExamples +
                                      "/serve_file.py portal.test\nprotocol = exaproxy-url\n"
                                      "files = " +
                                      kExamples + "/pages\n"));
  ASSERT_TRUE(serve.start());
  auto page = get(serve, at(origin, "portal.test", "/anything"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.out.find("Served by the proxy"), std::string::npos) << page.describe();
  EXPECT_EQ(get(serve, at(origin, "other.test", "/")).out, "origin-ok\n");
}

TEST(RedirectorExamplesTest, Redirect) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  ProxyProcess proxy(options(dns, "program = " + kExamples +
                                      "/redirect.py http://portal.test/why?url= games.test\n"
                                      "concurrency = 4\n"));
  ASSERT_TRUE(proxy.start());
  std::string u = at(origin, "play.games.test", "/x");
  auto r = get(proxy, u, {"-D", "-"});
  EXPECT_EQ(r.status, 302) << r.describe();
  EXPECT_NE(r.out.find("Location: http://portal.test/why?url=http%3A%2F%2Fplay.games.test%3A"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(get(proxy, at(origin, "work.test", "/")).status, 200);
}

TEST(RedirectorExamplesTest, YouTubeRestrictHeaderAndCookie) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  {
    ProxyProcess proxy(options(dns, "program = " + kExamples +
                                        "/youtube_restrict.py header\nprotocol = exaproxy-icap\n"));
    ASSERT_TRUE(proxy.start());
    get(proxy, at(origin, "www.youtube.com", "/watch?v=1"));
    auto r = lastRequest(origin);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->headers.get("YouTube-Restrict").value_or(""), "Strict");
    get(proxy, at(origin, "www.other.test", "/"));
    EXPECT_FALSE(lastRequest(origin)->headers.has("YouTube-Restrict"));
  }
  {
    ProxyProcess proxy(options(dns, "program = " + kExamples +
                                        "/youtube_restrict.py cookie\nprotocol = exaproxy-icap\n"));
    ASSERT_TRUE(proxy.start());
    get(proxy, at(origin, "www.youtube.com", "/"), {"-H", "Cookie: PREF=f1=50000000; VISITOR=1"});
    auto r = lastRequest(origin);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->headers.get("Cookie").value_or(""), "PREF=f2=8000000&f1=50000000; VISITOR=1");
  }
}

TEST(RedirectorExamplesTest, IcapGeneratedPage) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  ProxyProcess proxy(options(dns, "program = " + kExamples +
                                      "/icap_page.py games.test\nprotocol = exaproxy-icap\n"));
  ASSERT_TRUE(proxy.start());
  auto r = get(proxy, at(origin, "www.games.test", "/play"));
  EXPECT_EQ(r.status, 403) << r.describe();
  EXPECT_NE(r.out.find("is not available from this network (client 127.0.0.1)"), std::string::npos)
      << r.out;
  EXPECT_TRUE(origin.requests().empty());
  EXPECT_EQ(get(proxy, at(origin, "work.test", "/")).out, "origin-ok\n");
}

TEST(RedirectorExamplesTest, SquidGuardExampleConfiguration) {
  if (!haveSquidGuard())
    GTEST_SKIP() << "squidguard is not installed";
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = Dnsmasq(DnsmasqOptions{300, {"--address=/example/127.0.0.1"}, {}, true});
  ASSERT_TRUE(dns.start()) << dns.error();
  // The shipped file with its paths pointed at a copy of the shipped lists.
  TempDir dir;
  fs::copy(kExamples + "/squidguard/db", dir.path() + "/db", fs::copy_options::recursive);
  fs::create_directories(dir.path() + "/log");
  std::string conf = readFile(kExamples + "/squidguard/squidGuard.conf");
  conf = std::regex_replace(conf, std::regex("/etc/exaproxy/squidguard/db"), dir.path() + "/db");
  conf = std::regex_replace(conf, std::regex("/var/log/exaproxy/squidguard"), dir.path() + "/log");
  conf = std::regex_replace(conf, std::regex("http://blocked.example/"),
                            "http://blocked.example:" + std::to_string(origin.port()) + "/");
  std::string file = dir.write("squidGuard.conf", conf);
  ProxyProcess proxy(options(dns, std::string("program = ") + kSquidGuard + " -c " + file +
                                      "\ncanary = http://canary.blocked.example/\n"));
  ASSERT_TRUE(proxy.start());
  get(proxy, at(origin, "www.bad.example", "/"));
  auto r = lastRequest(origin);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->headers.get("Host").value_or(""),
            "blocked.example:" + std::to_string(origin.port()));
  EXPECT_NE(r->target.find("url=http://www.bad.example"), std::string::npos) << r->target;
  EXPECT_EQ(get(proxy, at(origin, "fine.example", "/")).out, "origin-ok\n");
  EXPECT_EQ(proxy.stderrText().find("emergency mode"), std::string::npos);
}

// Last: needs plugins/xff. The load balancer (127.0.0.1, trusted) says who the client is; the
// squidGuard rule for 10.0.0.0/8 only matches because the identity came from X-Forwarded-For.
TEST(RedirectorIntegrationTest, SquidGuardPerClientRulesThroughTrustedXff) {
#ifndef XFF_PLUGIN
  GTEST_SKIP() << "plugins/xff is not built in this tree";
#else
  if (!haveSquidGuard())
    GTEST_SKIP() << "squidguard is not installed";
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  TempDir dir;
  dir.write("db/bad/domains", "bad.test\n");
  fs::create_directories(dir.path() + "/log");
  std::string redirect = "http://block.test:" + std::to_string(origin.port()) +
                         "/blocked?clientaddr=%a&clientgroup=%s&url=%u";
  std::string conf = dir.write("squidGuard.conf",
                               "dbhome " + dir.path() + "/db\nlogdir " + dir.path() + "/log\n" +
                                   "src lan {\n ip 10.0.0.0/8\n}\n"
                                   "dest bad {\n domainlist bad/domains\n}\n"
                                   "acl {\n lan {\n  pass all\n }\n default {\n  pass !bad all\n"
                                   "  redirect " +
                                   redirect + "\n }\n}\n");
  ProxyOptions o = options(dns, std::string("program = ") + kSquidGuard + " -c " + conf + "\n");
  o.extraFiles.push_back({"10-xff.conf", std::string("[plugin]\npath = ") + XFF_PLUGIN +
                                             "\n[xff]\ntrusted = 127.0.0.1\n"});
  ProxyProcess proxy(o);
  ASSERT_TRUE(proxy.start());
  std::string u = at(origin, "bad.test", "/page");
  // A client inside 10.0.0.0/8 behind the balancer: its group passes everything.
  get(proxy, u, {"-H", "X-Forwarded-For: 10.1.2.3"});
  ASSERT_TRUE(lastRequest(origin));
  EXPECT_EQ(lastRequest(origin)->target, "/page");
  // Another client behind the same balancer: default group, blocked, and squidGuard saw it.
  get(proxy, u, {"-H", "X-Forwarded-For: 192.168.1.5"});
  EXPECT_EQ(
      lastRequest(origin)->target.rfind("/blocked?clientaddr=192.168.1.5&clientgroup=default", 0),
      0u)
      << lastRequest(origin)->target;
  // No header: the balancer itself (127.0.0.1), default group.
  get(proxy, u);
  EXPECT_NE(lastRequest(origin)->target.find("clientaddr=127.0.0.1"), std::string::npos);
#endif
}
