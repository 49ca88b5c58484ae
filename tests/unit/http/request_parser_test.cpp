#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace exaproxy::http {
namespace {

using namespace std::string_literals;

struct Outcome {
  ParseState state = ParseState::NeedMore;
  RequestHead head;
  ParseError error;
  size_t consumed = 0;
};

Outcome parseAll(std::string_view in, Limits limits = {}) {
  RequestParser p(limits);
  Outcome o;
  o.state = p.parse(in, o.head);
  o.error = p.error();
  o.consumed = p.consumed();
  return o;
}

// 0 = Complete, -1 = NeedMore, otherwise the error status.
int statusOf(std::string_view in, Limits limits = {}) {
  Outcome o = parseAll(in, limits);
  if (o.state == ParseState::Complete) {
    return 0;
  }
  if (o.state == ParseState::NeedMore) {
    return -1;
  }
  return o.error.status;
}

std::string req(std::string_view fields, std::string_view line = "POST /x HTTP/1.1") {
  return std::string(line) + "\r\nHost: a.test\r\n" + std::string(fields) + "\r\n";
}

// ---------------------------------------------------------------------------------------------------
// Basics

TEST(RequestParserTest, AClearedHeadAndAResetParserParseTheNextRequestAsNew) {
  // A recycled transaction: the same parser (reset) and head (cleared) for another request.
  RequestParser p(Limits{});
  RequestHead head;
  std::string first = "POST http://a.test:81/one HTTP/1.0\r\nHost: a.test:81\r\n"
                      "Content-Length: 3\r\nMax-Forwards: 2\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(p.parse(first, head), ParseState::Complete);
  head.headers.add("X-Added", "by a plugin");
  head.clear();
  EXPECT_TRUE(head.raw.empty());
  EXPECT_TRUE(head.headers.empty());
  EXPECT_TRUE(head.host.empty());
  EXPECT_EQ(head.framing, Framing::None);
  EXPECT_FALSE(head.maxForwards);
  p.reset(Limits{});
  std::string second = "GET /two HTTP/1.1\r\nHost: b.test\r\n\r\n";
  ASSERT_EQ(p.parse(second, head), ParseState::Complete) << p.error().reason;
  EXPECT_EQ(head.url(), "http://b.test/two");
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.headers.size(), 1u);
  EXPECT_FALSE(head.headers.get("x-added"));
  EXPECT_EQ(head.framing, Framing::None);
  EXPECT_TRUE(head.keepAlive);
  EXPECT_FALSE(head.maxForwards);
  std::string appended = "url=";
  head.appendUrl(appended);
  EXPECT_EQ(appended, "url=http://b.test/two");
}

TEST(RequestParserTest, ParsesSimpleOriginFormRequest) {
  std::string in = "GET /index.html?q=1 HTTP/1.1\r\nHost: Example.COM:8080\r\nAccept: */*\r\n\r\n";
  Outcome o = parseAll(in);
  ASSERT_EQ(o.state, ParseState::Complete) << o.error.reason;
  EXPECT_EQ(o.consumed, in.size());
  EXPECT_EQ(o.head.raw, in);
  EXPECT_EQ(o.head.method, "GET");
  EXPECT_EQ(o.head.target, "/index.html?q=1");
  EXPECT_EQ(o.head.versionMajor, 1);
  EXPECT_EQ(o.head.versionMinor, 1);
  EXPECT_EQ(o.head.form, TargetForm::Origin);
  EXPECT_EQ(o.head.host, "example.com");
  EXPECT_EQ(o.head.port, 8080);
  EXPECT_TRUE(o.head.explicitPort);
  EXPECT_EQ(o.head.pathAndQuery, "/index.html?q=1");
  EXPECT_EQ(o.head.framing, Framing::None);
  EXPECT_TRUE(o.head.keepAlive);
  EXPECT_EQ(o.head.headers.size(), 2u);
  EXPECT_EQ(o.head.headers.get("accept"), "*/*");
  EXPECT_EQ(o.head.scheme, "");
  EXPECT_EQ(o.head.url(), "http://example.com:8080/index.html?q=1");
}

