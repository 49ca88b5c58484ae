// The xff plugin through the real binary: the daemon loads xff.so from a test conf dir; requests
// come from loopback (the TCP peer 127.0.0.1, trusted or not) with X-Forwarded-For / Forwarded
// lines; the access log's client field and the origin's received headers are checked. Then a
// real haproxy (Debian package, fixtures/haproxy.h) in front: mode http + option forwardfor, and
// mode tcp + send-proxy-v2.
#include "haproxy.h"
#include "itest.h"

#include <signal.h>

#include <chrono>
#include <iterator>
#include <sstream>
#include <thread>

#ifndef XFF_PLUGIN
#error "XFF_PLUGIN must name the built xff.so"
#endif
#ifndef XFF_EXAMPLE_CONF
#error "XFF_EXAMPLE_CONF must name conf.d/examples/10-xff.conf"
#endif

using namespace itest;
using namespace std::chrono_literals;

namespace {

// The client field of access-log line i (fields: time, elapsed, client, code/status, ...).
std::string clientField(const std::string& line) {
  std::istringstream in(line);
  std::string time, elapsed, client;
  in >> time >> elapsed >> client;
  return client;
}

std::string pluginConf(const std::string& xffSection) {
  return std::string("[plugin]\npath = ") + XFF_PLUGIN + "\n\n[xff]\n" + xffSection;
}

class XffTest : public testing::Test {
protected:
  // Starts the proxy with the xff plugin configured by xffSection ([xff] keys).
  void startProxy(const std::string& xffSection, std::string config = "") {
    ASSERT_TRUE(origin.ok());
    ProxyOptions o;
    o.config = std::move(config);
    o.extraFiles = {{"10-xff.conf", pluginConf(xffSection)}};
    proxy = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy->start());
  }

  // GET /echo on a fresh connection from 127.0.0.1 with extra header lines; the origin's record.
  std::optional<RecordedRequest> get(const std::vector<std::string>& extra) {
    origin.clearRecords();
    auto r = rawExchange(proxy->endpoint(), absoluteGet(origin, "/echo", extra), 10s);
    EXPECT_TRUE(r) << "no response";
    if (!r)
      return std::nullopt;
    EXPECT_EQ(r->status, 200) << r->rawHead;
    auto reqs = origin.requests();
    if (reqs.empty())
      return std::nullopt;
    return reqs.back();
  }

  // The client field of the last access-log line, once n lines are there.
  std::string loggedClient(size_t n) {
    EXPECT_TRUE(proxy->waitForAccessLogLines(n)) << proxy->accessLog();
    auto lines = splitLines(proxy->accessLog());
    return lines.empty() ? "" : clientField(lines.back());
  }

  OriginServer origin;
  std::unique_ptr<ProxyProcess> proxy;
};

} // namespace

TEST_F(XffTest, TrustedHopGivesTheIdentityAndAppendsThePeer) {
  startProxy("trusted = 127.0.0.1\n");
  auto req = get({"X-Forwarded-For: 198.51.100.7"});
  ASSERT_TRUE(req);
  EXPECT_EQ(loggedClient(1), "198.51.100.7") << proxy->accessLog();
  EXPECT_EQ(req->headers.count("X-Forwarded-For"), 1u);
  EXPECT_EQ(req->headers.get("X-Forwarded-For").value_or(""), "198.51.100.7, 127.0.0.1");
  EXPECT_NE(proxy->stderrText().find("xff.identity peer=127.0.0.1 identity=198.51.100.7"),
            std::string::npos)
      << proxy->stderrText();
}

// The access log's decision field (the 11th) names the plugins that rewrote a request: xff's
// X-Forwarded-For bookkeeping is not a rewrite, whether it changed the identity or only appended.
TEST_F(XffTest, AppendingIsNotARewriteInTheAccessLog) {
  startProxy("trusted = 127.0.0.1\n");
  ASSERT_TRUE(get({"X-Forwarded-For: 198.51.100.7"})); // identity taken, the peer appended
  ASSERT_TRUE(get({}));                                // only appended
  ASSERT_TRUE(proxy->waitForAccessLogLines(2)) << proxy->accessLog();
  for (const auto& line : splitLines(proxy->accessLog())) {
    std::istringstream in(line);
    std::vector<std::string> f{std::istream_iterator<std::string>(in), {}};
    ASSERT_EQ(f.size(), 11u) << line;
    EXPECT_EQ(f[10], "-") << line;
  }
}

