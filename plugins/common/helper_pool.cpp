// HelperPool, the requests' path: submit, the manager's loop, queueing and dispatch, the
// children's pipes, answers, deadlines and failures. The children's lives are in
// helper_pool_children.cpp.
#include "helper_pool.h"

#include "helper_channel.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <pthread.h>
#include <stdexcept>
#include <sys/eventfd.h>
#include <unistd.h>

namespace exaproxy::common {

namespace {

void wakeUp(int fd) {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
}

} // namespace

HelperPool::HelperPool(HelperPoolSettings settings, const HelperCodec& codec, Log log,
                       PoolMetricSink metrics, HelperLoop* loop)
    : settings_(std::move(settings)), codec_(codec),
      programName_(settings_.program.empty() ? std::string("(none)") : settings_.program[0]),
      log_(std::move(log)), metrics_(std::move(metrics)),
      gaugeValues_(static_cast<size_t>(PoolMetric::Count), -1) {
  if (settings_.concurrency > 0 && !codec_.takesChannels())
    throw std::invalid_argument("this helper protocol has no channel IDs: concurrency must be 0");
  wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_ == -1)
    throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  canaryState_ = settings_.canary ? "unchecked" : "off";
  if (loop) {
    // The first wake-up starts the children on the loop; a loop that cannot run it (an older
    // host, no loop) leaves the pool to a thread of its own.
    loop->bind(this);
    loop_ = loop;
    if (loop->wake())
      return;
    loop->bind(nullptr);
    loop_ = nullptr;
  }
  thread_ = std::thread([this] { run(); });
}

HelperPool::~HelperPool() {
  if (loop_) {
    stopOnLoop();
    ::close(wake_);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wakeUp(wake_);
  if (thread_.joinable())
    thread_.join();
  ::close(wake_);
}

void HelperPool::submit(HelperRequest request, HelperDone done) {
  auto job = std::make_unique<HelperJob>();
  job->request = std::move(request);
  job->done = std::move(done);
  job->deadline = Clock::now() + settings_.timeout;
  const bool here = loop_ && loop_->onLoop();
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopped_) {
      // A non-empty inbox already has a wake-up on its way: one wake-up per batch.
      wake = inbox_.empty() && !here;
      inbox_.push_back(std::move(job));
    }
  }
  if (job) {
    count(PoolMetric::requests);
    fail(std::move(job), "the " + settings_.name + " is stopping", false);
    return;
  }
  if (here) {
    if (!servicing_)
      service(); // written to a helper now (from a done(), right after it)
    return;
  }
  if (!wake)
    return;
  if (!loop_) {
    wakeUp(wake_);
    return;
  }
  if (loop_->wake())
    return;
  // The loop has stopped: nothing will take what waits for it.
  std::vector<HelperJobPtr> orphans;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    orphans.swap(inbox_);
  }
  for (auto& j : orphans) {
    count(PoolMetric::requests);
    fail(std::move(j), "the " + settings_.name + "'s event loop has stopped", false);
  }
}

std::string HelperPool::canaryState() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return canaryState_;
}

std::vector<pid_t> HelperPool::childPids() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pids_;
}

bool HelperPool::stopping() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

// Nothing submitted or released since the manager last looked (a done() run on the loop may
// have done either: the round goes on).
bool HelperPool::inboxEmpty() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return inbox_.empty() && releases_.empty();
}

// ---- loop mode ---------------------------------------------------------------------------------

void HelperPool::onWake() { service(); }

void HelperPool::onTimer() { service(); }

void HelperPool::onReady(int fd, bool readable, bool writable) {
  for (auto& c : children_) {
    if (c->dead)
      continue;
    if (writable && fd == c->proc->stdinFd())
      flush(*c);
    else if (readable && fd == c->proc->stdoutFd())
      readStdout(*c);
    else if (readable && fd == c->proc->stderrFd())
      readStderr(*c, false);
    else
      continue;
    break;
  }
  service();
}

// After every event of the loop: the manager's round, then the watches and the timer it needs.
void HelperPool::service() {
  if (servicing_)
    return;
  servicing_ = true;
  step(stopping());
  for (auto& c : children_)
    if (!c->dead)
      syncWatches(*c);
  loop_->wakeAt(nextWake(Clock::now()));
  servicing_ = false;
}

