// DnsCache and the TTL policy, with an injected clock: no sockets.
#include "dns/dns_cache.h"

#include <gtest/gtest.h>

using namespace exaproxy;
using namespace exaproxy::dns;
using namespace std::chrono_literals;

namespace {

const net::Clock::time_point T0 = net::Clock::time_point{} + 1000h;

Answer ok(const char* ip, std::chrono::seconds ttl = 60s) {
  Answer a;
  a.status = DnsStatus::Ok;
  a.addresses.push_back(*IpAddress::parse(ip));
  a.ttl = ttl;
  return a;
}

Answer status(DnsStatus s) {
  Answer a;
  a.status = s;
  return a;
}

TEST(DnsStatusTest, Names) {
  EXPECT_EQ(toString(DnsStatus::Ok), "ok");
  EXPECT_EQ(toString(DnsStatus::NxDomain), "nxdomain");
  EXPECT_EQ(toString(DnsStatus::NoData), "nodata");
  EXPECT_EQ(toString(DnsStatus::ServFail), "servfail");
  EXPECT_EQ(toString(DnsStatus::Refused), "refused");
  EXPECT_EQ(toString(DnsStatus::Timeout), "timeout");
  EXPECT_EQ(toString(DnsStatus::Error), "error");
}

TEST(DnsNameTest, NormaliseAndLiterals) {
  EXPECT_EQ(normalizeName("WWW.Example.COM."), "www.example.com");
  EXPECT_EQ(normalizeName("a.b"), "a.b");
  EXPECT_EQ(parseLiteral("1.2.3.4")->toString(), "1.2.3.4");
  EXPECT_EQ(parseLiteral("::1")->toString(), "::1");
  EXPECT_EQ(parseLiteral("[2001:db8::1]")->toString(), "2001:db8::1");
  EXPECT_FALSE(parseLiteral("[1.2.3.4]"));
  EXPECT_FALSE(parseLiteral("example.com"));
  EXPECT_FALSE(parseLiteral("1.2.3.4.example"));
  EXPECT_FALSE(parseLiteral(""));
}

TEST(DnsCacheTest, HitSetsFromCacheAndIgnoresCase) {
  DnsCache cache(10);
  cache.insert("Host.Example.", ok("10.0.0.1"), 60s, T0);
  auto hit = cache.lookup("host.example", T0);
  ASSERT_TRUE(hit);
  EXPECT_TRUE(hit->fromCache);
  EXPECT_EQ(hit->status, DnsStatus::Ok);
  ASSERT_EQ(hit->addresses.size(), 1u);
  EXPECT_EQ(hit->addresses[0].toString(), "10.0.0.1");
  EXPECT_TRUE(cache.lookup("HOST.EXAMPLE", T0));
  EXPECT_FALSE(cache.lookup("other.example", T0));
}

TEST(DnsCacheTest, ExpiresExactlyAtTtl) {
  DnsCache cache(10);
  cache.insert("a.test", ok("10.0.0.1"), 5s, T0);
  EXPECT_TRUE(cache.lookup("a.test", T0 + 5s - 1ns));
  EXPECT_FALSE(cache.lookup("a.test", T0 + 5s));
  EXPECT_EQ(cache.size(), 0u); // erased by the lookup
}

TEST(DnsCacheTest, ReinsertReplaces) {
  DnsCache cache(10);
  cache.insert("a.test", ok("10.0.0.1"), 5s, T0);
  cache.insert("a.test", ok("10.0.0.2"), 50s, T0 + 1s);
  EXPECT_EQ(cache.size(), 1u);
  auto hit = cache.lookup("a.test", T0 + 10s);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->addresses[0].toString(), "10.0.0.2");
}

TEST(DnsCacheTest, TtlPolicyClampsPositiveAnswers) {
  ResolverConfig cfg;
  cfg.minTtl = 5s;
  cfg.maxTtl = 100s;
  cfg.negativeTtl = 30s;
  EXPECT_EQ(*cacheTtlFor(ok("10.0.0.1", 0s), cfg), 5s);
  EXPECT_EQ(*cacheTtlFor(ok("10.0.0.1", 1s), cfg), 5s);
  EXPECT_EQ(*cacheTtlFor(ok("10.0.0.1", 42s), cfg), 42s);
  EXPECT_EQ(*cacheTtlFor(ok("10.0.0.1", 86400s), cfg), 100s);

  // Clamped TTLs are honoured by the cache.
  DnsCache cache(10);
  cache.insert("short.test", ok("10.0.0.1", 1s), *cacheTtlFor(ok("10.0.0.1", 1s), cfg), T0);
  cache.insert("long.test", ok("10.0.0.2", 86400s), *cacheTtlFor(ok("10.0.0.2", 86400s), cfg), T0);
  EXPECT_TRUE(cache.lookup("short.test", T0 + 4s));
  EXPECT_FALSE(cache.lookup("short.test", T0 + 5s));
  EXPECT_TRUE(cache.lookup("long.test", T0 + 99s));
  EXPECT_FALSE(cache.lookup("long.test", T0 + 100s));
}

