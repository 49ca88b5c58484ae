// Secure by default, the proxy's own host: no client reaches a service listening on the proxy's
// host through the proxy (loopback, 0.0.0.0, ::, IPv4-mapped forms, names resolving there), the web
// interface never, ambiguous IPv4 literals are refused, and ports follow http_ports/connect_ports.
// These tests start the proxy WITHOUT the fixture's loopback allowance.
#include "itest.h"

#include <fstream>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// Everything but loopback: a test that could, through a bug, send a request to a public address
// (177.0.0.1 for "0177.0.0.1") denies it first, so no packet can leave the machine.
const std::string kDenyAllButLoopback =
    "acl.deny_destinations=0.0.0.0/2 64.0.0.0/3 96.0.0.0/4 112.0.0.0/5 120.0.0.0/6 124.0.0.0/7 "
    "126.0.0.0/8 128.0.0.0/1 2000::/3 fc00::/7 fe80::/10";

ProxyOptions strict(std::vector<std::string> sets = {}) {
  ProxyOptions o;
  o.sets = std::move(sets);
  o.allowLocalDestinations = false;
  return o;
}

std::string hostPort(const std::string& host, uint16_t port) {
  return host + ":" + std::to_string(port);
}

} // namespace

TEST(LocalDestinationsTest, EveryFormOfTheProxysOwnHostIsRefusedByDefault) {
  OriginServer origin({"127.0.0.1"});
  OriginServer origin6({"::1"});
  ProxyProcess proxy(strict({"acl.connect_ports=443 " + std::to_string(origin.port()),
                             "dns.servers=127.0.0.1:" + std::to_string(closedPort())}));
  ASSERT_TRUE(proxy.start());
  auto p = std::to_string(origin.port());
  auto p6 = std::to_string(origin6.port());
  for (const std::string& url :
       {"http://127.0.0.1:" + p + "/", "http://127.0.0.2:" + p + "/", "http://0.0.0.0:" + p + "/",
        "http://[::ffff:127.0.0.1]:" + p + "/", "http://localhost:" + p + "/",
        "http://[::1]:" + p6 + "/", "http://[::]:" + p6 + "/"}) {
    auto r = runCurl({"-x", proxy.proxyArg(), url});
    EXPECT_EQ(r.status, 403) << url << "\n" << r.describe();
  }
  // CONNECT to a local port that connect_ports allows, and an origin-form request routed by Host.
  auto c = rawExchange(proxy.endpoint(), connectRequest("127.0.0.1:" + p));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 403);
  auto h = rawExchange(proxy.endpoint(), requestHead("GET", "/", "127.0.0.1:" + p));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 403);
  EXPECT_EQ(origin.acceptedConnections(), 0) << "a local destination was connected to";
  EXPECT_EQ(origin6.acceptedConnections(), 0) << "a local destination was connected to";
  // Logged (daemon log with the reason, access log as a denial).
  EXPECT_NE(proxy.stderrText().find("destination.denied"), std::string::npos);
  EXPECT_NE(proxy.stderrText().find("own host"), std::string::npos);
  ASSERT_TRUE(proxy.waitForAccessLogLines(9));
  EXPECT_NE(proxy.accessLog().find("TCP_DENIED/403"), std::string::npos) << proxy.accessLog();
}

TEST(LocalDestinationsTest, ANameThatResolvesToLoopbackIsRefused) {
  OriginServer origin;
  DnsmasqOptions o;
  o.records = {"--address=/sneaky.example.test/127.0.0.1"};
  // Every answer is checked: the first one alone (127.0.0.2, allowed below) would pass.
  o.hostsLines = {"127.0.0.2 second.example.test", "127.0.0.1 second.example.test"};
  Dnsmasq dns(o);
  ASSERT_TRUE(dns.start()) << dns.error();
  ProxyProcess proxy(strict({"dns.servers=" + dns.server(), "dns.hosts_file=no",
                             kDenyAllButLoopback, "acl.allow_local_destinations=127.0.0.2"}));
  ASSERT_TRUE(proxy.start());
  auto p = std::to_string(origin.port());
  auto r = runCurl({"-x", proxy.proxyArg(), "http://sneaky.example.test:" + p + "/"});
  EXPECT_EQ(r.status, 403) << r.describe();
  auto second = runCurl({"-x", proxy.proxyArg(), "http://second.example.test:" + p + "/"});
  EXPECT_EQ(second.status, 403) << second.describe();
  EXPECT_EQ(origin.acceptedConnections(), 0);
  EXPECT_GE(dns.queryCount("sneaky.example.test"), 1) << dns.log();
}

