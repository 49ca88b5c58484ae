// The answer reader: one ICAP answer fed in pieces of any size (byte by byte included) gives the
// same head, heads and body; a 100 Continue stops it until the caller goes on; a second one, a
// bad chunk or offsets that do not fit the bytes are refused; bytes after the answer are left.
#include "icap_answer_reader.h"

#include <gtest/gtest.h>

namespace exaproxy::icap {
namespace {

const std::string kResHdr = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n";
const std::string kAnswer =
    "ICAP/1.0 200 OK\r\nISTag: \"x\"\r\nEncapsulated: res-hdr=0, res-body=" +
    std::to_string(kResHdr.size()) + "\r\n\r\n" + kResHdr +
    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

// Feeds `bytes` in pieces of `step`; returns what was not consumed.
std::string feedAll(AnswerReader& r, std::string_view bytes, size_t step, std::string& body) {
  std::string pending;
  for (size_t at = 0; at < bytes.size(); at += step) {
    pending.append(bytes.substr(at, step));
    auto p = r.feed(pending, body);
    pending.erase(0, p.consumed);
    if (p.status != ParseStatus::NeedMore)
      break;
  }
  return pending;
}

TEST(IcapAnswerReader, AnyPieceSizeGivesTheSameAnswer) {
  for (size_t step : {size_t{1}, size_t{3}, size_t{17}, kAnswer.size()}) {
    AnswerReader r;
    std::string body;
    std::string left = feedAll(r, kAnswer + "NEXT", step, body);
    ASSERT_EQ(r.stage(), AnswerReader::Stage::Done) << "step " << step << ": " << r.error();
    EXPECT_EQ(r.head().status, 200);
    EXPECT_EQ(r.resHdr(), kResHdr);
    EXPECT_TRUE(r.reqHdr().empty());
    EXPECT_TRUE(r.hasBody());
    EXPECT_EQ(body, "hello world");
    EXPECT_TRUE(r.headsKnown());
    EXPECT_EQ(r.consumed(), kAnswer.size()) << "step " << step;
    EXPECT_TRUE(std::string_view("NEXT").starts_with(left)) << "left: " << left;
  }
}

TEST(IcapAnswerReader, TheHeadsAreKnownBeforeTheBodyEnds) {
  AnswerReader r;
  std::string body;
  auto cut = kAnswer.find("6\r\n world");
  auto p = r.feed(std::string_view(kAnswer).substr(0, cut), body);
  EXPECT_EQ(p.status, ParseStatus::NeedMore);
  EXPECT_EQ(r.stage(), AnswerReader::Stage::Body);
  EXPECT_TRUE(r.headsKnown());
  EXPECT_EQ(body, "hello") << "what came is handed out already";
}

TEST(IcapAnswerReader, A100ContinueWaitsForTheCallerAndASecondIsRefused) {
  AnswerReader r;
  std::string body;
  std::string bytes = "ICAP/1.0 100 Continue\r\n\r\n" + kAnswer;
  auto p = r.feed(bytes, body);
  EXPECT_EQ(p.status, ParseStatus::Done);
  EXPECT_EQ(p.consumed, 25u) << "nothing after the 100's head";
  EXPECT_EQ(r.stage(), AnswerReader::Stage::Continue);
  EXPECT_EQ(r.feed(std::string_view(bytes).substr(25), body).consumed, 0u)
      << "still waiting for afterContinue()";
  r.afterContinue();
  p = r.feed(std::string_view(bytes).substr(25), body);
  EXPECT_EQ(r.stage(), AnswerReader::Stage::Done) << r.error();
  EXPECT_EQ(body, "hello world");

  AnswerReader twice;
  std::string b2;
  twice.feed("ICAP/1.0 100 Continue\r\n\r\n", b2);
  twice.afterContinue();
  EXPECT_EQ(twice.feed("ICAP/1.0 100 Continue\r\n\r\n", b2).status, ParseStatus::Error);
  EXPECT_NE(twice.error().find("second 100"), std::string::npos) << twice.error();
}

TEST(IcapAnswerReader, A204HasNoBodyAndBadBytesAreRefused) {
  AnswerReader r;
  std::string body;
  EXPECT_EQ(r.feed("ICAP/1.0 204 No Content\r\nISTag: \"x\"\r\n\r\n", body).status,
            ParseStatus::Done);
  EXPECT_EQ(r.head().status, 204);
  EXPECT_FALSE(r.hasBody());

  AnswerReader chunk;
  std::string bad = kAnswer;
  bad.replace(bad.find("5\r\nhello"), 1, "z");
  EXPECT_EQ(chunk.feed(bad, body).status, ParseStatus::Error);
  EXPECT_NE(chunk.error().find("invalid chunked body"), std::string::npos) << chunk.error();

  AnswerReader offsets; // res-body one byte early: the head does not end where it says
  std::string off = kAnswer;
  off.replace(off.find("res-body=") + 9, std::to_string(kResHdr.size()).size(),
              std::to_string(kResHdr.size() - 1));
  EXPECT_EQ(offsets.feed(off, body).status, ParseStatus::Error);
  EXPECT_NE(offsets.error().find("invalid encapsulated heads"), std::string::npos)
      << offsets.error();

  AnswerReader garbage;
  EXPECT_EQ(garbage.feed("HELLO THERE\r\n\r\n", body).status, ParseStatus::Error);
  EXPECT_NE(garbage.error().find("invalid ICAP answer"), std::string::npos) << garbage.error();
}

} // namespace
} // namespace exaproxy::icap
