#include "net/listener.h"

#include <sys/socket.h>

#include <cerrno>

namespace exaproxy::net {

Listener::Listener(EventLoop& loop, Fd socket, Endpoint bound, AcceptCallback cb)
    : socket_(std::move(socket)), bound_(bound), cb_(std::move(cb)),
      watch_(loop, socket_.get(), EPOLLIN, [this](uint32_t) { onReadable(); }),
      backoff_(loop, [this] {
        backingOff_ = false;
        if (!paused_ && socket_.valid())
          watch_.setEvents(EPOLLIN);
      }) {}

void Listener::pause() {
  paused_ = true;
  watch_.setEvents(0);
}

void Listener::resume() {
  if (!socket_.valid())
    return;
  paused_ = false;
  if (!backingOff_)
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
      if (errno == ECONNABORTED || errno == EINTR)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The pending client stays in the backlog and would wake us again at once: wait for
        // descriptors to be freed instead of spinning on a level-triggered listener.
        backingOff_ = true;
        watch_.setEvents(0);
        backoff_.arm(Millis(100));
      }
      return; // EAGAIN: the backlog is empty
    }
    auto peer = Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
    tuneStream(fd);
    cb_(Fd(fd), peer.value_or(Endpoint{}));
  }
}

} // namespace exaproxy::net
