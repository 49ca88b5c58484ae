// The filter stage: each plugin Outcome turned into the Next the session applies (no plugin
// runtime here: the outcomes are the ones a chain returns).
#include "proxy/filter_stage.h"

#include "stage_fixture.h"

#include <gtest/gtest.h>

namespace exaproxy::proxy {
namespace {

using testing::StageBench;
using Kind = Next::Kind;
using plugin::Outcome;

TEST(FilterStage, WithoutPluginsTheVerdictIsContinueAtOnce) {
  StageBench b;
  b.request("GET http://example.test:8080/ HTTP/1.1\r\nHost: example.test:8080\r\n\r\n");
  FilterStage f;
  bool called = false;
  f.run(b.ex(), [&](Outcome&& o) {
    called = true;
    EXPECT_TRUE(f.running()); // synchronous: the session must not advance from inside
    EXPECT_EQ(o.kind, Outcome::Kind::Continue);
  });
  EXPECT_TRUE(called);
  EXPECT_FALSE(f.running());
  Next n = f.decide(b.ex(), Outcome{});
  EXPECT_EQ(n.kind, Kind::Resolve);
  EXPECT_EQ(b.tx->destHost, "example.test");
  EXPECT_EQ(b.cur.destPort, 8080);
}

TEST(FilterStage, ARouteChangesWhereButNotWhat) {
  StageBench b;
  b.request("GET http://example.test/x HTTP/1.1\r\nHost: example.test\r\n\r\n");
  FilterStage f;
  Outcome o;
  o.kind = Outcome::Kind::Route;
  o.routeHost = "mirror.test";
  o.routePort = 8081;
  o.plugin = "50-route";
  EXPECT_EQ(f.decide(b.ex(), o).kind, Kind::Resolve);
  EXPECT_EQ(b.tx->destHost, "mirror.test");
  EXPECT_EQ(b.cur.destPort, 8081);
  EXPECT_EQ(b.tx->req.host, "example.test");
  EXPECT_EQ(b.tx->note, "routed=mirror.test:8081 plugin=50-route");
}

TEST(FilterStage, ARouteToAnAmbiguousAddressIsRefused) {
  StageBench b;
  b.request("GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n");
  FilterStage f;
  Outcome o;
  o.kind = Outcome::Kind::Route;
  o.routeHost = "0x7f.1";
  Next n = f.decide(b.ex(), o);
  ASSERT_EQ(n.kind, Kind::Answer);
  EXPECT_EQ(n.answer.status, 403);
  EXPECT_EQ(n.answer.resultCode, "TCP_DENIED");
}

TEST(FilterStage, DenyRedirectAndRespondBecomeAnswers) {
  StageBench b;
  b.request(
      "POST http://example.test/ HTTP/1.1\r\nHost: example.test\r\nContent-Length: 3\r\n\r\n");
  FilterStage f;
  Outcome deny;
  deny.kind = Outcome::Kind::Deny;
  deny.reason = "category adult";
  Next n = f.decide(b.ex(), deny);
  ASSERT_EQ(n.kind, Kind::Answer);
  EXPECT_EQ(n.answer.status, 403);
  EXPECT_TRUE(n.answer.close); // its body is still on its way
  EXPECT_NE(n.answer.ownBody.find("category adult"), std::string::npos);
  EXPECT_EQ(b.ctx.counters().denied.load(), 1u);

  Outcome redirect;
  redirect.kind = Outcome::Kind::Redirect;
  redirect.location = "http://block.test/why";
  n = f.decide(b.ex(), redirect);
  ASSERT_EQ(n.kind, Kind::Answer);
  EXPECT_EQ(n.answer.status, 302);
  ASSERT_FALSE(n.answer.headers.empty());
  EXPECT_EQ(n.answer.headers.back(),
            (std::pair<std::string, std::string>{"Location", "http://block.test/why"}));

  Outcome respond;
  respond.kind = Outcome::Kind::Respond;
  respond.status = 200;
  respond.contentType = "text/plain";
  respond.body = "local";
  n = f.decide(b.ex(), respond);
  ASSERT_EQ(n.kind, Kind::Answer);
  EXPECT_FALSE(n.answer.errorPage);
  EXPECT_EQ(n.answer.ownBody, "local");
  EXPECT_EQ(n.answer.contentType, "text/plain");

  respond.file = "/nonexistent/file";
  n = f.decide(b.ex(), respond);
  EXPECT_EQ(n.kind, Kind::ReadFile);
  EXPECT_EQ(n.file, "/nonexistent/file");
}

TEST(FilterStage, ARequestForTheProxyItselfGetsItsOwnPage) {
  StageBench b;
  b.request("GET /healthz HTTP/1.1\r\nHost: proxy\r\n\r\n");
  b.tx->selfTarget = true;
  FilterStage f;
  Next n = f.decide(b.ex(), Outcome{});
  ASSERT_EQ(n.kind, Kind::Answer);
  EXPECT_EQ(n.answer.status, 200);
  EXPECT_EQ(n.answer.body, "ok\n");
}

} // namespace
} // namespace exaproxy::proxy
