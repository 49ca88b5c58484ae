// Per-thread recycling of ClientSession's per-request state (proxy/transaction.h), so that a
// keep-alive request allocates nothing in the steady state. Templates over the transaction type
// (anything with clearForReuse(), a parser and two heads). Also the per-thread scratch strings
// the stages serialize heads and log lines into.
#pragma once

#include "http/chunked.h"
#include "http/request_parser.h"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace exaproxy::proxy::detail {

// Transactions are recycled per loop thread: a finished one keeps the capacity of its strings,
// header maps and parser tables, so the next request of any connection on this loop is parsed
// into it without allocating. An idle connection still holds none: the cache is per thread and
// bounded (like the buffer blocks'), and a transaction that carried a large head is freed.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kRecycleTx = false; // every transaction is freed: a use after free is caught
#else
inline constexpr bool kRecycleTx = true;
#endif
inline constexpr size_t kTxCacheMax = 64;
inline constexpr size_t kTxKeepHeadBytes = 16 * 1024;
inline thread_local bool tlsTxCacheGone = false; // set once the thread's cache is destroyed

template <typename T> struct TxCache {
  std::vector<std::unique_ptr<T>> free;
  ~TxCache() { tlsTxCacheGone = true; }
};

template <typename T> TxCache<T>& txCache() {
  thread_local TxCache<T> cache;
  return cache;
}

template <typename T> std::unique_ptr<T> takeTx(const http::Limits& limits) {
  if (!tlsTxCacheGone) {
    auto& free = txCache<T>().free;
    if (!free.empty()) {
      std::unique_ptr<T> t = std::move(free.back());
      free.pop_back();
      t->parser.reset(limits);
      return t;
    }
  }
  return std::make_unique<T>(limits);
}

// The deleter of a finished transaction: emptied (as if new) and kept, or freed.
template <typename T> struct TxRecycler {
  void operator()(T* t) const {
    std::unique_ptr<T> owned(t);
    if (!kRecycleTx || tlsTxCacheGone || t->req.raw.capacity() > kTxKeepHeadBytes ||
        t->resp.raw.capacity() > kTxKeepHeadBytes)
      return;
    auto& free = txCache<T>().free;
    if (free.size() >= kTxCacheMax)
      return;
    t->clearForReuse();
    if (free.capacity() == 0)
      free.reserve(kTxCacheMax);
    free.push_back(std::move(owned));
  }
};

// Per-thread scratch strings whose capacity is reused: serialized heads (appended to a buffer at
// once) and the access log's URL (alive until the record is written).
inline std::string& headScratch() {
  thread_local std::string text;
  text.clear();
  return text;
}

inline std::string& urlScratch() {
  thread_local std::string text;
  text.clear();
  return text;
}

} // namespace exaproxy::proxy::detail
