#include "redirector_config.h"

#include <gtest/gtest.h>

namespace exaproxy::redirector {
namespace {

// What parseConfig's sdk::ConfigError said.
struct ConfigProblem {
  size_t index = SIZE_MAX;
  std::string message;
};

bool parse(std::vector<std::pair<std::string, std::string>> kv, Config& c, ConfigProblem& p) {
  std::vector<sdk::Setting> settings;
  for (size_t i = 0; i < kv.size(); ++i)
    settings.push_back(sdk::Setting{i, "50-redirector.conf", static_cast<uint32_t>(i + 4),
                                    "redirector", kv[i].first, kv[i].second});
  try {
    c = parseConfig(settings);
    return true;
  } catch (const sdk::ConfigError& e) {
    p = ConfigProblem{e.index(), e.what()};
    return false;
  }
}

TEST(RedirectorConfig, Defaults) {
  Config c;
  ConfigProblem p;
  ASSERT_TRUE(parse({{"program", "/usr/bin/squidGuard -c /etc/sg.conf"}}, c, p)) << p.message;
  EXPECT_EQ(c.program, (std::vector<std::string>{"/usr/bin/squidGuard", "-c", "/etc/sg.conf"}));
  EXPECT_EQ(c.protocol, ProtocolKind::Squid);
  EXPECT_EQ(c.children, 5u);
  EXPECT_EQ(c.concurrency, 0u);
  EXPECT_EQ(c.queueSize, 10000u); // the host's default max_connections, not 2 x children
  EXPECT_EQ(c.timeout.count(), 3000);
  EXPECT_FALSE(c.allowOnError);
  EXPECT_FALSE(c.allowOnTimeout);
}

TEST(RedirectorConfig, EveryKey) {
  Config c;
  ConfigProblem p;
  ASSERT_TRUE(parse({{"program", "helper 'a b' \"c\\\"d\""},
                     {"protocol", "exaproxy-icap"},
                     {"children", "8"},
                     {"startup", "2"},
                     {"idle", "3"},
                     {"queue_size", "50"},
                     {"timeout", "250ms"},
                     {"on_timeout", "allow"},
                     {"on_error", "allow"},
                     {"bypass", "on"},
                     {"canary", "http://bad.test/"},
                     {"canary_client", "10.0.0.1"},
                     {"canary_interval", "2s"},
                     {"files", "/srv/pages"},
                     {"icap_service", "filter"}},
                    c, p))
      << p.message;
  EXPECT_EQ(c.program, (std::vector<std::string>{"helper", "a b", "c\"d"}));
  EXPECT_EQ(c.protocol, ProtocolKind::ExaproxyIcap);
  EXPECT_EQ(c.children, 8u);
  EXPECT_EQ(c.startup, 2u);
  EXPECT_EQ(c.idle, 3u);
  EXPECT_EQ(c.queueSize, 50u);
  EXPECT_EQ(c.timeout.count(), 250);
  EXPECT_TRUE(c.allowOnTimeout);
  EXPECT_TRUE(c.allowOnError);
  EXPECT_TRUE(c.bypass);
  EXPECT_EQ(c.canary, "http://bad.test/");
  EXPECT_EQ(c.canaryClient, "10.0.0.1");
  EXPECT_EQ(c.canaryInterval.count(), 2000);
  EXPECT_EQ(c.files, "/srv/pages");
  EXPECT_EQ(c.icapService, "filter");
}

TEST(RedirectorConfig, ErrorsNameTheEntry) {
  Config c;
  ConfigProblem p;
  EXPECT_FALSE(parse({{"program", "x"}, {"children", "zero"}}, c, p));
  EXPECT_EQ(p.index, 1u);
  EXPECT_FALSE(parse({{"program", "x"}, {"protocol", "icap://x"}}, c, p));
  EXPECT_EQ(p.index, 1u);
  EXPECT_FALSE(parse({{"program", "x"}, {"on_error", "maybe"}}, c, p));
  EXPECT_FALSE(parse({{"program", "x"}, {"timeout", "soon"}}, c, p));
  EXPECT_FALSE(parse({{"program", "x"}, {"colour", "blue"}}, c, p));
  EXPECT_NE(p.message.find("unknown key"), std::string::npos);
  EXPECT_FALSE(parse({{"program", "'unterminated"}}, c, p));
  EXPECT_FALSE(parse({{"children", "1"}}, c, p));
  EXPECT_EQ(p.index, SIZE_MAX);
  EXPECT_FALSE(parse({{"program", "x"}, {"protocol", "exaproxy-url"}, {"concurrency", "4"}}, c, p));
  EXPECT_EQ(p.index, 2u);
}

TEST(RedirectorConfig, StartupAndIdleAreCappedByChildren) {
  Config c;
  ConfigProblem p;
  ASSERT_TRUE(parse({{"program", "x"}, {"children", "2"}, {"startup", "9"}, {"idle", "9"}}, c, p));
  EXPECT_EQ(c.startup, 2u);
  EXPECT_EQ(c.idle, 2u);
}

} // namespace
} // namespace exaproxy::redirector