TEST_F(XffTest, SeveralLinesWalkedFromTheRight) {
  startProxy("trusted = 127.0.0.1 10.0.0.0/8\n");
  // An attacker's line first, the load balancers' after: joined and walked from the right.
  auto req = get({"X-Forwarded-For: 6.6.6.6, 10.0.0.99", "X-Forwarded-For: 203.0.113.5, 10.1.1.1"});
  ASSERT_TRUE(req);
  EXPECT_EQ(loggedClient(1), "203.0.113.5");
  EXPECT_EQ(req->headers.get("X-Forwarded-For").value_or(""),
            "6.6.6.6, 10.0.0.99, 203.0.113.5, 10.1.1.1, 127.0.0.1");
}

TEST_F(XffTest, UntrustedPeerHeaderIsIgnored) {
  startProxy("trusted = 10.0.0.0/8\n");
  auto req = get({"X-Forwarded-For: 198.51.100.7"});
  ASSERT_TRUE(req);
  EXPECT_EQ(loggedClient(1), "127.0.0.1");
  // append still passes the list on, with the real peer last.
  EXPECT_EQ(req->headers.get("X-Forwarded-For").value_or(""), "198.51.100.7, 127.0.0.1");
}

TEST_F(XffTest, GarbageStopsTheWalk) {
  startProxy("trusted = 127.0.0.1\n");
  auto req = get({"X-Forwarded-For: 198.51.100.7, not-an-address"});
  ASSERT_TRUE(req);
  EXPECT_EQ(loggedClient(1), "127.0.0.1");
  EXPECT_NE(proxy->stderrText().find("stopped_at=\"not-an-address\""), std::string::npos)
      << proxy->stderrText();
}

TEST_F(XffTest, Ipv6WithBracketsAndPort) {
  startProxy("trusted = 127.0.0.1\n");
  auto req = get({"X-Forwarded-For: [2001:db8::17]:4711"});
  ASSERT_TRUE(req);
  EXPECT_EQ(loggedClient(1), "2001:db8::17");
}

TEST_F(XffTest, ForwardedHeaderWhenFollowed) {
  startProxy("trusted = 127.0.0.1\nfollow = forwarded\nforwarded = append\n");
  auto req = get({"Forwarded: for=\"[2001:db8::1]:4711\";proto=https"});
  ASSERT_TRUE(req);
  EXPECT_EQ(loggedClient(1), "2001:db8::1");
  EXPECT_EQ(req->headers.get("Forwarded").value_or(""),
            "for=\"[2001:db8::1]:4711\";proto=https, for=127.0.0.1");
}

TEST_F(XffTest, TruncateSendsOnlyTheIdentity) {
  startProxy("trusted = 127.0.0.1\nforwarded_for = truncate\n");
  auto req = get({"X-Forwarded-For: 6.6.6.6, 198.51.100.7"});
  ASSERT_TRUE(req);
  EXPECT_EQ(req->headers.get("X-Forwarded-For").value_or(""), "198.51.100.7");
}

TEST_F(XffTest, DeleteSendsNone) {
  startProxy("trusted = 127.0.0.1\nforwarded_for = delete\n");
  auto req = get({"X-Forwarded-For: 198.51.100.7", "X-Forwarded-For: 10.0.0.1"});
  ASSERT_TRUE(req);
  EXPECT_FALSE(req->headers.has("X-Forwarded-For")) << req->rawHead;
  // The identity is still taken from it: 10.0.0.1 is not trusted here, so it is the client.
  EXPECT_EQ(loggedClient(1), "10.0.0.1");
}

TEST_F(XffTest, TransparentSendsItUnchanged) {
  startProxy("trusted = 127.0.0.1\nforwarded_for = transparent\n");
  auto req = get({"X-Forwarded-For: 198.51.100.7"});
  ASSERT_TRUE(req);
  EXPECT_EQ(req->headers.joined("X-Forwarded-For"), "198.51.100.7");
}

TEST_F(XffTest, ConnectionHeaderCannotStripOurXff) {
  startProxy("trusted = 10.0.0.0/8\n");
  auto req = get({"Connection: keep-alive, X-Forwarded-For"});
  ASSERT_TRUE(req);
  EXPECT_EQ(req->headers.get("X-Forwarded-For").value_or(""), "127.0.0.1") << req->rawHead;
}

TEST_F(XffTest, WithoutTheHeaderThePeerIsTheClient) {
  startProxy("trusted = 127.0.0.1\n");
  auto req = get({});
  ASSERT_TRUE(req);
  EXPECT_EQ(loggedClient(1), "127.0.0.1");
  EXPECT_EQ(req->headers.get("X-Forwarded-For").value_or(""), "127.0.0.1");
}