// stdout and stderr are always watched, stdin only while bytes wait for room in its pipe.
void HelperPool::syncWatches(HelperChild& c) {
  auto want = [this](int fd, bool& on, bool read, bool write) {
    bool wanted = fd >= 0 && (read || write);
    if (on == wanted)
      return;
    on = loop_->watch(fd, read, write) && wanted;
  };
  want(c.proc->stdinFd(), c.watchIn, false, !c.toWrite.empty());
  want(c.proc->stdoutFd(), c.watchOut, true, false);
  want(c.proc->stderrFd(), c.watchErr, true, false);
}

// Before a child's pipes close.
void HelperPool::unwatch(HelperChild& c) {
  if (!loop_)
    return;
  auto off = [this](int fd, bool& on) {
    if (on && fd >= 0)
      loop_->watch(fd, false, false);
    on = false;
  };
  off(c.proc->stdinFd(), c.watchIn);
  off(c.proc->stdoutFd(), c.watchOut);
  off(c.proc->stderrFd(), c.watchErr);
}

// The destructor in loop mode: the loop runs no more for the pool (the host cleared its watches
// before the plugin's destroy(), or this is the loop's own thread), so nothing can finish: every
// request still here fails, then the helpers stop as in thread mode.
void HelperPool::stopOnLoop() {
  std::vector<HelperJobPtr> late;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    stopped_ = true;
    late.swap(inbox_);
  }
  loop_->bind(nullptr);
  for (auto& c : children_)
    unwatch(*c);
  const std::string why = "the " + settings_.name + " is stopping";
  for (auto& j : late) {
    count(PoolMetric::requests);
    fail(std::move(j), why, false);
  }
  while (!queue_.empty()) {
    HelperJobPtr job = std::move(queue_.front());
    queue_.pop_front();
    fail(std::move(job), why, false);
  }
  for (auto& c : children_) {
    for (auto& [ch, job] : c->inFlight)
      if (!job->canary)
        fail(std::move(job), why, false);
    c->inFlight.clear();
  }
  stopChildren();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pids_.clear();
  }
  updateGauges();
}

// ---- the manager thread ------------------------------------------------------------------------

void HelperPool::run() {
  // A write to a helper that just died must give EPIPE here, not kill the process (the proxy
  // ignores SIGPIPE; a test binary may not).
  sigset_t pipeSet;
  sigemptyset(&pipeSet);
  sigaddset(&pipeSet, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipeSet, nullptr);

  maintain(Clock::now());
  while (true) {
    bool stop = stopping();
    step(stop);
    if (stop && idle())
      break;
    pollOnce(Clock::now());
  }
  stopChildren();
  std::vector<HelperJobPtr> late;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    late.swap(inbox_);
    pids_.clear();
  }
  for (auto& j : late) {
    count(PoolMetric::requests);
    fail(std::move(j), "the " + settings_.name + " is stopping", false);
  }
  updateGauges();
}

// One round of the manager's work, whichever drives it: take what arrived, hand queued requests
// to free children, replace dead ones, expire deadlines, keep spares.
void HelperPool::step(bool stop) {
  do {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      arrived_.swap(inbox_); // the inbox gets the emptied vector back, capacity and all
    }
    applyReleases();
    for (auto& j : arrived_)
      admit(std::move(j)); // outside the lock: admit may run a request's done
    arrived_.clear();
    dispatch();
    buryDead();
    auto now = Clock::now();
    checkDeadlines(now);
    if (!stop)
      maintain(now);
    dispatch();
    // A done() run meanwhile may have submitted again (loop mode: into the inbox).
  } while (loop_ && !inboxEmpty());
  updateGauges();
}

// When the manager must look again even if no pipe speaks: the nearest deadline, the canary's
// next try, the end of a respawn back-off; at least once a second (spare children).
HelperPool::Clock::time_point HelperPool::nextWake(Clock::time_point now) const {
  auto wakeAt = now + std::chrono::seconds(1);
  for (const auto& j : queue_)
    wakeAt = std::min(wakeAt, j->deadline);
  for (const auto& c : children_)
    for (const auto& [ch, j] : c->inFlight)
      wakeAt = std::min(wakeAt, j->deadline);
  if (canaryFailing_ && !canaryInFlight_)
    wakeAt = std::min(wakeAt, nextCanary_);
  if (!queue_.empty() && spawnNotBefore_ > now)
    wakeAt = std::min(wakeAt, spawnNotBefore_);
  return wakeAt;
}

