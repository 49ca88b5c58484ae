#include "http/response_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace exaproxy::http {
namespace {

using namespace std::string_literals;

struct Outcome {
  ParseState state = ParseState::NeedMore;
  ResponseHead head;
  ParseError error;
  size_t consumed = 0;
};

Outcome parseAll(std::string_view in, std::string_view method = "GET") {
  ResponseParser p;
  Outcome o;
  o.state = p.parse(in, method, o.head);
  o.error = p.error();
  o.consumed = p.consumed();
  return o;
}

int statusOf(std::string_view in, std::string_view method = "GET") {
  Outcome o = parseAll(in, method);
  if (o.state == ParseState::Complete) {
    return 0;
  }
  return o.state == ParseState::NeedMore ? -1 : o.error.status;
}

Framing framingOf(std::string_view in, std::string_view method = "GET") {
  Outcome o = parseAll(in, method);
  EXPECT_EQ(o.state, ParseState::Complete) << in << " " << o.error.reason;
  return o.head.framing;
}

TEST(ResponseParserTest, ParsesStatusLineAndFields) {
  std::string in = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer:  t \r\n\r\nhello";
  Outcome o = parseAll(in);
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.consumed, in.size() - 5);
  EXPECT_EQ(o.head.raw, in.substr(0, in.size() - 5));
  EXPECT_EQ(o.head.versionMajor, 1);
  EXPECT_EQ(o.head.versionMinor, 1);
  EXPECT_EQ(o.head.status, 200);
  EXPECT_EQ(o.head.reason, "OK");
  EXPECT_EQ(o.head.headers.get("server"), "t");
  EXPECT_EQ(o.head.framing, Framing::ContentLength);
  EXPECT_EQ(o.head.contentLength, 5u);
  EXPECT_TRUE(o.head.keepAlive);
  EXPECT_FALSE(o.head.isInterim());
}

TEST(ResponseParserTest, ReasonPhraseVariants) {
  EXPECT_EQ(parseAll("HTTP/1.1 404 Not  Found \r\nContent-Length: 0\r\n\r\n").head.reason,
            "Not  Found ");
  EXPECT_EQ(parseAll("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n").head.reason, "");
  Outcome o = parseAll("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.reason, "");
  EXPECT_EQ(statusOf("HTTP/1.1 200 \xe9t\xe9\r\nContent-Length: 0\r\n\r\n"), 0);
}

TEST(ResponseParserTest, RejectsBadStatusLines) {
  for (std::string bad :
       {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n", "HTTP/1.10 200 OK\r\n\r\n",
        "http/1.1 200 OK\r\n\r\n", "ICY 200 OK\r\n\r\n", "HTTP/1.1 099 x\r\n\r\n",
        "HTTP/1.1 600 x\r\n\r\n", "HTTP/1.1 abc x\r\n\r\n", "HTTP/1.1 200 O\x01K\r\n\r\n"}) {
    EXPECT_EQ(statusOf(bad), 502) << bad;
  }
}

TEST(ResponseParserTest, SkipsEmptyLinesBeforeTheStatusLine) {
  std::string in = "\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
  Outcome o = parseAll(in);
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.consumed, in.size());
  EXPECT_EQ(o.head.raw, in.substr(4));
  EXPECT_EQ(o.head.reason, "No Content");
  EXPECT_EQ(statusOf("\nHTTP/1.1 204 No Content\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("\r\r\nHTTP/1.1 204 No Content\r\n\r\n"), 502);
}

TEST(ResponseParserTest, RejectsBareLfAndCr) {
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nContent-Length: 0\n\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nContent-Length: 0\rX: y\r\n\r\n"), 502);
}

TEST(ResponseParserTest, RejectsObsFoldAndBadNames) {
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\n X: a\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nX Y: a\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\n: a\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n"s), 502);
}

TEST(ResponseParserTest, BodilessResponses) {
  EXPECT_EQ(framingOf("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD"), Framing::None);
  EXPECT_EQ(framingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "HEAD"),
            Framing::None);
  EXPECT_EQ(framingOf("HTTP/1.1 204 No Content\r\n\r\n"), Framing::None);
  EXPECT_EQ(framingOf("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"), Framing::None);
  EXPECT_EQ(framingOf("HTTP/1.1 100 Continue\r\n\r\n"), Framing::None);
  EXPECT_EQ(framingOf("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"),
            Framing::None);
  EXPECT_EQ(
      framingOf("HTTP/1.1 200 Connection established\r\nContent-Length: 9\r\n\r\n", "CONNECT"),
      Framing::None);
  EXPECT_EQ(framingOf("HTTP/1.1 407 Auth\r\nContent-Length: 9\r\n\r\n", "CONNECT"),
            Framing::ContentLength);
}

TEST(ResponseParserTest, InterimResponses) {
  Outcome o = parseAll("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n");
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_TRUE(o.head.isInterim());
  EXPECT_EQ(o.consumed, 25u);
  EXPECT_TRUE(parseAll("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n").head.isInterim());
}

TEST(ResponseParserTest, ChunkedAndUntilClose) {
  EXPECT_EQ(framingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), Framing::Chunked);
  EXPECT_EQ(framingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"),
            Framing::Chunked);
  EXPECT_EQ(
      framingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"),
      Framing::Chunked);
  EXPECT_EQ(framingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            Framing::UntilClose);
  EXPECT_EQ(framingOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n"),
            Framing::UntilClose);
  EXPECT_EQ(framingOf("HTTP/1.1 200 OK\r\n\r\n"), Framing::UntilClose);
  Outcome o = parseAll("HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_FALSE(o.head.keepAlive); // until-close framing ends the connection
}

TEST(ResponseParserTest, RejectsBadTransferEncoding) {
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
            502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: ,chunked\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), 502);
}

