#include "dns/dns_cache.h"

namespace exaproxy::dns {

namespace {
bool cacheable(DnsStatus s) {
  return s == DnsStatus::Ok || s == DnsStatus::NxDomain || s == DnsStatus::NoData;
}
} // namespace

DnsCache::DnsCache(size_t maxEntries) : maxEntries_(maxEntries) {}

void DnsCache::insert(std::string_view name, const Answer& answer, std::chrono::seconds ttl,
                      net::Clock::time_point now) {
  if (!cacheable(answer.status) || ttl <= std::chrono::seconds::zero() || maxEntries_ == 0)
    return;
  std::string key = normalizeName(name);
  Entry entry{key, answer, now + ttl};
  entry.answer.fromCache = true;
  if (auto it = index_.find(key); it != index_.end()) {
    *it->second = std::move(entry);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  makeRoom(now);
  lru_.push_front(std::move(entry));
  index_.emplace(std::move(key), lru_.begin());
}

std::optional<Answer> DnsCache::lookup(std::string_view name, net::Clock::time_point now) {
  auto it = index_.find(name);
  if (it == index_.end()) {
    std::string key = normalizeName(name);
    if (key == name)
      return std::nullopt;
    it = index_.find(key);
    if (it == index_.end())
      return std::nullopt;
  }
  if (it->second->expires <= now) {
    lru_.erase(it->second);
    index_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->answer;
}

void DnsCache::setMaxEntries(size_t maxEntries) {
  maxEntries_ = maxEntries;
  while (index_.size() > maxEntries_) {
    index_.erase(lru_.back().name);
    lru_.pop_back();
  }
}

void DnsCache::clear() {
  index_.clear();
  lru_.clear();
}

void DnsCache::dropExpired(net::Clock::time_point now) {
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (it->expires <= now) {
      index_.erase(it->name);
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
}

void DnsCache::makeRoom(net::Clock::time_point now) {
  if (index_.size() < maxEntries_)
    return;
  if (now >= nextSweep_) {
    dropExpired(now);
    nextSweep_ = now + std::chrono::seconds(1);
  }
  while (!lru_.empty() && index_.size() >= maxEntries_) {
    index_.erase(lru_.back().name);
    lru_.pop_back();
  }
}

std::vector<DnsCache::EntryInfo> DnsCache::snapshot(net::Clock::time_point now) const {
  std::vector<EntryInfo> out;
  out.reserve(lru_.size());
  for (const auto& e : lru_) {
    if (e.expires <= now)
      continue;
    out.push_back({e.name, e.answer, std::chrono::ceil<std::chrono::seconds>(e.expires - now)});
  }
  return out;
}

} // namespace exaproxy::dns
