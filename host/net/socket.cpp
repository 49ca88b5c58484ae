#include "net/socket.h"

#include "net/fd_budget.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace exaproxy::net {

void Fd::reset(int fd) {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = fd;
}

namespace {
Error sysError(const std::string& what) {
  return makeError(errno, what + ": " + std::strerror(errno));
}
} // namespace

Result<Fd> listenTcp(const Endpoint& at, bool reusePort, int backlog) {
  int family = at.address.isV6() ? AF_INET6 : AF_INET;
  Fd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return sysError("socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reusePort && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == -1)
    return sysError("setsockopt(SO_REUSEPORT)");
  if (family == AF_INET6) // a [::] listener is IPv6 only; list 0.0.0.0 separately for IPv4
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  sockaddr_storage ss;
  socklen_t len = at.toSockaddr(ss);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == -1)
    return sysError("bind " + at.toString());
  if (::listen(fd.get(), backlog) == -1)
    return sysError("listen " + at.toString());
  return fd;
}

Result<Fd> startConnect(const Endpoint& to, const std::optional<IpAddress>& source) {
  int family = to.address.isV6() ? AF_INET6 : AF_INET;
  Fd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return sysError("socket");
  if (overDescriptorCeiling(fd.get())) // the last descriptors are kept for the UI and the logs
    return makeError(EMFILE, "socket: out of file descriptors (the reserve is kept free)");
  if (source && source->family() == family) {
    int one = 1;
    // Many upstream connections from one source address: let the kernel pick the port at connect.
    ::setsockopt(fd.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_storage ss;
    socklen_t len = Endpoint{*source, 0}.toSockaddr(ss);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == -1)
      return sysError("bind " + source->toString());
  }
  tuneStream(fd.get());
  sockaddr_storage ss;
  socklen_t len = to.toSockaddr(ss);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == -1 && errno != EINPROGRESS)
    return sysError("connect " + to.toString());
  return fd;
}

int socketError(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
    return errno;
  return err;
}

std::optional<Endpoint> localEndpoint(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == -1)
    return std::nullopt;
  return Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
}

std::optional<Endpoint> peerEndpoint(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == -1)
    return std::nullopt;
  return Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
}

void tuneStream(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

} // namespace exaproxy::net
