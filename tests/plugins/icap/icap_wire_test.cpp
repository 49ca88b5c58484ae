// icap_core: the ICAP/1.0 wire format. The vectors are the examples of RFC 3507 (§4.8.3, §4.9.3,
// §4.10.2), laid out here with their lengths recounted (the Encapsulated offsets of the examples
// are checked against the bytes, not copied on trust), plus one failing case per strictness rule,
// byte-by-byte feeding against all-at-once, and build-then-parse round trips.
#include "icap_wire.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::icap {
namespace {

// ---- RFC 3507 examples, one line per string so the counts can be checked by eye ----

// §4.8.3, the first REQMOD request: a GET without body (req-hdr=0, null-body=170).
const std::string kGetHead = "GET / HTTP/1.1\r\n"
                             "Host: www.origin-server.com\r\n"
                             "Accept: text/html, text/plain\r\n"
                             "Accept-Encoding: compress\r\n"
                             "Cookie: ff39fk3jur@4ii0e02i\r\n"
                             "If-None-Match: \"xyzzy\", \"r2d2xxxx\"\r\n"
                             "\r\n";

// §4.8.3, the server's answer to it: a modified request (req-hdr=0, null-body=231).
const std::string kModifiedGetHead =
    "GET /modified-path HTTP/1.1\r\n"
    "Host: www.origin-server.com\r\n"
    "Via: 1.0 icap-server.net (ICAP Example ReqMod Service 1.1)\r\n"
    "Accept: text/html, text/plain, image/gif\r\n"
    "Accept-Encoding: gzip, compress\r\n"
    "If-None-Match: \"xyzzy\", \"r2d2xxxx\"\r\n"
    "\r\n";

const std::string kReqmodAnswer = "ICAP/1.0 200 OK\r\n"
                                  "Date: Mon, 10 Jan 2000  09:55:21 GMT\r\n"
                                  "Server: ICAP-Server-Software/1.0\r\n"
                                  "Connection: close\r\n"
                                  "ISTag: \"W3E4R7U9-L2E4-2\"\r\n"
                                  "Encapsulated: req-hdr=0, null-body=231\r\n"
                                  "\r\n";

// §4.8.3, the second REQMOD request: a POST with a body (req-hdr=0, req-body=147).
const std::string kPostHead = "POST /origin-resource/form.pl HTTP/1.1\r\n"
                              "Host: www.origin-server.com\r\n"
                              "Accept: text/html, text/plain\r\n"
                              "Accept-Encoding: compress\r\n"
                              "Pragma: no-cache\r\n"
                              "\r\n";
const std::string kPostBody = "I am posting this information.";

// §4.9.3, the RESPMOD request (req-hdr=0, res-hdr=137, res-body=296).
const std::string kOriginRequestHead = "GET /origin-resource HTTP/1.1\r\n"
                                       "Host: www.origin-server.com\r\n"
                                       "Accept: text/html, text/plain, image/gif\r\n"
                                       "Accept-Encoding: gzip, compress\r\n"
                                       "\r\n";
const std::string kOriginResponseHead = "HTTP/1.1 200 OK\r\n"
                                        "Date: Mon, 10 Jan 2000 09:52:22 GMT\r\n"
                                        "Server: Apache/1.3.6 (Unix)\r\n"
                                        "ETag: \"63840-1ab7-378d415b\"\r\n"
                                        "Content-Type: text/html\r\n"
                                        "Content-Length: 51\r\n"
                                        "\r\n";
const std::string kOriginBody = "This is data that was returned by an origin server.";

// §4.9.3, the server's answer (res-hdr=0, res-body=222).
const std::string kAdaptedResponseHead =
    "HTTP/1.1 200 OK\r\n"
    "Date: Mon, 10 Jan 2000  09:55:21 GMT\r\n"
    "Via: 1.0 icap.example.org (ICAP Example RespMod Service 1.1)\r\n"
    "Server: Apache/1.3.6 (Unix)\r\n"
    "ETag: \"63840-1ab7-378d415b\"\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 92\r\n"
    "\r\n";
const std::string kRespmodAnswer = "ICAP/1.0 200 OK\r\n"
                                   "Date: Mon, 10 Jan 2000  09:55:21 GMT\r\n"
                                   "Server: ICAP-Server-Software/1.0\r\n"
                                   "Connection: close\r\n"
                                   "ISTag: \"W3E4R7U9-L2E4-2\"\r\n"
                                   "Encapsulated: res-hdr=0, res-body=222\r\n"
                                   "\r\n";
// The RFC prints this chunk's size as "5d" (93), but the text is 92 bytes (0x5c), as its
// Content-Length says: the example miscounts. The corrected size is used here; the test
// RejectsTheRfcMiscountedChunk checks that the printed one is refused, not silently accepted.
const std::string kAdaptedBody = "This is data that was returned by an origin server, but with\r\n"
                                 "value added by an ICAP server.";
const std::string kAdaptedBodyChunked = "5c\r\n" + kAdaptedBody + "\r\n0\r\n\r\n";

// §4.10.2, the OPTIONS answer.
const std::string kOptionsAnswer = "ICAP/1.0 200 OK\r\n"
                                   "Date: Mon, 10 Jan 2000  09:55:21 GMT\r\n"
                                   "Methods: RESPMOD\r\n"
                                   "Service: FOO Tech Server 1.0\r\n"
                                   "ISTag: \"W3E4R7U9-L2E4-2\"\r\n"
                                   "Encapsulated: null-body=0\r\n"
                                   "Max-Connections: 1000\r\n"
                                   "Options-TTL: 7200\r\n"
                                   "Allow: 204\r\n"
                                   "Preview: 2048\r\n"
                                   "Transfer-Complete: asp, bat, exe, com\r\n"
                                   "Transfer-Ignore: html\r\n"
                                   "Transfer-Preview: *\r\n"
                                   "\r\n";

// ---- helpers ----

struct HeadOutcome {
  ParseStatus status = ParseStatus::NeedMore;
  size_t consumed = 0;
  std::string error;
  ResponseHead head;
};

HeadOutcome parseHeadAtOnce(std::string_view bytes, HeadLimits limits = {}) {
  ResponseHeadParser p(limits);
  Progress pr = p.feed(bytes);
  return {pr.status, pr.consumed, p.error(), p.head()};
}

HeadOutcome parseHeadByteByByte(std::string_view bytes, HeadLimits limits = {}) {
  ResponseHeadParser p(limits);
  size_t consumed = 0;
  for (size_t i = 0; i < bytes.size() && p.status() == ParseStatus::NeedMore; ++i)
    consumed += p.feed(bytes.substr(i, 1)).consumed;
  return {p.status(), consumed, p.error(), p.head()};
}

// Parses `bytes` both ways, checks they agree, returns the all-at-once outcome.
HeadOutcome parseHead(std::string_view bytes, HeadLimits limits = {}) {
  HeadOutcome once = parseHeadAtOnce(bytes, limits);
  HeadOutcome bytewise = parseHeadByteByByte(bytes, limits);
  EXPECT_EQ(once.status, bytewise.status);
  EXPECT_EQ(once.consumed, bytewise.consumed);
  EXPECT_EQ(once.error, bytewise.error);
  EXPECT_EQ(once.head.status, bytewise.head.status);
  EXPECT_EQ(once.head.fields, bytewise.head.fields);
  EXPECT_EQ(once.head.encapsulated, bytewise.head.encapsulated);
  return once;
}

std::string headError(std::string_view bytes, HeadLimits limits = {}) {
  HeadOutcome o = parseHead(bytes, limits);
  EXPECT_EQ(o.status, ParseStatus::Error) << bytes;
  return o.error;
}

struct ChunkOutcome {
  ParseStatus status = ParseStatus::NeedMore;
  size_t consumed = 0;
  std::string data;
  bool ieof = false;
  std::string error;
};

ChunkOutcome decodeAtOnce(std::string_view bytes, ChunkedLimits limits = {}) {
  ChunkedDecoder d(limits);
  ChunkOutcome o;
  Progress p = d.feed(bytes, o.data);
  o.status = p.status;
  o.consumed = p.consumed;
  o.ieof = d.ieof();
  o.error = d.error();
  return o;
}

ChunkOutcome decodeByteByByte(std::string_view bytes, ChunkedLimits limits = {}) {
  ChunkedDecoder d(limits);
  ChunkOutcome o;
  for (size_t i = 0; i < bytes.size() && d.status() == ParseStatus::NeedMore; ++i)
    o.consumed += d.feed(bytes.substr(i, 1), o.data).consumed;
  o.status = d.status();
  o.ieof = d.ieof();
  o.error = d.error();
  return o;
}

ChunkOutcome decode(std::string_view bytes, ChunkedLimits limits = {}) {
  ChunkOutcome once = decodeAtOnce(bytes, limits);
  ChunkOutcome bytewise = decodeByteByByte(bytes, limits);
  EXPECT_EQ(once.status, bytewise.status);
  EXPECT_EQ(once.consumed, bytewise.consumed);
  EXPECT_EQ(once.data, bytewise.data);
  EXPECT_EQ(once.ieof, bytewise.ieof);
  EXPECT_EQ(once.error, bytewise.error);
  return once;
}

std::string chunkError(std::string_view bytes, ChunkedLimits limits = {}) {
  ChunkOutcome o = decode(bytes, limits);
  EXPECT_EQ(o.status, ParseStatus::Error) << bytes;
  return o.error;
}

std::string encapsulatedError(std::string_view value) {
  Result<Encapsulated> r = parseEncapsulated(value);
  EXPECT_FALSE(r.ok()) << value;
  return r ? std::string() : r.error();
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// ---- the examples' own lengths ----

TEST(IcapRfcExampleTest, OffsetsOfTheExamplesMatchTheirBytes) {
  EXPECT_EQ(kGetHead.size(), 170u);
  EXPECT_EQ(kModifiedGetHead.size(), 231u);
  EXPECT_EQ(kPostHead.size(), 147u);
  EXPECT_EQ(kPostBody.size(), 0x1eu);
  EXPECT_EQ(kOriginRequestHead.size(), 137u);
  EXPECT_EQ(kOriginRequestHead.size() + kOriginResponseHead.size(), 296u);
  EXPECT_EQ(kOriginBody.size(), 0x33u);
  EXPECT_EQ(kAdaptedResponseHead.size(), 222u);
}

// ---- Encapsulated ----

TEST(IcapEncapsulatedTest, ParsesTheRespmodExample) {
  Result<Encapsulated> r = parseEncapsulated("req-hdr=0, res-hdr=137, res-body=296");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->reqHdr, 0u);
  EXPECT_EQ(r->resHdr, 137u);
  EXPECT_EQ(r->resBody, 296u);
  EXPECT_FALSE(r->reqBody || r->nullBody || r->optBody);
  EXPECT_EQ(r->bodyKind(), BodyKind::ResBody);
  EXPECT_EQ(r->bodyOffset(), 296u);
  EXPECT_TRUE(r->hasChunkedBody());
}

TEST(IcapEncapsulatedTest, ParsesEveryBodyKind) {
  struct Case {
    const char* text;
    BodyKind kind;
    size_t offset;
  } cases[] = {{"req-hdr=0, req-body=147", BodyKind::ReqBody, 147},
               {"req-hdr=0, null-body=170", BodyKind::NullBody, 170},
               {"res-hdr=0, res-body=222", BodyKind::ResBody, 222},
               {"opt-body=0", BodyKind::OptBody, 0},
               {"null-body=0", BodyKind::NullBody, 0}};
  for (const Case& c : cases) {
    Result<Encapsulated> r = parseEncapsulated(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error();
    EXPECT_EQ(r->bodyKind(), c.kind) << c.text;
    EXPECT_EQ(r->bodyOffset(), c.offset) << c.text;
    EXPECT_EQ(formatEncapsulated(*r), c.text);
  }
}

TEST(IcapEncapsulatedTest, AcceptsAnyCaseAndSpacesAroundCommas) {
  Result<Encapsulated> r = parseEncapsulated(" REQ-HDR=0 ,\tNull-Body=63 ");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->nullBody, 63u);
  EXPECT_EQ(formatEncapsulated(*r), "req-hdr=0, null-body=63");
}

TEST(IcapEncapsulatedTest, RejectsAnEmptyValueOrEntry) {
  EXPECT_TRUE(contains(encapsulatedError(""), "empty value"));
  EXPECT_TRUE(contains(encapsulatedError("  "), "empty value"));
  EXPECT_TRUE(contains(encapsulatedError("req-hdr=0,, null-body=5"), "empty entry"));
  EXPECT_TRUE(contains(encapsulatedError("null-body=0,"), "empty entry"));
}

TEST(IcapEncapsulatedTest, RejectsAnEntryWithoutOffset) {
  EXPECT_TRUE(contains(encapsulatedError("null-body"), "not name=offset"));
  EXPECT_TRUE(contains(encapsulatedError("null-body="), "offset of null-body"));
}

TEST(IcapEncapsulatedTest, RejectsUnknownNames) {
  EXPECT_TRUE(
      contains(encapsulatedError("req-hdr=0, foo-body=10"), "unknown entry name 'foo-body'"));
  EXPECT_TRUE(contains(encapsulatedError("req-hdr =0, null-body=10"), "unknown entry name"));
}

TEST(IcapEncapsulatedTest, QuotesAtMost40BytesOfTheInput) {
  std::string error = encapsulatedError(std::string(500, 'x') + "=0, null-body=1");
  EXPECT_TRUE(contains(error, "unknown entry name '" + std::string(40, 'x') + "...'")) << error;
  EXPECT_LT(error.size(), 100u);
}

TEST(IcapEncapsulatedTest, RejectsANameGivenTwice) {
  EXPECT_TRUE(
      contains(encapsulatedError("req-hdr=0, req-hdr=10, null-body=20"), "req-hdr given twice"));
  EXPECT_TRUE(
      contains(encapsulatedError("res-hdr=0, res-hdr=10, res-body=20"), "res-hdr given twice"));
}

TEST(IcapEncapsulatedTest, RejectsSignsSpacesAndNonDigitsInOffsets) {
  for (const char* v : {"null-body=+0", "null-body=-0", "null-body= 0", "null-body=0x10",
                        "null-body=1e3", "req-hdr=0, null-body=12a"})
    EXPECT_TRUE(contains(encapsulatedError(v), "is not a decimal number")) << v;
}

TEST(IcapEncapsulatedTest, RejectsOverflowingOffsets) {
  EXPECT_TRUE(contains(encapsulatedError("req-hdr=0, null-body=99999999999999999999999"),
                       "is not a decimal number"));
  std::string justOver = "req-hdr=0, null-body=" + std::to_string(kMaxEncapsulatedOffset + 1);
  EXPECT_TRUE(contains(encapsulatedError(justOver), "is not a decimal number"));
  std::string atMax = "req-hdr=0, null-body=" + std::to_string(kMaxEncapsulatedOffset);
  EXPECT_TRUE(parseEncapsulated(atMax).ok());
}

TEST(IcapEncapsulatedTest, RejectsAFirstOffsetOtherThanZero) {
  EXPECT_TRUE(contains(encapsulatedError("req-hdr=5, null-body=20"), "not 0"));
  EXPECT_TRUE(contains(encapsulatedError("null-body=3"), "not 0"));
}

TEST(IcapEncapsulatedTest, RejectsOffsetsThatDoNotIncrease) {
  EXPECT_TRUE(contains(encapsulatedError("req-hdr=0, res-hdr=0, res-body=10"),
                       "not greater than the one before"));
  EXPECT_TRUE(contains(encapsulatedError("req-hdr=0, res-hdr=137, res-body=100"),
                       "not greater than the one before"));
}

TEST(IcapEncapsulatedTest, RejectsReqHdrAfterResHdr) {
  EXPECT_TRUE(
      contains(encapsulatedError("res-hdr=0, req-hdr=10, res-body=20"), "req-hdr after res-hdr"));
}

TEST(IcapEncapsulatedTest, RejectsAMissingBody) {
  EXPECT_TRUE(contains(encapsulatedError("req-hdr=0"), "no body entry"));
  EXPECT_TRUE(contains(encapsulatedError("req-hdr=0, res-hdr=10"), "no body entry"));
}

TEST(IcapEncapsulatedTest, RejectsTwoBodies) {
  EXPECT_TRUE(
      contains(encapsulatedError("req-hdr=0, req-body=10, null-body=20"), "two body entries"));
  EXPECT_TRUE(contains(encapsulatedError("null-body=0, opt-body=1"), "two body entries"));
}

TEST(IcapEncapsulatedTest, RejectsAHeaderAfterTheBody) {
  EXPECT_TRUE(contains(encapsulatedError("req-body=0, req-hdr=10"), "must be last"));
  EXPECT_TRUE(contains(encapsulatedError("req-hdr=0, null-body=10, res-hdr=20"), "must be last"));
}

TEST(IcapEncapsulatedTest, ErrorsNameTheHeader) {
  EXPECT_EQ(encapsulatedError("req-hdr=0").rfind("Encapsulated: ", 0), 0u);
}

TEST(IcapEncapsulatedTest, BuildsFromSectionLengths) {
  Encapsulated e =
      encapsulatedFor(kOriginRequestHead.size(), kOriginResponseHead.size(), BodyKind::ResBody);
  EXPECT_EQ(formatEncapsulated(e), "req-hdr=0, res-hdr=137, res-body=296");
  EXPECT_EQ(formatEncapsulated(encapsulatedFor(kGetHead.size(), std::nullopt, BodyKind::NullBody)),
            "req-hdr=0, null-body=170");
  EXPECT_EQ(formatEncapsulated(encapsulatedFor(std::nullopt, 222, BodyKind::ResBody)),
            "res-hdr=0, res-body=222");
  EXPECT_EQ(formatEncapsulated(encapsulatedFor(std::nullopt, std::nullopt, BodyKind::OptBody)),
            "opt-body=0");
  EXPECT_EQ(formatEncapsulated(encapsulatedFor(std::nullopt, std::nullopt, BodyKind::NullBody)),
            "null-body=0");
}

TEST(IcapEncapsulatedTest, BuildThenParseGivesTheSameOffsets) {
  for (std::optional<size_t> req : {std::optional<size_t>(), std::optional<size_t>(1),
                                    std::optional<size_t>(137), std::optional<size_t>(65536)})
    for (std::optional<size_t> res :
         {std::optional<size_t>(), std::optional<size_t>(4), std::optional<size_t>(159)})
      for (BodyKind kind :
           {BodyKind::ReqBody, BodyKind::ResBody, BodyKind::OptBody, BodyKind::NullBody}) {
        Encapsulated built = encapsulatedFor(req, res, kind);
        Result<Encapsulated> parsed = parseEncapsulated(formatEncapsulated(built));
        ASSERT_TRUE(parsed.ok()) << formatEncapsulated(built) << ": " << parsed.error();
        EXPECT_EQ(*parsed, built) << formatEncapsulated(built);
      }
}

// ---- response head ----

TEST(IcapResponseHeadTest, ParsesTheReqmodAnswerAndCutsTheModifiedRequest) {
  std::string wire = kReqmodAnswer + kModifiedGetHead;
  HeadOutcome o = parseHead(wire);
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.consumed, kReqmodAnswer.size());
  EXPECT_EQ(o.head.status, 200);
  EXPECT_EQ(o.head.reason, "OK");
  ASSERT_EQ(o.head.fields.size(), 5u);
  EXPECT_EQ(o.head.fields[3].name, "ISTag");
  ASSERT_NE(o.head.field("istag"), nullptr);
  EXPECT_EQ(*o.head.field("istag"), "\"W3E4R7U9-L2E4-2\"");
  EXPECT_EQ(*o.head.field("CONNECTION"), "close");
  EXPECT_EQ(o.head.field("X-Missing"), nullptr);
  ASSERT_TRUE(o.head.encapsulated.has_value());
  EXPECT_EQ(o.head.encapsulated->nullBody, 231u);

