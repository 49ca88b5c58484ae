#include "proxy/proxy_shared.h"

#include <gtest/gtest.h>

namespace exaproxy::proxy {
namespace {

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
