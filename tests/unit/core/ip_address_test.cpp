#include "core/ip_address.h"

#include <gtest/gtest.h>

using namespace exaproxy;

TEST(IpAddress, ParsesV4AndV6) {
  auto v4 = IpAddress::parse("192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->isV4());
  EXPECT_EQ(v4->toString(), "192.0.2.1");
  auto v6 = IpAddress::parse("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->isV6());
  EXPECT_EQ(v6->toString(), "2001:db8::1");
  EXPECT_EQ(IpAddress::parse("2001:DB8:0:0:0:0:0:1")->toString(), "2001:db8::1");
}

// IPv4 text is formatted by hand (not inet_ntop): every digit count, both ends of the range.
TEST(IpAddress, FormatsEveryV4DigitCount) {
  for (const char* text : {"0.0.0.0", "255.255.255.255", "10.0.100.9", "1.22.103.240", "8.8.8.8"})
    EXPECT_EQ(IpAddress::parse(text)->toString(), text);
}

TEST(IpAddress, MappedV6BecomesV4) {
  auto mapped = IpAddress::parse("::ffff:10.1.2.3");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->isV4());
  EXPECT_EQ(*mapped, *IpAddress::parse("10.1.2.3"));
}

TEST(IpAddress, Properties) {
  EXPECT_TRUE(IpAddress::parse("127.1.2.3")->isLoopback());
  EXPECT_TRUE(IpAddress::parse("::1")->isLoopback());
  EXPECT_FALSE(IpAddress::parse("10.0.0.1")->isLoopback());
  EXPECT_TRUE(IpAddress::parse("0.0.0.0")->isUnspecified());
  EXPECT_TRUE(IpAddress::parse("::")->isUnspecified());
  EXPECT_TRUE(IpAddress().empty());
  EXPECT_FALSE(IpAddress().isUnspecified());
}

TEST(IpAddress, RejectsBadInput) {
  for (auto bad : {"", "1.2.3", "1.2.3.256", "1.2.3.4 ", " 1.2.3.4", "[::1]", "::g", "a.test",
                   "1.2.3.4/8", "1:2:3:4:5:6:7:8:9"})
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
  EXPECT_FALSE(IpAddress::parse(std::string(100, '1')));
}

TEST(Endpoint, Parses) {
  auto a = Endpoint::parse("127.0.0.1:3128");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port, 3128);
  EXPECT_EQ(a->toString(), "127.0.0.1:3128");
  auto b = Endpoint::parse("[::1]:80");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->address.isV6());
  EXPECT_EQ(b->toString(), "[::1]:80");
  EXPECT_EQ(Endpoint::parse("0.0.0.0:0")->port, 0);
  EXPECT_EQ(Endpoint::parse("1.2.3.4:65535")->port, 65535);
}

TEST(Endpoint, RejectsBadInput) {
  for (auto bad :
       {"", "127.0.0.1", "127.0.0.1:", ":80", "::1:80", "[::1]", "[::1]80", "[1.2.3.4]:80",
        "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:80x", "host:80", "[::1:80"})
    EXPECT_FALSE(Endpoint::parse(bad)) << bad;
}

TEST(Endpoint, SockaddrRoundTrip) {
  for (auto text : {"192.0.2.7:8080", "[2001:db8::7]:443"}) {
    auto ep = Endpoint::parse(text);
    ASSERT_TRUE(ep);
    sockaddr_storage ss;
    socklen_t len = ep->toSockaddr(ss);
    EXPECT_GT(len, 0u);
    auto back = Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, *ep);
  }
}

TEST(Cidr, PrefixesMatch) {
  auto net = Cidr::parse("10.0.0.0/8");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(*IpAddress::parse("10.255.1.2")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("11.0.0.1")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("::ffff:11.0.0.1")));
  EXPECT_TRUE(net->contains(*IpAddress::parse("::ffff:10.0.0.1"))); // mapped = v4
  auto odd = Cidr::parse("192.168.1.128/25");
  EXPECT_TRUE(odd->contains(*IpAddress::parse("192.168.1.200")));
  EXPECT_FALSE(odd->contains(*IpAddress::parse("192.168.1.127")));
  auto v6 = Cidr::parse("fe80::/10");
  EXPECT_TRUE(v6->contains(*IpAddress::parse("febf::1")));
  EXPECT_FALSE(v6->contains(*IpAddress::parse("fec0::1")));
  EXPECT_FALSE(v6->contains(*IpAddress::parse("10.0.0.1")));
  auto all = Cidr::parse("0.0.0.0/0");
  EXPECT_TRUE(all->contains(*IpAddress::parse("203.0.113.9")));
  EXPECT_FALSE(all->contains(*IpAddress::parse("::1")));
  auto host = Cidr::parse("::1");
  EXPECT_EQ(host->toString(), "::1/128");
  EXPECT_TRUE(host->contains(*IpAddress::parse("::1")));
  EXPECT_FALSE(host->contains(*IpAddress::parse("::2")));
}

TEST(Cidr, RejectsBadInput) {
  for (auto bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/8x",
                   "10.0.0/8", "a.test/8"})
    EXPECT_FALSE(Cidr::parse(bad)) << bad;
}

TEST(CidrSet, ContainsAny) {
  CidrSet set({*Cidr::parse("127.0.0.0/8"), *Cidr::parse("::1/128")});
  EXPECT_TRUE(set.contains(*IpAddress::parse("127.0.0.2")));
  EXPECT_TRUE(set.contains(*IpAddress::parse("::1")));
  EXPECT_FALSE(set.contains(*IpAddress::parse("192.0.2.1")));
  EXPECT_EQ(set.toString(), "127.0.0.0/8 ::1/128");
  EXPECT_FALSE(CidrSet().contains(*IpAddress::parse("127.0.0.1")));
}
