#include "core/logging.h"

#include "temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <thread>

using namespace exaproxy;

TEST(Logging, ModuleLoggersShareOneFileAndPattern) {
  test::TempDir dir;
  HostConfig cfg;
  cfg.logFile = (dir.path() / "exaproxy.log").string();
  cfg.logLevel = "debug";
  setupLogging(cfg);
  for (auto module : kLogModules)
    EXPECT_EQ(logger(module)->name(), module);
  logger("net")->debug("hello {}", 42);
  logger("dns")->trace("not shown at debug");
  logger("custom")->info("created on first use");
  auto text = dir.read("exaproxy.log");
  EXPECT_TRUE(std::regex_search(
      text, std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} debug \[net\] hello 42\n)")))
      << text;
  EXPECT_EQ(text.find("not shown"), std::string::npos);
  EXPECT_NE(text.find("info [custom] created on first use"), std::string::npos) << text;

  HostConfig back; // stderr again, so later tests do not write into a removed directory
  setupLogging(back);
}

TEST(Logging, CachedLoggersFollowReconfiguration) {
  test::TempDir dir;
  auto cached = logger("proxy"); // taken before setupLogging, as a module's static would be
  HostConfig cfg;
  cfg.logFile = (dir.path() / "a.log").string();
  setupLogging(cfg);
  cached->info("to a");
  cfg.logFile = (dir.path() / "b.log").string();
  setupLogging(cfg);
  cached->info("to b");
  EXPECT_NE(dir.read("a.log").find("to a"), std::string::npos);
  EXPECT_EQ(dir.read("a.log").find("to b"), std::string::npos);
  EXPECT_NE(dir.read("b.log").find("to b"), std::string::npos);
  setupLogging(HostConfig{});
}

TEST(Logging, ReopenAfterRotation) {
  test::TempDir dir;
  HostConfig cfg;
  cfg.logFile = (dir.path() / "exaproxy.log").string();
  setupLogging(cfg);
  logger("main")->info("before");
  std::filesystem::rename(dir.path() / "exaproxy.log", dir.path() / "exaproxy.log.1");
  reopenLogFiles();
  logger("main")->info("after");
  EXPECT_NE(dir.read("exaproxy.log.1").find("before"), std::string::npos);
  EXPECT_EQ(dir.read("exaproxy.log.1").find("after"), std::string::npos);
  EXPECT_NE(dir.read("exaproxy.log").find("after"), std::string::npos);
  setupLogging(HostConfig{});
}

TEST(Logging, ApplyLogLevel) {
  test::TempDir dir;
  HostConfig cfg;
  cfg.logFile = (dir.path() / "exaproxy.log").string();
  setupLogging(cfg);
  EXPECT_TRUE(applyLogLevel("error"));
  logger("http")->warn("quiet");
  logger("later")->warn("quiet too"); // created after the change
  EXPECT_FALSE(applyLogLevel("loud"));
  EXPECT_EQ(logger("http")->level(), spdlog::level::err);
  EXPECT_TRUE(applyLogLevel("trace"));
  logger("http")->trace("loud");
  auto text = dir.read("exaproxy.log");
  EXPECT_EQ(text.find("quiet"), std::string::npos) << text;
  EXPECT_NE(text.find("trace [http] loud"), std::string::npos) << text;
  setupLogging(HostConfig{});
}

TEST(Logging, UnopenableFileFallsBackToStderr) {
  HostConfig cfg;
  cfg.logFile = "/nonexistent-dir/x/exaproxy.log";
  testing::internal::CaptureStderr();
  EXPECT_NE(setupLogging(cfg).find("/nonexistent-dir/x/exaproxy.log"), std::string::npos)
      << "the failure is returned, for the start to stop on it";
  logger("main")->info("still logging");
  std::fflush(stderr);
  std::string err = testing::internal::GetCapturedStderr();
  setupLogging(HostConfig{});
  // The failure is told, on stderr, and the next lines go there too.
  EXPECT_NE(err.find("cannot open the log file, logging to stderr"), std::string::npos) << err;
  EXPECT_NE(err.find("/nonexistent-dir/x/exaproxy.log"), std::string::npos) << err;
  EXPECT_NE(err.find("[main] still logging"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists("/nonexistent-dir/x/exaproxy.log"));
}

TEST(Logging, LoggerIsThreadSafe) {
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<spdlog::logger>> got(8);
  for (size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&got, i] { got[i] = logger("racy"); });
  for (auto& t : threads)
    t.join();
  for (const auto& l : got)
    EXPECT_EQ(l, got[0]);
}

// A flood of warnings (an attack's refusals, a helper complaining) cannot push the lifecycle lines
// out of the interface's ring: exaproxy.started and a plugin's refusal are still there.
TEST(Logging, LifecycleLinesSurviveAFloodOfWarnings) {
  testing::internal::CaptureStderr();
  setupLogging(HostConfig{});
  logger("main")->info("exaproxy.started version=test");
  logger("plugin")->error("plugin.refused plugin=50-x reason=\"test\"");
  logger("plugin")->warn("plugin=50-x its own message"); // a plugin's line: not lifecycle
  for (size_t i = 0; i < 3 * kRecentLogCapacity; ++i)
    logger("proxy")->warn("flood {}", i);
  testing::internal::GetCapturedStderr();
  auto records = recentLogRecords();
  auto has = [&](std::string_view text) {
    for (const auto& r : records)
      if (r.message.find(text) != std::string::npos)
        return true;
    return false;
  };
  EXPECT_TRUE(has("exaproxy.started version=test"));
  EXPECT_TRUE(has("plugin.refused plugin=50-x"));
  EXPECT_FALSE(has("its own message")) << "pushed out like any warning";
  EXPECT_TRUE(has("flood " + std::to_string(3 * kRecentLogCapacity - 1)));
  EXPECT_TRUE(std::none_of(records.begin(), records.end(),
                           [](const LogRecord& r) { return r.message == "flood 0"; }));
  for (size_t i = 1; i < records.size(); ++i)
    EXPECT_LE(records[i - 1].unixMs, records[i].unixMs) << "not in time order";
}
