// Unit tests of headers_core: rule parsing (errors name file:line), host matching, header edits and
// the cookie editing edge cases, against an in-memory field list.
#include "cookie_editor.h"
#include "headers_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

using namespace exaproxy::headers;

namespace {

bool iequal(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// A message's fields, refusing what the host refuses.
class FakeFields : public HeaderAccess {
public:
  std::vector<std::pair<std::string, std::string>> list;

  std::vector<std::string> values(std::string_view name) const override {
    std::vector<std::string> out;
    for (const auto& [n, v] : list)
      if (iequal(n, name))
        out.push_back(v);
    return out;
  }
  bool set(std::string_view name, std::string_view value) override {
    if (!valid(name, value))
      return false;
    remove(name);
    list.emplace_back(name, value);
    return true;
  }
  bool add(std::string_view name, std::string_view value) override {
    if (!valid(name, value))
      return false;
    list.emplace_back(name, value);
    return true;
  }
  int remove(std::string_view name) override {
    auto n = std::erase_if(list, [&](const auto& f) { return iequal(f.first, name); });
    return static_cast<int>(n);
  }
  std::string get(std::string_view name) const {
    auto v = values(name);
    return v.empty() ? "<none>" : v.front();
  }

private:
  static bool valid(std::string_view name, std::string_view value) {
    return isToken(name) && value.find_first_of(std::string_view("\r\n\0", 3)) == value.npos;
  }
};

std::vector<ConfigEntry> conf(const std::vector<std::pair<std::string, std::string>>& kv,
                              const std::string& section = "headers test") {
  std::vector<ConfigEntry> out;
  for (size_t i = 0; i < kv.size(); ++i)
    out.push_back(ConfigEntry{i, "/etc/exaproxy/conf.d/70-headers.conf",
                              static_cast<uint32_t>(10 + i), section, kv[i].first, kv[i].second});
  return out;
}

std::string parseError(const std::vector<ConfigEntry>& entries) {
  try {
    parseHeadersConfig(entries);
  } catch (const ConfigFailure& f) {
    return f.what();
  }
  return "";
}

ApplyResult run(const std::vector<std::pair<std::string, std::string>>& kv, FakeFields& f,
                std::string_view host = "www.youtube.com", Direction dir = Direction::Request) {
  auto cfg = parseHeadersConfig(conf(kv));
  return applyRules(*cfg, dir, host, f);
}

} // namespace

// ---- configuration ----

TEST(HeadersConfigTest, ParsesRulesInOrder) {
  auto entries = conf({{"host", "*.youtube.com youtube.com"}, {"set", "X-A: 1"}});
  auto more = conf({{"direction", "response"}, {"remove", "Server"}}, "headers second");
  entries.insert(entries.end(), more.begin(), more.end());
  auto cfg = parseHeadersConfig(entries);
  ASSERT_EQ(cfg->rules.size(), 2u);
  EXPECT_EQ(cfg->rules[0].name, "test");
  EXPECT_EQ(cfg->rules[0].hosts.size(), 2u);
  EXPECT_EQ(cfg->rules[0].direction, Direction::Request);
  EXPECT_EQ(cfg->rules[1].direction, Direction::Response);
  EXPECT_EQ(cfg->rules[1].ops[0].kind, HeaderOp::Kind::Remove);
}

TEST(HeadersConfigTest, ErrorsNameFileAndLine) {
  std::string e = parseError(conf({{"host", "a.test"}, {"set", "no colon here"}}));
  EXPECT_NE(e.find("/etc/exaproxy/conf.d/70-headers.conf:11: [headers test] set:"),
            std::string::npos)
      << e;
  EXPECT_NE(parseError(conf({{"bogus", "1"}})).find(":10: [headers test] bogus: unknown key"),
            std::string::npos);
}

TEST(HeadersConfigTest, RefusesBadValues) {
  EXPECT_NE(parseError(conf({{"set", "Bad Name: 1"}})), "");
  EXPECT_NE(parseError(conf({{"set", "Host: evil.test"}})).find("belongs to the proxy"),
            std::string::npos);
  EXPECT_NE(parseError(conf({{"remove", "Content-Length"}})), "");
  EXPECT_NE(parseError(conf({{"cookie_set", "a=b c"}})), "");
  EXPECT_NE(parseError(conf({{"cookie_set", "a=b; Path=/"}})), ""); // attributes: request
  EXPECT_NE(parseError(conf({{"cookie_param", "PREF"}})), "");
  EXPECT_NE(parseError(conf({{"cookie_param", "PREF f2=8&0"}})), "");
  EXPECT_NE(parseError(conf({{"youtube_restrict", "loose"}})), "");
  EXPECT_NE(parseError(conf({{"direction", "sideways"}, {"set", "X: 1"}})), "");
  EXPECT_NE(parseError(conf({{"host", "bad host!"}, {"set", "X: 1"}})), "");
  EXPECT_NE(parseError(conf({{"host", "a.test"}})).find("no edit"), std::string::npos);
  EXPECT_NE(parseError(conf({{"set", "X: 1"}}, "headers")), "");
  EXPECT_NE(parseError(conf({{"set", "X: 1"}}, "other")), "");
  // direction after the edits it should govern is a mistake, not silently reordered
  EXPECT_NE(parseError(conf({{"set", "X: 1"}, {"direction", "response"}})), "");
}

TEST(HeadersConfigTest, AcceptsResponseCookieAttributes) {
  auto cfg = parseHeadersConfig(
      conf({{"direction", "response"}, {"cookie_set", "consent=yes; Path=/; Secure"}}));
  EXPECT_EQ(cfg->rules[0].ops[0].attributes, "; Path=/; Secure");
}

// ---- header edits ----

TEST(HeadersApplyTest, SetAddRemoveInOrder) {
  FakeFields f;
  f.list = {{"Accept", "*/*"}, {"X-Old", "1"}, {"X-Old", "2"}, {"X-Set", "a"}};
  auto r =
      run({{"remove", "x-old"}, {"set", "X-Set: b"}, {"add", "X-Add: 1"}, {"add", "X-Add: 2"}}, f);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.rulesApplied, 1);
  EXPECT_EQ(f.values("X-Old").size(), 0u);
  EXPECT_EQ(f.values("X-Set"), std::vector<std::string>{"b"});
  EXPECT_EQ(f.values("X-Add"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(f.get("Accept"), "*/*");
}

TEST(HeadersApplyTest, YouTubeRestrict) {
  FakeFields f;
  auto r = run({{"host", "*.youtube.com"}, {"youtube_restrict", "Moderate"}}, f);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(f.get("YouTube-Restrict"), "Moderate");
}

TEST(HeadersApplyTest, HostAndDirectionMustMatch) {
  FakeFields f;
  auto r = run({{"host", "*.youtube.com"}, {"set", "X: 1"}}, f, "www.google.com");
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.rulesApplied, 0);
  r = run({{"set", "X: 1"}}, f, "www.youtube.com", Direction::Response);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(f.list.size(), 0u);
}

TEST(HeadersApplyTest, RemovingAbsentHeaderChangesNothing) {
  FakeFields f;
  f.list = {{"A", "1"}};
  EXPECT_FALSE(run({{"remove", "B"}}, f).changed);
}

// ---- cookie parsing and editing ----

TEST(CookieParseTest, SpansAndTolerance) {
  auto p = parseCookieHeader("a=1;  b=x=y ;c=");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[1].name, "b");
  EXPECT_EQ((*p)[1].value, "x=y");
  EXPECT_EQ((*p)[2].value, "");
  EXPECT_TRUE(parseCookieHeader("a=1;"));
  EXPECT_TRUE(parseCookieHeader(""));
  EXPECT_FALSE(parseCookieHeader("a=1; garbage"));
  EXPECT_FALSE(parseCookieHeader("=1"));
  EXPECT_FALSE(parseCookieHeader("a b=1"));
  EXPECT_FALSE(parseCookieHeader(std::string("a=1\x01")));
}

