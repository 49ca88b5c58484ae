#include "net/event_loop.h"

#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace exaproxy::net {

// The loop owns one Slot per registration; epoll's data.ptr points at it. A removed slot is kept
// until the current dispatch batch is over, so an event already fetched for it finds alive=false.
struct IoWatch::Slot {
  int fd = -1;
  uint32_t events = 0;
  bool alive = true;
  IoWatch::Callback cb;
};

namespace {
[[noreturn]] void fatal(const char* what) {
  std::fprintf(stderr, "exaproxy: fatal: %s: %s\n", what, std::strerror(errno));
  std::abort();
}
} // namespace

// ---- IoWatch ----

IoWatch::IoWatch(EventLoop& loop, int fd, uint32_t events, Callback cb)
    : loop_(&loop), slot_(loop.addWatch(fd, events, std::move(cb))) {}

IoWatch::~IoWatch() { reset(); }

IoWatch::IoWatch(IoWatch&& o) noexcept : loop_(o.loop_), slot_(o.slot_) { o.slot_ = nullptr; }

IoWatch& IoWatch::operator=(IoWatch&& o) noexcept {
  if (this != &o) {
    reset();
    loop_ = o.loop_;
    slot_ = o.slot_;
    o.slot_ = nullptr;
  }
  return *this;
}

void IoWatch::setEvents(uint32_t events) {
  if (slot_ && slot_->events != events)
    loop_->modifyWatch(slot_, events);
}

bool IoWatch::trySetEvents(uint32_t events) {
  if (!slot_)
    return false;
  return slot_->events == events || loop_->tryModifyWatch(slot_, events);
}

void IoWatch::setCallback(Callback cb) {
  if (!slot_)
    return;
  // The old callback may be the one running now (a connection handed over from its own
  // callback): it is destroyed after the dispatch batch.
  if (slot_->cb)
    loop_->retiredCallbacks_.push_back(std::move(slot_->cb));
  slot_->cb = std::move(cb);
}

uint32_t IoWatch::events() const { return slot_ ? slot_->events : 0; }

int IoWatch::fd() const { return slot_ ? slot_->fd : -1; }

void IoWatch::reset() {
  if (slot_) {
    loop_->removeWatch(slot_);
    slot_ = nullptr;
  }
}

// ---- Timer ----

Timer::Timer(EventLoop& loop, std::function<void()> cb) : loop_(loop), cb_(std::move(cb)) {}

Timer::~Timer() { cancel(); }

void Timer::arm(Millis delay) { armAt(loop_.now() + delay); }

void Timer::armAt(Clock::time_point deadline) { loop_.timerArm(this, deadline); }

void Timer::cancel() {
  if (armed())
    loop_.timerCancel(this);
}

// ---- EventLoop ----

EventLoop::EventLoop() : now_(Clock::now()) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ == -1)
    fatal("epoll_create1");
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakefd_ == -1)
    fatal("eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr; // nullptr marks the wake-up fd
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) == -1)
    fatal("epoll_ctl(wakefd)");
}

EventLoop::~EventLoop() {
  buryDead();
  ::close(wakefd_);
  ::close(epfd_);
}

IoWatch::Slot* EventLoop::addWatch(int fd, uint32_t events, IoWatch::Callback cb) {
  auto slot = std::make_unique<IoWatch::Slot>();
  slot->fd = fd;
  slot->events = events;
  slot->cb = std::move(cb);
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = slot.get();
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == -1)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl(ADD)");
  return slot.release();
}

bool EventLoop::tryModifyWatch(IoWatch::Slot* slot, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = slot;
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, slot->fd, &ev) == -1)
    return false;
  slot->events = events;
  return true;
}

void EventLoop::modifyWatch(IoWatch::Slot* slot, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = slot;
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, slot->fd, &ev) == -1)
    fatal("epoll_ctl(MOD)");
  slot->events = events;
}

