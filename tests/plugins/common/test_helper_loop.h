// A HelperLoop for the pool's tests: a small epoll loop on a thread of its own, standing in for
// the host's loop (the host's side of ABI 1.4 has its own tests, tests/unit/plugin/abi_1_4_test).
// Level-triggered, like the host's; post() runs a test's function on the loop thread.
#pragma once

#include "helper_loop.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace exaproxy::common {

class TestHelperLoop final : public HelperLoop {
public:
  TestHelperLoop() {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    ev_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = ev_;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, ev_, &e);
    thread_ = std::thread([this] { run(); });
  }
  ~TestHelperLoop() override {
    stop();
    ::close(ev_);
    ::close(ep_);
  }

  // Ends the loop thread; wake() answers false from then on.
  void stop() {
    stopping_.store(true);
    kick();
    if (thread_.joinable())
      thread_.join();
  }
  // Any thread: fn on the loop thread.
  void post(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      posted_.push_back(std::move(fn));
    }
    kick();
  }
  std::thread::id threadId() const { return id_.load(); }
  size_t watched() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return fds_.size();
  }

  void bind(Client* client) override { client_.store(client); }
  bool wake() override {
    if (stopping_.load())
      return false;
    wakePending_.store(true);
    kick();
    return true;
  }
  bool onLoop() const override { return std::this_thread::get_id() == id_.load(); }
  bool watch(int fd, bool read, bool write) override {
    epoll_event e{};
    e.events = (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u);
    e.data.fd = fd;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!read && !write) {
      ::epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
      fds_.erase(fd);
      return true;
    }
    bool known = fds_.count(fd) != 0;
    if (::epoll_ctl(ep_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e) != 0)
      return false;
    fds_.insert(fd);
    return true;
  }
  void wakeAt(Clock::time_point at) override { at_ = at; }

private:
  void kick() {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(ev_, &one, sizeof one);
  }
  void run() {
    // The host ignores SIGPIPE: a write to a helper that died gives EPIPE, not death.
    sigset_t pipeSet;
    sigemptyset(&pipeSet);
    sigaddset(&pipeSet, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeSet, nullptr);
    id_.store(std::this_thread::get_id());
    epoll_event events[32];
    while (!stopping_.load()) {
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(at_ - Clock::now()).count();
      int n = ::epoll_wait(ep_, events, 32, static_cast<int>(std::clamp<int64_t>(wait, 0, 1000)));
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        uint32_t ev = events[i].events;
        if (fd == ev_) {
          uint64_t v;
          [[maybe_unused]] auto r = ::read(ev_, &v, sizeof v);
          std::vector<std::function<void()>> todo;
          {
            std::lock_guard<std::mutex> lock(mutex_);
            todo.swap(posted_);
          }
          for (auto& fn : todo)
            fn();
          if (wakePending_.exchange(false))
            if (Client* c = client_.load())
              c->onWake();
          continue;
        }
        {
          std::lock_guard<std::mutex> lock(mutex_);
          if (!fds_.count(fd))
            continue; // removed by an earlier event of this batch
        }
        if (Client* c = client_.load())
          c->onReady(fd, (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0,
                     (ev & (EPOLLOUT | EPOLLERR)) != 0);
      }
      if (Clock::now() >= at_) {
        at_ = Clock::time_point::max();
        if (Client* c = client_.load())
          c->onTimer();
      }
    }
  }

  int ep_ = -1;
  int ev_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> wakePending_{false};
  std::atomic<Client*> client_{nullptr};
  std::atomic<std::thread::id> id_{};
  Clock::time_point at_ = Clock::time_point::max(); // the loop thread's
  mutable std::mutex mutex_;
  std::set<int> fds_;
  std::vector<std::function<void()>> posted_;
  std::thread thread_;
};

} // namespace exaproxy::common
