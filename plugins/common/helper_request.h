// One request through a HelperPool (helper_pool.h) and what the pool hands back for it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <sys/types.h>

namespace exaproxy::common {

struct HelperRequest {
  std::string bytes; // what the helper reads: the dialect's encoding, without a channel ID
  std::string label; // how log lines and reasons name the request (its URL, a user name)
  // Stateful helpers (NTLM, Negotiate; concurrency 0): a nonzero `conversation` (a client
  // connection's id) binds the request to the child reserved for that conversation, reserving a
  // free one for it when there is none. `continues`: the request is a later step of a conversation
  // already under way, which only its own child can answer: it fails when that child is gone.
  // The reservation ends with HelperPool::release() or after `conversationIdle` without a request.
  uint64_t conversation = 0;
  bool continues = false;
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
