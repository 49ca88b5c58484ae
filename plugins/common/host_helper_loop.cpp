#include "host_helper_loop.h"

#include <algorithm>

namespace exaproxy::common {

HostHelperLoop::HostHelperLoop(const exaproxy_host_api* api, exaproxy_host* host)
    : api_(api), host_(host), supported_(supported(api)) {}

bool HostHelperLoop::supported(const exaproxy_host_api* api) {
  return api && api->abi_major == EXAPROXY_ABI_MAJOR && api->abi_minor >= 4 &&
         EXAPROXY_HAS_FIELD(api, exaproxy_host_api, timer_cancel);
}

void HostHelperLoop::bind(Client* client) { client_.store(client); }

bool HostHelperLoop::wake() {
  if (!supported_)
    return false;
  if (wakePending_.exchange(true))
    return true; // one already on its way: it runs after this call
  if (api_->loop_post(host_, &HostHelperLoop::posted, this) != EXAPROXY_OK) {
    wakePending_.store(false);
    return false;
  }
  return true;
}

bool HostHelperLoop::onLoop() const { return supported_ && api_->loop_is_current(host_) == 1; }

bool HostHelperLoop::watch(int fd, bool read, bool write) {
  if (!supported_)
    return false;
  uint32_t events =
      (read ? uint32_t{EXAPROXY_WATCH_READ} : 0u) | (write ? uint32_t{EXAPROXY_WATCH_WRITE} : 0u);
  auto it = watches_.find(fd);
  if (events == 0) {
    if (it != watches_.end()) {
      api_->watch_remove(host_, it->second); // E_UNAVAILABLE once the host cleared it: gone too
      watches_.erase(it);
    }
    return true;
  }
  if (it != watches_.end())
    return api_->watch_set(host_, it->second, events) == EXAPROXY_OK;
  int64_t id = api_->watch_add(host_, fd, events, &HostHelperLoop::ready, this);
  if (id <= 0)
    return false;
  watches_[fd] = id;
  return true;
}

void HostHelperLoop::wakeAt(Clock::time_point at) {
  if (!supported_)
    return;
  auto now = Clock::now();
  // An armed timer that fires no later than asked is kept: it comes early at worst, and the
  // client then asks again. So the timer is not re-armed for every request.
  if (timer_ && timerAt_ <= at && timerAt_ > now)
    return;
  if (timer_)
    api_->timer_cancel(host_, timer_);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(at - now).count();
  timer_ = api_->timer_start(host_, static_cast<uint64_t>(std::max<int64_t>(us, 0)),
                             &HostHelperLoop::fired, this);
  if (timer_ <= 0)
    timer_ = 0;
  timerAt_ = at;
}

void HostHelperLoop::posted(void* self) {
  auto* loop = static_cast<HostHelperLoop*>(self);
  loop->wakePending_.store(false);
  if (Client* c = loop->client_.load())
    c->onWake();
}

void HostHelperLoop::ready(void* self, int fd, uint32_t events) {
  auto* loop = static_cast<HostHelperLoop*>(self);
  if (Client* c = loop->client_.load())
    c->onReady(fd, (events & EXAPROXY_WATCH_READ) != 0, (events & EXAPROXY_WATCH_WRITE) != 0);
}

void HostHelperLoop::fired(void* self) {
  auto* loop = static_cast<HostHelperLoop*>(self);
  loop->timer_ = 0;
  if (Client* c = loop->client_.load())
    c->onTimer();
}

} // namespace exaproxy::common
