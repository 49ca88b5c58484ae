// Which events a session waits for in each state: the client is read while what it sent has room
// (also while a verdict, an address or a connect is awaited, so that a pending verdict costs no
// epoll_ctl), never beyond the limits, and EPOLLOUT only while a send is blocked.
#include "proxy/interest.h"

#include "stage_fixture.h"

#include <sys/epoll.h>

#include <gtest/gtest.h>

namespace exaproxy::proxy {
namespace {

using testing::StageBench;

Interest in(StageBench& b, TxState s, const Tunnel& t = Tunnel{}) {
  return interestFor(s, *b.cfg_, b.down, b.up, b.cur, t);
}

TEST(Interest, ClientIsReadWhileTheVerdictAddressOrConnectIsAwaited) {
  for (TxState s : {TxState::ReadingHead, TxState::Filtering, TxState::Resolving,
                    TxState::Connecting, TxState::Forwarding, TxState::Idle}) {
    StageBench b;
    b.request("GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n");
    EXPECT_EQ(in(b, s).client, static_cast<uint32_t>(EPOLLIN)) << toString(s);
  }
}

TEST(Interest, AWaitingRequestStopsReadingOnceAHeadsWorthIsBuffered) {
  for (TxState s : {TxState::Filtering, TxState::Resolving, TxState::Connecting}) {
    StageBench b;
    b.request("POST http://example.test/ HTTP/1.1\r\nHost: example.test\r\nContent-Length: "
              "1000000\r\n\r\n");
    b.down.in.append(std::string(b.cfg_->maxRequestHead - 1, 'b'));
    EXPECT_EQ(in(b, s).client, static_cast<uint32_t>(EPOLLIN)) << toString(s);
    b.down.in.append("b");
    EXPECT_EQ(in(b, s).client, 0u) << toString(s); // the rest waits in the client's socket
  }
}

TEST(Interest, AClientThatEndedItsStreamIsNotReadAgain) {
  StageBench b;
  b.request("GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n");
  b.down.eof = true;
  EXPECT_EQ(in(b, TxState::Filtering).client, 0u);
  b.down.blocked = true; // but a blocked answer still waits for room
  EXPECT_EQ(in(b, TxState::Responding).client, static_cast<uint32_t>(EPOLLOUT));
}

TEST(Interest, AnAnswerBeingWrittenReadsNothing) {
  StageBench b;
  b.request("GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n");
  EXPECT_EQ(in(b, TxState::Responding).client, 0u);
  EXPECT_EQ(in(b, TxState::Closing).client, 0u);
  EXPECT_EQ(in(b, TxState::Lingering).client, static_cast<uint32_t>(EPOLLIN));
}

TEST(Interest, AnUnfinishedConnectWaitsForWritability) {
  StageBench b;
  b.request("GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n");
  b.up.connected = false;
  EXPECT_EQ(in(b, TxState::Connecting).upstream, static_cast<uint32_t>(EPOLLOUT));
  b.up.connected = true;
  EXPECT_EQ(in(b, TxState::Connecting).upstream, 0u);
  b.up.s.blocked = true;
  EXPECT_TRUE(in(b, TxState::Forwarding).upstream & EPOLLOUT);
}

} // namespace
} // namespace exaproxy::proxy
