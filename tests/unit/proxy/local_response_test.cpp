#include "proxy/local_response.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace exaproxy::proxy {
namespace {

std::string bodyOf(const LocalAnswer& a) {
  return a.ownBody.empty() ? std::string(a.body) : a.ownBody;
}

TEST(LocalResponseTest, HealthzFollowsTheDrainingFlag) {
  HostConfig cfg;
  http::ErrorPages pages;
  auto up = ownPage("/healthz?probe=1", cfg, false, pages);
  EXPECT_EQ(up.status, 200);
  EXPECT_FALSE(up.errorPage);
  EXPECT_EQ(bodyOf(up), "ok\n");
  auto down = ownPage("/healthz", cfg, true, pages);
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(bodyOf(down), "draining\n");
}

TEST(LocalResponseTest, TheInfoPageNamesTheProxyBuiltInOrFromTheTemplate) {
  HostConfig cfg;
  cfg.name = "edge-7";
  http::ErrorPages pages;
  auto builtin = ownPage("/", cfg, false, pages);
  EXPECT_EQ(builtin.status, 200);
  EXPECT_EQ(builtin.contentType, "text/html; charset=utf-8");
  EXPECT_NE(bodyOf(builtin).find("<h1>edge-7</h1>"), std::string::npos) << bodyOf(builtin);
  EXPECT_NE(bodyOf(builtin).find(EXAPROXY_VERSION), std::string::npos);

  // The shipped template is used when the templates directory has it.
  ASSERT_TRUE(pages.load(std::filesystem::path(EXAPROXY_SOURCE_DIR) / "www" / "templates"));
  ASSERT_TRUE(pages.has("info"));
  auto shipped = ownPage("", cfg, false, pages);
  EXPECT_NE(bodyOf(shipped).find("<title>edge-7</title>"), std::string::npos) << bodyOf(shipped);
  EXPECT_NE(bodyOf(shipped).find("ExaProxy " EXAPROXY_VERSION), std::string::npos);
}

TEST(LocalResponseTest, AnythingElseIs404) {
  HostConfig cfg;
  http::ErrorPages pages;
  auto a = ownPage("/admin", cfg, false, pages);
  EXPECT_EQ(a.status, 404);
  EXPECT_TRUE(a.errorPage);
}

} // namespace
} // namespace exaproxy::proxy
