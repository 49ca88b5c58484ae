#include "plugin/pending_verdict.h"

#include "net/event_loop.h"
#include "plugin/loaded_plugin.h"
#include "plugin/txn_state.h"

namespace exaproxy::plugin {

PendingTable& PendingTable::instance() {
  // Never destroyed: worker threads of a plugin may still call complete() during exit.
  static auto* table = new PendingTable();
  return *table;
}

exaproxy_pending PendingTable::allocate(net::EventLoop& loop, PendingWaiter* waiter,
                                        LoadedPlugin* plugin) {
  std::lock_guard lock(mutex_);
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[index];
  s.state = State::Waiting;
  s.loop = &loop;
  s.waiter = waiter;
  s.plugin = plugin;
  ++allocated_;
  return (static_cast<uint64_t>(s.generation) << 32) | (static_cast<uint64_t>(index) + 1);
}

PendingTable::Slot* PendingTable::findLocked(exaproxy_pending handle) {
  auto low = static_cast<uint32_t>(handle & 0xffffffffu);
  auto generation = static_cast<uint32_t>(handle >> 32);
  if (low == 0 || low > slots_.size())
    return nullptr;
  Slot& s = slots_[low - 1];
  if (s.generation != generation || s.state == State::Free)
    return nullptr;
  return &s;
}

void PendingTable::release(exaproxy_pending handle) {
  std::lock_guard lock(mutex_);
  Slot* s = findLocked(handle);
  if (!s)
    return;
  s->state = State::Free;
  s->waiter = nullptr;
  s->plugin = nullptr;
  s->loop = nullptr;
  if (++s->generation == 0) // 0 would make handle 0 possible for slot 0; skip it
    s->generation = 1;
  free_.push_back(static_cast<uint32_t>(handle & 0xffffffffu) - 1);
  --allocated_;
}

int32_t PendingTable::complete(exaproxy_pending handle, int32_t action,
                               std::shared_ptr<exaproxy_verdict> v) {
  std::lock_guard lock(mutex_);
  Slot* s = findLocked(handle);
  if (!s) {
    ++stale_;
    return EXAPROXY_E_STALE;
  }
  if (s->state == State::Completed) {
    s->plugin->counters.completes_twice.fetch_add(1, std::memory_order_relaxed);
    return EXAPROXY_E_TWICE;
  }
  s->state = State::Completed;
  s->plugin->counters.completes.fetch_add(1, std::memory_order_relaxed);
  // Posting under our mutex is fine: the loop's mailbox lock is never held while taking ours.
  s->loop->post([this, handle, action, v = std::move(v)]() mutable {
    deliver(handle, action, std::move(v));
  });
  return EXAPROXY_OK;
}

// Loop thread.
void PendingTable::deliver(exaproxy_pending handle, int32_t action,
                           std::shared_ptr<exaproxy_verdict> v) {
  PendingWaiter* waiter = nullptr;
  {
    std::lock_guard lock(mutex_);
    Slot* s = findLocked(handle);
    if (!s || s->state != State::Completed)
      return; // released meanwhile (timed out, transaction gone)
    waiter = s->waiter;
  }
  // Safe without the lock: the waiter lives on this thread and releases its slot (in its
  // destructor at the latest) on this thread too.
  waiter->onPendingComplete(handle, action, std::move(v));
}

uint64_t PendingTable::staleCompletes() const {
  std::lock_guard lock(mutex_);
  return stale_;
}

size_t PendingTable::allocated() const {
  std::lock_guard lock(mutex_);
  return allocated_;
}

} // namespace exaproxy::plugin
