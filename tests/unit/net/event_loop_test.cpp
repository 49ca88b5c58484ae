#include "net/event_loop.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace exaproxy::net {
namespace {

// Every test stops its loop with a safety timer too, so a bug cannot hang the suite.
class EventLoopTest : public ::testing::Test {
protected:
  EventLoop loop_;
  Timer safety_{loop_, [this] {
                  timedOut_ = true;
                  loop_.stop();
                }};
  bool timedOut_ = false;
  void run() {
    safety_.arm(Millis(5000));
    loop_.run();
    EXPECT_FALSE(timedOut_);
  }
};

TEST_F(EventLoopTest, TimersFireInDeadlineOrder) {
  std::vector<int> order;
  Timer a(loop_, [&] { order.push_back(30); });
  Timer b(loop_, [&] { order.push_back(10); });
  Timer c(loop_, [&] { order.push_back(20); });
  Timer end(loop_, [&] { loop_.stop(); });
  a.arm(Millis(30));
  b.arm(Millis(10));
  c.arm(Millis(20));
  end.arm(Millis(50));
  run();
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
}

TEST_F(EventLoopTest, CancelledAndDestroyedTimersDoNotFire) {
  int fired = 0;
  Timer kept(loop_, [&] { ++fired; });
  Timer cancelled(loop_, [&] { fired += 100; });
  auto destroyed = std::make_unique<Timer>(loop_, [&] { fired += 1000; });
  Timer end(loop_, [&] { loop_.stop(); });
  kept.arm(Millis(5));
  cancelled.arm(Millis(5));
  destroyed->arm(Millis(5));
  cancelled.cancel();
  destroyed.reset();
  end.arm(Millis(30));
  run();
  EXPECT_EQ(fired, 1);
}

TEST_F(EventLoopTest, RearmMovesTheDeadline) {
  auto start = Clock::now();
  Clock::time_point firedAt;
  Timer t(loop_, [&] {
    firedAt = Clock::now();
    loop_.stop();
  });
  t.arm(Millis(5));
  t.arm(Millis(60)); // replaces the first deadline
  run();
  EXPECT_GE(firedAt - start, Millis(55));
}

TEST_F(EventLoopTest, PostFromAnotherThreadWakesTheLoop) {
  std::thread::id ranOn;
  std::thread poster([&] {
    std::this_thread::sleep_for(Millis(20));
    loop_.post([&] {
      ranOn = std::this_thread::get_id();
      loop_.stop();
    });
  });
  run();
  poster.join();
  EXPECT_EQ(ranOn, std::this_thread::get_id());
}

// The loop posting to itself (a plugin completing a verdict from a watch callback): never inline,
// in order, within the iteration (before a timer due later), with no mailbox round trip.
TEST_F(EventLoopTest, APostFromTheLoopRunsAfterTheCallbackInOrder) {
  std::vector<std::string> order;
  auto start = Clock::now();
  Clock::duration ranAfter{};
  Timer first(loop_, [&] {
    loop_.post([&] {
      order.push_back("a");
      loop_.post([&] {
        order.push_back("c"); // posted by a posted function: the next round
        ranAfter = Clock::now() - start;
      });
    });
    loop_.post([&] { order.push_back("b"); });
    EXPECT_TRUE(order.empty()) << "ran inside post()";
    order.push_back("callback");
  });
  Timer end(loop_, [&] { loop_.stop(); });
  first.arm(Millis(1));
  end.arm(Millis(200));
  run();
  EXPECT_EQ(order, (std::vector<std::string>{"callback", "a", "b", "c"}));
  EXPECT_LT(ranAfter, Millis(150)) << "a self-post waited for the next timer";
}

// Posted by the loop to itself after its stop: run by runPosted(), never lost.
TEST_F(EventLoopTest, ASelfPostLeftAtStopRunsInRunPosted) {
  int ran = 0;
  Timer t(loop_, [&] {
    loop_.stop();
    loop_.post([&] {
      ++ran;
      loop_.post([&] {
        ++ran;
        loop_.post([&] { ++ran; });
      });
    });
  });
  t.arm(Millis(1));
  run();
  loop_.runPosted();
  EXPECT_EQ(ran, 3);
}

TEST_F(EventLoopTest, StopFromAnotherThread) {
  std::thread stopper([&] {
    std::this_thread::sleep_for(Millis(20));
    loop_.stop();
  });
  run();
  stopper.join();
}

// A stop() is consumed by the run() it ends: the next run() must keep going through posts until
// it is stopped again (tests and shutdown run the same loop several times).
TEST_F(EventLoopTest, AStopIsConsumedByTheRunItEnds) {
  Timer first(loop_, [&] { loop_.stop(); });
  first.arm(Millis(1));
  run();
  int posts = 0;
  std::thread poster([&] {
    for (int i = 0; i < 3; ++i) {
      std::this_thread::sleep_for(Millis(5));
      loop_.post([&] {
        if (++posts == 3)
          loop_.stop();
      });
    }
  });
  run();
  poster.join();
  EXPECT_EQ(posts, 3) << "the second run() ended at its first post";
}

TEST_F(EventLoopTest, WatchReportsReadabilityAndCanRemoveItself) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  int calls = 0;
  IoWatch w;
  w = IoWatch(loop_, fds[0], EPOLLIN, [&](uint32_t events) {
    ++calls;
    EXPECT_TRUE(events & EPOLLIN);
    w.reset(); // removing the watch from its own callback is allowed
    loop_.stop();
  });
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  run();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(w.active());
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(EventLoopTest, EventsForAWatchRemovedEarlierInTheBatchAreDropped) {
  int a[2], b[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
  int calls = 0;
  IoWatch wa, wb;
  // Whichever fires first removes the other; the other's already-fetched event must be dropped.
  wa = IoWatch(loop_, a[0], EPOLLIN, [&](uint32_t) {
    ++calls;
    wa.reset();
    wb.reset();
  });
  wb = IoWatch(loop_, b[0], EPOLLIN, [&](uint32_t) {
    ++calls;
    wa.reset();
    wb.reset();
  });
  ASSERT_EQ(::write(a[1], "x", 1), 1);
  ASSERT_EQ(::write(b[1], "x", 1), 1);
  Timer end(loop_, [&] { loop_.stop(); });
  end.arm(Millis(30));
  run();
  EXPECT_EQ(calls, 1);
  for (int fd : {a[0], a[1], b[0], b[1]})
    ::close(fd);
}

TEST_F(EventLoopTest, SetEventsSwitchesInterest) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  uint32_t seen = 0;
  IoWatch w(loop_, fds[0], 0, [&](uint32_t events) {
    seen = events;
    loop_.stop();
  });
  EXPECT_EQ(w.events(), 0u);
  w.setEvents(EPOLLOUT); // a fresh socket is writable at once
  run();
  EXPECT_TRUE(seen & EPOLLOUT);
  ::close(fds[0]);
  ::close(fds[1]);
}

// A deferred object whose destructor defers another (a session deferring its transaction): both
// go in the same sweep, and so does whatever is still deferred when the loop is destroyed.
TEST_F(EventLoopTest, DeferredDestructorsMayDeferMore) {
  struct Chain {
    Chain(EventLoop& l, int* gone, int more) : loop(l), destroyed(gone), next(more) {}
    Chain(const Chain&) = delete;
    ~Chain() {
      ++*destroyed;
      if (next > 0)
        loop.deferDestroy(std::make_unique<Chain>(loop, destroyed, next - 1));
    }
    EventLoop& loop;
    int* destroyed;
    int next;
  };
  int destroyed = 0;
  Timer t(loop_, [&] {
    loop_.deferDestroy(std::make_unique<Chain>(loop_, &destroyed, 2));
    loop_.post([&] { loop_.stop(); });
  });
  t.arm(Millis(1));
  run();
  EXPECT_EQ(destroyed, 3);

  int atExit = 0;
  {
    EventLoop scoped;
    scoped.deferDestroy(std::make_unique<Chain>(scoped, &atExit, 1));
  }
  EXPECT_EQ(atExit, 2) << "deferred objects leak when the loop goes first";
}

TEST_F(EventLoopTest, DeferDestroyOutlivesTheCurrentCallback) {
  struct Probe {
    explicit Probe(bool* d) : destroyed(d) {}
    Probe(const Probe&) = delete;
    ~Probe() { *destroyed = true; }
    bool* destroyed;
  };
  bool destroyed = false;
  bool destroyedDuringCallback = true;
  Timer t(loop_, [&] {
    loop_.deferDestroy(std::make_unique<Probe>(&destroyed));
    destroyedDuringCallback = destroyed;
    loop_.post([&] { loop_.stop(); });
  });
  t.arm(Millis(1));
  run();
  EXPECT_FALSE(destroyedDuringCallback);
  EXPECT_TRUE(destroyed);
}

// Wake-up coalescing. Each test uses pipes whose readiness it controls, and counts the loop's
// iterations with the iteration hook: an event's iteration number shows which epoll_wait
// fetched it.
class CoalescingTest : public EventLoopTest {
protected:
  struct Pipe {
    int r = -1, w = -1;
    int iteration = -1; // the iteration that dispatched its byte
    Clock::time_point at;
    IoWatch watch;
  };
  std::vector<std::unique_ptr<Pipe>> pipes_;
  int iteration_ = 0;
  int seen_ = 0;
  int stopAfter_ = 0;

