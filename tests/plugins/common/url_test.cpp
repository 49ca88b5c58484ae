// The canonical URL a filter matches: what Squid's helpers see for two spellings of one URL.
#include "exaproxy/url.hpp"

#include <gtest/gtest.h>

namespace {

using exaproxy::sdk::canonicalUrl;

TEST(CanonicalUrl, UnreservedEscapesAreDecodedOthersUpperCased) {
  EXPECT_EQ(canonicalUrl("http://host.test/%61ds7/x.js"), "http://host.test/ads7/x.js");
  EXPECT_EQ(canonicalUrl("http://host.test/%7euser/%2f%3a"), "http://host.test/~user/%2F%3A");
  EXPECT_EQ(canonicalUrl("http://host.test/a?q=%41%20b"), "http://host.test/a?q=A%20b");
  EXPECT_EQ(canonicalUrl("http://host.test/100%"), "http://host.test/100%");   // kept
  EXPECT_EQ(canonicalUrl("http://host.test/%zz%4"), "http://host.test/%zz%4"); // kept
  EXPECT_EQ(canonicalUrl("http://host.test/a/./b/../c"), "http://host.test/a/./b/../c");
}

TEST(CanonicalUrl, SchemeAndHostInLowerCaseWithoutTheTrailingDot) {
  EXPECT_EQ(canonicalUrl("HTTP://Ads.Example.TEST./Path"), "http://ads.example.test/Path");
  EXPECT_EQ(canonicalUrl("http://Ads.Example.TEST.:8080"), "http://ads.example.test:8080");
  EXPECT_EQ(canonicalUrl("http://[2001:DB8::1]:80/x"), "http://[2001:db8::1]:80/x");
  EXPECT_EQ(canonicalUrl("Ads.Example.TEST.:443"), "ads.example.test:443"); // CONNECT
  EXPECT_EQ(canonicalUrl("http://u:P@Host.test/"), "http://u:P@host.test/");
}

TEST(CanonicalUrl, ACanonicalUrlIsItsOwnCanonicalForm) {
  for (const char* u : {"http://host.test/ads7/x.js", "http://host.test/~user/%2F%3A",
                        "host.test:443", "http://[::1]:8080/a?b=%20"})
    EXPECT_EQ(canonicalUrl(u), u);
}

} // namespace
