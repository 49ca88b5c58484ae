// SplicePipe and PipePool on real TCP sockets over loopback: bytes move socket → pipe → socket
// unchanged, EAGAIN and end of stream are told apart, and only empty pipes are pooled.
#include "net/splice_pipe.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <poll.h>
#include <string>
#include <unistd.h>

namespace exaproxy::net {
namespace {

// A connected pair of non-blocking loopback TCP sockets.
struct TcpPair {
  Fd a, b;
  TcpPair() {
    auto l = listenTcp(*Endpoint::parse("127.0.0.1:0"), false);
    EXPECT_TRUE(l.ok());
    auto c = startConnect(*localEndpoint(l->get()), std::nullopt);
    EXPECT_TRUE(c.ok());
    pollfd p{l->get(), POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 2000), 1);
    a = std::move(*c);
    b = Fd(::accept4(l->get(), nullptr, nullptr, SOCK_NONBLOCK));
    EXPECT_TRUE(b.valid());
  }
};

bool waitReadable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 2000) == 1;
}

std::string readSome(int fd, size_t want) {
  std::string got;
  while (got.size() < want && waitReadable(fd)) {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

TEST(SplicePipeTest, MovesBytesFromOneSocketToAnother) {
  TcpPair in, out;
  PipePool pool;
  auto pipe = pool.acquire();
  ASSERT_TRUE(pipe);
  EXPECT_GE(pipe->capacity(), 64u * 1024);

  errno = 0;
  EXPECT_EQ(pipe->fill(in.b.get(), pipe->capacity()), -1) << "nothing was sent yet";
  EXPECT_EQ(errno, EAGAIN);

  std::string message(20000, '\0');
  for (size_t i = 0; i < message.size(); ++i)
    message[i] = static_cast<char>('a' + i % 26);
  ASSERT_EQ(::send(in.a.get(), message.data(), message.size(), 0), ssize_t(message.size()));
  size_t moved = 0;
  while (moved < message.size() && waitReadable(in.b.get())) {
    ssize_t n = pipe->fill(in.b.get(), pipe->capacity());
    ASSERT_GT(n, 0);
    moved += static_cast<size_t>(n);
  }
  EXPECT_EQ(pipe->pending(), message.size());
  while (pipe->pending() > 0)
    ASSERT_GT(pipe->drain(out.a.get(), pipe->pending()), 0);
  EXPECT_EQ(readSome(out.b.get(), message.size()), message);

  ::shutdown(in.a.get(), SHUT_WR);
  ASSERT_TRUE(waitReadable(in.b.get()));
  EXPECT_EQ(pipe->fill(in.b.get(), pipe->capacity()), 0) << "end of stream";
}

TEST(SplicePipeTest, OnlyEmptyPipesAreKept) {
  TcpPair in;
  PipePool pool(/*keep=*/1);
  auto first = pool.acquire();
  auto second = pool.acquire();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(pool.created(), 2u);

  ASSERT_EQ(::send(in.a.get(), "leftover", 8, 0), 8);
  ASSERT_TRUE(waitReadable(in.b.get()));
  ASSERT_EQ(first->fill(in.b.get(), 8), 8);
  pool.release(std::move(*first)); // still holds bytes: closed, never handed out again
  EXPECT_EQ(pool.pooled(), 0u);

  pool.release(std::move(*second));
  EXPECT_EQ(pool.pooled(), 1u);
  auto again = pool.acquire();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->pending(), 0u);
  EXPECT_EQ(pool.created(), 2u) << "the pooled pipe was not reused";

  auto third = pool.acquire();
  ASSERT_TRUE(third);
  pool.release(std::move(*again));
  pool.release(std::move(*third)); // past `keep`: closed
  EXPECT_EQ(pool.pooled(), 1u);
}

} // namespace
} // namespace exaproxy::net