  Result<EncapsulatedHeads> heads =
      cutHeads(*o.head.encapsulated, std::string_view(wire).substr(o.consumed));
  ASSERT_TRUE(heads.ok()) << heads.error();
  EXPECT_EQ(heads->reqHdr, kModifiedGetHead);
  EXPECT_TRUE(heads->resHdr.empty());
}

TEST(IcapResponseHeadTest, ParsesTheRespmodAnswerAndItsBody) {
  std::string wire = kRespmodAnswer + kAdaptedResponseHead + kAdaptedBodyChunked + "NEXT";
  HeadOutcome o = parseHead(wire);
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  ASSERT_TRUE(o.head.encapsulated.has_value());
  EXPECT_EQ(o.head.encapsulated->resBody, 222u);
  std::string_view after = std::string_view(wire).substr(o.consumed);
  Result<EncapsulatedHeads> heads = cutHeads(*o.head.encapsulated, after);
  ASSERT_TRUE(heads.ok()) << heads.error();
  EXPECT_TRUE(heads->reqHdr.empty());
  EXPECT_EQ(heads->resHdr, kAdaptedResponseHead);

  ChunkOutcome body = decode(after.substr(o.head.encapsulated->bodyOffset()));
  ASSERT_EQ(body.status, ParseStatus::Done) << body.error;
  EXPECT_EQ(body.data, kAdaptedBody);
  EXPECT_EQ(body.data.size(), 92u);
  EXPECT_EQ(after.substr(o.head.encapsulated->bodyOffset() + body.consumed), "NEXT");
}

