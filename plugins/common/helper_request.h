// One request through a HelperPool (helper_pool.h) and what the pool hands back for it.
#pragma once

#include <functional>
#include <string>
#include <sys/types.h>

namespace exaproxy::common {

struct HelperRequest {
  std::string bytes; // what the helper reads: the dialect's encoding, without a channel ID
  std::string label; // how log lines and reasons name the request (its URL, a user name)
};

struct HelperReply {
  enum class Status {
    Answered, // `answer` holds the helper's answer (channel ID removed; never a broken one)
    Failed,   // no answer, `reason` says why: broken three times, a child that died twice under
              // it, no helper can be started, a full queue, a failing canary, the pool stopping
    TimedOut, // no answer within the timeout, counted from submit() (queueing included)
    TooLong,  // not sent: longer than the codec's maxRequestSize()
    Bypassed, // not sent: every child was busy and `bypass` is on
  };
  Status status = Status::Answered;
  std::string answer;
  std::string reason;
  pid_t pid = 0; // Answered: the child that answered (for the owner's log lines)
};

// Runs exactly once per request, on the pool's manager thread (or inside submit() once the pool
// has stopped). It may submit() again; it must not destroy the pool.
using HelperDone = std::function<void(HelperReply)>;

} // namespace exaproxy::common