  void SetUp() override {
    loop_.setIterationHook([this] { ++iteration_; });
  }
  void TearDown() override {
    for (auto& p : pipes_) {
      p->watch.reset();
      ::close(p->r);
      ::close(p->w);
    }
  }
  // twin: a second watch on the same pipe (duplicated descriptors), so that one write makes
  // both ready at once and one epoll_wait fetches the two events.
  Pipe& makePipe(const Pipe* twin = nullptr) {
    auto p = std::make_unique<Pipe>();
    if (twin) {
      p->r = ::dup(twin->r);
      p->w = ::dup(twin->w);
    } else {
      int fds[2];
      EXPECT_EQ(::pipe2(fds, O_NONBLOCK), 0);
      p->r = fds[0];
      p->w = fds[1];
    }
    Pipe* raw = p.get();
    p->watch = IoWatch(loop_, p->r, EPOLLIN, [this, raw](uint32_t) {
      char c;
      EXPECT_EQ(::read(raw->r, &c, 1), 1);
      raw->iteration = iteration_;
      raw->at = Clock::now();
      if (++seen_ == stopAfter_)
        loop_.stop();
    });
    pipes_.push_back(std::move(p));
    return *raw;
  }
  static void poke(Pipe& p) { EXPECT_EQ(::write(p.w, "x", 1), 1); }

