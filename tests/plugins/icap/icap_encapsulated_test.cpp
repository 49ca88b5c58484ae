// icap_core: the Encapsulated header (and the RFC examples' own offsets), parsed strictly
// (one failing case per rule) and built from the heads' lengths.
#include "icap_wire_support.h"

namespace exaproxy::icap::test {
namespace {

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

} // namespace
} // namespace exaproxy::icap::test
