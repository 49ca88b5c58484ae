// Plain HTTP forwarding through the real binary: methods and bodies, request rewriting, keep-alive
// and pipelining, local answers, and every error status of the issue's table that a forward
// request can produce.
#include "itest.h"

#include <chrono>

using namespace itest;
using namespace std::chrono_literals;

namespace {

class ForwardProxyTest : public testing::Test {
protected:
  void startProxy(std::vector<std::string> sets = {}) {
    ASSERT_TRUE(origin.ok());
    proxy = std::make_unique<ProxyProcess>(ProxyOptions{"", std::move(sets), {}});
    ASSERT_TRUE(proxy->start());
  }
  void SetUp() override { startProxy(); }

  // One request on a fresh connection; the final response.
  std::optional<HttpResponse> exchange(const std::string& request, bool head = false) {
    return rawExchange(proxy->endpoint(), request, 10s, head);
  }

  std::string tempFile(const std::string& name, const std::string& content) {
    std::string path = proxy->dir() + "/" + name;
    writeFile(path, content);
    return path;
  }

  OriginServer origin;
  std::unique_ptr<ProxyProcess> proxy;
};

bool hasVia(const Headers& h, const std::string& version = "1.1") {
  return h.joined("Via").find(version + " exaproxy") != std::string::npos;
}

} // namespace

TEST_F(ForwardProxyTest, GetThroughCurl) {
  auto r = runCurl({"-x", proxy->proxyArg(), origin.url("/bytes/100000")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.out, patternBytes(0, 100000));
  auto reqs = origin.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].target, "/bytes/100000");
}

TEST_F(ForwardProxyTest, HeadThroughCurl) {
  auto r = runCurl({"-I", "-x", proxy->proxyArg(), origin.url("/bytes/5000")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(toLower(r.out).find("content-length: 5000"), std::string::npos) << r.out;
  ASSERT_EQ(origin.requestCount(), 1u);
  EXPECT_EQ(origin.requests()[0].method, "HEAD");
}

TEST_F(ForwardProxyTest, PostWithContentLength) {
  std::string body = patternBytes(3, 300000);
  auto file = tempFile("post.bin", body);
  auto r = runCurl({"-x", proxy->proxyArg(), "--data-binary", "@" + file, origin.url("/upload")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.out, "received 300000\n");
  auto reqs = origin.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].bodySize, 300000u);
  EXPECT_EQ(reqs[0].body, body);
}

TEST_F(ForwardProxyTest, PostWithChunkedBody) {
  std::string body = patternBytes(5, 123457);
  auto file = tempFile("post.bin", body);
  auto r = runCurl({"-x", proxy->proxyArg(), "-H", "Transfer-Encoding: chunked", "--data-binary",
                    "@" + file, origin.url("/upload")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.out, "received 123457\n");
  auto reqs = origin.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].bodySize, 123457u);
  EXPECT_EQ(reqs[0].body, body);
  // Exactly one framing upstream.
  EXPECT_FALSE(reqs[0].headers.has("Content-Length") && reqs[0].headers.has("Transfer-Encoding"));
}

TEST_F(ForwardProxyTest, ChunkedRequestWithTrailersRaw) {
  RawClient c(proxy->endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(absoluteGet(origin, "/upload", {"Transfer-Encoding: chunked"}, "POST") +
                     "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n"));
  auto r = c.readFinalResponse();
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "received 11\n");
  ASSERT_EQ(origin.requestCount(), 1u);
  EXPECT_EQ(origin.requests()[0].body, "hello world");
}

