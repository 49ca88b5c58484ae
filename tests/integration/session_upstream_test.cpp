// Pins ClientSession's upstream side through the real binary: the next address after a refused
// connect, the retry of a stale pooled connection, the pool limit, max_connections, an origin
// that never sends 100 Continue, and a bad chunk after the response head.
#include "session_helpers.h"

using namespace itest;
using namespace std::chrono_literals;

// A name with two addresses, the first (preferred) refusing: the second is tried, 200.
TEST(SessionUpstream, NextAddressAfterARefusedConnect) {
  int v6 = listenOn("::1", 0);
  if (v6 < 0)
    GTEST_SKIP() << "no ::1 here (the refusing first address)";
  ::close(v6);
  OriginServer origin; // 127.0.0.1 only: [::1]:PORT refuses
  DnsmasqOptions o;
  o.records = {"--host-record=two.example.test,127.0.0.1,::1"};
  Dnsmasq dns(o);
  ASSERT_TRUE(dns.start()) << dns.error();
  ProxyProcess proxy(
      {"",
       {"server.loops=1", "dns.servers=" + dns.server(), "dns.hosts_file=no", "dns.prefer=ipv6"},
       {}});
  ASSERT_TRUE(proxy.start());
  std::string authority = "two.example.test:" + std::to_string(origin.port());
  auto r =
      rawExchange(proxy.endpoint(), requestHead("GET", "http://" + authority + "/", authority), 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "origin-ok\n");
  EXPECT_EQ(origin.requestCount(), 1u);
  EXPECT_NE(
      proxy.stderrText().find("upstream.connect_failed to=[::1]:" + std::to_string(origin.port())),
      std::string::npos)
      << proxy.stderrText();
}

