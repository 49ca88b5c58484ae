#include "helper_pool.h"

#include "helper_process.h"

#include <exaproxy/text.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace exaproxy::redirector {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxStderrLine = 1000;
constexpr auto kQuickDeath = std::chrono::seconds(1);
constexpr auto kMaxBackoff = std::chrono::seconds(10);

// A RequestInfo for the canary URL ("http://..." or "host:port").
RequestInfo canaryRequest(const Config& c) {
  RequestInfo r;
  r.url = c.canary;
  r.client = c.canaryClient;
  r.listenerIp = "127.0.0.1";
  size_t scheme = c.canary.find("://");
  if (scheme == std::string::npos) {
    r.method = "CONNECT";
    r.isConnect = true;
    splitAuthority(c.canary, r.host, r.port);
    return r;
  }
  r.method = "GET";
  std::string rest = c.canary.substr(scheme + 3);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  r.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!splitAuthority(authority, r.host, r.port)) {
    r.host = authority;
    r.port = 80;
  }
  r.headers.emplace_back("Host", authority);
  return r;
}

Metric metricFor(Decision::Kind k) {
  switch (k) {
  case Decision::Kind::Rewrite:
    return Metric::rewritten;
  case Decision::Kind::Route:
    return Metric::routed;
  case Decision::Kind::Redirect:
    return Metric::redirected;
  case Decision::Kind::Respond:
    return Metric::responded;
  case Decision::Kind::Deny:
    return Metric::denied;
  default:
    return Metric::allowed;
  }
}

} // namespace

HelperPool::HelperPool(Config config, Log log, Metrics& metrics)
    : config_(std::move(config)), protocol_(makeProtocol(config_)), log_(std::move(log)),
      metrics_(metrics) {
  wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_ == -1)
    throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  canaryState_ = config_.canary.empty() ? "off" : "unchecked";
  thread_ = std::thread([this] { run(); });
}

HelperPool::~HelperPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
  if (thread_.joinable())
    thread_.join();
  ::close(wake_);
}

void HelperPool::submit(RequestInfo request, Done done) {
  auto job = std::make_unique<Job>();
  job->info = std::move(request);
  job->done = std::move(done);
  job->deadline = Clock::now() + config_.timeout;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopped_) {
      inbox_.push_back(std::move(job));
      uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
      return;
    }
  }
  metrics_.add(Metric::requests);
  fail(std::move(job), "the redirector is stopping", false);
}

std::vector<pid_t> HelperPool::childPids() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pids_;
}

