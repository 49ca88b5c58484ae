#include "plugin/plugin_runtime.h"

#include "core/logging.h"

#include <spdlog/logger.h>

namespace exaproxy::plugin {

namespace {

PluginPolicy policyOf(const PluginEntry& e) {
  return PluginPolicy{e.timeout, e.allowOnTimeout, e.allowOnError, e.bodyHoldMax};
}

} // namespace

const char* toString(PluginInfo::State state) {
  return state == PluginInfo::State::Loaded ? "loaded" : "refused";
}

PluginRuntime::PluginRuntime(workers::WorkerPool* pool)
    : pool_(pool), chain_(std::make_shared<const Chain>()) {}

PluginRuntime::~PluginRuntime() = default;

void PluginRuntime::publish(bool newChain) {
  std::vector<ChainLink> links;
  std::vector<PluginInfo> infos;
  std::vector<LoadedPluginPtr> live;
  for (const auto& e : entries_) {
    PluginInfo info;
    info.name = e.config.name;
    info.file = e.config.library;
    info.reason = e.reason;
    info.change = e.change;
    info.required = e.config.required;
    info.timeout = e.config.timeout;
    info.allowOnTimeout = e.config.allowOnTimeout;
    info.allowOnError = e.config.allowOnError;
    if (e.plugin) {
      const auto& d = e.plugin->descriptor();
      info.state = PluginInfo::State::Loaded;
      info.pluginName = d.name;
      info.version = d.version ? d.version : "";
      info.vendor = d.vendor ? d.vendor : "";
      info.description = e.plugin->description();
      info.abi = e.plugin->abiString();
      info.traits = e.plugin->host()->traits.load(std::memory_order_relaxed);
      links.push_back(ChainLink{e.plugin, policyOf(e.config)});
    }
    infos.push_back(std::move(info));
    live.push_back(e.plugin);
  }
  auto chain = newChain ? std::make_shared<const Chain>(std::move(links)) : nullptr;
  std::lock_guard lock(mutex_);
  if (chain) // a rejected reload only changes what the UI says, not the snapshot
    chain_ = std::move(chain);
  infos_ = std::move(infos);
  infoPlugins_ = std::move(live);
}

ChainPtr PluginRuntime::chain() const {
  std::lock_guard lock(mutex_);
  return chain_;
}

std::vector<PluginInfo> PluginRuntime::plugins() const {
  std::vector<PluginInfo> out;
  std::vector<LoadedPluginPtr> live;
  {
    std::lock_guard lock(mutex_);
    out = infos_;
    live = infoPlugins_;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& p = live[i];
    if (!p)
      continue;
#define EXAPROXY_PLUGIN_COUNTER_READ(name, help)                                                   \
  out[i].counters.emplace_back(#name, p->counters.name.load(std::memory_order_relaxed));
    EXAPROXY_PLUGIN_COUNTERS(EXAPROXY_PLUGIN_COUNTER_READ)
#undef EXAPROXY_PLUGIN_COUNTER_READ
    for (const auto& m : p->host()->metrics)
      out[i].metrics.push_back(PluginInfo::Metric{m->name, m->help,
                                                  m->kind == EXAPROXY_METRIC_GAUGE,
                                                  m->value.load(std::memory_order_relaxed)});
    out[i].statusJson = p->statusJson(); // outside the lock: plugin code may be slow
  }
  return out;
}

} // namespace exaproxy::plugin
