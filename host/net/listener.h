// Listener: accepts connections on one loop's listening socket (one SO_REUSEPORT socket per loop,
// so accepting takes no lock and the kernel spreads clients over the loops).
#pragma once

#include "net/event_loop.h"
#include "net/socket.h"

#include <functional>

namespace exaproxy::net {

class Listener {
public:
  // Called on the loop thread for every accepted connection (non-blocking, close-on-exec).
  using AcceptCallback = std::function<void(Fd fd, const Endpoint& peer)>;
  // Asked before each accept: false stops this round (the owner pauses the listener).
  using Gate = std::function<bool()>;
  // Out of descriptors (errno EMFILE/ENFILE/ENOBUFS/ENOMEM, or the reserve reached): accepting
  // stops for 100 ms; the owner reports it.
  using ExhaustedCallback = std::function<void(int err)>;

  Listener(EventLoop& loop, Fd socket, Endpoint bound, AcceptCallback cb, Gate gate = {},
           ExhaustedCallback exhausted = {});

  const Endpoint& endpoint() const { return bound_; }
  // Stops / restarts accepting (connection limit); pending clients wait in the kernel backlog.
  void pause();
  void resume();
  bool paused() const { return paused_; }
  // Closes the socket (draining): new clients are refused by the kernel.
  void close();

private:
  void onReadable();
  void backOff(int err);

  Fd socket_;
  Endpoint bound_;
  AcceptCallback cb_;
  Gate gate_;
  ExhaustedCallback exhausted_;
  IoWatch watch_;
  Timer backoff_; // out of file descriptors: stop accepting for a moment instead of spinning
  bool paused_ = false;
  bool backingOff_ = false;
};

} // namespace exaproxy::net