// Sleeps until a pipe is ready, a request arrives, or the next deadline; then serves the pipes.
void HelperPool::pollOnce(Clock::time_point now) {
  auto wakeAt = nextWake(now);
  auto& fds = pollFds_; // reused: the manager allocates nothing per wake-up
  auto& owners = pollOwners_;
  fds.assign(1, pollfd{wake_, POLLIN, 0});
  owners.assign(1, {nullptr, -1});
  for (auto& c : children_) {
    if (c->dead)
      continue;
    auto watch = [&](int fd, short events, int which) {
      if (fd < 0)
        return;
      fds.push_back(pollfd{fd, events, 0});
      owners.emplace_back(c.get(), which);
    };
    if (!c->toWrite.empty())
      watch(c->proc->stdinFd(), POLLOUT, 0);
    watch(c->proc->stdoutFd(), POLLIN, 1);
    watch(c->proc->stderrFd(), POLLIN, 2);
  }
  auto waitMs = std::chrono::ceil<std::chrono::milliseconds>(wakeAt - Clock::now()).count();
  int rc = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(waitMs, 0, 1000)));
  if (rc == -1 && errno != EINTR) {
    log_(LogLevel::Error, std::string("poll: ") + std::strerror(errno));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return;
  }
  for (size_t i = 0; rc > 0 && i < fds.size(); ++i) {
    if (!fds[i].revents)
      continue;
    auto [child, which] = owners[i];
    if (!child) {
      uint64_t v;
      [[maybe_unused]] auto n = ::read(wake_, &v, sizeof v);
    } else if (child->dead) {
      continue;
    } else if (which == 0) {
      flush(*child);
    } else if (which == 1) {
      readStdout(*child);
    } else {
      readStderr(*child, false);
    }
  }
}

bool HelperPool::idle() const {
  if (!queue_.empty())
    return false;
  for (const auto& c : children_)
    for (const auto& [ch, j] : c->inFlight)
      if (!j->canary)
        return false;
  return true;
}

void HelperPool::admit(HelperJobPtr job) {
  count(PoolMetric::requests);
  if (canaryFailing_) {
    fail(std::move(job), canaryRefusal(), false);
    return;
  }
  if (job->request.conversation != 0 && settings_.concurrency > 0) {
    fail(std::move(job), "a stateful helper's conversation needs concurrency 0", false);
    return;
  }
  if (size_t max = codec_.maxRequestSize()) {
    size_t prefix = settings_.concurrency ? channelPrefix(1).size() : 0;
    if (job->request.bytes.size() + prefix > max) {
      count(PoolMetric::too_long);
      deliver(std::move(job), HelperReply{HelperReply::Status::TooLong, {}, {}, 0});
      return;
    }
  }
  bool free = job->request.continues ||
              std::any_of(children_.begin(), children_.end(),
                          [this](const HelperChildPtr& c) { return takesUnbound(*c); });
  if (!free && liveChildren() >= settings_.children) {
    if (settings_.bypass) {
      count(PoolMetric::bypassed);
      deliver(std::move(job), HelperReply{HelperReply::Status::Bypassed, {}, {}, 0});
      return;
    }
    if (queue_.size() >= settings_.queueSize) {
      count(PoolMetric::overloaded);
      fail(std::move(job), "queue full (" + std::to_string(queue_.size()) + " waiting)", false);
      return;
    }
  }
  queue_.push_back(std::move(job));
}

void HelperPool::dispatch() {
  if (canaryFailing_ && !queue_.empty()) {
    failQueue(canaryRefusal());
    return;
  }
  if (!queue_.empty() && !spawnError_.empty() && liveChildren() == 0) {
    failQueue("cannot start the helper: " + spawnError_);
    return;
  }
  // In order; a request no child can take yet waits. Once one that needs a free child waits, the
  // rest only go to the children reserved for their conversations.
  bool othersWait = false;
  for (auto it = queue_.begin(); it != queue_.end();) {
    const HelperRequest& r = (*it)->request;
    if (r.continues && !conversationChild(r.conversation)) {
      HelperJobPtr lost = std::move(*it);
      it = queue_.erase(it);
      fail(std::move(lost), "the helper that held this handshake is gone (start it again)", false);
      continue;
    }
    HelperChild* c = othersWait && !r.continues ? nullptr : pickChild(**it);
    if (!c) {
      othersWait = othersWait || !r.continues;
      if (othersWait && !anyReserved())
        break;
      ++it;
      continue;
    }
    HelperJobPtr job = std::move(*it);
    it = queue_.erase(it);
    send(*c, std::move(job));
  }
}

