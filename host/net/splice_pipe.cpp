#include "net/splice_pipe.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace exaproxy::net {

ssize_t SplicePipe::fill(int from, size_t max) {
  size_t room = capacity_ > pending_ ? capacity_ - pending_ : 0;
  size_t want = std::min(max, room);
  if (want == 0) {
    errno = EAGAIN;
    return -1;
  }
  ssize_t n;
  do {
    n = ::splice(from, nullptr, write_.get(), nullptr, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  } while (n == -1 && errno == EINTR);
  if (n > 0)
    pending_ += static_cast<size_t>(n);
  return n;
}

ssize_t SplicePipe::drain(int to, size_t max) {
  size_t want = std::min(max, pending_);
  if (want == 0)
    return 0;
  ssize_t n;
  do {
    n = ::splice(read_.get(), nullptr, to, nullptr, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  } while (n == -1 && errno == EINTR);
  if (n > 0)
    pending_ -= static_cast<size_t>(n);
  return n;
}

std::optional<SplicePipe> PipePool::acquire() {
  if (!free_.empty()) {
    SplicePipe p = std::move(free_.back());
    free_.pop_back();
    return p;
  }
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
    return std::nullopt;
  Fd r(fds[0]);
  Fd w(fds[1]);
  // Past the per-user pipe budget the kernel refuses a size (EPERM), or hands out smaller pipes:
  // whatever capacity the pipe has is the one used.
  int capacity = ::fcntl(w.get(), F_SETPIPE_SZ, static_cast<int>(size_));
  if (capacity < 0)
    capacity = ::fcntl(w.get(), F_GETPIPE_SZ);
  if (capacity <= 0)
    return std::nullopt;
  ++created_;
  return SplicePipe(std::move(r), std::move(w), static_cast<size_t>(capacity));
}

void PipePool::release(SplicePipe pipe) {
  if (!pipe.valid() || pipe.pending() != 0 || free_.size() >= keep_)
    return; // closed here: a pipe holding bytes of a dead tunnel is never handed out again
  free_.push_back(std::move(pipe));
}

} // namespace exaproxy::net
