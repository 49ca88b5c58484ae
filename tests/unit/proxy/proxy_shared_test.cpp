#include "proxy/proxy_shared.h"

#include <gtest/gtest.h>

namespace exaproxy::proxy {
namespace {

Endpoint ep(const char* s) { return *Endpoint::parse(s); }

TEST(ProxySharedTest, SelfDetectionOnExactListener) {
  ProxyShared s;
  s.listenEndpoints = {ep("127.0.0.1:3128")};
  EXPECT_TRUE(s.isSelf(ep("127.0.0.1:3128")));
  EXPECT_FALSE(s.isSelf(ep("127.0.0.1:80")));
  EXPECT_FALSE(s.isSelf(ep("127.0.0.2:3128")));
}

TEST(ProxySharedTest, WildcardListenerCoversLoopbackAndLocalAddresses) {
  ProxyShared s;
  s.listenEndpoints = {ep("0.0.0.0:3128")};
  s.localAddresses = {*IpAddress::parse("192.0.2.10")};
  EXPECT_TRUE(s.isSelf(ep("127.0.0.5:3128")));
  EXPECT_TRUE(s.isSelf(ep("192.0.2.10:3128")));
  EXPECT_FALSE(s.isSelf(ep("192.0.2.11:3128")));
  EXPECT_FALSE(s.isSelf(ep("[::1]:3128"))); // the v4 wildcard does not listen on v6
}

TEST(ProxySharedTest, PerClientLimit) {
  ProxyShared s;
  auto a = *IpAddress::parse("10.0.0.1");
  auto b = *IpAddress::parse("10.0.0.2");
  EXPECT_TRUE(s.admitClient(a, 2));
  EXPECT_TRUE(s.admitClient(a, 2));
  EXPECT_FALSE(s.admitClient(a, 2));
  EXPECT_TRUE(s.admitClient(b, 2));
  s.releaseClient(a);
  EXPECT_TRUE(s.admitClient(a, 2));
  EXPECT_TRUE(s.admitClient(b, 0)); // 0 = no limit
}

} // namespace
} // namespace exaproxy::proxy
