// Raw socket helpers: an owning fd, listening and connecting sockets, addresses of a socket.
#pragma once

#include "core/ip_address.h"
#include "core/result.h"

#include <optional>
#include <utility>

namespace exaproxy::net {

// Owns a file descriptor; closes it on destruction.
class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

private:
  int fd_ = -1;
};

// A non-blocking listening TCP socket. reusePort lets every loop bind its own socket to the port.
Result<Fd> listenTcp(const Endpoint& at, bool reusePort, int backlog = 4096);

// Starts a non-blocking connect; the socket becomes writable when it finishes (check
// socketError()). `source` binds the local address first (bind4/bind6).
Result<Fd> startConnect(const Endpoint& to, const std::optional<IpAddress>& source);

// The pending error of a socket (SO_ERROR), 0 when none.
int socketError(int fd);

std::optional<Endpoint> localEndpoint(int fd);
std::optional<Endpoint> peerEndpoint(int fd);

// TCP_NODELAY and friends for both sides of the proxy.
void tuneStream(int fd);

} // namespace exaproxy::net
