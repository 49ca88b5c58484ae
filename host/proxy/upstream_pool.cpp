#include "proxy/upstream_pool.h"

#include <sys/socket.h>

#include <cerrno>

namespace exaproxy::proxy {

namespace {
constexpr size_t kMaxSpare = 64; // recycled list nodes kept per loop
} // namespace

size_t UpstreamPool::EndpointHash::operator()(const Endpoint& e) const noexcept {
  // FNV-1a over the significant address bytes and the port.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint8_t b) {
    h ^= b;
    h *= 1099511628211ull;
  };
  size_t n = e.address.isV6() ? 16 : 4;
  for (size_t i = 0; i < n; ++i)
    mix(e.address.bytes()[i]);
  mix(static_cast<uint8_t>(e.port >> 8));
  mix(static_cast<uint8_t>(e.port));
  return static_cast<size_t>(h);
}

UpstreamPool::~UpstreamPool() { clear(); }

void UpstreamPool::clear() {
  exaproxy::drop(counters_.upstream_pooled, total_);
  total_ = 0;
  idle_lists_.clear();
  retired_.clear();
  spare_.clear();
}

void UpstreamPool::recycle() {
  if (retired_.empty())
    return;
  spare_.splice(spare_.end(), retired_);
  while (spare_.size() > kMaxSpare)
    spare_.pop_back();
}

UpstreamPool::Conn UpstreamPool::take(const Endpoint& to, bool probe) {
  recycle();
  auto found = idle_lists_.find(to);
  if (found == idle_lists_.end())
    return {};
  auto& list = found->second;
  Conn out;
  while (!list.empty()) {
    // Most recently parked first: the one least likely to have been closed by the server.
    auto it = std::prev(list.end());
    Entry& e = *it;
    --total_;
    exaproxy::drop(counters_.upstream_pooled);
    bool usable = true;
    if (probe) {
      char byte;
      ssize_t n = ::recv(e.fd.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      usable = n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK); // alive and quiet
    }
    e.timer.cancel();
    if (usable) {
      out = Conn{std::move(e.fd), std::move(e.watch)};
    } else {
      e.watch.reset();
      e.fd.reset();
    }
    spare_.splice(spare_.end(), list, it); // not running any of its callbacks: reusable now
    if (out.fd.valid())
      break;
  }
  // An emptied list stays (a busy destination refills it at once; put() sweeps old ones).
  return out;
}

void UpstreamPool::put(const Endpoint& to, Conn conn) {
  if (perDestination_ == 0)
    return;
  recycle();
  auto [where, inserted] = idle_lists_.try_emplace(to);
  if (inserted && idle_lists_.size() > 2 * total_ + 64) {
    // Lists emptied by take() stay for reuse; sweep them once they outnumber the live ones.
    for (auto i = idle_lists_.begin(); i != idle_lists_.end();)
      i = (i->second.empty() && i != where) ? idle_lists_.erase(i) : std::next(i);
  }
  auto& list = where->second;
  if (list.size() >= perDestination_)
    return; // the connection closes here (the list is not empty: it stays)
  if (spare_.empty())
    list.emplace_back(loop_);
  else
    list.splice(list.end(), spare_, spare_.begin());
  auto it = std::prev(list.end());
  Entry& e = *it;
  e.fd = std::move(conn.fd);
  e.watch = std::move(conn.watch);
  e.to = to;
  e.self = it;
  // Anything readable on an idle connection (EOF, or bytes nobody asked for) makes it unusable.
  if (!e.watch.active())
    e.watch = net::IoWatch(loop_, e.fd.get(), EPOLLIN, {});
  Entry* self = &e;
  e.watch.setCallback([this, self](uint32_t) { drop(self); });
  e.watch.setEvents(EPOLLIN);
  e.timer.setCallback([this, self] { drop(self); });
  e.timer.arm(idle_);
  ++total_;
  bump(counters_.upstream_pooled);
}

void UpstreamPool::drop(Entry* e) {
  auto found = idle_lists_.find(e->to);
  if (found == idle_lists_.end())
    return;
  // Called from the entry's own watch or timer: silence and close now; the node (holding the
  // running callback) waits in retired_ until the next pool operation.
  e->watch.reset();
  e->timer.cancel();
  e->fd.reset();
  retired_.splice(retired_.end(), found->second, e->self);
  --total_;
  exaproxy::drop(counters_.upstream_pooled);
  if (found->second.empty())
    idle_lists_.erase(found);
}

} // namespace exaproxy::proxy
