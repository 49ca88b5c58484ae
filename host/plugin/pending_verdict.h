// PendingTable: the process-wide table behind exaproxy_pending handles.
//
// A handle is (generation << 32 | slot + 1). The slot records the waiting transaction's loop and a
// Waiter pointer that is only ever dereferenced ON THAT LOOP's thread, where the waiter is also
// destroyed; complete() (any thread) only checks the generation under the table's mutex and posts
// a message to the loop, which checks the generation again before calling the waiter. So a handle
// kept by a plugin can never reach a destroyed transaction: after release() the generation moves
// on and complete() answers EXAPROXY_E_STALE.
//
// A slot stays allocated (state Completed) after its first complete() until its transaction
// releases it, so a second complete() is recognised, counted on the plugin and ignored.
#pragma once

#include "exaproxy/abi.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

struct exaproxy_verdict;

namespace exaproxy::net {
class EventLoop;
}

namespace exaproxy::plugin {

class LoadedPlugin;

class PendingWaiter {
public:
  // Loop thread: the verdict complete() delivered for `handle` (v may be null).
  virtual void onPendingComplete(exaproxy_pending handle, int32_t action,
                                 std::shared_ptr<exaproxy_verdict> v) = 0;

protected:
  ~PendingWaiter() = default;
};

class PendingTable {
public:
  static PendingTable& instance();

  // Loop thread. A fresh handle for `waiter` (which lives on `loop`), bound to `plugin` (kept
  // alive by the waiter's chain snapshot while the slot is allocated).
  exaproxy_pending allocate(net::EventLoop& loop, PendingWaiter* waiter, LoadedPlugin* plugin);
  // Loop thread (the waiter's). Invalidates the handle; a later complete() is a no-op.
  void release(exaproxy_pending handle);
  // Any thread. See exaproxy_host_api::complete.
  int32_t complete(exaproxy_pending handle, int32_t action, std::shared_ptr<exaproxy_verdict> v);

  uint64_t staleCompletes() const;
  size_t allocated() const;

private:
  enum class State { Free, Waiting, Completed };
  struct Slot {
    uint32_t generation = 1;
    State state = State::Free;
    net::EventLoop* loop = nullptr;
    PendingWaiter* waiter = nullptr;
    LoadedPlugin* plugin = nullptr;
  };

  Slot* findLocked(exaproxy_pending handle);
  void deliver(exaproxy_pending handle, int32_t action, std::shared_ptr<exaproxy_verdict> v);

  mutable std::mutex mutex_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  uint64_t stale_ = 0;
  size_t allocated_ = 0;
};

} // namespace exaproxy::plugin
