#include "core/port_set.h"

#include <gtest/gtest.h>

namespace exaproxy {
namespace {

TEST(PortSetTest, PortsAndRanges) {
  std::string why;
  auto set = PortSet::parse("80, 443 1025-65535 777-777", &why);
  ASSERT_TRUE(set) << why;
  EXPECT_EQ(set->toString(), "80 443 1025-65535 777");
  for (uint16_t p : {80, 443, 777, 1025, 3128, 65535})
    EXPECT_TRUE(set->contains(p)) << p;
  for (uint16_t p : {1, 22, 79, 81, 444, 1024})
    EXPECT_FALSE(set->contains(p)) << p;
}

TEST(PortSetTest, StrictSyntax) {
  for (const char* bad : {"443-", "-443", "9-1", "0", "0-10", "65536", "1-65536", "+80", "8 0x50",
                          "1--2", "1-2-3", "80a", "", " , ", "123456"}) {
    std::string why;
    EXPECT_FALSE(PortSet::parse(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(AddressPortSetTest, PrefixesWithAndWithoutPorts) {
  std::string why;
  auto set = AddressPortSet::parse("127.0.0.1:8081 10.0.0.0/8 [::1]:9000-9001 ::1/128", &why);
  ASSERT_TRUE(set) << why;
  auto ep = [](const char* s) { return *Endpoint::parse(s); };
  EXPECT_TRUE(set->contains(ep("127.0.0.1:8081")));
  EXPECT_FALSE(set->contains(ep("127.0.0.1:8082")));
  EXPECT_TRUE(set->contains(ep("10.9.9.9:1")));
  EXPECT_TRUE(set->contains(ep("[::1]:9000")));
  EXPECT_TRUE(set->contains(ep("[::1]:22"))); // ::1/128 with every port
  EXPECT_FALSE(set->contains(ep("127.0.0.2:8081")));
  EXPECT_TRUE(AddressPortSet::parse("", &why)->empty());
}

TEST(AddressPortSetTest, StrictSyntax) {
  for (const char* bad : {"localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:80-", "[::1]",
                          "[::1]80", "[127.0.0.1]:80", "127.0.0.0/40", "127.0.0.1:80:90"}) {
    std::string why;
    EXPECT_FALSE(AddressPortSet::parse(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

} // namespace
} // namespace exaproxy
