// TtlCache: answers remembered for a while (each entry its own time to live), bounded (beyond
// `capacity` entries the oldest go), thread-safe (plugins look up on every loop and fill it from
// their helpers' thread). What Squid keeps for credentials (credentialsttl) and external-ACL
// results (ttl, negative_ttl, grace).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace exaproxy::common {

template <typename Key, typename Value, typename Hash = std::hash<Key>> class TtlCache {
public:
  using Clock = std::chrono::steady_clock;

  explicit TtlCache(size_t capacity) : capacity_(capacity) {}

  // The value remembered for key, unless it expired (then it is forgotten).
  std::optional<Value> find(const Key& key, Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end())
      return std::nullopt;
    if (it->second->expires <= now) {
      order_.erase(it->second);
      index_.erase(it);
      return std::nullopt;
    }
    return it->second->value;
  }

  // Squid's grace: the value remembered for key, and whether the caller should refresh it now
  // (true once, when the entry is in the last `gracePercent` % of its life: the value is still
  // used meanwhile; a later remember() replaces it). Expired entries are forgotten as in find().
  struct Found {
    Value value;
    bool refresh = false;
  };
  std::optional<Found> findWithGrace(const Key& key, unsigned gracePercent,
                                     Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end())
      return std::nullopt;
    Entry& e = *it->second;
    if (e.expires <= now) {
      order_.erase(it->second);
      index_.erase(it);
      return std::nullopt;
    }
    Found f{e.value, false};
    if (gracePercent > 0 && !e.refreshing && (e.expires - now) * 100 < e.lifetime * gracePercent) {
      e.refreshing = true;
      f.refresh = true;
    }
    return f;
  }

  // Remembers value for `ttl` (a ttl of zero or less, or a capacity of 0, remembers nothing).
  void remember(const Key& key, Value value, std::chrono::milliseconds ttl,
                Clock::time_point now = Clock::now()) {
    if (ttl.count() <= 0 || capacity_ == 0)
      return;
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
      order_.erase(it->second);
      index_.erase(it);
    }
    while (order_.size() >= capacity_) {
      index_.erase(order_.front().key);
      order_.pop_front();
    }
    order_.push_back(Entry{key, std::move(value), now + ttl, ttl, false});
    index_.emplace(key, std::prev(order_.end()));
  }

  size_t size() const {
    std::lock_guard lock(mutex_);
    return order_.size();
  }

private:
  struct Entry {
    Key key;
    Value value;
    Clock::time_point expires;
    Clock::duration lifetime;
    bool refreshing; // findWithGrace asked for a refresh
  };
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> order_; // oldest first
  std::unordered_map<Key, typename std::list<Entry>::iterator, Hash> index_;
};

} // namespace exaproxy::common
