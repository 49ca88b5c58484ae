// The upstream connector and the deadlines: a DNS answer checked before any connect, addresses
// tried in order, and what an expired timer means in each state.
#include "proxy/upstream_connector.h"

#include "proxy/deadlines.h"
#include "stage_fixture.h"

#include <gtest/gtest.h>

namespace exaproxy::proxy {
namespace {

using testing::StageBench;
using Kind = Next::Kind;

dns::Answer answerWith(dns::DnsStatus status, std::vector<std::string> addresses = {}) {
  dns::Answer a;
  a.status = status;
  for (const auto& text : addresses)
    a.addresses.push_back(*IpAddress::parse(text));
  return a;
}

TEST(UpstreamConnector, DnsFailuresAre502AndATimeoutIs504) {
  StageBench b;
  b.request("GET http://nowhere.test/ HTTP/1.1\r\nHost: nowhere.test\r\n\r\n");
  b.tx->destHost = "nowhere.test";
  Next n = resolved(b.ex(), answerWith(dns::DnsStatus::NxDomain));
  ASSERT_EQ(n.kind, Kind::Answer);
  EXPECT_EQ(n.answer.status, 502);
  EXPECT_NE(n.answer.detail.find("does not exist"), std::string::npos);
  n = resolved(b.ex(), answerWith(dns::DnsStatus::Timeout));
  EXPECT_EQ(n.answer.status, 504);
  EXPECT_EQ(b.ctx.counters().dns_errors.load(), 2u);
}

TEST(UpstreamConnector, EveryAddressIsCheckedNotOnlyTheFirst) {
  StageBench b;
  b.request("GET http://two.test/ HTTP/1.1\r\nHost: two.test\r\n\r\n");
  b.tx->destHost = "two.test";
  b.cur.destPort = 80;
  Next n = resolved(b.ex(), answerWith(dns::DnsStatus::Ok, {"192.0.2.7", "127.0.0.1"}));
  ASSERT_EQ(n.kind, Kind::Answer);
  EXPECT_EQ(n.answer.status, 403);
  EXPECT_EQ(n.answer.resultCode, "TCP_DENIED");
  EXPECT_TRUE(b.tx->connector.candidates().empty()); // nothing is tried

  n = resolved(b.ex(), answerWith(dns::DnsStatus::Ok, {"192.0.2.7", "192.0.2.8"}));
  EXPECT_EQ(n.kind, Kind::Connect);
  ASSERT_EQ(b.tx->connector.candidates().size(), 2u);
  EXPECT_EQ(b.tx->connector.candidates()[1].toString(), "192.0.2.8:80");
}

TEST(UpstreamConnector, ARefusedConnectMovesOnThenTheLastFailureIs502) {
  // Two loopback addresses nothing listens on (port 9 of 127.0.0.2 and 127.0.0.3): refused.
  StageBench b;
  b.request("GET http://x.test:9/ HTTP/1.1\r\nHost: x.test:9\r\n\r\n");
  b.tx->destHost = "x.test";
  b.tx->connector.reset({*IpAddress::parse("127.0.0.2"), *IpAddress::parse("127.0.0.3")}, 9);
  b.up.close();
  Next n = connectNext(b.ex());
  ASSERT_EQ(n.kind, Kind::Connecting);
  EXPECT_EQ(n.rearm, Rearm::Connect);
  EXPECT_EQ(b.up.remote.toString(), "127.0.0.2:9");
  n = connectFailed(b.ex(), "Connection refused", false);
  ASSERT_EQ(n.kind, Kind::Connecting);
  EXPECT_EQ(b.up.remote.toString(), "127.0.0.3:9");
  n = connectFailed(b.ex(), "Connection refused", false);
  ASSERT_EQ(n.kind, Kind::Answer);
  EXPECT_EQ(n.answer.status, 502);
  EXPECT_NE(n.answer.detail.find("Connection refused (127.0.0.3:9)"), std::string::npos)
      << n.answer.detail;
  EXPECT_EQ(b.ctx.counters().upstream_connect_errors.load(), 2u);
}

TEST(UpstreamConnector, AConnectThatTimesOutOnTheLastAddressIs504) {
  StageBench b;
  b.request("GET http://x.test:9/ HTTP/1.1\r\nHost: x.test:9\r\n\r\n");
  b.tx->connector.reset({*IpAddress::parse("127.0.0.2")}, 9);
  b.up.close();
  ASSERT_EQ(connectNext(b.ex()).kind, Kind::Connecting);
  Next n = onDeadline(b.ex(), TxState::Connecting);
  ASSERT_EQ(n.kind, Kind::Answer);
  EXPECT_EQ(n.answer.status, 504);
  EXPECT_NE(n.answer.detail.find("connect timeout (127.0.0.2:9)"), std::string::npos);
  EXPECT_EQ(b.ctx.counters().upstream_timeouts.load(), 1u);
}

TEST(UpstreamConnector, AConnectedTunnelQueuesTheEstablishedHead) {
  StageBench b;
  b.request("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n");
  Next n = connected(b.ex());
  EXPECT_EQ(n.kind, Kind::Tunnel);
  EXPECT_EQ(b.down.out.view(), "HTTP/1.1 200 Connection established\r\n\r\n");
  EXPECT_EQ(b.cur.resultCode, "TCP_TUNNEL");
}

TEST(Deadlines, EachStateHasItsMeaning) {
  StageBench b;
  b.request("GET http://x.test/ HTTP/1.1\r\nHost: x.test\r\n\r\n");
  EXPECT_EQ(onDeadline(b.ex(), TxState::ReadingHead).answer.status, 408);
  EXPECT_EQ(onDeadline(b.ex(), TxState::Resolving).answer.status, 504);
  Next n = onDeadline(b.ex(), TxState::Forwarding); // nothing reached the client yet
  ASSERT_EQ(n.kind, Kind::Answer);
  EXPECT_EQ(n.answer.status, 504);
  b.cur.bytesToClient = 10; // the response started: it can only be cut
  EXPECT_EQ(onDeadline(b.ex(), TxState::Forwarding).kind, Kind::Abort);
  EXPECT_EQ(onDeadline(b.ex(), TxState::Relaying).kind, Kind::Abort);
  EXPECT_EQ(onDeadline(b.ex(), TxState::Tunnelling).kind, Kind::Abort);
  b.down.in = net::Buffer();
  EXPECT_EQ(onDeadline(b.ex(), TxState::Idle).kind, Kind::Finish);
  HostConfig cfg;
  EXPECT_EQ(deadline(Rearm::TunnelIdle, cfg), cfg.tunnelIdle);
  EXPECT_EQ(deadline(Rearm::FirstByte, cfg), cfg.firstByte);
}

} // namespace
} // namespace exaproxy::proxy
