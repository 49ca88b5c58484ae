// HelperLoop: an event loop a HelperPool runs on instead of a thread of its own. The host's loop
// (ABI 1.4) is one (host_helper_loop.h): the pool's pipes are then read and written on the loop
// that serves the requests, with no thread hop and no context switch per request.
#pragma once

#include <chrono>

namespace exaproxy::common {

class HelperLoop {
public:
  using Clock = std::chrono::steady_clock;

  // What the loop calls, always on its thread.
  class Client {
  public:
    virtual void onWake() = 0;                                      // after wake()
    virtual void onReady(int fd, bool readable, bool writable) = 0; // a watched descriptor
    virtual void onTimer() = 0;                                     // the time of wakeAt() came
  protected:
    virtual ~Client() = default;
  };

  virtual ~HelperLoop() = default;

  // Any thread. Where the events go from now on (nullptr: nowhere; events already on their way
  // are dropped). One client at a time.
  virtual void bind(Client* client) = 0;
  // Any thread: client->onWake() soon, on the loop. False when the loop cannot run it (there is
  // none, or it has stopped): then it never runs.
  virtual bool wake() = 0;
  // Any thread: true when called on the loop's thread.
  virtual bool onLoop() const = 0;
  // Loop thread. Watches fd (level-triggered) for reading and/or writing, replacing the earlier
  // interest in it; neither removes the watch (which must happen before fd is closed). False if
  // refused.
  virtual bool watch(int fd, bool read, bool write) = 0;
  // Loop thread: client->onTimer() once `at` has come (replaces the earlier time; the loop may
  // call it early, never late by more than its clock's millisecond).
  virtual void wakeAt(Clock::time_point at) = 0;
};

} // namespace exaproxy::common
