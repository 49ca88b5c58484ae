// The key tables (core/config_schema.h) against HostConfig's defaults, the loader, and both shipped
// copies of 00-exaproxy.conf.
#include "core/config_schema.h"

#include "core/ini_parser.h"
#include "temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace exaproxy;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

namespace fs = std::filesystem;

std::string allErrors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors)
    out += e.toString() + "\n";
  return out;
}

// Defaults that loadConfig sets where HostConfig{} leaves the member empty.
const std::set<std::string> kLoaderDefaults = {"acl.allow_clients", "acl.deny_destinations",
                                               "metrics.allow_clients",
                                               "icap_server.allow_clients"};

// The packaged file differs from the repository's on purpose only here (installed paths).
const std::map<std::string, std::string> kPackagedValues = {
    {"server.templates", "/usr/share/exaproxy/templates"},
    {"log.access_log", "/var/log/exaproxy/access.log"},
    {"ui.www", "/usr/share/exaproxy/www"},
};

template <typename T> std::string keyList(const std::vector<KeySpec<T>>& keys) {
  std::string out;
  for (const auto& k : keys)
    out += (out.empty() ? "" : ", ") + std::string(k.key);
  return out;
}

} // namespace

TEST(ConfigSchema, KeysAreUniqueAndDescribed) {
  std::set<std::string> seen;
  for (const auto& s : hostSchema())
    for (const auto& k : s.keys) {
      EXPECT_TRUE(seen.insert(std::string(s.name) + "." + std::string(k.key)).second) << k.key;
      EXPECT_FALSE(k.description.empty()) << k.key;
    }
  for (const auto& k : listenerSchema()) {
    EXPECT_TRUE(seen.insert("listener." + std::string(k.key)).second) << k.key;
    EXPECT_FALSE(k.description.empty()) << k.key;
  }
}

TEST(ConfigSchema, EveryDefaultParsesToHostConfigsDefault) {
  const HostConfig plain;
  for (const auto& s : hostSchema())
    for (const auto& k : s.keys) {
      auto name = std::string(s.name) + "." + std::string(k.key);
      HostConfig parsed;
      EXPECT_EQ(k.parse(parsed, std::string(k.defaultText), fs::path()), "") << name;
      EXPECT_TRUE(k.same(parsed, schemaDefaults())) << name;
      if (!kLoaderDefaults.count(name)) {
        EXPECT_TRUE(k.same(parsed, plain)) << name << " differs from HostConfig{}";
      } else {
        EXPECT_FALSE(k.same(parsed, plain)) << name << ": drop it from kLoaderDefaults";
      }
    }
  for (const auto& k : listenerSchema()) {
    ListenerConfig parsed;
    EXPECT_EQ(k.parse(parsed, std::string(k.defaultText), fs::path()), "") << k.key;
    if (!k.required) {
      EXPECT_TRUE(k.same(parsed, ListenerConfig{})) << k.key;
    }
  }
  for (const auto& k : pluginPolicySchema()) {
    PluginEntry parsed;
    EXPECT_EQ(k.parse(parsed, std::string(k.defaultText), fs::path()), "") << k.key;
    EXPECT_TRUE(k.same(parsed, PluginEntry{})) << k.key;
  }
}

TEST(ConfigSchema, LoaderStartsFromTheTablesDefaults) {
  test::TempDir dir;
  dir.write("00-x.conf", "[listener main]\naddress = 127.0.0.1:3128\n");
  auto load = loadConfig(dir.path(), {});
  ASSERT_TRUE(load.config) << allErrors(load.errors);
  for (const auto& s : hostSchema())
    for (const auto& k : s.keys)
      EXPECT_TRUE(k.same(*load.config, schemaDefaults())) << s.name << "." << k.key;
  EXPECT_EQ(load.config->allowClients.toString(), "127.0.0.0/8 ::1/128");
  EXPECT_EQ(load.config->denyDestinations.toString(), "169.254.0.0/16 fe80::/10");
}

