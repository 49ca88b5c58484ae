// One running helper of a HelperPool and the requests it holds, with the pipe I/O of one child:
// writing what is queued for its stdin, reading its stdout and its stderr. What the bytes mean,
// and every decision (retry, replace, log), is the pool's. Manager thread only.
#pragma once

#include "helper_process.h"
#include "helper_request.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace exaproxy::common {

// A request inside the pool.
struct HelperJob {
  using Clock = std::chrono::steady_clock;
  HelperRequest request;
  HelperDone done;
  Clock::time_point deadline;
  Clock::time_point sent;
  size_t brokenTries = 0;    // broken answers so far
  bool crashRetried = false; // already moved once because its child died
  uint64_t lastChild = 0;    // the child that had it last (retries prefer another)
  bool canary = false;       // the pool's own canary request, not a submitter's
};
using HelperJobPtr = std::unique_ptr<HelperJob>;

struct HelperChild {
  uint64_t id = 0;
  std::unique_ptr<HelperProcess> proc;
  std::string toWrite;                       // bytes not yet written to stdin
  std::string fromOut;                       // bytes read from stdout, not yet framed
  std::string fromErr;                       // stderr bytes without a line end yet
  std::map<uint64_t, HelperJobPtr> inFlight; // by channel ID (0 for one-at-a-time children)
  uint64_t nextChannel = 1;
  std::chrono::steady_clock::time_point started;
  uint64_t conversation = 0; // reserved for this conversation (0: free for any request)
  std::chrono::steady_clock::time_point conversationUsed; // its last request
  bool dead = false;   // EOF, write error, garbage or killed: reaped and dropped by the pool
  bool errEof = false; // stderr reached its end: the pool closes it (after unwatching it)
  // On the pool's HelperLoop: the interest last given for stdin / stdout / stderr.
  bool watchIn = false, watchOut = false, watchErr = false;

  // Writes what the pipe takes of toWrite. A write error marks the child dead and returns why.
  std::string flush();
  // Appends what stdout holds to fromOut; true at its end (or on a read error).
  bool readStdout();
  // Appends what stderr holds to fromErr and takes the whole lines off it (the rest too at
  // `eof`), each cut at 1000 bytes; empty lines are dropped.
  std::vector<std::string> readStderr(bool eof);
};
using HelperChildPtr = std::unique_ptr<HelperChild>;

} // namespace exaproxy::common
