// xff_core: the trust walk (every row of PROTOCOLS.md §3.2), the hop parsers, the outbound
// policies, settings, sanitising and the status JSON. No ABI, no host.
#include "xff_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace exaproxy::xff {
namespace {

using ::testing::HasSubstr;
using Op = HeaderEdit::Op;

// One line of 10-xff.conf as the host hands it over.
sdk::Setting setting(size_t index, std::string section, std::string key, std::string value) {
  sdk::Setting s;
  s.index = index;
  s.file = "10-xff.conf";
  s.line = static_cast<uint32_t>(index + 1);
  s.section = std::move(section);
  s.key = std::move(key);
  s.value = std::move(value);
  return s;
}

Address ip(std::string_view text) {
  auto a = Address::parse(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(Address{});
}

Settings tableSettings() {
  // PROTOCOLS.md §3.2: trusted = 10.0.0.0/8, 127.0.0.1
  auto load = parseSettings({setting(0, "xff", "trusted", "10.0.0.0/8, 127.0.0.1")});
  EXPECT_TRUE(load.settings);
  return load.settings.value_or(Settings{});
}

Decision run(const Settings& s, std::string_view peer, std::vector<std::string_view> xff,
             std::vector<std::string_view> fwd = {}, std::vector<std::string_view> conn = {}) {
  return decide(s, ip(peer), ReceivedHeaders{std::move(xff), std::move(fwd), std::move(conn)},
                false);
}

// ---- PROTOCOLS.md §3.2, one test per row (the "recursive" column: Squid / nginx on) ----

TEST(XffTableTest, UntrustedPeerHeaderIgnored) {
  auto d = run(tableSettings(), "203.0.113.9", {"1.2.3.4"});
  EXPECT_EQ(d.resolution.identity, ip("203.0.113.9"));
  EXPECT_EQ(d.resolution.outcome, Outcome::PeerUntrusted);
  EXPECT_FALSE(d.identityChanged);
}

TEST(XffTableTest, FirstUntrustedFromTheRight) {
  auto d = run(tableSettings(), "10.0.0.5", {"1.1.1.1, 2.2.2.2, 10.0.0.7"});
  EXPECT_EQ(d.resolution.identity, ip("2.2.2.2"));
  EXPECT_EQ(d.resolution.outcome, Outcome::Found);
  EXPECT_EQ(d.resolution.hopsUsed, 2u);
  EXPECT_TRUE(d.identityChanged);
}

TEST(XffTableTest, SeveralLinesAreJoinedInOrder) {
  auto d = run(tableSettings(), "10.0.0.5", {"1.1.1.1", "10.0.0.7"});
  EXPECT_EQ(d.resolution.identity, ip("1.1.1.1"));
  EXPECT_EQ(d.resolution.outcome, Outcome::Found);
}

TEST(XffTableTest, AllTrustedGivesTheLeftmost) {
  auto d = run(tableSettings(), "10.0.0.5", {"10.0.0.8, 10.0.0.7"});
  EXPECT_EQ(d.resolution.identity, ip("10.0.0.8"));
  EXPECT_EQ(d.resolution.outcome, Outcome::AllTrusted);
}

TEST(XffTableTest, GarbageLeftOfTheClientIsNeverReached) {
  auto d = run(tableSettings(), "10.0.0.5", {"evil, 2.2.2.2"});
  EXPECT_EQ(d.resolution.identity, ip("2.2.2.2"));
  EXPECT_EQ(d.resolution.outcome, Outcome::Found);
}

TEST(XffTableTest, InvalidElementStopsTheWalkAtTheLastGoodAddress) {
  auto d = run(tableSettings(), "10.0.0.5", {"2.2.2.2, garbage"});
  EXPECT_EQ(d.resolution.identity, ip("10.0.0.5"));
  EXPECT_EQ(d.resolution.outcome, Outcome::StoppedInvalid);
  EXPECT_EQ(d.resolution.stoppedAt, "garbage");
  EXPECT_FALSE(d.identityChanged);
}

TEST(XffTableTest, BracketedIpv6WithPort) {
  auto d = run(tableSettings(), "10.0.0.5", {"[2001:db8::1]:4711"});
  EXPECT_EQ(d.resolution.identity, ip("2001:db8::1"));
  EXPECT_EQ(d.resolution.outcome, Outcome::Found);
}

TEST(XffTableTest, ForwardedForQuotedIpv6WithPort) {
  for (const char* follow : {"forwarded", "both"}) {
    SCOPED_TRACE(follow);
    auto s = parseSettings({setting(0, "xff", "trusted", "10.0.0.0/8 127.0.0.1"),
                            setting(1, "xff", "follow", follow)})
                 .settings.value();
    auto d = run(s, "10.0.0.5", {}, {"for=\"[2001:db8::1]:4711\";proto=https"});
    EXPECT_EQ(d.resolution.identity, ip("2001:db8::1"));
    EXPECT_EQ(d.resolution.outcome, Outcome::Found);
    EXPECT_TRUE(d.usedForwarded);
  }
}

// ---- more of the walk ----

TEST(XffWalkTest, TrustedPeerWithoutHeaderIsTheClient) {
  auto d = run(tableSettings(), "127.0.0.1", {});
  EXPECT_EQ(d.resolution.identity, ip("127.0.0.1"));
  EXPECT_EQ(d.resolution.outcome, Outcome::NoHeader);
}

TEST(XffWalkTest, NobodyTrustedByDefault) {
  auto s = parseSettings({}).settings.value();
  auto d = run(s, "127.0.0.1", {"1.2.3.4"});
  EXPECT_EQ(d.resolution.outcome, Outcome::PeerUntrusted);
  EXPECT_EQ(d.resolution.identity, ip("127.0.0.1"));
}

TEST(XffWalkTest, UnknownAndObfuscatedStopTheWalk) {
  auto d = run(tableSettings(), "10.0.0.5", {"1.1.1.1, unknown, 10.0.0.7"});
  EXPECT_EQ(d.resolution.identity, ip("10.0.0.7"));
  EXPECT_EQ(d.resolution.outcome, Outcome::StoppedUnknown);
  auto o = run(tableSettings(), "10.0.0.5", {"1.1.1.1, _hidden"});
  EXPECT_EQ(o.resolution.identity, ip("10.0.0.5"));
  EXPECT_EQ(o.resolution.outcome, Outcome::StoppedUnknown);
  EXPECT_EQ(o.resolution.stoppedAt, "_hidden");
}

TEST(XffWalkTest, AttackerLineAndLoadBalancerLine) {
  // The client sends its own XFF line claiming to be a trusted hop; the load balancer appends
  // the address it saw on a second line. Joined, the walk finds the real client.
  auto d = run(tableSettings(), "10.0.0.5", {"10.0.0.99", "198.51.100.7"});
  EXPECT_EQ(d.resolution.identity, ip("198.51.100.7"));
}

TEST(XffWalkTest, Ipv4MappedIpv6IsMatchedAsIpv4) {
  auto d = run(tableSettings(), "::ffff:10.0.0.5", {"192.0.2.1, ::ffff:10.0.0.7"});
  EXPECT_EQ(d.resolution.identity, ip("192.0.2.1"));
  EXPECT_EQ(d.resolution.hopsUsed, 2u);
}

TEST(XffWalkTest, FollowSelectsTheHeader) {
  auto both = parseSettings(
                  {setting(0, "xff", "trusted", "10.0.0.0/8"), setting(1, "xff", "follow", "both")})
                  .settings.value();
  // both: Forwarded when present...
  auto d = run(both, "10.0.0.5", {"198.51.100.1"}, {"for=192.0.2.9"});
  EXPECT_EQ(d.resolution.identity, ip("192.0.2.9"));
  // ...else X-Forwarded-For.
  EXPECT_EQ(run(both, "10.0.0.5", {"198.51.100.1"}).resolution.identity, ip("198.51.100.1"));
  // The default reads X-Forwarded-For only, whatever Forwarded says.
  auto xffOnly = parseSettings({setting(0, "xff", "trusted", "10.0.0.0/8")}).settings.value();
  EXPECT_EQ(run(xffOnly, "10.0.0.5", {}, {"for=192.0.2.9"}).resolution.outcome, Outcome::NoHeader);
  // forwarded: X-Forwarded-For is ignored.
  auto fwdOnly = parseSettings({setting(0, "xff", "trusted", "10.0.0.0/8"),
                                setting(1, "xff", "follow", "forwarded")})
                     .settings.value();
  EXPECT_EQ(run(fwdOnly, "10.0.0.5", {"198.51.100.1"}).resolution.outcome, Outcome::NoHeader);
}

TEST(XffWalkTest, ForwardedElementsFromTheRight) {
  auto s = parseSettings({setting(0, "xff", "trusted", "10.0.0.0/8"),
                          setting(1, "xff", "follow", "forwarded")})
               .settings.value();
  auto d = run(
      s, "10.0.0.5", {},
      {"for=192.0.2.60;proto=http;by=203.0.113.43, for=198.51.100.17", "For=10.1.1.1;by=10.0.0.5"});
  EXPECT_EQ(d.resolution.identity, ip("198.51.100.17"));
  // An element without for= is a hop that did not say: the walk stops there.
  auto u = run(s, "10.0.0.5", {}, {"for=192.0.2.60, proto=https"});
  EXPECT_EQ(u.resolution.outcome, Outcome::StoppedUnknown);
  EXPECT_EQ(u.resolution.identity, ip("10.0.0.5"));
}

TEST(XffWalkTest, ConnectResolvesButSendsNothing) {
  auto d = decide(tableSettings(), ip("10.0.0.5"), ReceivedHeaders{{"192.0.2.1"}, {}, {}}, true);
  EXPECT_EQ(d.resolution.identity, ip("192.0.2.1"));
  EXPECT_FALSE(d.plan.changed());
}

// ---- hop parsing ----

TEST(XffHopsTest, XForwardedForElementForms) {
  struct Case {
    const char* text;
    HopKind kind;
    const char* address;
  } cases[] = {
      {"1.2.3.4", HopKind::Address, "1.2.3.4"},
      {"1.2.3.4:8080", HopKind::Address, "1.2.3.4"},
      {"2001:db8::1", HopKind::Address, "2001:db8::1"},
      {"[2001:db8::1]", HopKind::Address, "2001:db8::1"},
      {"[2001:db8::1]:4711", HopKind::Address, "2001:db8::1"},
      {"::1", HopKind::Address, "::1"},
      {"unknown", HopKind::Unknown, nullptr},
      {"UNKNOWN", HopKind::Unknown, nullptr},
      {"_hidden", HopKind::Obfuscated, nullptr},
      {"_a.b-c_1", HopKind::Obfuscated, nullptr},
      {"evil", HopKind::Invalid, nullptr},
      {"1.2.3", HopKind::Invalid, nullptr},
      {"1.2.3.4.5", HopKind::Invalid, nullptr},
      {"01.2.3.4", HopKind::Invalid, nullptr},
      {"256.1.1.1", HopKind::Invalid, nullptr},
      {"1.2.3.4:", HopKind::Invalid, nullptr},
      {"1.2.3.4:65536", HopKind::Invalid, nullptr},
      {"1.2.3.4:http", HopKind::Invalid, nullptr},
      {"[1.2.3.4]", HopKind::Invalid, nullptr},
      {"[2001:db8::1", HopKind::Invalid, nullptr},
      {"[2001:db8::1]x", HopKind::Invalid, nullptr},
      {"[2001:db8::1]:", HopKind::Invalid, nullptr},
      {"fe80::1%eth0", HopKind::Invalid, nullptr},
      {"\"1.2.3.4\"", HopKind::Invalid, nullptr},
      {"1.2.3.4 5.6.7.8", HopKind::Invalid, nullptr},
      {"_", HopKind::Invalid, nullptr},
      {"_a b", HopKind::Invalid, nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto hops = parseXForwardedFor({c.text});
    ASSERT_EQ(hops.size(), 1u);
    EXPECT_EQ(hops[0].kind, c.kind);
    if (c.address) {
      EXPECT_EQ(hops[0].address, ip(c.address));
    }
  }
}

TEST(XffHopsTest, ListRuleAndWhitespace) {
  auto hops = parseXForwardedFor({"  1.1.1.1 ,\t2.2.2.2,,", "", " 3.3.3.3 "});
  ASSERT_EQ(hops.size(), 3u);
  EXPECT_EQ(hops[0].address, ip("1.1.1.1"));
  EXPECT_EQ(hops[1].address, ip("2.2.2.2"));
  EXPECT_EQ(hops[2].address, ip("3.3.3.3"));
  EXPECT_EQ(hops[2].text, "3.3.3.3");
  EXPECT_TRUE(parseXForwardedFor({}).empty());
}

TEST(XffHopsTest, ForwardedElementForms) {
  struct Case {
    const char* text;
    HopKind kind;
    const char* address;
  } cases[] = {
      {"for=192.0.2.60", HopKind::Address, "192.0.2.60"},
      {"for=192.0.2.60;proto=http;by=203.0.113.43", HopKind::Address, "192.0.2.60"},
      {"proto=http; for=192.0.2.60", HopKind::Address, "192.0.2.60"},
      {"FOR=192.0.2.60", HopKind::Address, "192.0.2.60"},
      {"for=\"192.0.2.60:8080\"", HopKind::Address, "192.0.2.60"},
      {"for=\"[2001:db8:cafe::17]:4711\"", HopKind::Address, "2001:db8:cafe::17"},
      {"for=\"[2001:db8:cafe::17]\"", HopKind::Address, "2001:db8:cafe::17"},
      {"for=\"[2001:db8::1]:_port\"", HopKind::Address, "2001:db8::1"},
      {"for=\"\\1\\9\\2.0.2.1\"", HopKind::Address, "192.0.2.1"}, // quoted-pairs
      {"for=unknown", HopKind::Unknown, nullptr},
      {"for=_hidden", HopKind::Obfuscated, nullptr},
      {"for=\"_SEVKISEK\"", HopKind::Obfuscated, nullptr},
      {"by=10.0.0.1;proto=https", HopKind::Unknown, nullptr},
      {"for=[2001:db8::1]", HopKind::Invalid, nullptr},   // IPv6 must be quoted
      {"for=\"2001:db8::1\"", HopKind::Invalid, nullptr}, // and bracketed
      {"for=192.0.2.60:80", HopKind::Invalid, nullptr},   // ':' is not a tchar
      {"for=192.0.2.60;for=192.0.2.61", HopKind::Invalid, nullptr},
      {"for=", HopKind::Invalid, nullptr},
      {"for=\"192.0.2.60", HopKind::Invalid, nullptr},
      {"for=\"192.0.2.60\"x", HopKind::Invalid, nullptr},
      {"192.0.2.60", HopKind::Invalid, nullptr},
      {"=192.0.2.60", HopKind::Invalid, nullptr},
      {"for=garbage", HopKind::Invalid, nullptr},
      {"for=\"1.2.3.4\r\n\"", HopKind::Invalid, nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto hops = parseForwarded({c.text});
    ASSERT_EQ(hops.size(), 1u);
    EXPECT_EQ(hops[0].kind, c.kind);
    if (c.address) {
      EXPECT_EQ(hops[0].address, ip(c.address));
    }
  }
}

TEST(XffHopsTest, ForwardedCommasInsideQuotesDoNotSplit) {
  auto hops = parseForwarded({"for=192.0.2.1;ext=\"a,b\", for=\"[2001:db8::2]\"", "for=10.0.0.1"});
  ASSERT_EQ(hops.size(), 3u);
  EXPECT_EQ(hops[0].address, ip("192.0.2.1"));
  EXPECT_EQ(hops[1].address, ip("2001:db8::2"));
  EXPECT_EQ(hops[2].address, ip("10.0.0.1"));
}

TEST(XffHopsTest, ForwardedNodeQuotesIpv6) {
  EXPECT_EQ(forwardedNode(ip("192.0.2.1")), "192.0.2.1");
  EXPECT_EQ(forwardedNode(ip("2001:db8::1")), "\"[2001:db8::1]\"");
}

// ---- addresses ----

TEST(XffAddressTest, ParseAndPrefixes) {
  EXPECT_FALSE(Address::parse(""));
  EXPECT_FALSE(Address::parse("1.2.3.4/8"));
  EXPECT_FALSE(Address::parse("[::1]"));
  EXPECT_EQ(ip("::ffff:1.2.3.4").toString(), "1.2.3.4");
  EXPECT_TRUE(ip("::ffff:1.2.3.4").isV4());
  auto c = Cidr::parse("10.0.0.0/8");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains(ip("10.255.0.1")));
  EXPECT_FALSE(c->contains(ip("11.0.0.1")));
  EXPECT_FALSE(c->contains(ip("::a00:1")));
  auto v6 = Cidr::parse("2001:db8::/33");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(ip("2001:db8:7fff::1")));
  EXPECT_FALSE(v6->contains(ip("2001:db8:8000::1")));
  EXPECT_EQ(Cidr::parse("127.0.0.1")->toString(), "127.0.0.1/32");
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0")->contains(ip("203.0.113.1")));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/33"));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/"));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/08"));
  EXPECT_FALSE(Cidr::parse("lb.example"));
  EXPECT_EQ(parsePort("0"), 0);
  EXPECT_EQ(parsePort("65535"), 65535);
  EXPECT_FALSE(parsePort("65536"));
  EXPECT_FALSE(parsePort("080"));
  EXPECT_FALSE(parsePort("+80"));
}

