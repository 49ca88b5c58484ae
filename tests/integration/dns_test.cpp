// Names through the proxy's own resolver against dnsmasq: resolution, TTL expiry, NXDOMAIN and
// REFUSED, a truncated UDP answer retried over TCP, and a server that never answers (504 while
// the loop keeps serving others). One loop, so one DNS cache.
#include "itest.h"

#include <arpa/inet.h>
#include <chrono>
#include <future>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace itest;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> dnsSets(const std::string& server) {
  return {"server.loops=1", "dns.servers=" + server, "dns.hosts_file=no"};
}

std::string nameUrl(const std::string& name, const OriginServer& origin, const std::string& path) {
  return "http://" + name + ":" + std::to_string(origin.port()) + path;
}

} // namespace

TEST(DnsTest, NameResolvedThroughDnsmasq) {
  OriginServer origin;
  DnsmasqOptions o;
  o.records = {"--address=/www.example.test/127.0.0.1"};
  Dnsmasq dns(o);
  ASSERT_TRUE(dns.start()) << dns.error();
  ProxyProcess proxy({"", dnsSets(dns.server()), {}});
  ASSERT_TRUE(proxy.start());
  auto r = runCurl({"-x", proxy.proxyArg(), nameUrl("www.example.test", origin, "/echo")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200) << r.out;
  ASSERT_EQ(origin.requestCount(), 1u);
  EXPECT_GE(dns.queryCount("www.example.test"), 1) << dns.log();
}

TEST(DnsTest, CacheHonoursTtlAndExpires) {
  OriginServer origin;
  DnsmasqOptions o;
  o.localTtl = 1;
  o.records = {"--host-record=ttl.example.test,127.0.0.1"};
  Dnsmasq dns(o);
  ASSERT_TRUE(dns.start()) << dns.error();
  ProxyProcess proxy({"", dnsSets(dns.server()), {}});
  ASSERT_TRUE(proxy.start());
  auto get = [&] {
    return runCurl({"-x", proxy.proxyArg(), nameUrl("ttl.example.test", origin, "/")});
  };
  auto first = get();
  ASSERT_EQ(first.status, 200) << first.describe();
  ASSERT_TRUE(waitFor([&] { return dns.queryCount("ttl.example.test", "A") >= 1; }, 2s))
      << dns.log();
  int afterFirst = dns.queryCount("ttl.example.test", "A");
  // Within the TTL: answered from the cache.
  auto second = get();
  ASSERT_EQ(second.status, 200) << second.describe();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(dns.queryCount("ttl.example.test", "A"), afterFirst) << "no cache hit:\n" << dns.log();
  // After the TTL: asked again.
  std::this_thread::sleep_for(1500ms);
  auto third = get();
  ASSERT_EQ(third.status, 200) << third.describe();
  EXPECT_TRUE(waitFor([&] { return dns.queryCount("ttl.example.test", "A") > afterFirst; }, 2s))
      << "the expired entry was not queried again:\n"
      << dns.log();
}

TEST(DnsTest, NxdomainIs502SayingTheNameDoesNotExist) {
  OriginServer origin;
  Dnsmasq dns;
  ASSERT_TRUE(dns.start()) << dns.error();
  ASSERT_EQ(dnsQueryRcode(dns.port(), "nope.example.test"), 3) << "dnsmasq should say NXDOMAIN";
  ProxyProcess proxy({"", dnsSets(dns.server()), {}});
  ASSERT_TRUE(proxy.start());
  auto r = runCurl({"-x", proxy.proxyArg(), nameUrl("nope.example.test", origin, "/")});
  EXPECT_EQ(r.status, 502) << r.describe();
  std::string page = toLower(r.out);
  EXPECT_NE(page.find("nope.example.test"), std::string::npos) << r.out;
  EXPECT_TRUE(page.find("does not exist") != std::string::npos ||
              page.find("nxdomain") != std::string::npos ||
              page.find("no such") != std::string::npos)
      << "the page does not say the name does not exist:\n"
      << r.out;
  EXPECT_EQ(origin.acceptedConnections(), 0);
}

TEST(DnsTest, RefusedIsToldApartFromNxdomain) {
  OriginServer origin;
  Dnsmasq dns; // not authoritative for other.test and has no upstream: it refuses
  ASSERT_TRUE(dns.start()) << dns.error();
  int rcode = dnsQueryRcode(dns.port(), "x.other.test");
  if (rcode != 5 && rcode != 2)
    GTEST_SKIP() << "this dnsmasq answers rcode " << rcode << " for a foreign name";
  ProxyProcess proxy({"", dnsSets(dns.server()), {}});
  ASSERT_TRUE(proxy.start());
  auto refused = runCurl({"-x", proxy.proxyArg(), nameUrl("x.other.test", origin, "/")});
  auto nx = runCurl({"-x", proxy.proxyArg(), nameUrl("nope.example.test", origin, "/")});
  EXPECT_EQ(refused.status, 502) << refused.describe();
  EXPECT_EQ(nx.status, 502) << nx.describe();
  std::string page = toLower(refused.out);
  EXPECT_EQ(page.find("does not exist"), std::string::npos)
      << "a refusing server is not a missing name:\n"
      << refused.out;
}

TEST(DnsTest, TruncatedUdpAnswerResolvedOverTcp) {
  std::vector<std::string> hosts;
  std::vector<std::string> lines;
  for (int i = 1; i <= 60; ++i) {
    hosts.push_back("127.0.0." + std::to_string(i));
    lines.push_back("127.0.0." + std::to_string(i) + " many.example.test");
  }
  OriginServer origin(hosts); // every one of the 60 addresses answers, on one port
  ASSERT_TRUE(origin.ok());
  DnsmasqOptions o;
  o.hostsLines = lines;
  Dnsmasq dns(o);
  ASSERT_TRUE(dns.start()) << dns.error();
  auto udp = dnsQuery(dns.port(), "many.example.test");
  ASSERT_EQ(udp.rcode, 0);
  ASSERT_TRUE(udp.truncated) << "the UDP answer must be truncated for this test to mean anything";
  ProxyProcess proxy({"", dnsSets(dns.server()), {}});
  ASSERT_TRUE(proxy.start());
  auto r = runCurl({"-x", proxy.proxyArg(), nameUrl("many.example.test", origin, "/echo")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200) << r.out;
  EXPECT_EQ(origin.requestCount(), 1u);
}

TEST(DnsTest, SilentServerTimesOutWith504WhileTheLoopServesOthers) {
  OriginServer origin;
  // A UDP socket that is bound and never read: queries vanish.
  int silent = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string server = "127.0.0.1:" + std::to_string(localPort(silent));

  auto sets = dnsSets(server);
  sets.push_back("dns.timeout=300ms");
  sets.push_back("dns.tries=1");
  ProxyProcess proxy({"", sets, {}});
  ASSERT_TRUE(proxy.start());

  auto slowStart = Clock::now();
  auto slow = std::async(std::launch::async, [&] {
    auto r =
        rawExchange(proxy.endpoint(),
                    requestHead("GET", "http://silent.example.test/", "silent.example.test"), 10s);
    return std::make_pair(r, Clock::now());
  });
  std::this_thread::sleep_for(50ms);
  // Meanwhile, on the same (single) loop: an IP-literal origin answers at once.
  auto fastStart = Clock::now();
  auto fast = rawExchange(proxy.endpoint(), absoluteGet(origin, "/bytes/10"), 10s);
  auto fastEnd = Clock::now();
  ASSERT_TRUE(fast);
  EXPECT_EQ(fast->body, "abcdefghij");

  auto [r, slowEnd] = slow.get();
  ASSERT_TRUE(r) << "no answer for the name whose DNS server is silent";
  EXPECT_EQ(r->status, 504);
  std::string page = toLower(r->body);
  EXPECT_TRUE(page.find("timeout") != std::string::npos ||
              page.find("timed out") != std::string::npos)
      << "the 504 page does not say DNS timed out:\n"
      << r->body;
  EXPECT_LT(fastEnd, slowEnd) << "the other client waited for the DNS timeout: the loop stalled";
  if (!sanitizedBuild()) {
    EXPECT_LT(fastEnd - fastStart, 250ms);
    EXPECT_LT(slowEnd - slowStart, 5s);
  }
  ::close(silent);
}
