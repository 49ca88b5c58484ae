#include "http/via.h"

#include <gtest/gtest.h>

namespace exaproxy::http {
namespace {

HeaderMap with(std::initializer_list<std::pair<const char*, const char*>> fields) {
  HeaderMap h;
  for (const auto& [name, value] : fields)
    h.add(name, value);
  return h;
}

TEST(ViaTest, FindsThePseudonymInAnyElementOfAnyField) {
  EXPECT_TRUE(viaNames(with({{"Via", "1.1 exaproxy"}}), "exaproxy"));
  EXPECT_TRUE(viaNames(with({{"Via", "1.0 other, 1.1 ExaProxy (ExaProxy 0.1)"}}), "exaproxy"));
  EXPECT_TRUE(viaNames(with({{"Via", "1.0 a"}, {"via", "1.1 edge-7:3128"}}), "edge-7"));
  EXPECT_TRUE(viaNames(with({{"Via", "  1.1 \t edge-7  "}}), "edge-7"));
}

TEST(ViaTest, OtherNamesCommentsAndProtocolsAreNotUs) {
  EXPECT_FALSE(viaNames(with({{"Via", "1.1 other"}}), "exaproxy"));
  EXPECT_FALSE(viaNames(with({{"Via", "1.1 other (exaproxy)"}}), "exaproxy"));
  EXPECT_FALSE(viaNames(with({{"Via", "exaproxy"}}), "exaproxy")); // a protocol, no name
  EXPECT_FALSE(viaNames(with({{"Via", "1.1 exaproxy2"}}), "exaproxy"));
  EXPECT_FALSE(viaNames(with({{"X-Via", "1.1 exaproxy"}}), "exaproxy"));
  EXPECT_FALSE(viaNames(with({}), "exaproxy"));
  // A bracketed IPv6 received-by keeps its colons.
  EXPECT_FALSE(viaNames(with({{"Via", "1.1 [::1]:3128"}}), "["));
}

} // namespace
} // namespace exaproxy::http
