// plugins/common: HelperPool's conversations, as the auth plugin's NTLM and Negotiate schemes use
// them: a stateful /bin/sh helper that remembers the first step of a handshake (YR) and answers
// the next (KK) only from the same process, as ntlm_fake_auth and negotiate_kerberos_auth do. A
// conversation's steps reach the child reserved for it, a reserved child takes nothing else until
// it is released or idle, and a later step whose child is gone fails instead of reaching a child
// that knows nothing of the handshake. Every test runs with the pool's own thread and on a loop.
#include "helper_pool_fixture.h"

#include <csignal>
#include <future>

namespace exaproxy::common::pool_test {
namespace {

// YR <blob> → TT <pid>-<blob> (remembered); KK <blob> → OK user=<first blob>-<blob> from the
// child that saw the YR, BH from any other.
const char* kStateful = R"SH(
state=
while read -r step blob; do
  case "$step" in
    YR) state=$blob; echo "TT $$-$blob" ;;
    KK) if [ -n "$state" ]; then echo "OK user=$state-$blob"; state=; else echo "BH no handshake"; fi ;;
    *) echo "BH what is $step" ;;
  esac
done
)SH";

class HelperPoolConversationTest : public HelperPoolSquidLineTest {
protected:
  void SetUp() override {
    HelperPoolSquidLineTest::SetUp();
    std::ofstream(dir_ / "stateful.sh") << kStateful;
  }
  HelperPoolSettings stateful(size_t children) const {
    HelperPoolSettings s;
    s.name = "NTLM helpers";
    s.program = {"/bin/sh", (dir_ / "stateful.sh").string()};
    s.children = children;
    s.startup = children;
    return s;
  }
  std::future<HelperReply> step(uint64_t conversation, const std::string& line) {
    auto p = std::make_shared<std::promise<HelperReply>>();
    auto f = p->get_future();
    HelperRequest r{line + "\n", line};
    r.conversation = conversation;
    r.continues = line.rfind("KK", 0) == 0;
    pool_->submit(std::move(r), [p](HelperReply reply) { p->set_value(reply); });
    return f;
  }
  HelperReply stepWait(uint64_t conversation, const std::string& line) {
    auto f = step(conversation, line);
    if (f.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "no reply for " << line;
      return HelperReply{HelperReply::Status::Failed, {}, "test timeout", 0};
    }
    return f.get();
  }
};

TEST_P(HelperPoolConversationTest, InterleavedHandshakesEachStayOnTheirChild) {
  start(stateful(2));
  HelperReply a1 = stepWait(1, "YR a");
  HelperReply b1 = stepWait(2, "YR b");
  ASSERT_EQ(a1.status, HelperReply::Status::Answered) << a1.reason;
  ASSERT_EQ(b1.status, HelperReply::Status::Answered) << b1.reason;
  EXPECT_EQ(a1.answer, "TT " + std::to_string(a1.pid) + "-a");
  EXPECT_NE(a1.pid, b1.pid) << "two open handshakes cannot share a child";
  HelperReply b2 = stepWait(2, "KK y");
  HelperReply a2 = stepWait(1, "KK x");
  EXPECT_EQ(a2.answer, "OK user=a-x") << a2.reason;
  EXPECT_EQ(a2.pid, a1.pid);
  EXPECT_EQ(b2.answer, "OK user=b-y") << b2.reason;
  EXPECT_EQ(b2.pid, b1.pid);
}