TEST(IcapResponseHeadTest, A204WithoutEncapsulatedHasNoBody) {
  std::string wire = "ICAP/1.0 204 No Content\r\nISTag: \"x\"\r\n\r\n";
  HeadOutcome o = parseHead(wire + "ICAP/1.0 200 OK\r\n");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.consumed, wire.size());
  EXPECT_EQ(o.head.status, 204);
  EXPECT_EQ(o.head.reason, "No Content");
  EXPECT_FALSE(o.head.encapsulated.has_value());
}

TEST(IcapResponseHeadTest, ToleratesAnEmptyOrMissingReason) {
  HeadOutcome o = parseHead("ICAP/1.0 100 \r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.head.status, 100);
  EXPECT_EQ(o.head.reason, "");
  o = parseHead("ICAP/1.0 100\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.head.status, 100);
}

TEST(IcapResponseHeadTest, TrimsValuesAndKeepsRepeatedFields) {
  HeadOutcome o = parseHead("ICAP/1.0 200 OK\r\nX-A:  one \t\r\nx-a:two\r\nX-Empty:\r\n"
                            "Encapsulated: null-body=0\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(*o.head.field("X-A"), "one");
  EXPECT_EQ(o.head.count("X-A"), 2u);
  EXPECT_EQ(o.head.fields[1].value, "two");
  EXPECT_EQ(*o.head.field("x-empty"), "");
}

TEST(IcapResponseHeadTest, NeedsMoreUntilTheEmptyLine) {
  ResponseHeadParser p;
  EXPECT_EQ(p.feed("ICAP/1.0 204 No Content\r\n").status, ParseStatus::NeedMore);
  EXPECT_EQ(p.feed("ISTag: \"x\"\r\n\r").status, ParseStatus::NeedMore);
  Progress pr = p.feed("\nrest");
  EXPECT_EQ(pr.status, ParseStatus::Done);
  EXPECT_EQ(pr.consumed, 1u);
  EXPECT_EQ(p.feed("more").consumed, 0u); // done: nothing more is taken
}

TEST(IcapResponseHeadTest, RejectsABareLf) {
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 OK\n\r\n"), "bare LF"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 OK\r\nISTag: \"x\"\n\r\n"), "bare LF"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 OK\r\n\n"), "bare LF"));
}

TEST(IcapResponseHeadTest, RejectsALoneCr) {
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 OK\r\nA: b\rc\r\n\r\n"), "CR not followed by LF"));
}

TEST(IcapResponseHeadTest, RejectsNul) {
  EXPECT_TRUE(contains(headError(std::string("ICAP/1.0 200 OK\r\nA: b\0c\r\n\r\n", 26)), "NUL"));
}

TEST(IcapResponseHeadTest, RejectsFoldedLines) {
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 OK\r\nA: b\r\n c\r\n\r\n"), "folded"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 OK\r\nA: b\r\n\tc\r\n\r\n"), "folded"));
}

