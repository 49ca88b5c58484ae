// The chain: order, REWRITE continues, the first final verdict ends it, PENDING completes from a
// worker through the loop, timeouts and errors follow the plugin's policy, complete() twice or
// after the transaction is gone is a counted no-op.
#include "plugin_test_support.h"

#include "http/response_parser.h"
#include "plugin/incident_id.h"
#include "plugin/pending_verdict.h"
#include "plugin/plugin_transaction.h"

#include <optional>
#include <set>

namespace exaproxy::plugin::test {
namespace {

class PluginChainTest : public PluginTest {
protected:
  // Runs the request through `chain`, waiting for a PENDING verdict if needed.
  std::optional<Outcome> run(const ChainPtr& chain, http::RequestHead& req,
                             std::chrono::milliseconds wait = 2000ms) {
    std::optional<Outcome> got;
    tx_ = std::make_unique<PluginTransaction>(chain, loop_, &pool_, info());
    tx_->runRequest(req, [&](Outcome o) { got = std::move(o); });
    runUntil(
        loop_, [&] { return got.has_value(); }, wait);
    return got;
  }
  PluginPolicy policy(bool allowOnTimeout = false, bool allowOnError = false,
                      std::chrono::milliseconds timeout = 5000ms) {
    return PluginPolicy{timeout, allowOnTimeout, allowOnError};
  }