// ---- outbound ----

Settings policy(const char* forwardedFor, const char* forwarded = "off") {
  return parseSettings({setting(0, "xff", "trusted", "10.0.0.0/8"),
                        setting(1, "xff", "forwarded_for", forwardedFor),
                        setting(2, "xff", "forwarded", forwarded)})
      .settings.value();
}

TEST(XffOutboundTest, AppendAddsThePeerToTheJoinedLines) {
  auto d = run(policy("append"), "10.0.0.5", {"1.1.1.1", "2.2.2.2, 10.0.0.7"});
  EXPECT_EQ(d.plan.xForwardedFor.op, Op::Set);
  EXPECT_EQ(d.plan.xForwardedFor.value, "1.1.1.1, 2.2.2.2, 10.0.0.7, 10.0.0.5");
  EXPECT_EQ(d.plan.forwarded.op, Op::Keep);
  // No header yet: the peer alone. An untrusted peer's header is still passed on (appended to).
  EXPECT_EQ(run(policy("append"), "192.0.2.1", {}).plan.xForwardedFor.value, "192.0.2.1");
  EXPECT_EQ(run(policy("append"), "192.0.2.1", {"6.6.6.6"}).plan.xForwardedFor.value,
            "6.6.6.6, 192.0.2.1");
  EXPECT_EQ(run(policy("append"), "2001:db8::5", {" , ", ""}).plan.xForwardedFor.value,
            "2001:db8::5");
}

