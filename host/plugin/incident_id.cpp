#include "plugin/incident_id.h"

#include <atomic>
#include <cstdint>
#include <random>

namespace exaproxy::plugin {

namespace {

constexpr uint64_t kMask = (uint64_t{1} << 48) - 1;

uint64_t processSalt() {
  static const uint64_t salt = [] {
    std::random_device rd;
    return ((uint64_t{rd()} << 32) ^ rd()) & kMask;
  }();
  return salt;
}

// A bijection of [0, 2^48): xor-shifts and multiplications by odd constants, each invertible
// modulo 2^48, so distinct inputs give distinct ids.
uint64_t permute48(uint64_t x) {
  x &= kMask;
  x ^= x >> 24;
  x = (x * 0x9e3779b97f4bULL) & kMask;
  x ^= x >> 21;
  x = (x * 0xc2b2ae3d27d5ULL) & kMask;
  x ^= x >> 24;
  return x;
}

} // namespace

std::string newIncidentId() {
  static std::atomic<uint64_t> next{0};
  uint64_t n = next.fetch_add(1, std::memory_order_relaxed);
  uint64_t id = permute48(n + processSalt());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(12, '0');
  for (int i = 11; i >= 0; --i, id >>= 4)
    out[static_cast<size_t>(i)] = kHex[id & 0xf];
  return out;
}

} // namespace exaproxy::plugin
