// Shared by the stock-plugin tests of this folder: loading a stock plugin's real .so through the
// host's loader (plugin/plugin_loader.h), settings written as conf lines, and what the process
// runs (threads, child processes) so that a test can see what creating a plugin started.
#pragma once

#include "plugin/plugin_loader.h"

#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace exaproxy::plugin::stock {

// The .so of a stock plugin by name ("acl" -> the build's acl.so).
std::filesystem::path stockPlugin(const std::string& name);

// Settings from conf text ("[section]" lines, "key = value" lines), each naming `file` and its
// line, as the host hands them over.
std::vector<ConfigEntry> settingsOf(const std::string& text, const std::string& file = "t.conf");

// Loads a stock plugin with those settings, in check mode or serving.
Result<LoadedPluginPtr> loadStock(const std::string& name, const std::string& conf, bool checkMode);

// Threads of this process (/proc/self/task).
size_t threadCount();
// Processes whose parent is this process (scans /proc).
std::vector<pid_t> childProcesses();

// A temporary directory, removed with everything in it.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Writes dir/name; returns its path.
  std::string write(const std::string& name, const std::string& content) const;
  const std::filesystem::path& path() const { return dir_; }

private:
  std::filesystem::path dir_;
};

} // namespace exaproxy::plugin::stock
