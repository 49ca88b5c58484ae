// Unit tests of substitute_core: target syntax, rule parsing with errors at file:line, and
// matching (exact before wildcard, the longest wildcard first, label boundaries).
#include "substitute_rules.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace exaproxy::substitute;

namespace {

std::vector<Setting> settings(std::vector<std::pair<std::string, std::string>> kv,
                              std::string section = "substitute") {
  std::vector<Setting> out;
  uint32_t line = 1;
  for (auto& [k, v] : kv) {
    out.push_back(Setting{out.size(), "60-substitute.conf", ++line, section, k, v});
  }
  return out;
}

std::unique_ptr<const SubstituteRules>
parseOk(std::vector<std::pair<std::string, std::string>> kv) {
  std::vector<ConfigProblem> problems;
  auto rules = SubstituteRules::parse(settings(std::move(kv)), problems);
  EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems.front().describe());
  return rules;
}

std::string targetOf(const SubstituteRules& rules, std::string_view host) {
  auto m = rules.find(host);
  if (!m)
    return "-";
  return hostPort(m->rule->target.host, m->rule->target.port);
}

} // namespace

TEST(SubstituteTargetTest, ParsesNamesIpsAndPorts) {
  Target t;
  std::string why;
  ASSERT_TRUE(parseTarget("ForceSafeSearch.Google.com", t, why)) << why;
  EXPECT_EQ(t.host, "forcesafesearch.google.com");
  EXPECT_EQ(t.port, 0);
  ASSERT_TRUE(parseTarget("safe.example.test:8443", t, why)) << why;
  EXPECT_EQ(t.host, "safe.example.test");
  EXPECT_EQ(t.port, 8443);
  ASSERT_TRUE(parseTarget("127.0.0.3", t, why)) << why;
  EXPECT_EQ(t.host, "127.0.0.3");
  ASSERT_TRUE(parseTarget("192.0.2.1:80", t, why)) << why;
  EXPECT_EQ(t.port, 80);
  ASSERT_TRUE(parseTarget("[2001:db8::7]:443", t, why)) << why;
  EXPECT_EQ(t.host, "2001:db8::7");
  EXPECT_EQ(t.port, 443);
  ASSERT_TRUE(parseTarget("[::1]", t, why)) << why;
  EXPECT_EQ(t.host, "::1");
  EXPECT_EQ(t.port, 0);
  ASSERT_TRUE(parseTarget("2001:db8::8", t, why)) << why; // bare v6: no port
  EXPECT_EQ(t.host, "2001:db8::8");
  ASSERT_TRUE(parseTarget("strict.bing.com.", t, why)) << why; // trailing dot dropped
  EXPECT_EQ(t.host, "strict.bing.com");
}

TEST(SubstituteTargetTest, RejectsMalformedTargets) {
  Target t;
  std::string why;
  for (const char* bad :
       {"", "bad name", "a..b", "host:", "host:0", "host:65536", "host:http", "[2001:db8::1",
        "[2001:db8::1]x", "[not-v6]:443", "1:2:3", "-x-.exa mple", "[::1]:"}) {
    EXPECT_FALSE(parseTarget(bad, t, why)) << "accepted '" << bad << "'";
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(SubstituteRulesTest, ExactAndWildcardMatching) {
  auto rules = parseOk({{"www.google.com", "forcesafesearch.google.com"},
                        {"*.example.org", "safe.example.net:8443"},
                        {"*.deep.example.org", "deeper.example.net"},
                        {"www.example.org", "exact.example.net"},
                        {"192.0.2.10", "198.51.100.7"},
                        {"2001:db8::1", "[2001:db8::2]:443"}});
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->size(), 6u);
  EXPECT_EQ(targetOf(*rules, "www.google.com"), "forcesafesearch.google.com:0");
  EXPECT_EQ(targetOf(*rules, "www.google.com."), "forcesafesearch.google.com:0");
  EXPECT_EQ(targetOf(*rules, "google.com"), "-") << "exact rules match only the name itself";
  EXPECT_EQ(targetOf(*rules, "mail.www.google.com"), "-");
  // Wildcards match names below the domain, at any depth, never the domain itself.
  EXPECT_EQ(targetOf(*rules, "a.example.org"), "safe.example.net:8443");
  EXPECT_EQ(targetOf(*rules, "a.b.example.org"), "safe.example.net:8443");
  EXPECT_EQ(targetOf(*rules, "example.org"), "-");
  // Label boundaries: "notexample.org" is not below "example.org".
  EXPECT_EQ(targetOf(*rules, "notexample.org"), "-");
  EXPECT_EQ(targetOf(*rules, "a.notexample.org"), "-");
  // The most specific rule wins: exact, then the longest wildcard.
  EXPECT_EQ(targetOf(*rules, "www.example.org"), "exact.example.net:0");
  EXPECT_EQ(targetOf(*rules, "x.deep.example.org"), "deeper.example.net:0");
  EXPECT_EQ(targetOf(*rules, "deep.example.org"), "safe.example.net:8443");
  // IP literals as requested hosts.
  EXPECT_EQ(targetOf(*rules, "192.0.2.10"), "198.51.100.7:0");
  EXPECT_EQ(targetOf(*rules, "192.0.2.11"), "-");
  EXPECT_EQ(targetOf(*rules, "2001:db8::1"), "[2001:db8::2]:443");
  EXPECT_EQ(targetOf(*rules, ""), "-");
}

TEST(SubstituteRulesTest, KeysAreCaseInsensitiveAndLaterEntriesWin) {
  auto rules = parseOk({{"WWW.Bing.COM", "strict.bing.com"}, {"www.bing.com", "other.bing.com"}});
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->size(), 1u);
  EXPECT_EQ(targetOf(*rules, "www.bing.com"), "other.bing.com:0");
}