TEST(ConfigSchema, UnknownKeyInEverySectionIsAnError) {
  std::vector<std::pair<std::string, std::string>> sections; // section, its keys
  for (const auto& s : hostSchema())
    sections.emplace_back(std::string(s.name), keyList(s.keys));
  sections.emplace_back("listener main", keyList(listenerSchema()));
  for (const auto& [section, keys] : sections) {
    test::TempDir dir;
    auto path = dir.write("00-x.conf", "[listener main]\naddress = 127.0.0.1:3128\n[" + section +
                                           "]\nbogus_key = 1\n");
    auto load = loadConfig(dir.path(), {});
    EXPECT_FALSE(load.config) << section;
    ASSERT_EQ(load.errors.size(), 1u) << allErrors(load.errors);
    EXPECT_EQ(load.errors[0].toString(),
              path.string() + ":4: [" + section + "] bogus_key: unknown key (known: " + keys + ")");
    // And through --set.
    auto over = loadConfig(dir.path(), {section + ".other_key=1"});
    EXPECT_THAT(allErrors(over.errors), HasSubstr("--set:1: [" + section + "] other_key: unknown"));
  }
  test::TempDir dir;
  dir.write("20-p.conf", "[plugin]\npath = p.so\nbogus_key = 1\n");
  dir.write("00-x.conf", "[listener main]\naddress = 127.0.0.1:3128\n");
  auto load = loadConfig(dir.path(), {});
  ASSERT_EQ(load.errors.size(), 1u) << allErrors(load.errors);
  EXPECT_THAT(load.errors[0].toString(),
              HasSubstr("[plugin] bogus_key: unknown key (known: path, timeout, on_timeout, "
                        "on_error, body_hold_max, required)"));
}

TEST(ConfigSchema, UnknownSectionMessageNamesEveryHostSection) {
  test::TempDir dir;
  dir.write("00-x.conf", "[listener main]\naddress = 127.0.0.1:3128\n[proxy]\n");
  auto load = loadConfig(dir.path(), {});
  ASSERT_EQ(load.errors.size(), 1u) << allErrors(load.errors);
  EXPECT_THAT(
      load.errors[0].message,
      HasSubstr(
          "(host sections: server, listener NAME, acl, dns, upstream, limits, "
          "timeouts, log, ui, metrics, icap_server, workers; a plugin's sections belong in its own "
          "NN-name.conf)"));
}

// Both shipped copies write out exactly the table: every key once, no other key, each value the
// default (the packaged copy's installed paths excepted, and listed above).
class ShippedFile : public ::testing::TestWithParam<const char*> {};

TEST_P(ShippedFile, WritesOutExactlyTheTablesDefaults) {
  bool packaged = std::string(GetParam()).starts_with("installers/");
  auto doc = parseIniFile(fs::path(EXAPROXY_SOURCE_DIR) / GetParam());
  ASSERT_TRUE(doc.errors.empty()) << allErrors(doc.errors);

  std::map<std::string, int> expected; // "section.key" -> times the file must set it
  for (const auto& s : hostSchema())
    for (const auto& k : s.keys)
      expected[std::string(s.name) + "." + std::string(k.key)] = 1;
  for (const auto& k : listenerSchema())
    expected["listener main." + std::string(k.key)] = 1;

  std::map<std::string, int> found;
  HostConfig host = schemaDefaults();
  ListenerConfig listener;
  for (const auto& e : doc.entries) {
    auto name = e.section + "." + e.key;
    ++found[name];
    auto packagedValue = kPackagedValues.find(name);
    if (packaged && packagedValue != kPackagedValues.end()) {
      EXPECT_EQ(e.value, packagedValue->second) << name;
      continue;
    }
    const auto* section = findHostSection(e.section);
    if (section) {
      for (const auto& k : section->keys)
        if (k.key == e.key) {
          HostConfig parsed = host;
          EXPECT_EQ(k.parse(parsed, e.value, fs::path(EXAPROXY_SOURCE_DIR) / "conf.d"), "") << name;
          EXPECT_TRUE(k.same(parsed, host)) << name << " = " << e.value << " is not the default";
        }
    } else if (e.section == "listener main") {
      for (const auto& k : listenerSchema())
        if (k.key == e.key) {
          ListenerConfig parsed;
          EXPECT_EQ(k.parse(parsed, e.value, fs::path()), "") << name;
          if (k.required) {
            EXPECT_EQ(e.value, k.defaultText) << name << " is not the table's example";
          } else {
            EXPECT_TRUE(k.same(parsed, listener)) << name << " = " << e.value;
          }
        }
    }
  }
  for (const auto& [name, times] : found) {
    EXPECT_TRUE(expected.count(name)) << name << ": not a key of the table";
    EXPECT_LE(times, 1) << name << ": set more than once";
  }
  for (const auto& [name, times] : expected)
    EXPECT_TRUE(found.count(name)) << name << ": missing (every key of the table is written out)";
}

