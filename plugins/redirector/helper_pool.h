// HelperPool: the helper processes of one redirector instance and the one thread that drives
// them (the "manager"). Loops never touch a helper: submit() queues a request and wakes the
// manager, which poll()s every child's non-blocking pipes, writes requests, reads and frames
// answers, and calls each request's `done` exactly once, on the manager thread.
//
// Policy (README.md has the operator's view):
//  * children start on demand up to `children`, `startup` at start, `idle` spare kept;
//  * concurrency 0: one request per child; N: up to N, each line prefixed by a channel ID
//    (a per-child counter from 1, echoed back; answers may come in any order);
//  * BH: retried on another child twice, then on_error; a child that dies (or speaks garbage
//    the framing cannot skip) is killed and replaced, and each request it held is retried once
//    elsewhere, then on_error; a request not answered within `timeout` of its arrival gets
//    on_timeout (a one-at-a-time child still working on it is killed: its late answer would be
//    taken for the next request's);
//  * canary: every new child first answers the canary URL, which must not be a pass; while it
//    passes (a helper failing open, like squidGuard's emergency mode) requests get on_error and
//    the canary is re-asked every canary_interval;
//  * destruction stops taking requests, lets the queued and in-flight ones finish (each within
//    its deadline), then closes the helpers' stdin, waits up to a second, and kills the rest.
#pragma once

#include "decision.h"
#include "helper_protocol.h"
#include "redirector_config.h"
#include "redirector_metrics.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace exaproxy::common {
class HelperProcess;
}

namespace exaproxy::redirector {

enum class LogLevel { Debug, Info, Warn, Error };

class HelperPool {
public:
  using Clock = std::chrono::steady_clock;
  // Runs once per request with the final decision. Policies are already applied: never Broken
  // or Error (a failed request becomes Continue or Deny 503 per on_error / on_timeout).
  using Done = std::function<void(Decision)>;
  using Log = std::function<void(LogLevel, const std::string&)>;

  // Starts the manager thread (which starts `startup` children). `log` and `metrics` must
  // outlive the pool; both are used from the manager thread.
  HelperPool(Config config, Log log, Metrics& metrics);
  ~HelperPool();
  HelperPool(const HelperPool&) = delete;
  HelperPool& operator=(const HelperPool&) = delete;

  // Any thread. `done` runs later on the manager thread (or inline once the pool is stopping).
  void submit(RequestInfo request, Done done);

  // Any thread: JSON for the UI.
  std::string statusJson() const;
  // Any thread: the pids of the running children (tests kill them).
  std::vector<pid_t> childPids() const;

  const Config& config() const { return config_; }

private:
  struct Job {
    RequestInfo info;
    Done done;
    Clock::time_point deadline;
    Clock::time_point sent;
    size_t brokenTries = 0;    // BH answers so far
    bool crashRetried = false; // already moved once because its child died
    uint64_t lastChild = 0;    // the child that had it last (retries prefer another)
    bool canary = false;
  };
  using JobPtr = std::unique_ptr<Job>;

  struct Child {
    uint64_t id = 0;
    std::unique_ptr<common::HelperProcess> proc;
    std::string toWrite;                 // bytes not yet written to stdin
    std::string fromOut;                 // bytes read from stdout, not yet framed
    std::string fromErr;                 // stderr bytes without a line end yet
    std::map<uint64_t, JobPtr> inFlight; // by channel ID (0 for one-at-a-time children)
    uint64_t nextChannel = 1;
    Clock::time_point started;
    bool dead = false; // EOF, write error, garbage or killed: reaped and dropped by the loop
  };
  using ChildPtr = std::unique_ptr<Child>;

  void run();
  void admit(JobPtr job);
  void dispatch();
  Child* pickChild(const Job& job);
  Child* spawn();
  void send(Child& c, JobPtr job);
  void flush(Child& c);
  void readStdout(Child& c);
  void readStderr(Child& c, bool eof);
  void onReply(Child& c, const RawReply& reply);
  void buryDead();
  void checkDeadlines(Clock::time_point now);
  void maintain(Clock::time_point now);
  void startCanary(Child& c);
  void onCanary(Child& c, const Decision& d, const std::string& why);
  void finish(JobPtr job, Decision d);
  void fail(JobPtr job, const std::string& why, bool timeout);
  void failQueue(const std::string& why);
  void updateGauges();
  void stopChildren();
  bool hasFreeSlot(const Child& c) const;
  size_t liveChildren() const;
  bool idle() const;
  void logChild(LogLevel level, const Child& c, const std::string& what);

  const Config config_;
  const HelperProtocolPtr protocol_;
  Log log_;
  Metrics& metrics_;

  // Shared with submitters.
  mutable std::mutex mutex_;
  std::vector<JobPtr> inbox_;
  bool stopping_ = false; // no more children started; the loop ends once everything drained
  bool stopped_ = false;  // the manager has ended: submit() answers inline
  std::vector<pid_t> pids_;
  std::string canaryState_ = "off";
  int wake_ = -1; // eventfd

  // Manager thread only.
  std::vector<ChildPtr> children_;
  std::deque<JobPtr> queue_;
  uint64_t nextChildId_ = 1;
  bool canaryFailing_ = false;
  bool canaryInFlight_ = false;
  Clock::time_point nextCanary_{};
  Clock::time_point spawnNotBefore_{};
  unsigned quickDeaths_ = 0;
  std::string spawnError_; // why the last start failed ("" after a success)
  int64_t maxLatencyUs_ = 0;

  std::thread thread_;
};

} // namespace exaproxy::redirector
