// external_acl_core: the helper's line (Squid's format codes, %-encoding, "-" for what is absent,
// the data words) and the settings.
#include "acl_format.h"
#include "external_acl_config.h"
#include "plugin_settings.h"

#include <gtest/gtest.h>

namespace exaproxy::external_acl {
namespace {

using namespace std::chrono_literals;

AclFormat format(const std::string& text) {
  std::string why;
  auto f = AclFormat::parse(text, why);
  EXPECT_TRUE(f) << why;
  return f ? *f : AclFormat{};
}

TEST(AclFormat, ExpandsSquidsCodes) {
  RequestFields r;
  r.client = "192.0.2.7";
  r.clientPort = 54321;
  r.login = "Alice Smith";
  r.host = "www.example.test";
  r.port = 8080;
  r.path = "/a b?c";
  r.method = "GET";
  r.url = "http://www.example.test:8080/a%20b?c";
  r.myAddr = "10.0.0.1";
  r.myPort = "3128";
  r.header = [](std::string_view name) -> std::optional<std::string_view> {
    if (name == "User-Agent")
      return "curl/7.88";
    return std::nullopt;
  };
  auto f = format("%SRC %SRCPORT %LOGIN %DST %PORT %PATH %METHOD %URI %MYADDR %MYPORT "
                  "%>{User-Agent} %>{X-Missing}");
  EXPECT_EQ(f.expand(r, {"pupils", "staff"}),
            "192.0.2.7 54321 Alice%20Smith www.example.test 8080 /a%20b?c GET "
            "http://www.example.test:8080/a%2520b?c 10.0.0.1 3128 curl/7.88 - pupils staff");
  EXPECT_TRUE(f.usesLogin());
  RequestFields anonymous;
  EXPECT_EQ(format("%LOGIN %SRC %SRCPORT").expand(anonymous, {}), "- - -");
  EXPECT_FALSE(format("%SRC").usesLogin());
}

TEST(AclFormat, RefusesWhatItCannotFill) {
  std::string why;
  EXPECT_FALSE(AclFormat::parse("%SRC %EXT_USER", why));
  EXPECT_NE(why.find("'%EXT_USER' is not available"), std::string::npos) << why;
  EXPECT_FALSE(AclFormat::parse("", why));
  EXPECT_FALSE(AclFormat::parse("%>{}", why));
}

std::vector<sdk::Setting> settings(const std::vector<std::pair<std::string, std::string>>& kv) {
  return testing::settingsFor("18-ext.conf", "external_acl", kv);
}

std::string refusal(const std::vector<std::pair<std::string, std::string>>& kv) {
  return testing::refusalOf([](const auto& s) { return parseConfig(s); }, settings(kv));
}

TEST(ExternalAclConfig, DefaultsAndKeys) {
  auto c = parseConfig(settings({{"name", "staff"}, {"program", "/usr/lib/squid/x -b dc=test"}}));
  EXPECT_EQ(resultNote(c), "external.staff");
  EXPECT_EQ(c.ttl, 1h);
  EXPECT_EQ(c.negativeTtl, 1h);
  EXPECT_FALSE(c.denyOnErr);
  RequestFields r;
  r.login = "bob";
  EXPECT_EQ(c.format.expand(r, c.data), "bob") << "the default format is %LOGIN";
  auto d = parseConfig(settings({{"name", "g"},
                                 {"program", "h"},
                                 {"format", "%LOGIN %DST"},
                                 {"data", "pupils"},
                                 {"ttl", "10m"},
                                 {"negative_ttl", "30s"},
                                 {"on_err", "deny"}}));
  EXPECT_EQ(d.negativeTtl, 30s);
  EXPECT_TRUE(d.denyOnErr);
  EXPECT_EQ(d.data, (std::vector<std::string>{"pupils"}));
}

TEST(ExternalAclConfig, RefusalsNameTheSetting) {
  EXPECT_NE(refusal({{"program", "h"}}).find("`name` is required"), std::string::npos);
  EXPECT_NE(refusal({{"name", "n"}}).find("`program` is required"), std::string::npos);
  EXPECT_NE(refusal({{"name", "a b"}, {"program", "h"}}).find("0: "), std::string::npos);
  EXPECT_NE(refusal({{"name", "n"}, {"program", "h"}, {"format", "%XYZ"}}).find("2: "),
            std::string::npos);
  EXPECT_NE(refusal({{"name", "n"}, {"program", "h"}, {"on_err", "maybe"}}).find("2: "),
            std::string::npos);
  EXPECT_NE(refusal({{"name", "n"}, {"program", "h"}, {"colour", "red"}}).find("unknown key"),
            std::string::npos);
}

} // namespace
} // namespace exaproxy::external_acl
