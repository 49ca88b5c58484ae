#include "plugin/plugin_file.h"

#include "net/socket.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace exaproxy::plugin {

Result<std::vector<unsigned char>> readPluginFile(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return makeError(errno, errno == ENOENT ? std::string("file not found")
                                            : std::string("cannot open: ") + std::strerror(errno));
  net::Fd owner(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return makeError(errno, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return makeError(EINVAL, "not a regular file");
  std::vector<unsigned char> bytes;
  bytes.reserve(static_cast<size_t>(st.st_size));
  // Until end of file, whatever the size said: someone may be writing it right now, and the
  // digest must describe exactly the bytes that will be mapped.
  unsigned char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return makeError(errno, std::string("read failed: ") + std::strerror(errno));
    if (n == 0)
      break;
    if (bytes.size() + static_cast<size_t>(n) > kMaxPluginFileBytes)
      return makeError(EFBIG, "too large for a plugin (more than 1 GiB)");
    bytes.insert(bytes.end(), buf, buf + n);
  }
  return bytes;
}

Result<std::string> fileDigest(const std::filesystem::path& file) {
  auto bytes = readPluginFile(file);
  if (!bytes)
    return bytes.error();
  return sha256Hex(*bytes);
}

} // namespace exaproxy::plugin
