// Checking without serving: `exaproxy --verify-plugin FILE.so [--conf FILE.conf]` and the plugin
// part of `exaproxy --check`. Every plugin is loaded from its private copy and created in check
// mode (ABI 1.3: it starts nothing), then destroyed and unloaded.
#include "plugin/chain_order.h"
#include "plugin/elf_inspect.h"
#include "plugin/plugin_file.h"
#include "plugin/plugin_loader.h"
#include "plugin/plugin_runtime.h"

#include "core/ini_parser.h"

#include <iostream>

namespace exaproxy::plugin {

int PluginRuntime::verifyPlugin(const std::filesystem::path& file,
                                const std::filesystem::path& conf) {
  return verifyPlugin(file, conf, std::cout);
}

int PluginRuntime::verifyPlugin(const std::filesystem::path& file,
                                const std::filesystem::path& confFile, std::ostream& out) {
  out << "verifying " << file.string() << " (host ABI " << EXAPROXY_ABI_MAJOR << "."
      << EXAPROXY_ABI_MINOR << ")\n";
  LoadRequest req;
  req.name = file.stem().string();
  req.file = file;
  auto conf = confFile.empty() ? std::filesystem::path(file).replace_extension(".conf") : confFile;
  std::error_code ec;
  if (std::filesystem::exists(conf, ec)) {
    auto doc = parseIniFile(conf);
    for (const auto& e : doc.errors)
      out << "  config: " << e.toString() << "\n";
    for (const auto& e : doc.entries)
      if (e.section != "plugin")
        req.settings.push_back(e);
    out << "  settings from " << conf.string() << ": " << req.settings.size() << " entries\n";
  } else if (!confFile.empty()) {
    out << "  REFUSED: " << conf.string() << ": no such file\n";
    return 1;
  }
  req.trace = [&out](const std::string& line) { out << "  " << line << "\n"; };
  req.checkMode = true;
  std::vector<std::string> problems;
  req.problems = &problems;
  // Warnings, not refusals: unique symbols (never unloaded), $ORIGIN in RUNPATH, extra exports.
  if (auto bytes = readPluginFile(file))
    for (const auto& w : elfWarnings(inspectElf(*bytes)))
      out << "  WARNING: " << w << "\n";
  auto loaded = loadPlugin(req);
  if (!loaded) {
    for (const auto& p : problems)
      out << "  " << p << "\n";
    out << "  REFUSED: " << loaded.error().message << "\n";
    return 1;
  }
  auto& p = **loaded;
  const auto& d = p.descriptor();
  out << "  hooks:" << (d.on_accept ? " accept" : "") << (d.on_request_head ? " request" : "")
      << (d.on_connect ? " connect" : "") << (d.on_response_head ? " response" : "")
      << (d.on_done ? " done" : "") << (d.status ? " status" : "")
      << (d.reconfigure ? " reconfigure" : "")
      << (EXAPROXY_HAS_FIELD(&d, exaproxy_plugin, on_connection_close) && d.on_connection_close
              ? " connection_close"
              : "")
      << (EXAPROXY_HAS_FIELD(&d, exaproxy_plugin, on_body) && d.on_body ? " body" : "") << "\n";
  if (d.abi_minor < 3)
    out << "  note: built for ABI " << p.abiString()
        << ", which cannot tell a check from a start: it was created as if serving\n";
  if (auto s = p.statusJson(); !s.empty())
    out << "  status: " << s << "\n";
  loaded->reset(); // destroy() now, so that a crash there shows up here too
  out << "  destroy: ok\nOK: " << file.string() << " would load\n";
  return 0;
}

size_t PluginRuntime::checkPlugins(const HostConfig& config, std::ostream& out) {
  size_t errors = 0;
  std::vector<ChainMember> members;
  std::vector<LoadedPluginPtr> created; // destroyed together at the end, as a start would
  for (const auto& pe : config.plugins) {
    LoadRequest req;
    req.name = pe.name;
    req.file = pe.library;
    for (const auto& e : pe.settings)
      if (e.section != "plugin")
        req.settings.push_back(e);
    req.templates = config.templates;
    req.checkMode = true;
    std::vector<std::string> problems;
    req.problems = &problems;
    auto loaded = loadPlugin(req);
    if (loaded) {
      members.push_back(
          ChainMember{pe.name, (*loaded)->host()->traits.load(std::memory_order_relaxed)});
      if ((*loaded)->descriptor().abi_minor < 3)
        out << pe.name << ": note: built for ABI " << (*loaded)->abiString()
            << ", which cannot tell a check from a start: it was created as if serving\n";
      created.push_back(std::move(*loaded));
      continue;
    }
    for (const auto& p : problems)
      out << p << "\n";
    const std::string why = problems.empty()
                                ? loaded.error().message
                                : std::to_string(problems.size()) + " problem(s) above";
    if (pe.required) {
      ++errors;
      out << pe.name << ": error: " << pe.library.string() << " refused: " << why
          << " (required: the proxy would not start)\n";
    } else {
      out << pe.name << ": warning: " << pe.library.string() << " refused: " << why
          << " (required = no: the proxy would start without it)\n";
    }
  }
  for (const auto& w : chainOrderWarnings(members))
    out << "warning: " << w << "\n";
  created.clear();
  return errors;
}

} // namespace exaproxy::plugin