HelperChild* HelperPool::pickChild(const HelperJob& job) {
  if (job.request.conversation != 0) {
    if (HelperChild* own = conversationChild(job.request.conversation))
      return hasFreeSlot(*own) ? own : nullptr;
    if (job.request.continues)
      return nullptr;
  }
  HelperChild* best = nullptr;
  HelperChild* previous = nullptr;
  for (auto& c : children_) {
    if (!takesUnbound(*c))
      continue;
    if (c->id == job.lastChild) {
      previous = c.get();
      continue;
    }
    if (!best || c->inFlight.size() < best->inFlight.size())
      best = c.get();
  }
  if (best)
    return best;
  if (liveChildren() < settings_.children) {
    if (HelperChild* fresh = spawn())
      return takesUnbound(*fresh) ? fresh : nullptr;
  }
  return previous;
}

void HelperPool::send(HelperChild& c, HelperJobPtr job) {
  uint64_t key = 0;
  if (settings_.concurrency > 0) {
    key = c.nextChannel++;
    c.toWrite += channelPrefix(key);
  }
  c.toWrite += job->request.bytes;
  job->sent = Clock::now();
  if (job->request.conversation != 0) {
    c.conversation = job->request.conversation;
    c.conversationUsed = job->sent;
  }
  job->lastChild = c.id;
  if (!job->canary)
    count(PoolMetric::helper_requests);
  c.inFlight[key] = std::move(job);
  flush(c);
}

void HelperPool::flush(HelperChild& c) {
  std::string why = c.flush();
  if (!why.empty())
    logChild(LogLevel::Warn, c, "write failed: " + why);
}

void HelperPool::readStdout(HelperChild& c) {
  bool eof = c.readStdout();
  while (!c.dead) {
    std::string answer;
    FrameStatus st = codec_.frame(c.fromOut, answer);
    if (st == FrameStatus::NeedMore)
      break;
    if (st == FrameStatus::Malformed) {
      count(PoolMetric::unexpected_replies);
      logChild(LogLevel::Error, c,
               "unreadable answer, replacing the helper: " + c.fromOut.substr(0, 200));
      c.dead = true;
      break;
    }
    onAnswer(c, std::move(answer));
  }
  if (eof && !c.dead) {
    readStderr(c, true);
    c.dead = true;
  }
}

void HelperPool::readStderr(HelperChild& c, bool eof) {
  for (const auto& line : c.readStderr(eof))
    logChild(LogLevel::Warn, c, "stderr: " + line);
  if (c.errEof && c.proc->stderrFd() >= 0) {
    if (loop_ && c.watchErr) {
      loop_->watch(c.proc->stderrFd(), false, false); // before the fd goes
      c.watchErr = false;
    }
    c.proc->closeStderr();
  }
}

