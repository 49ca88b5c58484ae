// Loading one plugin file: ELF check, Boost.DLL (RTLD_NOW | RTLD_LOCAL), entry symbol, descriptor
// checks, create(). Main thread (startup, SIGHUP, --verify-plugin).
#pragma once

#include "core/config.h"
#include "core/result.h"
#include "plugin/loaded_plugin.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace exaproxy::plugin {

struct LoadRequest {
  std::string name; // conf.d entry name
  std::filesystem::path file;
  std::vector<ConfigEntry> settings;
  workers::WorkerPool* pool = nullptr;
  // Reuse an already mapped library (a new instance of a plugin whose config changed).
  LoadedPlugin::LibraryPtr library;
  // Told each step as it passes ("ELF x86-64 shared object: ok"), for --verify-plugin.
  std::function<void(const std::string&)> trace;
  // The configuration's templates directory (template_exists); nullopt: none (--verify-plugin).
  std::optional<std::filesystem::path> templates;
  // Validate only (--check, --verify-plugin): the plugin's check_mode() says 1, so it starts
  // nothing; the caller destroys it right away.
  bool checkMode = false;
  // When set, each configuration problem create() reported, one "file:line: [section] key:
  // message" per element (--check prints them one per line).
  std::vector<std::string>* problems = nullptr;
};

// The created plugin, or an Error whose message is the refusal reason.
Result<LoadedPluginPtr> loadPlugin(const LoadRequest& request);

} // namespace exaproxy::plugin
