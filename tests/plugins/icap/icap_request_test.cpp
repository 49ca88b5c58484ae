// icap_core: the request builder (the RFC examples, IPv6, refusals) and build-then-parse round
// trips.
#include "icap_wire_support.h"

namespace exaproxy::icap::test {
namespace {

// ---- request builder ----

RequestSpec reqmodSpec() {
  RequestSpec spec;
  spec.method = Method::Reqmod;
  spec.service = {"icap-server.net", 1344, "/server?arg=87"};
  spec.reqHdr = kGetHead;
  return spec;
}

TEST(IcapRequestBuilderTest, BuildsTheReqmodExample) {
  RequestSpec spec = reqmodSpec();
  spec.allow204 = false;
  Result<std::string> r = buildRequest(spec);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, "REQMOD icap://icap-server.net:1344/server?arg=87 ICAP/1.0\r\n"
                "Host: icap-server.net\r\n"
                "Encapsulated: req-hdr=0, null-body=170\r\n"
                "\r\n" +
                    kGetHead);
}

TEST(IcapRequestBuilderTest, BuildsThePostExampleWithAPreviewAndAllow204) {
  RequestSpec spec = reqmodSpec();
  spec.reqHdr = kPostHead;
  spec.body = true;
  spec.preview = 0;
  spec.extraFields = {{"X-Client-IP", "192.0.2.7"}, {"X-Client-Username", "alice"}};
  Result<std::string> r = buildRequest(spec);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, "REQMOD icap://icap-server.net:1344/server?arg=87 ICAP/1.0\r\n"
                "Host: icap-server.net\r\n"
                "Allow: 204\r\n"
                "Preview: 0\r\n"
                "X-Client-IP: 192.0.2.7\r\n"
                "X-Client-Username: alice\r\n"
                "Encapsulated: req-hdr=0, req-body=147\r\n"
                "\r\n" +
                    kPostHead);
}

TEST(IcapRequestBuilderTest, BuildsTheRespmodExample) {
  RequestSpec spec;
  spec.method = Method::Respmod;
  spec.service = {"icap.example.org", 1344, "/satisf"};
  spec.reqHdr = kOriginRequestHead;
  spec.resHdr = kOriginResponseHead;
  spec.body = true;
  spec.allow204 = false;
  Result<std::string> r = buildRequest(spec);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, "RESPMOD icap://icap.example.org:1344/satisf ICAP/1.0\r\n"
                "Host: icap.example.org\r\n"
                "Encapsulated: req-hdr=0, res-hdr=137, res-body=296\r\n"
                "\r\n" +
                    kOriginRequestHead + kOriginResponseHead);
  // Without the request head: res-hdr starts at 0.
  spec.reqHdr = {};
  r = buildRequest(spec);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(contains(*r, "Encapsulated: res-hdr=0, res-body=159\r\n"));
}

TEST(IcapRequestBuilderTest, BuildsOptions) {
  RequestSpec spec;
  spec.method = Method::Options;
  spec.service = {"icap.server.net", 1345, "/sample-service"};
  Result<std::string> r = buildRequest(spec);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, "OPTIONS icap://icap.server.net:1345/sample-service ICAP/1.0\r\n"
                "Host: icap.server.net:1345\r\n"
                "Encapsulated: null-body=0\r\n"
                "\r\n");
}

TEST(IcapRequestBuilderTest, BracketsIpv6Hosts) {
  RequestSpec spec = reqmodSpec();
  spec.service.host = "2001:db8::1";
  Result<std::string> r = buildRequest(spec);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->rfind("REQMOD icap://[2001:db8::1]:1344/server?arg=87 ICAP/1.0\r\n"
                     "Host: [2001:db8::1]\r\n",
                     0),
            0u);
  spec.service.host = "[::1]";
  EXPECT_TRUE(buildRequest(spec).ok());
}

std::string buildError(const RequestSpec& spec) {
  Result<std::string> r = buildRequest(spec);
  EXPECT_FALSE(r.ok());
  return r ? std::string() : r.error();
}

TEST(IcapRequestBuilderTest, RefusesCrLfNulAndControlsInValues) {
  for (const char* bad : {"a\r\nInjected: 1", "a\nb", "a\rb", "a\x01"}) {
    RequestSpec spec = reqmodSpec();
    spec.extraFields = {{"X-Client-Username", bad}};
    EXPECT_TRUE(contains(buildError(spec), "control character")) << bad;
  }
  RequestSpec spec = reqmodSpec();
  spec.extraFields = {{"X-Client-Username", std::string("a\0b", 3)}};
  EXPECT_TRUE(contains(buildError(spec), "control character"));
}

