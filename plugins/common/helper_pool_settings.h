// How a HelperPool runs its helpers: the program, how many children, how many requests each
// takes, how long requests may wait, and an optional canary. A plugin fills it from its own
// settings (the redirector's [redirector] section, README there).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace exaproxy::common {

// The default bound of the queue of requests waiting for a busy helper: the host's default
// `[limits] max_connections`. A client connection has at most one request in a plugin's hook at
// a time, so with the host's defaults the queue cannot fill before it stops accepting; what bounds
// a request's wait is the pool's `timeout`. Squid's url_rewrite_children queue-size defaults to 2 x
// children, but Squid goes past it, warns, and fails only after three minutes of overload; as a
// hard bound that low it refused requests whenever more clients than that waited (issue #15).
inline constexpr size_t kDefaultHelperQueueSize = 10000;

// A request every new child answers first (and, while it fails, one child every `interval`): a
// helper that answers it wrongly is failing open (squidGuard's "emergency mode" after a
// configuration error lets everything through), and while it does every request fails (Failed,
// "the helper failed its canary (<name> <failed>): it is failing open").
struct HelperCanary {
  std::string request; // the bytes to write (without a channel ID)
  // Whether the answer (channel ID removed) shows a working helper. Manager thread.
  std::function<bool(const std::string& answer)> holds;
  std::string name;    // how the logs name it ("http://canary.test/")
  std::string failed;  // what a wrong answer means ("was not rewritten")
  std::string resumed; // what a right one after wrong ones means ("is rewritten again")
  std::string meaning; // what the operator should know when it fails (logged as an error)
  std::chrono::milliseconds interval{10000}; // re-asked this often while it fails
};

struct HelperPoolSettings {
  std::string name = "helper pool"; // in reasons: "the <name> is stopping"
  std::vector<std::string> program; // argv; argv[0] is looked up in PATH
  size_t children = 5;              // most helper processes at once
  size_t startup = 1;               // started with the pool
  size_t idle = 1;                  // spare (idle) processes kept while below `children`
  size_t concurrency = 0; // requests in flight per process; 0 = one at a time, no channel IDs
  size_t queueSize = kDefaultHelperQueueSize; // most requests waiting while all are busy
  std::chrono::milliseconds timeout{3000};    // an answer's deadline, counted from submit()
  bool bypass = false;                        // every child busy: Bypassed instead of queueing
  // A child reserved for a conversation (HelperRequest::conversation) that has had no request
  // for this long is freed for others (its client went quiet in the middle of a handshake).
  std::chrono::milliseconds conversationIdle{60000};
  std::optional<HelperCanary> canary;
};

} // namespace exaproxy::common