  struct Four {
    Pipe &a, &b, &c, &d;
  };
  // a and b ready before the loop starts (its first wait returns two events: it is busy), then c
  // 30 ms later and d `gap` after c. Runs the loop until all four are read.
  Four busyThenTwoMore(Millis gap) {
    Four p{makePipe(), makePipe(), makePipe(), makePipe()};
    stopAfter_ = 4;
    poke(p.a);
    poke(p.b);
    std::thread sender([&p, gap] {
      std::this_thread::sleep_for(Millis(30));
      poke(p.c);
      std::this_thread::sleep_for(gap);
      poke(p.d);
    });
    run();
    sender.join();
    return p;
  }
};

TEST_F(CoalescingTest, EventsArrivingInTheWindowOfABusyLoopAreFetchedTogether) {
  loop_.setCoalesceWindow(Millis(1000));
  auto p = busyThenTwoMore(Millis(30));
  EXPECT_EQ(p.a.iteration, 0);
  EXPECT_EQ(p.b.iteration, 0);
  EXPECT_EQ(p.c.iteration, 1) << "c woke the loop by itself";
  EXPECT_EQ(p.d.iteration, 1) << "c and d were 30 ms apart, inside the 1 s window";
  EXPECT_GE(loop_.coalescedWaits(), 1u);
}

TEST_F(CoalescingTest, WithoutTheWindowEachEventWakesTheLoop) {
  auto p = busyThenTwoMore(Millis(200));
  EXPECT_EQ(p.c.iteration, 1);
  EXPECT_EQ(p.d.iteration, 2);
}

TEST_F(CoalescingTest, ALoneEventIsNotDelayed) {
  loop_.setCoalesceWindow(Millis(1000));
  Pipe& a = makePipe();
  Pipe& b = makePipe();
  stopAfter_ = 2;
  poke(a); // one event: the loop is not busy, so its next wait does not sleep
  Clock::time_point sent;
  std::thread sender([&] {
    std::this_thread::sleep_for(Millis(30));
    sent = Clock::now();
    poke(b);
  });
  run();
  sender.join();
  EXPECT_EQ(a.iteration, 0);
  EXPECT_EQ(b.iteration, 1);
  EXPECT_LT(b.at - sent, Millis(500)) << "b waited for a coalescing window";
  EXPECT_EQ(loop_.coalescedWaits(), 0u);
}

// Two events at a time, every 100 ms: with a 20 ms window fewer than one pair is due per window,
// so sleeping would only add latency.
TEST_F(CoalescingTest, PairsAtAModerateRateDoNotSleep) {
  loop_.setCoalesceWindow(Millis(20));
  Pipe& a = makePipe();
  Pipe& b = makePipe(&a);
  stopAfter_ = 8;
  std::thread sender([&] {
    for (int i = 0; i < 4; ++i) {
      std::this_thread::sleep_for(Millis(100));
      EXPECT_EQ(::write(a.w, "xx", 2), 2); // a and b ready together
    }
  });
  run();
  sender.join();
  EXPECT_EQ(seen_, 8);
  EXPECT_EQ(a.iteration, b.iteration) << "the pair was not fetched by one wait";
  EXPECT_EQ(loop_.coalescedWaits(), 0u);
}

TEST_F(CoalescingTest, ATimerDueInsideTheWindowCutsItShort) {
  loop_.setCoalesceWindow(Millis(1000));
  Pipe& a = makePipe();
  Pipe& b = makePipe();
  poke(a);
  poke(b);
  Clock::time_point firedAt;
  Timer t(loop_, [&] {
    firedAt = Clock::now();
    loop_.stop();
  });
  t.arm(Millis(40)); // from the loop's clock (its last iteration), not from Clock::now()
  auto deadline = t.deadline();
  run();
  EXPECT_EQ(seen_, 2);
  EXPECT_GE(firedAt, deadline);
  EXPECT_LT(firedAt - deadline, Millis(460)) << "the timer waited for the end of the window";
}

} // namespace
} // namespace exaproxy::net