std::string HelperPool::statusJson() const {
  auto g = [this](Metric m) { return std::to_string(metrics_.get(m)); };
  std::string canary;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    canary = canaryState_;
  }
  int64_t replies = metrics_.get(Metric::replies);
  int64_t avgUs = replies ? metrics_.get(Metric::latency_us) / replies : 0;
  std::string s = "{\"protocol\":\"" + std::string(toString(config_.protocol)) + "\"";
  s += ",\"program\":" + sdk::jsonString(config_.program.empty() ? "" : config_.program[0]);
  s += ",\"children\":{\"running\":" + g(Metric::children) + ",\"busy\":" + g(Metric::busy) +
       ",\"idle\":" + g(Metric::idle) + ",\"max\":" + std::to_string(config_.children) +
       ",\"concurrency\":" + std::to_string(config_.concurrency) + "}";
  s += ",\"queue\":" + g(Metric::queue) + ",\"in_flight\":" + g(Metric::in_flight);
  s += ",\"latency_avg_ms\":" + std::to_string(static_cast<double>(avgUs) / 1000.0);
  s += ",\"canary\":\"" + canary + "\"";
  s += ",\"counters\":{";
  bool first = true;
  for (size_t i = 0; i < kMetrics.size(); ++i) {
    if (kMetrics[i].gauge)
      continue;
    if (!first)
      s += ',';
    first = false;
    s += "\"" + std::string(kMetrics[i].name) + "\":" + g(static_cast<Metric>(i));
  }
  s += "}}";
  return s;
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
  std::vector<pollfd> fds;
  std::vector<std::pair<Child*, int>> owners; // (child, 0 stdin / 1 stdout / 2 stderr)
  while (true) {
    bool stopping;
    std::vector<JobPtr> arrived;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping = stopping_;
      arrived.swap(inbox_);
    }
    for (auto& j : arrived)
      admit(std::move(j)); // outside the lock: admit may run a request's done
    dispatch();
    buryDead();
    auto now = Clock::now();
    checkDeadlines(now);
    if (!stopping)
      maintain(now);
    dispatch();
    updateGauges();
    if (stopping && idle())
      break;

    // Sleep until a pipe is ready, a request arrives, or the next deadline.
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
    fds.clear();
    owners.clear();
    fds.push_back(pollfd{wake_, POLLIN, 0});
    owners.emplace_back(nullptr, -1);
    for (auto& c : children_) {
      if (c->dead)
        continue;
      if (c->proc->stdinFd() >= 0 && !c->toWrite.empty()) {
        fds.push_back(pollfd{c->proc->stdinFd(), POLLOUT, 0});
        owners.emplace_back(c.get(), 0);
      }
      if (c->proc->stdoutFd() >= 0) {
        fds.push_back(pollfd{c->proc->stdoutFd(), POLLIN, 0});
        owners.emplace_back(c.get(), 1);
      }
      if (c->proc->stderrFd() >= 0) {
        fds.push_back(pollfd{c->proc->stderrFd(), POLLIN, 0});
        owners.emplace_back(c.get(), 2);
      }
    }
    auto waitMs = std::chrono::ceil<std::chrono::milliseconds>(wakeAt - Clock::now()).count();
    int rc = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(waitMs, 0, 1000)));
    if (rc == -1 && errno != EINTR) {
      log_(LogLevel::Error, std::string("poll: ") + std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (rc <= 0)
      continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!fds[i].revents)
        continue;
      auto [child, which] = owners[i];
      if (!child) {
        uint64_t v;
        [[maybe_unused]] auto n = ::read(wake_, &v, sizeof v);
        continue;
      }
      if (child->dead)
        continue;
      if (which == 0)
        flush(*child);
      else if (which == 1)
        readStdout(*child);
      else
        readStderr(*child, false);
    }
  }
  stopChildren();
  std::vector<JobPtr> late;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    late.swap(inbox_);
    pids_.clear();
  }
  for (auto& j : late) {
    metrics_.add(Metric::requests);
    fail(std::move(j), "the redirector is stopping", false);
  }
  updateGauges();
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

void HelperPool::admit(JobPtr job) {
  metrics_.add(Metric::requests);
  if (canaryFailing_) {
    fail(std::move(job),
         "the helper failed its canary (" + config_.canary +
             " was not rewritten): it is failing open",
         false);
    return;
  }
  if (size_t max = protocol_->maxRequestSize()) {
    if (protocol_
            ->encode(job->info, config_.concurrency ? std::optional<uint64_t>(1) : std::nullopt)
            .size() > max) {
      metrics_.add(Metric::too_long);
      Decision d = Decision::make(Decision::Kind::Deny);
      d.status = 414;
      d.reason = "request too long for the redirector's helper";
      finish(std::move(job), std::move(d));
      return;
    }
  }
  bool free = std::any_of(children_.begin(), children_.end(),
                          [this](const ChildPtr& c) { return !c->dead && hasFreeSlot(*c); });
  if (!free && liveChildren() >= config_.children) {
    if (config_.bypass) {
      metrics_.add(Metric::bypassed);
      finish(std::move(job), Decision::pass());
      return;
    }
    if (queue_.size() >= config_.queueSize) {
      metrics_.add(Metric::overloaded);
      fail(std::move(job), "queue full (" + std::to_string(queue_.size()) + " waiting)", false);
      return;
    }
  }
  queue_.push_back(std::move(job));
}

bool HelperPool::hasFreeSlot(const Child& c) const {
  if (c.dead || c.proc->stdinFd() < 0)
    return false;
  return config_.concurrency == 0 ? c.inFlight.empty() : c.inFlight.size() < config_.concurrency;
}

size_t HelperPool::liveChildren() const {
  return static_cast<size_t>(std::count_if(children_.begin(), children_.end(),
                                           [](const ChildPtr& c) { return !c->dead; }));
}

void HelperPool::dispatch() {
  if (canaryFailing_ && !queue_.empty()) {
    failQueue("the helper failed its canary (" + config_.canary +
              " was not rewritten): it is failing open");
    return;
  }
  if (!queue_.empty() && !spawnError_.empty() && liveChildren() == 0) {
    failQueue("cannot start the helper: " + spawnError_);
    return;
  }
  while (!queue_.empty()) {
    Child* c = pickChild(*queue_.front());
    if (!c)
      break;
    JobPtr job = std::move(queue_.front());
    queue_.pop_front();
    send(*c, std::move(job));
  }
}

