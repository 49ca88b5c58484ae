// The plugin platform as an operator drives it, through the real binary: a required plugin that
// cannot load stops the start and rejects a reload (fail closed); a new build installed over the
// file is upgraded on SIGHUP while the old build finishes its transactions; `--check` loads every
// plugin in check mode and names each problem; `--verify-plugin --conf`.
#include "itest.h"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#ifndef VERSIONED_1_PLUGIN
#error "VERSIONED_1_PLUGIN / VERSIONED_2_PLUGIN must name the two builds of versioned.c"
#endif

using namespace itest;
namespace fs = std::filesystem;

namespace {

std::string pluginConf(const std::string& path, const std::string& extra = "") {
  return "[plugin]\npath = " + path + "\n" + extra;
}

// As install(1) does: the new file is written beside and renamed over the old one.
void installOver(const std::string& from, const std::string& to) {
  fs::copy_file(from, to + ".new", fs::copy_options::overwrite_existing);
  fs::rename(to + ".new", to);
}

bool waitForLog(const ProxyProcess& proxy, const std::string& needle,
                Millis timeout = Millis(8000)) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (proxy.stderrText().find(needle) != std::string::npos)
      return true;
    std::this_thread::sleep_for(Millis(50));
  }
  return false;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

// The distinct files (device:inode) the process maps whose name mentions `needle`.
size_t mappedFiles(pid_t pid, const std::string& needle) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::set<std::string> files;
  for (std::string line; std::getline(maps, line);) {
    if (line.find(needle) == std::string::npos)
      continue;
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode;
    in >> range >> perms >> offset >> dev >> inode;
    files.insert(dev + ":" + inode);
  }
  return files.size();
}

// Names like version.test must never reach the machine's resolver, even if the plugin that
// answers them failed to load: DNS goes to a closed loopback port.
ProxyOptions withFiles(std::vector<std::pair<std::string, std::string>> files) {
  ProxyOptions o;
  o.sets = {"dns.servers=127.0.0.1:" + std::to_string(closedPort())};
  o.extraFiles = std::move(files);
  return o;
}

std::string versionAnswer(const ProxyProcess& proxy) {
  auto r = runCurl({"-x", proxy.proxyArg(), "http://version.test/"});
  return r.status == 200 ? r.out : "status " + std::to_string(r.status) + ": " + r.err;
}

TEST(PluginPlatform, ARequiredPluginThatCannotLoadStopsTheStart) {
  ProxyProcess proxy(withFiles({{"40-gone.conf", pluginConf("/nonexistent/x.so")}}));
  EXPECT_FALSE(proxy.start(Millis(5000)));
  auto code = proxy.waitExit(Millis(5000));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(proxy.stderrText().find("40-gone: file not found"), std::string::npos)
      << proxy.stderrText();
  EXPECT_NE(proxy.stderrText().find("startup.failed"), std::string::npos);
}

TEST(PluginPlatform, AnOptionalPluginThatCannotLoadIsSkipped) {
  ProxyProcess proxy(
      withFiles({{"40-gone.conf", pluginConf("/nonexistent/x.so", "required = no\n")},
                 {"50-v.conf", pluginConf(VERSIONED_1_PLUGIN)}}));
  ASSERT_TRUE(proxy.start());
  EXPECT_EQ(versionAnswer(proxy), "version 1.0.0\n");
  EXPECT_NE(proxy.stderrText().find("skipped: traffic flows without it"), std::string::npos);
}

TEST(PluginPlatform, SighupWithARefusedRequiredPluginKeepsTheRunningChain) {
  ProxyProcess proxy(withFiles({{"50-v.conf", pluginConf(VERSIONED_1_PLUGIN)}}));
  ASSERT_TRUE(proxy.start());
  ASSERT_EQ(versionAnswer(proxy), "version 1.0.0\n");
  // One reload that would swap the plugin for its new build AND add a broken required one.
  std::ofstream(proxy.confDir() + "/50-v.conf") << pluginConf(VERSIONED_2_PLUGIN);
  std::ofstream(proxy.confDir() + "/60-bad.so") << "not a shared object";
  proxy.sendSignal(SIGHUP);
  ASSERT_TRUE(waitForLog(proxy, "reload.rejected")) << proxy.stderrText();
  EXPECT_NE(proxy.stderrText().find("60-bad"), std::string::npos);
  EXPECT_EQ(versionAnswer(proxy), "version 1.0.0\n") << "nothing of the reload applied";
  EXPECT_TRUE(proxy.alive());

  // Made optional, the same reload goes through.
  std::ofstream(proxy.confDir() + "/60-bad.conf") << "[plugin]\nrequired = no\n";
  proxy.sendSignal(SIGHUP);
  ASSERT_TRUE(waitForLog(proxy, "reload.done")) << proxy.stderrText();
  EXPECT_EQ(versionAnswer(proxy), "version 1.0.1\n");
}

