#include "http/body_cursor.h"

#include <gtest/gtest.h>

namespace exaproxy::http {
namespace {

TEST(BodyCursorTest, ContentLengthCountsDownAndLeavesTheNextMessage) {
  BodyCursor b;
  b.start(Framing::ContentLength, 5);
  EXPECT_FALSE(b.done());
  EXPECT_EQ(*b.take("abc"), 3u);
  EXPECT_EQ(b.left(), 2u);
  EXPECT_EQ(*b.take("deGET / HTTP/1.1"), 2u);
  EXPECT_TRUE(b.done());
  EXPECT_EQ(*b.take("more"), 0u);
}

TEST(BodyCursorTest, EmptyAndAbsentBodiesAreDoneAtOnce) {
  BodyCursor b;
  b.start(Framing::ContentLength, 0);
  EXPECT_TRUE(b.done());
  b.start(Framing::None);
  EXPECT_TRUE(b.done());
  EXPECT_EQ(*b.take("x"), 0u);
}

TEST(BodyCursorTest, ChunkedIsValidatedAndEndsAtTheLastChunk) {
  BodyCursor b;
  b.start(Framing::Chunked);
  EXPECT_EQ(*b.take("3\r\nab"), 5u);
  EXPECT_FALSE(b.done());
  std::string rest = "c\r\n0\r\n\r\n";
  EXPECT_EQ(*b.take(rest + "NEXT"), rest.size());
  EXPECT_TRUE(b.done());

  BodyCursor bad;
  bad.start(Framing::Chunked);
  auto r = bad.take("0x5\r\nhello\r\n0\r\n\r\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 400);
  EXPECT_FALSE(bad.done());
}

TEST(BodyCursorTest, ChunkedLimitIs413) {
  BodyCursor b;
  b.start(Framing::Chunked, 0, 4);
  auto r = b.take("5\r\nhello\r\n0\r\n\r\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 413);
}

TEST(BodyCursorTest, UntilCloseTakesEverythingAndEndsWithTheInput) {
  BodyCursor b;
  b.start(Framing::UntilClose);
  EXPECT_EQ(*b.take("anything"), 8u);
  EXPECT_FALSE(b.done());
  b.endOfInput();
  EXPECT_TRUE(b.done());
  EXPECT_FALSE(b.truncated());
}

TEST(BodyCursorTest, EndOfInputBeforeTheEndIsTruncation) {
  BodyCursor cl;
  cl.start(Framing::ContentLength, 10);
  EXPECT_EQ(*cl.take("abc"), 3u);
  EXPECT_FALSE(cl.truncated());
  cl.endOfInput();
  EXPECT_TRUE(cl.truncated());

  BodyCursor ch;
  ch.start(Framing::Chunked);
  EXPECT_EQ(*ch.take("5\r\nab"), 5u);
  ch.endOfInput();
  EXPECT_TRUE(ch.truncated());

  BodyCursor whole;
  whole.start(Framing::ContentLength, 2);
  EXPECT_EQ(*whole.take("ab"), 2u);
  whole.endOfInput();
  EXPECT_FALSE(whole.truncated());
}

TEST(BodyCursorTest, AwaitingAHeadIsNotDone) {
  BodyCursor b;
  EXPECT_TRUE(b.done()); // nothing expected
  b.awaitHead();
  EXPECT_FALSE(b.done());
  b.start(Framing::None);
  EXPECT_TRUE(b.done());
}

} // namespace
} // namespace exaproxy::http