INSTANTIATE_TEST_SUITE_P(BothCopies, ShippedFile,
                         ::testing::Values("conf.d/00-exaproxy.conf",
                                           "installers/conf.d/00-exaproxy.conf"));

TEST(ShippedConfig, DefaultConfDirLoadsWithTheTablesDefaults) {
  auto result = loadConfig(fs::path(EXAPROXY_SOURCE_DIR) / "conf.d", {});
  ASSERT_TRUE(result.errors.empty()) << allErrors(result.errors);
  const auto& cfg = *result.config;
  for (const auto& s : hostSchema())
    for (const auto& k : s.keys)
      EXPECT_TRUE(k.same(cfg, schemaDefaults())) << s.name << "." << k.key;
  ASSERT_EQ(cfg.listeners.size(), 1u);
  EXPECT_EQ(cfg.listeners[0].name, "main");
  EXPECT_EQ(cfg.listeners[0].address.toString(), "127.0.0.1:3128");
  // The shipped conf.d enables one plugin, xff, by its bare packaged name.
  ASSERT_EQ(cfg.plugins.size(), 1u);
  EXPECT_EQ(cfg.plugins[0].name, "10-xff");
  EXPECT_EQ(cfg.plugins[0].library.filename(), "xff.so");
}

TEST(ConfigSchema, RestartOnlyKeysAreTheTablesRestartRows) {
  std::vector<std::string> restart;
  for (const auto& s : hostSchema())
    for (const auto& k : s.keys)
      if (k.reload == Reload::Restart)
        restart.push_back(std::string(s.name) + "." + std::string(k.key));
  for (const auto& k : listenerSchema())
    if (k.reload == Reload::Restart)
      restart.push_back("listener." + std::string(k.key));
  EXPECT_THAT(restart,
              ElementsAre("server.loops", "server.user", "ui.enabled", "ui.listen", "ui.threads",
                          "ui.www", "metrics.enabled", "metrics.listen", "metrics.allow_clients",
                          "icap_server.enabled", "icap_server.listen", "listener.address",
                          "listener.route_by_host"));
}

TEST(ConfigSchema, RestartOnlyChanges) {
  HostConfig a = schemaDefaults();
  a.listeners.push_back(ListenerConfig{});
  a.listeners[0].name = "main";
  EXPECT_TRUE(restartOnlyChanges(a, a).empty());

  HostConfig b = a; // live settings: nothing to report
  b.coalesceUs = 100;
  b.connect = std::chrono::seconds(1);
  b.listeners[0].proxyProtocol = ProxyProtocol::V1;
  b.workersMax = 3;
  EXPECT_TRUE(restartOnlyChanges(a, b).empty());

  b.loops = 3;
  b.uiListen.port = 9090;
  b.uiWww = "/srv/www";
  EXPECT_THAT(restartOnlyChanges(a, b), ElementsAre("server.loops", "ui.listen", "ui.www"));

  HostConfig c = a;
  c.listeners[0].routeByHost = false;
  EXPECT_THAT(restartOnlyChanges(a, c), ElementsAre("listeners"));
  c = a;
  c.listeners.push_back(a.listeners[0]);
  c.listeners[1].name = "second";
  EXPECT_THAT(restartOnlyChanges(a, c), ElementsAre("listeners"));
  c = a;
  c.user = "proxy";
  EXPECT_THAT(restartOnlyChanges(a, c), ElementsAre("server.user"));
}
