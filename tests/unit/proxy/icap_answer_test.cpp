// The ICAP server's answers (proxy/icap_answer): each one read back with the ICAP client's own
// parsers (icap_core), so offsets, framing and chunking are checked by the strict side; and the
// request head as it goes back to the client, with Host following a rewritten target.
#include "proxy/icap_answer.h"

#include "icap_chunked.h"
#include "icap_response.h"

#include <gtest/gtest.h>

namespace exaproxy::proxy::icapd {
namespace {

struct Read {
  icap::ResponseHead head;
  std::string reqHdr, resHdr, body;
  size_t rest = 0; // bytes after the message
};

Read readBack(const std::string& wire) {
  Read r;
  icap::ResponseHeadParser p;
  icap::Progress pr = p.feed(wire);
  EXPECT_EQ(pr.status, icap::ParseStatus::Done) << p.error() << "\n" << wire;
  r.head = p.head();
  if (!r.head.encapsulated)
    return r;
  std::string_view after = std::string_view(wire).substr(pr.consumed);
  auto heads = icap::cutHeads(*r.head.encapsulated, after);
  EXPECT_TRUE(heads.ok()) << heads.error();
  if (!heads.ok())
    return r;
  r.reqHdr = std::string(heads->reqHdr);
  r.resHdr = std::string(heads->resHdr);
  after.remove_prefix(r.head.encapsulated->bodyOffset());
  if (r.head.encapsulated->hasChunkedBody()) {
    icap::ChunkedDecoder d;
    icap::Progress b = d.feed(after, r.body);
    EXPECT_EQ(b.status, icap::ParseStatus::Done) << d.error();
    after.remove_prefix(b.consumed);
  }
  r.rest = after.size();
  return r;
}

http::RequestHead parse(const std::string& text) {
  http::RequestParser p;
  http::RequestHead h;
  EXPECT_EQ(p.parse(text, h), http::ParseState::Complete) << p.error().reason;
  return h;
}

TEST(IcapAnswer, NoContentAndErrorsCarryISTagAndANullBody) {
  Read r = readBack(noContentAnswer("ep-1"));
  EXPECT_EQ(r.head.status, 204);
  ASSERT_NE(r.head.field("ISTag"), nullptr);
  EXPECT_EQ(*r.head.field("ISTag"), "\"ep-1\"");
  EXPECT_EQ(r.rest, 0u);
  r = readBack(errorAnswer(413, "ep-1", true));
  EXPECT_EQ(r.head.status, 413);
  EXPECT_EQ(r.head.reason, "Request Entity Too Large");
  ASSERT_NE(r.head.field("Connection"), nullptr);
  EXPECT_EQ(readBack(errorAnswer(400, "t", false)).head.field("Connection"), nullptr);
}

TEST(IcapAnswer, OptionsAreReadByTheClientsOwnParser) {
  Read r = readBack(optionsAnswer("ep-2", 17));
  EXPECT_EQ(r.head.status, 200);
  EXPECT_EQ(*r.head.field("Methods"), "REQMOD");
  EXPECT_EQ(*r.head.field("Preview"), "0");
  EXPECT_EQ(*r.head.field("Max-Connections"), "17");
  EXPECT_EQ(r.rest, 0u);
}

TEST(IcapAnswer, RequestAnswerWithAndWithoutBody) {
  std::string head = "GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n";
  Read r = readBack(requestAnswer("t", head, std::nullopt));
  EXPECT_EQ(r.head.status, 200);
  EXPECT_EQ(r.reqHdr, head);
  EXPECT_EQ(r.head.encapsulated->bodyKind(), icap::BodyKind::NullBody);
  std::string post = "POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\n"
                     "Content-Length: 5\r\n\r\n";
  r = readBack(requestAnswer("t", post, std::string_view("hello")));
  EXPECT_EQ(r.reqHdr, post);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.rest, 0u);
  // An empty body is still a body: the last chunk alone.
  r = readBack(requestAnswer("t", post, std::string_view()));
  EXPECT_EQ(r.head.encapsulated->bodyKind(), icap::BodyKind::ReqBody);
  EXPECT_EQ(r.body, "");
}

TEST(IcapAnswer, ResponseAnswerSplitsHeadAndBody) {
  std::string http = "HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope";
  Read r = readBack(responseAnswer("t", http));
  EXPECT_EQ(r.resHdr, "HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\n");
  EXPECT_EQ(r.body, "nope");
  EXPECT_TRUE(r.reqHdr.empty());
  r = readBack(responseAnswer("t", "HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n"));
  EXPECT_EQ(r.head.encapsulated->bodyKind(), icap::BodyKind::NullBody);
  EXPECT_EQ(r.resHdr, "HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n");
}

TEST(IcapAnswer, RequestHeadTextFollowsTheTarget) {
  http::RequestHead h = parse("GET http://a.example:8080/p?q HTTP/1.1\r\nUser-Agent: t\r\n"
                              "Host: a.example:8080\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(requestHeadText(h), "GET http://a.example:8080/p?q HTTP/1.1\r\nUser-Agent: t\r\n"
                                "Host: a.example:8080\r\nAccept: */*\r\n\r\n");
  h.host = "b.example"; // a ROUTE (or a rewrite) chose another host
  h.port = 80;
  EXPECT_EQ(requestHeadText(h), "GET http://b.example/p?q HTTP/1.1\r\nUser-Agent: t\r\n"
                                "Host: b.example\r\nAccept: */*\r\n\r\n");
  http::RequestHead c = parse("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n");
  EXPECT_EQ(requestHeadText(c), "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n");
  http::RequestHead noHost = parse("GET http://a.example/ HTTP/1.0\r\n\r\n");
  EXPECT_EQ(requestHeadText(noHost), "GET http://a.example/ HTTP/1.0\r\nHost: a.example\r\n\r\n");
}

TEST(IcapAnswer, ResponseHeadTextReframesAChangedBody) {
  http::ResponseParser p;
  http::ResponseHead h;
  std::string raw = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                    "X-A: 1\r\n\r\n";
  ASSERT_EQ(p.parse(raw, "GET", h), http::ParseState::Complete) << p.error().reason;
  EXPECT_EQ(responseHeadText(h), raw);
  EXPECT_EQ(responseHeadText(h, 12), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: 1\r\n"
                                     "Content-Length: 12\r\n\r\n");
  http::ResponseParser q;
  http::ResponseHead l;
  ASSERT_EQ(q.parse("HTTP/1.0 404 Not Found\r\nContent-Length: 3\r\n\r\n", "GET", l),
            http::ParseState::Complete);
  EXPECT_EQ(responseHeadText(l, 0), "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  Read r = readBack(adaptedResponseAnswer("t", responseHeadText(l, 4), "gone"));
  EXPECT_EQ(r.body, "gone");
  EXPECT_EQ(r.head.encapsulated->bodyKind(), icap::BodyKind::ResBody);
}

TEST(IcapAnswer, TheRespmodServiceIsTheUriEndingInRespmod) {
  EXPECT_TRUE(isRespmodService("icap://127.0.0.1:1344/respmod"));
  EXPECT_TRUE(isRespmodService("icap://h/exaproxy-RESPMOD?x=1"));
  EXPECT_FALSE(isRespmodService("icap://127.0.0.1:1344/reqmod"));
  EXPECT_FALSE(isRespmodService("icap://respmod/"));
  EXPECT_FALSE(isRespmodService("icap://h"));
  Read o = readBack(optionsAnswer("t", 3, true));
  EXPECT_EQ(*o.head.field("Methods"), "RESPMOD");
}

} // namespace
} // namespace exaproxy::proxy::icapd
