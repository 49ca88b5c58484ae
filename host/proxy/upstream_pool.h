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
  // Takes an idle connection to `to`, or an invalid Fd.
  net::Fd take(const Endpoint& to);
  // Parks a healthy connection (its response fully read, nothing unread).
  void put(const Endpoint& to, net::Fd fd);
  size_t size() const { return total_; }
  void clear();

private:
  struct Entry {
    Entry(net::EventLoop& loop, net::Fd f) : fd(std::move(f)), timer(loop) {}
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
