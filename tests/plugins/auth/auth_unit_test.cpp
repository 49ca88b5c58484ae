// auth_core: Basic credentials (RFC 7617, base64 per RFC 4648's test vectors), the helper's
// request line, the settings, and the credentials cache (expiry, the bound, keys that never hold
// the password).
#include "auth_config.h"
#include "basic_credentials.h"
#include "credentials_cache.h"
#include "plugin_settings.h"

#include <gtest/gtest.h>

#include <cstring>

namespace exaproxy::auth {
namespace {

using namespace std::chrono_literals;

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"Zg==", "f"},        {"Zm8=", "fo"},        {"Zm9v", "foo"},
      {"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"}};
  for (auto [in, out] : vectors)
    EXPECT_EQ(decodeBase64(in), std::optional<std::string>(out)) << in;
  for (const char* bad :
       {"", "Zg=", "Zg", "Z===", "Zm9v YmFy", "Zm9vYmF=y", "Zm9v\nYmFy", "Zg==Zg==", "Zm9*"})
    EXPECT_EQ(decodeBase64(bad), std::nullopt) << bad;
}

TEST(BasicCredentials, Rfc7617ExampleAndWhatIsRefused) {
  auto c = parseBasic("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "Aladdin");
  EXPECT_EQ(c->password, "open sesame");
  auto lower = parseBasic("  basic   QWxhZGRpbjpvcGVuIHNlc2FtZQ==  ");
  ASSERT_TRUE(lower) << "scheme names are case-insensitive, spaces around are fine";
  EXPECT_EQ(lower->user, "Aladdin");
  auto colon = parseBasic("Basic dTpwOnE="); // "u:p:q": the password may hold ':'
  ASSERT_TRUE(colon);
  EXPECT_EQ(colon->password, "p:q");
  EXPECT_EQ(parseBasic("Basic OnBhc3M="), std::nullopt) << "\":pass\": no user";
  EXPECT_EQ(parseBasic("Basic bm9jb2xvbg=="), std::nullopt) << "\"nocolon\"";
  EXPECT_EQ(parseBasic("Basic dQ1wOnA="), std::nullopt) << "a CR in the user";
  EXPECT_EQ(parseBasic("Basic !!!!"), std::nullopt);
  EXPECT_EQ(parseBasic("Negotiate YIIC"), std::nullopt);
  EXPECT_EQ(parseBasic("Basicx QWxh"), std::nullopt);
  EXPECT_TRUE(usesScheme("NTLM TlRMTVNT", "ntlm"));
  EXPECT_FALSE(usesScheme("NTLMx", "ntlm"));
}

TEST(BasicCredentials, HelperLineIsPercentEncodedAsSquidDoes) {
  EXPECT_EQ(basicHelperLine({"alice", "open sesame"}), "alice open%20sesame\n");
  EXPECT_EQ(basicHelperLine({"b%b", "caf\xc3\xa9"}), "b%25b caf%C3%A9\n");
}

std::vector<sdk::Setting> settings(const std::vector<std::pair<std::string, std::string>>& kv) {
  return testing::settingsFor("15-auth.conf", "auth", kv);
}

std::string refusal(const std::vector<std::pair<std::string, std::string>>& kv) {
  return testing::refusalOf([](const auto& s) { return parseConfig(s); }, settings(kv));
}

TEST(AuthConfig, DefaultsAndEveryKey) {
  auto c = parseConfig(settings({{"basic_program", "/usr/lib/squid/basic_ncsa_auth /etc/pw"}}));
  EXPECT_EQ(c.basic.pool.program,
            (std::vector<std::string>{"/usr/lib/squid/basic_ncsa_auth", "/etc/pw"}));
  EXPECT_EQ(c.basic.realm, "ExaProxy");
  EXPECT_EQ(c.basic.credentialsTtl, 1h);
  EXPECT_FALSE(c.basic.caseSensitive);
  EXPECT_EQ(c.basic.pool.children, 5u);
  auto d = parseConfig(settings({{"schemes", "basic"},
                                 {"basic_program", "helper"},
                                 {"basic_children", "3"},
                                 {"basic_concurrency", "10"},
                                 {"basic_realm", "Corp proxy"},
                                 {"basic_credentials_ttl", "10m"},
                                 {"basic_casesensitive", "on"},
                                 {"basic_timeout", "2s"},
                                 {"open_clients", "10.1.0.0/16 192.0.2.7"},
                                 {"open_destinations", "updates.example.test wpad.example.test"}}));
  EXPECT_EQ(d.basic.pool.children, 3u);
  EXPECT_EQ(d.basic.pool.concurrency, 10u);
  EXPECT_EQ(d.basic.realm, "Corp proxy");
  EXPECT_EQ(d.basic.credentialsTtl, 10min);
  EXPECT_TRUE(d.basic.caseSensitive);
  EXPECT_EQ(d.basic.pool.timeout, 2s);
  EXPECT_TRUE(d.openClients->contains("10.1.2.3"));
  EXPECT_FALSE(d.openClients->contains("10.2.0.1"));
  EXPECT_TRUE(d.openDestinations->contains("dl.updates.example.test"));
  EXPECT_FALSE(d.openDestinations->contains("example.test"));
}

TEST(AuthConfig, SchemesAreOfferedInTheirOrderEachWithItsHelpers) {
  auto c = parseConfig(settings({{"schemes", "negotiate ntlm basic"},
                                 {"negotiate_program", "/usr/lib/squid/negotiate_kerberos_auth -s "
                                                       "HTTP/proxy.example.test@EXAMPLE.TEST"},
                                 {"negotiate_children", "7"},
                                 {"negotiate_concurrency", "0"},
                                 {"ntlm_program", "/usr/lib/squid/ntlm_fake_auth"},
                                 {"ntlm_timeout", "2s"},
                                 {"basic_program", "/usr/lib/squid/basic_ncsa_auth /etc/pw"}}));
  EXPECT_EQ(c.schemes, (std::vector<Scheme>{Scheme::Negotiate, Scheme::Ntlm, Scheme::Basic}));
  EXPECT_EQ(c.negotiate.pool.program.size(), 3u);
  EXPECT_EQ(c.negotiate.pool.children, 7u);
  EXPECT_EQ(c.negotiate.pool.concurrency, 0u);
  EXPECT_EQ(c.ntlm.pool.program, (std::vector<std::string>{"/usr/lib/squid/ntlm_fake_auth"}));
  EXPECT_EQ(c.ntlm.pool.timeout, 2s);
  EXPECT_EQ(c.negotiate.pool.name, "Negotiate authentication helpers");
  // Basic need not be offered at all.
  auto k = parseConfig(settings({{"schemes", "negotiate"}, {"negotiate_program", "k"}}));
  EXPECT_FALSE(k.offers(Scheme::Basic));
  EXPECT_TRUE(k.basic.pool.program.empty());
}

TEST(AuthConfig, RefusalsNameTheSetting) {
  EXPECT_NE(refusal({}).find("basic_program` is required"), std::string::npos);
  // A scheme offered without its helper, a helper for a scheme not offered.
  EXPECT_NE(refusal({{"basic_program", "h"}, {"schemes", "ntlm"}})
                .find("`ntlm_program` is required when `schemes` offers NTLM"),
            std::string::npos);
  EXPECT_EQ(refusal({{"basic_program", "h"}, {"ntlm_program", "n"}}),
            "1: `schemes` does not offer NTLM (schemes = ...)");
  EXPECT_NE(refusal({{"schemes", "basic basic"}, {"basic_program", "h"}}).find("named twice"),
            std::string::npos);
  EXPECT_EQ(
      refusal(
          {{"schemes", "negotiate"}, {"negotiate_program", "k"}, {"negotiate_concurrency", "4"}}),
      "2: these helpers are stateful: concurrency must be 0");
  EXPECT_NE(refusal({{"basic_program", "h"}, {"schemes", "digest"}}).find("unknown scheme"),
            std::string::npos);
  EXPECT_NE(refusal({{"basic_program", "h"}, {"basic_children", "0"}}).find("1: "),
            std::string::npos);
  EXPECT_NE(refusal({{"basic_program", "h"}, {"basic_realm", "a\"b"}}).find("quotes"),
            std::string::npos);
  EXPECT_NE(refusal({{"basic_program", "h"}, {"open_clients", "10.0.0.0/33"}}).find("1: "),
            std::string::npos);
  EXPECT_NE(refusal({{"basic_program", "h"}, {"basic_credentials_ttl", "soon"}}).find("1: "),
            std::string::npos);
  EXPECT_NE(refusal({{"basic_program", "h"}, {"basic_colour", "red"}}).find("unknown key"),
            std::string::npos);
  EXPECT_NE(refusal({{"basic_program", "'unterminated"}}).find("0: "), std::string::npos);
}

TEST(CredentialsCache, RemembersUntilTheTtlAndForgetsTheOldestBeyondItsBound) {
  CredentialsCache cache(60s, 2);
  auto t0 = CredentialsCache::Clock::now();
  auto alice = cache.keyOf("alice", "secret");
  EXPECT_EQ(alice, cache.keyOf("alice", "secret"));
  EXPECT_NE(alice, cache.keyOf("alice", "Secret")) << "another password, another key";
  EXPECT_NE(cache.keyOf("ab", "c"), cache.keyOf("a", "bc")) << "the user ends where it ends";
  EXPECT_FALSE(cache.find(alice, t0));
  cache.remember(alice, {"alice", "pupils"}, t0);
  auto hit = cache.find(alice, t0 + 59s);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->group, "pupils");
  EXPECT_FALSE(cache.find(alice, t0 + 60s)) << "expired";
  EXPECT_EQ(cache.size(), 0u) << "and forgotten";

  auto a = cache.keyOf("a", "1"), b = cache.keyOf("b", "2"), c = cache.keyOf("c", "3");
  cache.remember(a, {"a", ""}, t0);
  cache.remember(b, {"b", ""}, t0);
  cache.remember(c, {"c", ""}, t0);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.find(a, t0)) << "the oldest went";
  EXPECT_TRUE(cache.find(c, t0));

  // Keys are keyed: another cache (another process) derives others from the same credentials.
  CredentialsCache other(60s, 2);
  EXPECT_NE(other.keyOf("alice", "secret"), alice);
  std::string needle = "secret";
  EXPECT_EQ(std::search(alice.begin(), alice.end(), needle.begin(), needle.end()), alice.end());

  CredentialsCache off(0s, 10); // credentials_ttl = 0: ask every time
  off.remember(alice, {"alice", ""}, t0);
  EXPECT_EQ(off.size(), 0u);
}

} // namespace
} // namespace exaproxy::auth
