#include "proxy/dechunker.h"

#include <gtest/gtest.h>

namespace exaproxy::proxy {
namespace {

TEST(DechunkerTest, ExtractsDataAndDropsFramingExtensionsAndTrailers) {
  const std::string body = "5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n"
                           "Trailer-One: x\r\n\r\n";
  net::Buffer out;
  Dechunker d;
  d.feed(body, out);
  EXPECT_EQ(out.view(), "helloabcdefghijklmnopqrstuvwxyz");
}

TEST(DechunkerTest, EverySplitGivesTheSameData) {
  const std::string body = "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    net::Buffer out;
    Dechunker d;
    d.feed(std::string_view(body).substr(0, cut), out);
    d.feed(std::string_view(body).substr(cut), out);
    EXPECT_EQ(out.view(), "abc0123456789abcdef") << "cut at " << cut;
  }
}

// Found by chunked_fuzz: ChunkedDecoder accepts whitespace between the size and ';' (BWS), and
// the Dechunker read that space as one more hex digit, giving a garbage chunk size.
TEST(DechunkerTest, WhitespaceBeforeExtensionsEndsTheSize) {
  const std::string body = "5 ; ext\r\nhello\r\n3\t;a=b\r\nabc\r\n0\r\n\r\n";
  net::Buffer out;
  Dechunker d;
  d.feed(body, out);
  EXPECT_EQ(out.view(), "helloabc");
}

} // namespace
} // namespace exaproxy::proxy
