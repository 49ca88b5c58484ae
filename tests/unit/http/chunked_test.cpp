#include "http/chunked.h"

#include <gtest/gtest.h>

#include <string>

namespace exaproxy::http {
namespace {

using namespace std::string_literals;

struct Fed {
  bool ok = false;
  int code = 0;
  size_t consumed = 0;
  bool done = false;
  uint64_t data = 0;
};

Fed feedAll(std::string_view in, uint64_t limit = 0) {
  ChunkedDecoder d;
  d.setLimit(limit);
  Fed f;
  Result<size_t> r = d.feed(in);
  f.ok = r.ok();
  if (r.ok()) {
    f.consumed = *r;
  } else {
    f.code = r.error().code;
  }
  f.done = d.done();
  f.data = d.dataBytes();
  return f;
}

// 0 when the body is complete and valid, -1 when more is needed, else the error code.
int verdict(std::string_view in) {
  Fed f = feedAll(in);
  if (!f.ok) {
    return f.code;
  }
  return f.done ? 0 : -1;
}

const std::string kBody = "4\r\nWiki\r\n5;ext=1;flag\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n"
                          "0\r\nExpires: never\r\n\r\n";

TEST(ChunkedDecoderTest, DecodesAValidBody) {
  Fed f = feedAll(kBody + "NEXT");
  ASSERT_TRUE(f.ok);
  EXPECT_TRUE(f.done);
  EXPECT_EQ(f.consumed, kBody.size());
  EXPECT_EQ(f.data, 4u + 5u + 14u);
}

TEST(ChunkedDecoderTest, EveryTwoWaySplit) {
  for (size_t split = 0; split <= kBody.size(); ++split) {
    ChunkedDecoder d;
    Result<size_t> a = d.feed(std::string_view(kBody).substr(0, split));
    ASSERT_TRUE(a.ok()) << split;
    EXPECT_EQ(*a, split);
    Result<size_t> b = d.feed(std::string_view(kBody).substr(split));
    ASSERT_TRUE(b.ok()) << split;
    EXPECT_EQ(*b, kBody.size() - split);
    EXPECT_TRUE(d.done()) << split;
    EXPECT_EQ(d.dataBytes(), 23u);
  }
}

TEST(ChunkedDecoderTest, OneByteAtATime) {
  ChunkedDecoder d;
  std::string in = kBody + "GET";
  size_t total = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    Result<size_t> r = d.feed(std::string_view(in).substr(i, 1));
    ASSERT_TRUE(r.ok()) << i;
    total += *r;
    if (i + 1 < kBody.size()) {
      EXPECT_FALSE(d.done()) << i;
    }
  }
  EXPECT_TRUE(d.done());
  EXPECT_EQ(total, kBody.size());
}

TEST(ChunkedDecoderTest, StopsAtTheEndOfTheBody) {
  ChunkedDecoder d;
  Result<size_t> r = d.feed("0\r\n\r\nPOST / HTTP/1.1\r\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 5u);
  EXPECT_TRUE(d.done());
  Result<size_t> again = d.feed("more");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
}

TEST(ChunkedDecoderTest, NeedsMoreUntilTheFinalCrlf) {
  EXPECT_EQ(verdict("5\r\nhello\r\n"), -1);
  EXPECT_EQ(verdict("0\r\n"), -1);
  EXPECT_EQ(verdict("0\r\nX: y\r\n"), -1);
  EXPECT_EQ(verdict("0\r\n\r"), -1);
  EXPECT_EQ(verdict("0\r\n\r\n"), 0);
}

TEST(ChunkedDecoderTest, AcceptsHexSizesAndLeadingZeros) {
  EXPECT_EQ(verdict("a\r\n0123456789\r\n0\r\n\r\n"), 0);
  EXPECT_EQ(verdict("A\r\n0123456789\r\n0\r\n\r\n"), 0);
  EXPECT_EQ(verdict("0001\r\nx\r\n000\r\n\r\n"), 0);
  Fed f = feedAll("1f\r\n" + std::string(31, 'x') + "\r\n0\r\n\r\n");
  EXPECT_TRUE(f.done);
  EXPECT_EQ(f.data, 31u);
}

TEST(ChunkedDecoderTest, RejectsNonHexChunkSize) {
  for (std::string bad :
       {"0x5\r\nhello\r\n0\r\n\r\n", "+5\r\nhello\r\n0\r\n\r\n", "5 \r\nhello\r\n0\r\n\r\n",
        " 5\r\nhello\r\n0\r\n\r\n", "-1\r\n", "0_2e\r\n", "\r\n", "g\r\n",
        "5\t\r\nhello\r\n0\r\n\r\n", "5\x0b\r\nhello\r\n0\r\n\r\n"}) {
    EXPECT_EQ(verdict(bad), 400) << bad;
  }
}

TEST(ChunkedDecoderTest, RejectsOverflowingChunkSize) {
  EXPECT_EQ(verdict("00000000000000001\r\n"), 400); // 17 digits
  EXPECT_EQ(verdict("ffffffffffffffff\r\n"), 400);  // > INT64_MAX
  EXPECT_EQ(verdict("8000000000000000\r\n"), 400);
  EXPECT_EQ(verdict("7fffffffffffffff\r\n"), -1); // largest allowed: needs its data
}

TEST(ChunkedDecoderTest, RejectsMissingCrlfAfterData) {
  EXPECT_EQ(verdict("5\r\nhelloX\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(verdict("5\r\nhello\n0\r\n\r\n"), 400);
  EXPECT_EQ(verdict("5\r\nhello\rX0\r\n\r\n"), 400);
  EXPECT_EQ(verdict("3\r\nhello\r\n0\r\n\r\n"), 400);
}

TEST(ChunkedDecoderTest, RejectsBareLfOrCrInChunkLine) {
  EXPECT_EQ(verdict("5\nhello\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(verdict("5\rhello\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(verdict("0\n\r\n"), 400);
  EXPECT_EQ(verdict("0\r\n\n"), 400);
  EXPECT_EQ(verdict("0\r\n\rX"), 400);
  EXPECT_EQ(verdict("0;a\n\r\n"), 400);
}

TEST(ChunkedDecoderTest, AcceptsValidChunkExtensions) {
  for (std::string ok :
       {"5;a\r\nhello\r\n0\r\n\r\n", "5;a=b\r\nhello\r\n0\r\n\r\n",
        "5;a=\"q d\"\r\nhello\r\n0\r\n\r\n", "5;a=\"es\\\"c\"\r\nhello\r\n0\r\n\r\n",
        "5 ; a = b ; c\r\nhello\r\n0\r\n\r\n", "5\t;\ta\t=\tb\r\nhello\r\n0\r\n\r\n",
        "5;a=b;c=\"d\"\r\nhello\r\n0;z\r\n\r\n"}) {
    EXPECT_EQ(verdict(ok), 0) << ok;
  }
}

TEST(ChunkedDecoderTest, RejectsInvalidChunkExtensions) {
  for (std::string bad : {
           "5;\r\nhello\r\n0\r\n\r\n",          // no name
           "5;=b\r\nhello\r\n0\r\n\r\n",        // no name
           "5;a=\r\nhello\r\n0\r\n\r\n",        // no value
           "5;a b\r\nhello\r\n0\r\n\r\n",       // junk after BWS
           "5;a \r\nhello\r\n0\r\n\r\n",        // BWS not followed by ';' or '='
           "5;a=b c\r\nhello\r\n0\r\n\r\n",     // two values
           "5;a=\"b\r\nhello\r\n0\r\n\r\n",     // unterminated quote: CR inside
           "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n",  // junk after a quoted value
           "5;a@b\r\nhello\r\n0\r\n\r\n",       // non-token
           "5;a=b@\r\nhello\r\n0\r\n\r\n",      // non-token value
           "5;a\rb\r\nhello\r\n0\r\n\r\n",      // CR inside the extension
           "5 ;a=\r\r\nhello\r\n0\r\n\r\n",     // CR in extension whitespace
           "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n" // CTL in quoted-string
       }) {
    EXPECT_EQ(verdict(bad), 400) << bad;
  }
}

TEST(ChunkedDecoderTest, Trailers) {
  EXPECT_EQ(verdict("0\r\nA: b\r\nC-D:\r\n\r\n"), 0);
  EXPECT_EQ(verdict("0\r\nA : b\r\n\r\n"), 400);
  EXPECT_EQ(verdict("0\r\n A: b\r\n\r\n"), 400);
  EXPECT_EQ(verdict("0\r\nA: b\r\n c\r\n\r\n"), 400); // obs-fold
  EXPECT_EQ(verdict("0\r\nA@: b\r\n\r\n"), 400);
  EXPECT_EQ(verdict("0\r\nA: b\x01\r\n\r\n"), 400);
  EXPECT_EQ(verdict("0\r\nNoColon\r\n\r\n"), 400);
  EXPECT_EQ(verdict("0\r\nA: b\n\r\n"), 400);
  EXPECT_EQ(verdict("0\r\nA: b\rc\r\n\r\n"), 400);
}

TEST(ChunkedDecoderTest, LimitGives413) {
  Fed f = feedAll("5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", 10);
  EXPECT_FALSE(f.ok);
  EXPECT_EQ(f.code, 413);
  f = feedAll("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 10);
  EXPECT_TRUE(f.done);
  f = feedAll("ffffffff\r\n", 10);
  EXPECT_EQ(f.code, 413);
}

TEST(ChunkedDecoderTest, ErrorsAreStickyUntilReset) {
  ChunkedDecoder d;
  ASSERT_FALSE(d.feed("x").ok());
  EXPECT_FALSE(d.feed("0\r\n\r\n").ok());
  d.reset();
  Result<size_t> r = d.feed("0\r\n\r\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(d.done());
}

TEST(ChunkedDecoderTest, RejectsEndlessLines) {
  std::string ext = "1;" + std::string(ChunkedDecoder::kMaxLineLength, 'a');
  EXPECT_EQ(verdict(ext), 400);
  std::string trailer = "0\r\nX: " + std::string(ChunkedDecoder::kMaxTrailerBytes, 'a');
  EXPECT_EQ(verdict(trailer), 400);
}

TEST(ChunkedDecoderTest, LargeDataPassesInBulk) {
  std::string big = "100000\r\n" + std::string(0x100000, 'd') + "\r\n0\r\n\r\n";
  ChunkedDecoder d;
  size_t total = 0;
  for (size_t pos = 0; pos < big.size(); pos += 4093) {
    Result<size_t> r = d.feed(std::string_view(big).substr(pos, 4093));
    ASSERT_TRUE(r.ok());
    total += *r;
  }
  EXPECT_TRUE(d.done());
  EXPECT_EQ(total, big.size());
  EXPECT_EQ(d.dataBytes(), 0x100000u);
}

} // namespace
} // namespace exaproxy::http