TEST(IcapResponseHeadTest, RejectsBadStatusLines) {
  EXPECT_TRUE(contains(headError("HTTP/1.1 200 OK\r\n\r\n"), "ICAP/1.0"));
  EXPECT_TRUE(contains(headError("ICAP/1.1 200 OK\r\n\r\n"), "ICAP/1.0"));
  EXPECT_TRUE(contains(headError("icap/1.0 200 OK\r\n\r\n"), "ICAP/1.0"));
  EXPECT_TRUE(contains(headError("\r\nICAP/1.0 200 OK\r\n\r\n"), "ICAP/1.0"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 20 OK\r\n\r\n"), "three digits"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 2000 OK\r\n\r\n"), "three digits"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 +20 OK\r\n\r\n"), "three digits"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 099 OK\r\n\r\n"), "out of 100..599"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 600 OK\r\n\r\n"), "out of 100..599"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 O\x01K\r\n\r\n"), "reason"));
}

TEST(IcapResponseHeadTest, RejectsBadFieldLines) {
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 OK\r\nNoColon\r\n\r\n"), "without a colon"));
  EXPECT_TRUE(
      contains(headError("ICAP/1.0 200 OK\r\nISTag : \"x\"\r\n\r\n"), "invalid header name"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 OK\r\n: x\r\n\r\n"), "invalid header name"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 OK\r\nA\"b: x\r\n\r\n"), "invalid header name"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 OK\r\nA: b\x7f\r\n\r\n"), "control character"));
}

TEST(IcapResponseHeadTest, RejectsAHeadOverTheByteLimit) {
  std::string big = "ICAP/1.0 200 OK\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n";
  EXPECT_TRUE(contains(headError(big), "larger than 65536"));
  // Exactly at the limit is accepted; one byte more is not.
  std::string head = "ICAP/1.0 200 OK\r\nX: \r\n\r\n";
  HeadLimits limits;
  limits.maxHeadBytes = head.size();
  EXPECT_EQ(parseHead(head, limits).status, ParseStatus::Done);
  limits.maxHeadBytes = head.size() - 1;
  EXPECT_TRUE(contains(headError(head, limits), "larger than"));
  // An endless line fails without waiting for its LF.
  ResponseHeadParser p;
  EXPECT_EQ(p.feed("ICAP/1.0 200 OK\r\nX: ").status, ParseStatus::NeedMore);
  EXPECT_EQ(p.feed(std::string(70000, 'a')).status, ParseStatus::Error);
}

TEST(IcapResponseHeadTest, RejectsTooManyFields) {
  std::string head = "ICAP/1.0 200 OK\r\n";
  for (int i = 0; i < 100; ++i)
    head += "X-F: " + std::to_string(i) + "\r\n";
  EXPECT_EQ(parseHead(head + "\r\n").status, ParseStatus::Done);
  EXPECT_TRUE(contains(headError(head + "X-F: 101\r\n\r\n"), "more than 100 header fields"));
}

TEST(IcapResponseHeadTest, RejectsABadOrRepeatedEncapsulated) {
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 OK\r\nEncapsulated: req-hdr=0\r\n\r\n"),
                       "Encapsulated: no body entry"));
  EXPECT_TRUE(contains(headError("ICAP/1.0 200 OK\r\nEncapsulated: null-body=0\r\n"
                                 "encapsulated: null-body=0\r\n\r\n"),
                       "more than once"));
}

