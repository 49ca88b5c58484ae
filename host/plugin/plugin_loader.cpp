#include "plugin/plugin_loader.h"

#include "plugin/abi_check.h"
#include "plugin/file_digest.h"

#include <boost/dll/shared_library.hpp>
#include <dlfcn.h>

#include <exception>

namespace exaproxy::plugin {

Result<LoadedPluginPtr> loadPlugin(const LoadRequest& r) {
  auto trace = [&](const std::string& line) {
    if (r.trace)
      r.trace(line);
  };
  LoadedPlugin::LibraryPtr lib = r.library;
  if (!lib) {
    std::error_code exists;
    if (!std::filesystem::exists(r.file, exists))
      return makeError(0, "file not found");
    if (auto elf = checkElf(r.file); !elf)
      return elf.error();
    trace("ELF shared object for this machine: ok");
    lib = std::make_shared<boost::dll::shared_library>();
    boost::dll::fs::error_code ec;
    // RTLD_NOW: a missing symbol or library dependency fails here, with the loader's message,
    // rather than later in a hook. RTLD_LOCAL: two plugins may define the same symbols.
    lib->load(r.file, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (ec || !lib->is_loaded()) {
      const char* why = dlerror(); // Boost.DLL keeps only a generic error code
      return makeError(0, std::string("dlopen failed: ") + (why ? why : ec.message()));
    }
    trace("loaded with RTLD_NOW | RTLD_LOCAL: ok");
  }
  if (!lib->has(EXAPROXY_ENTRY_SYMBOL))
    return makeError(0, std::string("no entry symbol ") + EXAPROXY_ENTRY_SYMBOL +
                            " (not an ExaProxy plugin, or built without EXAPROXY_EXPORT)");
  trace(std::string("entry symbol ") + EXAPROXY_ENTRY_SYMBOL + ": ok");
  const exaproxy_plugin* d = nullptr;
  try {
    d = lib->get<const exaproxy_plugin*()>(EXAPROXY_ENTRY_SYMBOL)();
  } catch (...) {
    return makeError(0, std::string(EXAPROXY_ENTRY_SYMBOL) + "() threw");
  }
  if (auto ok = checkDescriptor(d); !ok)
    return ok.error();
  trace("descriptor: name=" + std::string(d->name) + " version=" + (d->version ? d->version : "") +
        " vendor=" + (d->vendor ? d->vendor : "") + " abi=" +
        abiVersionText(d->abi_major, d->abi_minor) + " size=" + std::to_string(d->size) + ": ok");
  auto plugin = std::make_shared<LoadedPlugin>(lib, d, r.name, r.file, r.pool);
  if (!r.library)
    if (auto digest = fileDigest(r.file))
      plugin->setDigest(*digest);
  plugin->setTemplates(r.templates);
  plugin->host()->checkMode = r.checkMode;
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
