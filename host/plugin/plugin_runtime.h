// PluginRuntime: the process-wide plugin registry. It loads the plugins conf.d names, publishes the
// chain snapshot transactions take, reloads on SIGHUP and describes every plugin for the UI.
//
// HOW MAIN / SERVER USE THIS
//   workers::WorkerPool pool(workers::poolOptionsFrom(*config));
//   plugin::PluginRuntime runtime(&pool);
//   runtime.load(*config);            // startup; refusals are logged, the proxy runs without them
//   ... each loop: runtime.chain() per transaction (see plugin_transaction.h)
//   on SIGHUP, after loadConfig() validated: runtime.reload(*next);
//   pool.setOptions(workers::poolOptionsFrom(*next)) UI: runtime.plugins(), pool.stats() exaproxy
//   --verify-plugin FILE.so: return plugin::PluginRuntime::verifyPlugin(file);
//
// Threads: load/reload on the main thread (one at a time); chain() and plugins() from any thread.
#pragma once

#include "core/config.h"
#include "plugin/plugin_chain.h"

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace exaproxy::workers {
class WorkerPool;
}

namespace exaproxy::plugin {

// One plugin as the UI shows it.
struct PluginInfo {
  enum class State { Loaded, Refused };
  std::string name;           // conf.d entry, "NN-name" (chain order)
  std::filesystem::path file; // the .so
  std::string pluginName;     // the descriptor's name ("" if refused before reading it)
  std::string version;
  std::string vendor;
  std::string description;
  std::string abi; // "1.0" as built
  State state = State::Refused;
  std::string reason;     // why it was refused, or why the last reload kept the old config
  std::string statusJson; // the plugin's status(), "" if none
  std::chrono::milliseconds timeout{0};
  bool allowOnTimeout = false;
  bool allowOnError = false;
  std::vector<std::pair<std::string, uint64_t>> counters; // host-kept, EXAPROXY_PLUGIN_COUNTERS
  struct Metric {
    std::string name;
    std::string help;
    bool gauge = false;
    int64_t value = 0;
  };
  std::vector<Metric> metrics; // defined by the plugin
};

const char* toString(PluginInfo::State state);

// What one load/reload did (also logged, one line per plugin).
//   loaded        new in conf.d, created
//   reconfigured  settings changed, reconfigure() accepted them
//   refreshed     settings unchanged, reconfigure() called anyway (it re-reads its files)
//   recreated     settings or library changed, no reconfigure(): a new instance
//   unloaded      gone from conf.d (destroyed after its last transaction)
//   kept          settings unchanged and no reconfigure(): the same instance, no call
//   refused       "name: reason" (a plugin that was loaded keeps its old instance and settings)
struct ReloadReport {
  std::vector<std::string> loaded, reconfigured, refreshed, recreated, unloaded, kept, refused;
};

class PluginRuntime {
public:
  // `pool` (may be null) runs plugins' submit() work that has no transaction.
  explicit PluginRuntime(workers::WorkerPool* pool = nullptr);
  ~PluginRuntime();
  PluginRuntime(const PluginRuntime&) = delete;
  PluginRuntime& operator=(const PluginRuntime&) = delete;

  // Main thread. Loads config.plugins in order. Same as reload() from nothing.
  ReloadReport load(const HostConfig& config);
  // Main thread (SIGHUP). Adds new plugins, drops removed ones (destroyed and unloaded after
  // their last transaction), reconfigures changed ones (reconfigure(), or a new instance; if that
  // fails the old instance keeps serving and the reason shows in plugins()). A plugin whose
  // settings did not change gets reconfigure() too when it has one (so it re-reads the files it
  // reads: lists, rules, templates; a refusal keeps its old state); without one it is kept.
  ReloadReport reload(const HostConfig& config);

  // Any thread: the current snapshot (never null; empty chain when nothing is loaded).
  ChainPtr chain() const;
  // Any thread: every configured plugin, loaded or refused, in chain order.
  std::vector<PluginInfo> plugins() const;

  // `exaproxy --verify-plugin FILE.so`: the loader's checks plus create()/destroy() with the
  // settings of a FILE.conf beside it (if any), each step printed to `out`. 0 if it would load.
  static int verifyPlugin(const std::filesystem::path& file);
  static int verifyPlugin(const std::filesystem::path& file, std::ostream& out);

private:
  struct Entry {
    PluginEntry config;
    LoadedPluginPtr plugin; // null when refused
    std::string reason;
  };

  void publish();

  workers::WorkerPool* pool_;
  std::vector<Entry> entries_; // main thread only (load/reload); plugins() copies under mutex_
  mutable std::mutex mutex_;   // guards chain_ and the copy plugins() reads
  ChainPtr chain_;
  std::vector<PluginInfo> infos_;            // static part of plugins(), rebuilt by publish()
  std::vector<LoadedPluginPtr> infoPlugins_; // live part (counters), parallel to infos_
};

} // namespace exaproxy::plugin
