// plugins/common: TtlCache (ttl_cache.h), what the auth plugin remembers credentials in and the
// external_acl plugin its results: entries expire at their own ttl, the oldest go beyond the
// bound, and Squid's grace asks for one refresh in an entry's last grace % while still answering.
#include "ttl_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace exaproxy::common {
namespace {

using namespace std::chrono_literals;
using Cache = TtlCache<std::string, int>;

TEST(TtlCacheTest, EntriesExpireAtTheirOwnTtlAndTheOldestGoBeyondTheBound) {
  Cache c(2);
  auto t0 = Cache::Clock::now();
  c.remember("a", 1, 10s, t0);
  c.remember("b", 2, 1s, t0);
  EXPECT_EQ(c.find("a", t0 + 2s), 1);
  EXPECT_FALSE(c.find("b", t0 + 2s)) << "b's ttl passed";
  c.remember("b", 2, 10s, t0);
  c.remember("c", 3, 10s, t0);
  EXPECT_FALSE(c.find("a", t0)) << "the oldest went";
  EXPECT_EQ(c.size(), 2u);
  c.remember("z", 9, 0s, t0);
  EXPECT_FALSE(c.find("z", t0)) << "a ttl of 0 remembers nothing";
}

TEST(TtlCacheTest, GraceAsksForOneRefreshInTheLastPartOfTheLife) {
  Cache c(10);
  auto t0 = Cache::Clock::now();
  c.remember("k", 7, 100s, t0);
  // grace 20: the refresh comes once less than 20 s are left.
  auto early = c.findWithGrace("k", 20, t0 + 79s);
  ASSERT_TRUE(early);
  EXPECT_EQ(early->value, 7);
  EXPECT_FALSE(early->refresh);
  auto late = c.findWithGrace("k", 20, t0 + 81s);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->value, 7) << "still answered from the cache";
  EXPECT_TRUE(late->refresh);
  EXPECT_FALSE(c.findWithGrace("k", 20, t0 + 82s)->refresh) << "one refresh at a time";
  // The refresh's answer starts a new life.
  c.remember("k", 8, 100s, t0 + 83s);
  auto renewed = c.findWithGrace("k", 20, t0 + 90s);
  EXPECT_EQ(renewed->value, 8);
  EXPECT_FALSE(renewed->refresh);
  // No grace: never a refresh; past the ttl: gone.
  EXPECT_FALSE(c.findWithGrace("k", 0, t0 + 182s)->refresh);
  EXPECT_FALSE(c.findWithGrace("k", 20, t0 + 184s));
}

} // namespace
} // namespace exaproxy::common
