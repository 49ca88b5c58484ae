// The original ExaProxy's dialects (EXAPROXY.md §2a url, §2b icap), including the answers that
// crashed the original (a same-host http:// echo, a path rewrite) and the example scripts' forms.
#include "exaproxy_url_protocol.h"
#include "icap_protocol.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace exaproxy::redirector {
namespace {

namespace fs = std::filesystem;

RequestInfo get(const std::string& host = "127.0.0.1", const std::string& path = "/plain?q=1",
                uint16_t port = 80) {
  RequestInfo r;
  r.method = "GET";
  r.host = host;
  r.port = port;
  r.path = path;
  r.url = "http://" + host + (port == 80 ? "" : ":" + std::to_string(port)) + path;
  r.client = "10.0.0.7";
  r.listenerIp = "127.0.0.1";
  r.listenerPort = 3128;
  r.headers = {{"Host", host}, {"User-Agent", "curl/7.88"}, {"Accept", "*/*"}};
  return r;
}

RequestInfo connect(const std::string& authority = "www.google.com:443") {
  RequestInfo r;
  r.method = "CONNECT";
  r.url = authority;
  r.isConnect = true;
  r.host = authority.substr(0, authority.find(':'));
  r.port = 443;
  r.client = "10.0.0.7";
  r.headers = {{"Host", authority}};
  return r;
}

class FilesDir : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("redir-files-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "sub");
    std::ofstream(dir_ / "deny.html") << "<h1>denied</h1>";
    std::ofstream(dir_ / "sub" / "ok.txt") << "ok";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// ---- exaproxy-url --------------------------------------------------------------------------

Decision url(const std::string& reply, const RequestInfo& req = get(), const fs::path& files = {}) {
  ExaproxyUrlProtocol p(files);
  RawReply r;
  r.text = reply;
  return p.decide(r, req);
}

TEST(ExaproxyUrlLine, OriginalFormatWithConnectPort) {
  ExaproxyUrlProtocol p({});
  EXPECT_EQ(p.encode(get(), std::nullopt), "127.0.0.1/plain?q=1 10.0.0.7 - GET -\n");
  EXPECT_EQ(p.encode(connect("127.0.0.1:18000"), std::nullopt),
            "127.0.0.1:18000 10.0.0.7 - CONNECT -\n");
  EXPECT_EQ(p.encode(get("a.test", "/x", 8080), std::nullopt), "a.test:8080/x 10.0.0.7 - GET -\n");
}

TEST(ExaproxyUrlReply, EmptyLineAllows) {
  EXPECT_EQ(url("").kind, Decision::Kind::Continue);
  EXPECT_EQ(url("\r").kind, Decision::Kind::Continue);
}

TEST(ExaproxyUrlReply, SameUrlEchoAllows) {
  // The original crashed here (AttributeError): intended as "permit".
  EXPECT_EQ(url("http://127.0.0.1/plain?q=1").kind, Decision::Kind::Continue);
}

TEST(ExaproxyUrlReply, PathRewriteRewrites) {
  // Also crashed the original.
  Decision d = url("http://127.0.0.1/other");
  EXPECT_EQ(d.kind, Decision::Kind::Rewrite);
  EXPECT_EQ(d.url, "http://127.0.0.1/other");
  d = url("http://www.surfprotect.co.uk/");
  EXPECT_EQ(d.kind, Decision::Kind::Rewrite);
}

TEST(ExaproxyUrlReply, HttpUrlToConnectIsDenied) {
  Decision d = url("http://www.surfprotect.co.uk/", connect());
  EXPECT_EQ(d.kind, Decision::Kind::Deny);
  EXPECT_EQ(d.status, 403);
  EXPECT_NE(d.reason.find("http://www.surfprotect.co.uk/"), std::string::npos);
}

TEST(ExaproxyUrlReply, RedirectScheme) {
  Decision d = url("redirect://http://bing.com");
  EXPECT_EQ(d.kind, Decision::Kind::Redirect);
  EXPECT_EQ(d.status, 302);
  EXPECT_EQ(d.location, "http://bing.com");
  ASSERT_EQ(d.respHeaders.size(), 1u);
  EXPECT_EQ(d.respHeaders[0].first, "Cache-Control");
  // url-google-to-others: a CONNECT redirected (modern browsers refuse it; we still answer it).
  EXPECT_EQ(url("redirect://https://www.wolframalpha.com", connect()).kind,
            Decision::Kind::Redirect);
  EXPECT_EQ(url("redirect://").kind, Decision::Kind::Error);
}

TEST(ExaproxyUrlReply, InterceptRoutes) {
  Decision d = url("intercept://nosslsearch.google.com", connect());
  EXPECT_EQ(d.kind, Decision::Kind::Route);
  EXPECT_EQ(d.routeHost, "nosslsearch.google.com");
  EXPECT_EQ(d.routePort, 0); // the request's port
  d = url("intercept://10.0.0.1:8080");
  EXPECT_EQ(d.routeHost, "10.0.0.1");
  EXPECT_EQ(d.routePort, 8080);
  d = url("intercept://[::1]");
  EXPECT_EQ(d.routeHost, "::1");
  EXPECT_EQ(url("intercept://").kind, Decision::Kind::Error);
  // Found by exaproxy_url_reply_fuzz: only slashes after the scheme left an empty target whose
  // front() was read (undefined behaviour; an assertion with _GLIBCXX_ASSERTIONS).
  EXPECT_EQ(url("intercept:///").kind, Decision::Kind::Error);
  EXPECT_EQ(url("intercept://[abc").kind, Decision::Kind::Error) << "not the host \"ab\"";
  EXPECT_EQ(url("intercept://[").kind, Decision::Kind::Error);
  EXPECT_EQ(url("intercept://a.test:99999").kind, Decision::Kind::Error);
}

TEST(ExaproxyUrlReply, SchemelessEchoIsAnError) {
  // url-parrot echoes "host/path": the original served internal_error.html.
  Decision d = url("127.0.0.1/plain?q=1");
  EXPECT_EQ(d.kind, Decision::Kind::Error);
}

TEST_F(FilesDir, FileServesInsideTheDirectory) {
  Decision d = url("file://deny.html", get(), dir_);
  ASSERT_EQ(d.kind, Decision::Kind::Respond) << d.reason;
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(d.file, fs::canonical(dir_ / "deny.html").string());
  EXPECT_EQ(d.contentType, "text/html; charset=utf-8");
  d = url("file://sub/ok.txt", get(), dir_);
  ASSERT_EQ(d.kind, Decision::Kind::Respond);
  EXPECT_EQ(d.contentType, "text/plain; charset=utf-8");
  // An absolute path inside the directory (url-deny computed its own path) is fine.
  d = url("file://" + (dir_ / "deny.html").string(), get(), dir_);
  EXPECT_EQ(d.kind, Decision::Kind::Respond);
}

TEST_F(FilesDir, FileOutsideTheDirectoryIsRefused) {
  EXPECT_EQ(url("file://../../etc/passwd", get(), dir_).kind, Decision::Kind::Error);
  EXPECT_EQ(url("file:///etc/passwd", get(), dir_).kind, Decision::Kind::Error);
  EXPECT_EQ(url("file://missing.html", get(), dir_).kind, Decision::Kind::Error);
  EXPECT_EQ(url("file://sub", get(), dir_).kind, Decision::Kind::Error);
  EXPECT_EQ(url("file://deny.html", get(), {}).kind, Decision::Kind::Error);
}

// ---- exaproxy-icap ---------------------------------------------------------------------------

Decision icap(const std::string& reply, const RequestInfo& req = get(),
              const fs::path& files = {}) {
  IcapProtocol p("exaproxy", files);
  std::string buf = reply;
  RawReply r;
  EXPECT_EQ(p.extract(buf, false, r), FrameStatus::Complete) << reply;
  EXPECT_TRUE(buf.empty()) << buf;
  return p.decide(r, req);
}

std::string withReqHdr(const std::string& head, int code = 200) {
  return "ICAP/1.0 " + std::to_string(code) +
         " OK\nEncapsulated: req-hdr=0, null-body=" + std::to_string(head.size()) + "\n\n" + head;
}

TEST(IcapRequest, PragmasThenEncapsulatedLastThenTheHead) {
  IcapProtocol p("filter", {});
  RequestInfo r = get();
  std::string m = p.encode(r, std::nullopt);
  std::string head = "GET http://127.0.0.1/plain?q=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "User-Agent: curl/7.88\r\nAccept: */*\r\n\r\n";
  EXPECT_EQ(m.rfind("REQMOD icap://filter ICAP/1.0\nHost: filter\n", 0), 0u);
  EXPECT_NE(m.find("Pragma: client=10.0.0.7\n"), std::string::npos);
  EXPECT_NE(m.find("Pragma: host=127.0.0.1\n"), std::string::npos);
  EXPECT_NE(m.find("Pragma: path=/plain?q=1\n"), std::string::npos);
  EXPECT_NE(m.find("Pragma: method=GET\n"), std::string::npos);
  EXPECT_NE(m.find("Pragma: accept-port=3128\n"), std::string::npos);
  std::string tail =
      "Encapsulated: req-hdr=0, null-body=" + std::to_string(head.size()) + "\n\n" + head;
  ASSERT_GE(m.size(), tail.size());
  EXPECT_EQ(m.substr(m.size() - tail.size()), tail);
}

TEST(IcapReply, NoContentAllows) {
  EXPECT_EQ(icap("ICAP/1.0 204 No Content\n\n").kind, Decision::Kind::Continue);
  EXPECT_EQ(icap("ICAP/1.0 204 No Content\r\nISTag: \"x\"\r\n\r\n").kind, Decision::Kind::Continue);
}

TEST(IcapReply, OtherCodesAllowButTheirBodyIsConsumed) {
  // icap-allow-304, and icap-deny's "302 + res-hdr" which the original took as a permit.
  EXPECT_EQ(icap("ICAP/1.0 304 OK\n\n").kind, Decision::Kind::Continue);
  std::string head = "GET /redirect.php HTTP/1.1\nHost: www.surfprotect.co.uk\n\n";
  EXPECT_EQ(icap("ICAP/1.0 302 OK\nEncapsulated: res-hdr=0, null-body=" +
                 std::to_string(head.size()) + "\n\n" + head)
                .kind,
            Decision::Kind::Continue);
}

TEST(IcapReply, ReqHdrReplacesHeaders) {
  // The working YouTube restricted-mode edit: add a header, keep the rest.
  std::string head = "GET http://127.0.0.1/plain?q=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "User-Agent: curl/7.88\r\nAccept: */*\r\nYouTube-Restrict: Strict\r\n\r\n";
  Decision d = icap(withReqHdr(head));
  ASSERT_EQ(d.kind, Decision::Kind::Rewrite);
  EXPECT_TRUE(d.url.empty());
  ASSERT_EQ(d.headerOps.size(), 1u);
  EXPECT_EQ(d.headerOps[0], (HeaderOp{HeaderOp::Kind::Add, "YouTube-Restrict", "Strict"}));
}

TEST(IcapReply, ReqHdrCookieEdit) {
  RequestInfo r = get("www.youtube.com", "/");
  r.headers.emplace_back("Cookie", "PREF=f1=50000000; VISITOR=1");
  std::string head = "GET http://www.youtube.com/ HTTP/1.1\nHost: www.youtube.com\n"
                     "User-Agent: curl/7.88\nAccept: */*\n"
                     "Cookie: PREF=f2=8000000&f1=50000000; VISITOR=1\n\n";
  Decision d = icap(withReqHdr(head), r);
  ASSERT_EQ(d.kind, Decision::Kind::Rewrite);
  ASSERT_EQ(d.headerOps.size(), 2u);
  EXPECT_EQ(d.headerOps[0], (HeaderOp{HeaderOp::Kind::Remove, "cookie", ""}));
  EXPECT_EQ(d.headerOps[1],
            (HeaderOp{HeaderOp::Kind::Add, "Cookie", "PREF=f2=8000000&f1=50000000; VISITOR=1"}));
}

TEST(IcapReply, UnchangedReqHdrAllows) {
  std::string head = "GET http://127.0.0.1/plain?q=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "User-Agent: curl/7.88\r\nAccept: */*\r\n\r\n";
  EXPECT_EQ(icap(withReqHdr(head)).kind, Decision::Kind::Continue);
}

TEST(IcapReply, ReqHdrNewUrlAndHostFollow) {
  std::string head = "GET http://o.test/new HTTP/1.1\nHost: o.test\nAccept: */*\n\n";
  Decision d = icap(withReqHdr(head));
  ASSERT_EQ(d.kind, Decision::Kind::Rewrite);
  EXPECT_EQ(d.url, "http://o.test/new");
  // User-Agent removed; Host is never edited as a header.
  ASSERT_EQ(d.headerOps.size(), 1u);
  EXPECT_EQ(d.headerOps[0], (HeaderOp{HeaderOp::Kind::Remove, "user-agent", ""}));
  head = "GET /other HTTP/1.1\nHost: 127.0.0.1\nUser-Agent: curl/7.88\nAccept: */*\n\n";
  EXPECT_EQ(icap(withReqHdr(head)).url, "/other");
  head = "GET /other HTTP/1.1\nHost: o.test:8080\nUser-Agent: curl/7.88\nAccept: */*\n\n";
  EXPECT_EQ(icap(withReqHdr(head)).url, "http://o.test:8080/other");
}

TEST(IcapReply, ConnectInReqHdrRoutes) {
  // icap-google-no-ssl: a modified CONNECT.
  std::string head = "CONNECT nosslsearch.google.com:443 HTTP/1.1\nProxy-Connection: keep-alive\n"
                     "Host: nosslsearch.google.com:443\n\n";
  Decision d = icap(withReqHdr(head), connect());
  ASSERT_EQ(d.kind, Decision::Kind::Route);
  EXPECT_EQ(d.routeHost, "nosslsearch.google.com");
  EXPECT_EQ(d.routePort, 443);
  // icap-google-to-others: CONNECT block + the original GET = intercept of a plain request.
  std::string both = "CONNECT www.wolframalpha.com:80 HTTP/1.1\nHost: www.wolframalpha.com\n\n"
                     "GET http://127.0.0.1/plain?q=1 HTTP/1.1\nHost: 127.0.0.1\n\n";
  d = icap(withReqHdr(both));
  ASSERT_EQ(d.kind, Decision::Kind::Route);
  EXPECT_EQ(d.routeHost, "www.wolframalpha.com");
  EXPECT_EQ(d.routePort, 80);
  // The same CONNECT back: unchanged.
  head = "CONNECT www.google.com:443 HTTP/1.1\nHost: www.google.com:443\n\n";
  EXPECT_EQ(icap(withReqHdr(head), connect()).kind, Decision::Kind::Continue);
}

TEST(IcapReply, ResHdrAndChunkedBodyAreTheResponse) {
  // icap-serve: a page generated by the helper, chunk sizes on bare LF lines.
  std::string hdr = "HTTP/1.1 200 OK\nContent-Type: text/html\nX-Made-By: helper\n\n";
  std::string reply =
      "ICAP/1.0 200 OK\nEncapsulated: res-hdr=0, res-body=" + std::to_string(hdr.size()) + "\n\n" +
      hdr + "5\nhello\n7\n, world\n0\n\n";
  Decision d = icap(reply);
  ASSERT_EQ(d.kind, Decision::Kind::Respond) << d.reason;
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(d.body, "hello, world");
  EXPECT_EQ(d.contentType, "text/html");
  ASSERT_EQ(d.respHeaders.size(), 1u);
  EXPECT_EQ(d.respHeaders[0].first, "X-Made-By");
}

TEST(IcapReply, ResHdrWithoutBody) {
  // icap-deny-proxy-explanation: a 403 with JSON, all inside the null-body header section.
  std::string hdr = "HTTP/1.1 403 Forbidden\r\nContent-Type: application/proxy-explanation+json"
                    "\r\nContent-Length: 0\r\n\r\n";
  Decision d =
      icap("ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0, null-body=" + std::to_string(hdr.size()) +
           "\r\n\r\n" + hdr);
  ASSERT_EQ(d.kind, Decision::Kind::Respond);
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(d.contentType, "application/proxy-explanation+json");
  EXPECT_TRUE(d.respHeaders.empty()); // Content-Length is the host's
}

TEST(IcapReply, CrlfChunks) {
  std::string hdr = "HTTP/1.1 200 OK\r\n\r\n";
  Decision d =
      icap("ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0, res-body=" + std::to_string(hdr.size()) +
           "\r\n\r\n" + hdr + "3;ieof\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(d.body, "abc");
}

TEST_F(FilesDir, IcapFileRequestServesAFile) {
  // icap-serve-file's intended meaning (req-hdr form).
  Decision d = icap(withReqHdr("GET file://deny.html HTTP/1.1\n\n"), get(), dir_);
  ASSERT_EQ(d.kind, Decision::Kind::Respond);
}

TEST(IcapFraming, WaitsForTheWholeMessage) {
  IcapProtocol p("x", {});
  std::string hdr = "HTTP/1.1 200 OK\n\n";
  std::string full =
      "ICAP/1.0 200 OK\nEncapsulated: res-hdr=0, res-body=" + std::to_string(hdr.size()) + "\n\n" +
      hdr + "5\nhello\n0\n";
  for (size_t cut = 0; cut < full.size(); ++cut) {
    std::string buf = full.substr(0, cut);
    RawReply r;
    EXPECT_EQ(p.extract(buf, false, r), FrameStatus::NeedMore) << cut;
  }
  std::string buf = full + "ICAP/1.0 204 OK\n\n";
  RawReply r;
  ASSERT_EQ(p.extract(buf, false, r), FrameStatus::Complete);
  ASSERT_EQ(p.extract(buf, false, r), FrameStatus::Complete);
  EXPECT_NE(r.text.find("204"), std::string::npos);
  EXPECT_TRUE(buf.empty());
}

TEST(IcapFraming, LeadingBlankLinesAreSkipped) {
  IcapProtocol p("x", {});
  std::string buf = "\r\n\nICAP/1.0 204 OK\n\n";
  RawReply r;
  EXPECT_EQ(p.extract(buf, false, r), FrameStatus::Complete);
}

TEST(IcapFraming, GarbageIsMalformed) {
  IcapProtocol p("x", {});
  for (std::string bad : {"HTTP/1.1 200 OK\n\n", "ICAP/1.0 abc\n\n", "ICAP/1.0 200 OK\nnocolon\n\n",
                          "ICAP/1.0 200 OK\nEncapsulated: req-hdr=x\n\n",
                          "ICAP/1.0 200 OK\nEncapsulated: req-hdr=10, null-body=5\n\n",
                          "ICAP/1.0 200 OK\nEncapsulated: req-hdr=0\n\n",
                          "ICAP/1.0 200 OK\nEncapsulated: res-hdr=0, res-body=0\n\nzz\n"}) {
    std::string buf = bad;
    RawReply r;
    EXPECT_EQ(p.extract(buf, false, r), FrameStatus::Malformed) << bad;
  }
}

TEST(HeaderDiff, MultiValueAndCaseInsensitive) {
  HeaderList from = {{"Accept", "a"}, {"X-A", "1"}, {"x-a", "2"}, {"Content-Length", "5"}};
  HeaderList to = {{"accept", "a"}, {"X-A", "1"}, {"X-B", "3"}};
  auto ops = diffHeaders(from, to);
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0], (HeaderOp{HeaderOp::Kind::Remove, "x-a", ""}));
  EXPECT_EQ(ops[1], (HeaderOp{HeaderOp::Kind::Add, "X-A", "1"}));
  EXPECT_EQ(ops[2], (HeaderOp{HeaderOp::Kind::Add, "X-B", "3"}));
}

} // namespace
} // namespace exaproxy::redirector