TEST(XffOutboundTest, TruncateKeepsOnlyTheIdentity) {
  auto d = run(policy("truncate"), "10.0.0.5", {"1.1.1.1, 2.2.2.2, 10.0.0.7"});
  EXPECT_EQ(d.plan.xForwardedFor.op, Op::Set);
  EXPECT_EQ(d.plan.xForwardedFor.value, "2.2.2.2");
  EXPECT_EQ(run(policy("truncate"), "192.0.2.1", {"6.6.6.6"}).plan.xForwardedFor.value,
            "192.0.2.1");
}

TEST(XffOutboundTest, DeleteAndTransparent) {
  auto del = run(policy("delete"), "10.0.0.5", {"1.1.1.1"});
  EXPECT_EQ(del.plan.xForwardedFor.op, Op::Remove);
  EXPECT_FALSE(run(policy("delete"), "10.0.0.5", {}).plan.changed());
  auto tr = run(policy("transparent"), "10.0.0.5", {"1.1.1.1"});
  EXPECT_EQ(tr.plan.xForwardedFor.op, Op::Keep);
  EXPECT_FALSE(tr.plan.changed());
  // The identity is found whatever the outbound policy.
  EXPECT_EQ(tr.resolution.identity, ip("1.1.1.1"));
}

TEST(XffOutboundTest, ForwardedAppend) {
  auto d = run(policy("transparent", "append"), "10.0.0.5", {}, {"for=192.0.2.60;proto=http"});
  EXPECT_EQ(d.plan.forwarded.op, Op::Set);
  EXPECT_EQ(d.plan.forwarded.value, "for=192.0.2.60;proto=http, for=10.0.0.5");
  auto v6 = run(policy("transparent", "append"), "2001:db8::7", {});
  EXPECT_EQ(v6.plan.forwarded.value, "for=\"[2001:db8::7]\"");
}

