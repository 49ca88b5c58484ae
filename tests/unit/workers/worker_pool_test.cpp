#include "workers/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace exaproxy::workers {
namespace {

using namespace std::chrono_literals;

template <typename Pred> bool waitFor(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Runs the loop until something stops it, or until a safety timer does: a completion that never
// comes fails the test instead of hanging it. True when the test's own code stopped the loop.
bool runLoopGuarded(net::EventLoop& loop, std::chrono::milliseconds limit = 5000ms) {
  bool timedOut = false;
  net::Timer watchdog(loop, [&] {
    timedOut = true;
    loop.stop();
  });
  watchdog.arm(limit);
  loop.run();
  watchdog.cancel();
  return !timedOut;
}

TEST(WorkerPoolTest, CompletionRunsOnTheSubmittingLoop) {
  net::EventLoop loop;
  WorkerPool pool(PoolOptions{1, 2, 10ms, 1000ms});
  std::thread::id workThread, doneThread;
  pool.submit([&] { workThread = std::this_thread::get_id(); }, loop,
              [&] {
                doneThread = std::this_thread::get_id();
                loop.stop();
              });
  ASSERT_TRUE(runLoopGuarded(loop)) << "the completion never ran";
  EXPECT_NE(workThread, std::this_thread::get_id());
  EXPECT_EQ(doneThread, std::this_thread::get_id());
  EXPECT_EQ(pool.stats().completed, 1u);
}

TEST(WorkerPoolTest, ExceptionInWorkIsContained) {
  net::EventLoop loop;
  WorkerPool pool(PoolOptions{1, 1, 10ms, 1000ms});
  bool completed = false;
  pool.submit([] { throw std::runtime_error("x"); }, loop,
              [&] {
                completed = true;
                loop.stop();
              });
  ASSERT_TRUE(runLoopGuarded(loop)) << "the completion never ran";
  EXPECT_TRUE(completed);
}

// A burst of slow blocking work grows the pool to max; idle, it shrinks back to min.
TEST(WorkerPoolTest, GrowsToMaxUnderABurstThenShrinksToMin) {
  WorkerPool pool(PoolOptions{1, 4, 5ms, 150ms});
  EXPECT_EQ(pool.stats().size, 1u);
  std::atomic<int> done{0};
  for (int i = 0; i < 24; ++i)
    pool.submit([&] {
      std::this_thread::sleep_for(25ms);
      ++done;
    });
  EXPECT_TRUE(waitFor([&] { return pool.stats().size == 4; }, 2000ms))
      << "size " << pool.stats().size;
  EXPECT_LE(pool.stats().size, 4u);
  ASSERT_TRUE(waitFor([&] { return done == 24; }, 5000ms));
  auto busy = pool.stats();
  EXPECT_GT(busy.waitP90Ms, 5.0) << "the burst queued";
  EXPECT_GE(busy.waitP99Ms, busy.waitP50Ms);
  EXPECT_GE(busy.grown, 3u);
  EXPECT_TRUE(waitFor([&] { return pool.stats().size == 1; }, 3000ms))
      << "size " << pool.stats().size;
  EXPECT_GE(pool.stats().shrunk, 3u);
  EXPECT_EQ(pool.stats().queued, 0u);
}

TEST(WorkerPoolTest, NewBoundsApply) {
  WorkerPool pool(PoolOptions{1, 2, 5ms, 10000ms});
  pool.setOptions(PoolOptions{3, 5, 5ms, 10000ms});
  auto s = pool.stats();
  EXPECT_EQ(s.size, 3u);
  EXPECT_EQ(s.min, 3u);
  EXPECT_EQ(s.max, 5u);
  pool.setOptions(PoolOptions{1, 1, 5ms, 10000ms});
  EXPECT_TRUE(waitFor([&] { return pool.stats().size == 1; }, 2000ms));
}

} // namespace
} // namespace exaproxy::workers
