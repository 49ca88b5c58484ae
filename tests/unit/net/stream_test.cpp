// net::sendParts on a socketpair: the head, the sendable front of the body and the tail leave in
// order in one call; what the kernel did not take stays for the next call, each part consumed
// exactly as far as it went; no tail without body bytes to send (a rest of it is the caller's).
#include "net/stream.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace exaproxy::net {
namespace {

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    a = fds[0];
    b = fds[1];
  }
  ~Pair() {
    ::close(a);
    ::close(b);
  }
  std::string drain() const {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(b, buf, sizeof buf, 0)) > 0)
      out.append(buf, static_cast<size_t>(n));
    return out;
  }
};

TEST(SendParts, HeadBodyAndTailInOneCall) {
  Pair p;
  Buffer head, body;
  head.append("5\r\n");
  body.append("helloNEXT");
  size_t sendable = 5;
  bool blocked = false;
  std::string tail = "\r\n0\r\n\r\n";
  IoResult r = sendParts(p.a, head, body, sendable, blocked, &tail);
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.bytes, 3u + 5u + 7u);
  EXPECT_EQ(p.drain(), "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(head.size(), 0u);
  EXPECT_EQ(body.view(), "NEXT") << "only the sendable front is consumed";
  EXPECT_EQ(sendable, 0u);
  EXPECT_TRUE(tail.empty());
  EXPECT_FALSE(blocked);
}

TEST(SendParts, NoTailWithoutBodyBytes) {
  Pair p;
  Buffer head, body;
  head.append("abc");
  size_t sendable = 0;
  bool blocked = false;
  std::string tail = "\r\n";
  sendParts(p.a, head, body, sendable, blocked, &tail);
  EXPECT_EQ(p.drain(), "abc");
  EXPECT_EQ(tail, "\r\n") << "the tail waits for body bytes to follow";
}

TEST(SendParts, APartialSendKeepsTheRestInOrder) {
  Pair p;
  int small = 4096;
  ASSERT_EQ(::setsockopt(p.a, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  Buffer head, body;
  head.append("H");
  std::string big(1 << 20, 'x');
  body.append(big);
  size_t sendable = big.size();
  bool blocked = false;
  std::string tail = "TAIL";
  std::string got;
  IoResult r = sendParts(p.a, head, body, sendable, blocked, &tail);
  EXPECT_TRUE(blocked);
  EXPECT_LT(r.bytes, big.size());
  EXPECT_EQ(tail, "TAIL") << "nothing of the tail before all of the body";
  for (int i = 0; i < 100000 && sendable > 0; ++i) {
    got += p.drain();
    blocked = false;
    sendParts(p.a, head, body, sendable, blocked, &tail);
  }
  got += p.drain();
  // What the last call could not take of the tail is left to the caller, in order.
  EXPECT_EQ(got + tail, "H" + big + "TAIL");
  EXPECT_EQ(sendable, 0u);
  EXPECT_EQ(body.size(), 0u);
}

} // namespace
} // namespace exaproxy::net
