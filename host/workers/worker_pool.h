// WorkerPool: threads for work that may block (a plugin's slow lookup, reading a file, a helper's
// answer), so that event loops never do.
//
// Loops and workers talk only by messages: submit() queues a job (one mutex-guarded queue for the
// pool); the completion goes back to the submitting loop through that loop's own mailbox
// (net::EventLoop::post: a queue per loop plus an eventfd that wakes it). No worker ever touches
// loop-owned state.
//
// Adaptive size: the pool starts `min` threads. A supervisor thread checks the oldest queued job
// every grow_after/2: when it has waited longer than grow_after and the pool is below `max`, one
// thread is added (so a burst grows the pool by one per half-threshold). A worker that stays idle
// for shrink_after exits while the pool is above `min`. Sizes and queue-wait percentiles are
// readable from any thread for the UI.
#pragma once

#include "core/config.h"
#include "net/event_loop.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace exaproxy::workers {

struct PoolOptions {
  size_t min = 2;
  size_t max = 16;
  std::chrono::milliseconds growAfter{50};      // queue wait that adds a thread
  std::chrono::milliseconds shrinkAfter{30000}; // idle time after which a thread exits
};

// The [workers] section of the host configuration.
inline PoolOptions poolOptionsFrom(const HostConfig& c) {
  return PoolOptions{c.workersMin, c.workersMax, c.workersGrowAfter, c.workersShrinkAfter};
}

// A snapshot for the UI (/api/v1/workers). Wait percentiles cover the last kWaitSamples jobs.
struct PoolStats {
  size_t size = 0; // threads alive
  size_t busy = 0; // threads running a job
  size_t min = 0;
  size_t max = 0;
  size_t queued = 0; // jobs waiting for a thread
  uint64_t submitted = 0;
  uint64_t completed = 0;
  uint64_t grown = 0;  // threads added by the supervisor
  uint64_t shrunk = 0; // threads that exited when idle
  double waitP50Ms = 0;
  double waitP90Ms = 0;
  double waitP99Ms = 0;
  uint64_t waits = 0;     // jobs taken from the queue since start (the waits measured)
  uint64_t waitSumUs = 0; // their queue waits added up (microseconds)
};

class WorkerPool {
public:
  static constexpr size_t kWaitSamples = 1024;

  explicit WorkerPool(PoolOptions options = {});
  // Stops every thread. Jobs still queued are dropped: their work and completion never run.
  // Call after the loops stopped (a completion posted to a destroyed loop would be lost anyway).
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Any thread. Runs work on a worker, then posts completion (if any) to `loop`, where it runs on
  // the loop thread. Neither may throw (an exception from work is caught and logged, and the
  // completion still runs).
  void submit(std::function<void()> work, net::EventLoop& loop, std::function<void()> completion);
  // Any thread. Runs work on a worker; nothing comes back.
  void submit(std::function<void()> work);

  // Any thread (SIGHUP): new bounds and thresholds; threads above max exit as they finish.
  void setOptions(const PoolOptions& options);
  PoolStats stats() const;

private:
  struct Job {
    std::function<void()> work;
    net::EventLoop* loop = nullptr;
    std::function<void()> completion;
    std::chrono::steady_clock::time_point queuedAt;
  };
  struct Worker {
    std::thread thread;
    bool exited = false; // guarded by mutex_; the supervisor joins exited workers
  };

  void enqueue(Job job);
  void startWorkerLocked();
  void workerMain(Worker* self);
  void supervisorMain();
  void reapLocked(std::vector<std::thread>& out);
  void recordWaitLocked(std::chrono::steady_clock::duration wait);

  mutable std::mutex mutex_;
  std::condition_variable workAvailable_;
  std::condition_variable supervisorWake_;
  PoolOptions options_;
  std::deque<Job> queue_;
  std::list<Worker> workers_; // list: Worker addresses stay valid for their threads
  size_t alive_ = 0;
  size_t busy_ = 0;
  size_t idle_ = 0;
  bool stopping_ = false;
  uint64_t submitted_ = 0, completed_ = 0, grown_ = 0, shrunk_ = 0;
  std::vector<uint32_t> waitsUs_; // ring of queue waits (microseconds)
  size_t waitNext_ = 0;
  uint64_t waitCount_ = 0; // every wait recorded, and their sum: /metrics' summary
  uint64_t waitSumUs_ = 0;
  std::thread supervisor_;
};

} // namespace exaproxy::workers
