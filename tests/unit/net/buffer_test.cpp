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