TEST(XffOutboundTest, ConnectionCannotStripWhatWeWrite) {
  auto d = run(policy("append", "append"), "10.0.0.5", {"1.1.1.1"}, {},
               {"keep-alive, X-Forwarded-For", "forwarded"});
  EXPECT_EQ(d.plan.connection.op, Op::Set);
  EXPECT_EQ(d.plan.connection.value, "keep-alive");
  auto only = run(policy("truncate"), "10.0.0.5", {}, {}, {"x-forwarded-for"});
  EXPECT_EQ(only.plan.connection.op, Op::Remove);
  // Nothing listed, or nothing written: Connection untouched.
  EXPECT_EQ(run(policy("append"), "10.0.0.5", {}, {}, {"close"}).plan.connection.op, Op::Keep);
  EXPECT_EQ(run(policy("transparent"), "10.0.0.5", {}, {}, {"X-Forwarded-For"}).plan.connection.op,
            Op::Keep);
}

// ---- settings ----

TEST(XffSettingsTest, Defaults) {
  auto load = parseSettings({});
  ASSERT_TRUE(load.settings);
  EXPECT_TRUE(load.settings->trusted.empty());
  EXPECT_EQ(load.settings->follow, Follow::XForwardedFor);
  EXPECT_EQ(load.settings->forwardedFor, ForwardedForPolicy::Append);
  EXPECT_EQ(load.settings->forwarded, ForwardedPolicy::Off);
}