// install + SIGHUP: the new build answers new requests, the old one finishes the transaction it
// serves and is unmapped after it.
TEST(PluginPlatform, InstallingANewBuildAndSighupUpgrades) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  ProxyProcess proxy(withFiles({}));
  fs::create_directories(proxy.confDir());
  const std::string so = proxy.confDir() + "/40-v.so";
  installOver(VERSIONED_1_PLUGIN, so);
  ASSERT_TRUE(proxy.start());
  ASSERT_EQ(versionAnswer(proxy), "version 1.0.0\n");
  EXPECT_EQ(mappedFiles(proxy.pid(), "40-v"), 1u);

  // A slow transaction holds the chain (and so the old build) it started with.
  CurlResult slow;
  std::thread inFlight([&] {
    slow = runCurl({"-x", proxy.proxyArg(), origin.url("/delay/2500")});
  });
  std::this_thread::sleep_for(Millis(500));

  installOver(VERSIONED_2_PLUGIN, so);
  proxy.sendSignal(SIGHUP);
  ASSERT_TRUE(waitForLog(proxy, "plugin.upgraded name=40-v")) << proxy.stderrText();
  EXPECT_EQ(versionAnswer(proxy), "version 1.0.1\n");
  EXPECT_EQ(count(proxy.stderrText(), "plugin.unloaded name=40-v"), 0u)
      << "the old build still serves the slow transaction";
  EXPECT_EQ(mappedFiles(proxy.pid(), "40-v"), 2u) << "both builds are mapped meanwhile";

  inFlight.join();
  EXPECT_EQ(slow.status, 200) << slow.describe();
  ASSERT_TRUE(waitForLog(proxy, "plugin.unloaded name=40-v")) << proxy.stderrText();
  EXPECT_EQ(mappedFiles(proxy.pid(), "40-v"), 1u) << "the old build is unmapped";

  // The same bytes again: nothing to do.
  proxy.sendSignal(SIGHUP);
  ASSERT_TRUE(waitForLog(proxy, "reload.done")) << proxy.stderrText();
  EXPECT_EQ(count(proxy.stderrText(), "plugin.upgraded name=40-v"), 1u);
  EXPECT_EQ(versionAnswer(proxy), "version 1.0.1\n");
}

// --check: each case is a conf dir of its own, checked without starting anything.
class PluginCheck : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("plugin-check-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    write("00-exaproxy.conf", "[listener main]\naddress = 127.0.0.1:0\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  CommandResult check() { return runExaproxy({"--conf-dir", dir_.string(), "--check"}); }
  fs::path dir_;
};

TEST_F(PluginCheck, AValidChainPasses) {
  write("50-v.conf", pluginConf(VERSIONED_1_PLUGIN));
  auto r = check();
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("valid (1 plugin(s) checked)"), std::string::npos) << r.out;
}

TEST_F(PluginCheck, ANonElfFileIsAnError) {
  write("40-x.so", "this is not a shared object\n");
  auto r = check();
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("40-x: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ELF"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the proxy would not start"), std::string::npos) << r.err;
}

TEST_F(PluginCheck, AMissingPluginFileIsAnError) {
  write("40-x.conf", pluginConf("/nonexistent/plugin.so"));
  auto r = check();
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("40-x: error: /nonexistent/plugin.so refused: file not found"),
            std::string::npos)
      << r.err;
}