TEST(SubstituteRulesTest, ErrorsNameFileAndLine) {
  std::vector<ConfigProblem> problems;
  auto s = settings({{"www.good.test", "safe.good.test"},
                     {"bad host", "x.test"},
                     {"*.ok.test", "not a target"},
                     {"www.a.test", "x.test:99999"},
                     {"*.*.test", "x.test"},
                     {"*.1.2.3.4", "x.test"}});
  auto rules = SubstituteRules::parse(s, problems);
  EXPECT_FALSE(rules);
  ASSERT_EQ(problems.size(), 5u);
  EXPECT_EQ(problems[0].index, 1u);
  EXPECT_EQ(problems[0].describe().rfind("60-substitute.conf:3: 'bad host'", 0), 0u)
      << problems[0].describe();
  EXPECT_EQ(problems[1].describe().rfind("60-substitute.conf:4: ", 0), 0u)
      << problems[1].describe();
  EXPECT_NE(problems[2].message.find("99999"), std::string::npos) << problems[2].message;
  EXPECT_EQ(problems[3].line, 6u);
  EXPECT_EQ(problems[4].line, 7u);
}

TEST(SubstituteRulesTest, OtherSectionsAreRefused) {
  std::vector<ConfigProblem> problems;
  auto rules = SubstituteRules::parse(settings({{"a.test", "b.test"}}, "substitutes"), problems);
  EXPECT_FALSE(rules);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("[substitutes]"), std::string::npos);
}

TEST(SubstituteRulesTest, EmptyConfigurationMatchesNothing) {
  auto rules = parseOk({});
  ASSERT_TRUE(rules);
  EXPECT_FALSE(rules->find("www.google.com"));
  EXPECT_EQ(rules->statusJson(), "{\"rules\":0,\"substitutions\":[]}");
}

TEST(SubstituteRulesTest, StatusCountsHits) {
  auto rules = parseOk({{"www.youtube.com", "restrict.youtube.com"}, {"v6.test", "[::1]:8080"}});
  ASSERT_TRUE(rules);
  auto m = rules->find("www.youtube.com");
  ASSERT_TRUE(m);
  m->rule->hits.fetch_add(2);
  EXPECT_EQ(rules->statusJson(),
            "{\"rules\":2,\"substitutions\":[{\"requested\":\"www.youtube.com\",\"substitute\":"
            "\"restrict.youtube.com\",\"hits\":2},{\"requested\":\"v6.test\",\"substitute\":"
            "\"[::1]:8080\",\"hits\":0}]}");
}

namespace {

// The [substitute] entries of a shipped conf file (full-line comments, [plugin] skipped).
std::vector<Setting> readConf(const std::string& path) {
  std::vector<Setting> out;
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::string line, section;
  uint32_t n = 0;
  auto trim = [](std::string s) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
    return s;
  };
  while (std::getline(in, line)) {
    ++n;
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';')
      continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    auto eq = line.find('=');
    if (section != "plugin")
      out.push_back(Setting{out.size(), path, n, section, trim(line.substr(0, eq)),
                            trim(line.substr(eq + 1))});
  }
  return out;
}

} // namespace

TEST(SubstituteExamplesTest, SafeSearchConfParsesAndMapsTheSearchEngines) {
  std::vector<ConfigProblem> problems;
  auto rules = SubstituteRules::parse(
      readConf(std::string(EXAPROXY_SOURCE_DIR) + "/conf.d/examples/safesearch.conf"), problems);
  ASSERT_TRUE(rules) << problems.front().describe();
  EXPECT_EQ(targetOf(*rules, "www.google.com"), "forcesafesearch.google.com:0");
  EXPECT_EQ(targetOf(*rules, "www.google.co.uk"), "forcesafesearch.google.com:0");
  EXPECT_EQ(targetOf(*rules, "www.google.de"), "forcesafesearch.google.com:0");
  EXPECT_EQ(targetOf(*rules, "mail.google.com"), "-");
  EXPECT_EQ(targetOf(*rules, "www.youtube.com"), "restrict.youtube.com:0");
  EXPECT_EQ(targetOf(*rules, "m.youtube.com"), "restrict.youtube.com:0");
  EXPECT_EQ(targetOf(*rules, "youtubei.googleapis.com"), "restrict.youtube.com:0");
  EXPECT_EQ(targetOf(*rules, "www.bing.com"), "strict.bing.com:0");
  EXPECT_EQ(targetOf(*rules, "duckduckgo.com"), "safe.duckduckgo.com:0");
  // Names, not addresses (PROTOCOLS.md section 5: resolve at run time).
  for (const auto& r : rules->rules())
    EXPECT_FALSE(isIpv4Literal(r->target.host) || isIpv6Literal(r->target.host)) << r->pattern;
}

TEST(SubstituteExamplesTest, ExampleConfParses) {
  std::vector<ConfigProblem> problems;
  auto rules = SubstituteRules::parse(
      readConf(std::string(EXAPROXY_SOURCE_DIR) + "/conf.d/examples/60-substitute.conf"), problems);
  ASSERT_TRUE(rules) << problems.front().describe();
  EXPECT_EQ(rules->size(), 0u) << "the example's rules are all commented out";
}
