// plugins/common: the protocol-neutral HelperPool driving real helper processes with the Squid
// line codec, as the auth and external-ACL plugins will: a /bin/sh basic-auth helper answering
// OK/ERR, and python3 external-ACL-style helpers with channel IDs (the bytes they read are echoed
// back, so the tests see what the pool wrote). Each test asserts the answers' bytes and the pool's
// states (its metrics), not only that something came back. Every test runs twice: with the pool's
// own manager thread, and on an event loop (HelperLoop, as on the host's loop with ABI 1.4).
#include "helper_pool_fixture.h"

#include <atomic>
#include <csignal>
#include <future>
#include <thread>
#include <unistd.h>

namespace exaproxy::common::pool_test {
namespace {

TEST_P(HelperPoolSquidLineTest, BasicAuthHelperAnswersOkAndErr) {
  start(auth());
  HelperReply ok = askWait("alice secret");
  ASSERT_EQ(ok.status, HelperReply::Status::Answered) << ok.reason;
  EXPECT_EQ(ok.answer, "OK user=alice");
  EXPECT_GT(ok.pid, 0);
  SquidReply parsed = parseSquidReply(ok.answer);
  EXPECT_EQ(parsed.result, SquidReply::Result::Ok);
  ASSERT_NE(parsed.note("user"), nullptr);
  EXPECT_EQ(*parsed.note("user"), "alice");

  HelperReply err = askWait("bob guess");
  ASSERT_EQ(err.status, HelperReply::Status::Answered);
  EXPECT_EQ(err.answer, "ERR message=\"bad password\"");
  EXPECT_EQ(parseSquidReply(err.answer).result, SquidReply::Result::Err);

  EXPECT_EQ(metric(PoolMetric::requests), 2);
  EXPECT_EQ(metric(PoolMetric::helper_requests), 2);
  EXPECT_EQ(metric(PoolMetric::replies), 2);
  EXPECT_EQ(metric(PoolMetric::errors), 0);
  // The gauges follow once the manager is around its loop again.
  EXPECT_TRUE(waitFor([&] { return metric(PoolMetric::idle) == 1; }));
  EXPECT_EQ(metric(PoolMetric::children), 1);
  EXPECT_EQ(metric(PoolMetric::busy), 0);
  EXPECT_EQ(pool_->canaryState(), "off");
}

TEST_P(HelperPoolSquidLineTest, ChannelIdsAreWrittenByThePoolAndTakenOffTheAnswers) {
  start(acl("echo"));
  HelperReply first = askWait("alice staff");
  HelperReply second = askWait("bob guests");
  // What the helper read (echoed in got=): the channel ID is the pool's, counted per child; the
  // answer comes back without it.
  ASSERT_EQ(first.status, HelperReply::Status::Answered) << first.reason;
  EXPECT_EQ(first.answer, "OK tag=staff got=\"1 alice staff\"");
  EXPECT_EQ(second.answer, "OK tag=staff got=\"2 bob guests\"");
  EXPECT_EQ(metric(PoolMetric::unexpected_replies), 0);
}

TEST_P(HelperPoolSquidLineTest, OutOfOrderAnswersFindTheirRequests) {
  start(acl("reverse"));
  auto a = ask("a");
  auto b = ask("b");
  auto c = ask("c");
  EXPECT_EQ(a.get().answer, "OK got=\"a\"");
  EXPECT_EQ(b.get().answer, "OK got=\"b\"");
  EXPECT_EQ(c.get().answer, "OK got=\"c\"");
  EXPECT_TRUE(waitFor([&] { return metric(PoolMetric::in_flight) == 0; }));
}

TEST_P(HelperPoolSquidLineTest, BrokenAnswerIsAskedAgain) {
  start(acl("bh-first")); // one child: the retry goes back to it
  HelperReply r = askWait("alice");
  ASSERT_EQ(r.status, HelperReply::Status::Answered) << r.reason;
  EXPECT_EQ(r.answer, "OK");
  EXPECT_EQ(metric(PoolMetric::broken), 1);
  EXPECT_EQ(metric(PoolMetric::retries), 1);
  EXPECT_EQ(metric(PoolMetric::helper_requests), 2);
  EXPECT_NE(log().find("helper said BH: warming up (for alice)"), std::string::npos) << log();
}

TEST_P(HelperPoolSquidLineTest, AlwaysBrokenFailsAfterThreeTries) {
  start(acl("bh"));
  HelperReply r = askWait("alice");
  EXPECT_EQ(r.status, HelperReply::Status::Failed);
  EXPECT_EQ(r.reason, "helper said BH: no directory, 3 tries");
  EXPECT_EQ(metric(PoolMetric::broken), 3);
  EXPECT_EQ(metric(PoolMetric::errors), 1);
}

TEST_P(HelperPoolSquidLineTest, UnansweredRequestTimesOutOthersGoOn) {
  HelperPoolSettings s = acl("hang");
  s.timeout = 400ms;
  start(s);
  auto hung = ask("hang");
  HelperReply other = askWait("fine");
  EXPECT_EQ(other.answer, "ERR");
  ASSERT_EQ(hung.wait_for(3s), std::future_status::ready);
  HelperReply r = hung.get();
  EXPECT_EQ(r.status, HelperReply::Status::TimedOut);
  EXPECT_EQ(r.reason, "the helper did not answer within 400ms");
  EXPECT_EQ(metric(PoolMetric::timeouts), 1);
  EXPECT_EQ(metric(PoolMetric::respawns), 0); // a concurrent child keeps its other requests
}

TEST_P(HelperPoolSquidLineTest, FullQueueFailsAndTooLongIsNotSent) {
  HelperPoolSettings s = acl("slow", 1);
  s.queueSize = 1;
  start(s);
  ASSERT_TRUE(waitFor([&] { return pool_->childPids().size() == 1; }));
  HelperReply tooLong = askWait(std::string(SquidLineCodec::kMaxRequest, 'x'));
  EXPECT_EQ(tooLong.status, HelperReply::Status::TooLong);
  EXPECT_EQ(metric(PoolMetric::too_long), 1);
  auto a = ask("a"); // asked
  auto b = ask("b"); // queued
  ASSERT_TRUE(waitFor([&] { return metric(PoolMetric::queue) == 1; }));
  HelperReply c = askWait("c");
  EXPECT_EQ(c.status, HelperReply::Status::Failed);
  EXPECT_EQ(c.reason, "queue full (1 waiting)");
  EXPECT_EQ(metric(PoolMetric::overloaded), 1);
  EXPECT_EQ(a.get().answer, "OK");
  EXPECT_EQ(b.get().answer, "OK");
  EXPECT_EQ(metric(PoolMetric::helper_requests), 2);
}

TEST_P(HelperPoolSquidLineTest, DefaultQueueHoldsFiftyClientsOnFiveBusyChildren) {
  // A site's steady state (issue #15): five one-at-a-time children busy, 45 more clients asking.
  // With Squid's 2 x children as a hard bound, 35 of them were refused.
  HelperPoolSettings s = acl("slow", 0);
  s.program = {"/bin/sh", "-c", "while read -r line; do sleep 0.1; echo \"OK $line\"; done"};
  s.children = 5;
  s.startup = 5;
  start(s);
  ASSERT_TRUE(waitFor([&] { return metric(PoolMetric::children) == 5; }));
  std::vector<std::future<HelperReply>> replies;
  for (int i = 0; i < 5; ++i)
    replies.push_back(ask("client" + std::to_string(i)));
  ASSERT_TRUE(waitFor([&] { return metric(PoolMetric::busy) == 5; }));
  for (int i = 5; i < 50; ++i)
    replies.push_back(ask("client" + std::to_string(i)));
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(replies[i].wait_for(20s), std::future_status::ready);
    HelperReply r = replies[i].get();
    EXPECT_EQ(r.status, HelperReply::Status::Answered) << r.reason;
    EXPECT_EQ(r.answer, "OK client" + std::to_string(i));
  }
  EXPECT_GE(peak(PoolMetric::queue), 40); // they did wait
  EXPECT_EQ(metric(PoolMetric::overloaded), 0);
  EXPECT_EQ(metric(PoolMetric::errors), 0);
  EXPECT_EQ(metric(PoolMetric::spawns), 5);
}

TEST_P(HelperPoolSquidLineTest, CanaryFailingFailsRequestsUntilItHolds) {
  HelperPoolSettings s = auth();
  // A password no account has: a helper that accepts it lets everybody in.
  s.canary = HelperCanary{"nobody secret\n",
                          [](const std::string& answer) { return answer.rfind("ERR", 0) == 0; },
                          "'nobody secret'",
                          "was accepted",
                          "is refused again",
                          "the helper accepts any password",
                          200ms};
  start(s);
  ASSERT_TRUE(waitFor([&] { return pool_->canaryState() == "failing"; }));
  HelperReply r = askWait("alice secret");
  EXPECT_EQ(r.status, HelperReply::Status::Failed);
  EXPECT_EQ(r.reason,
            "the helper failed its canary ('nobody secret' was accepted): it is failing open");
  EXPECT_NE(log().find("canary 'nobody secret' was accepted (answer: OK user=nobody): the helper "
                       "accepts any password"),
            std::string::npos)
      << log();
  EXPECT_TRUE(waitFor([&] { return metric(PoolMetric::canary_failing) == 1; }));
}

TEST_P(HelperPoolSquidLineTest, StopAnswersWhatWasAskedThenRefuses) {
  start(acl("slow", 1));
  std::vector<std::future<HelperReply>> replies;
  for (int i = 0; i < 3; ++i)
    replies.push_back(ask("r" + std::to_string(i)));
  // The first is written to the helper (the others wait for it) before the pool stops.
  ASSERT_TRUE(waitFor([&] { return metric(PoolMetric::in_flight) == 1; }));
  auto pids = pool_->childPids();
  ASSERT_EQ(pids.size(), 1u);
  stopPool();
  for (auto& f : replies) {
    ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
    HelperReply r = f.get();
    if (loopMode()) { // nothing runs the pool any more: what waited fails, none hangs
      EXPECT_EQ(r.status, HelperReply::Status::Failed);
      EXPECT_EQ(r.reason, "the external ACL is stopping");
    } else {
      EXPECT_EQ(r.answer, "OK");
    }
  }
  for (pid_t p : pids)
    EXPECT_NE(::kill(p, 0), 0) << "helper " << p << " still running";
}

// The host's hot path: requests submitted on the loop itself are written to a helper at once,
// and every answer (done) comes back on the loop thread; the pool's pipes are the loop's.
class HelperPoolOnALoopTest : public HelperPoolSquidLineTest {};

TEST_P(HelperPoolOnALoopTest, EverythingRunsOnTheLoopThread) {
  HelperPoolSettings s = auth();
  s.children = 3;
  start(s);
  ASSERT_TRUE(waitFor([&] { return loop_->watched() == 2; })) << "stdout and stderr of one child";
  constexpr int kAsks = 30;
  std::promise<void> all;
  std::atomic<int> answered{0}, onLoop{0}, right{0};
  loop_->post([&] {
    for (int i = 0; i < kAsks; ++i) {
      std::string user = "u" + std::to_string(i);
      pool_->submit(HelperRequest{user + (i % 2 ? " secret\n" : " guess\n"), user},
                    [&, user, i](HelperReply r) {
                      onLoop += std::this_thread::get_id() == loop_->threadId() ? 1 : 0;
                      right += r.answer == (i % 2 ? "OK user=" + user
                                                  : std::string("ERR message=\"bad password\""));
                      if (++answered == kAsks)
                        all.set_value();
                    });
    }
  });
  ASSERT_EQ(all.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(onLoop.load(), kAsks);
  EXPECT_EQ(right.load(), kAsks);
  EXPECT_EQ(metric(PoolMetric::replies), kAsks);
  EXPECT_EQ(metric(PoolMetric::errors), 0);
  EXPECT_LE(pool_->childPids().size(), 3u);
  // A helper that dies is unwatched before its pipes close, and replaced.
  auto pids = pool_->childPids();
  for (pid_t p : pids)
    ::kill(p, SIGKILL);
  // Their end of stdout, seen on the loop, buries them (a request sent to two dying helpers
  // fails: "died twice while answering", in either mode).
  ASSERT_TRUE(
      waitFor([&] { return metric(PoolMetric::respawns) == static_cast<int64_t>(pids.size()); }));
  HelperReply again = askWait("carol secret");
  EXPECT_EQ(again.answer, "OK user=carol") << again.reason << "\n" << log();
  EXPECT_TRUE(waitFor([&] { return loop_->watched() == 2 * pool_->childPids().size(); }));
}

TEST(HelperPoolSettingsTest, ConcurrencyNeedsAChannelCodec) {
  struct NoChannels final : HelperCodec {
    FrameStatus frame(std::string&, std::string&) const override { return FrameStatus::NeedMore; }
  } codec;
  HelperPoolSettings s;
  s.program = {"/bin/cat"};
  s.concurrency = 2;
  EXPECT_THROW(HelperPool(s, codec, [](LogLevel, const std::string&) {}), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Manager, HelperPoolSquidLineTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return std::string(param.param ? "OnALoop" : "OwnThread");
                         });
INSTANTIATE_TEST_SUITE_P(Manager, HelperPoolOnALoopTest, ::testing::Values(true));

} // namespace
} // namespace exaproxy::common::pool_test
