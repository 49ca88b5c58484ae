#include "ui/sampler.h"

#include "core/logging.h"

#include <chrono>
#include <exception>

namespace exaproxy::ui {

namespace {

// Per second over dtMs; a counter that went backwards (it never should) counts as 0.
double rate(uint64_t now, uint64_t before, int64_t dtMs) {
  if (dtMs <= 0 || now < before)
    return 0;
  return static_cast<double>(now - before) * 1000.0 / static_cast<double>(dtMs);
}

uint64_t errorSum(const CounterValues& c) {
  return c.responses_4xx + c.responses_5xx + c.parse_errors + c.denied + c.connections_refused +
         c.upstream_connect_errors + c.dns_errors;
}

Point pointBetween(const Sample* before, const Sample& now) {
  Point p;
  p.unixMs = now.unixMs;
  p.connections = now.counters.connections_active;
  p.tunnels = now.counters.tunnels_active;
  if (now.workers) {
    p.workers = now.workers->size;
    p.workerQueue = now.workers->queued;
    p.queueWaitP90Ms = now.workers->queueWaitP90Ms;
  }
  if (!before)
    return p;
  int64_t dt = now.unixMs - before->unixMs;
  const auto& a = before->counters;
  const auto& b = now.counters;
  p.requestsPerSec = rate(b.requests, a.requests, dt);
  p.errorsPerSec = rate(errorSum(b), errorSum(a), dt);
  p.bytesFromClientsPerSec = rate(b.bytes_from_clients, a.bytes_from_clients, dt);
  p.bytesToClientsPerSec = rate(b.bytes_to_clients, a.bytes_to_clients, dt);
  if (before->dns && now.dns) {
    uint64_t hits = now.dns->cacheHits - std::min(now.dns->cacheHits, before->dns->cacheHits);
    uint64_t misses =
        now.dns->cacheMisses - std::min(now.dns->cacheMisses, before->dns->cacheMisses);
    p.dnsLookupsPerSec = rate(now.dns->cacheHits + now.dns->cacheMisses,
                              before->dns->cacheHits + before->dns->cacheMisses, dt);
    if (hits + misses > 0)
      p.dnsHitRatio = static_cast<double>(hits) / static_cast<double>(hits + misses);
  }
  return p;
}

} // namespace

Sampler::Sampler(const UiSources& sources) : sources_(sources) {}

Sampler::~Sampler() { stop(); }

void Sampler::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable())
    return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Sampler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
    thread_.join();
}

void Sampler::run() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    try {
      sampleOnce(nowUnixMs());
    } catch (const std::exception& e) {
      // A source that throws loses one point, never the thread.
      logger("ui")->warn("ui.sample_failed reason=\"{}\"", e.what());
    }
    next += std::chrono::seconds(1);
    std::unique_lock lock(mutex_);
    if (wake_.wait_until(lock, next, [this] { return stopping_; }))
      return;
  }
}

void Sampler::noteActivity(int64_t unixMs) {
  std::lock_guard lock(mutex_);
  lastActivityMs_ = unixMs;
}

bool Sampler::active(int64_t unixMs) const {
  std::lock_guard lock(mutex_);
  return unixMs - lastActivityMs_ < kActiveMs;
}

void Sampler::sampleOnce(int64_t unixMs) {
  // Read the sources without holding the lock: the DNS snapshot may wait up to 500 ms.
  Sample s;
  s.unixMs = unixMs;
  if (sources_.counters)
    s.counters = sources_.counters();
  if (active(unixMs)) {
    if (sources_.dns) {
      s.dns = sources_.dns();
      s.dns->entries.clear(); // only the totals are kept
    }
    if (sources_.workers)
      s.workers = sources_.workers();
  }
  std::lock_guard lock(mutex_);
  Point p = pointBetween(latest_ ? &*latest_ : nullptr, s);
  previous_ = std::move(latest_);
  latest_ = std::move(s);
  points_.push_back(p);
  while (points_.size() > kHistory)
    points_.pop_front();
}

std::vector<Point> Sampler::history(int64_t sinceMs) const {
  std::lock_guard lock(mutex_);
  std::vector<Point> out;
  for (const auto& p : points_)
    if (p.unixMs > sinceMs)
      out.push_back(p);
  return out;
}

std::optional<std::pair<Sample, Sample>> Sampler::lastTwo() const {
  std::lock_guard lock(mutex_);
  if (!previous_ || !latest_)
    return std::nullopt;
  return std::make_pair(*previous_, *latest_);
}

std::optional<Sample> Sampler::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

} // namespace exaproxy::ui