void HelperPool::onAnswer(HelperChild& c, std::string answer) {
  std::map<uint64_t, HelperJobPtr>::iterator it;
  if (settings_.concurrency > 0) {
    std::optional<uint64_t> channel = takeChannel(answer);
    if (!channel) {
      // Not a helper of this concurrency (or a broken one): which request the answer is for is
      // unknown, so every request it holds goes to on_error now, and it is replaced.
      count(PoolMetric::unexpected_replies);
      logChild(LogLevel::Error, c,
               "answer without a channel ID (concurrency is " +
                   std::to_string(settings_.concurrency) +
                   "), replacing the helper: " + answer.substr(0, 200));
      for (auto& [ch, job] : c.inFlight) {
        if (job->canary)
          canaryInFlight_ = false; // asked again of the next helper
        else
          fail(std::move(job), "the helper answered without a channel ID", false);
      }
      c.inFlight.clear();
      c.dead = true;
      return;
    }
    it = c.inFlight.find(*channel);
    if (it == c.inFlight.end()) {
      count(PoolMetric::unexpected_replies);
      logChild(LogLevel::Warn, c,
               "unexpected answer on channel " + std::to_string(*channel) + " dropped");
      return;
    }
  } else {
    it = c.inFlight.begin();
    if (it == c.inFlight.end()) {
      count(PoolMetric::unexpected_replies);
      logChild(LogLevel::Warn, c,
               "answer while no request was asked, dropped: " + answer.substr(0, 200));
      return;
    }
  }
  HelperJobPtr job = std::move(it->second);
  c.inFlight.erase(it);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - job->sent).count();
  count(PoolMetric::replies);
  count(PoolMetric::latency_us, us);
  if (job->canary) {
    onCanary(c, settings_.canary->holds(answer), answer.substr(0, 200));
    return;
  }
  if (std::optional<std::string> why = codec_.broken(answer)) {
    count(PoolMetric::broken);
    logChild(LogLevel::Warn, c, *why + " (for " + job->request.label + ")");
    if (job->request.conversation != 0) {
      c.conversation = 0; // the handshake is over: a new one starts on any child
      if (job->request.continues) {
        fail(std::move(job), *why + " in the middle of a handshake", false);
        return;
      }
    }
    if (job->brokenTries < 2) {
      ++job->brokenTries;
      count(PoolMetric::retries);
      queue_.push_front(std::move(job));
      return;
    }
    fail(std::move(job), *why + ", 3 tries", false);
    return;
  }
  pid_t pid = c.proc->pid();
  deliver(std::move(job), HelperReply{HelperReply::Status::Answered, std::move(answer), {}, pid});
}

void HelperPool::checkDeadlines(Clock::time_point now) {
  const std::string limit = std::to_string(settings_.timeout.count()) + "ms";
  for (auto it = queue_.begin(); it != queue_.end();) {
    if ((*it)->deadline > now) {
      ++it;
      continue;
    }
    HelperJobPtr job = std::move(*it);
    it = queue_.erase(it);
    fail(std::move(job), "no helper answered within " + limit + " (queued)", true);
  }
  for (auto& c : children_) {
    if (c->dead)
      continue;
    for (auto it = c->inFlight.begin(); it != c->inFlight.end();) {
      if (it->second->deadline > now) {
        ++it;
        continue;
      }
      HelperJobPtr job = std::move(it->second);
      it = c->inFlight.erase(it);
      if (settings_.concurrency == 0) {
        // Its late answer would be read as the next request's: replace this helper.
        logChild(LogLevel::Warn, *c, "did not answer in time, killing it");
        c->dead = true;
      }
      if (job->canary)
        onCanary(*c, false, "no answer in time");
      else
        fail(std::move(job), "the helper did not answer within " + limit, true);
    }
  }
}

void HelperPool::deliver(HelperJobPtr job, HelperReply reply) {
  HelperDone done = std::move(job->done);
  if (done)
    done(std::move(reply));
}

void HelperPool::fail(HelperJobPtr job, const std::string& why, bool timeout) {
  count(timeout ? PoolMetric::timeouts : PoolMetric::errors);
  auto status = timeout ? HelperReply::Status::TimedOut : HelperReply::Status::Failed;
  deliver(std::move(job), HelperReply{status, {}, why, 0});
}

void HelperPool::failQueue(const std::string& why) {
  while (!queue_.empty()) {
    HelperJobPtr job = std::move(queue_.front());
    queue_.pop_front();
    fail(std::move(job), why, false);
  }
}

void HelperPool::count(PoolMetric m, int64_t delta) {
  if (metrics_)
    metrics_(m, delta);
}

void HelperPool::updateGauges() {
  size_t live = 0, busy = 0, inFlight = 0;
  for (const auto& c : children_) {
    if (c->dead)
      continue;
    ++live;
    if (!c->inFlight.empty())
      ++busy;
    inFlight += c->inFlight.size();
  }
  auto set = [this](PoolMetric m, size_t value) {
    auto v = static_cast<int64_t>(value);
    int64_t& last = gaugeValues_[static_cast<size_t>(m)];
    if (last != v && metrics_)
      metrics_(m, v);
    last = v;
  };
  set(PoolMetric::queue, queue_.size());
  set(PoolMetric::in_flight, inFlight);
  set(PoolMetric::children, live);
  set(PoolMetric::busy, busy);
  set(PoolMetric::idle, live - busy);
  set(PoolMetric::canary_failing, canaryFailing_ ? 1 : 0);
}

} // namespace exaproxy::common
