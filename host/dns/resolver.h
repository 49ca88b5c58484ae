// Resolver: asynchronous name resolution with c-ares, driven by one EventLoop, with a TTL cache
// and one query in flight per name.
//
// Threading: one Resolver per event loop, created, used and destroyed on that loop's thread only;
// nothing here is thread-safe and nothing takes a lock.
//
// Lifetime:
//  - A ResolveHandle may outlive its Resolver: the Resolver's destructor detaches every handle
//    (they become inactive and their callbacks are never called).
//  - The Resolver must not be destroyed from inside one of its own callbacks (use
//    EventLoop::deferDestroy() or post()), and must be destroyed before its EventLoop.
//
// Callbacks never run inside resolve(), cached(), reconfigure() or inside c-ares: completions are
// queued and delivered from a zero-delay Timer of the Resolver, in the same loop iteration. A
// callback may start new resolutions, reset any handle (its own is already inactive when it runs)
// or call reconfigure().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns/dns_cache.h"
#include "dns/dns_types.h"
#include "net/event_loop.h"

namespace exaproxy::dns {

class Resolver;

namespace detail {
struct Waiter; // one caller waiting for one name; defined in resolver.cpp
struct Query;
struct Channel;
} // namespace detail

// RAII interest in one resolution: destroying it (or reset()) cancels the interest and the callback
// is then never called. It becomes inactive just before its callback runs.
class ResolveHandle {
public:
  ResolveHandle() = default;
  ~ResolveHandle();
  ResolveHandle(ResolveHandle&& o) noexcept;
  ResolveHandle& operator=(ResolveHandle&& o) noexcept;
  ResolveHandle(const ResolveHandle&) = delete;
  ResolveHandle& operator=(const ResolveHandle&) = delete;

  void reset();
  bool active() const { return waiter_ != nullptr; }

private:
  friend class Resolver;
  friend struct detail::Waiter;
  explicit ResolveHandle(detail::Waiter* w);
  detail::Waiter* waiter_ = nullptr;
};

class Resolver {
public:
  using Callback = std::function<void(const Answer&)>;

  // Throws std::runtime_error if c-ares cannot be initialised (startup only).
  Resolver(net::EventLoop& loop, ResolverConfig config);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Synchronous check: an IP literal ("1.2.3.4", "::1", "[::1]") answers at once (Ok, one
  // address); so does a valid cache entry (fromCache=true, counted as a cache hit). nullptr: call
  // resolve(). Never starts a query and never counts one. The answer is the resolver's own copy
  // (its capacity reused, so a literal costs no allocation): valid until the next cached() or
  // resolve() call.
  const Answer* cached(std::string_view name);

  // Starts or joins the query for name (case-insensitive, trailing dot ignored). The callback runs
  // later on the loop thread, never inside this call; all waiters of one query get the same
  // Answer. Literals and cache hits are answered the same deferred way, without a query. A waiter
  // that goes away does not cancel the DNS query itself (c-ares cannot cancel one query): its
  // answer still fills the cache.
  [[nodiscard]] ResolveHandle resolve(std::string_view name, Callback cb);

  // SIGHUP. Builds a new c-ares channel for new queries; queries in flight finish on the old one,
  // which is destroyed once idle (c-ares has no reinit), and their answers are then delivered but
  // not cached. The cache is cleared when the servers or the hosts-file setting change, otherwise
  // kept (new TTL bounds apply to new entries; a smaller maxEntries evicts at once). Throws
  // std::runtime_error if the new channel cannot be built; the old configuration then stays.
  void reconfigure(ResolverConfig config);

  // Plain counters, loop thread only.
  //  queries:     DNS lookups started through c-ares (one per name in flight, whatever the waiters)
  //  cacheHits:   answers served from the cache (cached() or resolve())
  //  cacheMisses: resolve() calls that had to start or join a query
  //  failures:    lookups that ended in SERVFAIL, REFUSED, timeout or another error
  //               (NXDOMAIN and NODATA are answers, not failures)
  struct Stats {
    uint64_t queries = 0;
    uint64_t cacheHits = 0;
    uint64_t cacheMisses = 0;
    uint64_t failures = 0;
    size_t inflight = 0;
    size_t cacheSize = 0;
  };
  Stats stats() const;
  const DnsCache& cache() const { return cache_; }
  const ResolverConfig& config() const { return config_; }

private:
  friend struct detail::Channel;

  std::unique_ptr<detail::Channel> makeChannel(const ResolverConfig& config);
  void startQuery(detail::Query* q);
  void queryDone(detail::Query* q, Answer answer);
  void queueDelivery(std::unique_ptr<detail::Query> q);
  void deliver();
  void reapChannels();
  ResolveHandle attach(detail::Query* q, Callback cb);

  net::EventLoop& loop_;
  ResolverConfig config_;
  DnsCache cache_;
  std::unique_ptr<detail::Channel> channel_;              // new queries go here
  std::vector<std::unique_ptr<detail::Channel>> retired_; // old channels finishing their queries
  std::unordered_map<std::string, std::unique_ptr<detail::Query>> inflight_;
  std::vector<std::unique_ptr<detail::Query>> completed_; // answered, waiting for deliver()
  net::Timer deliverTimer_;
  bool destroying_ = false;
  Stats stats_;
  Answer lastCached_; // what cached() returned last
};

} // namespace exaproxy::dns
