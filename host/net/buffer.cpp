#include "net/buffer.h"

#include <array>
#include <bit>
#include <new>
#include <vector>

namespace exaproxy::net::detail {

namespace {

constexpr size_t kMinShift = 12; // 4 KiB
constexpr size_t kMaxShift = 18; // 256 KiB
constexpr size_t kCacheBytes = 4u << 20;

// Blocks of 2^shift bytes, one free list per size; freed at thread exit.
struct BlockCache {
  std::array<std::vector<char*>, kMaxShift - kMinShift + 1> free;
  size_t bytes = 0;
  ~BlockCache();
};

// Trivially destructible, so still readable after tlsCache is gone: a Buffer destroyed later on
// this thread (thread-exit order) frees its block directly.
thread_local bool tlsCacheGone = false;

BlockCache::~BlockCache() {
  tlsCacheGone = true;
  for (auto& list : free)
    for (char* b : list)
      ::operator delete[](b);
}

thread_local BlockCache tlsCache;

// The free list for `capacity`, or nullptr when it is not a cached size.
std::vector<char*>* listFor(size_t capacity) {
#if defined(__SANITIZE_ADDRESS__)
  // Under AddressSanitizer every block goes back to malloc, so a use after release is caught.
  (void)capacity;
  return nullptr;
#else
  if (tlsCacheGone)
    return nullptr;
  if (!std::has_single_bit(capacity))
    return nullptr;
  auto shift = static_cast<size_t>(std::countr_zero(capacity));
  if (shift < kMinShift || shift > kMaxShift)
    return nullptr;
  return &tlsCache.free[shift - kMinShift];
#endif
}

} // namespace

char* takeBlock(size_t capacity) {
  if (auto* list = listFor(capacity); list && !list->empty()) {
    char* b = list->back();
    list->pop_back();
    tlsCache.bytes -= capacity;
    return b;
  }
  return static_cast<char*>(::operator new[](capacity));
}

void giveBlock(char* block, size_t capacity) {
  auto* list = listFor(capacity);
  if (list && tlsCache.bytes + capacity <= kCacheBytes) {
    list->push_back(block);
    tlsCache.bytes += capacity;
    return;
  }
  ::operator delete[](block);
}

} // namespace exaproxy::net::detail
