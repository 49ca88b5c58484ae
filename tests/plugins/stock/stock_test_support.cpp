#include "stock_test_support.h"

#include "core/ini_parser.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace exaproxy::plugin::stock {

namespace fs = std::filesystem;

fs::path stockPlugin(const std::string& name) {
  if (name == "acl")
    return STOCK_ACL_PLUGIN;
  if (name == "auth")
    return STOCK_AUTH_PLUGIN;
  if (name == "external_acl")
    return STOCK_EXTERNAL_ACL_PLUGIN;
  if (name == "headers")
    return STOCK_HEADERS_PLUGIN;
  if (name == "icap")
    return STOCK_ICAP_PLUGIN;
  if (name == "local")
    return STOCK_LOCAL_PLUGIN;
  if (name == "redirector")
    return STOCK_REDIRECTOR_PLUGIN;
  if (name == "substitute")
    return STOCK_SUBSTITUTE_PLUGIN;
  if (name == "xff")
    return STOCK_XFF_PLUGIN;
  return {};
}

std::vector<ConfigEntry> settingsOf(const std::string& text, const std::string& file) {
  // The host's own parser, as the plugin would be offered the file.
  auto doc = parseIni(text, file);
  EXPECT_TRUE(doc.errors.empty()) << doc.errors.front().toString();
  return doc.entries;
}

Result<LoadedPluginPtr> loadStock(const std::string& name, const std::string& conf,
                                  bool checkMode) {
  LoadRequest r;
  r.name = "50-" + name;
  r.file = stockPlugin(name);
  r.settings = settingsOf(conf, "50-" + name + ".conf");
  r.checkMode = checkMode;
  return loadPlugin(r);
}

size_t threadCount() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/task"))
    ++n;
  return n;
}

std::vector<pid_t> childProcesses() {
  std::vector<pid_t> out;
  const pid_t self = ::getpid();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string pid = e.path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::ifstream stat(e.path() / "stat");
    std::string text;
    std::getline(stat, text);
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so start after the last ')'
    size_t close = text.rfind(')');
    if (close == std::string::npos)
      continue;
    std::istringstream rest(text.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    if (rest >> state >> ppid && ppid == self)
      out.push_back(static_cast<pid_t>(std::atoi(pid.c_str())));
  }
  return out;
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "stock-plugin-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  fs::path p = dir_ / name;
  std::ofstream(p) << content;
  return p.string();
}

} // namespace exaproxy::plugin::stock