void EventLoop::removeWatch(IoWatch::Slot* slot) {
  // The fd may already be closed by its owner (closing removes it from epoll): ignore errors.
  epoll_ctl(epfd_, EPOLL_CTL_DEL, slot->fd, nullptr);
  // The callback may be the caller (a watch removed from its own callback): it is destroyed with
  // the slot after the dispatch batch, never while it runs.
  slot->alive = false;
  garbage_.emplace_back(slot);
}

// Timers: a binary min-heap of Timer*, each timer knowing its index so cancel is O(log n).
void EventLoop::timerArm(Timer* t, Clock::time_point deadline) {
  t->deadline_ = deadline;
  if (t->armed()) {
    heapUp(t->heapIndex_);
    heapDown(t->heapIndex_);
    return;
  }
  t->heapIndex_ = heap_.size();
  heap_.push_back(t);
  heapUp(t->heapIndex_);
}

void EventLoop::timerCancel(Timer* t) {
  size_t i = t->heapIndex_;
  size_t last = heap_.size() - 1;
  if (i != last)
    heapSwap(i, last);
  heap_.pop_back();
  t->heapIndex_ = Timer::kNotArmed;
  if (i < heap_.size()) {
    heapUp(i);
    heapDown(i);
  }
}

void EventLoop::heapSwap(size_t a, size_t b) {
  std::swap(heap_[a], heap_[b]);
  heap_[a]->heapIndex_ = a;
  heap_[b]->heapIndex_ = b;
}

void EventLoop::heapUp(size_t i) {
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (heap_[parent]->deadline_ <= heap_[i]->deadline_)
      break;
    heapSwap(i, parent);
    i = parent;
  }
}

void EventLoop::heapDown(size_t i) {
  for (;;) {
    size_t l = 2 * i + 1;
    size_t r = l + 1;
    size_t m = i;
    if (l < heap_.size() && heap_[l]->deadline_ < heap_[m]->deadline_)
      m = l;
    if (r < heap_.size() && heap_[r]->deadline_ < heap_[m]->deadline_)
      m = r;
    if (m == i)
      return;
    heapSwap(i, m);
    i = m;
  }
}

void EventLoop::runTimers() {
  while (!heap_.empty() && heap_.front()->deadline_ <= now_) {
    Timer* t = heap_.front();
    timerCancel(t);
    if (t->cb_)
      t->cb_(); // may re-arm t; an owner ending its life here uses deferDestroy()
  }
}

int EventLoop::nextTimeoutMs() const {
  if (heap_.empty())
    return -1;
  auto delta = heap_.front()->deadline_ - Clock::now();
  if (delta <= Clock::duration::zero())
    return 0;
  // Round up so that a timer is never woken for a few microseconds early and spins.
  auto ms = std::chrono::ceil<Millis>(delta).count();
  return ms > 60000 ? 60000 : static_cast<int>(ms);
}

void EventLoop::post(std::function<void()> fn) {
  if (thread_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
    soon_.push_back(std::move(fn)); // run() takes it before it waits again
    return;
  }
  bool wake;
  {
    std::lock_guard lock(mailboxMutex_);
    // A mailbox that holds something already has a wake-up on its way (or the loop is between
    // reading the eventfd and taking the mailbox): one write per batch, not per message.
    wake = mailbox_.empty();
    mailbox_.push_back(std::move(fn));
  }
  if (!wake)
    return;
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wakefd_, &one, sizeof one);
}

void EventLoop::stop() {
  {
    std::lock_guard lock(mailboxMutex_);
    stopFlag_ = true;
  }
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wakefd_, &one, sizeof one);
}

void EventLoop::drainMailbox() {
  uint64_t value;
  [[maybe_unused]] auto n = ::read(wakefd_, &value, sizeof value);
  {
    std::lock_guard lock(mailboxMutex_);
    work_.swap(mailbox_); // the mailbox gets the emptied vector back: its capacity is reused
    if (stopFlag_) {      // consumed once: a later run() must not stop at its first post
      stopRequested_ = true;
      stopFlag_ = false;
    }
  }
  for (auto& fn : work_)
    fn();
  work_.clear(); // what the messages captured goes now
}

