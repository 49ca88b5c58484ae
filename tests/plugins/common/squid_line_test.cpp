// plugins/common: what every Squid helper protocol shares, seen with auth and external-ACL
// answers: channel IDs, line framing, the OK/ERR/BH grammar with notes, and SquidLineCodec.
#include "helper_channel.h"
#include "helper_line.h"
#include "squid_line_codec.h"
#include "squid_reply.h"

#include <gtest/gtest.h>

using namespace exaproxy::common;

TEST(HelperChannelTest, PrefixAndTakeRoundTrip) {
  EXPECT_EQ(channelPrefix(7), "7 ");
  std::string answer = "7 OK user=alice";
  EXPECT_EQ(takeChannel(answer), 7u);
  EXPECT_EQ(answer, "OK user=alice");
  answer = "18446744073709551615\tERR";
  EXPECT_EQ(takeChannel(answer), 18446744073709551615ull);
  EXPECT_EQ(answer, "ERR");
  answer = "12";
  EXPECT_EQ(takeChannel(answer), 12u);
  EXPECT_EQ(answer, "");
}

TEST(HelperChannelTest, NoChannelLeavesTheAnswerAlone) {
  for (std::string s : {"OK", "7x OK", "", " 7 OK", "99999999999999999999 OK"}) {
    std::string answer = s;
    EXPECT_FALSE(takeChannel(answer)) << s;
    EXPECT_EQ(answer, s);
  }
}

TEST(HelperLineTest, FrameLineIsMalformedOnlyPastTheLimit) {
  std::string buffer = "OK\r\npart";
  std::string line;
  EXPECT_EQ(frameLine(buffer, line, 8), FrameStatus::Complete);
  EXPECT_EQ(line, "OK");
  EXPECT_EQ(frameLine(buffer, line, 8), FrameStatus::NeedMore);
  EXPECT_EQ(line, "OK"); // untouched
  buffer += "ialx";      // 8 bytes without a line end: still NeedMore
  EXPECT_EQ(frameLine(buffer, line, 8), FrameStatus::NeedMore);
  buffer += "y"; // 9
  EXPECT_EQ(frameLine(buffer, line, 8), FrameStatus::Malformed);
}

TEST(SquidReplyTest, AuthAndExternalAclAnswers) {
  SquidReply ok = parseSquidReply(R"(OK user=alice tag=staff message="welcome back" ttl=%36%30)");
  EXPECT_EQ(ok.result, SquidReply::Result::Ok);
  ASSERT_NE(ok.note("user"), nullptr);
  EXPECT_EQ(*ok.note("user"), "alice");
  EXPECT_EQ(*ok.note("tag"), "staff");
  EXPECT_EQ(*ok.note("message"), "welcome back");
  EXPECT_EQ(*ok.note("ttl"), "60"); // bare values are %-decoded
  EXPECT_EQ(ok.note("group"), nullptr);

  SquidReply err = parseSquidReply("ERR message=\"bad password\"");
  EXPECT_EQ(err.result, SquidReply::Result::Err);
  EXPECT_EQ(*err.note("message"), "bad password");

  SquidReply bh = parseSquidReply("BH message=\"ldap down\"");
  EXPECT_EQ(bh.result, SquidReply::Result::BrokenHelper);
  EXPECT_EQ(brokenReason(bh), "helper said BH: ldap down");
  EXPECT_EQ(brokenReason(parseSquidReply("BH")), "helper said BH");
  // Older helpers give their reason as free text (negotiate_kerberos_auth, basic_ldap_auth).
  EXPECT_EQ(brokenReason(parseSquidReply("BH gss_accept_sec_context() failed: x ")),
            "helper said BH: gss_accept_sec_context() failed: x");
  EXPECT_EQ(parseSquidReply("ERR message=no then free text").text, "then free text");
  EXPECT_EQ(parseSquidReply("OK user=a").text, "");

  EXPECT_EQ(squidResult("OK"), SquidReply::Result::Ok);
  EXPECT_EQ(squidResult("ERR x=1"), SquidReply::Result::Err);
  EXPECT_EQ(squidResult("BHx"), SquidReply::Result::Unknown);
  SquidReply legacy = parseSquidReply("  http://e.test/ junk");
  EXPECT_EQ(legacy.result, SquidReply::Result::Unknown);
  EXPECT_EQ(legacy.legacy, "http://e.test/");
}

TEST(SquidReplyTest, FieldsOfARequestLineAreEncoded) {
  EXPECT_EQ(percentEncodeField("alice smith"), "alice%20smith");
  EXPECT_EQ(percentDecode(percentEncodeField("p%ss w\x01rd")), "p%ss w\x01rd");
}

TEST(SquidLineCodecTest, FramesLinesAndKnowsBrokenAnswers) {
  SquidLineCodec codec;
  std::string buffer = "OK user=alice\nBH message=\"ldap down\"\n";
  std::string answer;
  ASSERT_EQ(codec.frame(buffer, answer), FrameStatus::Complete);
  EXPECT_EQ(answer, "OK user=alice");
  EXPECT_FALSE(codec.broken(answer));
  ASSERT_EQ(codec.frame(buffer, answer), FrameStatus::Complete);
  EXPECT_EQ(codec.broken(answer), "helper said BH: ldap down");
  EXPECT_EQ(codec.frame(buffer, answer), FrameStatus::NeedMore);
  std::string endless(SquidLineCodec::kMaxAnswer + 1, 'x');
  EXPECT_EQ(codec.frame(endless, answer), FrameStatus::Malformed);
  EXPECT_TRUE(codec.takesChannels());
  EXPECT_EQ(codec.maxRequestSize(), 9216u);
}
