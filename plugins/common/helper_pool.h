// HelperPool: the helper processes of one plugin instance and what drives them (the "manager"),
// for any line or message protocol a HelperCodec frames. The manager is either
//  * an event loop given as a HelperLoop (the host's, ABI 1.4: host_helper_loop.h): the
//    children's non-blocking pipes are watched on that loop, and a submit() made on it is
//    written to a helper at once: no thread hop, no context switch per request; or
//  * a thread of the pool's own (no loop given, or the loop cannot serve: an older host), which
//    poll()s the pipes; submit() queues the request and wakes it.
// Either way the manager writes requests, reads and frames answers, and calls each request's
// `done` exactly once, on the manager's thread ("the manager thread" below: the loop's, in loop
// mode).
//
// What a plugin brings: the settings, a codec (helper_codec.h), each request already encoded
// (HelperRequest), and a `done` that reads the answer (HelperReply). Squid's helpers of every
// kind run with SquidLineCodec (squid_line_codec.h) and parseSquidReply (squid_reply.h).
//
// Policy:
//  * children start on demand up to `children`, `startup` at start, `idle` spare kept;
//  * concurrency 0: one request per child; N: up to N, each request prefixed by a channel ID (a
//    per-child counter from 1, echoed back; answers may come in any order);
//  * a broken answer (the codec's broken(), Squid's BH) is asked again on another child twice,
//    then Failed; a child that dies (or speaks garbage the framing cannot skip) is killed and
//    replaced, and each request it held is asked again once elsewhere, then Failed; a request
//    not answered within `timeout` of its submit() is TimedOut (a one-at-a-time child still
//    working on it is killed: its late answer would be taken for the next request's);
//  * stateful helpers (concurrency 0): a request of a conversation (HelperRequest::conversation,
//    a client connection) goes to the child reserved for it, or reserves a free one; a reserved
//    child takes no other request until release() or `conversationIdle`; a later step of a
//    conversation whose child died, or that answered BH, fails (another child knows nothing of
//    the handshake);
//  * every child is full and `children` are running: Bypassed with `bypass`, else queued, and
//    Failed once `queueSize` requests wait;
//  * children that die within a second of starting are restarted with a growing delay (to 10 s);
//  * canary (helper_pool_settings.h): every new child answers it first; while it fails every
//    request is Failed and the canary is asked again every `interval`;
//  * destruction stops taking requests, lets the queued and in-flight ones finish (each within
//    its deadline), then closes the helpers' stdin, waits up to a second, and kills the rest. In
//    loop mode the loop's thread must not die of SIGPIPE (the host ignores it), and the loop no
//    longer runs for the pool then (a plugin's destroy(): the host has
//    removed its watches): what is queued or in flight fails at once ("stopping"). Destroy a
//    loop-mode pool on its loop, or once the loop no longer serves it.
#pragma once

#include "helper_child.h"
#include "helper_codec.h"
#include "helper_loop.h"
#include "helper_pool_metrics.h"
#include "helper_pool_settings.h"
#include "helper_request.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <poll.h>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace exaproxy::common {

enum class LogLevel { Debug, Info, Warn, Error };

class HelperPool : private HelperLoop::Client {
public:
  using Clock = std::chrono::steady_clock;
  using Log = std::function<void(LogLevel, const std::string&)>;

  // Starts the manager (which starts `startup` children): on `loop` when one is given and it can
  // serve (wake() works), else on a thread of its own. `codec` (and `loop`) must outlive the
  // pool. `log` and `metrics` are called from the manager thread (and from submit() once the
  // pool has stopped). Throws std::invalid_argument for concurrency > 0 with a codec without
  // channel IDs, std::runtime_error when the wake-up eventfd cannot be made.
  HelperPool(HelperPoolSettings settings, const HelperCodec& codec, Log log,
             PoolMetricSink metrics = {}, HelperLoop* loop = nullptr);
  ~HelperPool() override;
  HelperPool(const HelperPool&) = delete;
  HelperPool& operator=(const HelperPool&) = delete;

  // Any thread. `done` runs later on the manager thread (or inline once the pool has stopped).
  void submit(HelperRequest request, HelperDone done);