// What the loop posted to itself during this iteration; what those post in turn waits for the
// next one (the wait before it does not sleep).
void EventLoop::runSoon() {
  if (soon_.empty())
    return;
  soonWork_.swap(soon_);
  for (auto& fn : soonWork_)
    fn();
  soonWork_.clear();
}

void EventLoop::buryDead() {
  while (!graveyard_.empty()) {
    burying_.swap(graveyard_);
    for (const auto& d : burying_)
      d.destroy(d.object);
    burying_.clear();
  }
}

void EventLoop::runPosted() {
  drainMailbox();
  garbage_.clear();
  buryDead();
  retiredCallbacks_.clear();
}

void EventLoop::setCoalesceWindow(std::chrono::microseconds window) {
  coalesceWindow_ = window.count() > 0 ? window : std::chrono::microseconds::zero();
}

// The arrival rate is estimated as (mean events per fetch) / (mean time between fetches), both
// moving averages with weight 1/4: a ratio of averages, so that two fetches a few microseconds
// apart do not read as a flood. Sleeping pays when it saves wake-ups: when at least
// kCoalesceMinExpected events are expected to arrive within the window.
bool EventLoop::shouldCoalesce(int fetched, Clock::duration since) {
  if (coalesceWindow_.count() == 0)
    return false;
  double us = std::chrono::duration<double, std::micro>(since).count();
  meanFetched_ += (fetched - meanFetched_) / 4;
  meanGapUs_ += (us - meanGapUs_) / 4;
  if (fetched < kCoalesceMinBatch)
    return false;
  double expected =
      meanFetched_ * static_cast<double>(coalesceWindow_.count()) / std::max(meanGapUs_, 1.0);
  return expected >= kCoalesceMinExpected;
}

// Sleeps through the coalescing window (cut short by a timer that falls due inside it). Events
// that arrive meanwhile only join the ready list: no wake-up, no IPI from the sender's core.
void EventLoop::coalesceWait() {
  if (!timerSlackSet_) {
    // The window is tens of microseconds; the default timer slack (50 us) would double it.
    prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
    timerSlackSet_ = true;
  }
  auto wake = Clock::now() + coalesceWindow_;
  if (!heap_.empty() && heap_.front()->deadline_ < wake)
    wake = heap_.front()->deadline_;
  auto delta = std::chrono::duration_cast<std::chrono::nanoseconds>(wake - Clock::now()).count();
  if (delta <= 0)
    return;
  timespec ts{static_cast<time_t>(delta / 1000000000), static_cast<long>(delta % 1000000000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
  }
  ++coalescedWaits_;
}

void EventLoop::run() {
  thread_.store(std::this_thread::get_id());
  running_ = true;
  stopRequested_ = false;
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  bool coalesce = false;
  Clock::time_point lastFetch = Clock::now();
  while (!stopRequested_) {
    if (coalesce)
      coalesceWait();
    int n = epoll_wait(epfd_, events, kMaxEvents, soon_.empty() ? nextTimeoutMs() : 0);
    now_ = Clock::now();
    if (n == -1) {
      if (errno == EINTR)
        continue;
      fatal("epoll_wait");
    }
    coalesce = shouldCoalesce(n, now_ - lastFetch);
    lastFetch = now_;
    for (int i = 0; i < n; ++i) {
      auto* slot = static_cast<IoWatch::Slot*>(events[i].data.ptr);
      if (slot == nullptr) {
        drainMailbox();
        continue;
      }
      if (slot->alive && slot->cb)
        slot->cb(events[i].events); // may remove its own watch: the slot then waits in garbage_
    }
    runTimers();
    runSoon();
    if (iterationHook_)
      iterationHook_();
    garbage_.clear();
    buryDead();
    retiredCallbacks_.clear();
  }
  running_ = false;
  thread_.store(std::thread::id{});
  // Left for runPosted(): nothing posted is lost when the loop stops.
  if (!soon_.empty()) {
    std::lock_guard lock(mailboxMutex_);
    mailbox_.insert(mailbox_.begin(), std::make_move_iterator(soon_.begin()),
                    std::make_move_iterator(soon_.end()));
    soon_.clear();
  }
}

} // namespace exaproxy::net
