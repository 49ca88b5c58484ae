#include "workers/worker_pool.h"

#include "core/logging.h"

#include <algorithm>
#include <exception>

namespace exaproxy::workers {

namespace {

using SteadyClock = std::chrono::steady_clock;

PoolOptions sanitize(PoolOptions o) {
  if (o.max == 0)
    o.max = 1;
  if (o.min > o.max)
    o.min = o.max;
  if (o.growAfter.count() <= 0)
    o.growAfter = std::chrono::milliseconds(1);
  if (o.shrinkAfter.count() <= 0)
    o.shrinkAfter = std::chrono::milliseconds(1);
  return o;
}

double percentileMs(std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty())
    return 0;
  auto idx = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(idx, sorted.size() - 1)]) / 1000.0;
}

} // namespace

WorkerPool::WorkerPool(PoolOptions options) : options_(sanitize(options)) {
  waitsUs_.reserve(kWaitSamples);
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < options_.min; ++i)
    startWorkerLocked();
  supervisor_ = std::thread([this] { supervisorMain(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  workAvailable_.notify_all();
  supervisorWake_.notify_all();
  supervisor_.join();
  // Workers are never started or erased once stopping_ is set, so the list is stable here.
  for (auto& w : workers_)
    if (w.thread.joinable())
      w.thread.join();
}

void WorkerPool::submit(std::function<void()> work, net::EventLoop& loop,
                        std::function<void()> completion) {
  enqueue(Job{std::move(work), &loop, std::move(completion), SteadyClock::now()});
}

void WorkerPool::submit(std::function<void()> work) {
  enqueue(Job{std::move(work), nullptr, {}, SteadyClock::now()});
}

void WorkerPool::enqueue(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_)
      return;
    queue_.push_back(std::move(job));
    ++submitted_;
    // A pool shrunk to zero (min = 0) must not leave work waiting a whole supervisor tick.
    if (alive_ == 0)
      startWorkerLocked();
  }
  workAvailable_.notify_one();
}

void WorkerPool::setOptions(const PoolOptions& options) {
  {
    std::lock_guard lock(mutex_);
    options_ = sanitize(options);
    while (alive_ < options_.min && !stopping_)
      startWorkerLocked();
  }
  workAvailable_.notify_all(); // idle workers re-check whether they are above max
  supervisorWake_.notify_all();
}

PoolStats WorkerPool::stats() const {
  std::vector<uint32_t> waits;
  PoolStats s;
  {
    std::lock_guard lock(mutex_);
    s.size = alive_;
    s.busy = busy_;
    s.min = options_.min;
    s.max = options_.max;
    s.queued = queue_.size();
    s.submitted = submitted_;
    s.completed = completed_;
    s.grown = grown_;
    s.shrunk = shrunk_;
    waits = waitsUs_;
    s.waits = waitCount_;
    s.waitSumUs = waitSumUs_;
  }
  std::sort(waits.begin(), waits.end());
  s.waitP50Ms = percentileMs(waits, 0.50);
  s.waitP90Ms = percentileMs(waits, 0.90);
  s.waitP99Ms = percentileMs(waits, 0.99);
  return s;
}

void WorkerPool::startWorkerLocked() {
  workers_.emplace_back();
  Worker* w = &workers_.back();
  ++alive_;
  ++idle_;
  w->thread = std::thread([this, w] { workerMain(w); });
}

void WorkerPool::recordWaitLocked(SteadyClock::duration wait) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(wait).count();
  auto sample = static_cast<uint32_t>(std::clamp<int64_t>(us, 0, UINT32_MAX));
  if (waitsUs_.size() < kWaitSamples)
    waitsUs_.push_back(sample);
  else
    waitsUs_[waitNext_] = sample;
  waitNext_ = (waitNext_ + 1) % kWaitSamples;
  ++waitCount_;
  waitSumUs_ += static_cast<uint64_t>(std::max<int64_t>(us, 0));
}

// Worker thread.
void WorkerPool::workerMain(Worker* self) {
  static const auto log = logger("workers");
  std::unique_lock lock(mutex_);
  for (;;) {
    bool timedOut = false;
    while (queue_.empty() && !stopping_) {
      if (alive_ > options_.max) // setOptions lowered max
        break;
      if (workAvailable_.wait_for(lock, options_.shrinkAfter) == std::cv_status::timeout &&
          queue_.empty()) {
        timedOut = true;
        break;
      }
    }
    if (stopping_)
      break;
    if (queue_.empty()) {
      if (alive_ > options_.max || (timedOut && alive_ > options_.min)) {
        ++shrunk_;
        break;
      }
      continue;
    }
    Job job = std::move(queue_.front());
    queue_.pop_front();
    recordWaitLocked(SteadyClock::now() - job.queuedAt);
    --idle_;
    ++busy_;
    lock.unlock();
    try {
      job.work();
    } catch (const std::exception& e) {
      log->error("worker.exception what=\"{}\"", e.what());
    } catch (...) {
      log->error("worker.exception what=unknown");
    }
    job.work = nullptr; // release captures (e.g. a plugin's keep-alive) on this thread
    lock.lock();
    // Counted before the completion is posted, and the post happens before busy_ drops, so a
    // reader that sees the job completed (or the pool idle) knows its completion is queued. The
    // loop never takes our mutex while holding its mailbox lock, so posting under it is safe.
    ++completed_;
    if (job.loop && job.completion)
      job.loop->post(std::move(job.completion));
    --busy_;
    ++idle_;
  }
  --idle_;
  --alive_;
  self->exited = true;
  supervisorWake_.notify_all();
}

void WorkerPool::reapLocked(std::vector<std::thread>& out) {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->exited) {
      out.push_back(std::move(it->thread));
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

// Supervisor thread: grows the pool when queued work waits too long; joins exited workers.
void WorkerPool::supervisorMain() {
  static const auto log = logger("workers");
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto tick = std::max(options_.growAfter / 2, std::chrono::milliseconds(1));
    supervisorWake_.wait_for(lock, tick);
    if (stopping_)
      break;
    std::vector<std::thread> finished;
    reapLocked(finished);
    if (!queue_.empty() && idle_ == 0 && alive_ < options_.max &&
        SteadyClock::now() - queue_.front().queuedAt > options_.growAfter) {
      startWorkerLocked();
      ++grown_;
      log->debug("workers.grow size={} queued={}", alive_, queue_.size());
    }
    if (!finished.empty()) {
      lock.unlock();
      for (auto& t : finished)
        t.join();
      lock.lock();
    }
  }
}

} // namespace exaproxy::workers
