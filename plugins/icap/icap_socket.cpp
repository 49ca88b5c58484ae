#include "icap_socket.h"

#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace exaproxy::icap {

namespace {

int msLeft(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

// Waits for `events` on fd: true when ready, false on the deadline (why says so).
bool waitFor(int fd, short events, Deadline deadline, std::string& why) {
  for (;;) {
    int ms = msLeft(deadline);
    if (ms == 0) {
      why = "timed out";
      return false;
    }
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, ms);
    if (n > 0)
      return true;
    if (n < 0 && errno != EINTR) {
      why = std::string("poll: ") + std::strerror(errno);
      return false;
    }
  }
}

} // namespace

Result<int> dial(const ServiceUri& uri, Deadline deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(uri.port);
  int rc = ::getaddrinfo(uri.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0)
    return Result<int>::failure("cannot resolve " + uri.host + ": " + ::gai_strerror(rc));
  std::string why = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && waitFor(fd, POLLOUT, deadline, why))) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) {
        ::freeaddrinfo(found);
        return fd;
      }
      why = std::strerror(err);
    } else if (errno != EINPROGRESS) {
      why = std::strerror(errno);
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return Result<int>::failure("cannot connect to " + uri.host + ":" + port + ": " + why);
}

bool sendAll(int fd, std::string_view data, Deadline deadline, std::string& why) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!waitFor(fd, POLLOUT, deadline, why))
        return false;
      continue;
    }
    why = std::string("send: ") + std::strerror(errno);
    return false;
  }
  return true;
}

long readSome(int fd, std::string& out, Deadline deadline, std::string& why) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      return n;
    }
    if (n == 0)
      return 0;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!waitFor(fd, POLLIN, deadline, why))
        return -1;
      continue;
    }
    why = std::string("recv: ") + std::strerror(errno);
    return -1;
  }
}

long readNow(int fd, std::string& out, bool& closed, std::string& why, size_t max) {
  char buf[65536];
  long total = 0;
  while (static_cast<size_t>(total) < max) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      total += n;
      continue;
    }
    if (n == 0) {
      closed = true;
      return total;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return total;
    why = std::string("recv: ") + std::strerror(errno);
    return -1;
  }
  return total;
}

bool sendOrRead(int fd, std::string_view& data, Deadline deadline, std::string& in,
                std::string& why) {
  for (;;) {
    int ms = msLeft(deadline);
    if (ms == 0) {
      why = "timed out";
      return false;
    }
    pollfd p{fd, POLLIN | POLLOUT, 0};
    int n = ::poll(&p, 1, ms);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      why = std::string("poll: ") + std::strerror(errno);
      return false;
    }
    if (n == 0)
      continue;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      bool closed = false;
      if (readNow(fd, in, closed, why, 65536) < 0)
        return false;
      if (closed) {
        why = "the service closed the connection";
        return false;
      }
    }
    if (p.revents & POLLOUT) {
      ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent > 0)
        data.remove_prefix(static_cast<size_t>(sent));
      else if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        why = std::string("send: ") + std::strerror(errno);
        return false;
      }
    }
    return true;
  }
}

bool stillOpen(int fd) {
  char c;
  ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

} // namespace exaproxy::icap
