#include "net/buffer.h"

#include <gtest/gtest.h>

#include <string>

namespace exaproxy::net {
namespace {

TEST(BufferTest, AppendConsumeKeepsOrder) {
  Buffer b;
  b.append("hello ");
  b.append("world");
  EXPECT_EQ(b.view(), "hello world");
  b.consume(6);
  EXPECT_EQ(b.view(), "world");
  b.consume(5);
  EXPECT_TRUE(b.empty());
}

TEST(BufferTest, GrowsAndCompactsWithoutLosingBytes) {
  Buffer b;
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string chunk(static_cast<size_t>(37 + i % 50), static_cast<char>('a' + i % 26));
    b.append(chunk);
    expected += chunk;
    if (i % 3 == 0) {
      b.consume(20);
      expected.erase(0, 20);
    }
    ASSERT_EQ(b.view(), expected);
  }
}

TEST(BufferTest, PrepareCommitWritesInPlace) {
  Buffer b;
  char* p = b.prepare(3);
  p[0] = 'a';
  p[1] = 'b';
  b.commit(2);
  EXPECT_EQ(b.view(), "ab");
}

TEST(BufferTest, ReleaseIfEmptyFreesMemoryOnlyWhenEmpty) {
  Buffer b;
  b.append("x");
  b.releaseIfEmpty();
  EXPECT_GT(b.capacity(), 0u);
  b.consume(1);
  b.releaseIfEmpty();
  EXPECT_EQ(b.capacity(), 0u);
  b.append("again");
  EXPECT_EQ(b.view(), "again");
}

} // namespace
} // namespace exaproxy::net

namespace exaproxy::net {
namespace {

// Released blocks are reused by the next buffer on the same thread (no malloc per request), and a
// moved buffer hands its block over instead of copying or freeing it.
TEST(BufferCache, ReleasedBlocksAreReusedAndMovesKeepTheBlock) {
  Buffer a;
  a.append("hello");
  const char* block = a.data();
  Buffer b(std::move(a));
  EXPECT_EQ(b.data(), block);
  EXPECT_EQ(b.view(), "hello");
  EXPECT_EQ(a.capacity(), 0u);
  b.consume(5);
  b.releaseIfEmpty();
  Buffer c;
  c.append("again");
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_EQ(c.data(), block) << "the 4 KiB block was not taken from the cache";
#endif
  EXPECT_EQ(c.view(), "again");
  // Growth past the first block keeps the bytes and returns the small block to the cache.
  std::string big(10000, 'x');
  c.append(big);
  EXPECT_EQ(c.size(), 10005u);
  EXPECT_EQ(c.view().substr(0, 5), "again");
  EXPECT_GE(c.capacity(), 16384u);
}

} // namespace
} // namespace exaproxy::net
