// Loading one plugin file: read once into a private, immutable copy (private_image.h), ELF check,
// Boost.DLL (RTLD_NOW | RTLD_LOCAL) on the copy, entry symbol, descriptor checks, create(). Main
// thread (startup, SIGHUP, --verify-plugin). The conf.d path stays the plugin's name in logs and
// the UI (LoadedPlugin::file()); LoadedPlugin::digest() is the SHA-256 of the bytes loaded.
#pragma once

#include "core/config.h"
#include "core/result.h"
#include "plugin/loaded_plugin.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace exaproxy::plugin {

class PluginLoop;

struct LoadRequest {
  std::string name;           // conf.d entry name
  std::filesystem::path file; // the conf.d path (only its bytes are read, once)
  std::vector<ConfigEntry> settings;
  workers::WorkerPool* pool = nullptr;
  // The plugins' event loop (ABI 1.4); null: none (check mode, --verify-plugin).
  PluginLoop* loop = nullptr;
  // Reuse an already mapped image (a new instance of a plugin whose config changed).
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