TEST(RequestParserTest, ViewsPointIntoRaw) {
  Outcome o = parseAll("GET / HTTP/1.1\r\nHost: a\r\nX:  padded value \t\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete);
  const char* b = o.head.raw.data();
  const char* e = b + o.head.raw.size();
  for (const HeaderField& f : o.head.headers.fields()) {
    EXPECT_TRUE(f.name.data() >= b && f.name.data() + f.name.size() <= e);
    EXPECT_TRUE(f.value.data() >= b && f.value.data() + f.value.size() <= e);
  }
  EXPECT_EQ(o.head.headers.get("x"), "padded value");
  EXPECT_GE(o.head.method.data(), b);
}

TEST(RequestParserTest, HeadSurvivesCopyAndMove) {
  Outcome o = parseAll("GET /p HTTP/1.1\r\nHost: a.test\r\nX-A: 1\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete);
  RequestHead copy = o.head;
  RequestHead moved = std::move(o.head);
  o.head.raw.assign(200, '#'); // scribble over the moved-from buffer
  for (const RequestHead* h : {&copy, &moved}) {
    EXPECT_EQ(h->method, "GET");
    EXPECT_EQ(h->target, "/p");
    EXPECT_EQ(h->headers.get("x-a"), "1");
    EXPECT_EQ(h->headers.get("host"), "a.test");
  }
  RequestHead assigned;
  assigned = copy;
  copy.raw.assign(copy.raw.size(), '#');
  EXPECT_EQ(assigned.method, "GET");
  EXPECT_EQ(assigned.headers.get("x-a"), "1");
}

TEST(RequestParserTest, NeedMoreUntilTheEmptyLine) {
  EXPECT_EQ(statusOf(""), -1);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\n"), -1);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\n\r"), -1);
}

TEST(RequestParserTest, EveryByteSplitGivesTheSameResult) {
  std::string in = "POST http://a.test:81/p?q HTTP/1.1\r\nHost: ignored\r\nContent-Length: 3\r\n"
                   "Connection: keep-alive\r\nX-Long: " +
                   std::string(100, 'z') + "\r\n\r\nabc";
  for (size_t split = 0; split <= in.size(); ++split) {
    RequestParser p;
    RequestHead head;
    ParseState first = p.parse(std::string_view(in).substr(0, split), head);
    if (split < in.size() - 3) {
      ASSERT_EQ(first, ParseState::NeedMore) << split;
    }
    ASSERT_EQ(p.parse(in, head), ParseState::Complete) << split;
    EXPECT_EQ(p.consumed(), in.size() - 3);
    EXPECT_EQ(head.host, "a.test");
    EXPECT_EQ(head.port, 81);
    EXPECT_EQ(head.contentLength, 3u);
    EXPECT_EQ(head.headers.get("x-long")->size(), 100u);
  }
}

TEST(RequestParserTest, ByteByByteFeeding) {
  std::string in = "GET / HTTP/1.1\r\nHost: a.test\r\nUser-Agent: t\r\n\r\n";
  RequestParser p;
  RequestHead head;
  for (size_t i = 1; i < in.size(); ++i) {
    ASSERT_EQ(p.parse(std::string_view(in).substr(0, i), head), ParseState::NeedMore) << i;
  }
  ASSERT_EQ(p.parse(in, head), ParseState::Complete);
  EXPECT_EQ(head.headers.get("user-agent"), "t");
}

