// Per-request refusals (the parser's 400s, the ACLs', ports' and local destinations' 403s, the
// plugins' denials, the per-client cap) are the access log's business. In the daemon log each is
// a debug line only; at info level the daemon log gets one summary per 10 s,
//   requests.denied count=412 seconds=10 top="destination.denied: port not in
//   connect_ports":400,...
// so that an attack neither floods the log nor pushes the start-up and plugin events out of the
// web interface's ring.
#pragma once

#include "proxy/proxy_log.h"

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace exaproxy::proxy {

class DenialSummary {
public:
  static DenialSummary& instance();
  explicit DenialSummary(std::chrono::milliseconds window = kWindow) : window_(window) {}

  // Counts one refusal under `key` (a short, bounded set: an event and a fixed reason, never a
  // URL or an address). Thread-safe.
  void record(std::string_view key);
  // Writes the summary of the window that ended, if one did and it counted something. Called by
  // record() and once a second by a loop's timer (proxy/server.cpp), so a burst's summary comes
  // even when the refusals stop.
  // Returns the line written (empty: none was due or nothing was counted).
  std::string flushIfDue();

  static constexpr std::chrono::seconds kWindow{10};
  static constexpr size_t kMaxKeys = 64; // further keys count as "other"

private:
  std::string flushLocked(std::chrono::steady_clock::time_point now);

  const std::chrono::milliseconds window_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point windowStart_ = std::chrono::steady_clock::now();
  std::map<std::string, uint64_t, std::less<>> counts_;
  uint64_t total_ = 0;
};

// The refusal's own line, at debug level, and its count in the summary.
template <typename... Args>
void logDenial(std::string_view key, spdlog::format_string_t<Args...> fmt, Args&&... args) {
  auto& log = proxyLog();
  if (log->should_log(spdlog::level::debug))
    log->debug(fmt, std::forward<Args>(args)...);
  DenialSummary::instance().record(key);
}

} // namespace exaproxy::proxy
