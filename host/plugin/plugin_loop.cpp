#include "plugin/plugin_loop.h"

#include "net/event_loop.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <system_error>

namespace exaproxy::plugin {

namespace {

constexpr uint32_t kWatchBits = EXAPROXY_WATCH_READ | EXAPROXY_WATCH_WRITE;

uint32_t toEpoll(uint32_t events) {
  uint32_t out = 0;
  if (events & EXAPROXY_WATCH_READ)
    out |= EPOLLIN;
  if (events & EXAPROXY_WATCH_WRITE)
    out |= EPOLLOUT;
  return out;
}

// What a plugin is told: readiness for what it watches; an error or hang-up as whatever it
// watches (both when it watches nothing: epoll reports those whatever the interest).
uint32_t fromEpoll(uint32_t ready, uint32_t interest) {
  const bool trouble = (ready & (EPOLLERR | EPOLLHUP)) != 0;
  if (interest == 0)
    return trouble ? kWatchBits : 0;
  uint32_t out = 0;
  if ((interest & EXAPROXY_WATCH_READ) && (trouble || (ready & (EPOLLIN | EPOLLRDHUP))))
    out |= EXAPROXY_WATCH_READ;
  if ((interest & EXAPROXY_WATCH_WRITE) && (trouble || (ready & EPOLLOUT)))
    out |= EXAPROXY_WATCH_WRITE;
  return out;
}

} // namespace

bool PluginLoopCore::post(std::function<void()> fn) {
  std::lock_guard lock(mutex);
  if (detached)
    return false;
  if (!loop) {
    early.push_back(std::move(fn));
    return true;
  }
  loop->post(std::move(fn));
  return true;
}

// ---- PluginLoop ---------------------------------------------------------------------------------

PluginLoop::PluginLoop() : core_(std::make_shared<PluginLoopCore>()) {}

PluginLoop::~PluginLoop() { detach(); }

void PluginLoop::attach(net::EventLoop& loop) {
  std::lock_guard lock(core_->mutex);
  if (core_->loop || core_->detached)
    return; // one loop for the process's life
  core_->loop = &loop;
  loop.post([core = core_.get()] { core->thread.store(std::this_thread::get_id()); });
  for (auto& fn : core_->early)
    loop.post(std::move(fn));
  core_->early.clear();
}

void PluginLoop::detach() {
  std::vector<std::weak_ptr<LoopBinding>> bound;
  {
    std::lock_guard lock(core_->mutex);
    if (core_->detached)
      return;
    core_->detached = true;
    core_->early.clear();
    bound.swap(core_->bound);
  }
  for (auto& weak : bound)
    if (auto b = weak.lock())
      b->clearStopped();
  core_->thread.store(std::thread::id{});
  std::lock_guard lock(core_->mutex);
  core_->loop = nullptr;
}

std::shared_ptr<LoopBinding> PluginLoop::bind() {
  auto b = std::make_shared<LoopBinding>(core_);
  std::lock_guard lock(core_->mutex);
  if (!core_->detached) {
    // Drop the entries of bindings that are gone, so a long run of reloads keeps this short.
    std::erase_if(core_->bound, [](const std::weak_ptr<LoopBinding>& w) { return w.expired(); });
    core_->bound.push_back(b);
  }
  return b;
}

// ---- LoopBinding --------------------------------------------------------------------------------

struct LoopBinding::Watch {
  int fd = -1;
  uint32_t interest = 0; // EXAPROXY_WATCH_* bits
  exaproxy_watch_fn fn = nullptr;
  void* arg = nullptr;
  std::unique_ptr<net::IoWatch> io;
};

struct LoopBinding::PendingTimer {
  std::unique_ptr<net::Timer> timer;
};

LoopBinding::LoopBinding(std::shared_ptr<PluginLoopCore> core) : core_(std::move(core)) {}

LoopBinding::~LoopBinding() {
  // close() ran (LoadedPlugin does it first); what is left is never on a running loop.
  watches_.clear();
  timers_.clear();
}

bool LoopBinding::current() const { return core_->onLoop(); }

bool LoopBinding::usable() const { return open_.load() && core_->onLoop(); }

int32_t LoopBinding::post(exaproxy_loop_fn fn, void* arg) {
  if (!fn)
    return EXAPROXY_E_INVALID;
  if (!open_.load())
    return EXAPROXY_E_UNAVAILABLE;
  std::weak_ptr<LoopBinding> self = weak_from_this();
  bool queued = core_->post([self, fn, arg] {
    auto b = self.lock();
    if (b && b->open_.load())
      fn(arg);
  });
  return queued ? EXAPROXY_OK : EXAPROXY_E_UNAVAILABLE;
}

int64_t LoopBinding::addWatch(int fd, uint32_t events, exaproxy_watch_fn fn, void* arg) {
  if (!usable())
    return EXAPROXY_E_UNAVAILABLE;
  if (!fn || fd < 0 || (events & ~kWatchBits) || ::fcntl(fd, F_GETFD) == -1 ||
      watchedFds_.count(fd))
    return EXAPROXY_E_INVALID;
  auto w = std::make_unique<Watch>();
  w->fd = fd;
  w->interest = events;
  w->fn = fn;
  w->arg = arg;
  Watch* raw = w.get();
  try {
    w->io =
        std::make_unique<net::IoWatch>(*core_->loop, fd, toEpoll(events), [raw](uint32_t ready) {
          uint32_t bits = fromEpoll(ready, raw->interest);
          if (bits)                           // may remove this watch: nothing of it
            raw->fn(raw->arg, raw->fd, bits); // is used after
        });
  } catch (const std::system_error&) {
    return EXAPROXY_E_INVALID; // epoll refused it (a regular file, a descriptor it holds...)
  }
  int64_t id = nextId_++;
  watchedFds_[fd] = id;
  watches_[id] = std::move(w);
  return id;
}

int32_t LoopBinding::setWatch(int64_t id, uint32_t events) {
  if (!usable())
    return EXAPROXY_E_UNAVAILABLE;
  auto it = watches_.find(id);
  if (it == watches_.end())
    return EXAPROXY_E_NOT_FOUND;
  if (events & ~kWatchBits)
    return EXAPROXY_E_INVALID;
  // A plugin that closed the fd under its watch gets an error, not a host abort.
  if (!it->second->io->trySetEvents(toEpoll(events)))
    return EXAPROXY_E_INVALID;
  it->second->interest = events;
  return EXAPROXY_OK;
}

int32_t LoopBinding::removeWatch(int64_t id) {
  if (!usable())
    return EXAPROXY_E_UNAVAILABLE;
  auto it = watches_.find(id);
  if (it == watches_.end())
    return EXAPROXY_E_NOT_FOUND;
  watchedFds_.erase(it->second->fd);
  watches_.erase(it); // the loop keeps a running callback alive until its batch ends
  return EXAPROXY_OK;
}

int64_t LoopBinding::startTimer(uint64_t delayUs, exaproxy_loop_fn fn, void* arg) {
  if (!usable())
    return EXAPROXY_E_UNAVAILABLE;
  if (!fn)
    return EXAPROXY_E_INVALID;
  int64_t id = nextId_++;
  auto t = std::make_unique<PendingTimer>();
  net::EventLoop& loop = *core_->loop;
  t->timer = std::make_unique<net::Timer>(loop);
  t->timer->setCallback([this, id, fn, arg, &loop] {
    auto it = timers_.find(id);
    if (it == timers_.end())
      return;
    // Its std::function is running: the Timer goes after the batch, not now.
    loop.deferDestroy(std::move(it->second->timer));
    timers_.erase(it);
    fn(arg);
  });
  // Microseconds rounded up to the loop's millisecond timers: never early.
  auto delay = std::chrono::ceil<std::chrono::milliseconds>(
      std::chrono::microseconds(std::min<uint64_t>(delayUs, uint64_t{1} << 50)));
  t->timer->arm(delay);
  timers_[id] = std::move(t);
  return id;
}

int32_t LoopBinding::cancelTimer(int64_t id) {
  if (!usable())
    return EXAPROXY_E_UNAVAILABLE;
  auto it = timers_.find(id);
  if (it == timers_.end())
    return EXAPROXY_E_NOT_FOUND;
  it->second->timer->cancel();
  core_->loop->deferDestroy(std::move(it->second->timer));
  timers_.erase(it);
  return EXAPROXY_OK;
}

void LoopBinding::clear(bool loopRunning) {
  // Held throughout: detach() on loop 0's thread and a close() on another may both clear.
  std::lock_guard lock(clearedMutex_);
  if (cleared_)
    return; // a close() posted before detach() ran its clear late (runPosted): nothing left
  loopRunning = loopRunning && core_->loop != nullptr;
  watchedFds_.clear();
  watches_.clear();
  for (auto& [id, t] : timers_) {
    t->timer->cancel();
    if (loopRunning)
      core_->loop->deferDestroy(std::move(t->timer));
  }
  timers_.clear();
  cleared_ = true;
  clearedCv_.notify_all();
}

void LoopBinding::close() {
  if (!open_.exchange(false))
    return;
  if (core_->onLoop()) {
    clear(true);
    return;
  }
  bool queued;
  {
    std::lock_guard lock(core_->mutex);
    queued = core_->loop && !core_->detached;
    if (queued) {
      // The loop runs (or is about to): the watches are its to remove. A detach() meanwhile
      // clears them instead; either way cleared_ is set.
      core_->loop->post([self = shared_from_this()] { self->clear(true); });
    }
  }
  if (!queued) {
    clear(false); // never attached, or stopped: no loop thread touches them
    return;
  }
  // Loop 0 clears it, or detaches (which clears every binding) when its thread ends: a close()
  // waiting on another loop during shutdown is released either way.
  std::unique_lock lock(clearedMutex_);
  clearedCv_.wait(lock, [this] { return cleared_; });
}

void LoopBinding::clearStopped() {
  open_.store(false);
  clear(false);
}

} // namespace exaproxy::plugin