TEST_F(XffTest, SighupAppliesNewTrustedProxies) {
  startProxy("trusted = 10.0.0.0/8\n");
  ASSERT_TRUE(get({"X-Forwarded-For: 198.51.100.7"}));
  EXPECT_EQ(loggedClient(1), "127.0.0.1");
  writeFile(proxy->confDir() + "/10-xff.conf", pluginConf("trusted = 127.0.0.1\n"));
  proxy->sendSignal(SIGHUP);
  // The reload is asynchronous: ask until the new list applies.
  size_t n = 1;
  bool applied = waitFor(
      [&] {
        get({"X-Forwarded-For: 198.51.100.7"});
        return loggedClient(++n) == "198.51.100.7";
      },
      5000ms);
  EXPECT_TRUE(applied) << proxy->accessLog() << proxy->stderrText();
}

TEST_F(XffTest, ShippedExampleConfWorksAsIs) {
  // conf.d/examples/10-xff.conf copied into conf.d: the bare `path = xff.so` finds the build's
  // plugin, and its trusted list holds 127.0.0.1.
  ASSERT_TRUE(origin.ok());
  ProxyOptions o;
  o.extraFiles = {{"10-xff.conf", readFile(XFF_EXAMPLE_CONF)}};
  proxy = std::make_unique<ProxyProcess>(o);
  ASSERT_TRUE(proxy->start());
  auto req = get({"X-Forwarded-For: 198.51.100.7"});
  ASSERT_TRUE(req);
  EXPECT_EQ(loggedClient(1), "198.51.100.7");
  EXPECT_EQ(req->headers.get("X-Forwarded-For").value_or(""), "198.51.100.7, 127.0.0.1");
}

TEST_F(XffTest, ABadSettingRefusesThePluginNamingFileAndLine) {
  ProxyOptions o;
  o.extraFiles = {{"10-xff.conf", pluginConf("trusted = 10.0.0.0/8 lb.example\n")}};
  ProxyProcess p(o);
  // The proxy keeps running without the plugin, or refuses to start: either way the message
  // names the file and line.
  auto started = p.start();
  auto text = p.stderrText() + p.stdoutText();
  EXPECT_NE(text.find("10-xff.conf:5"), std::string::npos) << text;
  EXPECT_NE(text.find("'lb.example'"), std::string::npos) << text;
  (void)started;
}

// ---- a real haproxy in front ----

class XffHaproxyTest : public XffTest {
protected:
  void SetUp() override {
    if (haproxyBinary().empty())
      GTEST_SKIP() << "haproxy is not installed (installers/bootstrap-deps.sh test)";
    if (!loopbackSourcesUsable({"127.0.0.2", "127.0.0.3", "127.0.0.4"}))
      GTEST_SKIP() << "cannot bind 127.0.0.2-127.0.0.4 as client addresses";
  }

  // curl -x haproxy from the given loopback address; the origin's /echo answer.
  CurlResult fetchFrom(const Haproxy& h, const std::string& source) {
    return runCurl({"--interface", source, "-x", "http://" + h.proxyArg(), origin.url("/echo")});
  }
};

TEST_F(XffHaproxyTest, ForwardForGivesEachClientItsIdentity) {
  // haproxy connects to us from 127.0.0.1: the only trusted hop.
  startProxy("trusted = 127.0.0.1\n");
  Haproxy h;
  ASSERT_TRUE(h.start(haproxyHttpConfig(proxy->proxyArg())));

  auto a = fetchFrom(h, "127.0.0.2");
  ASSERT_EQ(a.exitCode, 0) << a.describe() << h.log();
  EXPECT_EQ(a.status, 200) << a.describe();
  ASSERT_TRUE(proxy->waitForAccessLogLines(1));
  auto b = fetchFrom(h, "127.0.0.3");
  ASSERT_EQ(b.exitCode, 0) << b.describe();
  EXPECT_EQ(b.status, 200);
  ASSERT_TRUE(proxy->waitForAccessLogLines(2));

  auto lines = splitLines(proxy->accessLog());
  ASSERT_EQ(lines.size(), 2u) << proxy->accessLog();
  EXPECT_EQ(clientField(lines[0]), "127.0.0.2") << lines[0];
  EXPECT_EQ(clientField(lines[1]), "127.0.0.3") << lines[1];
  // The origin sees haproxy's hop and ours.
  auto reqs = origin.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].headers.joined("X-Forwarded-For"), "127.0.0.2, 127.0.0.1");
  EXPECT_EQ(reqs[1].headers.joined("X-Forwarded-For"), "127.0.0.3, 127.0.0.1");
}

TEST_F(XffHaproxyTest, UntrustedHaproxyIsNotBelieved) {
  startProxy("trusted = 10.0.0.0/8\n");
  Haproxy h;
  ASSERT_TRUE(h.start(haproxyHttpConfig(proxy->proxyArg())));
  auto a = fetchFrom(h, "127.0.0.2");
  ASSERT_EQ(a.exitCode, 0) << a.describe() << h.log();
  ASSERT_TRUE(proxy->waitForAccessLogLines(1));
  EXPECT_EQ(clientField(splitLines(proxy->accessLog()).back()), "127.0.0.1");
}