TEST(XffSettingsTest, EveryKey) {
  auto load = parseSettings({setting(0, "xff", "trusted", "10.0.0.0/8 ::1, 192.0.2.7"),
                             setting(1, "xff", "follow", "forwarded"),
                             setting(2, "xff", "forwarded_for", "delete"),
                             setting(3, "xff", "forwarded", "append")});
  ASSERT_TRUE(load.settings);
  EXPECT_EQ(load.settings->trusted.toString(), "10.0.0.0/8 ::1/128 192.0.2.7/32");
  EXPECT_EQ(load.settings->follow, Follow::Forwarded);
  EXPECT_EQ(load.settings->forwardedFor, ForwardedForPolicy::Delete);
  EXPECT_EQ(load.settings->forwarded, ForwardedPolicy::Append);
  EXPECT_EQ(parseSettings({setting(0, "xff", "trusted", "")}).settings->trusted.size(), 0u);
}

TEST(XffSettingsTest, EveryProblemIsReportedWithItsIndex) {
  auto load = parseSettings(
      {setting(4, "xff", "trusted", "10.0.0.0/8 lb.example"),
       setting(5, "xff", "follow", "x-real-ip"), setting(6, "xff", "forwarded_for", "on"),
       setting(7, "xff", "forwarded", "yes"), setting(8, "xff", "trust", "10.0.0.0/8"),
       setting(9, "other", "trusted", "10.0.0.0/8")});
  EXPECT_FALSE(load.settings);
  ASSERT_EQ(load.errors.size(), 6u);
  EXPECT_EQ(load.errors[0].index(), 4u);
  EXPECT_THAT(load.errors[0].what(), HasSubstr("'lb.example'"));
  EXPECT_THAT(load.errors[1].what(), HasSubstr("x-forwarded-for, forwarded or both"));
  EXPECT_THAT(load.errors[2].what(), HasSubstr("append, truncate, delete or transparent"));
  EXPECT_THAT(load.errors[3].what(), HasSubstr("off or append"));
  EXPECT_THAT(load.errors[4].what(), HasSubstr("unknown key"));
  EXPECT_EQ(load.errors[5].index(), 9u);
  EXPECT_THAT(load.errors[5].what(), HasSubstr("[other]"));
}