  std::unique_ptr<PluginTransaction> tx_;
};

TEST_F(PluginChainTest, RunsInOrderAndRewriteContinues) {
  auto a = load("10-a", "scripted", {{"label", "a"}, {"action", "rewrite"}, {"header", "X-A"}});
  auto b = load("20-b", "scripted",
                {{"label", "b"}, {"action", "rewrite"}, {"url", "http://other.test:8080/new"}});
  auto c = load("30-c", "scripted", {{"label", "c"}});
  auto chain = chainOf({{a, policy()}, {b, policy()}, {c, policy()}});
  auto req = getRequest();
  std::optional<Outcome> got;
  PluginTransaction tx(chain, loop_, &pool_, info());
  tx.runRequest(req, [&](Outcome o) { got = std::move(o); });
  ASSERT_TRUE(got) << "no PENDING: the callback runs inside runRequest";
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_TRUE(got->rewritten);
  EXPECT_EQ(headerValues(req, "x-chain"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(headerValues(req, "x-a"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(req.host, "other.test");
  EXPECT_EQ(req.port, 8080);
  EXPECT_EQ(req.pathAndQuery, "/new");
  EXPECT_EQ(a->counters.rewrites.load(), 1u);
  EXPECT_EQ(c->counters.continues.load(), 1u);
}

TEST_F(PluginChainTest, FirstFinalVerdictEndsTheChain) {
  auto a = load("10-a", "scripted", {{"label", "a"}});
  auto b = load("20-b", "scripted", {{"label", "b"}, {"action", "deny"}, {"reason", "listed"}});
  auto c = load("30-c", "scripted", {{"label", "c"}});
  auto req = getRequest();
  auto got = run(chainOf({{a, policy()}, {b, policy()}, {c, policy()}}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Deny);
  EXPECT_EQ(got->plugin, "20-b");
  EXPECT_EQ(got->status, 403);
  EXPECT_EQ(got->reason, "listed");
  EXPECT_EQ(headerValues(req, "x-chain"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c->counters.calls.load(), 0u);
}

TEST_F(PluginChainTest, FinalVerdictsCarryTheirDetails) {
  auto route = load("r", "scripted", {{"action", "route"}, {"route", "10.0.0.9"}, {"port", "81"}});
  auto redirect = load("d", "scripted",
                       {{"action", "redirect"}, {"location", "http://b.test/"}, {"status", "301"}});
  auto respond =
      load("s", "scripted", {{"action", "respond"}, {"status", "418"}, {"body", "teapot"}});
  auto req = getRequest();
  auto o = run(chainOf({{route, policy()}}), req);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->kind, Outcome::Kind::Route);
  EXPECT_EQ(o->routeHost, "10.0.0.9");
  EXPECT_EQ(o->routePort, 81);
  EXPECT_EQ(req.host, "origin.test") << "ROUTE leaves the request unchanged";
  o = run(chainOf({{redirect, policy()}}), req);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->kind, Outcome::Kind::Redirect);
  EXPECT_EQ(o->status, 301);
  EXPECT_EQ(o->location, "http://b.test/");
  o = run(chainOf({{respond, policy()}}), req);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->kind, Outcome::Kind::Respond);
  EXPECT_EQ(o->status, 418);
  EXPECT_EQ(o->body, "teapot");
  EXPECT_EQ(o->contentType, "text/plain");
}

TEST_F(PluginChainTest, PendingCompletesFromAWorkerThroughTheLoop) {
  auto a = load("10-a", "scripted", {{"label", "a"}, {"action", "pending"}, {"delay_ms", "20"}});
  auto b = load("20-b", "scripted", {{"label", "b"}});
  auto req = getRequest();
  std::optional<Outcome> got;
  PluginTransaction tx(chainOf({{a, policy()}, {b, policy()}}), loop_, &pool_, info());
  tx.runRequest(req, [&](Outcome o) { got = std::move(o); });
  EXPECT_FALSE(got) << "PENDING must not block the loop";
  EXPECT_TRUE(tx.waiting());
  ASSERT_TRUE(runUntil(loop_, [&] { return got.has_value(); }));
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_EQ(headerValues(req, "x-chain"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(a->counters.pendings.load(), 1u);
  EXPECT_EQ(a->counters.completes.load(), 1u);
  EXPECT_EQ(metric(*a, "complete_rc"), EXAPROXY_OK);
}

TEST_F(PluginChainTest, PendingCanEndTheChain) {
  auto a =
      load("10-a", "scripted",
           {{"action", "pending"}, {"then", "deny"}, {"reason", "late no"}, {"delay_ms", "5"}});
  auto b = load("20-b", "scripted", {{"label", "b"}});
  auto req = getRequest();
  auto got = run(chainOf({{a, policy()}, {b, policy()}}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Deny);
  EXPECT_EQ(got->reason, "late no");
  EXPECT_EQ(b->counters.calls.load(), 0u);
}

TEST_F(PluginChainTest, TimeoutFailOpenContinues) {
  auto never = load("10-never", "never_completes");
  auto b = load("20-b", "scripted", {{"label", "b"}});
  auto req = getRequest();
  auto got = run(chainOf({{never, policy(true, false, 30ms)}, {b, policy()}}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_EQ(headerValues(req, "x-chain"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(never->counters.timeouts.load(), 1u);
  EXPECT_EQ(never->counters.fail_open.load(), 1u);
}

TEST_F(PluginChainTest, TimeoutFailClosedDenies) {
  auto never = load("10-never", "never_completes");
  auto b = load("20-b", "scripted", {{"label", "b"}});
  auto req = getRequest();
  auto got = run(chainOf({{never, policy(false, false, 30ms)}, {b, policy()}}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Deny);
  EXPECT_EQ(got->status, 503);
  EXPECT_EQ(got->plugin, "10-never");
  EXPECT_EQ(got->clientDetail,
            "The request could not be filtered in time (incident " + got->incident + ").");
  EXPECT_EQ(never->counters.fail_closed.load(), 1u);
  EXPECT_EQ(b->counters.calls.load(), 0u);
}

TEST_F(PluginChainTest, ErrorAndUnknownVerdictsFollowThePolicy) {
  auto err = load("10-err", "scripted", {{"action", "error"}, {"reason", "db down"}});
  auto bad = load("11-bad", "scripted", {{"action", "bad"}});
  auto b = load("20-b", "scripted", {{"label", "b"}});
  auto req = getRequest();
  auto open =
      run(chainOf({{err, policy(false, true)}, {bad, policy(false, true)}, {b, policy()}}), req);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->kind, Outcome::Kind::Continue);
  EXPECT_EQ(b->counters.calls.load(), 1u);
  EXPECT_EQ(err->counters.errors.load(), 1u);
  EXPECT_EQ(bad->counters.errors.load(), 1u);
  auto closed = run(chainOf({{err, policy(false, false)}, {b, policy()}}), req);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->kind, Outcome::Kind::Deny);
  EXPECT_EQ(closed->status, 503);
  EXPECT_NE(closed->reason.find("db down"), std::string::npos) << closed->reason;
  EXPECT_FALSE(closed->incident.empty());
  EXPECT_EQ(closed->clientDetail.find("db down"), std::string::npos) << closed->clientDetail;
}

TEST(IncidentIdTest, ShortHexAndNeverRepeated) {
  std::set<std::string> seen;
  for (int i = 0; i < 200000; ++i) {
    auto id = newIncidentId();
    ASSERT_EQ(id.size(), 12u) << id;
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ASSERT_TRUE(seen.insert(id).second) << "repeated after " << i << ": " << id;
  }
}

TEST_F(PluginChainTest, ExceptionInACppHookBecomesError) {
  auto thrower = load("10-throws", "throws_in_hook");
  auto req = getRequest();
  auto got = run(chainOf({{thrower, policy(false, false)}}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Deny);
  EXPECT_EQ(thrower->counters.errors.load(), 1u);
  EXPECT_NE(got->reason.find("exception: boom"), std::string::npos) << got->reason;
  // The client's text has an incident id and none of the plugin's detail.
  EXPECT_EQ(got->incident.size(), 12u) << got->incident;
  EXPECT_EQ(got->clientDetail.find("boom"), std::string::npos) << got->clientDetail;
  EXPECT_NE(got->clientDetail.find("could not be filtered (incident " + got->incident + ")"),
            std::string::npos)
      << got->clientDetail;
  got = run(chainOf({{thrower, policy(false, true)}}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
}

TEST_F(PluginChainTest, SecondCompleteIsCountedAndIgnored) {
  auto twice = load("10-twice", "completes_twice");
  auto req = getRequest();
  auto got = run(chainOf({{twice, policy()}}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Continue) << "the first complete() wins";
  ASSERT_TRUE(runUntil(loop_, [&] { return metric(*twice, "second_rc") != 0; }));
  EXPECT_EQ(metric(*twice, "second_rc"), EXAPROXY_E_TWICE);
  EXPECT_EQ(twice->counters.completes_twice.load(), 1u);
}

TEST_F(PluginChainTest, CompleteAfterTheTransactionIsGoneIsANoOp) {
  auto late = load("10-late", "completes_late");
  auto stale = PendingTable::instance().staleCompletes();
  auto req = getRequest();
  bool called = false;
  {
    PluginTransaction tx(chainOf({{late, policy()}}), loop_, &pool_, info());
    tx.runRequest(req, [&](Outcome) { called = true; });
    EXPECT_TRUE(tx.waiting());
  } // the client left
  ASSERT_TRUE(runUntil(
      loop_, [&] { return metric(*late, "late_rc") != 0; }, 3000ms));
  EXPECT_EQ(metric(*late, "late_rc"), EXAPROXY_E_STALE);
  runUntil(
      loop_, [] { return false; }, 20ms); // let any (wrongly) posted message run
  EXPECT_FALSE(called);
  EXPECT_EQ(PendingTable::instance().staleCompletes(), stale + 1);
}

TEST_F(PluginChainTest, PluginStaysLoadedWhileATransactionUsesIt) {
  std::weak_ptr<LoadedPlugin> weak;
  auto req = getRequest();
  std::optional<Outcome> got;
  {
    auto a = load("10-a", "scripted", {{"action", "pending"}, {"delay_ms", "20"}});
    weak = a;
    tx_ = std::make_unique<PluginTransaction>(chainOf({{a, policy()}}), loop_, &pool_, info());
    tx_->runRequest(req, [&](Outcome o) { got = std::move(o); });
  } // the runtime dropped it (a reload removed it)
  EXPECT_FALSE(weak.expired()) << "the transaction's chain snapshot keeps it";
  ASSERT_TRUE(runUntil(loop_, [&] { return got.has_value(); }));
  tx_.reset();
  runUntil(
      loop_, [&] { return weak.expired(); }, 1000ms); // the worker job may hold it briefly
  EXPECT_TRUE(weak.expired());
}

TEST_F(PluginChainTest, ResponseHooksEditOrReplaceTheResponse) {
  auto edit = load("10-e", "scripted", {{"label", "e"}, {"response_header", "X-Seen"}});
  auto replace = load("20-r", "scripted",
                      {{"response_action", "respond"}, {"status", "451"}, {"body", "gone"}});
  auto req = getRequest();
  auto got = run(chainOf({{edit, policy()}}), req);
  ASSERT_TRUE(got);
  http::ResponseParser parser;
  http::ResponseHead resp;
  std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(parser.parse(raw, "GET", resp), http::ParseState::Complete);
  auto r = tx_->runResponse(resp);
  EXPECT_EQ(r.kind, Outcome::Kind::Continue);
  EXPECT_EQ(resp.headers.get("x-seen").value_or(""), "e");

  got = run(chainOf({{edit, policy()}, {replace, policy()}}), req);
  r = tx_->runResponse(resp);
  EXPECT_EQ(r.kind, Outcome::Kind::Respond);
  EXPECT_EQ(r.status, 451);
  EXPECT_EQ(r.plugin, "20-r");
}

TEST_F(PluginChainTest, OnDoneRunsOncePerTransaction) {
  auto a = load("10-a", "scripted");
  auto req = getRequest();
  auto chain = chainOf({{a, policy()}});
  {
    PluginTransaction tx(chain, loop_, &pool_, info());
    tx.runRequest(req, [](Outcome) {});
    tx.done(TxSummary{200, 10, 20, 5us});
    tx.done(TxSummary{200, 10, 20, 5us});
  }
  {
    PluginTransaction tx(chain, loop_, &pool_, info()); // destroyed without done()
    tx.runRequest(req, [](Outcome) {});
  }
  {
    PluginTransaction tx(chain, loop_, &pool_, info()); // never reached a request hook
  }
  EXPECT_EQ(metric(*a, "done"), 2);
}

TEST_F(PluginChainTest, ConnectIsShownAsHostPort) {
  auto deny = load("30-deny", "deny_hosts", {{"hosts", "blocked.test, other.test"}});
  auto connect =
      parseRequest("CONNECT blocked.test:443 HTTP/1.1\r\nHost: blocked.test:443\r\n\r\n");
  auto got = run(chainOf({{deny, policy()}}), connect);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Deny);
  EXPECT_EQ(got->reason, "host is on the deny list");
  auto fine = getRequest("http://fine.test/");
  got = run(chainOf({{deny, policy()}}), fine);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_EQ(metric(*deny, "denied"), 1);
}

TEST_F(PluginChainTest, CppExampleCompletesFromTheWorkerPool) {
  auto slow = load("40-slow", "slow_lookup", {{"delay", "10"}, {"deny", "bad.test"}});
  auto bad = getRequest("http://bad.test/");
  auto got = run(chainOf({{slow, policy()}}), bad);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Deny);
  EXPECT_EQ(got->reason, "reputation service lists bad.test");
  auto good = getRequest("http://good.test/");
  got = run(chainOf({{slow, policy()}}), good);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_EQ(metric(*slow, "lookups"), 2);
  EXPECT_EQ(slow->statusJson(), "{\"delay_ms\":10,\"listed\":1}");
}

TEST_F(PluginChainTest, EmptyChainContinuesAndAcceptsEveryone) {
  auto req = getRequest();
  auto got = run(chainOf({}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_EQ(Chain().onAccept(info()).kind, Outcome::Kind::Continue);
}

} // namespace
} // namespace exaproxy::plugin::test
