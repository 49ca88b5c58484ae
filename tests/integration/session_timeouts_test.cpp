// Pins every [timeouts] key of ClientSession through the real binary, with short values so the
// file runs in seconds: what the client sees (408, 504, a close) and roughly when.
#include "session_helpers.h"

#include <csignal>

using namespace itest;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> sets(std::initializer_list<std::string> extra) {
  std::vector<std::string> s{"server.loops=1"};
  s.insert(s.end(), extra);
  return s;
}

} // namespace

// header_read with part of a head in: 408, then the connection is closed.
TEST(SessionTimeouts, HeaderReadWithAPartialHeadIs408ThenClose) {
  ProxyProcess proxy({"", sets({"timeouts.header_read=300ms"}), {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.connected());
  auto t0 = Clock::now();
  ASSERT_TRUE(c.send("GET http://127.0.0.1:9/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"));
  auto r = c.readResponse(3s);
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 408);
  EXPECT_GE(msSince(t0), 250);
  EXPECT_TRUE(c.waitClosed(2s));
  EXPECT_NE(proxy.stderrText().find("client.timeout"), std::string::npos);
}

// header_read on a new connection that sends nothing: closed quietly (no 408), after header_read.
TEST(SessionTimeouts, HeaderReadOnASilentNewConnectionClosesWithoutAWord) {
  ProxyProcess proxy({"", sets({"timeouts.header_read=300ms", "timeouts.idle_keepalive=10s"}), {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.connected());
  auto t0 = Clock::now();
  std::string got = c.readUntilClose(4s);
  long long ms = msSince(t0);
  EXPECT_EQ(got, "");
  EXPECT_GE(ms, 250);
  EXPECT_LT(ms, 3000) << "not closed: header_read bounds a silent new connection";
}

// idle_keepalive: after a response, an idle kept-alive connection is closed after idle_keepalive
// (not header_read), without a byte.
TEST(SessionTimeouts, IdleKeepaliveClosesAnIdleConnectionQuietly) {
  OriginServer origin;
  ProxyProcess proxy({"", sets({"timeouts.header_read=10s", "timeouts.idle_keepalive=300ms"}), {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.send(absoluteGet(origin, "/")));
  auto r = c.readResponse(5s);
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 200);
  auto t0 = Clock::now();
  std::string got = c.readUntilClose(4s);
  long long ms = msSince(t0);
  EXPECT_EQ(got, "");
  EXPECT_GE(ms, 200);
  EXPECT_LT(ms, 3000);
}

// first_byte: an origin that does not start its response in time gets the client a 504.
TEST(SessionTimeouts, FirstByteIs504) {
  OriginServer origin;
  ProxyProcess proxy({"", sets({"timeouts.first_byte=300ms"}), {}});
  ASSERT_TRUE(proxy.start());
  auto t0 = Clock::now();
  auto r = rawExchange(proxy.endpoint(), absoluteGet(origin, "/delay/4000"), 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_NE(r->body.find("did not start its response in time"), std::string::npos) << r->body;
  EXPECT_GE(msSince(t0), 250);
  EXPECT_LT(msSince(t0), 3000);
}

// relay_idle: the head and the first bytes went out, then the origin stalls: the client connection
// is cut (no error page can follow a started response).
TEST(SessionTimeouts, RelayIdleCutsAStalledResponse) {
  OriginServer origin;
  origin.setHandler([](Exchange& ex) {
    ex.sendHead(200, {{"Content-Length", "100"}});
    ex.sendRaw("0123456789");
    ex.sleepFor(4s);
    ex.closeAfter();
  });
  ProxyProcess proxy({"", sets({"timeouts.relay_idle=300ms"}), {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.send(absoluteGet(origin, "/stall")));
  auto t0 = Clock::now();
  std::string got = c.readUntilClose(5s);
  long long ms = msSince(t0);
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  EXPECT_NE(got.find("\r\n\r\n0123456789"), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), "0123456789");
  EXPECT_GE(ms, 250);
  EXPECT_LT(ms, 3000);
}

// tunnel_idle: an established CONNECT tunnel with no traffic is closed after tunnel_idle.
TEST(SessionTimeouts, TunnelIdleClosesAQuietTunnel) {
  OriginServer origin;
  std::string authority = origin.endpoint().str();
  ProxyProcess proxy({"",
                      sets({"timeouts.tunnel_idle=300ms", "timeouts.relay_idle=10s",
                            "acl.connect_ports=443 " + std::to_string(origin.port())}),
                      {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(openTunnel(c, authority));
  auto t0 = Clock::now();
  EXPECT_TRUE(c.waitClosed(4s));
  long long ms = msSince(t0);
  EXPECT_GE(ms, 200);
  EXPECT_LT(ms, 3000);
}

// upstream_idle: a pooled upstream connection is closed after upstream_idle, so the next request
// opens a new one; within upstream_idle the pooled one is reused.
TEST(SessionTimeouts, UpstreamIdleDropsThePooledConnection) {
  for (bool expire : {true, false}) {
    SCOPED_TRACE(expire ? "upstream_idle=200ms" : "upstream_idle=20s");
    OriginServer origin;
    ProxyProcess proxy(
        {"", sets({std::string("timeouts.upstream_idle=") + (expire ? "200ms" : "20s")}), {}});
    ASSERT_TRUE(proxy.start());
    auto r1 = rawExchange(proxy.endpoint(), absoluteGet(origin, "/"));
    ASSERT_TRUE(r1);
    EXPECT_EQ(r1->status, 200);
    std::this_thread::sleep_for(700ms);
    auto r2 = rawExchange(proxy.endpoint(), absoluteGet(origin, "/"));
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->status, 200);
    EXPECT_EQ(origin.acceptedConnections(), expire ? 2 : 1);
  }
}

// connect: an address whose connect hangs (a loopback listener with a full accept queue) gets the
// client a 504 naming the connect timeout.
TEST(SessionTimeouts, ConnectTimeoutIs504) {
  BlackholePort hole;
  if (!hole.ok())
    GTEST_SKIP() << "could not make a loopback connect hang (the accept queue never filled)";
  ProxyProcess proxy({"", sets({"timeouts.connect=300ms"}), {}});
  ASSERT_TRUE(proxy.start());
  std::string authority = "127.0.0.1:" + std::to_string(hole.port());
  auto t0 = Clock::now();
  auto r =
      rawExchange(proxy.endpoint(), requestHead("GET", "http://" + authority + "/", authority), 5s);
  long long ms = msSince(t0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_NE(r->body.find("connect timeout (" + authority + ")"), std::string::npos) << r->body;
  EXPECT_GE(ms, 250);
  EXPECT_LT(ms, 3000);
}

// drain: SIGTERM with a transaction in flight longer than drain: the process exits after about
// drain, and the client's connection is closed without a response.
TEST(SessionTimeouts, DrainBoundsTheShutdown) {
  OriginServer origin;
  ProxyProcess proxy({"", sets({"timeouts.drain=500ms"}), {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.send(absoluteGet(origin, "/delay/5000")));
  ASSERT_TRUE(origin.waitForRequests(1, 5s));
  auto t0 = Clock::now();
  proxy.sendSignal(SIGTERM);
  auto code = proxy.waitExit(5s);
  long long ms = msSince(t0);
  ASSERT_TRUE(code) << "still running 5 s after SIGTERM";
  EXPECT_EQ(*code, 0) << proxy.stderrText();
  EXPECT_GE(ms, 400);
  EXPECT_LT(ms, 3000);
  EXPECT_EQ(c.readUntilClose(2s), "");
}
