// HelperPool, the children's lives: started on demand and kept spare, buried and replaced (slower
// after quick deaths), checked by the canary, stopped in order. Manager thread only.
#include "helper_pool.h"

#include <algorithm>
#include <thread>

namespace exaproxy::common {

namespace {

constexpr auto kQuickDeath = std::chrono::seconds(1);
constexpr auto kMaxBackoff = std::chrono::seconds(10);

} // namespace

bool HelperPool::hasFreeSlot(const HelperChild& c) const {
  if (c.dead || c.proc->stdinFd() < 0)
    return false;
  return settings_.concurrency == 0 ? c.inFlight.empty()
                                    : c.inFlight.size() < settings_.concurrency;
}

size_t HelperPool::liveChildren() const {
  return static_cast<size_t>(std::count_if(children_.begin(), children_.end(),
                                           [](const HelperChildPtr& c) { return !c->dead; }));
}

HelperChild* HelperPool::spawn() {
  auto now = Clock::now();
  if (now < spawnNotBefore_)
    return nullptr;
  auto c = std::make_unique<HelperChild>();
  c->proc = std::make_unique<HelperProcess>(settings_.program);
  if (!c->proc->ok() || !c->proc->error().empty()) {
    count(PoolMetric::spawn_failures);
    log_(LogLevel::Error, "cannot start helper " + programName_ + ": " + c->proc->error());
    spawnNotBefore_ = now + kMaxBackoff;
    spawnError_ = c->proc->error();
    if (liveChildren() == 0)
      failQueue("cannot start the helper: " + spawnError_);
    return nullptr;
  }
  spawnError_.clear();
  c->id = nextChildId_++;
  c->started = now;
  count(PoolMetric::spawns);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pids_.push_back(c->proc->pid());
  }
  logChild(LogLevel::Info, *c, "started");
  children_.push_back(std::move(c));
  HelperChild* child = children_.back().get();
  if (settings_.canary)
    startCanary(*child);
  return child;
}

void HelperPool::buryDead() {
  auto now = Clock::now();
  bool stop = stopping();
  for (auto it = children_.begin(); it != children_.end();) {
    HelperChild& c = **it;
    if (!c.dead) {
      ++it;
      continue;
    }
    readStderr(c, true);
    unwatch(c); // before its pipes close
    c.proc->killAndReap();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pids_.erase(std::remove(pids_.begin(), pids_.end(), c.proc->pid()), pids_.end());
    }
    logChild(stop ? LogLevel::Info : LogLevel::Warn, c,
             "ended (" + c.proc->describeExit() + ")" +
                 (c.inFlight.empty()
                      ? std::string()
                      : ", " + std::to_string(c.inFlight.size()) + " request(s) in flight"));
    if (!stop)
      count(PoolMetric::respawns);
    // Quick deaths in a row (a helper that cannot start) slow the restarts down.
    if (now - c.started < kQuickDeath) {
      ++quickDeaths_;
      auto backoff = std::min<std::chrono::milliseconds>(
          std::chrono::milliseconds(int64_t{100} << std::min(quickDeaths_, 10u)), kMaxBackoff);
      spawnNotBefore_ = now + backoff;
    } else {
      quickDeaths_ = 0;
    }
    for (auto& [ch, job] : c.inFlight) {
      if (job->canary) {
        canaryInFlight_ = false;
      } else if (job->request.continues) {
        fail(std::move(job), "the helper that held this handshake died", false);
      } else if (!job->crashRetried) {
        job->crashRetried = true;
        count(PoolMetric::retries);
        queue_.push_front(std::move(job));
      } else {
        fail(std::move(job), "the helper died twice while answering", false);
      }
    }
    it = children_.erase(it);
  }
}

void HelperPool::maintain(Clock::time_point now) {
  expireConversations(now);
  if (now < spawnNotBefore_)
    return;
  while (liveChildren() < settings_.startup)
    if (!spawn())
      return;
  auto idleCount = [this] {
    return static_cast<size_t>(
        std::count_if(children_.begin(), children_.end(), [](const HelperChildPtr& c) {
          return !c->dead && c->inFlight.empty() && c->conversation == 0;
        }));
  };
  while (idleCount() < settings_.idle && liveChildren() < settings_.children)
    if (!spawn())
      return;
  if (canaryFailing_ && !canaryInFlight_ && now >= nextCanary_) {
    nextCanary_ = now + settings_.canary->interval;
    for (auto& c : children_) {
      if (takesUnbound(*c)) {
        startCanary(*c);
        return;
      }
    }
    if (liveChildren() < settings_.children)
      spawn(); // starts its own canary
  }
}

void HelperPool::startCanary(HelperChild& c) {
  auto job = std::make_unique<HelperJob>();
  job->request = HelperRequest{settings_.canary->request, settings_.canary->name};
  job->canary = true;
  job->deadline = Clock::now() + settings_.timeout;
  canaryInFlight_ = true;
  send(c, std::move(job));
}

void HelperPool::onCanary(HelperChild& c, bool holds, const std::string& why) {
  const HelperCanary& canary = *settings_.canary;
  canaryInFlight_ = false;
  count(PoolMetric::canary_checks);
  if (holds) {
    if (canaryFailing_)
      logChild(LogLevel::Warn, c, "canary " + canary.name + " " + canary.resumed + ": resuming");
    canaryFailing_ = false;
    std::lock_guard<std::mutex> lock(mutex_);
    canaryState_ = "ok";
    return;
  }
  count(PoolMetric::canary_failures);
  logChild(LogLevel::Error, c,
           "canary " + canary.name + " " + canary.failed + " (answer: " + why +
               "): " + canary.meaning);
  canaryFailing_ = true;
  nextCanary_ = Clock::now() + canary.interval;
  std::lock_guard<std::mutex> lock(mutex_);
  canaryState_ = "failing";
}

std::string HelperPool::canaryRefusal() const {
  return "the helper failed its canary (" + settings_.canary->name + " " +
         settings_.canary->failed + "): it is failing open";
}

void HelperPool::stopChildren() {
  // EOF first: squidGuard and Squid's helpers exit at the end of their input.
  for (auto& c : children_) {
    unwatch(*c);
    c->proc->closeStdin();
  }
  auto until = Clock::now() + std::chrono::seconds(1);
  while (Clock::now() < until) {
    bool all = true;
    for (auto& c : children_)
      all = c->proc->tryReap() && all;
    if (all)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& c : children_) {
    readStderr(*c, true);
    c->proc->killAndReap();
  }
  children_.clear();
}

void HelperPool::logChild(LogLevel level, const HelperChild& c, const std::string& what) {
  log_(level, "helper " + programName_ + " pid=" + std::to_string(c.proc->pid()) + ": " + what);
}

} // namespace exaproxy::common