HelperPool::Child* HelperPool::pickChild(const Job& job) {
  Child* best = nullptr;
  Child* previous = nullptr;
  for (auto& c : children_) {
    if (!hasFreeSlot(*c))
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
  if (liveChildren() < config_.children) {
    if (Child* fresh = spawn())
      return hasFreeSlot(*fresh) ? fresh : nullptr;
  }
  return previous;
}

HelperPool::Child* HelperPool::spawn() {
  auto now = Clock::now();
  if (now < spawnNotBefore_)
    return nullptr;
  auto c = std::make_unique<Child>();
  c->proc = std::make_unique<common::HelperProcess>(config_.program);
  if (!c->proc->ok() || !c->proc->error().empty()) {
    metrics_.add(Metric::spawn_failures);
    log_(LogLevel::Error, "cannot start helper " + config_.program[0] + ": " + c->proc->error());
    spawnNotBefore_ = now + kMaxBackoff;
    spawnError_ = c->proc->error();
    if (liveChildren() == 0)
      failQueue("cannot start the helper: " + spawnError_);
    return nullptr;
  }
  spawnError_.clear();
  c->id = nextChildId_++;
  c->started = now;
  metrics_.add(Metric::spawns);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pids_.push_back(c->proc->pid());
  }
  logChild(LogLevel::Info, *c, "started");
  children_.push_back(std::move(c));
  Child* child = children_.back().get();
  if (!config_.canary.empty())
    startCanary(*child);
  return child;
}

void HelperPool::send(Child& c, JobPtr job) {
  std::optional<uint64_t> channel;
  uint64_t key = 0;
  if (config_.concurrency > 0) {
    key = c.nextChannel++;
    channel = key;
  }
  c.toWrite += protocol_->encode(job->info, channel);
  job->sent = Clock::now();
  job->lastChild = c.id;
  if (!job->canary)
    metrics_.add(Metric::helper_requests);
  c.inFlight[key] = std::move(job);
  flush(c);
}

void HelperPool::flush(Child& c) {
  while (!c.toWrite.empty() && !c.dead) {
    ssize_t n = ::write(c.proc->stdinFd(), c.toWrite.data(), c.toWrite.size());
    if (n > 0) {
      c.toWrite.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n == -1 && errno == EINTR)
      continue;
    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return; // poll() waits for POLLOUT
    if (n == -1 && errno == EPIPE) {
      // Clear the SIGPIPE this thread has pending (blocked above).
      sigset_t pipeSet;
      sigemptyset(&pipeSet);
      sigaddset(&pipeSet, SIGPIPE);
      timespec zero{0, 0};
      sigtimedwait(&pipeSet, nullptr, &zero);
    }
    logChild(LogLevel::Warn, c, std::string("write failed: ") + std::strerror(errno));
    c.dead = true;
  }
}

void HelperPool::readStdout(Child& c) {
  char buf[kReadChunk];
  bool eof = false;
  for (int round = 0; round < 4; ++round) {
    ssize_t n = ::read(c.proc->stdoutFd(), buf, sizeof buf);
    if (n > 0) {
      c.fromOut.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf)
        break;
      continue;
    }
    if (n == -1 && errno == EINTR)
      continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
      eof = true;
    break;
  }
  while (!c.dead) {
    RawReply reply;
    FrameStatus st = protocol_->extract(c.fromOut, config_.concurrency > 0, reply);
    if (st == FrameStatus::NeedMore)
      break;
    if (st == FrameStatus::Malformed) {
      metrics_.add(Metric::unexpected_replies);
      logChild(LogLevel::Error, c,
               "unreadable answer, replacing the helper: " + c.fromOut.substr(0, 200));
      c.dead = true;
      break;
    }
    onReply(c, reply);
  }
  if (eof && !c.dead) {
    readStderr(c, true);
    c.dead = true;
  }
}

void HelperPool::readStderr(Child& c, bool eof) {
  char buf[4096];
  while (c.proc->stderrFd() >= 0) {
    ssize_t n = ::read(c.proc->stderrFd(), buf, sizeof buf);
    if (n > 0) {
      c.fromErr.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == -1 && errno == EINTR)
      continue;
    if (n == 0)
      c.proc->closeStderr(); // the helper closed stderr; stdout decides whether it lives
    break;
  }
  size_t lf;
  while ((lf = c.fromErr.find('\n')) != std::string::npos || c.fromErr.size() > kMaxStderrLine ||
         (eof && !c.fromErr.empty())) {
    size_t end = lf == std::string::npos ? std::min(c.fromErr.size(), kMaxStderrLine) : lf;
    std::string line = c.fromErr.substr(0, std::min(end, kMaxStderrLine));
    c.fromErr.erase(0, lf == std::string::npos ? end : lf + 1);
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!line.empty())
      logChild(LogLevel::Warn, c, "stderr: " + line);
  }
}