TEST_F(PluginCheck, AnOptionalRefusedPluginIsAWarning) {
  write("40-x.conf", pluginConf("/nonexistent/plugin.so", "required = no\n"));
  auto r = check();
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("40-x: warning:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("would start without it"), std::string::npos) << r.out;
}

#ifdef SCRIPTED_PLUGIN
TEST_F(PluginCheck, AnUnknownKeyInAPluginSectionNamesFileLineAndKey) {
  write("40-s.conf", pluginConf(SCRIPTED_PLUGIN, "\n[scripted]\nnonsense = 1\n"));
  auto r = check();
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find((dir_ / "40-s.conf").string() + ":5: [scripted] nonsense:"),
            std::string::npos)
      << r.err;
}
#endif

#ifdef ACL_PLUGIN
TEST_F(PluginCheck, ABadAclListLineIsNamed) {
  write("blocked.txt", "good.test\nnot valid\n");
  write("20-acl.conf", pluginConf(ACL_PLUGIN, "\n[acl_lists]\nblocked = " +
                                                  (dir_ / "blocked.txt").string() + "\n"));
  auto r = check();
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find((dir_ / "blocked.txt").string() + ":2:"), std::string::npos) << r.err;
}
#endif

#ifdef SUBSTITUTE_PLUGIN
TEST_F(PluginCheck, ABadSubstituteRuleIsNamed) {
  write("60-sub.conf",
        pluginConf(SUBSTITUTE_PLUGIN, "\n[substitute]\nwww.a.test = b.test:99999\n"));
  auto r = check();
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find((dir_ / "60-sub.conf").string() + ":5: [substitute] www.a.test:"),
            std::string::npos)
      << r.err;
}
#endif

#ifdef REDIRECTOR_PLUGIN
// Checking has no side effects: the redirector's helper is never started.
TEST_F(PluginCheck, CheckingStartsNoHelper) {
  auto marker = dir_ / "helper-started";
  write("helper.sh", "#!/bin/sh\ntouch " + marker.string() + "\nwhile read l; do echo ERR; done\n");
  fs::permissions(dir_ / "helper.sh", fs::perms::owner_all);
  write("50-r.conf", pluginConf(REDIRECTOR_PLUGIN, "\n[redirector]\nprogram = " +
                                                       (dir_ / "helper.sh").string() + "\n"));
  auto r = check();
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  std::this_thread::sleep_for(Millis(300));
  EXPECT_FALSE(fs::exists(marker)) << "--check started the helper program";
}
#endif

#if defined(SUBSTITUTE_PLUGIN) && defined(HEADERS_PLUGIN)
// A request editor after a router: its edits would be skipped for routed requests.
TEST_F(PluginCheck, ARequestEditorAfterARouterIsReported) {
  write("60-sub.conf", pluginConf(SUBSTITUTE_PLUGIN, "\n[substitute]\nwww.a.test = b.test\n"));
  write("70-hdr.conf", pluginConf(HEADERS_PLUGIN, "\n[headers h]\nset = X-Test: 1\n"));
  auto r = check();
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("warning: 70-hdr edits requests but runs after 60-sub"), std::string::npos)
      << r.out;
  // Response edits only: nothing to warn about.
  write("70-hdr.conf",
        pluginConf(HEADERS_PLUGIN, "\n[headers h]\ndirection = response\nset = X-Test: 1\n"));
  r = check();
  EXPECT_EQ(r.out.find("warning:"), std::string::npos) << r.out;
  // In the right order: nothing either.
  fs::remove(dir_ / "70-hdr.conf");
  write("55-hdr.conf", pluginConf(HEADERS_PLUGIN, "\n[headers h]\nset = X-Test: 1\n"));
  r = check();
  EXPECT_EQ(r.out.find("warning:"), std::string::npos) << r.out;
}
#endif

TEST(VerifyPlugin, TakesItsSettingsFromConf) {
  auto dir = fs::temp_directory_path() / ("verify-conf-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "x.conf") << "[plugin]\ntimeout = 1s\n";
  auto r =
      runExaproxy({"--verify-plugin", VERSIONED_1_PLUGIN, "--conf", (dir / "x.conf").string()});
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("settings from " + (dir / "x.conf").string() + ": 0 entries"),
            std::string::npos)
      << r.out;
  r = runExaproxy(
      {"--verify-plugin", VERSIONED_1_PLUGIN, "--conf", (dir / "missing.conf").string()});
  EXPECT_EQ(r.exitCode, 1);
  auto help = runExaproxy({"--help"});
  EXPECT_NE(help.out.find("--verify-plugin"), std::string::npos) << help.out;
  fs::remove_all(dir);
}

} // namespace
