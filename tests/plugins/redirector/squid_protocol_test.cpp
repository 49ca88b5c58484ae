// Every Squid reply vector of PROTOCOLS.md §1 (1.2, 1.3, 1.4 table, 1.6), the request line format
// and channel-ID framing.
#include "squid_protocol.h"

#include <gtest/gtest.h>

namespace exaproxy::redirector {
namespace {

RequestInfo get(const std::string& url = "http://a.test/x") {
  RequestInfo r;
  r.method = "GET";
  r.url = url;
  r.host = "a.test";
  r.port = 80;
  r.path = "/x";
  r.client = "10.1.2.3";
  r.listenerIp = "127.0.0.1";
  r.listenerPort = 3128;
  return r;
}

RequestInfo connect(const std::string& authority = "blocked.test:443") {
  RequestInfo r;
  r.method = "CONNECT";
  r.url = authority;
  r.isConnect = true;
  r.host = authority.substr(0, authority.find(':'));
  r.port = 443;
  r.client = "127.0.0.1";
  r.listenerIp = "127.0.0.1";
  r.listenerPort = 3128;
  return r;
}

Decision decide(const std::string& line, const RequestInfo& req = get()) {
  SquidProtocol p;
  RawReply r;
  r.text = line;
  return p.decide(r, req);
}

TEST(SquidRequestLine, GetAsSquid35SendsIt) {
  SquidProtocol p;
  RequestInfo r = get("http://127.0.0.1:8081/plain?q=1");
  r.client = "127.0.0.1";
  EXPECT_EQ(p.encode(r, std::nullopt),
            "http://127.0.0.1:8081/plain?q=1 127.0.0.1/- - GET myip=127.0.0.1 myport=3128\n");
  EXPECT_EQ(p.encode(r, 1),
            "1 http://127.0.0.1:8081/plain?q=1 127.0.0.1/- - GET myip=127.0.0.1 myport=3128\n");
}

TEST(SquidRequestLine, ConnectIsAuthorityForm) {
  SquidProtocol p;
  EXPECT_EQ(p.encode(connect("redir.test:443"), 11),
            "11 redir.test:443 127.0.0.1/- - CONNECT myip=127.0.0.1 myport=3128\n");
}

TEST(SquidRequestLine, UserAndUnsafeBytesAreEncoded) {
  SquidProtocol p;
  RequestInfo r = get("http://a.test/a b");
  r.user = "alice smith";
  r.method = "POST";
  EXPECT_EQ(p.encode(r, std::nullopt),
            "http://a.test/a%20b 10.1.2.3/- alice%20smith POST myip=127.0.0.1 myport=3128\n");
}

TEST(SquidReply, ErrAndOkPassUnchanged) {
  EXPECT_EQ(decide("ERR").kind, Decision::Kind::Continue);
  EXPECT_EQ(decide("OK").kind, Decision::Kind::Continue);
  EXPECT_EQ(decide("ERR message=\"no\"").kind, Decision::Kind::Continue);
}

TEST(SquidReply, RedirectWithStatus) {
  for (int s : {301, 302, 303, 307, 308}) {
    Decision d = decide("OK status=" + std::to_string(s) + " url=\"http://e.test/\"");
    EXPECT_EQ(d.kind, Decision::Kind::Redirect) << s;
    EXPECT_EQ(d.status, s);
    EXPECT_EQ(d.location, "http://e.test/");
  }
}

TEST(SquidReply, UrlWithoutStatusIs302) {
  Decision d = decide("OK url=\"http://e.test/\"");
  EXPECT_EQ(d.kind, Decision::Kind::Redirect);
  EXPECT_EQ(d.status, 302);
}

// A redirect we cannot carry out is not a pass: it goes to on_error (fail closed).
TEST(SquidReply, InvalidRedirectStatusGoesToOnError) {
  Decision d = decide("OK status=200 url=\"http://e.test/\"");
  EXPECT_EQ(d.kind, Decision::Kind::Error);
  EXPECT_NE(d.reason.find("invalid 200"), std::string::npos);
  EXPECT_EQ(decide("OK status=abc url=\"http://e.test/\"").kind, Decision::Kind::Error);
  EXPECT_EQ(decide("OK url=\"\"").kind, Decision::Kind::Error);
}

TEST(SquidReply, RewriteUrl) {
  Decision d = decide("OK rewrite-url=\"http://o.test/x\"");
  EXPECT_EQ(d.kind, Decision::Kind::Rewrite);
  EXPECT_EQ(d.url, "http://o.test/x");
}

TEST(SquidReply, UnquotedValuesArePercentDecoded) {
  Decision d = decide("OK rewrite-url=http%3A%2F%2Fo.test%2Fx");
  EXPECT_EQ(d.kind, Decision::Kind::Rewrite);
  EXPECT_EQ(d.url, "http://o.test/x");
}

TEST(SquidReply, QuotedValuesAreNotDecodedButUnescaped) {
  Decision d = decide(R"(OK rewrite-url="http://o.test/a%20b\"c")");
  EXPECT_EQ(d.url, "http://o.test/a%20b\"c");
}

TEST(SquidReply, RewriteToTheSameUrlIsIgnored) {
  EXPECT_EQ(decide("OK rewrite-url=\"http://a.test/x\"").kind, Decision::Kind::Continue);
}

TEST(SquidReply, RedirectWinsOverRewrite) {
  Decision d = decide("OK rewrite-url=\"http://o.test/\" url=\"http://e.test/\"");
  EXPECT_EQ(d.kind, Decision::Kind::Redirect);
}

TEST(SquidReply, ConnectRewriteToAuthorityRoutes) {
  Decision d = decide("OK rewrite-url=\"1.2.3.4:443\"", connect());
  EXPECT_EQ(d.kind, Decision::Kind::Route);
  EXPECT_EQ(d.routeHost, "1.2.3.4");
  EXPECT_EQ(d.routePort, 443);
  d = decide("OK rewrite-url=\"[::1]:8443\"", connect());
  EXPECT_EQ(d.routeHost, "::1");
  EXPECT_EQ(d.routePort, 8443);
}

TEST(SquidReply, ConnectRewriteToHttpUrlIsA403NamingTheUrl) {
  // squidGuard's block page for CONNECT: Squid 5.7 answers 500; we deny with a page.
  Decision d = decide("OK rewrite-url=\"http://block.test/blocked?url=bad.test:443\"", connect());
  EXPECT_EQ(d.kind, Decision::Kind::Deny);
  EXPECT_EQ(d.status, 403);
  EXPECT_NE(d.reason.find("http://block.test/blocked?url=bad.test:443"), std::string::npos);
}

TEST(SquidReply, ConnectRedirectIsARedirect) {
  Decision d = decide("OK status=302 url=\"http://block.test/\"", connect());
  EXPECT_EQ(d.kind, Decision::Kind::Redirect);
}

TEST(SquidReply, ConnectRewriteToGarbageGoesToOnError) {
  Decision d = decide("OK rewrite-url=\"not an authority\"", connect());
  EXPECT_EQ(d.kind, Decision::Kind::Error);
  EXPECT_NE(d.reason.find("not an authority"), std::string::npos);
}

TEST(SquidReply, GetRewriteToAuthorityGoesToOnError) {
  Decision d = decide("OK rewrite-url=\"o.test:80\"");
  EXPECT_EQ(d.kind, Decision::Kind::Error);
  EXPECT_EQ(decide("OK rewrite-url=\"\"").kind, Decision::Kind::Error);
}

TEST(SquidReply, BrokenHelper) {
  Decision d = decide("BH message=\"helper broke\"");
  EXPECT_EQ(d.kind, Decision::Kind::Broken);
  EXPECT_NE(d.reason.find("helper broke"), std::string::npos);
  EXPECT_EQ(decide("BH").kind, Decision::Kind::Broken);
}

TEST(SquidReply, ResultWordsNeedASpaceOrTheEnd) {
  // "OKAY" is not OK: it is a legacy answer (a rewrite to a URL without scheme: garbage).
  EXPECT_EQ(parseSquidReply("OKAY").result, SquidReply::Result::Unknown);
  EXPECT_EQ(parseSquidReply("ERRx").result, SquidReply::Result::Unknown);
  EXPECT_EQ(parseSquidReply("BHx").result, SquidReply::Result::Unknown);
  EXPECT_EQ(parseSquidReply("OK\tx=1").result, SquidReply::Result::Ok);
}

TEST(SquidReply, NotesStopAtTheFirstNonPair) {
  SquidReply r = parseSquidReply("OK a=1 b_=2 junk c=3");
  EXPECT_EQ(r.notes.count("a"), 1u);
  EXPECT_EQ(r.notes.count("b_"), 1u);
  EXPECT_EQ(r.notes.count("c"), 0u);
  r = parseSquidReply("OK a =1");
  EXPECT_TRUE(r.notes.empty());
  r = parseSquidReply("OK clt_conn_tag=TAG url=\"http://e.test/\"");
  EXPECT_EQ(r.notes.find("clt_conn_tag")->second, "TAG");
}

TEST(SquidReply, UnterminatedQuoteDropsThePairAndAnOkGoesToOnError) {
  SquidReply r = parseSquidReply("OK url=\"http://e.test/");
  EXPECT_TRUE(r.notes.empty());
  EXPECT_FALSE(r.problem.empty());
  EXPECT_EQ(decide("OK url=\"http://e.test/").kind, Decision::Kind::Error);
  EXPECT_EQ(decide("ERR message=\"open").kind, Decision::Kind::Continue) << "ERR is a pass anyway";
}

// Not OK/ERR/BH, nor a legacy URL, host:port (CONNECT), 30N:URL or !group!URL: garbage, which
// goes to on_error like a crash (a pass would be a filter failing open).
TEST(SquidReply, GarbageGoesToOnError) {
  for (std::string g : {"garbage", "OKAY", "ok", "\x1b[31mred", "DENY", "1", "yes please"}) {
    Decision d = decide(g);
    EXPECT_EQ(d.kind, Decision::Kind::Error) << g;
    EXPECT_FALSE(d.reason.empty()) << g;
    EXPECT_EQ(decide(g, connect()).kind, Decision::Kind::Error) << g;
  }
}

TEST(SquidLegacyReply, EmptyLinePasses) {
  EXPECT_EQ(decide("").kind, Decision::Kind::Continue);
  EXPECT_EQ(decide("   ").kind, Decision::Kind::Continue);
}

TEST(SquidLegacyReply, StatusColonUrlRedirects) {
  for (int s : {301, 302, 303, 307, 308}) {
    Decision d = decide(std::to_string(s) + ":http://e.test/");
    EXPECT_EQ(d.kind, Decision::Kind::Redirect);
    EXPECT_EQ(d.status, s);
    EXPECT_EQ(d.location, "http://e.test/");
  }
}

TEST(SquidLegacyReply, BareUrlRewrites) {
  Decision d = decide("http://o.test/x");
  EXPECT_EQ(d.kind, Decision::Kind::Rewrite);
  EXPECT_EQ(d.url, "http://o.test/x");
}

TEST(SquidLegacyReply, ExtraWordsAreDropped) {
  Decision d = decide("http://o.test/x junk more");
  EXPECT_EQ(d.kind, Decision::Kind::Rewrite);
  EXPECT_EQ(d.url, "http://o.test/x");
}

TEST(SquidLegacyReply, AuthorityToConnectRoutes) {
  Decision d = decide("127.0.0.1:8443", connect());
  EXPECT_EQ(d.kind, Decision::Kind::Route);
  EXPECT_EQ(d.routeHost, "127.0.0.1");
  EXPECT_EQ(d.routePort, 8443);
}

TEST(SquidLegacyReply, UrlGroup) {
  Decision d = decide("!grp!http://o.test/x");
  EXPECT_EQ(d.kind, Decision::Kind::Rewrite);
  EXPECT_EQ(d.url, "http://o.test/x");
  EXPECT_EQ(decide("!grp").kind, Decision::Kind::Error);
}

TEST(SquidLegacyReply, ThreeXxWithoutColonIsInvalid) {
  Decision d = decide("302");
  EXPECT_EQ(d.kind, Decision::Kind::Error);
  EXPECT_FALSE(d.reason.empty());
  EXPECT_EQ(decide("300:http://e.test/").kind, Decision::Kind::Error);
}

TEST(SquidFraming, LinesEndAtLfAndLoseTheirCr) {
  SquidProtocol p;
  std::string buf = "OK\r\nERR\npartial";
  RawReply r;
  ASSERT_EQ(p.extract(buf, false, r), FrameStatus::Complete);
  EXPECT_EQ(r.text, "OK");
  ASSERT_EQ(p.extract(buf, false, r), FrameStatus::Complete);
  EXPECT_EQ(r.text, "ERR");
  EXPECT_EQ(p.extract(buf, false, r), FrameStatus::NeedMore);
  EXPECT_EQ(buf, "partial");
}

TEST(SquidFraming, ChannelIdsAreEchoedWhateverTheirValue) {
  SquidProtocol p;
  std::string buf = "7 OK\n18446744073709551615 ERR\n0 BH message=x\n12\n";
  RawReply r;
  ASSERT_EQ(p.extract(buf, true, r), FrameStatus::Complete);
  EXPECT_EQ(r.channel, 7u);
  EXPECT_EQ(r.text, "OK");
  ASSERT_EQ(p.extract(buf, true, r), FrameStatus::Complete);
  EXPECT_EQ(r.channel, 18446744073709551615ull);
  EXPECT_EQ(r.text, "ERR");
  ASSERT_EQ(p.extract(buf, true, r), FrameStatus::Complete);
  EXPECT_EQ(r.channel, 0u);
  EXPECT_EQ(r.text, "BH message=x");
  ASSERT_EQ(p.extract(buf, true, r), FrameStatus::Complete); // an ID and nothing: legacy empty
  EXPECT_EQ(r.channel, 12u);
  EXPECT_EQ(r.text, "");
}

TEST(SquidFraming, ConcurrentLineWithoutIdHasNoChannel) {
  SquidProtocol p;
  std::string buf = "OK\n7x OK\n";
  RawReply r;
  ASSERT_EQ(p.extract(buf, true, r), FrameStatus::Complete);
  EXPECT_FALSE(r.channel);
  ASSERT_EQ(p.extract(buf, true, r), FrameStatus::Complete);
  EXPECT_FALSE(r.channel);
}

TEST(SquidFraming, SquidGuardTakesTheChannelIdForTheUrl) {
  // §1.3: squidGuard without concurrency answers ERR to "3 http://bad.test/page ...": with
  // concurrency = 0 we never send an ID, and "3 ERR" read without concurrency is legacy "3".
  SquidProtocol p;
  std::string buf = "3 ERR\n";
  RawReply r;
  ASSERT_EQ(p.extract(buf, false, r), FrameStatus::Complete);
  EXPECT_FALSE(r.channel);
  EXPECT_EQ(r.text, "3 ERR");
}

TEST(SquidFraming, EndlessLineIsMalformed) {
  SquidProtocol p;
  std::string buf(70000, 'x');
  RawReply r;
  EXPECT_EQ(p.extract(buf, false, r), FrameStatus::Malformed);
}

TEST(SquidGuardVectors, ObservedAnswersMapAsExpected) {
  // §1.6: what squidGuard 1.6 printed, and what each means.
  const std::string block = "OK rewrite-url=\"http://block.test/blocked?clientaddr=10.1.2.3&"
                            "clientname=&clientuser=&clientgroup=lan&targetgroup=bad&url="
                            "http://bad.test/page\"";
  Decision d = decide(block, get("http://bad.test/page"));
  EXPECT_EQ(d.kind, Decision::Kind::Rewrite);
  EXPECT_EQ(d.url.rfind("http://block.test/blocked?", 0), 0u);
  EXPECT_EQ(decide("ERR", get("http://good.test/ok")).kind, Decision::Kind::Continue);
  EXPECT_EQ(decide("BH message=\"squidGuard error parsing squid line\"").kind,
            Decision::Kind::Broken);
  d = decide("OK status=302 url=\"http://block.test/x\"", connect("bad.test:443"));
  EXPECT_EQ(d.kind, Decision::Kind::Redirect);
}

TEST(PercentCoding, DecodeKeepsInvalidEscapes) {
  EXPECT_EQ(percentDecode("a%20b%zz%4"), "a b%zz%4");
  EXPECT_EQ(percentDecode("%"), "%");
  EXPECT_EQ(percentEncodeField("a b%\x01\xff"), "a%20b%25%01%FF");
}

TEST(Authority, Split) {
  std::string h;
  uint16_t p = 0;
  EXPECT_TRUE(splitAuthority("a.test:443", h, p));
  EXPECT_EQ(h, "a.test");
  EXPECT_EQ(p, 443);
  EXPECT_TRUE(splitAuthority("[2001:db8::1]:80", h, p));
  EXPECT_EQ(h, "2001:db8::1");
  EXPECT_FALSE(splitAuthority("2001:db8::1:80", h, p));
  EXPECT_FALSE(splitAuthority("a.test", h, p));
  EXPECT_FALSE(splitAuthority("a.test:0", h, p));
  EXPECT_FALSE(splitAuthority("a.test:65536", h, p));
  EXPECT_FALSE(splitAuthority(":80", h, p));
  EXPECT_FALSE(splitAuthority("a test:80", h, p));
  EXPECT_FALSE(splitAuthority("http://a.test:80", h, p));
}

} // namespace
} // namespace exaproxy::redirector
