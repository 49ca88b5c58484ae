#include "plugin/plugin_runtime.h"

#include "core/ini_parser.h"
#include "core/logging.h"
#include "plugin/elf_inspect.h"
#include "plugin/plugin_file.h"
#include "plugin/plugin_loader.h"

#include <spdlog/logger.h>

#include <iostream>

namespace exaproxy::plugin {

namespace {

bool sameSettings(const std::vector<ConfigEntry>& a, const std::vector<ConfigEntry>& b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].section != b[i].section || a[i].key != b[i].key || a[i].value != b[i].value)
      return false;
  return true;
}

// What the plugin is offered: its .conf without the host's [plugin] section.
std::vector<ConfigEntry> pluginSettings(const std::vector<ConfigEntry>& all) {
  std::vector<ConfigEntry> out;
  for (const auto& e : all)
    if (e.section != "plugin")
      out.push_back(e);
  return out;
}

PluginPolicy policyOf(const PluginEntry& e) {
  return PluginPolicy{e.timeout, e.allowOnTimeout, e.allowOnError};
}

} // namespace

const char* toString(PluginInfo::State state) {
  return state == PluginInfo::State::Loaded ? "loaded" : "refused";
}

PluginRuntime::PluginRuntime(workers::WorkerPool* pool)
    : pool_(pool), chain_(std::make_shared<const Chain>()) {}

PluginRuntime::~PluginRuntime() = default;

ReloadReport PluginRuntime::load(const HostConfig& config) { return reload(config); }

ReloadReport PluginRuntime::reload(const HostConfig& config) {
  static const auto log = logger("plugin");
  ReloadReport report;
  std::vector<Entry> next;
  next.reserve(config.plugins.size());

  for (const auto& pe : config.plugins) {
    Entry* old = nullptr;
    for (auto& e : entries_)
      if (e.config.name == pe.name)
        old = &e;
    Entry entry{pe, nullptr, ""};
    entry.config.settings = pluginSettings(pe.settings);
    bool sameFile = old && old->plugin && old->config.library == pe.library;

    const auto& settings = entry.config.settings;
    bool unchanged = sameFile && sameSettings(old->config.settings, settings);
    if (sameFile) // the pages of this configuration come from its templates directory
      old->plugin->setTemplates(config.templates);
    if (unchanged && !old->plugin->canReconfigure()) {
      // Nothing to tell it (policy changes need no plugin call); a new instance would lose
      // its state.
      entry.plugin = old->plugin;
      report.kept.push_back(pe.name);
    } else if (sameFile && old->plugin->canReconfigure()) {
      // Also with unchanged settings: the plugin re-reads what it reads from disk (lists,
      // rules, templates), as an operator editing those files and sending SIGHUP expects.
      std::string why;
      entry.plugin = old->plugin;
      if (old->plugin->reconfigure(settings, why)) {
        (unchanged ? report.refreshed : report.reconfigured).push_back(pe.name);
        log->info("plugin.{} name={} file={}", unchanged ? "refreshed" : "reconfigured", pe.name,
                  pe.library.string());
      } else {
        entry.config.settings = old->config.settings;
        entry.reason = why;
        report.refused.push_back(pe.name + ": " + why);
        log->error("plugin.reconfigure_failed name={} file={} reason=\"{}\"", pe.name,
                   pe.library.string(), why);
      }
    } else {
      LoadRequest req{
          pe.name, pe.library,      settings, pool_, sameFile ? old->plugin->library() : nullptr,
          nullptr, config.templates};
      auto created = loadPlugin(req);
      if (created) {
        entry.plugin = *created;
        auto& p = *entry.plugin;
        (old && old->plugin ? report.recreated : report.loaded).push_back(pe.name);
        log->info("plugin.loaded name={} file={} plugin={} version={} vendor={} abi={}", pe.name,
                  pe.library.string(), p.descriptor().name,
                  p.descriptor().version ? p.descriptor().version : "",
                  p.descriptor().vendor ? p.descriptor().vendor : "", p.abiString());
      } else if (old && old->plugin) {
        // A bad new config or library: the old instance keeps serving.
        entry.plugin = old->plugin;
        entry.config = old->config;
        entry.reason = "new configuration refused, old one kept: " + created.error().message;
        report.refused.push_back(pe.name + ": " + created.error().message);
        log->error("plugin.reload_refused name={} file={} reason=\"{}\" (old instance kept)",
                   pe.name, pe.library.string(), created.error().message);
      } else {
        entry.reason = created.error().message;
        report.refused.push_back(pe.name + ": " + entry.reason);
        log->error("plugin.refused name={} file={} reason=\"{}\"", pe.name, pe.library.string(),
                   entry.reason);
      }
    }
    next.push_back(std::move(entry));
  }
  for (const auto& e : entries_) {
    bool still = false;
    for (const auto& n : next)
      still = still || n.config.name == e.config.name;
    if (!still && e.plugin) {
      report.unloaded.push_back(e.config.name);
      log->info("plugin.removed name={} file={} (unloaded after its last transaction)",
                e.config.name, e.config.library.string());
    }
  }
  entries_ = std::move(next);
  publish();
  return report;
}

