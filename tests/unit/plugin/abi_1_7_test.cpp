// ABI 1.7 (bodies): the table's new entries after client_port, the descriptor's on_body after
// on_connection_close, body_want's rules (only in a head hook, only with an on_body hook, not for
// a CONNECT, the request's only in a request hook), and PluginTransaction::runBody: plugins in
// chain order, each on the previous one's output, held data, the hold bound, failures under both
// policies. The plugin is tests/plugin_abi/plugins/body17.cpp (the C++ SDK). Through the real
// binary: tests/plugin_abi/abi_1_7_test.cpp.
#include "plugin_test_support.h"

#include "http/response_parser.h"
#include "plugin/host_api.h"
#include "plugin/plugin_runtime.h"
#include "plugin/plugin_transaction.h"
#include "plugin/txn_state.h"

#include <exaproxy/plugin.hpp>

#include <cstddef>
#include <sstream>

namespace exaproxy::plugin::test {
namespace {

const exaproxy_host_api& api() { return *hostApi(); }
exaproxy_str S(std::string_view s) { return exaproxy_str{s.data(), s.size()}; }

TEST(Abi17Table, AppendsTheBodyEntriesAfterThe16Ones) {
  EXPECT_GE(api().abi_minor, 7);
  EXPECT_GT(offsetof(exaproxy_host_api, body_want), offsetof(exaproxy_host_api, client_port));
  EXPECT_GT(offsetof(exaproxy_host_api, body_held), offsetof(exaproxy_host_api, body_want));
  EXPECT_GT(offsetof(exaproxy_host_api, verdict_hold_body), offsetof(exaproxy_host_api, body_held));
  EXPECT_TRUE(EXAPROXY_HAS_FIELD(&api(), exaproxy_host_api, verdict_hold_body));
  EXPECT_GT(offsetof(exaproxy_plugin, on_body), offsetof(exaproxy_plugin, on_connection_close));
  EXPECT_EQ(EXAPROXY_PLUGIN_SIZE_AS_OF(6), offsetof(exaproxy_plugin, on_body))
      << "a 1.6 descriptor ends before on_body: the host never reads it";
  EXPECT_EQ(EXAPROXY_PLUGIN_SIZE_AS_OF(7), sizeof(exaproxy_plugin));
}

TEST(Abi17BodyWant, OnlyInAHeadHookOfAPluginThatHasOnBody) {
  exaproxy_txn t;
  EXPECT_EQ(api().body_want(nullptr, EXAPROXY_RESPONSE, 0), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().body_want(&t, 7, 0), EXAPROXY_E_INVALID) << "neither request nor response";
  EXPECT_EQ(api().body_want(&t, EXAPROXY_RESPONSE, 4), EXAPROXY_E_INVALID) << "unknown flags";
  EXPECT_EQ(api().body_want(&t, EXAPROXY_RESPONSE, 0), EXAPROXY_E_UNAVAILABLE)
      << "outside a head hook";
  EXPECT_EQ(api().body_held(&t).len, 0u);
  EXPECT_EQ(api().body_held(nullptr).len, 0u);
}

TEST(Abi17Verdict, HoldsACopy) {
  exaproxy_verdict v;
  std::string tail = "ori";
  EXPECT_EQ(api().verdict_hold_body(&v, S(tail)), EXAPROXY_OK);
  tail = "xxx";
  ASSERT_TRUE(v.heldBody);
  EXPECT_EQ(*v.heldBody, "ori");
  EXPECT_EQ(api().verdict_hold_body(nullptr, S("x")), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().verdict_hold_body(&v, exaproxy_str{nullptr, 3}), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().verdict_hold_body(&v, exaproxy_str{nullptr, 0}), EXAPROXY_OK);
  EXPECT_EQ(*v.heldBody, "") << "an empty hold is a hold of nothing";
}

class Abi17Chain : public PluginTest {
protected:
  // Runs the request hooks (where body17 asks for the body) and returns the transaction.
  std::unique_ptr<PluginTransaction> start(std::vector<ChainLink> links,
                                           const std::string& url = "http://origin.test/page") {
    req_ = getRequest(url);
    auto tx = std::make_unique<PluginTransaction>(chainOf(std::move(links)), loop_, &pool_, info());
    bool done = false;
    tx->runRequest(req_, [&](Outcome) { done = true; });
    EXPECT_TRUE(done);
    return tx;
  }
  // Feeds the pieces, the last one with end; returns the output (or the answer's reason).
  std::string feed(PluginTransaction& tx, const std::vector<std::string>& pieces,
                   PluginTransaction::BodyStep* answered = nullptr) {
    std::string out;
    for (size_t i = 0; i < pieces.size(); ++i) {
      auto step = tx.runBody(EXAPROXY_RESPONSE, pieces[i], i + 1 == pieces.size(), out);
      if (step.answered) {
        if (answered)
          *answered = step;
        return out;
      }
    }
    return out;
  }
  PluginPolicy policy(bool allowOnError = false, uint64_t holdMax = 1024 * 1024) {
    return PluginPolicy{5000ms, false, allowOnError, holdMax};
  }
  http::RequestHead req_;
};

TEST_F(Abi17Chain, PluginsRunInChainOrderEachOnThePreviousOnesOutput) {
  auto first = load("10-a", "body17", {{"mode", "replace"}, {"from", "cat"}, {"to", "dog"}});
  auto second = load("20-b", "body17", {{"mode", "replace"}, {"from", "dog"}, {"to", "wolf"}});
  ASSERT_TRUE(first && second);
  auto tx = start({{first, policy()}, {second, policy()}});
  EXPECT_TRUE(tx->wantsBody(EXAPROXY_RESPONSE));
  EXPECT_FALSE(tx->wantsBody(EXAPROXY_REQUEST));
  // "cat" is cut in two by the pieces' ends; the first plugin keeps the unfinished tail.
  EXPECT_EQ(feed(*tx, {"a c", "at and a ca", "t", ""}), "a wolf and a wolf");
  EXPECT_EQ(metric(*first, "calls"), 4);
  EXPECT_EQ(metric(*second, "bytes"), static_cast<int64_t>(std::string("a dog and a dog").size()))
      << "the second plugin sees the first one's output";
}

TEST_F(Abi17Chain, APluginThatDidNotAskIsNotCalled) {
  auto p = load("10-a", "body17", {{"mode", "replace"}});
  ASSERT_TRUE(p);
  auto tx = start({{p, policy()}}, "http://origin.test/nobody");
  EXPECT_FALSE(tx->wantsBody(EXAPROXY_RESPONSE));
  EXPECT_EQ(feed(*tx, {"origin"}), "origin");
  EXPECT_EQ(metric(*p, "calls"), 0);
}

TEST_F(Abi17Chain, HoldThenReleaseAtTheEnd) {
  auto p = load("10-a", "body17", {{"mode", "holdall"}, {"to", "!"}});
  ASSERT_TRUE(p);
  auto tx = start({{p, policy()}});
  std::string out;
  EXPECT_FALSE(tx->runBody(EXAPROXY_RESPONSE, "one ", false, out).answered);
  EXPECT_FALSE(tx->runBody(EXAPROXY_RESPONSE, "two", false, out).answered);
  EXPECT_EQ(out, "") << "held";
  EXPECT_FALSE(tx->runBody(EXAPROXY_RESPONSE, "", true, out).answered);
  EXPECT_EQ(out, "one two!");
}

TEST_F(Abi17Chain, HoldingBeyondTheBoundFollowsOnError) {
  auto denied = load("10-a", "body17", {{"mode", "holdforever"}});
  ASSERT_TRUE(denied);
  auto tx = start({{denied, policy(false, 8)}});
  PluginTransaction::BodyStep step;
  EXPECT_EQ(feed(*tx, {"12345", "6789", "0"}, &step), "");
  ASSERT_TRUE(step.answered);
  EXPECT_EQ(step.answer.kind, Outcome::Kind::Deny);
  EXPECT_EQ(step.answer.status, 503);
  EXPECT_NE(step.answer.reason.find("body_hold_max"), std::string::npos) << step.answer.reason;

  auto allowed = load("10-b", "body17", {{"mode", "holdforever"}});
  ASSERT_TRUE(allowed);
  auto open = start({{allowed, policy(true, 8)}});
  EXPECT_EQ(feed(*open, {"12345", "6789", "0"}), "1234567890")
      << "fail-open: what it held and the rest pass, and it is not called again";
  EXPECT_EQ(metric(*allowed, "calls"), 2);
}

TEST_F(Abi17Chain, ADenyIsAnAnswerWithThePluginsName) {
  auto p = load("10-a", "body17", {{"mode", "block"}, {"from", "secret"}});
  ASSERT_TRUE(p);
  auto tx = start({{p, policy()}});
  PluginTransaction::BodyStep step;
  EXPECT_EQ(feed(*tx, {"a se", "cret", ""}, &step), "");
  ASSERT_TRUE(step.answered);
  EXPECT_EQ(step.answer.kind, Outcome::Kind::Deny);
  EXPECT_EQ(step.answer.status, 403);
  EXPECT_EQ(step.answer.plugin, "10-a");
  EXPECT_EQ(step.answer.reason, "the body contains secret");
}

TEST_F(Abi17Chain, APendingVerdictFromAnotherThreadResumesTheWalk) {
  auto first = load("10-a", "body17", {{"mode", "pending"}, {"from", "cat"}, {"to", "dog"}});
  auto second = load("20-b", "body17", {{"mode", "replace"}, {"from", "dog"}, {"to", "wolf"}});
  ASSERT_TRUE(first && second);
  auto tx = start({{first, policy()}, {second, policy()}});
  int resumed = 0;
  tx->onBodyResume([&] { ++resumed; });
  std::string out;
  auto step = tx->runBody(EXAPROXY_RESPONSE, "a cat ", false, out);
  EXPECT_TRUE(step.waiting);
  EXPECT_TRUE(tx->bodyWaiting());
  EXPECT_EQ(out, "");
  ASSERT_TRUE(runUntil(loop_, [&] { return resumed == 1; }));
  EXPECT_FALSE(tx->bodyWaiting());
  step = tx->takeBody(out);
  EXPECT_FALSE(step.answered);
  EXPECT_EQ(out, "a wolf")
      << "the later plugin ran on the completed verdict's output (and keeps \" \")";
  step = tx->runBody(EXAPROXY_RESPONSE, "and a cat", true, out);
  ASSERT_TRUE(step.waiting);
  ASSERT_TRUE(runUntil(loop_, [&] { return resumed == 2; }));
  tx->takeBody(out);
  EXPECT_EQ(out, "a wolf and a wolf");
}

TEST_F(Abi17Chain, APendingVerdictThatNeverComesFollowsOnTimeout) {
  auto p = load("10-a", "body17", {{"mode", "pendingforever"}});
  ASSERT_TRUE(p);
  auto tx = start({{p, PluginPolicy{50ms, true, false}}});
  bool resumed = false;
  tx->onBodyResume([&] { resumed = true; });
  std::string out;
  ASSERT_TRUE(tx->runBody(EXAPROXY_RESPONSE, "data", false, out).waiting);
  ASSERT_TRUE(runUntil(loop_, [&] { return resumed; }));
  auto step = tx->takeBody(out);
  EXPECT_FALSE(step.answered) << "on_timeout = allow";
  EXPECT_EQ(out, "data");
  EXPECT_EQ(p->counters.timeouts.load(), 1u);
}

TEST_F(Abi17Chain, PendingAndExceptionsAreErrors) {
  auto pending = load("10-a", "body17", {{"mode", "nohandle"}});
  auto throws = load("20-b", "body17", {{"mode", "throw"}});
  ASSERT_TRUE(pending && throws);
  auto tx = start({{pending, policy(true)}, {throws, policy(false)}});
  PluginTransaction::BodyStep step;
  feed(*tx, {"data"}, &step);
  ASSERT_TRUE(step.answered) << "the first fails open, the second closed";
  EXPECT_EQ(step.answer.status, 503);
  EXPECT_NE(step.answer.reason.find("thrown on purpose"), std::string::npos) << step.answer.reason;
  EXPECT_EQ(pending->counters.fail_open.load(), 1u);
  EXPECT_EQ(throws->counters.fail_closed.load(), 1u);
}

TEST(Abi17Verify, ListsTheBodyHook) {
  std::ostringstream out;
  EXPECT_EQ(PluginRuntime::verifyPlugin(pluginPath("body17"), out), 0) << out.str();
  auto at = out.str().find("hooks:");
  ASSERT_NE(at, std::string::npos) << out.str();
  std::string hooks = out.str().substr(at, out.str().find('\n', at) - at);
  EXPECT_NE(hooks.find(" body"), std::string::npos) << hooks;
  EXPECT_NE(hooks.find(" request"), std::string::npos) << hooks;
}

TEST_F(Abi17Chain, TheRequestBodyIsAskedForInARequestHookAndWalkedApart) {
  auto both =
      load("10-a", "body17", {{"body", "both"}, {"mode", "replace"}, {"from", "up"}, {"to", "UP"}});
  ASSERT_TRUE(both);
  auto tx = start({{both, policy()}});
  EXPECT_TRUE(tx->wantsBody(EXAPROXY_REQUEST));
  EXPECT_TRUE(tx->wantsBody(EXAPROXY_RESPONSE));
  std::string up, down;
  EXPECT_FALSE(tx->runBody(EXAPROXY_REQUEST, "going u", false, up).answered);
  EXPECT_FALSE(tx->runBody(EXAPROXY_RESPONSE, "coming up", true, down).answered);
  EXPECT_FALSE(tx->runBody(EXAPROXY_REQUEST, "p", true, up).answered);
  EXPECT_EQ(up, "going UP") << "the tail held of the request body is its own";
  EXPECT_EQ(down, "coming UP");

  // Asked in on_response_head, the request body is refused: it has gone already.
  auto late = load("20-b", "body17", {{"body", "request"}, {"ask", "response"}});
  ASSERT_TRUE(late);
  auto tx2 = start({{late, policy()}});
  http::ResponseParser parser;
  http::ResponseHead resp;
  std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(parser.parse(raw, "GET", resp), http::ParseState::Complete);
  EXPECT_EQ(tx2->runResponse(resp).kind, Outcome::Kind::Continue);
  EXPECT_FALSE(tx2->wantsBody(EXAPROXY_REQUEST));
}

TEST_F(Abi17Chain, DecodingIsAskedPerBody) {
  auto p = load("10-a", "body17", {{"body", "request"}, {"decoded", "plain"}});
  ASSERT_TRUE(p);
  req_ = getRequest();
  req_.headers.add("Accept-Encoding", "br, gzip");
  auto tx = std::make_unique<PluginTransaction>(chainOf({{p, policy()}}), loop_, &pool_, info());
  bool done = false;
  tx->runRequest(req_, [&](Outcome) { done = true; });
  ASSERT_TRUE(done);
  EXPECT_EQ(tx->bodyFlags(EXAPROXY_REQUEST),
            PluginTransaction::kBodyAsked | EXAPROXY_WANT_DECODED | EXAPROXY_WANT_PLAIN);
  EXPECT_EQ(tx->bodyFlags(EXAPROXY_RESPONSE), 0u);
  EXPECT_EQ(req_.headers.get("accept-encoding").value_or(""), "br, gzip")
      << "a request body read decoded does not narrow what the client accepts";
}

} // namespace
} // namespace exaproxy::plugin::test
