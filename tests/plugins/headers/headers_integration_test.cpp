// The headers plugin through the real binary: request header and cookie edits as the origin
// receives them, response header and Set-Cookie edits as curl receives them, malformed cookies
// passed through untouched.
#include "itest.h"

#include <chrono>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// Rules for the test origin (127.0.0.1) and for a host no request uses.
const char* kConf = R"(# headers plugin, integration test
[plugin]
path = headers.so

[headers youtube]
host = 127.0.0.1 *.youtube.com
cookie_param = PREF f2=8000000
cookie_remove = tracking
cookie_set = consent=yes
youtube_restrict = strict
set = X-Filtered: headers
add = X-Added: one
add = X-Added: two
remove = X-Remove-Me

[headers other]
host = other.test
set = X-Other: must-not-appear

[headers reply]
host = 127.0.0.1
direction = response
remove = X-Powered-By
set = X-Served-Via: proxy
cookie_param = PREF f2=8000000
cookie_remove = ad_id
)";

class HeadersPluginTest : public testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(origin.ok());
    proxy = std::make_unique<ProxyProcess>(ProxyOptions{"", {}, {{"70-headers.conf", kConf}}});
    ASSERT_TRUE(proxy->start());
  }

  RecordedRequest onlyRequest() {
    auto reqs = origin.requests();
    EXPECT_EQ(reqs.size(), 1u);
    return reqs.empty() ? RecordedRequest{} : reqs.front();
  }

  OriginServer origin;
  std::unique_ptr<ProxyProcess> proxy;
};

} // namespace

TEST_F(HeadersPluginTest, RequestHeadersAndCookiesEditedAsTheOriginSeesThem) {
  auto r = runCurl({"-x", proxy->proxyArg(), "-H",
                    "Cookie: SID=abc; PREF=f1=50000000&hl=en; tracking=1; x=y", "-H",
                    "X-Remove-Me: secret", "-H", "X-Keep: 1", origin.url("/echo")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  auto req = onlyRequest();
  EXPECT_EQ(req.headers.get("Cookie").value_or(""),
            "SID=abc; PREF=f1=50000000&hl=en&f2=8000000; x=y; consent=yes");
  EXPECT_EQ(req.headers.count("Cookie"), 1u);
  EXPECT_EQ(req.headers.get("YouTube-Restrict").value_or(""), "Strict");
  EXPECT_EQ(req.headers.get("X-Filtered").value_or(""), "headers");
  EXPECT_EQ(req.headers.joined("X-Added"), "one, two");
  EXPECT_FALSE(req.headers.has("X-Remove-Me"));
  EXPECT_EQ(req.headers.get("X-Keep").value_or(""), "1");
  EXPECT_FALSE(req.headers.has("X-Other"));
}

TEST_F(HeadersPluginTest, CookieCreatedWhenTheClientSentNone) {
  auto r = runCurl({"-x", proxy->proxyArg(), origin.url("/")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  auto req = onlyRequest();
  EXPECT_EQ(req.headers.get("Cookie").value_or(""), "PREF=f2=8000000; consent=yes");
}

TEST_F(HeadersPluginTest, MalformedCookiePassedThroughUntouched) {
  const std::string bad = "SID=abc; this is not a cookie; PREF=hl=en";
  auto r = runCurl({"-x", proxy->proxyArg(), "-H", "Cookie: " + bad, origin.url("/")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  auto req = onlyRequest();
  EXPECT_EQ(req.headers.get("Cookie").value_or(""), bad);
  // The other edits of the rule still apply.
  EXPECT_EQ(req.headers.get("YouTube-Restrict").value_or(""), "Strict");
}

TEST_F(HeadersPluginTest, ResponseHeadersAndSetCookieEditedAsCurlSeesThem) {
  origin.setHandler([](Exchange& ex) {
    ex.respond(200, "hello\n",
               {{"X-Powered-By", "php"},
                {"Set-Cookie", "PREF=hl=en; Path=/; Domain=.youtube.com"},
                {"Set-Cookie", "ad_id=42; Path=/"},
                {"Set-Cookie", "session=s1; HttpOnly"}});
  });
  auto r = runCurl({"-sS", "-D", "-", "-o", "/dev/null", "-x", proxy->proxyArg(), origin.url("/")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  std::string head = toLower(r.out);
  EXPECT_EQ(head.find("x-powered-by"), std::string::npos) << r.out;
  EXPECT_NE(head.find("x-served-via: proxy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PREF=hl=en&f2=8000000; Path=/; Domain=.youtube.com"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("ad_id"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("session=s1; HttpOnly"), std::string::npos) << r.out;
}

TEST_F(HeadersPluginTest, OtherHostsUntouched) {
  // An origin on 127.0.0.2: no rule names that host.
  OriginServer other({"127.0.0.2"});
  ASSERT_TRUE(other.ok());
  auto r = runCurl(
      {"-x", proxy->proxyArg(), "-H", "Cookie: a=1", "-H", "X-Remove-Me: 1", other.url("/")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  auto reqs = other.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers.get("Cookie").value_or(""), "a=1");
  EXPECT_TRUE(reqs[0].headers.has("X-Remove-Me"));
  EXPECT_FALSE(reqs[0].headers.has("YouTube-Restrict"));
  EXPECT_EQ(origin.requestCount(), 0u);
}
