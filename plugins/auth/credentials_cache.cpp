#include "credentials_cache.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>

#include <cstring>
#include <stdexcept>

namespace exaproxy::auth {

CredentialsCache::CredentialsCache(std::chrono::milliseconds ttl, size_t capacity)
    : ttl_(ttl), logins_(capacity) {
  size_t got = 0;
  while (got < secret_.size()) {
    ssize_t n = ::getrandom(secret_.data() + got, secret_.size() - got, 0);
    if (n < 0)
      throw std::runtime_error("getrandom failed: cannot key the credentials cache");
    got += static_cast<size_t>(n);
  }
}

CredentialsCache::Digest CredentialsCache::keyOf(std::string_view user,
                                                 std::string_view password) const {
  std::string message;
  message.reserve(user.size() + 1 + password.size());
  message.append(user);
  message += '\0';
  message.append(password);
  Digest out{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(),
            &len) ||
      len != out.size())
    throw std::runtime_error("HMAC-SHA-256 failed");
  std::memset(message.data(), 0, message.size()); // the clear password does not linger
  return out;
}

size_t CredentialsCache::DigestHash::operator()(const Digest& d) const noexcept {
  size_t h;
  std::memcpy(&h, d.data(), sizeof h); // an HMAC's bytes are uniform already
  return h;
}

} // namespace exaproxy::auth
