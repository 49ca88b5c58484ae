// Sampler: once a second, on its own thread, reads the counters (relaxed atomics, no loop is
// involved) and keeps the last 5 minutes of rates, so that the page's graphs are full the moment
// it opens and /api/v1/stats can give rates. DNS statistics and the worker pool are asked for only
// while someone uses the interface (a request in the last 5 minutes): a DNS snapshot is a message
// to every loop, which an idle interface should not cost the data plane.
#pragma once

#include "ui/ui_sources.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace exaproxy::ui {

// One point of every graph: rates over the interval that ended at unixMs, gauges at unixMs.
// Optional fields are absent when the source is (no worker pool) or was not asked (idle UI).
struct Point {
  int64_t unixMs = 0;
  double requestsPerSec = 0;
  double errorsPerSec = 0; // 4xx + 5xx responses and refused/failed requests
  double bytesFromClientsPerSec = 0;
  double bytesToClientsPerSec = 0;
  uint64_t connections = 0;          // client connections open
  uint64_t tunnels = 0;              // CONNECT tunnels open
  std::optional<double> dnsHitRatio; // hits / lookups in the interval; none if no lookup
  std::optional<double> dnsLookupsPerSec;
  std::optional<uint64_t> workers;     // worker pool threads
  std::optional<uint64_t> workerQueue; // tasks waiting
  std::optional<double> queueWaitP90Ms;
};

// A raw reading, kept to compute rates.
struct Sample {
  int64_t unixMs = 0;
  CounterValues counters;
  std::optional<DnsInfo> dns; // without entries
  std::optional<WorkerPoolInfo> workers;
};

class Sampler {
public:
  static constexpr size_t kHistory = 300;       // points: 5 minutes at one a second
  static constexpr int64_t kActiveMs = 300'000; // DNS/workers are sampled this long after a request

  // sources must outlive the sampler.
  explicit Sampler(const UiSources& sources);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Starts/stops the 1 s thread. stop() returns at once (the thread is woken) and is idempotent.
  void start();
  void stop();

  // Takes one sample now, stamped unixMs (the thread calls it; tests call it with their clock).
  void sampleOnce(int64_t unixMs);
  // Any thread: an interface request arrived.
  void noteActivity(int64_t unixMs);

  // Any thread: the points after sinceMs (all of them for 0), oldest first.
  std::vector<Point> history(int64_t sinceMs = 0) const;
  // Any thread: the last two samples (previous, latest), if there are two.
  std::optional<std::pair<Sample, Sample>> lastTwo() const;
  std::optional<Sample> latest() const;

private:
  void run();
  bool active(int64_t unixMs) const;

  const UiSources& sources_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<Point> points_;
  std::optional<Sample> previous_, latest_;
  int64_t lastActivityMs_ = INT64_MIN / 2;
  std::thread thread_;
};

} // namespace exaproxy::ui