// Every address refusing: 502 (not a hang, not a 504).
TEST(SessionUpstream, AllAddressesRefusingIs502) {
  uint16_t port = closedPort();
  std::string authority = "127.0.0.1:" + std::to_string(port);
  ProxyProcess proxy({"", {"server.loops=1"}, {}});
  ASSERT_TRUE(proxy.start());
  auto r =
      rawExchange(proxy.endpoint(), requestHead("GET", "http://" + authority + "/", authority), 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
}

// The origin closes its idle kept-alive connection: the pool drops it, the next request goes on a
// new connection and succeeds.
TEST(SessionUpstream, OriginClosingAnIdlePooledConnectionIsHarmless) {
  OriginServer origin;
  origin.setHandler([](Exchange& ex) {
    ex.respond(200, "ok\n");
    ex.closeAfter(); // silently: the response said nothing about closing
  });
  ProxyProcess proxy({"", {"server.loops=1"}, {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.send(absoluteGet(origin, "/a")));
  auto r1 = c.readResponse(5s);
  ASSERT_TRUE(r1) << c.lastError();
  EXPECT_EQ(r1->status, 200);
  std::this_thread::sleep_for(100ms); // the FIN reaches the pooled connection
  ASSERT_TRUE(c.send(absoluteGet(origin, "/b")));
  auto r2 = c.readResponse(5s);
  ASSERT_TRUE(r2) << c.lastError();
  EXPECT_EQ(r2->status, 200);
  EXPECT_EQ(r2->body, "ok\n");
  EXPECT_EQ(origin.acceptedConnections(), 2);
}

// A reused connection the origin closes on receiving the request, without a byte: a request
// without a body is retried once on a fresh connection (200); one with a body is not (502).
TEST(SessionUpstream, StaleReusedConnectionIsRetriedOnceForABodylessRequest) {
  OriginServer origin;
  origin.setHandler([](Exchange& ex) {
    if (ex.request().connection == 1 && ex.request().target.find("/second") != std::string::npos) {
      ex.closeAfter(); // the race: the server closes the pooled connection as it is reused
      return;
    }
    ex.respond(200, "fresh " + std::to_string(ex.request().connection) + "\n");
  });
  ProxyProcess proxy({"", {"server.loops=1"}, {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.send(absoluteGet(origin, "/first")));
  auto r1 = c.readResponse(5s);
  ASSERT_TRUE(r1) << c.lastError();
  EXPECT_EQ(r1->body, "fresh 1\n");
  ASSERT_TRUE(c.send(absoluteGet(origin, "/second")));
  auto r2 = c.readResponse(5s);
  ASSERT_TRUE(r2) << c.lastError();
  EXPECT_EQ(r2->status, 200);
  EXPECT_EQ(r2->body, "fresh 2\n");
  EXPECT_EQ(origin.acceptedConnections(), 2);
  EXPECT_EQ(origin.requestCount(), 3u); // /first, /second (dropped), /second again
  EXPECT_NE(proxy.stderrText().find("upstream.stale"), std::string::npos);
}

TEST(SessionUpstream, StaleReusedConnectionIsNotRetriedForARequestWithABody) {
  OriginServer origin;
  origin.setHandler([](Exchange& ex) {
    if (ex.request().connection == 1 && ex.request().method == "POST") {
      ex.closeAfter();
      return;
    }
    ex.respond(200, "ok\n");
  });
  ProxyProcess proxy({"", {"server.loops=1"}, {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.send(absoluteGet(origin, "/first")));
  auto r1 = c.readResponse(5s);
  ASSERT_TRUE(r1) << c.lastError();
  EXPECT_EQ(r1->status, 200);
  ASSERT_TRUE(c.send(absoluteGet(origin, "/post", {"Content-Length: 4"}, "POST") + "body"));
  auto r2 = c.readResponse(5s);
  ASSERT_TRUE(r2) << c.lastError();
  EXPECT_EQ(r2->status, 502);
  EXPECT_EQ(origin.acceptedConnections(), 1);
  EXPECT_TRUE(c.waitClosed(2s));
}

// pool_per_destination = 1: two requests in flight at once use two origin connections; one of
// them is kept, so the next two in flight at once reuse one and open one (3 in all).
// pool_per_destination = 0: no reuse at all.
TEST(SessionUpstream, PoolPerDestinationBoundsTheIdleConnectionsKept) {
  for (int pool : {1, 0}) {
    SCOPED_TRACE("pool_per_destination=" + std::to_string(pool));
    OriginServer origin;
    ProxyProcess proxy(
        {"", {"server.loops=1", "upstream.pool_per_destination=" + std::to_string(pool)}, {}});
    ASSERT_TRUE(proxy.start());
    for (int round = 0; round < 2; ++round) {
      RawClient a(proxy.endpoint()), b(proxy.endpoint());
      ASSERT_TRUE(a.send(absoluteGet(origin, "/delay/300")));
      ASSERT_TRUE(b.send(absoluteGet(origin, "/delay/300")));
      auto ra = a.readResponse(5s);
      auto rb = b.readResponse(5s);
      ASSERT_TRUE(ra && rb);
      EXPECT_EQ(ra->status, 200);
      EXPECT_EQ(rb->status, 200);
    }
    EXPECT_EQ(origin.acceptedConnections(), pool == 1 ? 3 : 4);
  }
}

// max_connections = 2: a third client connection waits in the kernel backlog (accept paused) and
// is served once one of the first two closes.
TEST(SessionUpstream, MaxConnectionsPausesAcceptUntilASlotFrees) {
  OriginServer origin;
  ProxyProcess proxy({"",
                      {"server.loops=1", "limits.max_connections=2",
                       "limits.max_connections_per_client=2", "timeouts.header_read=10s"},
                      {}});
  ASSERT_TRUE(proxy.start());
  RawClient a(proxy.endpoint()), b(proxy.endpoint());
  ASSERT_TRUE(a.connected() && b.connected());
  ASSERT_TRUE(
      waitFor([&] { return proxy.stderrText().find("accept.paused") != std::string::npos; }, 5s))
      << proxy.stderrText();
  RawClient third(proxy.endpoint()); // the kernel completes the handshake
  ASSERT_TRUE(third.connected());
  ASSERT_TRUE(third.send(absoluteGet(origin, "/")));
  EXPECT_TRUE(third.quietFor(400ms)) << "served although max_connections were open";
  EXPECT_EQ(origin.requestCount(), 0u);
  a.close();
  auto r = third.readResponse(5s);
  ASSERT_TRUE(r) << third.lastError();
  EXPECT_EQ(r->status, 200);
}

// An origin that never sends 100 Continue: the proxy sends none of its own either; the client
// sends its body after waiting, and the exchange completes.
TEST(SessionUpstream, OriginWithoutContinueLeavesTheClientToSendItsBody) {
  OriginServer origin;
  origin.setAutoContinue(false);
  ProxyProcess proxy({"", {"server.loops=1"}, {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.send(
      absoluteGet(origin, "/upload", {"Content-Length: 5", "Expect: 100-continue"}, "POST")));
  ASSERT_TRUE(origin.waitForRequests(1, 5s)); // the head went on, the Expect with it
  EXPECT_TRUE(c.quietFor(300ms)) << "the proxy answered the expectation itself";
  ASSERT_TRUE(c.send("hello"));
  auto r = c.readResponse(5s);
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "received 5\n");
  auto reqs = origin.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers.joined("Expect"), "100-continue");
  EXPECT_EQ(reqs[0].bodySize, 5u);
}

// A bad chunk size right after the response head (in the same read): the head waits in the
// proxy's buffer when the chunk is judged, so the client gets no byte at all, just the close (not
// a 502: the response counts as started), and the access log says the transaction was aborted.
TEST(SessionUpstream, BadChunkAfterTheHeadClosesWithoutAByte) {
  OriginServer origin;
  ProxyProcess proxy({"", {"server.loops=1"}, {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.send(absoluteGet(origin, "/invalid/bad-chunk")));
  auto t0 = Clock::now();
  EXPECT_EQ(c.readUntilClose(5s), "");
  EXPECT_LT(msSince(t0), 3000) << "not closed";
  EXPECT_NE(proxy.stderrText().find("invalid chunked body from upstream"), std::string::npos)
      << proxy.stderrText();
  ASSERT_TRUE(proxy.waitForAccessLogLines(1));
  EXPECT_NE(proxy.accessLog().find("TCP_MISS_ABORTED/200"), std::string::npos) << proxy.accessLog();
}

// A chunked request body whose framing breaks after its head went upstream (RFC 9112 §7.1): no
// response byte has reached the client, so it gets a 400 (logged), and the upstream connection,
// which holds part of a body it cannot tell from a whole one, is cut. The client goes on sending
// after the 400: the proxy reads and drops those bytes until the client closes (lingering close,
// §9.6) instead of resetting a connection whose answer the client may not have read yet.
TEST(SessionUpstream, BadRequestChunkAfterTheHeadWentUpstreamIs400WithALingeringClose) {
  OriginServer origin;
  ProxyProcess proxy({"", {"server.loops=1"}, {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.send(absoluteGet(origin, "/upload", {"Transfer-Encoding: chunked"}, "POST")));
  ASSERT_TRUE(origin.waitForRequests(1, 5s)); // the head is upstream, the body not yet
  ASSERT_TRUE(c.send("0x5\r\nhello\r\n" + std::string(64 * 1024, 'x')));
  auto r = c.readResponse(5s);
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(proxy.stderrText().find("request.body_rejected"), std::string::npos)
      << proxy.stderrText();
  // Still read (and dropped) on the proxy's side: more bytes go out without a reset...
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(c.send(std::string(64 * 1024, 'y'))) << "reset while lingering: " << c.lastError();
  }
  // ...until the client ends its side: then the proxy closes at once.
  c.shutdownWrite();
  auto t0 = Clock::now();
  EXPECT_TRUE(c.waitClosed(3s));
  EXPECT_LT(msSince(t0), 1500);
  ASSERT_TRUE(proxy.waitForAccessLogLines(1));
  EXPECT_NE(proxy.accessLog().find("NONE_NONE/400"), std::string::npos) << proxy.accessLog();
}

// A client that never stops sending after its 400 is closed when the lingering time is over.
TEST(SessionUpstream, LingeringCloseIsBounded) {
  ProxyProcess proxy({"", {"server.loops=1"}, {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: a.test\r\nBad Header: x\r\n\r\n" +
                     std::string(16 * 1024, 'z')));
  auto r = c.readResponse(5s);
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 400);
  auto t0 = Clock::now();
  bool closed = false;
  while (msSince(t0) < 6000 && !closed) {
    closed = !c.send(std::string(4096, 'z'), 1s);
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(closed) << "still open after 6 s";
  EXPECT_GT(msSince(t0), 1000) << "closed without lingering";
}