void HelperPool::onReply(Child& c, const RawReply& reply) {
  std::map<uint64_t, JobPtr>::iterator it;
  if (config_.concurrency > 0) {
    if (!reply.channel) {
      metrics_.add(Metric::unexpected_replies);
      logChild(LogLevel::Warn, c, "answer without a channel ID dropped: " + reply.text);
      return;
    }
    it = c.inFlight.find(*reply.channel);
    if (it == c.inFlight.end()) {
      metrics_.add(Metric::unexpected_replies);
      logChild(LogLevel::Warn, c,
               "unexpected answer on channel " + std::to_string(*reply.channel) + " dropped");
      return;
    }
  } else {
    it = c.inFlight.begin();
    if (it == c.inFlight.end()) {
      metrics_.add(Metric::unexpected_replies);
      logChild(LogLevel::Warn, c,
               "answer while no request was asked, dropped: " + reply.text.substr(0, 200));
      return;
    }
  }
  JobPtr job = std::move(it->second);
  c.inFlight.erase(it);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - job->sent).count();
  metrics_.add(Metric::replies);
  metrics_.add(Metric::latency_us, us);
  maxLatencyUs_ = std::max<int64_t>(maxLatencyUs_, us);
  Decision d = protocol_->decide(reply, job->info);
  if (job->canary) {
    onCanary(c, d, reply.text.substr(0, 200));
    return;
  }
  if (!d.warning.empty())
    logChild(LogLevel::Warn, c, d.warning + " (for " + job->info.url + ")");
  switch (d.kind) {
  case Decision::Kind::Broken:
    metrics_.add(Metric::broken);
    logChild(LogLevel::Warn, c, d.reason + " (for " + job->info.url + ")");
    if (job->brokenTries < 2) {
      ++job->brokenTries;
      metrics_.add(Metric::retries);
      queue_.push_front(std::move(job));
      return;
    }
    fail(std::move(job), d.reason + ", 3 tries", false);
    return;
  case Decision::Kind::Error:
    logChild(LogLevel::Warn, c, d.reason);
    fail(std::move(job), d.reason, false);
    return;
  default:
    finish(std::move(job), std::move(d));
  }
}

void HelperPool::buryDead() {
  auto now = Clock::now();
  for (auto it = children_.begin(); it != children_.end();) {
    Child& c = **it;
    if (!c.dead) {
      ++it;
      continue;
    }
    readStderr(c, true);
    c.proc->killAndReap();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pids_.erase(std::remove(pids_.begin(), pids_.end(), c.proc->pid()), pids_.end());
    }
    bool stopping;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping = stopping_;
    }
    logChild(stopping ? LogLevel::Info : LogLevel::Warn, c,
             "ended (" + c.proc->describeExit() + ")" +
                 (c.inFlight.empty()
                      ? std::string()
                      : ", " + std::to_string(c.inFlight.size()) + " request(s) in flight"));
    if (!stopping)
      metrics_.add(Metric::respawns);
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
        continue;
      }
      if (!job->crashRetried) {
        job->crashRetried = true;
        metrics_.add(Metric::retries);
        queue_.push_front(std::move(job));
      } else {
        fail(std::move(job), "the helper died twice while answering", false);
      }
    }
    it = children_.erase(it);
  }
}

void HelperPool::checkDeadlines(Clock::time_point now) {
  for (auto it = queue_.begin(); it != queue_.end();) {
    if ((*it)->deadline <= now) {
      JobPtr job = std::move(*it);
      it = queue_.erase(it);
      fail(std::move(job),
           "no helper answered within " + std::to_string(config_.timeout.count()) + "ms (queued)",
           true);
    } else {
      ++it;
    }
  }
  for (auto& c : children_) {
    if (c->dead)
      continue;
    for (auto it = c->inFlight.begin(); it != c->inFlight.end();) {
      if (it->second->deadline > now) {
        ++it;
        continue;
      }
      JobPtr job = std::move(it->second);
      it = c->inFlight.erase(it);
      if (config_.concurrency == 0) {
        // Its late answer would be read as the next request's: replace this helper.
        logChild(LogLevel::Warn, *c, "did not answer in time, killing it");
        c->dead = true;
      }
      if (job->canary) {
        onCanary(*c, Decision::pass(), "no answer in time");
        continue;
      }
      fail(std::move(job),
           "the helper did not answer within " + std::to_string(config_.timeout.count()) + "ms",
           true);
    }
  }
}

