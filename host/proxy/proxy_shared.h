// State shared by every loop of the process. Written at startup (before the loops run) except for
// the atomics and the per-client map, which has its own lock (touched once per accept and close,
// never per byte).
#pragma once

#include "core/ip_address.h"

namespace exaproxy::plugin {
class PluginRuntime;
}
namespace exaproxy::workers {
class WorkerPool;
}

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace exaproxy::proxy {

struct ProxyShared {
  std::vector<Endpoint> listenEndpoints; // what the listeners are bound to
  std::atomic<size_t> connections{0};    // client connections open, all loops
  std::atomic<bool> draining{false};
  std::atomic<uint64_t> lastConnectionId{0}; // conn_id of plugins (ABI 1.5): ids start at 1
  plugin::PluginRuntime* runtime = nullptr;  // the plugin chain snapshots come from here
  workers::WorkerPool* workers = nullptr;    // blocking work (plugins, file reads)

  // Per client address connection counts ([limits] max_connections_per_client).
  bool admitClient(const IpAddress& a, size_t limit) {
    std::lock_guard lock(clientsMutex_);
    auto& n = perClient_[a.toString()];
    if (limit && n >= limit) {
      if (n == 0)
        perClient_.erase(a.toString());
      return false;
    }
    ++n;
    return true;
  }
  void releaseClient(const IpAddress& a) {
    std::lock_guard lock(clientsMutex_);
    auto it = perClient_.find(a.toString());
    if (it != perClient_.end() && --it->second == 0)
      perClient_.erase(it);
  }

private:
  std::mutex clientsMutex_;
  std::map<std::string, size_t> perClient_;
};

} // namespace exaproxy::proxy