TEST_F(XffHaproxyTest, SendProxyV2GivesEachClientItsAddress) {
  std::string config = "[listener main]\naddress = 127.0.0.1:0\nproxy_protocol = v2\n"
                       "proxy_trusted = 127.0.0.1\n\n[log]\nlevel = debug\n"
                       "access_log = @DIR@/access.log\n";
  startProxy("trusted = 127.0.0.1\n", config);
  // A listener that reads PROXY headers closes a connection that starts with HTTP instead,
  // without a response (and without an access log line).
  auto plain = rawExchange(proxy->endpoint(), absoluteGet(origin, "/"), 3s);
  EXPECT_FALSE(plain) << "a request without a PROXY header was answered: status "
                      << (plain ? plain->status : 0);
  EXPECT_EQ(origin.requestCount(), 0u);
  EXPECT_TRUE(waitFor(
      [&] { return proxy->stderrText().find("proxy_protocol.failed") != std::string::npos; }, 3s))
      << proxy->stderrText();
  size_t before = splitLines(proxy->accessLog()).size();
  EXPECT_EQ(before, 0u) << proxy->accessLog();

  Haproxy h;
  ASSERT_TRUE(h.start(haproxyTcpProxyV2Config(proxy->proxyArg())));
  auto a = fetchFrom(h, "127.0.0.2");
  ASSERT_EQ(a.exitCode, 0) << a.describe() << h.log() << proxy->stderrText();
  EXPECT_EQ(a.status, 200);
  ASSERT_TRUE(proxy->waitForAccessLogLines(before + 1));
  auto b = fetchFrom(h, "127.0.0.3");
  ASSERT_EQ(b.exitCode, 0) << b.describe();
  EXPECT_EQ(b.status, 200);
  ASSERT_TRUE(proxy->waitForAccessLogLines(before + 2));
  auto lines = splitLines(proxy->accessLog());
  ASSERT_EQ(lines.size(), before + 2) << proxy->accessLog();
  EXPECT_EQ(clientField(lines[before]), "127.0.0.2") << proxy->accessLog();
  EXPECT_EQ(clientField(lines[before + 1]), "127.0.0.3") << proxy->accessLog();
  // The PROXY source is the peer the plugin sees: it is what gets appended upstream.
  auto reqs = origin.requests();
  ASSERT_GE(reqs.size(), 2u);
  EXPECT_EQ(reqs[reqs.size() - 2].headers.joined("X-Forwarded-For"), "127.0.0.2");
  EXPECT_EQ(reqs.back().headers.joined("X-Forwarded-For"), "127.0.0.3");
}

// allow_clients is checked against the PROXY-protocol identity (proxy_trusted gates who may send
// the header): haproxy on 127.0.0.2 (`source`), in tcp mode with send-proxy-v2, forwards a client
// on 127.0.0.3, which `allow_clients = 127.0.0.3/32` admits; a client on 127.0.0.4 behind the same
// haproxy is refused (403), and neither reaches the origin unless admitted.
TEST_F(XffHaproxyTest, AllowClientsMatchesTheProxyProtocolIdentity) {
  std::string config = "[listener main]\naddress = 127.0.0.1:0\nproxy_protocol = v2\n"
                       "proxy_trusted = 127.0.0.2/32\n\n[acl]\nallow_clients = 127.0.0.3/32\n\n"
                       "[log]\nlevel = debug\naccess_log = @DIR@/access.log\n";
  startProxy("trusted = 127.0.0.2\n", config);
  Haproxy h;
  ASSERT_TRUE(h.start(haproxyTcpProxyV2Config(proxy->proxyArg(), "127.0.0.2")));
  auto a = fetchFrom(h, "127.0.0.3");
  ASSERT_EQ(a.exitCode, 0) << a.describe() << h.log() << proxy->stderrText();
  EXPECT_EQ(a.status, 200) << a.describe();
  ASSERT_TRUE(proxy->waitForAccessLogLines(1));
  EXPECT_EQ(clientField(splitLines(proxy->accessLog()).back()), "127.0.0.3");
  EXPECT_EQ(origin.requestCount(), 1u);

  auto b = fetchFrom(h, "127.0.0.4");
  EXPECT_EQ(b.status, 403) << b.describe() << proxy->stderrText();
  EXPECT_EQ(origin.requestCount(), 1u) << "a client outside allow_clients reached the origin";
  // Without haproxy, the load balancer's own address is no client either: 127.0.0.1 is neither
  // a trusted PROXY sender nor (it sends no header) admitted.
  auto direct = rawExchange(proxy->endpoint(), absoluteGet(origin, "/"), 3s);
  EXPECT_FALSE(direct && direct->status == 200);
  EXPECT_EQ(origin.requestCount(), 1u);
}
