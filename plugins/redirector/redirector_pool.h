// RedirectorPool: the redirector's helpers. The processes, the queue, timeouts, retries, respawns
// and the canary are the shared common::HelperPool (plugins/common/helper_pool.h); this class
// gives it the configured dialect (HelperProtocol), encodes each request, turns each answer into a
// Decision, applies on_error / on_timeout, counts the decisions and writes the status JSON.
#pragma once

#include "decision.h"
#include "helper_pool.h"
#include "helper_protocol.h"
#include "redirector_config.h"
#include "redirector_metrics.h"

#include <functional>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace exaproxy::redirector {

using LogLevel = common::LogLevel;

class RedirectorPool {
public:
  // Runs once per request with the final decision. Policies are already applied: never Broken
  // or Error (a failed request becomes Continue or Deny 503 per on_error / on_timeout).
  using Done = std::function<void(Decision)>;
  using Log = common::HelperPool::Log;

  // Starts the helpers, on `loop` when given (the host's event loop, ABI 1.4) or on the pool's
  // own manager thread. `log`, `metrics` and `loop` must outlive the pool; `log` and `metrics`
  // are used from the manager thread (the loop's, in loop mode).
  RedirectorPool(Config config, Log log, Metrics& metrics, common::HelperLoop* loop = nullptr);
  // Stops taking requests, lets the queued and in-flight ones finish, then stops the helpers.
  ~RedirectorPool() = default;
  RedirectorPool(const RedirectorPool&) = delete;
  RedirectorPool& operator=(const RedirectorPool&) = delete;

  // Any thread (the request's loop): encodes the request. `done` runs later on the manager
  // thread (or inline once the pool is stopping).
  void submit(RequestInfo request, Done done);

  // Any thread: JSON for the UI.
  std::string statusJson() const;
  // Any thread: the pids of the running children (tests kill them).
  std::vector<pid_t> childPids() const { return pool_->childPids(); }
  // Whether the helpers' pipes are served on the host's loop (else on a thread of the pool).
  bool onLoop() const { return pool_->onLoop(); }

  const Config& config() const { return config_; }

private:
  common::HelperPoolSettings settings() const;
  Decision decide(const RequestInfo& info, common::HelperReply reply);
  Decision applyPolicy(const RequestInfo& info, const std::string& why, bool timeout);
  void logHelper(LogLevel level, pid_t pid, const std::string& what);

  const Config config_;
  const HelperProtocolPtr protocol_;
  const RequestInfo canary_; // the canary URL as a request (unused without one)
  Log log_;
  Metrics& metrics_;
  // Last: destroyed first, so the requests it drains still find everything above.
  std::unique_ptr<common::HelperPool> pool_;
};

} // namespace exaproxy::redirector
