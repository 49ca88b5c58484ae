#include "net/socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <poll.h>

namespace exaproxy::net {
namespace {

TEST(SocketTest, ListenOnEphemeralPortAndConnect) {
  auto l = listenTcp(*Endpoint::parse("127.0.0.1:0"), true);
  ASSERT_TRUE(l.ok()) << l.error().message;
  auto bound = localEndpoint(l->get());
  ASSERT_TRUE(bound);
  EXPECT_NE(bound->port, 0);
  auto c = startConnect(*bound, std::nullopt);
  ASSERT_TRUE(c.ok()) << c.error().message;
  pollfd p{c->get(), POLLOUT, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1);
  EXPECT_EQ(socketError(c->get()), 0);
  auto peer = peerEndpoint(c->get());
  ASSERT_TRUE(peer);
  EXPECT_EQ(*peer, *bound);
}

TEST(SocketTest, ReusePortLetsASecondSocketJoinThePort) {
  auto a = listenTcp(*Endpoint::parse("127.0.0.1:0"), true);
  ASSERT_TRUE(a.ok());
  auto bound = localEndpoint(a->get());
  auto b = listenTcp(*bound, true);
  EXPECT_TRUE(b.ok()) << b.error().message;
}

TEST(SocketTest, BindingATakenPortWithoutReusePortFails) {
  auto a = listenTcp(*Endpoint::parse("127.0.0.1:0"), false);
  ASSERT_TRUE(a.ok());
  auto b = listenTcp(*localEndpoint(a->get()), false);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("bind"), std::string::npos);
}

TEST(SocketTest, ConnectToAClosedPortReportsRefused) {
  auto l = listenTcp(*Endpoint::parse("127.0.0.1:0"), false);
  Endpoint closed = *localEndpoint(l->get());
  l->reset(); // nothing listens there any more
  auto c = startConnect(closed, std::nullopt);
  if (!c.ok()) {
    EXPECT_NE(c.error().message.find("connect"), std::string::npos);
    return;
  }
  pollfd p{c->get(), POLLOUT, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1);
  EXPECT_EQ(socketError(c->get()), ECONNREFUSED);
}

TEST(SocketTest, Ipv6Loopback) {
  auto l = listenTcp(*Endpoint::parse("[::1]:0"), true);
  if (!l.ok())
    GTEST_SKIP() << "no IPv6 loopback here: " << l.error().message;
  auto bound = localEndpoint(l->get());
  ASSERT_TRUE(bound);
  EXPECT_TRUE(bound->address.isV6());
  EXPECT_EQ(bound->toString().front(), '[');
}

} // namespace
} // namespace exaproxy::net
