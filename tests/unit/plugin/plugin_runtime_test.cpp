// The registry: load from HostConfig, refusals visible in plugins(), reload adds / removes /
// reconfigures while old snapshots keep their plugins alive.
#include "plugin_test_support.h"

#include "plugin/plugin_runtime.h"

#include <fstream>
#include <unistd.h>

namespace exaproxy::plugin::test {
namespace {

PluginEntry entry(const std::string& name, const std::string& file, const Settings& s = {}) {
  PluginEntry e;
  e.name = name;
  e.library = pluginPath(file);
  e.settings = toEntries(s);
  return e;
}

PluginEntry optional(PluginEntry e) {
  e.required = false;
  return e;
}

class PluginRuntimeTest : public PluginTest {
protected:
  HostConfig config(std::vector<PluginEntry> plugins) {
    HostConfig c;
    c.plugins = std::move(plugins);
    return c;
  }
  PluginRuntime runtime_{&pool_};
};

TEST_F(PluginRuntimeTest, LoadsInOrderAndListsRefusals) {
  auto report = runtime_.load(config({entry("10-a", "scripted", {{"label", "a"}}),
                                      optional(entry("20-bad", "major_mismatch")),
                                      entry("30-c", "deny_hosts", {{"hosts", "x.test"}})}));
  EXPECT_EQ(report.loaded, (std::vector<std::string>{"10-a", "30-c"}));
  ASSERT_EQ(report.refused.size(), 1u);
  auto chain = runtime_.chain();
  ASSERT_EQ(chain->links().size(), 2u);
  EXPECT_EQ(chain->links()[0].plugin->name(), "10-a");
  EXPECT_EQ(chain->links()[1].plugin->name(), "30-c");

  auto infos = runtime_.plugins();
  ASSERT_EQ(infos.size(), 3u);
  EXPECT_EQ(infos[0].state, PluginInfo::State::Loaded);
  EXPECT_EQ(infos[0].abi, "1.1");
  EXPECT_EQ(infos[0].vendor, "tests");
  EXPECT_EQ(infos[0].statusJson, "{\"scripted\":true}");
  EXPECT_FALSE(infos[0].counters.empty());
  EXPECT_EQ(infos[1].state, PluginInfo::State::Refused);
  EXPECT_NE(infos[1].reason.find("major must be 1"), std::string::npos) << infos[1].reason;
  EXPECT_EQ(infos[2].metrics.size(), 1u);
  EXPECT_EQ(infos[2].metrics[0].name, "denied");
}

TEST_F(PluginRuntimeTest, ReloadKeepsUnchangedAddsAndRemoves) {
  runtime_.load(config({entry("10-a", "scripted"), entry("20-b", "scripted")}));
  auto before = runtime_.chain();
  std::weak_ptr<LoadedPlugin> removed = before->links()[1].plugin;
  auto report = runtime_.reload(config({entry("10-a", "scripted"), entry("30-c", "scripted")}));
  EXPECT_EQ(report.kept, (std::vector<std::string>{"10-a"})) << "no reconfigure(): no call";
  EXPECT_TRUE(report.refreshed.empty());
  EXPECT_EQ(report.loaded, (std::vector<std::string>{"30-c"}));
  EXPECT_EQ(report.unloaded, (std::vector<std::string>{"20-b"}));
  auto after = runtime_.chain();
  EXPECT_EQ(after->links()[0].plugin, before->links()[0].plugin) << "unchanged: same instance";
  EXPECT_FALSE(removed.expired()) << "a transaction's old snapshot still uses it";
  before.reset();
  EXPECT_TRUE(removed.expired()) << "destroyed with its last snapshot";
}

TEST_F(PluginRuntimeTest, ChangedConfigMakesANewInstanceAndABadOneKeepsTheOld) {
  runtime_.load(config({entry("10-a", "scripted", {{"label", "one"}})}));
  auto first = runtime_.chain()->links()[0].plugin;
  auto report = runtime_.reload(config({entry("10-a", "scripted", {{"label", "two"}})}));
  EXPECT_EQ(report.recreated, (std::vector<std::string>{"10-a"}));
  auto second = runtime_.chain()->links()[0].plugin;
  EXPECT_NE(first, second);

  report = runtime_.reload(config({optional(entry("10-a", "scripted", {{"nonsense", "1"}}))}));
  ASSERT_EQ(report.refused.size(), 1u);
  EXPECT_FALSE(report.rejected) << "required = no: only this plugin keeps its old instance";
  EXPECT_EQ(runtime_.chain()->links()[0].plugin, second) << "the old instance keeps serving";
  auto infos = runtime_.plugins();
  EXPECT_EQ(infos[0].state, PluginInfo::State::Loaded);
  EXPECT_NE(infos[0].reason.find("old one kept"), std::string::npos) << infos[0].reason;
  EXPECT_NE(infos[0].reason.find("test.conf:2: [script] nonsense: unknown key"), std::string::npos)
      << infos[0].reason;
}

TEST_F(PluginRuntimeTest, ARefusedRequiredPluginStopsTheStart) {
  auto report = runtime_.load(config({entry("10-a", "scripted"), entry("20-bad", "major_mismatch"),
                                      entry("30-gone", "no_such_plugin_file")}));
  EXPECT_TRUE(report.rejected);
  ASSERT_EQ(report.failed.size(), 2u);
  EXPECT_NE(report.failed[0].find("20-bad: "), std::string::npos) << report.failed[0];
  EXPECT_NE(report.failed[0].find("major must be 1"), std::string::npos) << report.failed[0];
  EXPECT_NE(report.failed[1].find("30-gone: file not found"), std::string::npos)
      << report.failed[1];
  EXPECT_TRUE(report.loaded.empty()) << "nothing of a rejected load is reported as done";
  EXPECT_TRUE(runtime_.chain()->links().empty()) << "no chain to serve with";
}

TEST_F(PluginRuntimeTest, ARefusedRequiredPluginRejectsTheWholeReload) {
  runtime_.load(config({entry("10-a", "scripted", {{"label", "one"}}), entry("20-b", "scripted")}));
  auto before = runtime_.chain();
  std::weak_ptr<LoadedPlugin> firstA = before->links()[0].plugin;
  // 10-a would be recreated, 30-c added, 40-d removed... but 20-b's new settings are refused.
  auto report = runtime_.reload(
      config({entry("10-a", "scripted", {{"label", "two"}}),
              entry("20-b", "scripted", {{"nonsense", "1"}}), entry("30-c", "scripted")}));
  EXPECT_TRUE(report.rejected);
  ASSERT_EQ(report.failed.size(), 1u);
  EXPECT_NE(report.failed[0].find("20-b: "), std::string::npos) << report.failed[0];
  EXPECT_NE(report.failed[0].find("nonsense: unknown key"), std::string::npos) << report.failed[0];
  EXPECT_EQ(runtime_.chain(), before) << "the running chain is untouched";
  before.reset();
  EXPECT_FALSE(firstA.expired()) << "the old 10-a still serves";
  auto infos = runtime_.plugins();
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_NE(infos[1].reason.find("reload rejected"), std::string::npos) << infos[1].reason;

  // The same reload with 20-b fixed applies.
  report = runtime_.reload(config({entry("10-a", "scripted", {{"label", "two"}}),
                                   entry("20-b", "scripted"), entry("30-c", "scripted")}));
  EXPECT_FALSE(report.rejected);
  EXPECT_EQ(report.recreated, (std::vector<std::string>{"10-a"}));
  EXPECT_EQ(report.loaded, (std::vector<std::string>{"30-c"}));
  EXPECT_TRUE(firstA.expired()) << "the old 10-a went with the old chain";
  EXPECT_TRUE(runtime_.plugins()[1].reason.empty());
}

// A new build copied over the file (content, not mtime): loaded beside the old one, which goes
// after its last transaction.
TEST_F(PluginRuntimeTest, ANewBuildOfTheFileIsLoadedOnReload) {
  auto dir = std::filesystem::temp_directory_path() /
             ("plugin-upgrade-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "40-x.so";
  auto install = [&](const std::string& from) { // as install(1) does: a new file, renamed
    std::filesystem::copy_file(pluginPath(from), dir / "new.so",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(dir / "new.so", file);
  };
  install("scripted");
  PluginEntry e;
  e.name = "40-x";
  e.library = file;
  auto report = runtime_.load(config({e}));
  ASSERT_EQ(report.loaded, (std::vector<std::string>{"40-x"}));
  auto old = runtime_.chain();
  EXPECT_STREQ(old->links()[0].plugin->descriptor().name, "scripted");

  report = runtime_.reload(config({e}));
  EXPECT_EQ(report.kept, (std::vector<std::string>{"40-x"})) << "same bytes: nothing to do";

  install("deny_hosts");
  report = runtime_.reload(config({e}));
  ASSERT_EQ(report.upgraded, (std::vector<std::string>{"40-x: 1.0 -> 1.0.0"}));
  auto now = runtime_.chain();
  EXPECT_STREQ(now->links()[0].plugin->descriptor().name, "deny_hosts") << "the new code runs";
  EXPECT_EQ(runtime_.plugins()[0].change, "upgraded 1.0 -> 1.0.0");
  std::weak_ptr<LoadedPlugin> gone = old->links()[0].plugin;
  EXPECT_FALSE(gone.expired()) << "the old build serves its last transactions";
  old.reset();
  EXPECT_TRUE(gone.expired()) << "and goes after them";

  // A new build that cannot load leaves the running one (required: the reload is rejected).
  std::ofstream(dir / "new.so") << "not an ELF file";
  std::filesystem::rename(dir / "new.so", file);
  report = runtime_.reload(config({e}));
  EXPECT_TRUE(report.rejected);
  EXPECT_EQ(runtime_.chain(), now);
  std::filesystem::remove_all(dir);
}

TEST_F(PluginRuntimeTest, PolicyComesFromThePluginEntry) {
  auto e = entry("10-a", "scripted");
  e.timeout = std::chrono::milliseconds(250);
  e.allowOnTimeout = true;
  // The host's [plugin] section is not offered to the plugin (scripted refuses unknown keys).
  e.settings.push_back(ConfigEntry{"10-a.conf", 1, "plugin", "timeout", "250ms"});
  auto report = runtime_.load(config({e}));
  EXPECT_TRUE(report.refused.empty());
  const auto& policy = runtime_.chain()->links()[0].policy;
  EXPECT_EQ(policy.timeout, std::chrono::milliseconds(250));
  EXPECT_TRUE(policy.allowOnTimeout);
  EXPECT_FALSE(policy.allowOnError);
}

#ifdef EXAPROXY_RECONFIGURABLE_PLUGIN
// A reload whose settings did not change still calls reconfigure() when the plugin has one, so
// that it re-reads what it reads from disk. acl (the reconfigurable plugin the tests get, see
// tests/plugins/acl/CMakeLists.txt) counts its reconfigure() calls in its "reloads" counter and
// the names of its lists in the "list_domains" gauge.
TEST_F(PluginRuntimeTest, UnchangedSettingsStillCallReconfigure) {
  auto dir = std::filesystem::temp_directory_path() /
             ("plugin-runtime-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto list = (dir / "blocked.txt").string();
  auto writeList = [&](const std::string& text) { std::ofstream(list, std::ios::trunc) << text; };
  writeList("one.test\n");
  PluginEntry acl;
  acl.name = "10-acl";
  acl.library = EXAPROXY_RECONFIGURABLE_PLUGIN;
  acl.settings = {ConfigEntry{"10-acl.conf", 2, "acl_lists", "blocked", list}};
  auto both = config({acl, entry("20-s", "scripted")});

  auto report = runtime_.load(both);
  ASSERT_EQ(report.loaded, (std::vector<std::string>{"10-acl", "20-s"}));
  auto first = runtime_.chain()->links()[0].plugin;
  auto scripted = runtime_.chain()->links()[1].plugin;
  EXPECT_EQ(metric(*first, "reloads"), 0);
  EXPECT_EQ(metric(*first, "list_domains"), 1);

  // The list file changes on disk, the settings do not.
  writeList("one.test\ntwo.test\n");
  report = runtime_.reload(both);
  EXPECT_EQ(report.refreshed, (std::vector<std::string>{"10-acl"}));
  EXPECT_EQ(report.kept, (std::vector<std::string>{"20-s"})) << "no reconfigure(): kept";
  EXPECT_TRUE(report.reconfigured.empty());
  EXPECT_TRUE(report.recreated.empty());
  EXPECT_TRUE(report.refused.empty());
  EXPECT_EQ(runtime_.chain()->links()[0].plugin, first) << "the same instance, reconfigured";
  EXPECT_EQ(runtime_.chain()->links()[1].plugin, scripted) << "not recreated (state kept)";
  EXPECT_EQ(metric(*first, "reloads"), 1) << "reconfigure() was called once";
  EXPECT_EQ(metric(*first, "list_domains"), 2) << "the list was read again";

  // The file breaks. Required (the default): its check-mode instance refuses the new list, so
  // the whole reload is rejected before anything is reconfigured.
  writeList("one.test\nnot valid\n");
  report = runtime_.reload(both);
  EXPECT_TRUE(report.rejected);
  ASSERT_EQ(report.failed.size(), 1u);
  EXPECT_NE(report.failed[0].find(list + ":2:"), std::string::npos) << report.failed[0];
  EXPECT_EQ(metric(*first, "reloads"), 1) << "not reconfigured";
  EXPECT_NE(runtime_.plugins()[0].reason.find("reload rejected"), std::string::npos);

  // required = no: reconfigure() refuses, the old state stays, the reason names file:line.
  both.plugins[0].required = false;
  report = runtime_.reload(both);
  EXPECT_FALSE(report.rejected);
  ASSERT_EQ(report.refused.size(), 1u);
  EXPECT_NE(report.refused[0].find(list + ":2:"), std::string::npos) << report.refused[0];
  EXPECT_TRUE(report.refreshed.empty());
  EXPECT_EQ(runtime_.chain()->links()[0].plugin, first);
  EXPECT_EQ(metric(*first, "reloads"), 1);
  EXPECT_EQ(metric(*first, "list_domains"), 2);
  auto infos = runtime_.plugins();
  EXPECT_EQ(infos[0].state, PluginInfo::State::Loaded);
  EXPECT_NE(infos[0].reason.find("old configuration kept"), std::string::npos) << infos[0].reason;

  // Fixed: the next reload takes it, and the reason goes away.
  writeList("three.test\n");
  report = runtime_.reload(both);
  EXPECT_EQ(report.refreshed, (std::vector<std::string>{"10-acl"}));
  EXPECT_EQ(metric(*first, "reloads"), 2);
  EXPECT_EQ(metric(*first, "list_domains"), 1);
  EXPECT_TRUE(runtime_.plugins()[0].reason.empty());

  // Changed settings are still "reconfigured".
  auto changed = both;
  changed.plugins[0].settings.push_back(
      ConfigEntry{"10-acl.conf", 4, "acl_policy", "default", "allow"});
  report = runtime_.reload(changed);
  EXPECT_EQ(report.reconfigured, (std::vector<std::string>{"10-acl"}));
  EXPECT_TRUE(report.refreshed.empty());
  EXPECT_EQ(metric(*first, "reloads"), 3);

  std::filesystem::remove_all(dir);
}
#endif

} // namespace
} // namespace exaproxy::plugin::test
