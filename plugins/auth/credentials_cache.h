// CredentialsCache: the Basic credentials a helper accepted, remembered for `credentials_ttl` so
// that a browser's every request does not cost a helper round trip (Squid's credentialsttl).
// Never the clear password: an entry is keyed by HMAC-SHA-256(user NUL password) under a key
// drawn at random when the cache is made (so the keys mean nothing outside this process, and a
// memory dump does not hold a password-equivalent hash an attacker could test offline without
// the key). Bounded and thread-safe (common::TtlCache).
#pragma once

#include "ttl_cache.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
  std::optional<Login> find(const Digest& key, Clock::time_point now = Clock::now()) {
    return logins_.find(key, now);
  }
  void remember(const Digest& key, Login login, Clock::time_point now = Clock::now()) {
    logins_.remember(key, std::move(login), ttl_, now);
  }
  size_t size() const { return logins_.size(); }

private:
  struct DigestHash {
    size_t operator()(const Digest& d) const noexcept;
  };

  const std::chrono::milliseconds ttl_;
  std::array<uint8_t, 32> secret_{};
  common::TtlCache<Digest, Login, DigestHash> logins_;
};

} // namespace exaproxy::auth