TEST(IcapResponseHeadTest, StaysInErrorAndConsumesNothingMore) {
  ResponseHeadParser p;
  EXPECT_EQ(p.feed("BAD\r\n").status, ParseStatus::Error);
  Progress again = p.feed("ICAP/1.0 200 OK\r\n\r\n");
  EXPECT_EQ(again.status, ParseStatus::Error);
  EXPECT_EQ(again.consumed, 0u);
}

TEST(IcapResponseHeadTest, ByteByByteEqualsAtOnceForEveryPrefix) {
  // parseHead() compares both; every prefix of a valid head needs more.
  std::string wire = kOptionsAnswer;
  for (size_t n = 0; n < wire.size(); ++n)
    EXPECT_EQ(parseHead(wire.substr(0, n)).status, ParseStatus::NeedMore) << n;
  EXPECT_EQ(parseHead(wire).status, ParseStatus::Done);
}

// ---- cutting the heads ----

TEST(IcapCutHeadsTest, CutsBothHeadsOfTheRespmodExample) {
  std::string after = kOriginRequestHead + kOriginResponseHead + "33\r\n";
  Result<Encapsulated> e = parseEncapsulated("req-hdr=0, res-hdr=137, res-body=296");
  ASSERT_TRUE(e.ok());
  Result<EncapsulatedHeads> heads = cutHeads(*e, after);
  ASSERT_TRUE(heads.ok()) << heads.error();
  EXPECT_EQ(heads->reqHdr, kOriginRequestHead);
  EXPECT_EQ(heads->resHdr, kOriginResponseHead);
}

TEST(IcapCutHeadsTest, NeedsEveryByteOfTheHeads) {
  Result<Encapsulated> e = parseEncapsulated("req-hdr=0, null-body=170");
  ASSERT_TRUE(e.ok());
  Result<EncapsulatedHeads> heads = cutHeads(*e, std::string_view(kGetHead).substr(0, 169));
  ASSERT_FALSE(heads.ok());
  EXPECT_TRUE(contains(heads.error(), "need 170 bytes, 169 given"));
}

