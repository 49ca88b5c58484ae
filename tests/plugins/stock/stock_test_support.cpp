#include "stock_test_support.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace exaproxy::plugin::stock {

namespace fs = std::filesystem;

fs::path stockPlugin(const std::string& name) {
  if (name == "acl")
    return STOCK_ACL_PLUGIN;
  if (name == "headers")
    return STOCK_HEADERS_PLUGIN;
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
  std::vector<ConfigEntry> out;
  std::istringstream in(text);
  std::string line, section;
  int n = 0;
  auto trim = [](std::string s) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
    return s;
  };
  while (std::getline(in, line)) {
    ++n;
    line = trim(line);
    if (line.empty() || line[0] == '#')
      continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    size_t eq = line.find('=');
    out.push_back(ConfigEntry{file, n, section, trim(line.substr(0, eq)),
                              eq == std::string::npos ? "" : trim(line.substr(eq + 1))});
  }
  return out;
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
