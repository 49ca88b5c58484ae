#include "proxy/denial_log.h"

#include <algorithm>
#include <vector>

namespace exaproxy::proxy {

DenialSummary& DenialSummary::instance() {
  static DenialSummary s;
  return s;
}

void DenialSummary::record(std::string_view key) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (now - windowStart_ >= window_)
    flushLocked(now);
  auto it = counts_.find(key);
  if (it == counts_.end())
    it = counts_.emplace(counts_.size() < kMaxKeys ? std::string(key) : std::string("other"), 0)
             .first;
  ++it->second;
  ++total_;
}

std::string DenialSummary::flushIfDue() {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  return now - windowStart_ >= window_ ? flushLocked(now) : std::string();
}

std::string DenialSummary::flushLocked(std::chrono::steady_clock::time_point now) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - windowStart_).count();
  windowStart_ = now;
  if (total_ == 0)
    return {};
  std::vector<std::pair<std::string, uint64_t>> top(counts_.begin(), counts_.end());
  std::sort(top.begin(), top.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string list;
  for (size_t i = 0; i < top.size() && i < 5; ++i)
    list += (i ? "," : "") + ("\"" + top[i].first + "\":" + std::to_string(top[i].second));
  std::string line =
      fmt::format("requests.denied count={} seconds={} top={} (each one is in the access log)",
                  total_, seconds, list);
  proxyLog()->info("{}", line);
  counts_.clear();
  total_ = 0;
  return line;
}

} // namespace exaproxy::proxy
