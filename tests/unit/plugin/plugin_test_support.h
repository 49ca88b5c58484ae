// Helpers shared by the plugin tests: a loop that runs until a condition, parsed requests, and
// loading the test plugins of tests/plugin_abi (EXAPROXY_TEST_PLUGIN_DIR).
#pragma once

#include "http/request_parser.h"
#include "net/event_loop.h"
#include "plugin/plugin_chain.h"
#include "plugin/plugin_loader.h"
#include "workers/worker_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace exaproxy::plugin::test {

using namespace std::chrono_literals;
using Settings = std::vector<std::pair<std::string, std::string>>;

std::filesystem::path pluginPath(const std::string& name); // "scripted" -> .../scripted.so
http::RequestHead parseRequest(const std::string& raw);
http::RequestHead getRequest(const std::string& url = "http://origin.test/page?q=1");
std::vector<ConfigEntry> toEntries(const Settings& s, const std::string& section = "script");
// Runs the loop until pred() or the timeout; returns pred().
bool runUntil(net::EventLoop& loop, const std::function<bool()>& pred,
              std::chrono::milliseconds timeout = 2000ms);
// A metric the plugin defined, by name (INT64_MIN if none).
int64_t metric(const LoadedPlugin& p, const std::string& name);
std::vector<std::string> headerValues(const http::RequestHead& req, std::string_view name);

class PluginTest : public ::testing::Test {
protected:
  // Lets every submitted job finish and its completion run on the loop, so that nothing a
  // plugin allocated for a job is left in a mailbox when the loop goes away (LeakSanitizer).
  void TearDown() override;
  LoadedPluginPtr load(const std::string& name, const std::string& file, const Settings& s = {});
  Result<LoadedPluginPtr> tryLoad(const std::string& file, const Settings& s = {},
                                  std::optional<std::filesystem::path> templates = {});
  ChainPtr chainOf(std::vector<ChainLink> links) {
    return std::make_shared<const Chain>(std::move(links));
  }
  TxInfo info() const {
    return TxInfo{*Endpoint::parse("192.0.2.7:40000"), *Endpoint::parse("127.0.0.1:3128")};
  }

  net::EventLoop loop_;
  workers::WorkerPool pool_{workers::PoolOptions{1, 4, 5ms, 500ms}};
};

} // namespace exaproxy::plugin::test
