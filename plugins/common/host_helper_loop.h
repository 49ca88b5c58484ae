// HostHelperLoop: the host's event loop for a plugin instance (ABI 1.4: loop_post, watch_add,
// timer_start...) as the HelperLoop a HelperPool runs on. On a host older than 1.4, in check
// mode, or where the host has no loop, wake() answers false and the pool keeps its own thread.
//
// Lifetime: one per plugin instance, kept until the instance's destroy() (the host drops what
// was posted for it only then); a pool bound to it unbinds in its destructor.
#pragma once

#include "helper_loop.h"

#include <exaproxy/abi.h>

#include <atomic>
#include <cstdint>
#include <unordered_map>

namespace exaproxy::common {

class HostHelperLoop final : public HelperLoop {
public:
  HostHelperLoop(const exaproxy_host_api* api, exaproxy_host* host);
  ~HostHelperLoop() override = default;
  HostHelperLoop(const HostHelperLoop&) = delete;
  HostHelperLoop& operator=(const HostHelperLoop&) = delete;

  // Whether the host's table has the 1.4 entries.
  static bool supported(const exaproxy_host_api* api);

  void bind(Client* client) override;
  bool wake() override;
  bool onLoop() const override;
  bool watch(int fd, bool read, bool write) override;
  void wakeAt(Clock::time_point at) override;

private:
  static void posted(void* self);
  static void ready(void* self, int fd, uint32_t events);
  static void fired(void* self);

  const exaproxy_host_api* api_;
  exaproxy_host* host_;
  const bool supported_;
  std::atomic<Client*> client_{nullptr};
  std::atomic<bool> wakePending_{false};
  // The loop's thread only.
  std::unordered_map<int, int64_t> watches_; // fd -> watch id
  int64_t timer_ = 0;                        // 0: none armed
  Clock::time_point timerAt_{};
};

} // namespace exaproxy::common
