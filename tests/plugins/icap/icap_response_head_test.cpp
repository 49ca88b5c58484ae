// icap_core: the ICAP response head (strict: one failing case per rule, byte by byte against
// all at once) and the cutting of the encapsulated heads.
#include "icap_wire_support.h"

namespace exaproxy::icap::test {
namespace {

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

} // namespace
} // namespace exaproxy::icap::test