  // Any thread: ends the reservation of the child that holds `conversation` (a client connection
  // closed, a handshake finished); a request of it still in flight is answered first. Unknown or
  // already ended conversations are ignored.
  void release(uint64_t conversation);

  // Any thread: "off" (no canary), "unchecked", "ok" or "failing".
  std::string canaryState() const;
  // Any thread: the pids of the running children (tests kill them).
  std::vector<pid_t> childPids() const;

  const HelperPoolSettings& settings() const { return settings_; }
  // True when the pool runs on the HelperLoop it was given (not on a thread of its own).
  bool onLoop() const { return loop_ != nullptr; }

private:
  void run();
  void step(bool stop);
  Clock::time_point nextWake(Clock::time_point now) const;
  void pollOnce(Clock::time_point now);
  // Loop mode (HelperLoop::Client): the loop's events, and one round of work after each.
  void onWake() override;
  void onReady(int fd, bool readable, bool writable) override;
  void onTimer() override;
  void service();
  void syncWatches(HelperChild& c);
  void unwatch(HelperChild& c);
  void stopOnLoop();
  void admit(HelperJobPtr job);
  void dispatch();
  HelperChild* pickChild(const HelperJob& job);
  HelperChild* spawn();
  void send(HelperChild& c, HelperJobPtr job);
  void flush(HelperChild& c);
  void readStdout(HelperChild& c);
  void readStderr(HelperChild& c, bool eof);
  void onAnswer(HelperChild& c, std::string answer);
  void buryDead();
  void checkDeadlines(Clock::time_point now);
  void maintain(Clock::time_point now);
  void startCanary(HelperChild& c);
  void onCanary(HelperChild& c, bool holds, const std::string& why);
  std::string canaryRefusal() const;
  void deliver(HelperJobPtr job, HelperReply reply);
  void fail(HelperJobPtr job, const std::string& why, bool timeout);
  void failQueue(const std::string& why);
  void count(PoolMetric m, int64_t delta = 1);
  void updateGauges();
  void stopChildren();
  bool hasFreeSlot(const HelperChild& c) const;
  // Conversations (helper_pool_conversations.cpp): stateful helpers reserved per conversation.
  bool takesUnbound(const HelperChild& c) const;
  HelperChild* conversationChild(uint64_t conversation);
  bool anyReserved() const;
  void applyReleases();
  void expireConversations(Clock::time_point now);
  size_t liveChildren() const;
  bool idle() const;
  bool stopping() const;
  bool inboxEmpty() const;
  void logChild(LogLevel level, const HelperChild& c, const std::string& what);

  const HelperPoolSettings settings_;
  const HelperCodec& codec_;
  const std::string programName_; // argv[0], for log lines
  Log log_;
  PoolMetricSink metrics_;

  // Shared with submitters.
  mutable std::mutex mutex_;
  std::vector<HelperJobPtr> inbox_;
  std::vector<uint64_t> releases_; // conversations release() ended, for the manager
  bool stopping_ = false; // no more children started; the loop ends once everything drained
  bool stopped_ = false;  // the manager has ended: submit() answers inline
  std::vector<pid_t> pids_;
  std::string canaryState_ = "off";
  int wake_ = -1; // eventfd

  // Manager thread only.
  std::vector<HelperChildPtr> children_;
  std::deque<HelperJobPtr> queue_;
  uint64_t nextChildId_ = 1;
  bool canaryFailing_ = false;
  bool canaryInFlight_ = false;
  Clock::time_point nextCanary_{};
  Clock::time_point spawnNotBefore_{};
  unsigned quickDeaths_ = 0;
  std::string spawnError_;           // why the last start failed ("" after a success)
  std::vector<int64_t> gaugeValues_; // last value reported per metric (gauges only)
  // Kept for their capacity: a wake-up of the manager allocates nothing.
  std::vector<HelperJobPtr> arrived_;
  std::vector<uint64_t> releasing_;
  std::vector<pollfd> pollFds_;
  std::vector<std::pair<HelperChild*, int>> pollOwners_; // (child, 0/1/2 = in/out/err)

  HelperLoop* loop_ = nullptr; // loop mode; null: the thread below
  bool servicing_ = false;     // loop mode: inside service() (a done() may submit again)
  std::thread thread_;
};

} // namespace exaproxy::common
