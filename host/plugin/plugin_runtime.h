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
#include "plugin/plugin_loop.h"

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
  std::string change;     // what the last load/reload did: "loaded", "upgraded 1.0.0 -> 1.0.1"...
  bool required = true;   // [plugin] required
  uint32_t traits = 0;    // EXAPROXY_TRAIT_* it declared
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
//   recreated     settings changed, no reconfigure(): a new instance of the same build
//   upgraded      "name: 1.0.0 -> 1.0.1": the file's content changed (SHA-256, not mtime): the
//                 new build was loaded beside the old one, which is unloaded after its last
//                 transaction
//   unloaded      gone from conf.d (destroyed after its last transaction)
//   kept          settings unchanged and no reconfigure(): the same instance, no call
//   refused       "name: reason" (a plugin that was loaded keeps its old instance and settings;
//                 a new one with `required = no` is skipped)
//   order         chain-order warnings: a request-editing plugin after a router
// rejected: a `required` plugin could not be loaded or its new settings were refused (`failed`
// says which and why): nothing of this reload was applied, the running chain is unchanged (at
// start: the proxy must not serve).
struct ReloadReport {
  std::vector<std::string> loaded, reconfigured, refreshed, recreated, upgraded, unloaded, kept,
      refused, order;
  bool rejected = false;
  std::vector<std::string> failed;
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
  // their last transaction), loads a changed file beside the old build (upgraded), reconfigures
  // changed ones (reconfigure(), or a new instance; if that fails the old instance keeps serving
  // and the reason shows in plugins()). A plugin whose settings did not change gets
  // reconfigure() too when it has one (so it re-reads the files it reads: lists, rules,
  // templates; a refusal keeps its old state); without one it is kept. Atomic for required
  // plugins: new builds and instances are made first, and new settings of a 1.3 plugin are
  // validated by a check-mode instance before any reconfigure(); if a required plugin fails
  // there, nothing changes and the report says rejected.
  ReloadReport reload(const HostConfig& config);

  // Any thread: the current snapshot (never null; empty chain when nothing is loaded).
  ChainPtr chain() const;
  // Any thread: every configured plugin, loaded or refused, in chain order.
  std::vector<PluginInfo> plugins() const;

  // `exaproxy --verify-plugin FILE.so [--conf FILE.conf]`: the loader's checks plus a check-mode
  // create()/destroy() with the settings of `conf` (default: FILE.conf beside it, if any), each
  // step printed to `out`. 0 if it would load.
  static int verifyPlugin(const std::filesystem::path& file,
                          const std::filesystem::path& conf = {});
  static int verifyPlugin(const std::filesystem::path& file, const std::filesystem::path& conf,
                          std::ostream& out);
  static int verifyPlugin(const std::filesystem::path& file, std::ostream& out) {
    return verifyPlugin(file, {}, out);
  }
  // `exaproxy --check`: every plugin of `config` loaded in check mode (a private copy, nothing
  // started), each problem printed to `out` as "file:line: [section] key: message", then
  // unloaded; chain-order warnings too. Returns the number of errors: refusals of required
  // plugins (a refused `required = no` plugin is a warning: the proxy would start without it).
  static size_t checkPlugins(const HostConfig& config, std::ostream& out);

  // The loop plugins' own descriptors and timers live on (ABI 1.4): Server attaches loop 0.
  PluginLoop& pluginLoop() { return loop_; }

private:
  struct Entry {
    PluginEntry config;
    LoadedPluginPtr plugin; // null when refused
    std::string reason;
    std::string change;       // what the last load/reload did to it
    bool reconfigure = false; // reload(): reconfigure() it once the new chain is accepted
    std::vector<ConfigEntry> previousSettings; // kept when that reconfigure() refuses
  };

  // reload()'s steps (plugin_reload.cpp).
  Entry plan(const PluginEntry& pe, const Entry* old, const HostConfig& config,
             ReloadReport& report);
  void validate(const std::vector<Entry>& next, ReloadReport& report) const;
  void reconfigureAll(std::vector<Entry>& next, ReloadReport& report, const HostConfig& config);

  // Rebuilds what plugins() reports and, unless newChain is false, the chain snapshot.
  void publish(bool newChain = true);

  workers::WorkerPool* pool_;
  PluginLoop loop_;            // before entries_: the instances' bindings refer to its core
  std::vector<Entry> entries_; // main thread only (load/reload); plugins() copies under mutex_
  mutable std::mutex mutex_;   // guards chain_ and the copy plugins() reads
  ChainPtr chain_;
  std::vector<PluginInfo> infos_;            // static part of plugins(), rebuilt by publish()
  std::vector<LoadedPluginPtr> infoPlugins_; // live part (counters), parallel to infos_
};

} // namespace exaproxy::plugin
