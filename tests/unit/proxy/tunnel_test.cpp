// The tunnel stage on socketpairs, copying and splicing: bytes both ways, the bytes buffered
// before it opened first, a half-close passed on, Finish once both directions ended.
#include "proxy/tunnel.h"

#include "proxy/relay_io.h"
#include "stage_fixture.h"

#include <gtest/gtest.h>

namespace exaproxy::proxy {
namespace {

using testing::StageBench;
using Kind = Next::Kind;

// Steps (reading like the session: copying reads the socket, splicing marks it readable) until
// the tunnel waits or ends.
Next run(StageBench& b, Tunnel& t) {
  Next last = Next::stay();
  for (int i = 0; i < 64; ++i) {
    for (Side s : {Side::Client, Side::Upstream}) {
      auto& leg = s == Side::Client ? t.toUpstream : t.toClient;
      if (t.splicing(b.ex(), s))
        leg.readable = true;
      else
        readSide(b.ex(), s, kBufferLimit);
    }
    last = stepTunnel(b.ex(), t);
    if (last.kind != Kind::Progress)
      return last;
  }
  return last;
}

class TunnelTest : public ::testing::TestWithParam<bool> {};

TEST_P(TunnelTest, RelaysBothWaysAndEndsWhenBothSidesClosed) {
  StageBench b;
  b.request("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\nearly-hello");
  b.down.out.append("HTTP/1.1 200 Connection established\r\n\r\n");
  Tunnel t;
  openTunnel(b.ex(), t, GetParam());
  EXPECT_EQ(run(b, t).kind, Kind::Stay);
  EXPECT_EQ(StageBench::received(b.originFar), "early-hello"); // the bytes behind the head
  EXPECT_EQ(StageBench::received(b.clientFar), "HTTP/1.1 200 Connection established\r\n\r\n");

  std::string big(300 * 1024, 'x');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  std::string got;
  for (size_t off = 0; off < big.size(); off += 32 * 1024) {
    StageBench::send(b.originFar, std::string_view(big).substr(off, 32 * 1024));
    run(b, t);
    got += StageBench::received(b.clientFar);
  }
  EXPECT_EQ(got, big);
  if (GetParam()) // it went through the kernel's pipes, not the proxy's buffers
    EXPECT_GE(b.ctx.counters().bytes_spliced.load(), big.size());
  else
    EXPECT_EQ(b.ctx.counters().bytes_spliced.load(), 0u);
  StageBench::send(b.clientFar, "client-bytes");
  run(b, t);
  EXPECT_EQ(StageBench::received(b.originFar), "client-bytes");

  ::shutdown(b.clientFar.get(), SHUT_WR); // the client is done sending: the origin hears it
  EXPECT_EQ(run(b, t).kind, Kind::Stay);
  EXPECT_TRUE(b.up.s.shut);
  char c;
  EXPECT_EQ(::read(b.originFar.get(), &c, 1), 0); // end of stream at the origin
  StageBench::send(b.originFar, "last words");    // which still answers
  b.originFar.reset();
  EXPECT_EQ(run(b, t).kind, Kind::Finish);
  EXPECT_EQ(StageBench::received(b.clientFar), "last words");
  t.release(b.ctx.pipes());
}

INSTANTIATE_TEST_SUITE_P(CopyAndSplice, TunnelTest, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Splice" : "Copy"; });

} // namespace
} // namespace exaproxy::proxy