TEST(IcapCutHeadsTest, RejectsOffsetsThatDoNotFitTheBytes) {
  // One byte short and one byte long: the section no longer ends with its empty line.
  Result<Encapsulated> shortBy1 = parseEncapsulated("req-hdr=0, res-hdr=136, res-body=296");
  ASSERT_TRUE(shortBy1.ok());
  std::string after = kOriginRequestHead + kOriginResponseHead;
  EXPECT_FALSE(cutHeads(*shortBy1, after).ok());
  Result<Encapsulated> twoHeadsInOne = parseEncapsulated("req-hdr=0, null-body=296");
  ASSERT_TRUE(twoHeadsInOne.ok());
  Result<EncapsulatedHeads> r = cutHeads(*twoHeadsInOne, after);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error(), "req-hdr section"));
  Encapsulated disordered;
  disordered.reqHdr = 10;
  disordered.resHdr = 5;
  disordered.nullBody = 20;
  EXPECT_FALSE(cutHeads(disordered, after).ok());
}

// ---- chunked body ----

TEST(IcapChunkedDecoderTest, DecodesThePostExample) {
  std::string body = "1e\r\nI am posting this information.\r\n0\r\n\r\n";
  ChunkOutcome o = decode(body + "ICAP/1.0");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.data, kPostBody);
  EXPECT_EQ(o.consumed, body.size());
  EXPECT_FALSE(o.ieof);
}

TEST(IcapChunkedDecoderTest, RejectsTheRfcMiscountedChunk) {
  // The chunk as RFC 3507 §4.9.3 prints it: one byte too long for its data.
  EXPECT_TRUE(contains(chunkError("5d\r\n" + kAdaptedBody + "\r\n0\r\n\r\n"),
                       "chunk data not followed by CR LF"));
}

