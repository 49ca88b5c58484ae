// LoadedPlugin: one created plugin instance and everything the host keeps for it — the library it
// came from, its descriptor, the exaproxy_host handle it was given, its counters and metrics.
//
// OWNERSHIP: shared. Chain snapshots (and so every transaction that took one), worker-pool jobs the
// plugin submitted and the runtime's registry hold std::shared_ptr<LoadedPlugin>. The last owner
// to let go calls the plugin's destroy() (on its own thread) and then releases the library, which
// is unloaded when no other instance uses it: a removed plugin's code stays mapped until its last
// transaction and its last job finished.
#pragma once

#include "core/config.h"
#include "core/counters.h"
#include "exaproxy/abi.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace spdlog {
class logger;
}
namespace exaproxy::workers {
class WorkerPool;
}

namespace exaproxy::plugin {
class LoadedPlugin;
class LoopBinding;
class PrivateImage;

// EXAPROXY_PLUGIN_COUNTERS (core/counters.h): relaxed atomics bumped on loop threads, read by
// the UI.
struct PluginCounters {
#define EXAPROXY_PLUGIN_COUNTER_FIELD(name, help) std::atomic<uint64_t> name{0};
  EXAPROXY_PLUGIN_COUNTERS(EXAPROXY_PLUGIN_COUNTER_FIELD)
#undef EXAPROXY_PLUGIN_COUNTER_FIELD
};

// A metric the plugin defined with metric_define() during create().
struct PluginMetric {
  std::string name;
  std::string help;
  int32_t kind = EXAPROXY_METRIC_COUNTER;
  std::atomic<int64_t> value{0};
};

} // namespace exaproxy::plugin

// The C ABI's opaque exaproxy_host: the host-side context of one plugin instance. Global
// namespace because abi.h declares it there.
struct exaproxy_host {
  exaproxy::plugin::LoadedPlugin* plugin = nullptr; // owner; outlives this struct's use
  std::string name;                                 // conf.d entry name, "NN-name"
  std::shared_ptr<spdlog::logger> log;
  // The settings offered during create()/reconfigure() (main thread only); null otherwise.
  const std::vector<exaproxy::ConfigEntry>* settings = nullptr;
  std::vector<std::string> configErrors; // config_error() messages of the current offer
  bool defining = false;                 // inside create(): metric_define() allowed
  // Fixed after create() returns, so metric_add/set by id need no lock.
  std::vector<std::unique_ptr<exaproxy::plugin::PluginMetric>> metrics;
  exaproxy::workers::WorkerPool* pool = nullptr; // for submit() without a transaction
  // The templates directory of the configuration the plugin was created or reconfigured with,
  // for template_exists (any thread): nullopt without one (--verify-plugin), an empty path when
  // only the built-in pages exist.
  mutable std::mutex templatesMutex;
  std::optional<std::filesystem::path> templates; // guarded by templatesMutex
  // Created only to validate its configuration (--check, --verify-plugin): check_mode() says 1.
  bool checkMode = false;
  // EXAPROXY_TRAIT_* bits of declare_traits() (1.3): set on the main thread, read by the UI.
  std::atomic<uint32_t> traits{0};
  // The instance's watches and timers on the plugins' loop (1.4, plugin_loop.h); null without a
  // loop (--check, --verify-plugin, unit tests): those entries then answer E_UNAVAILABLE.
  std::shared_ptr<exaproxy::plugin::LoopBinding> loop;
};

namespace exaproxy::plugin {

class LoadedPlugin : public std::enable_shared_from_this<LoadedPlugin> {
public:
  // The mapped private copy of the plugin file (private_image.h), shared by every instance
  // created from it.
  using LibraryPtr = std::shared_ptr<PrivateImage>;

  LoadedPlugin(LibraryPtr library, const exaproxy_plugin* descriptor, std::string name,
               std::filesystem::path file, workers::WorkerPool* pool);
  // Calls destroy(instance) if create() succeeded. Any thread (see the file comment).
  ~LoadedPlugin();
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  // Main thread. Calls create() with `settings`; false (errors in `why`) if it refused.
  bool create(const std::vector<ConfigEntry>& settings, std::string& why);
  // Main thread. Calls reconfigure(); false (errors in `why`) if it refused and kept its old one.
  bool reconfigure(const std::vector<ConfigEntry>& settings, std::string& why);
  bool canReconfigure() const { return descriptor_->reconfigure != nullptr; }
  // Main thread, before create()/reconfigure(): the templates directory template_exists sees.
  void setTemplates(std::optional<std::filesystem::path> dir);

  // Any thread: the plugin's status() JSON, "" when it has none.
  std::string statusJson() const;

  const exaproxy_plugin& descriptor() const { return *descriptor_; }
  void* instance() const { return instance_; }
  exaproxy_host* host() { return &host_; }
  const exaproxy_host& host() const { return host_; }
  const std::string& name() const { return host_.name; }
  const std::filesystem::path& file() const { return file_; }
  const LibraryPtr& library() const { return library_; }
  // Lower-case hex SHA-256 of the bytes that were loaded (compare with fileDigest(file())).
  const std::string& digest() const;
  // "1.0": the ABI the plugin was built for.
  std::string abiString() const;
  std::string description() const; // 1.1 field; "" for 1.0 plugins
  spdlog::logger& log() const { return *host_.log; }

  PluginCounters counters;

private:
  LibraryPtr library_; // first member: released last, after destroy() ran
  const exaproxy_plugin* descriptor_;
  std::filesystem::path file_;
  exaproxy_host host_;
  void* instance_ = nullptr;
};

using LoadedPluginPtr = std::shared_ptr<LoadedPlugin>;

} // namespace exaproxy::plugin
