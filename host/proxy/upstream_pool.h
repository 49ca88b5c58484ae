// UpstreamPool: idle keep-alive connections to upstream servers, per loop, keyed by the address
// connected to. A pooled connection is watched: if the server closes it or sends anything while
// idle, it is dropped; after [timeouts] upstream_idle it is closed.
#pragma once

#include "core/counters.h"
#include "core/ip_address.h"
#include "net/event_loop.h"
#include "net/socket.h"

#include <chrono>
#include <list>
#include <memory>
#include <unordered_map>

namespace exaproxy::proxy {

class UpstreamPool {
public:
  UpstreamPool(net::EventLoop& loop, Counters& counters) : loop_(loop), counters_(counters) {}
  ~UpstreamPool();

  void setLimits(size_t perDestination, std::chrono::milliseconds idle) {
    perDestination_ = perDestination;
    idle_ = idle;
  }
  // An idle connection and its epoll registration, handed over as one so that parking and reusing
  // a connection costs no epoll_ctl.
  struct Conn {
    net::Fd fd;
    net::IoWatch watch;
  };
  // Takes an idle connection to `to` (its watch still carries the pool's callback: set yours), or
  // one with an invalid fd. `probe`: first make sure (one non-blocking MSG_PEEK) that the server
  // has not closed it since the loop last looked — for requests that cannot be retried (a body
  // already on its way); a body-less request skips that syscall and is retried once instead.
  Conn take(const Endpoint& to, bool probe);
  // Parks a healthy connection (its response fully read, nothing unread).
  void put(const Endpoint& to, Conn conn);
  size_t size() const { return total_; }
  void clear();

private:
  struct EndpointHash {
    size_t operator()(const Endpoint& e) const noexcept;
  };
  struct Entry {
    explicit Entry(net::EventLoop& loop) : timer(loop) {}
    net::Fd fd;
    net::IoWatch watch; // EOF or stray bytes while idle: drop
    net::Timer timer;   // upstream_idle
    Endpoint to;
    std::list<Entry>::iterator self;
  };
  using List = std::list<Entry>;
  void drop(Entry* e);
  // Entries dropped by their own watch or timer (whose callback may still be running) wait in
  // retired_ until the next pool operation, then join spare_: list nodes reused by put(), so
  // parking a connection allocates nothing in the steady state.
  void recycle();

  net::EventLoop& loop_;
  Counters& counters_;
  size_t perDestination_ = 16;
  std::chrono::milliseconds idle_{30000};
  size_t total_ = 0;
  std::unordered_map<Endpoint, List, EndpointHash> idle_lists_;
  List retired_;
  List spare_;
};

} // namespace exaproxy::proxy
