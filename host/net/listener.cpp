#include "net/listener.h"

#include "net/fd_budget.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace exaproxy::net {

Listener::Listener(EventLoop& loop, Fd socket, Endpoint bound, AcceptCallback cb, Gate gate,
                   ExhaustedCallback exhausted)
    : socket_(std::move(socket)), bound_(bound), cb_(std::move(cb)), gate_(std::move(gate)),
      exhausted_(std::move(exhausted)),
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

void Listener::backOff(int err) {
  // The pending client stays in the backlog and would wake us again at once: wait for
  // descriptors to be freed instead of spinning on a level-triggered listener.
  backingOff_ = true;
  watch_.setEvents(0);
  backoff_.arm(Millis(100));
  if (exhausted_)
    exhausted_(err);
}

void Listener::onReadable() {
  // Accept a bounded batch per wake-up so one busy listener cannot starve the loop's other work.
  for (int i = 0; i < 64 && !paused_ && socket_.valid(); ++i) {
    if (gate_ && !gate_())
      return; // at max_connections: the owner paused us (checked before, so never one over)
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = ::accept4(socket_.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd == -1) {
      if (errno == ECONNABORTED || errno == EINTR)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        backOff(errno);
      return; // EAGAIN: the backlog is empty
    }
    if (overDescriptorCeiling(fd)) {
      // Only the reserve is left: this client is closed at once (it learns now, rather than
      // waiting in the backlog), and the reserve stays free for the UI and the logs.
      ::close(fd);
      backOff(EMFILE);
      return;
    }
    auto peer = Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
    tuneStream(fd);
    cb_(Fd(fd), peer.value_or(Endpoint{}));
  }
}

} // namespace exaproxy::net
