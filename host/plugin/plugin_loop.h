// The plugins' event loop (ABI 1.4): one host loop (loop 0) on which plugin instances watch their
// own descriptors and run timers (loop_post, watch_add, timer_start...), so that a plugin driving
// helper processes needs no thread of its own and its I/O no thread hop.
//
// HOW IT IS WIRED
//   PluginRuntime owns a PluginLoop; every instance it creates gets a LoopBinding (bind()).
//   Server::start(): runtime->pluginLoop().attach(loop0) before loop 0 runs; what was posted
//   earlier (create() at start-up) runs once it does.
//   Loop 0's thread, when run() returns (and Server::stop() again, idempotent): detach(): every
//   binding's watches and timers go, later calls answer EXAPROXY_E_UNAVAILABLE.
//   ~LoadedPlugin: binding->close() before the plugin's destroy(), on any thread.
//
// Threads: post() and current() from any thread; the watch and timer functions on the loop only
// (they answer EXAPROXY_E_UNAVAILABLE elsewhere); attach on the main thread, detach as
// said beside it.
#pragma once

#include "exaproxy/abi.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace exaproxy::net {
class EventLoop;
class IoWatch;
class Timer;
} // namespace exaproxy::net

namespace exaproxy::plugin {

class LoopBinding;

// What the bindings share: the loop (once attached) and its thread.
struct PluginLoopCore {
  std::mutex mutex;
  net::EventLoop* loop = nullptr;                // guarded by mutex
  bool detached = false;                         // guarded by mutex: the loop has stopped for good
  std::vector<std::function<void()>> early;      // guarded: posted before attach()
  std::vector<std::weak_ptr<LoopBinding>> bound; // guarded: for detach()
  std::atomic<std::thread::id> thread{};         // the loop's thread, once it ran

  bool onLoop() const { return thread.load() == std::this_thread::get_id(); }
  // Runs fn on the loop (or keeps it until attach()); false once detached.
  bool post(std::function<void()> fn);
};

class PluginLoop {
public:
  PluginLoop();
  ~PluginLoop();
  PluginLoop(const PluginLoop&) = delete;
  PluginLoop& operator=(const PluginLoop&) = delete;

  // Main thread: `loop` (not yet running, or running) carries the plugins' watches from now on.
  void attach(net::EventLoop& loop);
  // Once the loop's run() has returned, on the thread that owns the loop then (loop 0's own, as
  // its last act; Server::stop() on main again): removes every binding's watches and timers and
  // refuses everything after. Idempotent.
  void detach();
  // A new instance's binding.
  std::shared_ptr<LoopBinding> bind();

private:
  std::shared_ptr<PluginLoopCore> core_;
};

// One plugin instance's watches and timers (the ABI 1.4 entries of its exaproxy_host).
class LoopBinding : public std::enable_shared_from_this<LoopBinding> {
public:
  explicit LoopBinding(std::shared_ptr<PluginLoopCore> core);
  ~LoopBinding();
  LoopBinding(const LoopBinding&) = delete;
  LoopBinding& operator=(const LoopBinding&) = delete;

  int32_t post(exaproxy_loop_fn fn, void* arg);
  bool current() const;
  int64_t addWatch(int fd, uint32_t events, exaproxy_watch_fn fn, void* arg);
  int32_t setWatch(int64_t id, uint32_t events);
  int32_t removeWatch(int64_t id);
  int64_t startTimer(uint64_t delayUs, exaproxy_loop_fn fn, void* arg);
  int32_t cancelTimer(int64_t id);

  // Any thread, before the instance's destroy(): removes its watches and timers on the loop
  // (waiting for the loop when called from another thread while it runs) and drops what it
  // posted and has not run. Everything after answers EXAPROXY_E_UNAVAILABLE. Idempotent.
  void close();
  // PluginLoop::detach(), the loop stopped: the same, on the calling thread.
  void clearStopped();

private:
  struct Watch;
  struct PendingTimer;
  bool usable() const; // open, and called on the loop
  void clear(bool loopRunning);

  std::shared_ptr<PluginLoopCore> core_;
  std::atomic<bool> open_{true};
  // The loop's thread only (or the thread that owns the stopped loop).
  int64_t nextId_ = 1;
  std::unordered_map<int64_t, std::unique_ptr<Watch>> watches_;
  std::unordered_map<int, int64_t> watchedFds_;
  std::unordered_map<int64_t, std::unique_ptr<PendingTimer>> timers_;
  // close() from another thread waits for the loop to have cleared.
  std::mutex clearedMutex_;
  std::condition_variable clearedCv_;
  bool cleared_ = false;
};

} // namespace exaproxy::plugin
