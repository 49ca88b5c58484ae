// Secure by default: open-proxy refusal, denied destinations (also through DNS, checked against
// every address a name has), and forwarding loops (own listening address, own name in Via).
#include "itest.h"

#include <chrono>

using namespace itest;
using namespace std::chrono_literals;

TEST(SecurityTest, ClientNotAllowedIs403AndLogged) {
  OriginServer origin;
  ProxyProcess proxy({"", {"acl.allow_clients=10.0.0.0/8"}, {}});
  ASSERT_TRUE(proxy.start());
  auto r = runCurl({"-x", proxy.proxyArg(), origin.url("/")});
  EXPECT_EQ(r.status, 403) << r.describe();
  EXPECT_EQ(origin.acceptedConnections(), 0);
  ASSERT_TRUE(proxy.waitForAccessLogLines(1)) << "no access-log line for the refusal";
  EXPECT_NE(proxy.accessLog().find("/403"), std::string::npos) << proxy.accessLog();
}

TEST(SecurityTest, LoopbackClientsAllowedByDefault) {
  OriginServer origin;
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  auto r = runCurl({"-x", proxy.proxyArg(), origin.url("/")});
  EXPECT_EQ(r.status, 200) << r.describe();
}

TEST(SecurityTest, MetadataAddressDeniedByDefault) {
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  auto start = Clock::now();
  auto r = runCurl({"-x", proxy.proxyArg(), "http://169.254.169.254/latest/meta-data/"});
  EXPECT_EQ(r.status, 403) << r.describe();
  // No connect attempt: 169.254.169.254 does not answer here, so trying would take the connect
  // timeout.
  if (!sanitizedBuild()) {
    EXPECT_LT(Clock::now() - start, 3s);
  }
  auto v6 = runCurl({"-x", proxy.proxyArg(), "http://[fe80::1]/"});
  EXPECT_EQ(v6.status, 403) << v6.describe();
}

TEST(SecurityTest, DeniedDestinationNeverConnected) {
  OriginServer origin;
  ProxyProcess proxy({"", {"acl.deny_destinations=127.0.0.0/8"}, {}});
  ASSERT_TRUE(proxy.start());
  auto r = runCurl({"-x", proxy.proxyArg(), origin.url("/")});
  EXPECT_EQ(r.status, 403) << r.describe();
  EXPECT_EQ(origin.acceptedConnections(), 0) << "connected to a denied destination";
}

TEST(SecurityTest, NameResolvingToDeniedNetworkIs403) {
  OriginServer origin;
  DnsmasqOptions o;
  o.records = {"--address=/meta.example.test/169.254.169.254"};
  // One allowed and one denied address for the same name: every address is checked.
  o.hostsLines = {"127.0.0.1 mixed.example.test", "169.254.1.1 mixed.example.test"};
  Dnsmasq dns(o);
  ASSERT_TRUE(dns.start()) << dns.error();
  ProxyProcess proxy(
      {"", {"server.loops=1", "dns.servers=" + dns.server(), "dns.hosts_file=no"}, {}});
  ASSERT_TRUE(proxy.start());
  auto meta = runCurl({"-x", proxy.proxyArg(), "http://meta.example.test/latest/"});
  EXPECT_EQ(meta.status, 403) << meta.describe();
  auto mixed = runCurl(
      {"-x", proxy.proxyArg(), "http://mixed.example.test:" + std::to_string(origin.port()) + "/"});
  EXPECT_EQ(mixed.status, 403) << mixed.describe();
  EXPECT_EQ(origin.acceptedConnections(), 0);
  EXPECT_GE(dns.queryCount("mixed.example.test"), 1)
      << "the name was never resolved: " << dns.log();
}

TEST(SecurityTest, RequestToOwnListeningAddressIs403) {
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  auto r = rawExchange(proxy.endpoint(), requestHead("GET", proxy.endpoint().url() + "/loop",
                                                     proxy.endpoint().str()));
  ASSERT_TRUE(r) << "no answer (a loop would hang or close)";
  EXPECT_EQ(r->status, 403);
}

TEST(SecurityTest, OwnNameInViaIs403) {
  OriginServer origin;
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  auto r = rawExchange(proxy.endpoint(), absoluteGet(origin, "/", {"Via: 1.1 exaproxy"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  auto listed = rawExchange(proxy.endpoint(),
                            absoluteGet(origin, "/", {"Via: 1.0 other, 1.1 exaproxy (ExaProxy)"}));
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->status, 403);
  EXPECT_EQ(origin.requestCount(), 0u);
}

TEST(SecurityTest, LoopDetectionUsesTheConfiguredName) {
  OriginServer origin;
  ProxyProcess proxy({"", {"server.name=edge-7"}, {}});
  ASSERT_TRUE(proxy.start());
  auto loop = rawExchange(proxy.endpoint(), absoluteGet(origin, "/", {"Via: 1.1 edge-7"}));
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->status, 403);
  // Another proxy called exaproxy upstream of us is not a loop.
  auto other = rawExchange(proxy.endpoint(), absoluteGet(origin, "/echo", {"Via: 1.1 exaproxy"}));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  ASSERT_EQ(origin.requestCount(), 1u);
  EXPECT_NE(origin.requests()[0].headers.joined("Via").find("1.1 edge-7"), std::string::npos)
      << origin.requests()[0].rawHead;
}
