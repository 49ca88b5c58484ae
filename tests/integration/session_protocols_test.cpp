// Pins ClientSession's protocol paths through the real binary: the WebSocket upgrade relay, IPv6
// on both sides (plain and CONNECT), the PROXY protocol's refusal and timeout, and the privilege
// drop of [server] user.
#include "session_helpers.h"

#include <fstream>
#include <pwd.h>
#include <sys/stat.h>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// Bytes that would confuse anything still parsing HTTP: NULs, CRLFs, a request line, 0xff.
const std::string kBinary("\x00\x01\r\n\xffGET / HTTP/1.1\r\n\r\n\x7f", 24);

std::string procStatusField(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0)
      return line.substr(field.size() + 1);
  return "";
}

} // namespace

// Upgrade: websocket, the origin answers 101: the 101 head reaches the client, then bytes flow
// both ways untouched, and the origin's close ends the client's connection.
TEST(SessionProtocols, WebSocketUpgradeRelaysBytesUntouched) {
  std::string headSeen, bytesSeen;
  ScriptedPeer origin([&](int fd) {
    headSeen = readHead(fd, 5s);
    sendAll(fd,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
            Clock::now() + 5s);
    bytesSeen = readBytes(fd, kBinary.size(), 5s);
    sendAll(fd, "srv:" + bytesSeen + kBinary, Clock::now() + 5s);
  });
  ASSERT_TRUE(origin.ok());
  ProxyProcess proxy({"", {"server.loops=1"}, {}});
  ASSERT_TRUE(proxy.start());
  std::string authority = origin.endpoint().str();
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.send(
      requestHead("GET", "http://" + authority + "/chat", authority,
                  {"Connection: Upgrade", "Upgrade: websocket",
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"})));
  auto r = c.readResponse(5s);
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 101);
  EXPECT_EQ(r->headers.get("Upgrade").value_or(""), "websocket");
  EXPECT_EQ(r->headers.get("Sec-WebSocket-Accept").value_or(""), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  ASSERT_TRUE(c.send(kBinary));
  std::string back = c.buffered() + c.readUntilClose(5s);
  EXPECT_EQ(back, "srv:" + kBinary + kBinary);
  ASSERT_TRUE(waitFor([&] { return origin.done(); }, 5s));
  EXPECT_EQ(bytesSeen, kBinary);
  EXPECT_NE(headSeen.find("GET /chat HTTP/1.1\r\n"), std::string::npos) << headSeen;
  EXPECT_NE(headSeen.find("websocket"), std::string::npos) << headSeen;
}

// A 101 the client did not ask for is refused: 502.
TEST(SessionProtocols, UnaskedSwitchIs502) {
  ScriptedPeer origin([](int fd) {
    readHead(fd, 5s);
    sendAll(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
            Clock::now() + 5s);
    readBytes(fd, 1, 2s);
  });
  ProxyProcess proxy({"", {"server.loops=1"}, {}});
  ASSERT_TRUE(proxy.start());
  std::string authority = origin.endpoint().str();
  auto r =
      rawExchange(proxy.endpoint(), requestHead("GET", "http://" + authority + "/", authority));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
}

// An IPv6 client to an IPv6 origin.
TEST(SessionProtocols, Ipv6ClientToIpv6Origin) {
  if (!haveIpv6Loopback())
    GTEST_SKIP() << "no ::1 here";
  OriginServer origin({"::1"});
  ASSERT_TRUE(origin.ok());
  ProxyProcess proxy({"[listener v6]\naddress = [::1]:0\n\n[log]\nlevel = debug\n"
                      "access_log = @DIR@/access.log\n",
                      {"server.loops=1"},
                      {}});
  ASSERT_TRUE(proxy.start());
  ASSERT_TRUE(proxy.endpoint().isV6());
  auto r = rawExchange(proxy.endpoint(), absoluteGet(origin, "/bytes/10"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "abcdefghij");
  auto reqs = origin.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers.get("Host").value_or(""), "[::1]:" + std::to_string(origin.port()));
  ASSERT_TRUE(proxy.waitForAccessLogLines(1));
  EXPECT_NE(proxy.accessLog().find(" ::1 "), std::string::npos) << proxy.accessLog();
}

// CONNECT from an IPv6 client to an IPv6 authority: 200, then bytes both ways.
TEST(SessionProtocols, ConnectOverIpv6) {
  if (!haveIpv6Loopback())
    GTEST_SKIP() << "no ::1 here";
  std::string seen;
  ScriptedPeer origin(
      [&](int fd) {
        seen = readBytes(fd, kBinary.size(), 5s);
        sendAll(fd, "pong:" + seen, Clock::now() + 5s);
      },
      "::1");
  ASSERT_TRUE(origin.ok());
  std::string authority = origin.endpoint().str(); // [::1]:PORT
  ProxyProcess proxy({"[listener v6]\naddress = [::1]:0\n\n[log]\nlevel = debug\n"
                      "access_log = @DIR@/access.log\n",
                      {"server.loops=1", "acl.connect_ports=" + std::to_string(origin.port())},
                      {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(openTunnel(c, authority));
  ASSERT_TRUE(c.send(kBinary));
  std::string back = c.buffered() + c.readUntilClose(5s);
  EXPECT_EQ(back, "pong:" + kBinary);
  ASSERT_TRUE(waitFor([&] { return origin.done(); }, 5s));
  EXPECT_EQ(seen, kBinary);
}

namespace {

std::string proxyProtocolConfig(const std::string& trusted) {
  return "[listener pp]\naddress = 127.0.0.1:0\nproxy_protocol = v1\nproxy_trusted = " + trusted +
         "\n\n[log]\nlevel = debug\naccess_log = @DIR@/access.log\n";
}

} // namespace

// A trusted load balancer's PROXY v1 header: the carried address is the client's.
TEST(SessionProtocols, ProxyProtocolFromATrustedPeerCarriesTheClient) {
  OriginServer origin;
  ProxyProcess proxy({proxyProtocolConfig("127.0.0.1/32"), {"server.loops=1"}, {}});
  ASSERT_TRUE(proxy.start());
  auto r = rawExchange(proxy.endpoint(),
                       "PROXY TCP4 127.0.0.9 127.0.0.1 40000 3128\r\n" + absoluteGet(origin, "/"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(proxy.waitForAccessLogLines(1));
  EXPECT_NE(proxy.accessLog().find(" 127.0.0.9 "), std::string::npos) << proxy.accessLog();
}

// max_connections_per_client counts the client a PROXY header names, not the load balancer:
// behind one, every user shares its address, and a cap on that would refuse them all at once.
TEST(SessionProtocols, PerClientCapCountsTheProxyProtocolIdentity) {
  OriginServer origin;
  ProxyProcess proxy({proxyProtocolConfig("127.0.0.1/32"),
                      {"server.loops=1", "limits.max_connections_per_client=2"},
                      {}});
  ASSERT_TRUE(proxy.start());
  auto header = [](const std::string& ip) {
    return "PROXY TCP4 " + ip + " 127.0.0.1 40000 3128\r\n";
  };
  // Two connections of 127.0.0.9 (held open), then a third of it: over its cap, 503.
  RawClient a(proxy.endpoint()), b(proxy.endpoint());
  ASSERT_TRUE(a.send(header("127.0.0.9")));
  ASSERT_TRUE(b.send(header("127.0.0.9")));
  ASSERT_TRUE(a.send(absoluteGet(origin, "/")));
  ASSERT_TRUE(b.send(absoluteGet(origin, "/")));
  ASSERT_TRUE(a.readResponse(5s));
  ASSERT_TRUE(b.readResponse(5s));
  auto third = rawExchange(proxy.endpoint(), header("127.0.0.9") + absoluteGet(origin, "/"));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 503);
  // Other clients behind the same balancer (the same TCP peer, 127.0.0.1) are served.
  for (std::string ip : {"127.0.0.10", "127.0.0.11"}) {
    auto r = rawExchange(proxy.endpoint(), header(ip) + absoluteGet(origin, "/"));
    ASSERT_TRUE(r) << ip;
    EXPECT_EQ(r->status, 200) << ip;
  }
  EXPECT_NE(proxy.stderrText().find("client.refused client=127.0.0.9"), std::string::npos)
      << proxy.stderrText();
}

// A peer not in proxy_trusted: closed without a byte, even with a valid header and request.
TEST(SessionProtocols, ProxyProtocolRefusesAnUntrustedPeer) {
  OriginServer origin;
  ProxyProcess proxy({proxyProtocolConfig("10.0.0.0/8"), {"server.loops=1"}, {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.connected());
  c.send("PROXY TCP4 127.0.0.9 127.0.0.1 40000 3128\r\n" + absoluteGet(origin, "/"));
  EXPECT_EQ(c.readUntilClose(3s), "");
  EXPECT_EQ(origin.requestCount(), 0u);
  EXPECT_NE(proxy.stderrText().find("proxy_protocol.refused"), std::string::npos)
      << proxy.stderrText();
}

// A trusted peer that sends nothing: closed without a byte after header_read (capped at 5 s).
TEST(SessionProtocols, ProxyProtocolHeaderTimeout) {
  ProxyProcess proxy(
      {proxyProtocolConfig("127.0.0.1/32"), {"server.loops=1", "timeouts.header_read=300ms"}, {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.connected());
  auto t0 = Clock::now();
  EXPECT_EQ(c.readUntilClose(4s), "");
  long long ms = msSince(t0);
  EXPECT_GE(ms, 250);
  EXPECT_LT(ms, 3000);
  EXPECT_TRUE(waitFor(
      [&] { return proxy.stderrText().find("proxy_protocol.timeout") != std::string::npos; }, 2s))
      << proxy.stderrText();
}

// [server] user: after start the process runs as that user and still serves.
TEST(SessionProtocols, PrivilegeDropToServerUser) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to drop privileges";
  passwd* pw = ::getpwnam("nobody");
  if (!pw)
    GTEST_SKIP() << "no user nobody";
  uid_t uid = pw->pw_uid;
  OriginServer origin;
  ProxyProcess proxy({"", {"server.loops=1", "server.user=nobody"}, {}});
  // The ready file and the access log are written after the drop: this test's dir is open to all.
  ASSERT_EQ(::chmod(proxy.dir().c_str(), 0777), 0);
  ASSERT_EQ(::chmod(proxy.confDir().c_str(), 0755), 0);
  ASSERT_TRUE(proxy.start());
  std::string uids = procStatusField(proxy.pid(), "Uid");
  std::string want = std::to_string(uid);
  EXPECT_EQ(uids, "\t" + want + "\t" + want + "\t" + want + "\t" + want) << uids;
  EXPECT_NE(proxy.stderrText().find("privileges.dropped user=nobody"), std::string::npos)
      << proxy.stderrText();
  auto r = rawExchange(proxy.endpoint(), absoluteGet(origin, "/"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "origin-ok\n");
}