TEST(CookieEditTest, PrefParamEditKeepsOtherCookiesByteForByte) {
  FakeFields f;
  f.list = {{"Cookie", "VISITOR=abc;PREF=f1=50000000&hl=en;  SID=x"}};
  auto r = run({{"cookie_param", "PREF f2=8000000"}}, f);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(f.get("Cookie"), "VISITOR=abc;PREF=f1=50000000&hl=en&f2=8000000;  SID=x");
}

TEST(CookieEditTest, PrefParamReplacesExistingKeyAndDropsDuplicates) {
  EXPECT_EQ(paramSet("f2=0&hl=en&f2=1", "f2", "8000000", '&'), "f2=8000000&hl=en");
  EXPECT_EQ(paramSet("", "f2", "8000000", '&'), "f2=8000000");
  EXPECT_EQ(paramSet("\"hl=en\"", "f2", "8", '&'), "\"hl=en&f2=8\"");
  EXPECT_EQ(paramSet("flag&hl=en&", "f2", "8", '&'), "flag&hl=en&f2=8");
}

TEST(CookieEditTest, PrefParamCreatesCookieWhenAbsent) {
  FakeFields f;
  f.list = {{"Cookie", "SID=x"}};
  run({{"cookie_param", "PREF f2=8000000"}}, f);
  EXPECT_EQ(f.get("Cookie"), "SID=x; PREF=f2=8000000");
  FakeFields none;
  run({{"cookie_param", "PREF f2=8000000"}}, none);
  EXPECT_EQ(none.get("Cookie"), "PREF=f2=8000000");
}