// ---- sanitising, counters, status ----

TEST(XffStatusTest, SanitizeEscapesWhatCouldForgeALogLine) {
  EXPECT_EQ(sanitize("1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(sanitize("a\r\nFAKE LOG LINE"), "a\\x0d\\x0aFAKE LOG LINE");
  EXPECT_EQ(sanitize("q\"b\\"), "q\\x22b\\x5c");
  EXPECT_EQ(sanitize(std::string_view("\0\x7f\xff", 3)), "\\x00\\x7f\\xff");
  EXPECT_EQ(sanitize(std::string(300, 'a'), 10), "aaaaaaaaaa...");
}

TEST(XffStatusTest, CountersAndStatusJson) {
  Settings s = policy("append");
  Stats stats;
  account(stats, s, run(s, "10.0.0.5", {"2.2.2.2, bad\nline"}));
  account(stats, s, run(s, "10.0.0.5", {"2.2.2.2"}));
  account(stats, s, run(s, "192.0.2.1", {"2.2.2.2"}));
  EXPECT_EQ(stats.get(Counter::requests), 3u);
  EXPECT_EQ(stats.get(Counter::stopped_invalid), 1u);
  EXPECT_EQ(stats.get(Counter::found), 1u);
  EXPECT_EQ(stats.get(Counter::peer_untrusted), 1u);
  EXPECT_EQ(stats.get(Counter::identity_changed), 1u);
  EXPECT_EQ(stats.get(Counter::xff_appended), 3u);
  EXPECT_EQ(stats.lastStop(), "bad\\x0aline");
  std::string json = statusJson(s, stats);
  EXPECT_THAT(json, HasSubstr("\"trusted\":[\"10.0.0.0/8\"]"));
  EXPECT_THAT(json, HasSubstr("\"follow\":\"x-forwarded-for\""));
  EXPECT_THAT(json, HasSubstr("\"forwarded_for\":\"append\""));
  EXPECT_THAT(json, HasSubstr("\"forwarded\":\"off\""));
  EXPECT_THAT(json, HasSubstr("\"requests\":3"));
  EXPECT_THAT(json, HasSubstr("\"last_stop\":\"bad\\x0aline\""));
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  EXPECT_EQ(statusJson(parseSettings({}).settings.value(), Stats{}).find("\"trusted\":[]"), 1u);
}

TEST(XffStatusTest, CounterNamesAreMetricNames) {
  for (const auto& c : counterTable()) {
    std::string_view n = c.name;
    EXPECT_FALSE(n.empty());
    for (char ch : n)
      EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') << n;
  }
}

} // namespace
} // namespace exaproxy::xff
