// icap_core: reading an OPTIONS answer (methods, ISTag, preview, Transfer-* lists, numbers).
#include "icap_wire_support.h"

namespace exaproxy::icap::test {
namespace {

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

} // namespace
} // namespace exaproxy::icap::test
