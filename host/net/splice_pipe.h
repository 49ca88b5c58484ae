// Kernel pipes for splice(2). A CONNECT tunnel moves its bytes socket → pipe → socket inside the
// kernel, never copying them through the proxy's memory. Pipes come from a per-loop pool and go
// back to it as soon as they are empty, so an idle tunnel holds no pipe (as an idle keep-alive
// connection holds no buffer).
#pragma once

#include "net/socket.h"

#include <cstddef>
#include <optional>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace exaproxy::net {

class SplicePipe {
public:
  SplicePipe() = default;
  SplicePipe(Fd read, Fd write, size_t capacity)
      : read_(std::move(read)), write_(std::move(write)), capacity_(capacity) {}
  SplicePipe(SplicePipe&& o) noexcept
      : read_(std::move(o.read_)), write_(std::move(o.write_)),
        capacity_(std::exchange(o.capacity_, 0)), pending_(std::exchange(o.pending_, 0)) {}
  SplicePipe& operator=(SplicePipe&& o) noexcept {
    read_ = std::move(o.read_);
    write_ = std::move(o.write_);
    capacity_ = std::exchange(o.capacity_, 0);
    pending_ = std::exchange(o.pending_, 0);
    return *this;
  }

  bool valid() const { return read_.valid(); }
  size_t capacity() const { return capacity_; }
  // Bytes in the pipe, moved in by fill() and not yet out by drain().
  size_t pending() const { return pending_; }

  // Moves up to `max` bytes (at most the room left) from socket `from` into the pipe, without
  // blocking. Returns the bytes moved (> 0), 0 at the socket's end of stream, or -1 with errno
  // (EAGAIN: nothing to read, or the pipe had no room).
  ssize_t fill(int from, size_t max);
  // Moves up to `max` pending bytes from the pipe to socket `to`, without blocking. Returns the
  // bytes moved (> 0) or -1 with errno (EAGAIN: the socket's send buffer is full).
  ssize_t drain(int to, size_t max);

private:
  Fd read_;
  Fd write_;
  size_t capacity_ = 0;
  size_t pending_ = 0;
};

// One per event loop (not thread-safe). Keeps up to `keep` empty pipes for the next tunnel.
class PipePool {
public:
  // `size`: the capacity asked of each pipe (F_SETPIPE_SZ); the kernel's default when refused.
  // 64 KiB is the kernel's default: 256 KiB pipes moved a 1 GiB tunnel no faster (bench, within
  // noise) and use 4x more of the per-user pipe budget (fs.pipe-user-pages-soft).
  explicit PipePool(size_t keep = 64, size_t size = 64 * 1024) : keep_(keep), size_(size) {}

  // A pipe, from the pool or new; nullopt when none can be made (EMFILE, ENFILE): the caller
  // copies through user space instead.
  std::optional<SplicePipe> acquire();
  // Takes back a pipe once its user is done with it. An empty pipe is kept for reuse (up to
  // `keep`); one still holding bytes is closed, its bytes discarded.
  void release(SplicePipe pipe);

  size_t pooled() const { return free_.size(); }
  size_t created() const { return created_; }

private:
  std::vector<SplicePipe> free_;
  size_t keep_;
  size_t size_;
  size_t created_ = 0;
};

} // namespace exaproxy::net