TEST(RequestParserTest, PipelinedRequestsBackToBack) {
  std::string in = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                   "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody"
                   "GET /3 HTTP/1.1\r\nHost: b\r\n\r\n";
  std::string buf = in;
  RequestParser p;
  std::vector<std::string> targets;
  while (!buf.empty()) {
    RequestHead head;
    ASSERT_EQ(p.parse(buf, head), ParseState::Complete);
    targets.emplace_back(head.target);
    size_t drop = p.consumed() + head.contentLength;
    ASSERT_LE(drop, buf.size());
    buf.erase(0, drop);
    p.reset();
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/1", "/2", "/3"}));
}

TEST(RequestParserTest, LeadingEmptyLinesAreSkipped) {
  std::string in = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  Outcome o = parseAll(in);
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.consumed, in.size());
  EXPECT_EQ(o.head.raw.substr(0, 3), "GET");
  EXPECT_EQ(statusOf("\r"), -1);
  EXPECT_EQ(statusOf("\r\n"), -1);
  EXPECT_EQ(statusOf("\n GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParserTest, ErrorIsSticky) {
  RequestParser p;
  RequestHead head;
  ASSERT_EQ(p.parse("GET / HTTP/1.1\nHost: a\r\n\r\n", head), ParseState::Error);
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", head), ParseState::Error);
  p.reset();
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", head), ParseState::Complete);
}

TEST(RequestParserTest, ErrorsCarryAReason) {
  Outcome o = parseAll("GET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Error);
  EXPECT_EQ(o.error.status, 400);
  EXPECT_FALSE(o.error.reason.empty());
}

// ---------------------------------------------------------------------------------------------------
// Request line

TEST(RequestParserTest, AcceptsAnyTokenMethod) {
  for (std::string m : {"GET", "PROPFIND", "M-SEARCH", "PURGE", "X!#$%&'*+-.^_`|~1"}) {
    Outcome o = parseAll(m + " / HTTP/1.1\r\nHost: a\r\n\r\n");
    ASSERT_EQ(o.state, ParseState::Complete) << m;
    EXPECT_EQ(o.head.method, m);
  }
}

// RFC 9110 §2.5: a later minor version of HTTP/1 is served as the highest one implemented.
TEST(RequestParserTest, ALaterHttp1MinorIsServedAsHttp11) {
  for (std::string v : {"1.2", "1.9"}) {
    Outcome o = parseAll("GET / HTTP/" + v + "\r\nHost: a\r\n\r\n");
    ASSERT_EQ(o.state, ParseState::Complete) << v;
    EXPECT_EQ(o.head.versionMajor, 1);
    EXPECT_EQ(o.head.versionMinor, 1) << v;
  }
  // ...with HTTP/1.1's rules: Host is required.
  EXPECT_EQ(statusOf("GET / HTTP/1.2\r\n\r\n"), 400);
}

TEST(RequestParserTest, MethodLengthIsCapped) {
  std::string longest(kMaxMethod, 'M');
  EXPECT_EQ(statusOf(longest + " / HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
  EXPECT_EQ(statusOf(longest + "M / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  // Refused before the line ends: a 10,000-byte method is not buffered to the head limit.
  Outcome o = parseAll(std::string(10000, 'M'));
  EXPECT_EQ(o.state, ParseState::Error);
  EXPECT_EQ(o.error.status, 400);
  EXPECT_EQ(o.error.reason, "request method too long");
  EXPECT_EQ(statusOf(std::string(kMaxMethod, 'M')), -1)
      << "a method of the longest length may still end";
}

TEST(RequestParserTest, RejectsInvalidMethod) {
  EXPECT_EQ(statusOf("G@T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParserTest, RejectsRequestLineWithSeveralSpacesOrTabs) {
  EXPECT_EQ(statusOf("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /  HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /\tHTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / x HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParserTest, RejectsBareLfInRequestLine) {
  EXPECT_EQ(statusOf("GET /\nHTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParserTest, RejectsHttp09) {
  // Answered at once: an HTTP/0.9 client never sends an empty line.
  EXPECT_EQ(statusOf("GET /\r\n"), 400);
  EXPECT_EQ(statusOf("GET\r\n"), 400);
}

TEST(RequestParserTest, VersionRules) {
  EXPECT_EQ(statusOf("GET / HTTP/1.0\r\n\r\n"), 0);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
  EXPECT_EQ(statusOf("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(statusOf("GET / HTTP/3.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(statusOf("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(statusOf("GET / HTTP/1.32\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1x\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/ 1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/11\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / http/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTPS/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/a.b\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / \r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParserTest, RejectsControlAndNonAsciiInTarget) {
  EXPECT_EQ(statusOf("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"s), 400);
  EXPECT_EQ(statusOf("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n"s), 400);
  EXPECT_EQ(statusOf("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"s), 400);
  EXPECT_EQ(statusOf("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"s), 400);
}

// ---------------------------------------------------------------------------------------------------
// Targets (PROTOCOLS.md §4.1)

TEST(RequestParserTest, AbsoluteFormUsesUriAuthorityAndIgnoresHost) {
  Outcome o = parseAll("GET http://Ex.Test:8080/x?q=1 HTTP/1.1\r\nHost: other.test\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete) << o.error.reason;
  EXPECT_EQ(o.head.form, TargetForm::Absolute);
  EXPECT_EQ(o.head.scheme, "http");
  EXPECT_EQ(o.head.host, "ex.test");
  EXPECT_EQ(o.head.port, 8080);
  EXPECT_TRUE(o.head.explicitPort);
  EXPECT_EQ(o.head.pathAndQuery, "/x?q=1");
  EXPECT_EQ(o.head.url(), "http://ex.test:8080/x?q=1");
}

TEST(RequestParserTest, AbsoluteFormDefaults) {
  Outcome o = parseAll("GET HTTP://a.test HTTP/1.1\r\nHost: a.test\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete) << o.error.reason;
  EXPECT_EQ(o.head.port, 80);
  EXPECT_FALSE(o.head.explicitPort);
  EXPECT_EQ(o.head.pathAndQuery, "/");
  EXPECT_EQ(o.head.url(), "http://a.test/");

  o = parseAll("GET http://a.test?x=1 HTTP/1.1\r\nHost: a.test\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.pathAndQuery, "/?x=1");
}

TEST(RequestParserTest, AbsoluteFormHostLiterals) {
  Outcome o = parseAll("GET http://[2001:DB8::1]:8080/ HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete) << o.error.reason;
  EXPECT_EQ(o.head.host, "2001:db8::1");
  EXPECT_EQ(o.head.port, 8080);
  EXPECT_EQ(o.head.url(), "http://[2001:db8::1]:8080/");
  o = parseAll("GET http://192.0.2.1/ HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.host, "192.0.2.1");
  EXPECT_EQ(statusOf("GET http://[2001:db8::1/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http://[zz::1]/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
}

TEST(RequestParserTest, AbsoluteFormRejections) {
  EXPECT_EQ(statusOf("GET ftp://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n"), 501);
  EXPECT_EQ(statusOf("GET https://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n"), 501);
  EXPECT_EQ(statusOf("GET http://user:pw@a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http://user@a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http://a.test/x#frag HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http:///x HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http://a.test:0/ HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http://a.test:65536/ HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http://a.test:/ HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http://a.test:8x/ HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http://a_b!.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n"), 0);
  EXPECT_EQ(statusOf("GET http://a\"b/ HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http://a.test:65535/ HTTP/1.1\r\nHost: a.test\r\n\r\n"), 0);
  // The received Host is still checked for presence and syntax (RFC 9112 §3.2).
  EXPECT_EQ(statusOf("GET http://a.test/ HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http://a.test/ HTTP/1.0\r\n\r\n"), 0);
}

TEST(RequestParserTest, ConnectAuthorityForm) {
  Outcome o = parseAll("CONNECT Secure.Test:443 HTTP/1.1\r\nHost: secure.test:443\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete) << o.error.reason;
  EXPECT_TRUE(o.head.isConnect());
  EXPECT_EQ(o.head.form, TargetForm::Authority);
  EXPECT_EQ(o.head.host, "secure.test");
  EXPECT_EQ(o.head.port, 443);
  EXPECT_TRUE(o.head.explicitPort);
  EXPECT_EQ(o.head.pathAndQuery, "");
  EXPECT_EQ(o.head.framing, Framing::None);
  EXPECT_EQ(o.head.url(), "secure.test:443");

  o = parseAll("CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.host, "::1");
  EXPECT_EQ(o.head.url(), "[::1]:8443");
}

TEST(RequestParserTest, ConnectRejections) {
  EXPECT_EQ(statusOf("CONNECT a.test HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("CONNECT a.test: HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("CONNECT / HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("CONNECT * HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("CONNECT http://a.test:443/ HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("CONNECT user@a.test:443 HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("CONNECT a.test:443/x HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\n\r\n"),
            400);
  EXPECT_EQ(statusOf("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(statusOf("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test\r\nContent-Length: 0\r\n\r\n"),
            0);
}

// Hosts a browser reads as IPv4 in another base or short form are refused rather than guessed
// (a resolver would read "0177.0.0.1" as 177.0.0.1, a browser as 127.0.0.1).
TEST(RequestParserTest, AmbiguousIpv4HostsAreRefusedInEveryForm) {
  for (std::string host : {"0177.0.0.1", "0x7f.1", "0x7f.0.0.1", "2130706433", "127.1", "127.0.1",
                           "1.2.3.4.", "1.2.3.999", "1.2.3.4.5", "017700000001", "0x7f000001",
                           "a.b.0x10", "example.123", "1.2.3.04", "0"}) {
    Outcome o = parseAll("GET http://" + host + "/ HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(o.state, ParseState::Error) << host;
    EXPECT_EQ(o.error.status, 400) << host;
    EXPECT_NE(o.error.reason.find("ambiguous IPv4"), std::string::npos) << host;
    EXPECT_EQ(statusOf("CONNECT " + host + ":443 HTTP/1.1\r\nHost: x\r\n\r\n"), 400) << host;
    EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: " + host + ":80\r\n\r\n"), 400) << host;
  }
  for (std::string host : {"127.0.0.1", "0.0.0.0", "255.255.255.255", "10.0.0.10", "a.test",
                           "1.2.3.a", "123.example", "0x7f.test", "a1", "1a.2b"})
    EXPECT_EQ(statusOf("GET http://" + host + "/ HTTP/1.1\r\nHost: x\r\n\r\n"), 0) << host;
  EXPECT_EQ(statusOf("GET http://[::ffff:127.0.0.1]/ HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
}

TEST(RequestParserTest, AuthorityFormOnlyForConnect) {
  EXPECT_EQ(statusOf("GET a.test:80 HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET a.test HTTP/1.1\r\nHost: a.test\r\n\r\n"), 400);
}

TEST(RequestParserTest, AsteriskFormOnlyForOptions) {
  Outcome o = parseAll("OPTIONS * HTTP/1.1\r\nHost: a.test:8000\r\nMax-Forwards: 3\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.form, TargetForm::Asterisk);
  EXPECT_EQ(o.head.pathAndQuery, "*");
  EXPECT_EQ(o.head.host, "a.test");
  EXPECT_EQ(o.head.port, 8000);
  EXPECT_EQ(o.head.maxForwards, 3);
  EXPECT_EQ(statusOf("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParserTest, OriginFormTakesHostFromHostHeader) {
  Outcome o = parseAll("GET /a HTTP/1.1\r\nHost: A.Test\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.host, "a.test");
  EXPECT_EQ(o.head.port, 80);
  EXPECT_FALSE(o.head.explicitPort);
  o = parseAll("GET /a HTTP/1.1\r\nHost: [fe80::1]:81\r\n\r\n");
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.host, "fe80::1");
  EXPECT_EQ(o.head.port, 81);
  EXPECT_EQ(statusOf("GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParserTest, HostRules) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.0\r\n\r\n"), 0);        // Host optional in HTTP/1.0
  Outcome o = parseAll("GET / HTTP/1.1\r\nHost:\r\n\r\n"); // empty Host is valid syntax
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.host, "");
  EXPECT_EQ(o.head.port, 0);
}

// ---------------------------------------------------------------------------------------------------
// Header syntax (§4.4)

TEST(RequestParserTest, RejectsWhitespaceBeforeColon) {
  EXPECT_EQ(statusOf(req("Content-Length : 5\r\n")), 400);
  EXPECT_EQ(statusOf(req("Content-Length\t: 5\r\n")), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
}

TEST(RequestParserTest, RejectsObsFold) {
  EXPECT_EQ(statusOf(req("X-A: 1\r\n  continued\r\n")), 400);
  EXPECT_EQ(statusOf(req("X-A: 1\r\n\tcontinued\r\n")), 400);
  EXPECT_EQ(statusOf(req("Transfer-Encoding: gzip,\r\n chunked\r\n")), 400);
}

TEST(RequestParserTest, RejectsWhitespaceBeforeFirstHeader) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n"), 400);
}

TEST(RequestParserTest, RejectsBareCrAnywhere) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n"), 400);
}

TEST(RequestParserTest, RejectsBareLfLineEnd) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\nHost: a\n\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nX: a\nb\r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParserTest, RejectsCtlInFieldValue) {
  EXPECT_EQ(statusOf(req("X: a\0b\r\n"s)), 400);
  EXPECT_EQ(statusOf(req("X: a\x01\r\n")), 400);
  EXPECT_EQ(statusOf(req("X: a\x7f\r\n")), 400);
  EXPECT_EQ(statusOf(req("X: a\x1b[31m\r\n")), 400);
  // HTAB and obs-text are allowed.
  EXPECT_EQ(statusOf(req("X: a\tb \xe9\xff\r\n")), 0);
}

TEST(RequestParserTest, RejectsNonTokenFieldName) {
  EXPECT_EQ(statusOf(req("X\xff: 1\r\n")), 400);
  EXPECT_EQ(statusOf(req("X@Y: 1\r\n")), 400);
  EXPECT_EQ(statusOf(req("X Y: 1\r\n")), 400);
  EXPECT_EQ(statusOf(req(": 1\r\n")), 400);
  EXPECT_EQ(statusOf(req("X(1): 1\r\n")), 400);
  EXPECT_EQ(statusOf(req("NoColon\r\n")), 400);
  EXPECT_EQ(statusOf(req("X\"Y: 1\r\n")), 400);
  EXPECT_EQ(statusOf(req("X!#$%&'*+-.^_`|~: 1\r\n")), 0);
}

TEST(RequestParserTest, TrimsOwsAroundValues) {
  Outcome o = parseAll(req("X-A:\t \tv  v \t\r\nX-B:\r\nX-C:   \r\n"));
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.headers.get("x-a"), "v  v");
  EXPECT_EQ(o.head.headers.get("x-b"), "");
  EXPECT_EQ(o.head.headers.get("x-c"), "");
}

// ---------------------------------------------------------------------------------------------------
// Limits

TEST(RequestParserTest, HeadLargerThanLimitIs431) {
  Limits small{256, 128};
  std::string big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(300, 'a') + "\r\n\r\n";
  EXPECT_EQ(statusOf(big, small), 431);
  // Also without the end of the head: no need to wait.
  EXPECT_EQ(statusOf(big.substr(0, 270), small), 431);
  // Exactly at the limit is fine.
  std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  std::string exact = head + std::string(256 - head.size() - 4, 'b') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 256u);
  EXPECT_EQ(statusOf(exact, small), 0);
  std::string over = head + std::string(256 - head.size() - 3, 'b') + "\r\n\r\n";
  EXPECT_EQ(statusOf(over, small), 431);
}

TEST(RequestParserTest, ManyFieldsOverLimitIs431) {
  std::string in = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 10000; ++i) {
    in += "X-" + std::to_string(i) + ": v\r\n";
  }
  EXPECT_EQ(statusOf(in + "\r\n"), 431);
  EXPECT_EQ(statusOf(in), 431);
}

TEST(RequestParserTest, LongUriIs414) {
  Limits limits{64 * 1024, 100};
  std::string target = "/" + std::string(100, 'a');
  EXPECT_EQ(statusOf("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n", limits), 414);
  EXPECT_EQ(statusOf("GET " + target.substr(1) + " HTTP/1.1\r\nHost: a\r\n\r\n", limits), 400);
  EXPECT_EQ(statusOf("GET /" + std::string(99, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", limits), 0);
}

TEST(RequestParserTest, LongUriIs414WithoutWaitingForTheLineEnd) {
  Limits limits{64 * 1024, 100};
  std::string partial = "GET /" + std::string(150, 'a');
  EXPECT_EQ(statusOf(partial, limits), 414);
  // Incrementally, too.
  RequestParser p(limits);
  RequestHead head;
  ParseState s = ParseState::NeedMore;
  size_t i = 1;
  for (; i <= partial.size() && s == ParseState::NeedMore; ++i) {
    s = p.parse(std::string_view(partial).substr(0, i), head);
  }
  EXPECT_EQ(s, ParseState::Error);
  EXPECT_EQ(p.error().status, 414);
  EXPECT_LE(i, 4 + 1 + 101 + 1u);
  // A URI longer than maxHead is still a 414, not a 431.
  EXPECT_EQ(statusOf("GET /" + std::string(200, 'a'), Limits{150, 100}), 414);
}

// ---------------------------------------------------------------------------------------------------
// Framing (§4.4)

TEST(RequestParserTest, ContentLengthFraming) {
  Outcome o = parseAll(req("Content-Length: 42\r\n"));
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.framing, Framing::ContentLength);
  EXPECT_EQ(o.head.contentLength, 42u);
  o = parseAll(req("Content-Length: 0\r\n"));
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.contentLength, 0u);
  o = parseAll(req("Content-Length: 9223372036854775807\r\n"));
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.contentLength, 9223372036854775807ull);
  o = parseAll(req("Content-Length:  007 \r\n"));
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.contentLength, 7u);
}

TEST(RequestParserTest, NoBodyWithoutFramingFields) {
  Outcome o = parseAll(req(""));
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_EQ(o.head.framing, Framing::None);
}

TEST(RequestParserTest, RejectsBothTransferEncodingAndContentLength) {
  EXPECT_EQ(statusOf(req("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")), 400);
  EXPECT_EQ(statusOf(req("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")), 400);
  EXPECT_EQ(statusOf(req("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n")), 400);
}

TEST(RequestParserTest, RejectsInvalidContentLength) {
  for (std::string v : {"+5", "-1", "0x10", "5 5", "5,6", "1_0", "", "5.0", "five", "5\t5", "٥"}) {
    EXPECT_EQ(statusOf(req("Content-Length: " + v + "\r\n")), 400) << v;
  }
}

TEST(RequestParserTest, RejectsDuplicateContentLength) {
  EXPECT_EQ(statusOf(req("Content-Length: 5\r\nContent-Length: 6\r\n")), 400);
  EXPECT_EQ(statusOf(req("Content-Length: 5\r\nContent-Length: 5\r\n")), 400);
  EXPECT_EQ(statusOf(req("Content-Length: 5, 5\r\n")), 400);
  EXPECT_EQ(statusOf(req("Content-Length: 5, 6\r\n")), 400);
  EXPECT_EQ(statusOf(req("Content-Length: 5\r\ncontent-length: 5\r\n")), 400);
}

TEST(RequestParserTest, RejectsHugeContentLength) {
  EXPECT_EQ(statusOf(req("Content-Length: 9223372036854775808\r\n")), 400);
  EXPECT_EQ(statusOf(req("Content-Length: 18446744073709551616\r\n")), 400);
  EXPECT_EQ(statusOf(req("Content-Length: 99999999999999999999999\r\n")), 400);
  EXPECT_EQ(statusOf(req("Content-Length: 00000000000000000001\r\n")), 400); // 20 digits
}

TEST(RequestParserTest, ChunkedFraming) {
  for (std::string v : {"chunked", "Chunked", "CHUNKED", "  chunked  ", "\tchunked"}) {
    Outcome o = parseAll(req("Transfer-Encoding: " + v + "\r\n"));
    ASSERT_EQ(o.state, ParseState::Complete) << v;
    EXPECT_EQ(o.head.framing, Framing::Chunked);
  }
}

TEST(RequestParserTest, RejectsTransferEncodingOnHttp10) {
  EXPECT_EQ(statusOf(req("Transfer-Encoding: chunked\r\n", "POST / HTTP/1.0")), 400);
}

TEST(RequestParserTest, RejectsMalformedTransferEncoding) {
  for (std::string v : {"", "chunked, chunked", "xchunked", "chunkedx", "chunked;a=b", ",chunked",
                        "chunked,", "chunked, , chunked", "\"chunked\"", "chu nked"}) {
    EXPECT_EQ(statusOf(req("Transfer-Encoding: " + v + "\r\n")), 400) << v;
  }
  EXPECT_EQ(statusOf(req("Transfer-Encoding: chunked\x0b\r\n")), 400);
  EXPECT_EQ(statusOf(req("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")), 400);
  EXPECT_EQ(statusOf(req("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")), 400);
}

TEST(RequestParserTest, RejectsTransferEncodingNotEndingInChunked) {
  EXPECT_EQ(statusOf(req("Transfer-Encoding: gzip\r\n")), 400);
  EXPECT_EQ(statusOf(req("Transfer-Encoding: chunked, gzip\r\n")), 400);
  EXPECT_EQ(statusOf(req("Transfer-Encoding: deflate\r\n")), 400);
}

TEST(RequestParserTest, UnknownOrUnsupportedTransferCodingIs501) {
  EXPECT_EQ(statusOf(req("Transfer-Encoding: pigeons\r\n")), 501);
  EXPECT_EQ(statusOf(req("Transfer-Encoding: pigeons, chunked\r\n")), 501);
  EXPECT_EQ(statusOf(req("Transfer-Encoding: gzip, chunked\r\n")), 501);
  EXPECT_EQ(statusOf(req("Transfer-Encoding: identity\r\n")), 501);
}

// ---------------------------------------------------------------------------------------------------
// Expect, Connection, Max-Forwards, Upgrade

TEST(RequestParserTest, ExpectContinue) {
  Outcome o = parseAll(req("Expect: 100-Continue\r\nContent-Length: 1\r\n"));
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_TRUE(o.head.expectContinue);
  o = parseAll(req("Expect: 100-continue\r\n", "POST / HTTP/1.0"));
  ASSERT_EQ(o.state, ParseState::Complete);
  EXPECT_FALSE(o.head.expectContinue); // ignored for HTTP/1.0 (RFC 9110 §10.1.1)
  EXPECT_FALSE(parseAll(req("")).head.expectContinue);
}

TEST(RequestParserTest, OtherExpectationIs417) {
  EXPECT_EQ(statusOf(req("Expect: 200-ok\r\n")), 417);
  EXPECT_EQ(statusOf(req("Expect: 100-continue, foo\r\n")), 417);
  EXPECT_EQ(statusOf(req("Expect:\r\n")), 417);
}

TEST(RequestParserTest, KeepAliveRules) {
  EXPECT_TRUE(parseAll(req("")).head.keepAlive);
  EXPECT_FALSE(parseAll(req("Connection: close\r\n")).head.keepAlive);
  EXPECT_FALSE(parseAll(req("Connection: keep-alive\r\nConnection: CLOSE\r\n")).head.keepAlive);
  EXPECT_FALSE(parseAll(req("", "GET / HTTP/1.0")).head.keepAlive);
  EXPECT_TRUE(parseAll(req("Connection: Keep-Alive\r\n", "GET / HTTP/1.0")).head.keepAlive);
  EXPECT_FALSE(parseAll(req("Connection: keep-alive, close\r\n", "GET / HTTP/1.0")).head.keepAlive);
}

TEST(RequestParserTest, MaxForwards) {
  EXPECT_EQ(parseAll(req("Max-Forwards: 0\r\n", "TRACE / HTTP/1.1")).head.maxForwards, 0);
  EXPECT_EQ(parseAll(req("Max-Forwards: 10\r\n", "OPTIONS * HTTP/1.1")).head.maxForwards, 10);
  EXPECT_FALSE(parseAll(req("Max-Forwards: -1\r\n")).head.maxForwards.has_value());
  EXPECT_FALSE(parseAll(req("Max-Forwards: x\r\n")).head.maxForwards.has_value());
  EXPECT_FALSE(parseAll(req("")).head.maxForwards.has_value());
}

TEST(RequestParserTest, WebsocketUpgrade) {
  EXPECT_TRUE(
      parseAll(req("Connection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\n", "GET / HTTP/1.1"))
          .head.upgradeWebsocket);
  EXPECT_FALSE(parseAll(req("Upgrade: websocket\r\n", "GET / HTTP/1.1")).head.upgradeWebsocket);
  EXPECT_FALSE(parseAll(req("Connection: upgrade\r\nUpgrade: h2c\r\n", "GET / HTTP/1.1"))
                   .head.upgradeWebsocket);
  EXPECT_FALSE(parseAll(req("Connection: upgrade\r\nUpgrade: websocket\r\n", "GET / HTTP/1.0"))
                   .head.upgradeWebsocket);
}

TEST(RequestParserTest, IsHeadAndIsConnect) {
  EXPECT_TRUE(parseAll(req("", "HEAD / HTTP/1.1")).head.isHead());
  EXPECT_FALSE(parseAll(req("", "head / HTTP/1.1")).head.isHead()); // methods are case-sensitive
  EXPECT_FALSE(parseAll(req("", "GET / HTTP/1.1")).head.isConnect());
}

// Smuggling payloads in the style of http-garden's trophy list: every one must be refused.
TEST(RequestParserTest, RejectsSmugglingPayloads) {
  const char* payloads[] = {
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\x0b"
      "chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length : 4\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\n Transfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\rX: y\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: ,chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3 \x0b\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
  };
  size_t n = std::size(payloads);
  for (size_t i = 0; i + 1 < n; ++i) {
    EXPECT_EQ(statusOf(payloads[i]), 400) << payloads[i];
  }
  EXPECT_EQ(statusOf(payloads[n - 1]), 0); // the control
}

} // namespace
} // namespace exaproxy::http
