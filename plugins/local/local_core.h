// The local plugin's logic, without the ABI: finds the first rule matching a request and builds the
// answer. match() and the answers of template, generate and deny rules never touch the disk (hook
// safe); file and directory rules do (touchesDisk()), and the glue runs those on the worker pool.
#pragma once

#include "generators.h"
#include "local_answer.h"
#include "local_config.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace exaproxy::local {

// Counters shared by every loop and worker; they survive reconfiguration.
struct LocalStats {
  std::atomic<uint64_t> files{0};       // 200 with a file
  std::atomic<uint64_t> notModified{0}; // 304
  std::atomic<uint64_t> pages{0};       // template pages
  std::atomic<uint64_t> generated{0};   // PAC and status documents
  std::atomic<uint64_t> denied{0};      // deny rules and refusals (404, 403, 405, 400)
  std::atomic<uint64_t> traversal{0};   // paths refused for leaving a served tree
  std::atomic<uint64_t> notFound{0};    // 404 among the refusals
  StatusCounts snapshot() const;

  // Mirrors every increment to the host's metrics (set once, before any request; THREAD: any).
  // The argument is the counter's name as /metrics shows it.
  std::function<void(std::string_view)> observer;

  void bump(std::atomic<uint64_t> LocalStats::*counter);
};

class LocalCore {
public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  LocalCore(LocalConfigPtr config, std::shared_ptr<LocalStats> stats, Clock clock = {});

  // THREAD: any. The first rule matching req, or nullptr. CONNECT requests never match.
  const LocalRule* match(const LocalRequest& req) const;

  // Whether answer() for this rule reads the disk (run it on the worker pool).
  static bool touchesDisk(const LocalRule& rule) {
    return rule.action == RuleAction::File || rule.action == RuleAction::Directory;
  }

  // THREAD: any. The answer of a matched rule; counts it.
  LocalAnswer answer(const LocalRule& rule, const LocalRequest& req) const;

  // The variables a template page adds to the host's (status, reason, detail, url, host, method,
  // client, user, proxy, time, plugin): {{rule}}, and {{proxy}} when [local] name is set.
  std::vector<std::pair<std::string, std::string>> pageVariables(const LocalRule& rule) const;

  const LocalConfig& config() const { return *config_; }
  LocalStats& stats() const { return *stats_; }

private:
  // The URL path under the rule's prefix (the whole path when the rule has no prefix).
  static std::string_view remainder(const LocalRule& rule, const LocalRequest& req);
  LocalAnswer generate(const LocalRule& rule, const LocalRequest& req) const;
  void count(const LocalAnswer& a) const;

  LocalConfigPtr config_;
  std::shared_ptr<LocalStats> stats_;
  Clock clock_;
};

} // namespace exaproxy::local
