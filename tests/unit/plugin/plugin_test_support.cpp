#include "plugin_test_support.h"

namespace exaproxy::plugin::test {

std::filesystem::path pluginPath(const std::string& name) {
  return std::filesystem::path(EXAPROXY_TEST_PLUGIN_DIR) / (name + ".so");
}

http::RequestHead parseRequest(const std::string& raw) {
  http::RequestParser parser;
  http::RequestHead head;
  EXPECT_EQ(parser.parse(raw, head), http::ParseState::Complete) << parser.error().reason;
  return head;
}

http::RequestHead getRequest(const std::string& url) {
  return parseRequest("GET " + url + " HTTP/1.1\r\nHost: origin.test\r\nUser-Agent: t\r\n\r\n");
}

std::vector<ConfigEntry> toEntries(const Settings& s, const std::string& section) {
  std::vector<ConfigEntry> out;
  int line = 1;
  for (const auto& [k, v] : s)
    out.push_back(ConfigEntry{"test.conf", ++line, section, k, v});
  return out;
}

bool runUntil(net::EventLoop& loop, const std::function<bool()>& pred,
              std::chrono::milliseconds timeout) {
  if (pred())
    return true;
  auto deadline = net::Clock::now() + timeout;
  net::Timer tick(loop);
  tick.setCallback([&] {
    if (pred() || net::Clock::now() > deadline)
      loop.stop();
    else
      tick.arm(1ms);
  });
  tick.arm(1ms);
  loop.run();
  return pred();
}

int64_t metric(const LoadedPlugin& p, const std::string& name) {
  for (const auto& m : p.host().metrics)
    if (m->name == name)
      return m->value.load();
  return INT64_MIN;
}

std::vector<std::string> headerValues(const http::RequestHead& req, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& f : req.headers.fields())
    if (http::iequals(f.name, name))
      out.emplace_back(f.value);
  return out;
}

void PluginTest::TearDown() {
  runUntil(
      loop_,
      [&] {
        auto s = pool_.stats();
        return s.busy == 0 && s.queued == 0;
      },
      3000ms);
  runUntil(
      loop_, [] { return false; }, 5ms); // completions posted by the last jobs
}

Result<LoadedPluginPtr> PluginTest::tryLoad(const std::string& file, const Settings& s,
                                            std::optional<std::filesystem::path> templates) {
  LoadRequest r;
  r.templates = std::move(templates);
  r.name = file;
  r.file = pluginPath(file);
  r.settings = toEntries(s);
  r.pool = &pool_;
  return loadPlugin(r);
}

LoadedPluginPtr PluginTest::load(const std::string& name, const std::string& file,
                                 const Settings& s) {
  LoadRequest r;
  r.name = name;
  r.file = pluginPath(file);
  r.settings = toEntries(s);
  r.pool = &pool_;
  auto p = loadPlugin(r);
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return p ? *p : nullptr;
}

} // namespace exaproxy::plugin::test
