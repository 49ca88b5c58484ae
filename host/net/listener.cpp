#include "net/listener.h"

#include <sys/socket.h>

#include <cerrno>

namespace exaproxy::net {

Listener::Listener(EventLoop& loop, Fd socket, Endpoint bound, AcceptCallback cb)
    : socket_(std::move(socket)), bound_(bound), cb_(std::move(cb)),
      watch_(loop, socket_.get(), EPOLLIN, [this](uint32_t) { onReadable(); }) {}

void Listener::pause() {
  paused_ = true;
  watch_.setEvents(0);
}

void Listener::resume() {
  if (!socket_.valid())
    return;
  paused_ = false;
  watch_.setEvents(EPOLLIN);
}

void Listener::close() {
  watch_.reset();
  socket_.reset();
}

void Listener::onReadable() {
  // Accept a bounded batch per wake-up so one busy listener cannot starve the loop's other work.
  for (int i = 0; i < 64 && !paused_ && socket_.valid(); ++i) {
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = ::accept4(socket_.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd == -1) {
      // EAGAIN: done; EMFILE/ENFILE/ENOBUFS: try again on the next wake-up; ECONNABORTED: next.
      if (errno == ECONNABORTED || errno == EINTR)
        continue;
      return;
    }
    auto peer = Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
    tuneStream(fd);
    cb_(Fd(fd), peer.value_or(Endpoint{}));
  }
}

} // namespace exaproxy::net
