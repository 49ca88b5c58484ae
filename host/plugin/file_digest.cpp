#include "plugin/file_digest.h"

#include <cstdint>
#include <cstring>
#include <fstream>

namespace exaproxy::plugin {

// Placeholder until the loader's SHA-256 lands: FNV-1a 64 over the bytes.
Result<std::string> fileDigest(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return makeError(0, "cannot read " + file.string() + ": " + std::strerror(errno));
  uint64_t h = 1469598103934665603ull;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i)
      h = (h ^ static_cast<unsigned char>(buf[i])) * 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return std::string(out);
}

} // namespace exaproxy::plugin