TEST_F(ForwardProxyTest, RequestIsRewrittenForTheOrigin) {
  auto r =
      exchange(requestHead("GET", origin.url("/echo?q=1"), "wrong.example.test",
                           {"Connection: close, X-Foo", "X-Foo: 1", "Proxy-Connection: keep-alive",
                            "Keep-Alive: timeout=5", "X-End-To-End: kept"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(hasVia(r->headers)) << r->rawHead;
  auto reqs = origin.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& up = reqs[0];
  EXPECT_EQ(up.target, "/echo?q=1"); // origin-form
  EXPECT_EQ(up.headers.count("Host"), 1u);
  EXPECT_EQ(up.headers.get("Host").value_or(""), origin.endpoint().str()); // rebuilt from the URI
  EXPECT_TRUE(hasVia(up.headers)) << up.rawHead;
  EXPECT_FALSE(up.headers.has("X-Foo")) << up.rawHead;
  EXPECT_FALSE(up.headers.has("Proxy-Connection")) << up.rawHead;
  EXPECT_FALSE(up.headers.has("Keep-Alive")) << up.rawHead;
  EXPECT_FALSE(listContains(up.headers.joined("Connection"), "X-Foo")) << up.rawHead;
  EXPECT_EQ(up.headers.get("X-End-To-End").value_or(""), "kept");
}

TEST_F(ForwardProxyTest, AbsoluteFormWithoutPortUsesPort80) {
  OriginServer port80({"127.0.0.73"}, 80);
  if (!port80.ok())
    GTEST_SKIP() << "cannot bind 127.0.0.73:80 here";
  auto r = exchange(requestHead("GET", "http://127.0.0.73/echo", "127.0.0.73"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto reqs = port80.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/echo");
  auto host = reqs[0].headers.get("Host").value_or("");
  EXPECT_TRUE(host == "127.0.0.73" || host == "127.0.0.73:80") << host;
}

TEST_F(ForwardProxyTest, EmptyPathBecomesSlash) {
  auto r =
      exchange(requestHead("GET", "http://" + origin.endpoint().str(), origin.endpoint().str()));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "origin-ok\n");
  ASSERT_EQ(origin.requestCount(), 1u);
  EXPECT_EQ(origin.requests()[0].target, "/");
}

TEST_F(ForwardProxyTest, KeepAliveReuseOnBothSides) {
  RawClient c(proxy->endpoint());
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.send(absoluteGet(origin, "/bytes/" + std::to_string(1000 + i))));
    auto r = c.readResponse();
    ASSERT_TRUE(r) << "request " << i << ": " << c.lastError();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), static_cast<size_t>(1000 + i));
  }
  EXPECT_EQ(origin.requestCount(), 5u);
  EXPECT_EQ(origin.acceptedConnections(), 1) << "the upstream connection was not reused";
}

TEST_F(ForwardProxyTest, PipelinedRequestsAnsweredInOrder) {
  RawClient c(proxy->endpoint());
  ASSERT_TRUE(c.connected());
  // The first answer is the slowest: a proxy that answered as they come would reorder.
  ASSERT_TRUE(c.send(absoluteGet(origin, "/delay/300") + absoluteGet(origin, "/bytes/200") +
                     absoluteGet(origin, "/bytes/300")));
  auto r1 = c.readResponse();
  ASSERT_TRUE(r1) << c.lastError();
  auto r2 = c.readResponse();
  ASSERT_TRUE(r2) << c.lastError();
  auto r3 = c.readResponse();
  ASSERT_TRUE(r3) << c.lastError();
  EXPECT_EQ(r1->body, "delayed\n");
  EXPECT_EQ(r2->body, patternBytes(0, 200));
  EXPECT_EQ(r3->body, patternBytes(0, 300));
  auto reqs = origin.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].target, "/delay/300");
  EXPECT_EQ(reqs[1].target, "/bytes/200");
  EXPECT_EQ(reqs[2].target, "/bytes/300");
  // And the connection is still usable.
  ASSERT_TRUE(c.send(absoluteGet(origin, "/")));
  auto r4 = c.readResponse();
  ASSERT_TRUE(r4) << c.lastError();
  EXPECT_EQ(r4->body, "origin-ok\n");
}

TEST_F(ForwardProxyTest, Http10Client) {
  auto r = exchange(requestHead("GET", origin.url("/chunked/5000"), "", {}, "HTTP/1.0"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->chunked) << "chunked sent to an HTTP/1.0 client: " << r->rawHead;
  EXPECT_EQ(r->body, patternBytes(0, 5000));
  ASSERT_EQ(origin.requestCount(), 1u);
  EXPECT_TRUE(hasVia(origin.requests()[0].headers, "1.0")) << origin.requests()[0].rawHead;
}

TEST_F(ForwardProxyTest, ExpectContinueIsPassedOn) {
  RawClient c(proxy->endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(
      absoluteGet(origin, "/upload", {"Content-Length: 10", "Expect: 100-continue"}, "POST")));
  // The body is not sent until the 100 arrives: a proxy that waits for the body deadlocks here.
  auto interim = c.readResponse(5s);
  ASSERT_TRUE(interim) << "no 100 Continue: " << c.lastError() << "; the origin saw "
                       << origin.requestCount() << " request(s)"
                       << (origin.requestCount() ? ": " + origin.requests()[0].rawHead : "");
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("0123456789"));
  auto r = c.readFinalResponse();
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "received 10\n");
}