TEST(LocalDestinationsTest, AllowLocalDestinationsOpensOnlyWhatItNames) {
  OriginServer allowed;
  OriginServer other;
  ProxyProcess proxy(
      strict({"acl.allow_local_destinations=127.0.0.1:" + std::to_string(allowed.port())}));
  ASSERT_TRUE(proxy.start());
  auto ok = runCurl({"-x", proxy.proxyArg(), allowed.url("/")});
  EXPECT_EQ(ok.status, 200) << ok.describe();
  auto no = runCurl({"-x", proxy.proxyArg(), other.url("/")});
  EXPECT_EQ(no.status, 403) << no.describe();
  // The same port on another loopback address, and "this host", are other destinations.
  auto alias =
      runCurl({"-x", proxy.proxyArg(), "http://0.0.0.0:" + std::to_string(allowed.port()) + "/"});
  EXPECT_EQ(alias.status, 403) << alias.describe();
  EXPECT_EQ(other.acceptedConnections(), 0);
  EXPECT_EQ(allowed.acceptedConnections(), 1);
}

TEST(LocalDestinationsTest, SighupAppliesANewAllowance) {
  OriginServer origin;
  ProxyProcess proxy(strict());
  ASSERT_TRUE(proxy.start());
  EXPECT_EQ(runCurl({"-x", proxy.proxyArg(), origin.url("/")}).status, 403);
  proxy.writeConfig(ProxyProcess::defaultConfig() + "[acl]\nallow_local_destinations = 127.0.0.1:" +
                    std::to_string(origin.port()) + "\n");
  proxy.sendSignal(SIGHUP);
  ASSERT_TRUE(waitFor([&] { return proxy.stderrText().find("reload.done") != std::string::npos; },
                      Millis(10000)))
      << proxy.stderrText();
  auto r = runCurl({"-x", proxy.proxyArg(), origin.url("/")});
  EXPECT_EQ(r.status, 200) << r.describe();
}

TEST(LocalDestinationsTest, TheWebInterfaceIsNeverReachableThroughTheProxy) {
  // Even with every local destination opened.
  ProxyOptions o;
  o.sets = {"ui.enabled=yes", "ui.listen=127.0.0.1:0",
            "acl.allow_local_destinations=127.0.0.0/8 0.0.0.0/8 ::/0",
            "acl.connect_ports=443 1025-65535",
            // "localhost" comes from /etc/hosts; no query may leave the machine if it did not.
            "dns.servers=127.0.0.1:" + std::to_string(closedPort())};
  ProxyProcess proxy(o);
  ASSERT_TRUE(proxy.start());
  std::string ui;
  ASSERT_TRUE(waitFor(
      [&] {
        ui = readFile(proxy.dir() + "/ready.ui");
        return !ui.empty() && ui.back() == '\n';
      },
      Millis(10000)));
  ui.pop_back();
  auto uiPort = ui.substr(ui.rfind(':') + 1);
  // Directly, the UI answers: the test reaches the real thing.
  auto direct = runCurl({"http://" + ui + "/api/v1/config"});
  ASSERT_EQ(direct.status, 200) << direct.describe();
  for (const std::string& url :
       {"http://" + ui + "/api/v1/config", "http://localhost:" + uiPort + "/",
        "http://0.0.0.0:" + uiPort + "/api/v1/stats", "http://127.0.0.1:" + uiPort + "/metrics"}) {
    auto r = runCurl({"-x", proxy.proxyArg(), url});
    EXPECT_EQ(r.status, 403) << url << "\n" << r.describe();
    EXPECT_EQ(r.out.find("\"listeners\""), std::string::npos) << "the configuration leaked";
  }
  auto reload = runCurl({"-x", proxy.proxyArg(), "-X", "POST", "-H", "X-ExaProxy-CSRF: 1",
                         "http://" + ui + "/api/v1/reload"});
  EXPECT_EQ(reload.status, 403) << reload.describe();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(proxy.stderrText().find("reload.start"), std::string::npos)
      << "a client reloaded the proxy through the proxy";
  // A tunnel to it neither (connect_ports allows the UI's port).
  auto t = rawExchange(proxy.endpoint(), connectRequest(ui));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->status, 403);
}

TEST(LocalDestinationsTest, DenyingLoopbackAlsoDeniesTheUnspecifiedAddress) {
  OriginServer origin({"127.0.0.1"});
  OriginServer origin6({"::1"});
  ProxyProcess proxy(strict({"acl.allow_local_destinations=0.0.0.0/8 ::/128 127.0.0.0/8 ::1",
                             "acl.deny_destinations=127.0.0.0/8 ::1/128"}));
  ASSERT_TRUE(proxy.start());
  auto v4 =
      runCurl({"-x", proxy.proxyArg(), "http://0.0.0.0:" + std::to_string(origin.port()) + "/"});
  EXPECT_EQ(v4.status, 403) << v4.describe();
  auto v6 =
      runCurl({"-x", proxy.proxyArg(), "http://[::]:" + std::to_string(origin6.port()) + "/"});
  EXPECT_EQ(v6.status, 403) << v6.describe();
  EXPECT_EQ(origin.acceptedConnections(), 0);
  EXPECT_EQ(origin6.acceptedConnections(), 0);
}