TEST(CookieEditTest, SetReplaceRemove) {
  FakeFields f;
  f.list = {{"Cookie", "a=1; b=2; c=3"}};
  run({{"cookie_set", "b=20"}}, f);
  EXPECT_EQ(f.get("Cookie"), "a=1; b=20; c=3");
  run({{"cookie_replace", "zz=1"}}, f); // absent: nothing
  EXPECT_EQ(f.get("Cookie"), "a=1; b=20; c=3");
  run({{"cookie_set", "d=4"}}, f);
  EXPECT_EQ(f.get("Cookie"), "a=1; b=20; c=3; d=4");
  run({{"cookie_remove", "a"}}, f);
  EXPECT_EQ(f.get("Cookie"), "b=20; c=3; d=4");
  run({{"cookie_remove", "c"}}, f);
  EXPECT_EQ(f.get("Cookie"), "b=20; d=4");
  run({{"cookie_remove", "d"}}, f);
  EXPECT_EQ(f.get("Cookie"), "b=20");
  run({{"cookie_remove", "b"}}, f);
  EXPECT_EQ(f.values("Cookie").size(), 0u); // the last cookie gone: no empty Cookie field
}

TEST(CookieEditTest, DuplicateNamesAllEdited) {
  FakeFields f;
  f.list = {{"Cookie", "a=1; x=9; a=2"}};
  run({{"cookie_replace", "a=0"}}, f);
  EXPECT_EQ(f.get("Cookie"), "a=0; x=9; a=0");
  run({{"cookie_remove", "a"}}, f);
  EXPECT_EQ(f.get("Cookie"), "x=9");
}

TEST(CookieEditTest, NameMatchIsExactAndCaseSensitive) {
  FakeFields f;
  f.list = {{"Cookie", "pref=1; PREFX=2"}};
  auto r = run({{"cookie_replace", "PREF=3"}}, f);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(f.get("Cookie"), "pref=1; PREFX=2");
}

TEST(CookieEditTest, SeveralCookieFieldsEachEdited) {
  FakeFields f;
  f.list = {{"Cookie", "a=1"}, {"Cookie", "b=2"}};
  run({{"cookie_remove", "a"}, {"cookie_set", "c=3"}}, f);
  EXPECT_EQ(f.values("Cookie"), std::vector<std::string>{"b=2; c=3"});
}

TEST(CookieEditTest, MalformedCookiePassedThroughAndCounted) {
  FakeFields f;
  f.list = {{"Cookie", "a=1; this is not a cookie; PREF=hl=en"}};
  auto r = run({{"cookie_param", "PREF f2=8000000"}, {"cookie_remove", "a"}}, f);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.malformedCookies, 1); // counted once per field, not once per edit
  EXPECT_EQ(f.get("Cookie"), "a=1; this is not a cookie; PREF=hl=en");
}

TEST(CookieEditTest, OneMalformedFieldFreezesAllCookieFields) {
  FakeFields f;
  f.list = {{"Cookie", "a=1"}, {"Cookie", "broken"}};
  auto r = run({{"cookie_set", "b=2"}}, f);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.malformedCookies, 1);
  EXPECT_EQ(f.values("Cookie"), (std::vector<std::string>{"a=1", "broken"}));
}

TEST(CookieEditTest, TrailingSeparatorKept) {
  FakeFields f;
  f.list = {{"Cookie", "a=1; b=2;"}};
  run({{"cookie_set", "a=5"}}, f);
  EXPECT_EQ(f.get("Cookie"), "a=5; b=2;");
  run({{"cookie_set", "c=3"}}, f);
  EXPECT_EQ(f.get("Cookie"), "a=5; b=2; c=3");
}

// ---- Set-Cookie (response direction) ----

TEST(SetCookieTest, EditsKeepAttributesAndOtherCookies) {
  FakeFields f;
  f.list = {{"Set-Cookie", "PREF=hl=en; Path=/; Domain=.youtube.com"},
            {"Set-Cookie", "SID=1; HttpOnly"}};
  auto r = run({{"direction", "response"}, {"cookie_param", "PREF f2=8000000"}}, f, "youtube.com",
               Direction::Response);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(f.values("Set-Cookie"),
            (std::vector<std::string>{"PREF=hl=en&f2=8000000; Path=/; Domain=.youtube.com",
                                      "SID=1; HttpOnly"}));
}

TEST(SetCookieTest, RemoveSetAndMalformed) {
  FakeFields f;
  f.list = {{"Set-Cookie", "track=1; Path=/"}, {"Set-Cookie", "no equals sign"}};
  auto r = run({{"direction", "response"},
                {"cookie_remove", "track"},
                {"cookie_set", "consent=no; Path=/; Secure"}},
               f, "a.test", Direction::Response);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.malformedCookies, 1);
  EXPECT_EQ(f.values("Set-Cookie"),
            (std::vector<std::string>{"no equals sign", "consent=no; Path=/; Secure"}));
}

TEST(SetCookieTest, Parse) {
  auto sc = parseSetCookie(" a=b=c ; Path=/");
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->name, "a");
  EXPECT_EQ(sc->value, "b=c");
  EXPECT_EQ(sc->attributes, "; Path=/");
  EXPECT_FALSE(parseSetCookie("novalue; Path=/"));
}