TEST_F(ForwardProxyTest, ExpectContinueThroughCurl) {
  auto file = tempFile("post.bin", patternBytes(0, 2 << 20));
  auto r = runCurl({"-x", proxy->proxyArg(), "-H", "Expect: 100-continue", "--data-binary",
                    "@" + file, origin.url("/upload")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.out, "received 2097152\n");
}

TEST_F(ForwardProxyTest, BodylessResponsesKeepTheConnectionInSync) {
  RawClient c(proxy->endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(absoluteGet(origin, "/bytes/1000", {}, "HEAD")));
  auto head = c.readResponse(10s, true);
  ASSERT_TRUE(head) << c.lastError();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers.get("Content-Length").value_or(""), "1000");
  for (int status : {204, 304}) {
    ASSERT_TRUE(c.send(absoluteGet(origin, "/status/" + std::to_string(status))));
    auto r = c.readResponse();
    ASSERT_TRUE(r) << c.lastError();
    EXPECT_EQ(r->status, status);
  }
  ASSERT_TRUE(c.send(absoluteGet(origin, "/bytes/10")));
  auto last = c.readResponse();
  ASSERT_TRUE(last) << c.lastError();
  EXPECT_EQ(last->status, 200);
  EXPECT_EQ(last->body, "abcdefghij");
  EXPECT_TRUE(c.quietFor(300ms)) << "stray bytes after the responses: " << c.buffered();
}

TEST_F(ForwardProxyTest, ChunkedResponseWithTrailers) {
  RawClient c(proxy->endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(absoluteGet(origin, "/chunked/70000")));
  auto r = c.readResponse();
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, patternBytes(0, 70000));
  EXPECT_TRUE(hasVia(r->headers));
  // The connection stays in sync after the trailers.
  ASSERT_TRUE(c.send(absoluteGet(origin, "/bytes/3")));
  auto next = c.readResponse();
  ASSERT_TRUE(next) << c.lastError();
  EXPECT_EQ(next->body, "abc");
}

