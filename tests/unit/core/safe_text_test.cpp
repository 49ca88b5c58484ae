#include "core/safe_text.h"

#include <gtest/gtest.h>

using exaproxy::isSafeText;
using exaproxy::safeText;

TEST(SafeText, PlainTextAndUtf8AreKept) {
  EXPECT_EQ(safeText("blocked by policy: ads.example"), "blocked by policy: ads.example");
  EXPECT_EQ(safeText("Zugriff verweigert \xc3\xa9\xe2\x82\xac \xf0\x9f\x9a\xab"),
            "Zugriff verweigert \xc3\xa9\xe2\x82\xac \xf0\x9f\x9a\xab");
  EXPECT_TRUE(isSafeText("a \"quoted\" <b>word</b>")); // HTML is the page's escaping
}

TEST(SafeText, ControlBytesAndDelAreEscaped) {
  using namespace std::string_literals;
  EXPECT_EQ(safeText("a\nb"), "a\\x0ab");
  EXPECT_EQ(safeText("a\r\nfake=line"), "a\\x0d\\x0afake=line");
  EXPECT_EQ(safeText("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(safeText("nul\0here"s), "nul\\x00here");
  EXPECT_EQ(safeText("del\x7f"), "del\\x7f");
  EXPECT_EQ(safeText("tab\there"), "tab\\x09here");
  EXPECT_FALSE(isSafeText("a\nb"));
}

TEST(SafeText, MalformedUtf8AndC1ControlsAreEscaped) {
  EXPECT_EQ(safeText("\xff"), "\\xff");
  EXPECT_EQ(safeText("\xc3"), "\\xc3");                   // truncated sequence
  EXPECT_EQ(safeText("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
  EXPECT_EQ(safeText("\xed\xa0\x80"), "\\xed\\xa0\\x80"); // a surrogate
  EXPECT_EQ(safeText("\xc2\x9b"
                     "31m"),
            "\\xc2\\x9b31m");                                      // C1 CSI
  EXPECT_EQ(safeText("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); // above U+10FFFF
}

TEST(SafeText, LongTextIsCutWithoutSplittingACharacterOrAnEscape) {
  std::string s = safeText(std::string(5000, 'x'));
  EXPECT_LE(s.size(), exaproxy::kSafeTextMax + 3);
  EXPECT_EQ(s.substr(s.size() - 3), "...");
  std::string u = safeText(std::string(10, '\x01'), 10);
  EXPECT_EQ(u, "\\x01\\x01...");
  std::string e = safeText("ab\xc3\xa9", 3);
  EXPECT_EQ(e, "ab...");
}
