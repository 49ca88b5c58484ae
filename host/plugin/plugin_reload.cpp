// PluginRuntime::reload(): plan every configured plugin (keep, reconfigure later, or a new
// instance now), validate the new settings of required plugins, and only then commit: reconfigure,
// publish the new chain. A required plugin failing before the commit rejects the whole reload.
#include "plugin/chain_order.h"
#include "plugin/plugin_file.h"
#include "plugin/plugin_loader.h"
#include "plugin/plugin_runtime.h"

#include "core/logging.h"

#include <spdlog/logger.h>

namespace exaproxy::plugin {

namespace {

const std::shared_ptr<spdlog::logger>& log() {
  static const auto logger_ = logger("plugin");
  return logger_;
}

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

std::string versionOf(const LoadedPlugin& p) {
  const char* v = p.descriptor().version;
  return v && *v ? v : "?";
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ",") + n;
  return out.empty() ? "-" : out;
}

} // namespace

ReloadReport PluginRuntime::load(const HostConfig& config) { return reload(config); }

PluginRuntime::Entry PluginRuntime::plan(const PluginEntry& pe, const Entry* old,
                                         const HostConfig& config, ReloadReport& report) {
  Entry entry{pe, nullptr, "", "", false, {}};
  entry.config.settings = pluginSettings(pe.settings);
  const auto& settings = entry.config.settings;
  const bool wasLoaded = old && old->plugin;
  bool sameBuild = false;
  if (wasLoaded && old->config.library == pe.library) {
    auto digest = fileDigest(pe.library);
    sameBuild = digest && *digest == old->plugin->digest();
  }
  const bool unchanged = sameBuild && sameSettings(old->config.settings, settings);
  if (unchanged && !old->plugin->canReconfigure()) {
    // Nothing to tell it (policy changes need no plugin call); a new instance would lose its
    // state.
    entry.plugin = old->plugin;
    entry.change = "kept";
    report.kept.push_back(pe.name);
    return entry;
  }
  if (sameBuild && old->plugin->canReconfigure()) {
    // Also with unchanged settings: the plugin re-reads what it reads from disk (lists, rules,
    // templates), as an operator editing those files and sending SIGHUP expects.
    entry.plugin = old->plugin;
    entry.reconfigure = true;
    entry.previousSettings = old->config.settings;
    entry.change = unchanged ? "refreshed" : "reconfigured";
    return entry;
  }
  // A new instance: new in conf.d, a new build of the file, or new settings and no reconfigure().
  LoadRequest req;
  req.name = pe.name;
  req.file = pe.library;
  req.settings = settings;
  req.pool = pool_;
  req.loop = &loop_;
  req.library = sameBuild ? old->plugin->library() : nullptr;
  req.templates = config.templates;
  auto created = loadPlugin(req);
  if (created) {
    entry.plugin = *created;
    if (!wasLoaded) {
      entry.change = "loaded";
      report.loaded.push_back(pe.name);
    } else if (sameBuild) {
      entry.change = "recreated";
      report.recreated.push_back(pe.name);
    } else {
      entry.change = "upgraded " + versionOf(*old->plugin) + " -> " + versionOf(*entry.plugin);
      if (versionOf(*old->plugin) == versionOf(*entry.plugin))
        entry.change += " (a new build)";
      report.upgraded.push_back(pe.name + ": " + entry.change.substr(9));
    }
    return entry;
  }
  const std::string why = created.error().message;
  if (pe.required) {
    // Fail closed: the whole reload is rejected (or, at start, the proxy stops).
    report.rejected = true;
    report.failed.push_back(pe.name + ": " + why);
    log()->error("plugin.refused name={} file={} required=yes reason=\"{}\"", pe.name,
                 pe.library.string(), why);
    entry.reason = why;
    return entry;
  }
  report.refused.push_back(pe.name + ": " + why);
  if (wasLoaded) {
    // A bad new build or config of an optional plugin: the old instance keeps serving.
    entry.plugin = old->plugin;
    entry.config = old->config;
    entry.config.required = pe.required;
    entry.reason = "new configuration refused, old one kept: " + why;
    entry.change = "kept (refused)";
    log()->error("plugin.reload_refused name={} file={} reason=\"{}\" (old instance kept)", pe.name,
                 pe.library.string(), why);
  } else {
    entry.reason = why;
    entry.change = "refused";
    log()->error("plugin.refused name={} file={} required=no reason=\"{}\" (skipped: traffic "
                 "flows without it)",
                 pe.name, pe.library.string(), why);
  }
  return entry;
}