TEST_F(ForwardProxyTest, ChunkedResponseThroughCurl) {
  auto r = runCurl({"-x", proxy->proxyArg(), origin.url("/chunked/100000")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.out, patternBytes(0, 100000));
}

TEST_F(ForwardProxyTest, ReadUntilCloseResponse) {
  auto r = exchange(absoluteGet(origin, "/close/30000"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, patternBytes(0, 30000));
  auto viaCurl = runCurl({"-x", proxy->proxyArg(), origin.url("/close/40000")});
  ASSERT_EQ(viaCurl.exitCode, 0) << viaCurl.describe();
  EXPECT_EQ(viaCurl.out, patternBytes(0, 40000));
}

TEST_F(ForwardProxyTest, OriginFormRoutedByHost) {
  auto r = exchange(requestHead("GET", "/echo", origin.endpoint().str()));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(origin.requestCount(), 1u);
  EXPECT_EQ(origin.requests()[0].target, "/echo");
  EXPECT_EQ(origin.requests()[0].headers.get("Host").value_or(""), origin.endpoint().str());
}

TEST_F(ForwardProxyTest, HealthzAnsweredLocally) {
  auto r = exchange(requestHead("GET", "/healthz", proxy->endpoint().str()));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(origin.requestCount(), 0u);
  EXPECT_EQ(origin.acceptedConnections(), 0);
}

TEST_F(ForwardProxyTest, OptionsMaxForwardsZeroAnsweredLocally) {
  auto r = exchange(absoluteGet(origin, "/", {"Max-Forwards: 0"}, "OPTIONS"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->headers.has("Allow")) << r->rawHead;
  EXPECT_EQ(origin.requestCount(), 0u);
}

TEST_F(ForwardProxyTest, OptionsMaxForwardsDecremented) {
  auto r = exchange(absoluteGet(origin, "/echo", {"Max-Forwards: 5"}, "OPTIONS"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(origin.requestCount(), 1u);
  EXPECT_EQ(origin.requests()[0].method, "OPTIONS");
  EXPECT_EQ(origin.requests()[0].headers.get("Max-Forwards").value_or(""), "4");
}

TEST_F(ForwardProxyTest, TraceRefused) {
  auto r = exchange(absoluteGet(origin, "/", {}, "TRACE"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(origin.requestCount(), 0u);
}

TEST_F(ForwardProxyTest, UnknownValidMethodForwarded) {
  auto r = exchange(absoluteGet(origin, "/echo", {}, "PURGE-ITEM"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(origin.requestCount(), 1u);
  EXPECT_EQ(origin.requests()[0].method, "PURGE-ITEM");
}

TEST_F(ForwardProxyTest, NonHttpSchemeIs501) {
  auto r = exchange(requestHead("GET", "ftp://127.0.0.1:" + std::to_string(origin.port()) + "/f",
                                origin.endpoint().str()));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 501);
  EXPECT_EQ(origin.acceptedConnections(), 0);
}

TEST_F(ForwardProxyTest, Http2VersionIs505) {
  auto r = exchange(requestHead("GET", origin.url("/"), origin.endpoint().str(), {}, "HTTP/2.0"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 505);
  EXPECT_EQ(origin.requestCount(), 0u);
}

// RFC 9110 §2.5: HTTP/1.2 is a later minor of a version we implement, served as HTTP/1.1.
TEST_F(ForwardProxyTest, Http12IsServedAsHttp11) {
  auto r = exchange(requestHead("GET", origin.url("/"), origin.endpoint().str(), {}, "HTTP/1.2"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->version, "HTTP/1.1");
  ASSERT_EQ(origin.requestCount(), 1u);
  EXPECT_EQ(origin.requests()[0].version, "HTTP/1.1");
}

TEST_F(ForwardProxyTest, UnknownExpectationIs417) {
  auto r = exchange(absoluteGet(origin, "/upload", {"Expect: foo", "Content-Length: 3"}, "POST") +
                    "abc");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 417);
  EXPECT_EQ(origin.requestCount(), 0u);
}

TEST_F(ForwardProxyTest, UriTooLongIs414) {
  auto r = exchange(absoluteGet(origin, "/" + std::string(10000, 'u')));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 414);
  EXPECT_EQ(origin.requestCount(), 0u);
}

TEST_F(ForwardProxyTest, HeadTooBigIs431) {
  std::vector<std::string> pad;
  for (int i = 0; i < 100; ++i)
    pad.push_back("X-Pad-" + std::to_string(i) + ": " + std::string(1000, 'p'));
  auto r = exchange(absoluteGet(origin, "/", pad));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(origin.requestCount(), 0u);
}

TEST_F(ForwardProxyTest, ResponseErrorPagesAreHtml) {
  auto r = exchange(absoluteGet(origin, "/", {}, "TRACE"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_NE(r->headers.get("Content-Type").value_or("").find("text/html"), std::string::npos);
  EXPECT_FALSE(r->body.empty());
}

TEST_F(ForwardProxyTest, InvalidUpstreamResponsesAre502) {
  for (const char* path : {"/invalid/cl-te", "/invalid/status-line", "/invalid/no-response"}) {
    auto r = exchange(absoluteGet(origin, path));
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 502) << path;
    EXPECT_EQ(r->body.find("hello"), std::string::npos) << path << ": upstream body relayed";
  }
}

TEST_F(ForwardProxyTest, ConnectRefusedIs502) {
  uint16_t port = closedPort();
  auto r = runCurl({"-x", proxy->proxyArg(), "http://127.0.0.1:" + std::to_string(port) + "/"});
  EXPECT_EQ(r.status, 502) << r.describe();
}

class ForwardProxyLimitsTest : public ForwardProxyTest {
protected:
  void SetUp() override { startProxy({"limits.max_request_body=1k", "timeouts.first_byte=500ms"}); }
};

TEST_F(ForwardProxyLimitsTest, BodyOverLimitIs413) {
  auto r = exchange(absoluteGet(origin, "/upload", {"Content-Length: 2000"}, "POST") +
                    std::string(2000, 'b'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  for (const auto& req : origin.requests())
    EXPECT_FALSE(req.complete && req.bodySize == 2000) << "the oversized body reached the origin";
  // A body within the limit still passes.
  auto ok = exchange(absoluteGet(origin, "/upload", {"Content-Length: 1000"}, "POST") +
                     std::string(1000, 'b'));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "received 1000\n");
}

TEST_F(ForwardProxyLimitsTest, ChunkedBodyOverLimitIsRefused) {
  std::string chunks;
  for (int i = 0; i < 4; ++i)
    chunks += "200\r\n" + std::string(512, 'c') + "\r\n";
  chunks += "0\r\n\r\n";
  RawClient c(proxy->endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(
      c.send(absoluteGet(origin, "/upload", {"Transfer-Encoding: chunked"}, "POST") + chunks));
  auto r = c.readFinalResponse();
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 413);
  for (const auto& req : origin.requests())
    EXPECT_FALSE(req.complete && req.bodySize == 2048) << "the oversized body reached the origin";
}

TEST_F(ForwardProxyLimitsTest, FirstByteTimeoutIs504) {
  auto start = Clock::now();
  auto r = exchange(absoluteGet(origin, "/delay/3000"));
  auto elapsed = Clock::now() - start;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  // The origin answers 200 after 3 s: a 504 is already the proof; the time is a plain-build extra.
  if (!sanitizedBuild()) {
    EXPECT_LT(elapsed, 2500ms) << "the first-byte timeout fired late";
  }
}