TEST(IcapRequestBuilderTest, RefusesBadOrReservedFieldNames) {
  RequestSpec spec = reqmodSpec();
  spec.extraFields = {{"X Client", "1"}};
  EXPECT_TRUE(contains(buildError(spec), "invalid field name"));
  spec.extraFields = {{"", "1"}};
  EXPECT_TRUE(contains(buildError(spec), "invalid field name"));
  for (const char* reserved : {"Host", "encapsulated", "PREVIEW", "Allow"}) {
    spec.extraFields = {{reserved, "1"}};
    EXPECT_TRUE(contains(buildError(spec), "written by the builder")) << reserved;
  }
}

TEST(IcapRequestBuilderTest, RefusesBadHostsAndPaths) {
  for (const char* host : {"", "bad host", "a/b", "[]", "[example.com]", "a\r\nb", "2001:db8::g"}) {
    RequestSpec spec = reqmodSpec();
    spec.service.host = host;
    EXPECT_TRUE(contains(buildError(spec), "invalid service host")) << host;
  }
  for (const char* path : {"", "noslash", "/a b", "/a\r\nb", "/\x7f"}) {
    RequestSpec spec = reqmodSpec();
    spec.service.path = path;
    EXPECT_TRUE(contains(buildError(spec), "invalid service path")) << path;
  }
}

TEST(IcapRequestBuilderTest, RefusesSectionsThatDoNotFitTheMethod) {
  RequestSpec spec = reqmodSpec();
  spec.reqHdr = {};
  EXPECT_TRUE(contains(buildError(spec), "REQMOD needs"));
  spec = reqmodSpec();
  spec.resHdr = kOriginResponseHead;
  EXPECT_TRUE(contains(buildError(spec), "REQMOD carries no"));
  spec.method = Method::Respmod;
  spec.resHdr = {};
  EXPECT_TRUE(contains(buildError(spec), "RESPMOD needs"));
  spec = RequestSpec();
  spec.method = Method::Options;
  spec.service.host = "h";
  spec.body = true;
  EXPECT_TRUE(contains(buildError(spec), "OPTIONS carries no"));
  spec = reqmodSpec();
  spec.preview = 10;
  EXPECT_TRUE(contains(buildError(spec), "Preview without a body"));
}

TEST(IcapRequestBuilderTest, RefusesHeadsWithoutTheirEmptyLine) {
  RequestSpec spec = reqmodSpec();
  std::string cut = kGetHead.substr(0, kGetHead.size() - 2);
  spec.reqHdr = cut;
  EXPECT_TRUE(contains(buildError(spec), "empty line"));
  std::string twice = kGetHead + kGetHead;
  spec.reqHdr = twice;
  EXPECT_TRUE(contains(buildError(spec), "empty line"));
}

// ---- round trips ----

TEST(IcapRoundTripTest, BuiltRequestsParseBackWithTheSameSections) {
  // A request built here is shaped like a response for the head parser once its first line is
  // swapped for a status line: every field and the encapsulated part come back unchanged.
  RequestSpec spec;
  spec.method = Method::Respmod;
  spec.service = {"icap.example.org", 1344, "/satisf"};
  spec.reqHdr = kOriginRequestHead;
  spec.resHdr = kOriginResponseHead;
  spec.body = true;
  spec.preview = 51;
  spec.extraFields = {{"X-Client-IP", "2001:db8::5"}};
  Result<std::string> built = buildRequest(spec);
  ASSERT_TRUE(built.ok()) << built.error();
  std::string wire = *built + encodeChunk(kOriginBody) + lastChunk(true);
  std::string asResponse = "ICAP/1.0 200 OK" + wire.substr(wire.find("\r\n"));

  HeadOutcome o = parseHead(asResponse);
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(*o.head.field("Preview"), "51");
  EXPECT_EQ(*o.head.field("X-Client-IP"), "2001:db8::5");
  ASSERT_TRUE(o.head.encapsulated.has_value());
  std::string_view after = std::string_view(asResponse).substr(o.consumed);
  Result<EncapsulatedHeads> heads = cutHeads(*o.head.encapsulated, after);
  ASSERT_TRUE(heads.ok()) << heads.error();
  EXPECT_EQ(heads->reqHdr, kOriginRequestHead);
  EXPECT_EQ(heads->resHdr, kOriginResponseHead);
  ChunkOutcome body = decode(after.substr(o.head.encapsulated->bodyOffset()));
  ASSERT_EQ(body.status, ParseStatus::Done) << body.error;
  EXPECT_EQ(body.data, kOriginBody);
  EXPECT_TRUE(body.ieof);
  EXPECT_EQ(o.head.encapsulated->bodyOffset() + body.consumed, after.size());
}

} // namespace
} // namespace exaproxy::icap::test
