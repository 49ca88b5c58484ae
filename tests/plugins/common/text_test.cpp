// exaproxy/text.hpp: the text helpers the stock plugins (and vendors' plugins) share.
#include <exaproxy/text.hpp>

#include <gtest/gtest.h>

using namespace exaproxy::sdk;

TEST(TextTest, TrimDropsSpaceAndTabByDefault) {
  EXPECT_EQ(trim("  a b\t "), "a b");
  EXPECT_EQ(trim("\t\t"), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("x"), "x");
  EXPECT_EQ(trim(" a\r\n"), "a\r\n"); // CR/LF only when asked
  EXPECT_EQ(trim(" a\r\n", " \t\r\n"), "a");
}

TEST(TextTest, LowerIsAsciiOnly) {
  EXPECT_EQ(lower("Example.COM"), "example.com");
  EXPECT_EQ(lower("\xc3\x89t\xc3\xa9"), "\xc3\x89t\xc3\xa9"); // UTF-8 bytes untouched
  EXPECT_EQ(lower('Q'), 'q');
  EXPECT_EQ(lower('['), '[');
  EXPECT_TRUE(equalsIgnoreCase("X-Forwarded-For", "x-forwarded-for"));
  EXPECT_FALSE(equalsIgnoreCase("for", "fo"));
  EXPECT_FALSE(equalsIgnoreCase("a[", "A{"));
}

TEST(TextTest, HexDigit) {
  EXPECT_EQ(hexDigit('0'), 0);
  EXPECT_EQ(hexDigit('9'), 9);
  EXPECT_EQ(hexDigit('a'), 10);
  EXPECT_EQ(hexDigit('F'), 15);
  EXPECT_EQ(hexDigit('g'), -1);
  EXPECT_EQ(hexDigit('%'), -1);
}

TEST(TextTest, SplitListTakesSpacesTabsAndCommas) {
  EXPECT_EQ(splitList("a, b\tc,,d  "), (std::vector<std::string_view>{"a", "b", "c", "d"}));
  EXPECT_TRUE(splitList(" , \t").empty());
  EXPECT_EQ(splitListCopy("10.0.0.0/8, 127.0.0.1"),
            (std::vector<std::string>{"10.0.0.0/8", "127.0.0.1"}));
}

TEST(TextTest, ParseBoolAcceptsTheConfWordsInAnyCase) {
  for (const char* yes : {"yes", "true", "on", "1", "YES", "On"})
    EXPECT_EQ(parseBool(yes), true) << yes;
  for (const char* no : {"no", "false", "off", "0", "Off"})
    EXPECT_EQ(parseBool(no), false) << no;
  for (const char* bad : {"", "y", "2", "enabled"})
    EXPECT_EQ(parseBool(bad), std::nullopt) << bad;
}

// Moved from substitute's and local's tests (each had its own escaper).
TEST(TextTest, JsonStringEscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(jsonString("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
  EXPECT_EQ(jsonString("a\nb\x01"), "\"a\\nb\\u0001\"");
  EXPECT_EQ(jsonString("\r\t\x1f"), "\"\\r\\t\\u001f\"");
  EXPECT_EQ(jsonString("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  std::string out = "x";
  appendJsonEscaped(out, "\"");
  EXPECT_EQ(out, "x\\\"");
}

// Moved from headers' tests (headers and local each had their own HostPattern).
TEST(TextTest, HostPatternExactWildcardAndAny) {
  HostPattern p;
  ASSERT_TRUE(HostPattern::parse("*.Example.com", p));
  EXPECT_EQ(p.text(), "*.example.com");
  EXPECT_TRUE(p.matches("www.example.com"));
  EXPECT_TRUE(p.matches("a.b.example.com"));
  EXPECT_FALSE(p.matches("example.com"));
  EXPECT_FALSE(p.matches("badexample.com"));
  ASSERT_TRUE(HostPattern::parse("example.com", p));
  EXPECT_TRUE(p.matches("example.com"));
  EXPECT_FALSE(p.matches("www.example.com"));
  ASSERT_TRUE(HostPattern::parse("*", p));
  EXPECT_TRUE(p.matches("anything.test"));
  ASSERT_TRUE(HostPattern::parse("::1", p));
  EXPECT_TRUE(p.matches("::1"));
  for (const char* bad : {"*.", "a b", "", ".a", "a.", "*.*.a", "@listener"})
    EXPECT_FALSE(HostPattern::parse(bad, p)) << bad;
}
