#include "plugin/url_edit.h"

#include "plugin_test_support.h"

namespace exaproxy::plugin::test {
namespace {

TEST(UrlEditTest, SetsAbsoluteUrl) {
  auto req = getRequest();
  ASSERT_TRUE(setRequestUrl(req, "http://New.Test:8080/a?b=c"));
  EXPECT_EQ(req.host, "new.test");
  EXPECT_EQ(req.port, 8080);
  EXPECT_TRUE(req.explicitPort);
  EXPECT_EQ(req.pathAndQuery, "/a?b=c");
  EXPECT_EQ(req.url(), "http://new.test:8080/a?b=c");
  ASSERT_TRUE(setRequestUrl(req, "http://[2001:db8::1]"));
  EXPECT_EQ(req.host, "2001:db8::1");
  EXPECT_EQ(req.port, 80);
  EXPECT_EQ(req.pathAndQuery, "/");
}

TEST(UrlEditTest, PathOnlyAndRefusals) {
  auto req = getRequest();
  ASSERT_TRUE(setRequestUrl(req, "/only/path"));
  EXPECT_EQ(req.host, "origin.test");
  EXPECT_EQ(req.pathAndQuery, "/only/path");
  for (const char* bad : {"ftp://x.test/", "http://", "http://a b/", "http://x.test/\r\nX: y",
                          "http://x.test:0/", "http://x.test:99999/", "relative"})
    EXPECT_FALSE(setRequestUrl(req, bad)) << bad;
  EXPECT_EQ(req.pathAndQuery, "/only/path") << "a refused edit changes nothing";
}

TEST(UrlEditTest, ConnectTakesHostPort) {
  auto req = parseRequest("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n");
  ASSERT_TRUE(setRequestUrl(req, "b.test:8443"));
  EXPECT_EQ(req.url(), "b.test:8443");
  EXPECT_FALSE(setRequestUrl(req, "b.test"));
  EXPECT_FALSE(setRequestPath(req, "/x"));
}

TEST(UrlEditTest, HeaderRules) {
  EXPECT_TRUE(validHeaderName("X-Good_1"));
  EXPECT_FALSE(validHeaderName("Bad Name"));
  EXPECT_FALSE(validHeaderName(""));
  EXPECT_TRUE(validHeaderValue("fine value"));
  EXPECT_FALSE(validHeaderValue("a\r\nb"));
  EXPECT_FALSE(validHeaderValue(std::string_view("a\0b", 3)));
}

} // namespace
} // namespace exaproxy::plugin::test
