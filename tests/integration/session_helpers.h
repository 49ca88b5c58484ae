// Helpers shared by the session_*_test files, which pin the behaviour of ClientSession through the
// real binary: a scripted raw TCP peer (for origins the OriginServer cannot play: a WebSocket
// upgrade, a connection watched for its close) and a loopback port whose connects hang.
#pragma once

#include "itest.h"

#include <atomic>
#include <functional>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <vector>

namespace itest {

// Accepts one connection on 127.0.0.1 (or ::1) and runs script(fd) on it in a thread. Every wait
// is bounded: the accept gives up after 10 s, the script uses deadlines of its own.
class ScriptedPeer {
public:
  using Script = std::function<void(int fd)>;
  explicit ScriptedPeer(Script script, const std::string& host = "127.0.0.1")
      : host_(host), listenFd_(listenOn(host, 0)) {
    port_ = listenFd_ >= 0 ? localPort(listenFd_) : 0;
    thread_ = std::thread([this, s = std::move(script)] {
      pollfd p{listenFd_, POLLIN, 0};
      if (listenFd_ < 0 || ::poll(&p, 1, 10000) != 1)
        return;
      int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0)
        return;
      accepted_ = true;
      s(fd);
      ::close(fd);
      done_ = true;
    });
  }
  ~ScriptedPeer() {
    thread_.join();
    if (listenFd_ >= 0)
      ::close(listenFd_);
  }
  ScriptedPeer(const ScriptedPeer&) = delete;
  ScriptedPeer& operator=(const ScriptedPeer&) = delete;

  bool ok() const { return listenFd_ >= 0; }
  uint16_t port() const { return port_; }
  Endpoint endpoint() const { return {host_, port_}; }
  bool accepted() const { return accepted_; }
  bool done() const { return done_; }

private:
  std::string host_;
  int listenFd_;
  uint16_t port_ = 0;
  std::atomic<bool> accepted_{false};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// Reads from fd until the bytes end with "\r\n\r\n" (a head) or the deadline passes.
inline std::string readHead(int fd, Millis timeout) {
  std::string in;
  auto deadline = Clock::now() + timeout;
  while (in.find("\r\n\r\n") == std::string::npos)
    if (recvSome(fd, in, deadline) <= 0)
      break;
  return in;
}

// Reads from fd until at least n bytes arrived (or EOF, error, deadline).
inline std::string readBytes(int fd, size_t n, Millis timeout) {
  std::string in;
  auto deadline = Clock::now() + timeout;
  while (in.size() < n)
    if (recvSome(fd, in, deadline) <= 0)
      break;
  return in;
}

// A loopback port whose connects hang: a listener with backlog 0 that never accepts, its accept
// queue filled by our own connections first. Linux drops the SYNs a full accept queue would have
// to take, so a further connect neither succeeds nor is refused (no packet leaves the machine).
class BlackholePort {
public:
  BlackholePort() {
    listenFd_ = listenOn("127.0.0.1", 0, 0);
    if (listenFd_ < 0)
      return;
    port_ = localPort(listenFd_);
    for (int i = 0; i < 8; ++i) {
      int fd = connectTo({"127.0.0.1", port_}, Millis(300));
      if (fd < 0) {
        ok_ = true; // this one hung: the queue is full
        return;
      }
      fillers_.push_back(fd);
    }
  }
  ~BlackholePort() {
    for (int fd : fillers_)
      ::close(fd);
    if (listenFd_ >= 0)
      ::close(listenFd_);
  }
  BlackholePort(const BlackholePort&) = delete;
  BlackholePort& operator=(const BlackholePort&) = delete;

  bool ok() const { return ok_; }
  uint16_t port() const { return port_; }

private:
  int listenFd_ = -1;
  uint16_t port_ = 0;
  bool ok_ = false;
  std::vector<int> fillers_;
};

inline long long msSince(Clock::time_point t0) {
  return std::chrono::duration_cast<Millis>(Clock::now() - t0).count();
}

} // namespace itest
