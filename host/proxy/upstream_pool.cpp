#include "proxy/upstream_pool.h"

#include <sys/socket.h>

#include <cerrno>

namespace exaproxy::proxy {

UpstreamPool::~UpstreamPool() { clear(); }

void UpstreamPool::clear() {
  exaproxy::drop(counters_.upstream_pooled, total_);
  total_ = 0;
  idle_lists_.clear();
}

UpstreamPool::Conn UpstreamPool::take(const Endpoint& to) {
  auto found = idle_lists_.find(to.toString());
  if (found == idle_lists_.end())
    return {};
  auto& list = found->second;
  while (!list.empty()) {
    // Most recently parked first: the one least likely to have been closed by the server.
    auto entry = std::move(list.back());
    list.pop_back();
    --total_;
    exaproxy::drop(counters_.upstream_pooled);
    char probe;
    ssize_t n = ::recv(entry->fd.get(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return Conn{std::move(entry->fd), std::move(entry->watch)}; // alive and quiet
  }
  idle_lists_.erase(found);
  return {};
}

void UpstreamPool::put(const Endpoint& to, Conn conn) {
  if (perDestination_ == 0)
    return;
  std::string key = to.toString();
  auto& list = idle_lists_[key];
  if (list.size() >= perDestination_)
    return; // the connection closes here
  list.push_back(std::make_unique<Entry>(loop_, std::move(conn)));
  auto it = std::prev(list.end());
  Entry& e = **it;
  // Anything readable on an idle connection (EOF, or bytes nobody asked for) makes it unusable.
  if (!e.watch.active())
    e.watch = net::IoWatch(loop_, e.fd.get(), EPOLLIN, {});
  e.watch.setCallback([this, key, it](uint32_t) { drop(key, it); });
  e.watch.setEvents(EPOLLIN);
  e.timer.setCallback([this, key, it] { drop(key, it); });
  e.timer.arm(idle_);
  ++total_;
  bump(counters_.upstream_pooled);
}

void UpstreamPool::drop(const std::string& key, List::iterator it) {
  auto found = idle_lists_.find(key);
  if (found == idle_lists_.end())
    return;
  // Called from the entry's own watch or timer: silence both, destroy it after this dispatch.
  (*it)->watch.reset();
  (*it)->timer.cancel();
  loop_.deferDestroy(std::move(*it));
  found->second.erase(it);
  --total_;
  exaproxy::drop(counters_.upstream_pooled);
  if (found->second.empty())
    idle_lists_.erase(found);
}

} // namespace exaproxy::proxy