TEST_P(HelperPoolConversationTest, AReservedChildTakesNothingElseUntilReleased) {
  start(stateful(1));
  ASSERT_EQ(stepWait(1, "YR a").status, HelperReply::Status::Answered);
  auto other = step(2, "YR b"); // another connection's handshake
  auto plain = ask("YR c");     // a request of no conversation
  EXPECT_EQ(other.wait_for(300ms), std::future_status::timeout);
  EXPECT_EQ(plain.wait_for(0ms), std::future_status::timeout);
  // The reserved conversation still goes on meanwhile.
  EXPECT_EQ(stepWait(1, "KK x").answer, "OK user=a-x");
  pool_->release(1);
  ASSERT_EQ(other.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(other.get().answer.substr(0, 3), "TT ");
  pool_->release(2);
  ASSERT_EQ(plain.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(plain.get().status, HelperReply::Status::Answered);
}

// The auth plugin releases a conversation from the answer's done(), on the manager's thread (the
// loop's, in loop mode): a handshake waiting for that child starts at once.
TEST_P(HelperPoolConversationTest, AReleaseFromADoneFreesTheChildAtOnce) {
  start(stateful(1));
  ASSERT_EQ(stepWait(1, "YR a").status, HelperReply::Status::Answered);
  auto other = step(2, "YR b");
  std::promise<void> released;
  HelperRequest last{"KK x\n", "KK x"};
  last.conversation = 1;
  last.continues = true;
  pool_->submit(std::move(last), [&](HelperReply) {
    pool_->release(1);
    released.set_value();
  });
  ASSERT_EQ(released.get_future().wait_for(5s), std::future_status::ready);
  auto at = std::chrono::steady_clock::now();
  ASSERT_EQ(other.wait_for(5s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - at, 500ms) << "not left for the next timer";
  EXPECT_EQ(other.get().answer.substr(0, 3), "TT ");
}

TEST_P(HelperPoolConversationTest, ALaterStepWhoseChildDiedFailsAndIsNotSentElsewhere) {
  start(stateful(2));
  HelperReply first = stepWait(7, "YR a");
  ASSERT_EQ(first.status, HelperReply::Status::Answered) << first.reason;
  ASSERT_EQ(::kill(first.pid, SIGKILL), 0);
  ASSERT_TRUE(waitFor([&] { return metric(PoolMetric::respawns) == 1; })) << log();
  HelperReply next = stepWait(7, "KK x");
  EXPECT_EQ(next.status, HelperReply::Status::Failed);
  EXPECT_NE(next.reason.find("held this handshake"), std::string::npos) << next.reason;
  // A step of a conversation that never started fails the same way.
  EXPECT_EQ(stepWait(8, "KK y").status, HelperReply::Status::Failed);
  // A new handshake on the same connection starts on any child.
  HelperReply again = stepWait(7, "YR b");
  EXPECT_EQ(again.status, HelperReply::Status::Answered) << again.reason;
  EXPECT_EQ(stepWait(7, "KK z").answer, "OK user=b-z");
}

TEST_P(HelperPoolConversationTest, ABrokenAnswerEndsTheHandshakeWithoutRetry) {
  start(stateful(2));
  HelperReply first = stepWait(3, "YR a");
  ASSERT_EQ(first.status, HelperReply::Status::Answered);
  HelperReply bad = stepWait(3, "KK x"); // answered, state cleared
  ASSERT_EQ(bad.answer, "OK user=a-x");
  HelperReply broken = stepWait(3, "KK again"); // the helper says BH: no handshake
  EXPECT_EQ(broken.status, HelperReply::Status::Failed);
  EXPECT_NE(broken.reason.find("in the middle of a handshake"), std::string::npos) << broken.reason;
  EXPECT_EQ(metric(PoolMetric::retries), 0) << "a later step is never asked of another child";
}

TEST_P(HelperPoolConversationTest, AQuietConversationFreesItsChild) {
  HelperPoolSettings s = stateful(1);
  s.conversationIdle = 200ms;
  start(s);
  ASSERT_EQ(stepWait(1, "YR a").status, HelperReply::Status::Answered);
  auto other = step(2, "YR b");
  ASSERT_EQ(other.wait_for(5s), std::future_status::ready) << "freed after 200 ms of silence";
  EXPECT_EQ(other.get().answer.substr(0, 3), "TT ");
  // The quiet conversation's child now belongs to the other one.
  EXPECT_EQ(stepWait(1, "KK x").status, HelperReply::Status::Failed);
}

TEST_P(HelperPoolConversationTest, ConversationsNeedOneRequestPerChild) {
  start(acl("echo", 4));
  HelperReply r = stepWait(1, "YR a");
  EXPECT_EQ(r.status, HelperReply::Status::Failed);
  EXPECT_EQ(r.reason, "a stateful helper's conversation needs concurrency 0");
}

INSTANTIATE_TEST_SUITE_P(Manager, HelperPoolConversationTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return std::string(param.param ? "OnALoop" : "OwnThread");
                         });

} // namespace
} // namespace exaproxy::common::pool_test