TEST(LocalDestinationsTest, AmbiguousIpv4LiteralsAre400AndGoNowhere) {
  OriginServer origin;
  // DNS goes to a closed loopback port (no query leaves), and everything but loopback is denied:
  // a regression that read "0177.0.0.1" as 177.0.0.1 is stopped before any connect.
  ProxyProcess proxy(
      strict({"dns.servers=127.0.0.1:" + std::to_string(closedPort()), "dns.hosts_file=no",
              kDenyAllButLoopback, "acl.allow_local_destinations=127.0.0.0/8",
              "acl.connect_ports=443 " + std::to_string(origin.port())}));
  ASSERT_TRUE(proxy.start());
  auto p = std::to_string(origin.port());
  for (const std::string host : {"0177.0.0.1", "0x7f.1", "0x7f.0.0.1", "2130706433", "127.1",
                                 "127.0.1", "017700000001", "127.0.0.1."}) {
    // Raw requests: curl itself rewrites such hosts to the dotted quad before sending.
    auto r = rawExchange(proxy.endpoint(), requestHead("GET", "http://" + host + ":" + p + "/",
                                                       hostPort(host, origin.port())));
    ASSERT_TRUE(r) << host;
    EXPECT_EQ(r->status, 400) << host;
    auto c = rawExchange(proxy.endpoint(), connectRequest(hostPort(host, origin.port())));
    ASSERT_TRUE(c) << host;
    EXPECT_EQ(c->status, 400) << host;
  }
  EXPECT_EQ(origin.acceptedConnections(), 0);
  EXPECT_NE(proxy.stderrText().find("ambiguous IPv4"), std::string::npos);
  // The plain dotted quad still works.
  auto plain = runCurl({"-x", proxy.proxyArg(), origin.url("/")});
  EXPECT_EQ(plain.status, 200) << plain.describe();
}

TEST(PortPolicyTest, HttpPortsRefusePortsOutsideBeforeAnyConnect) {
  OriginServer origin;
  ProxyProcess defaults;
  ASSERT_TRUE(defaults.start());
  // Ephemeral ports are in the default 1025-65535; 25 (SMTP) and 22 (SSH) are not.
  EXPECT_EQ(runCurl({"-x", defaults.proxyArg(), origin.url("/")}).status, 200);
  for (const char* url :
       {"http://127.0.0.1:25/", "http://127.0.0.1:22/", "http://127.0.0.1:1024/"}) {
    auto r = runCurl({"-x", defaults.proxyArg(), url});
    EXPECT_EQ(r.status, 403) << url << "\n" << r.describe();
  }
  EXPECT_NE(defaults.stderrText().find("port not in http_ports"), std::string::npos);

  ProxyProcess narrow({"", {"acl.http_ports=80 443"}, {}});
  ASSERT_TRUE(narrow.start());
  auto r = runCurl({"-x", narrow.proxyArg(), origin.url("/")});
  EXPECT_EQ(r.status, 403) << r.describe();
  EXPECT_EQ(origin.acceptedConnections(), 1) << "only the request through `defaults`";
}

TEST(PortPolicyTest, ConnectPortsTakeRanges) {
  OriginServer origin;
  auto port = origin.port();
  ProxyProcess proxy(
      {"",
       {"acl.connect_ports=443 " + std::to_string(port - 1) + "-" + std::to_string(port + 1)},
       {}});
  ASSERT_TRUE(proxy.start());
  auto in = rawExchange(proxy.endpoint(), connectRequest(hostPort("127.0.0.1", port)), Millis(5000),
                        /*headRequest=*/true); // a 2xx to CONNECT has no body
  ASSERT_TRUE(in);
  EXPECT_EQ(in->status, 200);
  auto out = rawExchange(proxy.endpoint(), connectRequest(hostPort("127.0.0.1", port + 2)));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 403);
  EXPECT_NE(proxy.stderrText().find("port not in connect_ports"), std::string::npos);
}

TEST(PortPolicyTest, ARefusedConnectClosesTheConnection) {
  // The client sends its TLS hello right behind the CONNECT head: after the 403 those bytes must
  // not be read as a second request.
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(
      c.send(connectRequest("127.0.0.1:25") + std::string("\x16\x03\x01\x00\x05hello", 10)));
  auto r = c.readResponse();
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 403);
  EXPECT_TRUE(c.waitClosed());
  ASSERT_TRUE(proxy.waitForAccessLogLines(1));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(splitLines(proxy.accessLog()).size(), 1u) << proxy.accessLog();
}

TEST(PortPolicyTest, CheckNamesTheFileLineAndKeyOfABadRange) {
  std::string dir = makeTempDir("itest-ports");
  writeFile(dir + "/00-exaproxy.conf",
            "[listener main]\naddress = 127.0.0.1:0\n[acl]\nconnect_ports = 443-\n"
            "http_ports = 9-1\nallow_local_destinations = 127.0.0.1:80-\n");
  auto r = runExaproxy({"--conf-dir", dir, "--check"});
  removeTree(dir);
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("00-exaproxy.conf:4: [acl] connect_ports: '443-'"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("00-exaproxy.conf:5: [acl] http_ports: '9-1'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("00-exaproxy.conf:6: [acl] allow_local_destinations:"), std::string::npos)
      << r.err;
}
