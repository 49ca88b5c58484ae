#include "core/digest.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace exaproxy {

Sha256::Sha256() : engine_(std::make_unique<Poco::SHA2Engine>(Poco::SHA2Engine::SHA_256)) {}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
  engine_->update(data, static_cast<unsigned>(size));
}

std::string Sha256::hex() { return Poco::DigestEngine::digestToHex(engine_->digest()); }

std::string sha256Hex(std::span<const unsigned char> bytes) {
  Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  return sha.hex();
}

} // namespace exaproxy
