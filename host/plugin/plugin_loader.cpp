#include "plugin/plugin_loader.h"

#include "core/logging.h"
#include "plugin/abi_check.h"
#include "plugin/plugin_loop.h"
#include "plugin/private_image.h"

#include <spdlog/logger.h>

#include <exception>

namespace exaproxy::plugin {

Result<LoadedPluginPtr> loadPlugin(const LoadRequest& r) {
  static const auto log = logger("plugin");
  auto trace = [&](const std::string& line) {
    if (r.trace)
      r.trace(line);
  };
  LoadedPlugin::LibraryPtr lib = r.library;
  if (!lib) {
    // Never the conf.d file itself: a private, immutable copy of its bytes (private_image.h).
    auto image = PrivateImage::load(r.file, trace);
    if (!image)
      return image.error();
    lib = *image;
    for (const auto& w : elfWarnings(lib->elf()))
      log->warn("plugin.warning name={} file={} warning=\"{}\"", r.name, r.file.string(), w);
  }
  auto& so = lib->library();
  if (!so.has(EXAPROXY_ENTRY_SYMBOL))
    return makeError(0, std::string("no entry symbol ") + EXAPROXY_ENTRY_SYMBOL +
                            " (not an ExaProxy plugin, or built without EXAPROXY_EXPORT)");
  trace(std::string("entry symbol ") + EXAPROXY_ENTRY_SYMBOL + ": ok");
  const exaproxy_plugin* d = nullptr;
  try {
    d = so.get<const exaproxy_plugin*()>(EXAPROXY_ENTRY_SYMBOL)();
  } catch (...) {
    return makeError(0, std::string(EXAPROXY_ENTRY_SYMBOL) + "() threw");
  }
  if (auto ok = checkDescriptor(d); !ok)
    return ok.error();
  trace("descriptor: name=" + std::string(d->name) + " version=" + (d->version ? d->version : "") +
        " vendor=" + (d->vendor ? d->vendor : "") + " abi=" +
        abiVersionText(d->abi_major, d->abi_minor) + " size=" + std::to_string(d->size) + ": ok");
  auto plugin = std::make_shared<LoadedPlugin>(lib, d, r.name, r.file, r.pool);
  plugin->setTemplates(r.templates);
  plugin->host()->checkMode = r.checkMode;
  if (r.loop && !r.checkMode)
    plugin->host()->loop = r.loop->bind();
  std::string why;
  if (!plugin->create(r.settings, why)) {
    if (r.problems)
      *r.problems = plugin->host()->configErrors;
    return makeError(0, why);
  }
  trace("create with " + std::to_string(r.settings.size()) + " setting(s): ok");
  return plugin;
}

} // namespace exaproxy::plugin
