// CredentialsCache: the Basic credentials a helper accepted, remembered for `credentials_ttl` so
// that a browser's every request does not cost a helper round trip (Squid's credentialsttl).
// Never the clear password: an entry is keyed by HMAC-SHA-256(user NUL password) under a key
// drawn at random when the cache is made (so the keys mean nothing outside this process, and a
// memory dump does not hold a password-equivalent hash an attacker could test offline without
// the key). Bounded: beyond `capacity` entries the oldest go. Thread-safe (hooks on every loop,
// answers on the helpers' thread).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace exaproxy::auth {

class CredentialsCache {
public:
  using Clock = std::chrono::steady_clock;
  using Digest = std::array<uint8_t, 32>;

  // Throws std::runtime_error when no random key can be drawn.
  CredentialsCache(std::chrono::milliseconds ttl, size_t capacity);

  // What an accepted login established: the user as the helper named it, and its group.
  struct Login {
    std::string user;
    std::string group; // the helper's group= (empty: none)
  };

  Digest keyOf(std::string_view user, std::string_view password) const;
  // The login remembered for this key, unless it expired (then it is forgotten).
  std::optional<Login> find(const Digest& key, Clock::time_point now = Clock::now());
  void remember(const Digest& key, Login login, Clock::time_point now = Clock::now());
  size_t size() const;

private:
  struct DigestHash {
    size_t operator()(const Digest& d) const noexcept;
  };
  struct Entry {
    Digest key;
    Login login;
    Clock::time_point expires;
  };

  const std::chrono::milliseconds ttl_;
  const size_t capacity_;
  std::array<uint8_t, 32> secret_{};
  mutable std::mutex mutex_;
  std::list<Entry> order_; // oldest first
  std::unordered_map<Digest, std::list<Entry>::iterator, DigestHash> index_;
};

} // namespace exaproxy::auth