void PluginRuntime::publish() {
  std::vector<ChainLink> links;
  std::vector<PluginInfo> infos;
  std::vector<LoadedPluginPtr> live;
  for (const auto& e : entries_) {
    PluginInfo info;
    info.name = e.config.name;
    info.file = e.config.library;
    info.reason = e.reason;
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
      links.push_back(ChainLink{e.plugin, policyOf(e.config)});
    }
    infos.push_back(std::move(info));
    live.push_back(e.plugin);
  }
  auto chain = std::make_shared<const Chain>(std::move(links));
  std::lock_guard lock(mutex_);
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

int PluginRuntime::verifyPlugin(const std::filesystem::path& file) {
  return verifyPlugin(file, std::cout);
}

int PluginRuntime::verifyPlugin(const std::filesystem::path& file, std::ostream& out) {
  out << "verifying " << file.string() << " (host ABI " << EXAPROXY_ABI_MAJOR << "."
      << EXAPROXY_ABI_MINOR << ")\n";
  LoadRequest req;
  req.name = file.stem().string();
  req.file = file;
  auto conf = std::filesystem::path(file).replace_extension(".conf");
  std::error_code ec;
  if (std::filesystem::exists(conf, ec)) {
    auto doc = parseIniFile(conf);
    for (const auto& e : doc.errors)
      out << "  config: " << e.toString() << "\n";
    for (const auto& e : doc.entries)
      if (e.section != "plugin")
        req.settings.push_back(e);
    out << "  settings from " << conf.string() << ": " << req.settings.size() << " entries\n";
  }
  req.trace = [&out](const std::string& line) { out << "  " << line << "\n"; };
  req.checkMode = true;
  // Warnings, not refusals: unique symbols (never unloaded), $ORIGIN in RUNPATH, extra exports.
  if (auto bytes = readPluginFile(file))
    for (const auto& w : elfWarnings(inspectElf(*bytes)))
      out << "  WARNING: " << w << "\n";
  auto loaded = loadPlugin(req);
  if (!loaded) {
    out << "  REFUSED: " << loaded.error().message << "\n";
    return 1;
  }
  auto& p = **loaded;
  const auto& d = p.descriptor();
  out << "  hooks:" << (d.on_accept ? " accept" : "") << (d.on_request_head ? " request" : "")
      << (d.on_connect ? " connect" : "") << (d.on_response_head ? " response" : "")
      << (d.on_done ? " done" : "") << (d.status ? " status" : "")
      << (d.reconfigure ? " reconfigure" : "") << "\n";
  if (auto s = p.statusJson(); !s.empty())
    out << "  status: " << s << "\n";
  loaded->reset(); // destroy() now, so that a crash there shows up here too
  out << "  destroy: ok\nOK: " << file.string() << " would load\n";
  return 0;
}

} // namespace exaproxy::plugin
