#include "core/units.h"

#include <gtest/gtest.h>

using namespace exaproxy;
using namespace std::chrono_literals;

TEST(Units, DurationUnits) {
  EXPECT_EQ(parseDuration("30s"), 30s);
  EXPECT_EQ(parseDuration("30"), 30s);
  EXPECT_EQ(parseDuration("500ms"), 500ms);
  EXPECT_EQ(parseDuration("2m"), 2min);
  EXPECT_EQ(parseDuration("1h"), 1h);
  EXPECT_EQ(parseDuration("1d"), 24h);
  EXPECT_EQ(parseDuration("0"), 0ms);
  EXPECT_EQ(parseDuration("10S"), 10s);
  EXPECT_EQ(parseDuration("10MS"), 10ms);
}

TEST(Units, DurationRejects) {
  for (auto bad : {"", "s", "-1s", "1.5s", "1 s", " 1s", "1sec", "1w", "ms", "1e3",
                   "99999999999999999999s", "9999999999999999d"})
    EXPECT_FALSE(parseDuration(bad).has_value()) << bad;
}

TEST(Units, Sizes) {
  EXPECT_EQ(parseSize("65536"), 65536u);
  EXPECT_EQ(parseSize("64k"), 65536u);
  EXPECT_EQ(parseSize("64K"), 65536u);
  EXPECT_EQ(parseSize("64kb"), 65536u);
  EXPECT_EQ(parseSize("1m"), 1048576u);
  EXPECT_EQ(parseSize("1g"), 1073741824u);
  EXPECT_EQ(parseSize("0"), 0u);
  for (auto bad :
       {"", "k", "-1", "1.5k", "1 k", "1x", "1kk", "99999999999999999999", "99999999999t"})
    EXPECT_FALSE(parseSize(bad).has_value()) << bad;
}

TEST(Units, CountsAndBooleans) {
  EXPECT_EQ(parseCount("42"), 42u);
  EXPECT_FALSE(parseCount("42k"));
  EXPECT_FALSE(parseCount("-1"));
  EXPECT_FALSE(parseCount(""));
  for (auto yes : {"yes", "true", "on", "1", "YES", "True"})
    EXPECT_EQ(parseBool(yes), true) << yes;
  for (auto no : {"no", "false", "off", "0", "Off"})
    EXPECT_EQ(parseBool(no), false) << no;
  for (auto bad : {"", "y", "2", "enabled"})
    EXPECT_FALSE(parseBool(bad)) << bad;
}

TEST(Units, FormatRoundTrips) {
  EXPECT_EQ(formatDuration(30s), "30s");
  EXPECT_EQ(formatDuration(1500ms), "1500ms");
  EXPECT_EQ(formatDuration(5min), "5m");
  EXPECT_EQ(formatDuration(2h), "2h");
  EXPECT_EQ(formatDuration(0ms), "0s");
  EXPECT_EQ(formatSize(65536), "64k");
  EXPECT_EQ(formatSize(1000), "1000");
  EXPECT_EQ(formatSize(3u << 20), "3m");
  for (auto ms : {1, 999, 1000, 60000, 90000, 3600000, 86400000})
    EXPECT_EQ(parseDuration(formatDuration(std::chrono::milliseconds(ms))),
              std::chrono::milliseconds(ms));
}
