// EventLoop: one thread's epoll set, its timers and its mailbox.
//
// Every loop runs on its own thread and owns everything registered on it; nothing here is
// thread-safe except post() and stop(). Callbacks run on the loop thread and must not throw.
// Registrations (IoWatch) and timers (Timer) are RAII objects owned by whoever uses them:
// destroying one mid-dispatch is safe (events already fetched for it are dropped).
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace exaproxy::net {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

class EventLoop;

// Interest in one file descriptor. Events are epoll's (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP,
// EPOLLRDHUP), level-triggered. The fd is not owned and not closed by the watch.
class IoWatch {
public:
  using Callback = std::function<void(uint32_t events)>;

  IoWatch() = default;
  IoWatch(EventLoop& loop, int fd, uint32_t events, Callback cb);
  ~IoWatch();
  IoWatch(IoWatch&& o) noexcept;
  IoWatch& operator=(IoWatch&& o) noexcept;
  IoWatch(const IoWatch&) = delete;
  IoWatch& operator=(const IoWatch&) = delete;

  // Replaces the callback (no syscall): a connection handed between owners keeps its
  // registration.
  void setCallback(Callback cb);
  // Changes the interest set; a no-op when it is unchanged (no syscall).
  void setEvents(uint32_t events);
  // The same for a descriptor owned by code the host does not trust to keep it open (a plugin's):
  // false, and nothing changed, when the kernel refuses (the fd was closed under the watch),
  // where setEvents() treats that as the host's own bug and aborts.
  bool trySetEvents(uint32_t events);
  uint32_t events() const;
  bool active() const { return slot_ != nullptr; }
  int fd() const;
  // Unregisters now (also done by the destructor).
  void reset();

  struct Slot; // loop-owned; defined in event_loop.cpp

private:
  EventLoop* loop_ = nullptr;
  Slot* slot_ = nullptr;
};

// A one-shot timer; arm() again to re-arm (replaces the previous deadline).
class Timer {
public:
  explicit Timer(EventLoop& loop, std::function<void()> cb = {});
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void setCallback(std::function<void()> cb) { cb_ = std::move(cb); }
  void arm(Millis delay);
  void armAt(Clock::time_point deadline);
  void cancel();
  bool armed() const { return heapIndex_ != kNotArmed; }
  Clock::time_point deadline() const { return deadline_; }

private:
  friend class EventLoop;
  static constexpr size_t kNotArmed = static_cast<size_t>(-1);
  EventLoop& loop_;
  std::function<void()> cb_;
  Clock::time_point deadline_{};
  size_t heapIndex_ = kNotArmed;
};

class EventLoop {
public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until stop(). Call on the loop's own thread.
  void run();
  // Any thread: makes run() return after the current iteration.
  void stop();
  // Any thread: runs fn on the loop thread soon (FIFO per posting thread), never inside the call.
  // From another thread it goes through the mailbox and wakes the loop through an eventfd; from
  // the loop's own thread while it runs (a plugin completing a verdict from a watch callback) it
  // runs at the end of the current iteration, with no system call.
  void post(std::function<void()> fn);
  // After run() returned, on the thread that owns the loop now: runs what was posted since (e.g.
  // completions of worker jobs that finished during shutdown), so nothing posted is left unrun.
  void runPosted();

  // Destroys p after the current dispatch batch, so that an object may end its own life from one
  // of its callbacks (its IoWatch and Timer callbacks are never destroyed while they run). The
  // deleter must be stateless (std::default_delete, or one that recycles the object).
  template <typename T, typename D> void deferDestroy(std::unique_ptr<T, D> p) {
    static_assert(std::is_empty_v<D> && std::is_default_constructible_v<D>);
    if (p)
      graveyard_.push_back(Doomed{p.release(), [](void* q) { D{}(static_cast<T*>(q)); }});
  }

  // Runs at the end of every iteration, after I/O and timers (batched work: access-log lines).
  void setIterationHook(std::function<void()> hook) { iterationHook_ = std::move(hook); }

  // Wake-up coalescing (0 = off, the default). When the loop is busy, its next wait first sleeps
  // `window`, so that the events arriving meanwhile are fetched together instead of each waking
  // the thread. Busy means: the last epoll_wait returned at least kCoalesceMinBatch events, and
  // events arrive fast enough that at least kCoalesceMinExpected are due within one window. A
  // loop fed one event at a time, or at a moderate rate, never sleeps: latency is added only under
  // load, by at most the window per iteration. Loop thread (or before run()).
  void setCoalesceWindow(std::chrono::microseconds window);
  static constexpr int kCoalesceMinBatch = 2;
  static constexpr double kCoalesceMinExpected = 2.0;
  // How many times the loop slept through the window (loop thread, or after run()).
  uint64_t coalescedWaits() const { return coalescedWaits_; }

  // The time at the start of the current iteration (cheap; refreshed once per epoll_wait).
  Clock::time_point now() const { return now_; }
  // Loop thread only: true while inside run().
  bool running() const { return running_; }

private:
  friend class IoWatch;
  friend class Timer;

  IoWatch::Slot* addWatch(int fd, uint32_t events, IoWatch::Callback cb);
  void modifyWatch(IoWatch::Slot* slot, uint32_t events);
  bool tryModifyWatch(IoWatch::Slot* slot, uint32_t events);
  void removeWatch(IoWatch::Slot* slot);

  void timerArm(Timer* t, Clock::time_point deadline);
  void timerCancel(Timer* t);
  void heapSwap(size_t a, size_t b);
  void heapUp(size_t i);
  void heapDown(size_t i);
  void runTimers();
  int nextTimeoutMs() const;
  void drainMailbox();
  void runSoon();
  bool shouldCoalesce(int fetched, Clock::duration since);
  void coalesceWait();

  int epfd_ = -1;
  int wakefd_ = -1;
  bool running_ = false;
  bool stopRequested_ = false;
  std::chrono::microseconds coalesceWindow_{0};
  bool timerSlackSet_ = false;
  double meanFetched_ = 0; // events per epoll_wait, moving average
  double meanGapUs_ = 0;   // microseconds between epoll_wait returns, moving average
  uint64_t coalescedWaits_ = 0;
  Clock::time_point now_;
  std::vector<Timer*> heap_;
  std::vector<std::unique_ptr<IoWatch::Slot>> garbage_; // slots removed during dispatch
  // See deferDestroy(): type-erased without a control block, so deferring costs no allocation.
  struct Doomed {
    void* object;
    void (*destroy)(void*);
  };
  void buryDead(); // destroys the graveyard (and whatever those destructors defer in turn)
  std::vector<Doomed> graveyard_;
  std::vector<Doomed> burying_;
  // Callbacks replaced by IoWatch::setCallback during dispatch (one may be running): destroyed
  // after the batch; the vector keeps its capacity, so a hand-over allocates nothing.
  std::vector<IoWatch::Callback> retiredCallbacks_;
  std::function<void()> iterationHook_;

  std::atomic<std::thread::id> thread_{};       // the thread inside run(), else none
  std::vector<std::function<void()>> soon_;     // loop thread: posted by itself
  std::vector<std::function<void()>> soonWork_; // loop thread: the ones being run
  std::mutex mailboxMutex_;
  std::vector<std::function<void()>> mailbox_;
  std::vector<std::function<void()>> work_; // loop thread: the messages being run
  bool stopFlag_ = false;                   // guarded by mailboxMutex_
};

} // namespace exaproxy::net