TEST(DnsCacheTest, NegativeAnswersUseNegativeTtl) {
  ResolverConfig cfg;
  cfg.negativeTtl = 30s;
  EXPECT_EQ(*cacheTtlFor(status(DnsStatus::NxDomain), cfg), 30s);
  EXPECT_EQ(*cacheTtlFor(status(DnsStatus::NoData), cfg), 30s);
  cfg.negativeTtl = 0s;
  EXPECT_FALSE(cacheTtlFor(status(DnsStatus::NxDomain), cfg));

  DnsCache cache(10);
  cache.insert("nx.test", status(DnsStatus::NxDomain), 30s, T0);
  cache.insert("nodata.test", status(DnsStatus::NoData), 30s, T0);
  auto nx = cache.lookup("nx.test", T0 + 29s);
  ASSERT_TRUE(nx);
  EXPECT_EQ(nx->status, DnsStatus::NxDomain);
  EXPECT_TRUE(nx->fromCache);
  auto nodata = cache.lookup("nodata.test", T0 + 29s);
  ASSERT_TRUE(nodata);
  EXPECT_EQ(nodata->status, DnsStatus::NoData);
  EXPECT_FALSE(cache.lookup("nx.test", T0 + 30s));
}

TEST(DnsCacheTest, FailuresAreNotCached) {
  ResolverConfig cfg;
  for (auto s : {DnsStatus::ServFail, DnsStatus::Refused, DnsStatus::Timeout, DnsStatus::Error}) {
    EXPECT_FALSE(cacheTtlFor(status(s), cfg)) << toString(s);
    DnsCache cache(10);
    cache.insert("fail.test", status(s), 30s, T0); // ignored even if asked
    EXPECT_EQ(cache.size(), 0u) << toString(s);
    EXPECT_FALSE(cache.lookup("fail.test", T0));
  }
  EXPECT_FALSE(cacheTtlFor(status(DnsStatus::Ok), cfg)); // Ok without addresses
}

TEST(DnsCacheTest, EvictsLeastRecentlyUsedWhenFull) {
  DnsCache cache(3);
  cache.insert("a.test", ok("10.0.0.1"), 60s, T0);
  cache.insert("b.test", ok("10.0.0.2"), 60s, T0);
  cache.insert("c.test", ok("10.0.0.3"), 60s, T0);
  EXPECT_TRUE(cache.lookup("a.test", T0)); // a is now the most recently used: b is the LRU
  cache.insert("d.test", ok("10.0.0.4"), 60s, T0);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.lookup("b.test", T0));
  EXPECT_TRUE(cache.lookup("a.test", T0));
  EXPECT_TRUE(cache.lookup("c.test", T0));
  EXPECT_TRUE(cache.lookup("d.test", T0));
}

TEST(DnsCacheTest, EvictsExpiredBeforeLive) {
  DnsCache cache(3);
  cache.insert("live1.test", ok("10.0.0.1"), 60s, T0);
  cache.insert("short.test", ok("10.0.0.2"), 1s, T0);
  cache.insert("live2.test", ok("10.0.0.3"), 60s, T0);
  // live1 is the LRU, but short.test has expired: it goes first.
  cache.insert("new.test", ok("10.0.0.4"), 60s, T0 + 2s);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.lookup("live1.test", T0 + 2s));
  EXPECT_TRUE(cache.lookup("live2.test", T0 + 2s));
  EXPECT_TRUE(cache.lookup("new.test", T0 + 2s));
}

TEST(DnsCacheTest, ShrinkAndClear) {
  DnsCache cache(10);
  for (int i = 0; i < 10; ++i)
    cache.insert("h" + std::to_string(i) + ".test", ok("10.0.0.1"), 60s, T0);
  EXPECT_EQ(cache.size(), 10u);
  cache.setMaxEntries(4);
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_TRUE(cache.lookup("h9.test", T0)); // most recent kept
  EXPECT_FALSE(cache.lookup("h0.test", T0));
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  DnsCache none(0);
  none.insert("a.test", ok("10.0.0.1"), 60s, T0);
  EXPECT_EQ(none.size(), 0u);
}

TEST(DnsCacheTest, SnapshotShowsRemainingTtl) {
  DnsCache cache(10);
  cache.insert("a.test", ok("10.0.0.1"), 60s, T0);
  cache.insert("b.test", status(DnsStatus::NxDomain), 30s, T0 + 10s);
  cache.insert("gone.test", ok("10.0.0.3"), 5s, T0);
  auto snap = cache.snapshot(T0 + 20s);
  ASSERT_EQ(snap.size(), 2u); // gone.test expired (but a const snapshot does not erase it)
  EXPECT_EQ(snap[0].name, "b.test");
  EXPECT_EQ(snap[0].remaining, 20s);
  EXPECT_EQ(snap[0].answer.status, DnsStatus::NxDomain);
  EXPECT_EQ(snap[1].name, "a.test");
  EXPECT_EQ(snap[1].remaining, 40s);
  // Rounded up: half a second left shows as 1 s.
  auto late = cache.snapshot(T0 + 59s + 500ms);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].remaining, 1s);
}

} // namespace
