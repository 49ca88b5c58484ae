#include "ui/request_guard.h"

#include <gtest/gtest.h>

namespace exaproxy::ui {
namespace {

TEST(RequestGuard, AcceptsThePagesOwnRequest) {
  EXPECT_EQ(refuseStateChange({"127.0.0.1:8080", "http://127.0.0.1:8080", "1", "same-origin"}), "");
  EXPECT_EQ(refuseStateChange({"[::1]:8080", "http://[::1]:8080", "1", std::nullopt}), "");
  EXPECT_EQ(refuseStateChange({"localhost:8080", "http://LOCALHOST:8080", "1", std::nullopt}), "");
  // curl and scripts send no Origin.
  EXPECT_EQ(refuseStateChange({"127.0.0.1:8080", std::nullopt, "1", std::nullopt}), "");
}

TEST(RequestGuard, RefusesWithoutTheCustomHeader) {
  EXPECT_NE(refuseStateChange({"127.0.0.1:8080", std::nullopt, std::nullopt, std::nullopt}), "");
  EXPECT_NE(refuseStateChange({"127.0.0.1:8080", std::nullopt, "0", std::nullopt}), "");
}

TEST(RequestGuard, RefusesAForeignOrigin) {
  auto why = refuseStateChange({"127.0.0.1:8080", "http://evil.example", "1", std::nullopt});
  EXPECT_NE(why.find("cross-origin"), std::string::npos) << why;
  EXPECT_NE(refuseStateChange({"127.0.0.1:8080", "http://127.0.0.1:9999", "1", std::nullopt}), "");
  EXPECT_NE(refuseStateChange({"127.0.0.1:8080", "null", "1", std::nullopt}), "");
  EXPECT_NE(refuseStateChange({"127.0.0.1:8080", std::nullopt, "1", "cross-site"}), "");
}

TEST(RequestGuard, RefusesDnsRebinding) {
  // Same origin as far as the browser knows, but the name is not ours.
  EXPECT_NE(
      refuseStateChange({"evil.example:8080", "http://evil.example:8080", "1", "same-origin"}), "");
}

TEST(RequestGuard, AddressHosts) {
  EXPECT_TRUE(isAddressHost("127.0.0.1"));
  EXPECT_TRUE(isAddressHost("127.0.0.1:8080"));
  EXPECT_TRUE(isAddressHost("[::1]:8080"));
  EXPECT_TRUE(isAddressHost("[::1]"));
  EXPECT_TRUE(isAddressHost("localhost"));
  EXPECT_FALSE(isAddressHost(""));
  EXPECT_FALSE(isAddressHost("example.com:8080"));
  EXPECT_FALSE(isAddressHost("127.0.0.1:80x"));
  EXPECT_FALSE(isAddressHost("[::1"));
  EXPECT_FALSE(isAddressHost("[::1]x"));
  EXPECT_FALSE(isAddressHost("127.0.0.1.evil.example"));
}

} // namespace
} // namespace exaproxy::ui
