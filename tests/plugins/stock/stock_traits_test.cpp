// The traits each stock plugin declares (declare_traits, ABI 1.3) for the host's chain-order
// check: ROUTES for a plugin that may answer ROUTE (which ends the chain), EDITS_REQUEST for one
// that edits the request and so must come before any router. Declared by create() and again by
// reconfigure(); a refused reconfigure keeps the old configuration's.
#include "stock_test_support.h"

#include <gtest/gtest.h>

namespace exaproxy::plugin::stock {
namespace {

constexpr uint32_t kRoutes = EXAPROXY_TRAIT_ROUTES;
constexpr uint32_t kEdits = EXAPROXY_TRAIT_EDITS_REQUEST;

uint32_t traitsOf(const std::string& plugin, const std::string& conf, bool checkMode = false) {
  auto loaded = loadStock(plugin, conf, checkMode);
  if (!loaded) {
    ADD_FAILURE() << plugin << ": " << loaded.error().message;
    return 0xffffffffu;
  }
  return (*loaded)->host()->traits.load();
}

TEST(StockTraits, SubstituteRoutesWhenItHasRules) {
  EXPECT_EQ(traitsOf("substitute", "[substitute]\nwww.youtube.com = restrict.youtube.com\n"),
            kRoutes);
  EXPECT_EQ(traitsOf("substitute", ""), 0u);
}

TEST(StockTraits, HeadersEditsTheRequestOnlyWithRequestRules) {
  EXPECT_EQ(traitsOf("headers", "[headers yt]\nhost = youtube.com\nyoutube_restrict = strict\n"),
            kEdits);
  EXPECT_EQ(traitsOf("headers", "[headers c]\ncookie_param = PREF f2=8000000\n"), kEdits);
  EXPECT_EQ(traitsOf("headers", "[headers r]\ndirection = response\nremove = X-Powered-By\n"), 0u);
  EXPECT_EQ(traitsOf("headers", ""), 0u);
}

TEST(StockTraits, RedirectorMayRouteAndRewrite) {
  // Its helper decides: every dialect can answer a route and a rewrite (URL, headers).
  EXPECT_EQ(traitsOf("redirector", "[redirector]\nprogram = /bin/cat\n", true), kRoutes | kEdits);
  EXPECT_EQ(
      traitsOf("redirector", "[redirector]\nprogram = /bin/cat\nprotocol = exaproxy-url\n", true),
      kRoutes | kEdits);
}

TEST(StockTraits, IcapRewritesWhenItHasAService) {
  // A REQMOD service may send back a modified request head (URL, fields).
  EXPECT_EQ(traitsOf("icap", "[icap echo]\nuri = icap://127.0.0.1:1344/echo\n"), kEdits);
  EXPECT_EQ(traitsOf("icap", "[icap]\ntimeout = 2s\n"), 0u);
}

TEST(StockTraits, XffEditsTheRequestWhenItWritesForwardingHeaders) {
  EXPECT_EQ(traitsOf("xff", "[xff]\ntrusted = 127.0.0.1\n"), kEdits); // appends by default
  EXPECT_EQ(traitsOf("xff", "[xff]\nforwarded_for = delete\n"), kEdits);
  EXPECT_EQ(traitsOf("xff", "[xff]\nforwarded_for = transparent\nforwarded = append\n"), kEdits);
  // Only the client address (the proxy's own view, never sent): no edit of the request.
  EXPECT_EQ(traitsOf("xff", "[xff]\ntrusted = 127.0.0.1\nforwarded_for = transparent\n"), 0u);
}

TEST(StockTraits, AclAndLocalNeitherRouteNorEdit) {
  EXPECT_EQ(traitsOf("acl", "[acl_rule r]\ndomains = ads.example\naction = deny\n"), 0u);
  EXPECT_EQ(traitsOf("local", "[local pac]\nhost = wpad.test\ngenerate = pac\n"), 0u);
}

TEST(StockTraits, CheckModeDeclaresWhatServingWould) {
  const std::string sub = "[substitute]\nwww.youtube.com = restrict.youtube.com\n";
  const std::string hdr = "[headers yt]\nhost = youtube.com\nyoutube_restrict = strict\n";
  EXPECT_EQ(traitsOf("substitute", sub, true), traitsOf("substitute", sub, false));
  EXPECT_EQ(traitsOf("headers", hdr, true), traitsOf("headers", hdr, false));
}

TEST(StockTraits, ReconfigureDeclaresTheNewConfigurationsTraits) {
  auto headers =
      loadStock("headers", "[headers r]\ndirection = response\nremove = Server\n", false);
  ASSERT_TRUE(headers) << headers.error().message;
  auto& h = **headers;
  EXPECT_EQ(h.host()->traits.load(), 0u);
  std::string why;
  ASSERT_TRUE(h.reconfigure(settingsOf("[headers yt]\nyoutube_restrict = moderate\n"), why)) << why;
  EXPECT_EQ(h.host()->traits.load(), kEdits);
  EXPECT_FALSE(h.reconfigure(settingsOf("[headers yt]\ncolour = blue\n"), why));
  EXPECT_EQ(h.host()->traits.load(), kEdits); // refused: the old configuration stays
  ASSERT_TRUE(h.reconfigure(settingsOf(""), why)) << why;
  EXPECT_EQ(h.host()->traits.load(), 0u);

  auto substitute = loadStock("substitute", "", false);
  ASSERT_TRUE(substitute) << substitute.error().message;
  auto& s = **substitute;
  EXPECT_EQ(s.host()->traits.load(), 0u);
  ASSERT_TRUE(s.reconfigure(settingsOf("[substitute]\na.test = b.test\n"), why)) << why;
  EXPECT_EQ(s.host()->traits.load(), kRoutes);

  auto xff = loadStock("xff", "[xff]\nforwarded_for = transparent\n", false);
  ASSERT_TRUE(xff) << xff.error().message;
  auto& x = **xff;
  EXPECT_EQ(x.host()->traits.load(), 0u);
  ASSERT_TRUE(x.reconfigure(settingsOf("[xff]\nforwarded_for = truncate\n"), why)) << why;
  EXPECT_EQ(x.host()->traits.load(), kEdits);
}

} // namespace
} // namespace exaproxy::plugin::stock