void HelperPool::maintain(Clock::time_point now) {
  if (now < spawnNotBefore_)
    return;
  while (liveChildren() < config_.startup)
    if (!spawn())
      return;
  auto idleCount = [this] {
    return static_cast<size_t>(
        std::count_if(children_.begin(), children_.end(),
                      [](const ChildPtr& c) { return !c->dead && c->inFlight.empty(); }));
  };
  while (idleCount() < config_.idle && liveChildren() < config_.children)
    if (!spawn())
      return;
  if (canaryFailing_ && !canaryInFlight_ && now >= nextCanary_) {
    nextCanary_ = now + config_.canaryInterval;
    for (auto& c : children_) {
      if (hasFreeSlot(*c)) {
        startCanary(*c);
        return;
      }
    }
    if (liveChildren() < config_.children)
      spawn(); // starts its own canary
  }
}

void HelperPool::startCanary(Child& c) {
  auto job = std::make_unique<Job>();
  job->info = canaryRequest(config_);
  job->canary = true;
  job->deadline = Clock::now() + config_.timeout;
  canaryInFlight_ = true;
  send(c, std::move(job));
}

void HelperPool::onCanary(Child& c, const Decision& d, const std::string& why) {
  canaryInFlight_ = false;
  metrics_.add(Metric::canary_checks);
  bool rewritten = d.kind != Decision::Kind::Continue && d.kind != Decision::Kind::Broken &&
                   d.kind != Decision::Kind::Error;
  if (rewritten) {
    if (canaryFailing_)
      logChild(LogLevel::Warn, c, "canary " + config_.canary + " is rewritten again: resuming");
    canaryFailing_ = false;
    std::lock_guard<std::mutex> lock(mutex_);
    canaryState_ = "ok";
    return;
  }
  metrics_.add(Metric::canary_failures);
  logChild(LogLevel::Error, c,
           "canary " + config_.canary + " was not rewritten (answer: " + why +
               "): the helper lets everything through (squidGuard emergency mode after a "
               "configuration error?); requests get the on_error policy until it is fixed");
  canaryFailing_ = true;
  nextCanary_ = Clock::now() + config_.canaryInterval;
  std::lock_guard<std::mutex> lock(mutex_);
  canaryState_ = "failing";
}

void HelperPool::finish(JobPtr job, Decision d) {
  metrics_.add(metricFor(d.kind));
  Done done = std::move(job->done);
  if (done)
    done(std::move(d));
}

void HelperPool::fail(JobPtr job, const std::string& why, bool timeout) {
  bool allow = timeout ? config_.allowOnTimeout : config_.allowOnError;
  metrics_.add(timeout ? Metric::timeouts : Metric::errors);
  log_(LogLevel::Warn, std::string(timeout ? "timeout" : "error") + " for " + job->info.url + ": " +
                           why + " -> " + (allow ? "allow" : "deny"));
  Decision d;
  if (!allow) {
    d = Decision::make(Decision::Kind::Deny);
    d.status = 503;
    d.reason = "redirector: " + why;
  }
  d.timedOut = timeout;
  Done done = std::move(job->done);
  if (done)
    done(std::move(d));
}

void HelperPool::failQueue(const std::string& why) {
  while (!queue_.empty()) {
    JobPtr job = std::move(queue_.front());
    queue_.pop_front();
    fail(std::move(job), why, false);
  }
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
  metrics_.set(Metric::queue, static_cast<int64_t>(queue_.size()));
  metrics_.set(Metric::in_flight, static_cast<int64_t>(inFlight));
  metrics_.set(Metric::children, static_cast<int64_t>(live));
  metrics_.set(Metric::busy, static_cast<int64_t>(busy));
  metrics_.set(Metric::idle, static_cast<int64_t>(live - busy));
  metrics_.set(Metric::canary_failing, canaryFailing_ ? 1 : 0);
}

void HelperPool::stopChildren() {
  // EOF first: squidGuard and Squid's helpers exit at the end of their input.
  for (auto& c : children_)
    c->proc->closeStdin();
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

void HelperPool::logChild(LogLevel level, const Child& c, const std::string& what) {
  log_(level,
       "helper " + config_.program[0] + " pid=" + std::to_string(c.proc->pid()) + ": " + what);
}

} // namespace exaproxy::redirector
