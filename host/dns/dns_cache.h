// DnsCache: name → Answer with an expiry, bounded in size. A pure data structure with the clock
// injected, so it is unit-testable without sockets. One per Resolver, used only on its loop thread
// (no locks).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns/dns_types.h"
#include "net/event_loop.h"

namespace exaproxy::dns {

class DnsCache {
public:
  explicit DnsCache(size_t maxEntries);

  // Stores (or replaces) the answer for name until now + ttl. The caller decides the ttl
  // (cacheTtlFor(): clamped positive TTL, or the negative TTL); answers that must not be cached
  // (SERVFAIL, REFUSED, timeout, error) and ttl <= 0 are ignored here as a second line of defence.
  // When full: expired entries are dropped first, then the least recently used one (LRU: a
  // lookup() hit refreshes an entry).
  void insert(std::string_view name, const Answer& answer, std::chrono::seconds ttl,
              net::Clock::time_point now);
  // The answer with fromCache=true; nullopt if absent or expired (an expired entry is erased).
  // An entry expires exactly at insert time + ttl.
  std::optional<Answer> lookup(std::string_view name, net::Clock::time_point now);

  size_t size() const { return index_.size(); }
  size_t maxEntries() const { return maxEntries_; }
  // Shrinking evicts LRU entries at once (SIGHUP).
  void setMaxEntries(size_t maxEntries);
  void clear();

  // For the UI: the entries still valid at now, most recently used first, with their remaining TTL
  // (rounded up, so an entry about to expire shows 1 s rather than 0).
  struct EntryInfo {
    std::string name;
    Answer answer;
    std::chrono::seconds remaining;
  };
  std::vector<EntryInfo> snapshot(net::Clock::time_point now) const;

private:
  struct Entry {
    std::string name;
    Answer answer;
    net::Clock::time_point expires;
  };
  using List = std::list<Entry>; // front = most recently used
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  void makeRoom(net::Clock::time_point now);
  void dropExpired(net::Clock::time_point now);

  size_t maxEntries_;
  List lru_;
  std::unordered_map<std::string, List::iterator, NameHash, std::equal_to<>> index_;
  // A full cache sweeps expired entries at most once a second so that inserting into a cache full
  // of live entries stays O(1).
  net::Clock::time_point nextSweep_{};
};

} // namespace exaproxy::dns
