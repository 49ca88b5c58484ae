#include "plugin/loaded_plugin.h"

#include "core/logging.h"
#include "plugin/abi_check.h"
#include "plugin/host_api.h"
#include "plugin/plugin_loop.h"
#include "plugin/private_image.h"

#include <spdlog/logger.h>

#include <exception>

namespace exaproxy::plugin {

namespace {

std::string joinErrors(const std::vector<std::string>& errors, const std::string& fallback) {
  if (errors.empty())
    return fallback;
  std::string out;
  for (const auto& e : errors)
    out += (out.empty() ? "" : "; ") + e;
  return out;
}

} // namespace

LoadedPlugin::LoadedPlugin(LibraryPtr library, const exaproxy_plugin* descriptor, std::string name,
                           std::filesystem::path file, workers::WorkerPool* pool)
    : library_(std::move(library)), descriptor_(descriptor), file_(std::move(file)) {
  host_.plugin = this;
  host_.name = std::move(name);
  host_.log = logger("plugin");
  host_.pool = pool;
}

LoadedPlugin::~LoadedPlugin() {
  // Its watches and timers go first (on the loop), so destroy() may close their descriptors.
  if (host_.loop)
    host_.loop->close();
  if (!instance_)
    return;
  try {
    descriptor_->destroy(instance_);
  } catch (...) { // a C++ plugin that threw through the boundary: nothing left to do
  }
  host_.log->info("plugin.unloaded name={} file={}", host_.name, file_.string());
}

bool LoadedPlugin::create(const std::vector<ConfigEntry>& settings, std::string& why) {
  host_.settings = &settings;
  host_.configErrors.clear();
  host_.defining = true;
  void* inst = nullptr;
  try {
    inst = descriptor_->create(hostApi(), &host_);
  } catch (const std::exception& e) {
    host_.configErrors.push_back(std::string("create() threw: ") + e.what());
  } catch (...) {
    host_.configErrors.push_back("create() threw");
  }
  host_.defining = false;
  host_.settings = nullptr;
  if (!inst) {
    why = "create failed: " + joinErrors(host_.configErrors, "create() returned NULL");
    return false;
  }
  if (!host_.configErrors.empty()) {
    // It reported errors yet returned an instance: refuse anyway, the operator must fix them.
    descriptor_->destroy(inst);
    why = "create failed: " + joinErrors(host_.configErrors, "");
    return false;
  }
  instance_ = inst;
  return true;
}

void LoadedPlugin::setTemplates(std::optional<std::filesystem::path> dir) {
  std::lock_guard lock(host_.templatesMutex);
  host_.templates = std::move(dir);
}

bool LoadedPlugin::reconfigure(const std::vector<ConfigEntry>& settings, std::string& why) {
  host_.settings = &settings;
  host_.configErrors.clear();
  const uint32_t oldTraits = host_.traits.load(std::memory_order_relaxed);
  int32_t rc = -1;
  try {
    rc = descriptor_->reconfigure(instance_);
  } catch (...) {
    host_.configErrors.push_back("reconfigure() threw");
  }
  host_.settings = nullptr;
  if (rc != 0 || !host_.configErrors.empty()) {
    host_.traits.store(oldTraits, std::memory_order_relaxed); // the old configuration's
    why = "reconfigure failed (old configuration kept): " +
          joinErrors(host_.configErrors, "reconfigure() returned " + std::to_string(rc));
    return false;
  }
  return true;
}

std::string LoadedPlugin::statusJson() const {
  if (!instance_ || !descriptor_->status)
    return "";
  try {
    std::string buf(256, '\0');
    size_t n = descriptor_->status(instance_, buf.data(), buf.size());
    if (n >= buf.size()) {
      buf.assign(n + 1, '\0');
      n = descriptor_->status(instance_, buf.data(), buf.size());
      if (n >= buf.size())
        return "";
    }
    buf.resize(n);
    return buf;
  } catch (...) {
    return "";
  }
}

const std::string& LoadedPlugin::digest() const { return library_->digest(); }

std::string LoadedPlugin::abiString() const {
  return abiVersionText(descriptor_->abi_major, descriptor_->abi_minor);
}

std::string LoadedPlugin::description() const {
  if (!EXAPROXY_HAS_FIELD(descriptor_, exaproxy_plugin, description) || !descriptor_->description)
    return "";
  return descriptor_->description;
}

} // namespace exaproxy::plugin
