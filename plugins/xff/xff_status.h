// The xff plugin's counters (shown in the UI and /metrics as plugin_xff_<name>) and its status
// JSON, plus the sanitiser every logged header value goes through.
#pragma once

#include "xff_identity.h"
#include "xff_settings.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace exaproxy::xff {

// name, help. One list for the struct, the metric definitions and the status JSON.
#define EXAPROXY_XFF_COUNTERS(X)                                                                   \
  X(requests, "requests seen (CONNECT included)")                                                  \
  X(peer_untrusted, "requests whose peer is not trusted: headers ignored")                         \
  X(no_header, "requests from a trusted peer without a hop list")                                  \
  X(found, "identity taken from the first untrusted hop")                                          \
  X(all_trusted, "every hop trusted: identity = the leftmost hop")                                 \
  X(stopped_unknown, "walk stopped at unknown, an obfuscated id or a hop without for=")            \
  X(stopped_invalid, "walk stopped at an invalid element")                                         \
  X(identity_changed, "requests whose identity differs from the peer")                             \
  X(xff_appended, "X-Forwarded-For sent with the peer appended")                                   \
  X(xff_truncated, "X-Forwarded-For sent as the identity only")                                    \
  X(xff_deleted, "X-Forwarded-For removed")                                                        \
  X(forwarded_appended, "Forwarded sent with for=<peer> appended")                                 \
  X(connection_scrubbed, "X-Forwarded-For/Forwarded taken out of a client's Connection header")    \
  X(host_refused, "an identity or header edit the host refused")

enum class Counter : size_t {
#define EXAPROXY_XFF_ENUM(name, help) name,
  EXAPROXY_XFF_COUNTERS(EXAPROXY_XFF_ENUM)
#undef EXAPROXY_XFF_ENUM
      Count
};

struct CounterInfo {
  const char* name;
  const char* help;
};
const std::array<CounterInfo, static_cast<size_t>(Counter::Count)>& counterTable();

Counter outcomeCounter(Outcome o);

// Shared by every loop: lock-free counters and the last element a walk stopped at.
class Stats {
public:
  void add(Counter c) { counts_[static_cast<size_t>(c)].fetch_add(1, std::memory_order_relaxed); }
  uint64_t get(Counter c) const {
    return counts_[static_cast<size_t>(c)].load(std::memory_order_relaxed);
  }
  void setLastStop(std::string_view sanitised);
  std::string lastStop() const;

private:
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Counter::Count)> counts_{};
  mutable std::mutex mutex_;
  std::string lastStop_;
};

// Header text made safe for a log line or JSON: printable ASCII is kept except '"' and '\',
// everything else (CR, LF, NUL, controls, bytes >= 0x7f) becomes \xHH; cut after maxLen input
// bytes with "...". A client cannot inject a log line or break the JSON with it.
std::string sanitize(std::string_view text, size_t maxLen = 128);

// {"trusted":[...],"follow":...,"forwarded_for":...,"forwarded":...,"counters":{...},
//  "last_stop":"..."}
std::string statusJson(const Settings& s, const Stats& stats);

} // namespace exaproxy::xff