TEST(IcapChunkedDecoderTest, ReportsIeofOnTheLastChunk) {
  ChunkOutcome o = decode("4\r\nabcd\r\n0; ieof\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.data, "abcd");
  EXPECT_TRUE(o.ieof);
  EXPECT_TRUE(decode("0;IEOF\r\n\r\n").ieof);
  EXPECT_TRUE(decode("0 ; a=1; ieof ;b=\"x;y\"\r\n\r\n").ieof);
}

TEST(IcapChunkedDecoderTest, ReportsIeofOnlyOnceTheBodyIsOver) {
  ChunkedDecoder d;
  std::string out;
  EXPECT_EQ(d.feed("0; ieof\r\n", out).status, ParseStatus::NeedMore);
  EXPECT_FALSE(d.ieof());
  EXPECT_EQ(d.feed("\r\n", out).status, ParseStatus::Done);
  EXPECT_TRUE(d.ieof());
  ChunkedDecoder broken;
  EXPECT_EQ(broken.feed("0; ieof\r\nX", out).status, ParseStatus::Error);
  EXPECT_FALSE(broken.ieof());
}

TEST(IcapChunkedDecoderTest, SkipsOtherExtensions) {
  ChunkOutcome o = decode("A;name=value;q=\"quoted \\\" str\";flag\r\n0123456789\r\n0;x=1\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.data, "0123456789");
  EXPECT_FALSE(o.ieof);
}

TEST(IcapChunkedDecoderTest, AcceptsUpperAndLowerHexAndLeadingZeros) {
  std::string data(0xAB, 'x');
  ChunkOutcome o = decode("00aB\r\n" + data + "\r\n0000\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.data, data);
}

TEST(IcapChunkedDecoderTest, NeedsMoreOnEveryPrefix) {
  std::string body = "3\r\nabc\r\n2;x=y\r\nde\r\n0; ieof\r\n\r\n";
  for (size_t n = 0; n < body.size(); ++n)
    EXPECT_EQ(decode(body.substr(0, n)).status, ParseStatus::NeedMore) << n;
  ChunkOutcome o = decode(body);
  EXPECT_EQ(o.status, ParseStatus::Done);
  EXPECT_EQ(o.data, "abcde");
}

TEST(IcapChunkedDecoderTest, RejectsAMissingSize) {
  EXPECT_TRUE(contains(chunkError("\r\n"), "hexadecimal size"));
  EXPECT_TRUE(contains(chunkError(";ieof\r\n\r\n"), "hexadecimal size"));
  EXPECT_TRUE(contains(chunkError("-1\r\n"), "hexadecimal size"));
  EXPECT_TRUE(contains(chunkError("0x10\r\n"), "after the chunk size"));
  EXPECT_TRUE(contains(chunkError("1 0\r\n"), "after the chunk size"));
}

TEST(IcapChunkedDecoderTest, RejectsAnOversizedChunk) {
  EXPECT_TRUE(contains(chunkError("40000001\r\n"), "chunk size larger than"));
  EXPECT_TRUE(contains(chunkError("ffffffffffffffffffff\r\n"), "chunk size larger than"));
  ChunkedLimits small;
  small.maxChunkSize = 16;
  EXPECT_EQ(decode("10\r\n0123456789abcdef\r\n0\r\n\r\n", small).status, ParseStatus::Done);
  EXPECT_TRUE(contains(chunkError("11\r\n", small), "chunk size larger than 16"));
}

TEST(IcapChunkedDecoderTest, RejectsAnOverlongSizeLine) {
  std::string line = "1;x=" + std::string(2000, 'a') + "\r\n";
  EXPECT_TRUE(contains(chunkError(line), "size line longer than 1024"));
  ChunkedLimits limits;
  limits.maxSizeLine = 5;
  EXPECT_EQ(decode("1;abc\r\nx\r\n0\r\n\r\n", limits).status, ParseStatus::Done);
  EXPECT_TRUE(contains(chunkError("1;abcd\r\nx\r\n0\r\n\r\n", limits), "longer than 5"));
}

TEST(IcapChunkedDecoderTest, RejectsBadExtensions) {
  EXPECT_TRUE(contains(chunkError("1;\r\n"), "without a name"));
  EXPECT_TRUE(contains(chunkError("1;=x\r\n"), "without a name"));
  EXPECT_TRUE(contains(chunkError("1;a=\r\n"), "without a value"));
  EXPECT_TRUE(contains(chunkError("1;a=\"open\r\n"), "unterminated"));
  EXPECT_TRUE(contains(chunkError("1;a=b c\r\n"), "after the chunk size"));
}

TEST(IcapChunkedDecoderTest, RejectsIeofOnADataChunk) {
  EXPECT_TRUE(contains(chunkError("1; ieof\r\nx\r\n0\r\n\r\n"), "ieof on a chunk"));
}

TEST(IcapChunkedDecoderTest, RequiresCrLfAfterTheData) {
  EXPECT_TRUE(contains(chunkError("3\r\nabcd\r\n"), "not followed by CR LF"));
  EXPECT_TRUE(contains(chunkError("3\r\nabc\n0\r\n\r\n"), "not followed by CR LF"));
  EXPECT_TRUE(contains(chunkError("3\r\nabc\rx"), "CR not followed by LF"));
}

TEST(IcapChunkedDecoderTest, RejectsBareLfAndLoneCrInSizeLines) {
  EXPECT_TRUE(contains(chunkError("3\nabc\r\n"), "bare LF"));
  EXPECT_TRUE(contains(chunkError("0\n\r\n"), "bare LF"));
  EXPECT_TRUE(contains(chunkError("3\rx\r\n"), "CR inside"));
  EXPECT_TRUE(contains(chunkError("0\r\n\n"), "trailer fields or garbage"));
  EXPECT_TRUE(contains(chunkError("0\r\n\rx"), "CR not followed by LF"));
}

TEST(IcapChunkedDecoderTest, RejectsTrailers) {
  EXPECT_TRUE(contains(chunkError("0\r\nX-Trailer: 1\r\n\r\n"), "trailer fields"));
}

TEST(IcapChunkedDecoderTest, StaysDoneOrFailed) {
  ChunkedDecoder d;
  std::string out;
  EXPECT_EQ(d.feed("0\r\n\r\n", out).status, ParseStatus::Done);
  Progress again = d.feed("1\r\nx\r\n", out);
  EXPECT_EQ(again.status, ParseStatus::Done);
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_TRUE(out.empty());
  ChunkedDecoder bad;
  EXPECT_EQ(bad.feed("z", out).status, ParseStatus::NeedMore);
  EXPECT_EQ(bad.feed("\r\n", out).status, ParseStatus::Error);
  EXPECT_EQ(bad.feed("0\r\n\r\n", out).consumed, 0u);
}

TEST(IcapChunkEncoderTest, EncodesChunksAndLastChunks) {
  EXPECT_EQ(encodeChunk(kPostBody), "1e\r\nI am posting this information.\r\n");
  EXPECT_EQ(encodeChunk(""), "");
  EXPECT_EQ(encodeChunk(std::string(4096, 'z')).substr(0, 6), "1000\r\n");
  EXPECT_EQ(lastChunk(), "0\r\n\r\n");
  EXPECT_EQ(lastChunk(true), "0; ieof\r\n\r\n");
  std::string out = "x";
  appendChunk(out, "ab");
  EXPECT_EQ(out, "x2\r\nab\r\n");
}

TEST(IcapChunkEncoderTest, EncodeThenDecodeGivesTheData) {
  for (bool ieof : {false, true}) {
    std::string wire;
    std::string expected;
    for (size_t n : {1u, 15u, 16u, 255u, 256u, 4097u}) {
      std::string piece(n, static_cast<char>('a' + n % 26));
      appendChunk(wire, piece);
      expected += piece;
    }
    wire += lastChunk(ieof);
    ChunkOutcome o = decode(wire);
    ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
    EXPECT_EQ(o.data, expected);
    EXPECT_EQ(o.ieof, ieof);
    EXPECT_EQ(o.consumed, wire.size());
  }
}

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

// ---- OPTIONS ----

ServiceOptions optionsOf(const std::string& wire) {
  HeadOutcome o = parseHead(wire);
  EXPECT_EQ(o.status, ParseStatus::Done) << o.error;
  Result<ServiceOptions> r = interpretOptions(o.head);
  EXPECT_TRUE(r.ok()) << r.error();
  return r ? *r : ServiceOptions();
}

std::string optionsError(const std::string& wire) {
  HeadOutcome o = parseHead(wire);
  EXPECT_EQ(o.status, ParseStatus::Done) << o.error;
  Result<ServiceOptions> r = interpretOptions(o.head);
  EXPECT_FALSE(r.ok());
  return r ? std::string() : r.error();
}

std::string optionsWith(std::string_view extra) {
  return "ICAP/1.0 200 OK\r\nMethods: REQMOD\r\nISTag: \"t1\"\r\n" + std::string(extra) + "\r\n";
}

TEST(IcapOptionsTest, ReadsTheRfcExample) {
  ServiceOptions o = optionsOf(kOptionsAnswer);
  EXPECT_FALSE(o.reqmod);
  EXPECT_TRUE(o.respmod);
  EXPECT_EQ(o.istag, "W3E4R7U9-L2E4-2");
  EXPECT_EQ(o.service, "FOO Tech Server 1.0");
  EXPECT_EQ(o.maxConnections, 1000u);
  EXPECT_EQ(o.optionsTtl, 7200u);
  EXPECT_TRUE(o.allow204);
  EXPECT_EQ(o.preview, 2048u);
  EXPECT_EQ(o.transferComplete, (std::vector<std::string>{"asp", "bat", "exe", "com"}));
  EXPECT_EQ(o.transferIgnore, (std::vector<std::string>{"html"}));
  EXPECT_EQ(o.transferPreview, (std::vector<std::string>{"*"}));
  EXPECT_EQ(o.transferFor("EXE"), Transfer::Complete);
  EXPECT_EQ(o.transferFor("html"), Transfer::Ignore);
  EXPECT_EQ(o.transferFor("gif"), Transfer::Preview);
}

TEST(IcapOptionsTest, DefaultsWhenOptionalFieldsAreAbsent) {
  ServiceOptions o = optionsOf(optionsWith(""));
  EXPECT_TRUE(o.reqmod);
  EXPECT_FALSE(o.respmod);
  EXPECT_EQ(o.istag, "t1");
  EXPECT_EQ(o.service, "");
  EXPECT_FALSE(o.preview.has_value());
  EXPECT_FALSE(o.maxConnections.has_value());
  EXPECT_FALSE(o.optionsTtl.has_value());
  EXPECT_FALSE(o.allow204);
  EXPECT_TRUE(o.transferPreview.empty() && o.transferIgnore.empty() && o.transferComplete.empty());
  EXPECT_EQ(o.transferFor("exe"), Transfer::Complete); // RFC 3507: no preview unless asked for
}

TEST(IcapOptionsTest, ReadsBothMethodsAndIgnoresUnknownOnes) {
  ServiceOptions o = optionsOf(
      "ICAP/1.0 200 OK\r\nMethods: REQMOD, RESPMOD FOO\r\nISTag: \"a\\\"b\"\r\nX-Other: 1\r\n\r\n");
  EXPECT_TRUE(o.reqmod && o.respmod);
  EXPECT_EQ(o.istag, "a\"b");
}

TEST(IcapOptionsTest, ExplicitListWinsOverStar) {
  ServiceOptions o = optionsOf(optionsWith("Transfer-Ignore: *\r\nTransfer-Preview: DOC\r\n"));
  EXPECT_EQ(o.transferFor("doc"), Transfer::Preview);
  EXPECT_EQ(o.transferFor("zip"), Transfer::Ignore);
}

TEST(IcapOptionsTest, RejectsAnotherStatus) {
  EXPECT_TRUE(
      contains(optionsError("ICAP/1.0 404 Not Found\r\nISTag: \"x\"\r\n\r\n"), "status 404"));
}

TEST(IcapOptionsTest, RejectsMissingOrUselessMethods) {
  EXPECT_TRUE(contains(optionsError("ICAP/1.0 200 OK\r\nISTag: \"x\"\r\n\r\n"), "no Methods"));
  EXPECT_TRUE(contains(optionsError("ICAP/1.0 200 OK\r\nMethods: OPTIONS\r\nISTag: \"x\"\r\n\r\n"),
                       "neither REQMOD nor RESPMOD"));
  EXPECT_TRUE(contains(optionsError("ICAP/1.0 200 OK\r\nMethods: reqmod\r\nISTag: \"x\"\r\n\r\n"),
                       "neither REQMOD nor RESPMOD"));
}

TEST(IcapOptionsTest, RejectsBadIsTags) {
  auto withTag = [](std::string_view tag) {
    return "ICAP/1.0 200 OK\r\nMethods: REQMOD\r\n" + std::string(tag) + "\r\n";
  };
  EXPECT_TRUE(contains(optionsError(withTag("")), "no ISTag"));
  EXPECT_TRUE(contains(optionsError(withTag("ISTag: abc\r\n")), "not a quoted string"));
  EXPECT_TRUE(contains(optionsError(withTag("ISTag: \"abc\r\n")), "not a quoted string"));
  EXPECT_TRUE(contains(optionsError(withTag("ISTag: \"a\"b\"\r\n")), "not a quoted string"));
  EXPECT_TRUE(contains(optionsError(withTag("ISTag: \"abc\\\"\r\n")), "not a quoted string"));
  EXPECT_TRUE(contains(optionsError(withTag("ISTag: \"\"\r\n")), "1 to 32 bytes"));
  std::string longest = "ISTag: \"" + std::string(32, 'x') + "\"\r\n";
  EXPECT_EQ(optionsOf(withTag(longest)).istag.size(), 32u);
  std::string tooLong = "ISTag: \"" + std::string(33, 'x') + "\"\r\n";
  EXPECT_TRUE(contains(optionsError(withTag(tooLong)), "1 to 32 bytes"));
}

TEST(IcapOptionsTest, RejectsFieldsGivenTwice) {
  EXPECT_TRUE(contains(optionsError(optionsWith("Preview: 1\r\nPreview: 2\r\n")),
                       "Preview given more than once"));
  EXPECT_TRUE(
      contains(optionsError(optionsWith("ISTag: \"t2\"\r\n")), "ISTag given more than once"));
}

TEST(IcapOptionsTest, RejectsBadNumbers) {
  EXPECT_TRUE(contains(optionsError(optionsWith("Preview: -1\r\n")), "Preview"));
  EXPECT_TRUE(contains(optionsError(optionsWith("Preview: 16777217\r\n")), "Preview"));
  EXPECT_EQ(optionsOf(optionsWith("Preview: 16777216\r\n")).preview, 16777216u);
  EXPECT_TRUE(contains(optionsError(optionsWith("Max-Connections: 0\r\n")), "Max-Connections"));
  EXPECT_TRUE(
      contains(optionsError(optionsWith("Max-Connections: 4294967296\r\n")), "Max-Connections"));
  EXPECT_TRUE(contains(optionsError(optionsWith("Options-TTL: 1h\r\n")), "Options-TTL"));
  EXPECT_EQ(optionsOf(optionsWith("Options-TTL: 0\r\n")).optionsTtl, 0u);
}

TEST(IcapOptionsTest, RejectsBadOrContradictoryTransferLists) {
  EXPECT_TRUE(contains(optionsError(optionsWith("Transfer-Ignore: a\"b\r\n")),
                       "not a list of file extensions"));
  EXPECT_TRUE(
      contains(optionsError(optionsWith("Transfer-Ignore: exe\r\nTransfer-Complete: EXE\r\n")),
               "'exe' is in two Transfer-* lists"));
  EXPECT_TRUE(contains(optionsError(optionsWith("Transfer-Ignore: *\r\nTransfer-Preview: *\r\n")),
                       "'*' is in two"));
}

TEST(IcapOptionsTest, Allow204IsOneItemOfAList) {
  EXPECT_TRUE(optionsOf(optionsWith("Allow: trailers, 204\r\n")).allow204);
  EXPECT_FALSE(optionsOf(optionsWith("Allow: 2040\r\n")).allow204);
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
} // namespace exaproxy::icap
