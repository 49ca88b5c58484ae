// SHA-256 content digests (Poco's engine), in lower-case hex: a loaded plugin's file (content,
// not mtime, tells an upgraded build) and the configuration directory (instances that should run
// the same conf.d can show that they do).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace Poco {
class SHA2Engine;
}

namespace exaproxy {

// An incremental SHA-256: update() with the bytes in order, then hex() once.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // The digest of everything given (64 hex characters). Resets the engine.
  std::string hex();

private:
  std::unique_ptr<Poco::SHA2Engine> engine_;
};

// Lower-case hex SHA-256 of bytes (64 characters).
std::string sha256Hex(std::span<const unsigned char> bytes);

} // namespace exaproxy
