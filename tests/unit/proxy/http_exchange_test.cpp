// The HTTP exchange stage on socketpairs: what it sends the origin and the client, and the Next
// it returns at each step.
#include "proxy/http_exchange.h"

#include "proxy/relay_io.h"
#include "stage_fixture.h"

#include <gtest/gtest.h>

namespace exaproxy::proxy {
namespace {

using testing::StageBench;
using Kind = Next::Kind;

// Steps until the stage waits (Stay) or decides something other than Progress.
Next run(StageBench& b, FilterStage& f) {
  for (int i = 0; i < 32; ++i) {
    readSide(b.ex(), Side::Upstream, kBufferLimit);
    Next n = stepHttp(b.ex(), f);
    if (n.kind != Kind::Progress)
      return n;
  }
  ADD_FAILURE() << "the exchange never settled";
  return Next::stay();
}

TEST(HttpExchange, ForwardsTheRequestAndRelaysAContentLengthResponse) {
  StageBench b;
  FilterStage f;
  b.request("GET http://example.test/a?b HTTP/1.1\r\nHost: example.test\r\nX-Keep: 1\r\n\r\n");
  startForwarding(b.ex(), f);
  EXPECT_EQ(run(b, f).kind, Kind::Stay); // the request went; the response has not come
  std::string sent = StageBench::received(b.originFar);
  EXPECT_TRUE(sent.starts_with("GET /a?b HTTP/1.1\r\n")) << sent;
  EXPECT_NE(sent.find("\r\nX-Keep: 1\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("\r\nVia: 1.1 "), std::string::npos) << sent;
  EXPECT_TRUE(b.cur.requestSent);

  StageBench::send(b.originFar, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel");
  EXPECT_EQ(run(b, f).kind, Kind::Relay);
  EXPECT_EQ(b.cur.status, 200);
  EXPECT_EQ(run(b, f).kind, Kind::Stay); // two bytes still to come
  StageBench::send(b.originFar, "lo");
  EXPECT_EQ(run(b, f).kind, Kind::Finish);
  std::string got = StageBench::received(b.clientFar);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\nhello")) << got;
  EXPECT_EQ(b.cur.bytesToClient, got.size());
  EXPECT_TRUE(upstreamReusable(b.ex()));
  EXPECT_FALSE(b.closeAfter);
}

TEST(HttpExchange, InterimContinueReachesAnHttp11ClientBeforeTheFinalHead) {
  StageBench b;
  FilterStage f;
  b.request("POST http://example.test/ HTTP/1.1\r\nHost: example.test\r\nContent-Length: 2\r\n"
            "Expect: 100-continue\r\n\r\n");
  startForwarding(b.ex(), f);
  run(b, f);
  StageBench::send(b.originFar, "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(run(b, f).kind, Kind::Stay);
  EXPECT_EQ(StageBench::received(b.clientFar), "HTTP/1.1 100 Continue\r\n\r\n");
  StageBench::send(b.clientFar, "ok");
  readSide(b.ex(), Side::Client, kBufferLimit);
  run(b, f);
  std::string sent = StageBench::received(b.originFar);
  EXPECT_TRUE(sent.ends_with("\r\n\r\nok")) << sent;
  StageBench::send(b.originFar, "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(run(b, f).kind, Kind::Relay);
  EXPECT_EQ(run(b, f).kind, Kind::Finish);
}

TEST(HttpExchange, ABodyOverTheLimitIsAnswered413AndCutsTheUpstream) {
  auto cfg = std::make_shared<HostConfig>();
  cfg->maxRequestBody = 4;
  StageBench b(cfg);
  FilterStage f;
  b.request("POST http://example.test/ HTTP/1.1\r\nHost: example.test\r\n"
            "Transfer-Encoding: chunked\r\n\r\n9\r\n123456789\r\n0\r\n\r\n");
  startForwarding(b.ex(), f);
  Next n = run(b, f);
  ASSERT_EQ(n.kind, Kind::Answer);
  EXPECT_EQ(n.answer.status, 413);
  EXPECT_TRUE(n.answer.close);
  EXPECT_FALSE(b.up.valid());
}

TEST(HttpExchange, AnInvalidChunkFromTheOriginAborts) {
  StageBench b;
  FilterStage f;
  b.request("GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n");
  startForwarding(b.ex(), f);
  run(b, f);
  StageBench::send(b.originFar,
                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n");
  Next n = run(b, f);
  if (n.kind == Kind::Relay)
    n = run(b, f);
  ASSERT_EQ(n.kind, Kind::Abort);
  EXPECT_NE(n.why.find("invalid chunked body"), std::string::npos) << n.why;
}

TEST(HttpExchange, AFreshConnectionClosedWithoutAResponseIs502) {
  StageBench b;
  FilterStage f;
  b.request("GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n");
  startForwarding(b.ex(), f);
  run(b, f);
  b.originFar.reset();
  Next n = run(b, f);
  ASSERT_EQ(n.kind, Kind::Answer);
  EXPECT_EQ(n.answer.status, 502);
}

TEST(HttpExchange, APooledConnectionClosedWithoutAResponseIsRetriedOnce) {
  StageBench b;
  FilterStage f;
  b.up.reused = true;
  b.request("GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n");
  b.tx->connector.reset({b.up.remote.address}, 80);
  startForwarding(b.ex(), f);
  run(b, f);
  b.originFar.reset();
  EXPECT_EQ(run(b, f).kind, Kind::Connect);
  EXPECT_TRUE(b.cur.retried);
  EXPECT_FALSE(b.up.valid());
  EXPECT_FALSE(b.tx->connector.exhausted()); // rewound: the first address again
}

TEST(HttpExchange, SwitchingProtocolsUnaskedIs502AndAnUpgradeBecomesATunnel) {
  {
    StageBench b;
    FilterStage f;
    b.request("GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n");
    startForwarding(b.ex(), f);
    run(b, f);
    StageBench::send(b.originFar, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n");
    Next n = run(b, f);
    ASSERT_EQ(n.kind, Kind::Answer);
    EXPECT_EQ(n.answer.status, 502);
  }
  StageBench b;
  FilterStage f;
  b.request("GET http://example.test/chat HTTP/1.1\r\nHost: example.test\r\nConnection: Upgrade"
            "\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n");
  ASSERT_TRUE(b.tx->req.upgradeWebsocket);
  startForwarding(b.ex(), f);
  run(b, f);
  StageBench::send(b.originFar, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                                "Upgrade: websocket\r\n\r\n");
  EXPECT_EQ(run(b, f).kind, Kind::Tunnel);
  EXPECT_EQ(b.cur.status, 101);
  EXPECT_TRUE(b.down.out.view().starts_with("HTTP/1.1 101 ")) << b.down.out.view();
}

TEST(HttpExchange, AnHttp10ClientGetsAChunkedBodyDechunkedAndTheConnectionCloses) {
  StageBench b;
  FilterStage f;
  b.request("GET http://example.test/ HTTP/1.0\r\nHost: example.test\r\n\r\n");
  startForwarding(b.ex(), f);
  run(b, f);
  StageBench::send(b.originFar, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_EQ(run(b, f).kind, Kind::Relay);
  EXPECT_EQ(run(b, f).kind, Kind::Finish);
  std::string got = StageBench::received(b.clientFar);
  EXPECT_EQ(got.find("chunked"), std::string::npos) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\nabcde")) << got;
  EXPECT_TRUE(b.closeAfter);
}

} // namespace
} // namespace exaproxy::proxy
