// IPv4 and IPv6 on both sides, independently: a v6 client to a v4 origin, a v4 client to a v6
// origin by IP literal and by a name that resolves only to ::1.
#include "itest.h"

#include <chrono>

using namespace itest;
using namespace std::chrono_literals;

TEST(Ipv6Test, V6ClientToV4Origin) {
  if (!haveIpv6Loopback())
    GTEST_SKIP() << "no ::1 here";
  OriginServer origin({"127.0.0.1"});
  ProxyProcess proxy({"", {"listener v6.address=[::1]:0"}, {}});
  ASSERT_TRUE(proxy.start());
  ASSERT_EQ(proxy.endpoints().size(), 2u) << "one line per listener in the ready file";
  EXPECT_FALSE(proxy.endpoint(0).isV6());
  ASSERT_TRUE(proxy.endpoint(1).isV6()) << proxy.endpoint(1).str();
  auto r = runCurl({"-x", "http://" + proxy.endpoint(1).str(), origin.url("/echo")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(origin.requestCount(), 1u);
  // Raw too: the v6 listener speaks the same HTTP.
  auto raw = rawExchange(proxy.endpoint(1), absoluteGet(origin, "/bytes/10"));
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->body, "abcdefghij");
}

TEST(Ipv6Test, V4ClientToV6OriginByLiteral) {
  if (!haveIpv6Loopback())
    GTEST_SKIP() << "no ::1 here";
  OriginServer origin({"::1"});
  ASSERT_TRUE(origin.ok());
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  ASSERT_FALSE(proxy.endpoint().isV6());
  auto r = runCurl({"-x", proxy.proxyArg(), origin.url("/bytes/5000")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.out, patternBytes(0, 5000));
  auto reqs = origin.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/bytes/5000");
  EXPECT_EQ(reqs[0].headers.get("Host").value_or(""), "[::1]:" + std::to_string(origin.port()));
}

TEST(Ipv6Test, V4ClientToV6OnlyName) {
  if (!haveIpv6Loopback())
    GTEST_SKIP() << "no ::1 here";
  OriginServer origin({"::1"});
  ASSERT_TRUE(origin.ok());
  DnsmasqOptions dnsOptions;
  dnsOptions.records = {"--host-record=v6only.example.test,::1"};
  Dnsmasq dns(dnsOptions);
  ASSERT_TRUE(dns.start()) << dns.error();
  ProxyProcess proxy(
      {"", {"server.loops=1", "dns.servers=" + dns.server(), "dns.hosts_file=no"}, {}});
  ASSERT_TRUE(proxy.start());
  std::string url = "http://v6only.example.test:" + std::to_string(origin.port()) + "/echo";
  auto r = runCurl({"-x", proxy.proxyArg(), url});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200) << r.out;
  ASSERT_EQ(origin.requestCount(), 1u);
  EXPECT_EQ(origin.requests()[0].headers.get("Host").value_or(""),
            "v6only.example.test:" + std::to_string(origin.port()));
  EXPECT_GE(dns.queryCount("v6only.example.test", "AAAA"), 1) << dns.log();
}