TEST(ResponseParserTest, ContentLengthRules) {
  Outcome o = parseAll("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.contentLength, 5u);
  EXPECT_EQ(parseAll("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n").head.contentLength, 5u);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n"), 502);
  for (std::string bad : {"+5", "-1", "0x10", "5 5", "", "1_0", "99999999999999999999"}) {
    EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nContent-Length: " + bad + "\r\n\r\n"), 502) << bad;
  }
}

TEST(ResponseParserTest, KeepAlive) {
  EXPECT_TRUE(parseAll("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").head.keepAlive);
  EXPECT_FALSE(
      parseAll("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").head.keepAlive);
  EXPECT_FALSE(parseAll("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").head.keepAlive);
  EXPECT_TRUE(parseAll("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
                  .head.keepAlive);
}

TEST(ResponseParserTest, EveryByteSplit) {
  std::string in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n5\r\nhello\r\n";
  size_t headLen = in.find("\r\n\r\n") + 4;
  for (size_t split = 0; split <= in.size(); ++split) {
    ResponseParser p;
    ResponseHead head;
    ParseState s = p.parse(std::string_view(in).substr(0, split), "GET", head);
    EXPECT_EQ(s, split >= headLen ? ParseState::Complete : ParseState::NeedMore) << split;
    ASSERT_EQ(p.parse(in, "GET", head), ParseState::Complete);
    EXPECT_EQ(p.consumed(), headLen);
    EXPECT_EQ(head.framing, Framing::Chunked);
    EXPECT_EQ(head.headers.get("x"), "y");
  }
}

TEST(ResponseParserTest, HeadTooLarge) {
  ResponseParser p(128);
  ResponseHead head;
  std::string in = "HTTP/1.1 200 OK\r\nX: " + std::string(200, 'a') + "\r\n\r\n";
  EXPECT_EQ(p.parse(in, "GET", head), ParseState::Error);
  EXPECT_EQ(p.error().status, 502);
  ResponseParser q(128);
  EXPECT_EQ(q.parse(in.substr(0, 130), "GET", head), ParseState::Error);
}

TEST(ResponseParserTest, ResetForTheNextResponse) {
  std::string in = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
  ResponseParser p;
  ResponseHead head;
  ASSERT_EQ(p.parse(in, "POST", head), ParseState::Complete);
  EXPECT_EQ(head.status, 100);
  std::string rest = in.substr(p.consumed());
  p.reset();
  ASSERT_EQ(p.parse(rest, "POST", head), ParseState::Complete);
  EXPECT_EQ(head.status, 204);
  EXPECT_EQ(p.consumed(), rest.size());
}

TEST(ResponseParserTest, HeadSurvivesCopyAndMove) {
  Outcome o = parseAll("HTTP/1.1 200 Fine\r\nContent-Length: 0\r\nX: 1\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete);
  ResponseHead copy = o.head;
  ResponseHead moved = std::move(o.head);
  o.head.raw.assign(100, '#');
  EXPECT_EQ(copy.reason, "Fine");
  EXPECT_EQ(moved.reason, "Fine");
  EXPECT_EQ(copy.headers.get("x"), "1");
  EXPECT_EQ(moved.headers.get("x"), "1");
}

} // namespace
} // namespace exaproxy::http
