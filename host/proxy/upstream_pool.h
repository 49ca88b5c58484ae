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
#include <optional>
#include <string>
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
  // one with an invalid fd.
  Conn take(const Endpoint& to);
  // Parks a healthy connection (its response fully read, nothing unread).
  void put(const Endpoint& to, Conn conn);
  size_t size() const { return total_; }
  void clear();

private:
  struct Entry {
    Entry(net::EventLoop& loop, Conn c)
        : fd(std::move(c.fd)), watch(std::move(c.watch)), timer(loop) {}
    net::Fd fd;
    net::IoWatch watch; // EOF or stray bytes while idle: drop
    net::Timer timer;   // upstream_idle
  };
  using List = std::list<std::unique_ptr<Entry>>;
  void drop(const std::string& key, List::iterator it);

  net::EventLoop& loop_;
  Counters& counters_;
  size_t perDestination_ = 16;
  std::chrono::milliseconds idle_{30000};
  size_t total_ = 0;
  std::unordered_map<std::string, List> idle_lists_;
};

} // namespace exaproxy::proxy
