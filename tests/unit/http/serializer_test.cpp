#include "http/serializer.h"

#include <gtest/gtest.h>

#include <string>

namespace exaproxy::http {
namespace {

RequestHead parseRequest(std::string_view in) {
  RequestParser p;
  RequestHead head;
  EXPECT_EQ(p.parse(in, head), ParseState::Complete) << p.error().reason;
  return head;
}

ResponseHead parseResponse(std::string_view in, std::string_view method = "GET") {
  ResponseParser p;
  ResponseHead head;
  EXPECT_EQ(p.parse(in, method, head), ParseState::Complete) << p.error().reason;
  return head;
}

std::string forward(std::string_view in, ForwardOptions opts = {}) {
  std::string out;
  writeRequestHead(parseRequest(in), opts, out);
  return out;
}

TEST(SerializerTest, AbsoluteFormBecomesOriginForm) {
  EXPECT_EQ(forward("GET http://a.test/x?q HTTP/1.1\r\nHost: other\r\nAccept: */*\r\n\r\n"),
            "GET /x?q HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\nVia: 1.1 exaproxy\r\n"
            "Connection: keep-alive\r\n\r\n");
}

TEST(SerializerTest, HostKeepsNonDefaultPortAndBracketsIpv6) {
  EXPECT_EQ(
      forward("GET http://a.test:8080 HTTP/1.1\r\nHost: a\r\n\r\n"),
      "GET / HTTP/1.1\r\nHost: a.test:8080\r\nVia: 1.1 exaproxy\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(forward("GET http://[::1]/ HTTP/1.1\r\nHost: a\r\n\r\n", {"p", false}),
            "GET / HTTP/1.1\r\nHost: [::1]\r\nVia: 1.1 p\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(forward("GET http://a.test:80/ HTTP/1.1\r\nHost: a\r\n\r\n").substr(0, 32),
            "GET / HTTP/1.1\r\nHost: a.test\r\nVi");
}

TEST(SerializerTest, ConnectionNamedFieldsAreStripped) {
  std::string out = forward("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n"
                            "Connection: close, X-Foo\r\nX-Foo: 1\r\nX-Bar: 2\r\n\r\n");
  EXPECT_EQ(out.find("X-Foo"), std::string::npos);
  EXPECT_EQ(out.find("close"), std::string::npos);
  EXPECT_NE(out.find("X-Bar: 2\r\n"), std::string::npos);
  EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
}

TEST(SerializerTest, HopByHopFieldsAreStripped) {
  std::string out =
      forward("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\n"
              "Proxy-Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
              "Trailer: X-T\r\nUpgrade: h2c\r\nProxy-Authorization: Basic eA==\r\n"
              "Transfer-Encoding: chunked\r\nAuthorization: Basic eQ==\r\n\r\n");
  for (const char* gone : {"Proxy-Connection", "Keep-Alive", "TE:", "Trailer", "Upgrade",
                           "Proxy-Authorization", "timeout"}) {
    EXPECT_EQ(out.find(gone), std::string::npos) << gone;
  }
  EXPECT_NE(out.find("Authorization: Basic eQ==\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Transfer-Encoding"), out.rfind("Transfer-Encoding"));
}

TEST(SerializerTest, ConnectionCannotStripOurFieldsOrFraming) {
  std::string out =
      forward("POST /x HTTP/1.1\r\nHost: a.test\r\nConnection: via, content-length, host\r\n"
              "Via: 1.0 upstream\r\nContent-Length: 3\r\n\r\n");
  EXPECT_NE(out.find("Host: a.test\r\n"), std::string::npos);
  EXPECT_NE(out.find("Content-Length: 3\r\n"), std::string::npos);
  EXPECT_NE(out.find("Via: 1.1 exaproxy\r\n"), std::string::npos);
  EXPECT_EQ(out.find("upstream"), std::string::npos);
}

TEST(SerializerTest, ViaIsAppendedWithReceivedVersion) {
  std::string out =
      forward("GET /x HTTP/1.0\r\nHost: a.test\r\nVia: 1.1 first\r\nVia: 1.0 second\r\n\r\n");
  EXPECT_NE(out.find("Via: 1.1 first, 1.0 second, 1.0 exaproxy\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Via:"), out.rfind("Via:"));
  EXPECT_EQ(out.substr(0, 17), "GET /x HTTP/1.1\r\n");
}

TEST(SerializerTest, OnlyOneHostAndItIsRebuilt) {
  std::string out = forward("GET http://b.test/ HTTP/1.1\r\nHost: evil.test\r\n\r\n");
  EXPECT_EQ(out.find("evil"), std::string::npos);
  EXPECT_EQ(out.find("Host:"), out.rfind("Host:"));
}

TEST(SerializerTest, MaxForwardsDecrementedForOptionsAndTrace) {
  EXPECT_NE(forward("OPTIONS * HTTP/1.1\r\nHost: a.test\r\nMax-Forwards: 5\r\n\r\n")
                .find("OPTIONS * HTTP/1.1\r\nHost: a.test\r\nMax-Forwards: 4\r\n"),
            std::string::npos);
  EXPECT_NE(
      forward("TRACE / HTTP/1.1\r\nHost: a\r\nMax-Forwards: 1\r\n\r\n").find("Max-Forwards: 0\r\n"),
      std::string::npos);
  EXPECT_NE(
      forward("GET / HTTP/1.1\r\nHost: a\r\nMax-Forwards: 5\r\n\r\n").find("Max-Forwards: 5\r\n"),
      std::string::npos);
}

TEST(SerializerTest, WebsocketUpgradeIsKept) {
  std::string out = forward("GET /chat HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\n"
                            "Upgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n");
  EXPECT_NE(out.find("Upgrade: websocket\r\n"), std::string::npos);
  EXPECT_NE(out.find("Connection: Upgrade\r\n"), std::string::npos);
  EXPECT_NE(out.find("Sec-WebSocket-Key: k\r\n"), std::string::npos);
  EXPECT_EQ(out.find("keep-alive"), std::string::npos);
}

TEST(SerializerTest, ConnectKeepsAuthorityTarget) {
  EXPECT_EQ(forward("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n").substr(0, 52),
            "CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\nVia: ");
}

TEST(SerializerTest, AppendsToExistingOutput) {
  std::string out = "prefix";
  writeRequestHead(parseRequest("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), {}, out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(out.substr(6, 16), "GET / HTTP/1.1\r\n");
}

TEST(SerializerTest, ResponseHead) {
  ResponseHead head =
      parseResponse("HTTP/1.0 200 Fine\r\nContent-Length: 3\r\nConnection: keep-alive, X-A\r\n"
                    "X-A: 1\r\nKeep-Alive: timeout=1\r\nProxy-Authenticate: Basic\r\n"
                    "Via: 1.1 origin\r\n\r\n");
  std::string out;
  writeResponseHead(head, {"px", true}, out);
  EXPECT_EQ(out, "HTTP/1.1 200 Fine\r\nContent-Length: 3\r\nProxy-Authenticate: Basic\r\n"
                 "Via: 1.1 origin, 1.0 px\r\nConnection: keep-alive\r\n\r\n");
}

TEST(SerializerTest, ResponseHeadChunkedAndEmptyReason) {
  ResponseHead head = parseResponse("HTTP/1.1 404\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  std::string out;
  writeResponseHead(head, {"exaproxy", false}, out);
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nVia: 1.1 exaproxy\r\n"
                 "Connection: close\r\n\r\n");
}

TEST(SerializerTest, SwitchingProtocolsKeepsUpgrade) {
  ResponseHead head = parseResponse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                    "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n");
  std::string out;
  writeResponseHead(head, {}, out);
  EXPECT_EQ(out,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\n"
            "Via: 1.1 exaproxy\r\nConnection: Upgrade\r\n\r\n");
}

TEST(SerializerTest, LocalResponse) {
  std::string out;
  writeLocalResponse(403, "text/html; charset=utf-8", "<p>no</p>", {{"Cache-Control", "no-store"}},
                     {"exaproxy", false}, out);
  EXPECT_EQ(out, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/html; charset=utf-8\r\n"
                 "Content-Length: 9\r\nVia: 1.1 exaproxy\r\nConnection: close\r\n"
                 "Cache-Control: no-store\r\n\r\n<p>no</p>");
  out.clear();
  writeLocalResponse(200, "", "", {}, {}, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nVia: 1.1 exaproxy\r\n"
                 "Connection: keep-alive\r\n\r\n");
  out.clear();
  writeLocalResponse(204, "text/plain", "ignored", {}, {}, out);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nVia: 1.1 exaproxy\r\nConnection: keep-alive\r\n\r\n");
}

TEST(SerializerTest, LocalResponseParsesBack) {
  std::string out;
  writeLocalResponse(502, "text/plain", "bad gateway", {}, {}, out);
  ResponseHead head = parseResponse(out);
  EXPECT_EQ(head.status, 502);
  EXPECT_EQ(head.contentLength, 11u);
  EXPECT_EQ(out.substr(out.size() - 11), "bad gateway");
}

TEST(SerializerTest, ForwardedRequestParsesBack) {
  std::string out =
      forward("POST http://a.test:81/u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
              "Expect: 100-continue\r\n\r\n");
  RequestHead head = parseRequest(out);
  EXPECT_EQ(head.host, "a.test");
  EXPECT_EQ(head.port, 81);
  EXPECT_EQ(head.framing, Framing::Chunked);
  EXPECT_TRUE(head.expectContinue);
}

TEST(SerializerTest, ReasonPhrases) {
  EXPECT_EQ(reasonPhrase(200), "OK");
  EXPECT_EQ(reasonPhrase(400), "Bad Request");
  EXPECT_EQ(reasonPhrase(414), "URI Too Long");
  EXPECT_EQ(reasonPhrase(417), "Expectation Failed");
  EXPECT_EQ(reasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reasonPhrase(501), "Not Implemented");
  EXPECT_EQ(reasonPhrase(502), "Bad Gateway");
  EXPECT_EQ(reasonPhrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reasonPhrase(799), "Unknown");
}

TEST(SerializerTest, HopByHopList) {
  EXPECT_TRUE(isHopByHop("Connection"));
  EXPECT_TRUE(isHopByHop("TE"));
  EXPECT_TRUE(isHopByHop("proxy-authorization"));
  EXPECT_FALSE(isHopByHop("Proxy-Authenticate"));
  EXPECT_FALSE(isHopByHop("Content-Length"));
}

} // namespace
} // namespace exaproxy::http