void PluginRuntime::validate(const std::vector<Entry>& next, ReloadReport& report) const {
  // New settings of a required plugin are tried on a check-mode instance of the same build
  // first, so that a refusal rejects the reload before any plugin was reconfigured. A plugin
  // older than 1.3 cannot be told it is only checked (it might start its helpers): its
  // reconfigure() alone decides, and a refusal keeps its old settings.
  for (const auto& e : next) {
    if (!e.reconfigure || !e.config.required || e.plugin->descriptor().abi_minor < 3)
      continue;
    LoadRequest req;
    req.name = e.config.name;
    req.file = e.config.library;
    req.settings = e.config.settings;
    req.library = e.plugin->library();
    req.templates = std::nullopt;
    req.checkMode = true;
    if (auto checked = loadPlugin(req); !checked) {
      report.rejected = true;
      report.failed.push_back(e.config.name + ": " + checked.error().message);
      log()->error("plugin.refused name={} file={} required=yes reason=\"{}\"", e.config.name,
                   e.config.library.string(), checked.error().message);
    }
  }
}

void PluginRuntime::reconfigureAll(std::vector<Entry>& next, ReloadReport& report,
                                   const HostConfig& config) {
  for (auto& e : next) {
    if (!e.plugin)
      continue;
    if (e.change == "kept" || e.reconfigure)
      e.plugin->setTemplates(config.templates); // this configuration's pages
    if (!e.reconfigure)
      continue;
    std::string why;
    if (e.plugin->reconfigure(e.config.settings, why)) {
      (e.change == "refreshed" ? report.refreshed : report.reconfigured).push_back(e.config.name);
      continue;
    }
    e.config.settings = e.previousSettings;
    e.reason = why;
    e.change = "kept (reconfigure refused)";
    report.refused.push_back(e.config.name + ": " + why);
    log()->error("plugin.reconfigure_failed name={} file={} reason=\"{}\"", e.config.name,
                 e.config.library.string(), why);
  }
}

ReloadReport PluginRuntime::reload(const HostConfig& config) {
  ReloadReport report;
  std::vector<Entry> next;
  next.reserve(config.plugins.size());
  for (const auto& pe : config.plugins) {
    const Entry* old = nullptr;
    for (const auto& e : entries_)
      if (e.config.name == pe.name)
        old = &e;
    next.push_back(plan(pe, old, config, report));
  }
  if (!report.rejected)
    validate(next, report);
  if (report.rejected) {
    // Nothing of it happened: the new instances in `next` are destroyed as it goes.
    report.loaded.clear();
    report.recreated.clear();
    report.upgraded.clear();
    report.kept.clear();
    log()->error("plugin.reload_rejected failed={} (required plugins could not load: the running "
                 "plugins are unchanged)",
                 report.failed.size());
    // The UI shows why on the plugins that caused it (they keep serving their old build).
    for (auto& e : entries_)
      for (const auto& f : report.failed)
        if (f.starts_with(e.config.name + ": "))
          e.reason = "reload rejected: " + f.substr(e.config.name.size() + 2);
    publish(false);
    return report;
  }
  reconfigureAll(next, report, config);
  for (const auto& e : next) {
    if (!e.plugin || e.change.starts_with("kept") || e.change == "refused")
      continue;
    const auto& d = e.plugin->descriptor();
    const bool upgraded = e.change.starts_with("upgraded");
    log()->info("plugin.{} name={} file={} plugin={} version={} vendor={} abi={}{}",
                upgraded ? "upgraded" : (e.change == "recreated" ? "loaded" : e.change),
                e.config.name, e.config.library.string(), d.name, d.version ? d.version : "",
                d.vendor ? d.vendor : "", e.plugin->abiString(),
                upgraded ? " change=\"" + e.change + "\"" : "");
  }
  for (const auto& e : entries_) {
    bool still = false;
    for (const auto& n : next)
      still = still || n.config.name == e.config.name;
    if (!still && e.plugin) {
      report.unloaded.push_back(e.config.name);
      log()->info("plugin.removed name={} file={} (unloaded after its last transaction)",
                  e.config.name, e.config.library.string());
    }
  }
  entries_ = std::move(next);
  std::vector<ChainMember> members;
  for (const auto& e : entries_)
    if (e.plugin)
      members.push_back(
          ChainMember{e.config.name, e.plugin->host()->traits.load(std::memory_order_relaxed)});
  report.order = chainOrderWarnings(members);
  for (const auto& w : report.order)
    log()->warn("plugin.order {}", w);
  publish();
  log()->info("plugin.reload_done loaded={} upgraded={} reconfigured={} recreated={} removed={} "
              "refused={}",
              joined(report.loaded), joined(report.upgraded), joined(report.reconfigured),
              joined(report.recreated), joined(report.unloaded), report.refused.size());
  return report;
}

} // namespace exaproxy::plugin
