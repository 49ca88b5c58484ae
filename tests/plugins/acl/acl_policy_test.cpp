// Unit tests of AclPolicy: parsing (errors at file:line), every condition, first match wins,
// the default, redirects with placeholders; and CidrSet.
#include "acl_policy.h"

#include <gtest/gtest.h>

#include <map>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace exaproxy::acl;

namespace {

// Settings written as an INI-like text: "[section]" lines and "key = value" lines, numbered from
// 1 in file "20-acl.conf", the way the host hands them over.
std::vector<Setting> ini(const std::string& text) {
  std::vector<Setting> out;
  std::string section;
  uint32_t line = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string l = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
    ++line;
    if (l.empty() || l[0] == '#')
      continue;
    if (l[0] == '[') {
      section = l.substr(1, l.find(']') - 1);
      continue;
    }
    auto eq = l.find('=');
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(' '));
      s.erase(s.find_last_not_of(' ') + 1);
      return s;
    };
    out.push_back(Setting{out.size(), "20-acl.conf", line, section, trim(l.substr(0, eq)),
                          trim(l.substr(eq + 1))});
  }
  return out;
}

std::unique_ptr<const AclPolicy> loadOk(const std::string& text) {
  std::vector<ConfigProblem> problems;
  auto p = AclPolicy::load(ini(text), problems);
  for (const auto& e : problems)
    ADD_FAILURE() << e.describe();
  return p;
}

std::vector<ConfigProblem> loadErrors(const std::string& text) {
  std::vector<ConfigProblem> problems;
  auto p = AclPolicy::load(ini(text), problems);
  EXPECT_FALSE(p) << "accepted a bad configuration";
  return problems;
}

RequestInfo get(std::string_view host, std::string_view client = "192.0.2.1") {
  RequestInfo r;
  r.client = client;
  r.method = "GET";
  r.host = host;
  r.port = 80;
  r.url = "";
  return r;
}

class TempFile {
public:
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/acl-policy-XXXXXX";
    int fd = ::mkstemp(tmpl);
    EXPECT_NE(fd, -1);
    ::close(fd);
    path_ = tmpl;
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

} // namespace

TEST(CidrSetTest, MatchesNetworksOfBothFamilies) {
  CidrSet s;
  std::string why;
  ASSERT_TRUE(s.add("10.0.0.0/8", why)) << why;
  ASSERT_TRUE(s.add("192.0.2.7", why)) << why;
  ASSERT_TRUE(s.add("2001:db8::/32", why)) << why;
  ASSERT_TRUE(s.add("172.16.5.9/12", why)) << why; // host bits are ignored
  EXPECT_TRUE(s.contains("10.255.1.2"));
  EXPECT_TRUE(s.contains("::ffff:10.1.2.3")) << "IPv4-mapped IPv6 is the IPv4 client";
  EXPECT_TRUE(s.contains("192.0.2.7"));
  EXPECT_FALSE(s.contains("192.0.2.8"));
  EXPECT_TRUE(s.contains("2001:db8:1::5"));
  EXPECT_FALSE(s.contains("2001:db9::5"));
  EXPECT_TRUE(s.contains("172.31.0.1"));
  EXPECT_FALSE(s.contains("172.32.0.1"));
  EXPECT_FALSE(s.contains("not-an-ip"));
  EXPECT_FALSE(s.contains(""));
  for (const char* bad : {"10.0.0.0/33", "10.0.0/8", "2001:db8::/129", "x/8", "10.0.0.0/", "/8"})
    EXPECT_FALSE(s.add(bad, why)) << bad;
  CidrSet all;
  ASSERT_TRUE(all.add("0.0.0.0/0", why));
  EXPECT_TRUE(all.contains("203.0.113.9"));
  EXPECT_FALSE(all.contains("2001:db8::1")) << "0.0.0.0/0 is every IPv4 address only";
}

TEST(AclPolicyTest, FirstMatchWinsAndDefaultApplies) {
  auto p = loadOk("[acl_policy]\n"
                  "default = deny\n"
                  "default_reason = not on the allow list\n"
                  "[acl_rule allow-example]\n"
                  "domains = example.com\n"
                  "action = allow\n"
                  "[acl_rule deny-www]\n"
                  "domains = www.example.com\n"
                  "action = deny\n");
  ASSERT_TRUE(p);
  auto d = p->decide(get("www.example.com"));
  EXPECT_EQ(d.action, Action::Allow) << "the first matching rule decides";
  ASSERT_TRUE(d.rule);
  EXPECT_EQ(d.rule->name, "allow-example");
  d = p->decide(get("other.test"));
  EXPECT_EQ(d.action, Action::Deny);
  EXPECT_EQ(d.rule, nullptr);
  EXPECT_EQ(d.reason, "not on the allow list");
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(p->rules()[0]->hits.load(), 1u);
  EXPECT_EQ(p->defaultHits.load(), 1u);
}

TEST(AclPolicyTest, DefaultIsAllowWithoutConfiguration) {
  auto p = loadOk("");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->decide(get("anything.test")).action, Action::Allow);
}

TEST(AclPolicyTest, DomainListFilesWithLabelBoundaries) {
  TempFile list("evil.com\n# comment\nbad.example\n");
  auto p = loadOk("[acl_lists]\n"
                  "malware = " +
                  list.path() +
                  "\n"
                  "[acl_rule block]\n"
                  "lists = malware\n"
                  "action = deny\n"
                  "reason = Malware site\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->decide(get("evil.com")).action, Action::Deny);
  EXPECT_EQ(p->decide(get("www.evil.com")).reason, "Malware site");
  EXPECT_EQ(p->decide(get("notevil.com")).action, Action::Allow);
  EXPECT_EQ(p->decide(get("x.bad.example")).action, Action::Deny);
  ASSERT_EQ(p->lists().size(), 1u);
  EXPECT_EQ(p->lists()[0]->domains.size(), 2u);
}

TEST(AclPolicyTest, RelativeListPathsAreRelativeToTheConfFile) {
  char tmpl[] = "/tmp/acl-dir-XXXXXX";
  ASSERT_TRUE(::mkdtemp(tmpl));
  std::string dir = tmpl;
  std::ofstream(dir + "/blocked.txt") << "blocked.example\n";
  std::vector<ConfigProblem> problems;
  auto p = AclPolicy::load({Setting{0, dir + "/20-acl.conf", 2, "acl_lists", "b", "blocked.txt"},
                            Setting{1, dir + "/20-acl.conf", 4, "acl_rule r", "lists", "b"},
                            Setting{2, dir + "/20-acl.conf", 5, "acl_rule r", "action", "deny"}},
                           problems);
  ASSERT_TRUE(p) << (problems.empty() ? "" : problems[0].describe());
  EXPECT_EQ(p->decide(get("blocked.example")).action, Action::Deny);
  std::remove((dir + "/blocked.txt").c_str());
  ::rmdir(dir.c_str());
}

TEST(AclPolicyTest, ClientNetworksMethodsPortsAndConnect) {
  auto p = loadOk("[acl_rule staff-connect]\n"
                  "clients = 10.1.0.0/16, 2001:db8::/32\n"
                  "connect = yes\n"
                  "ports = 443 8443-8444\n"
                  "action = allow\n"
                  "[acl_rule no-connect]\n"
                  "connect = yes\n"
                  "action = deny\n"
                  "reason = tunnels are for staff\n"
                  "[acl_rule no-post]\n"
                  "methods = post put\n"
                  "action = deny\n");
  ASSERT_TRUE(p);
  RequestInfo c = get("bank.test", "10.1.2.3");
  c.connect = true;
  c.method = "CONNECT";
  c.port = 443;
  EXPECT_EQ(p->decide(c).action, Action::Allow);
  c.port = 8444;
  EXPECT_EQ(p->decide(c).action, Action::Allow);
  c.port = 8445;
  EXPECT_EQ(p->decide(c).action, Action::Deny) << "port outside the ranges";
  c.port = 443;
  c.client = "10.2.0.1";
  auto d = p->decide(c);
  EXPECT_EQ(d.action, Action::Deny);
  EXPECT_EQ(d.reason, "tunnels are for staff");
  c.client = "2001:db8::99";
  EXPECT_EQ(p->decide(c).action, Action::Allow);

  RequestInfo post = get("site.test");
  post.method = "POST";
  EXPECT_EQ(p->decide(post).action, Action::Deny);
  EXPECT_EQ(p->decide(post).reason, "access denied by rule no-post");
  post.method = "GET";
  EXPECT_EQ(p->decide(post).action, Action::Allow);
}

TEST(AclPolicyTest, UrlRegexIsCaseInsensitiveExtendedRegex) {
  auto p = loadOk("[acl_rule exe]\n"
                  "url_regex = \\.(exe|msi)(\\?|$)\n"
                  "action = deny\n");
  ASSERT_TRUE(p);
  RequestInfo r = get("files.test");
  r.url = "http://files.test/setup.EXE";
  EXPECT_EQ(p->decide(r).action, Action::Deny);
  r.url = "http://files.test/setup.msi?x=1";
  EXPECT_EQ(p->decide(r).action, Action::Deny);
  r.url = "http://files.test/setup.exe.txt";
  EXPECT_EQ(p->decide(r).action, Action::Allow);
  r.url = std::string_view("http://files.test/a.exeXYZ", 23); // not NUL-terminated at 23
  EXPECT_EQ(p->decide(r).action, Action::Deny);
}

TEST(AclPolicyTest, TimeOfDayAndDays) {
  auto p = loadOk("[acl_rule work-hours]\n"
                  "domains = games.test\n"
                  "days = mon-fri\n"
                  "time = 08:00-12:00 13:00-17:30\n"
                  "action = deny\n"
                  "[acl_rule night]\n"
                  "domains = night.test\n"
                  "time = 22:00-06:00\n"
                  "action = deny\n");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->usesTime());
  RequestInfo r = get("games.test");
  auto at = [&](int day, int h, int m) {
    r.weekday = day;
    r.minuteOfDay = h * 60 + m;
    return p->decide(r).action;
  };
  EXPECT_EQ(at(1, 8, 0), Action::Deny);    // Monday 08:00
  EXPECT_EQ(at(1, 7, 59), Action::Allow);  // before
  EXPECT_EQ(at(3, 12, 30), Action::Allow); // lunch
  EXPECT_EQ(at(5, 17, 29), Action::Deny);  // Friday
  EXPECT_EQ(at(5, 17, 30), Action::Allow); // end is exclusive
  EXPECT_EQ(at(6, 10, 0), Action::Allow);  // Saturday
  EXPECT_EQ(at(0, 10, 0), Action::Allow);  // Sunday
  r.host = "night.test";
  EXPECT_EQ(at(2, 23, 0), Action::Deny);
  EXPECT_EQ(at(2, 5, 59), Action::Deny);
  EXPECT_EQ(at(2, 6, 0), Action::Allow);
  EXPECT_EQ(at(2, 21, 59), Action::Allow);
}

TEST(AclPolicyTest, RedirectExpandsPlaceholders) {
  auto p = loadOk("[acl_rule social]\n"
                  "domains = social.test\n"
                  "action = redirect\n"
                  "location = http://portal.test/blocked?u={url}&h={host}&c={client}&r={rule}\n"
                  "status = 307\n");
  ASSERT_TRUE(p);
  RequestInfo r = get("www.social.test", "10.0.0.5");
  r.url = "http://www.social.test/a b?x=1&y=2";
  auto d = p->decide(r);
  EXPECT_EQ(d.action, Action::Redirect);
  EXPECT_EQ(d.status, 307);
  EXPECT_EQ(d.location, "http://portal.test/blocked?u=http%3A%2F%2Fwww.social.test%2Fa%20b%3Fx%3D1"
                        "%26y%3D2&h=www.social.test&c=10.0.0.5&r=social");
}

TEST(AclPolicyTest, UsersAndLaterKeysWin) {
  auto p = loadOk("[acl_rule admins]\n"
                  "users = alice bob\n"
                  "action = deny\n"
                  "action = allow\n"
                  "[acl_rule rest]\n"
                  "action = deny\n");
  ASSERT_TRUE(p);
  RequestInfo r = get("x.test");
  r.user = "bob";
  EXPECT_EQ(p->decide(r).action, Action::Allow);
  r.user = "";
  EXPECT_EQ(p->decide(r).action, Action::Deny);
}

TEST(AclPolicyTest, ErrorsNameFileAndLine) {
  auto errors = loadErrors("[acl_policy]\n"          // 1
                           "default = maybe\n"       // 2
                           "[acl_rule r1]\n"         // 3
                           "clients = 10.0.0.0/33\n" // 4
                           "ports = 0 90-80 http\n"  // 5
                           "url_regex = (unclosed\n" // 6
                           "lists = nosuchlist\n"    // 7
                           "color = blue\n"          // 8
                           "action = deny\n"         // 9
                           "[acl_rule r2]\n"         // 10
                           "domains = ok.test\n"     // 11
                           "[acl_rule r3]\n"         // 12
                           "action = redirect\n"     // 13
                           "[acl_rule r4]\n"         // 14
                           "action = deny\n"         // 15
                           "status = 302\n"          // 16
                           "time = 25:00-26:00\n"    // 17
                           "days = someday\n"        // 18
                           "[other]\n"               // 19
                           "x = y\n");               // 20
  std::vector<std::string> got;
  for (const auto& e : errors)
    got.push_back(e.describe());
  auto has = [&](const std::string& prefix, const std::string& text) {
    for (const auto& g : got)
      if (g.rfind(prefix, 0) == 0 && g.find(text) != std::string::npos)
        return true;
    return false;
  };
  EXPECT_TRUE(has("20-acl.conf:2: ", "allow or deny"));
  EXPECT_TRUE(has("20-acl.conf:4: ", "10.0.0.0/33"));
  EXPECT_TRUE(has("20-acl.conf:5: ", "'0'"));
  EXPECT_TRUE(has("20-acl.conf:5: ", "'90-80'"));
  EXPECT_TRUE(has("20-acl.conf:5: ", "'http'"));
  EXPECT_TRUE(has("20-acl.conf:6: ", "regular expression"));
  EXPECT_TRUE(has("20-acl.conf:7: ", "no list 'nosuchlist'"));
  EXPECT_TRUE(has("20-acl.conf:8: ", "unknown key"));
  EXPECT_TRUE(has("20-acl.conf:11: ", "rule 'r2' has no action"));
  EXPECT_TRUE(has("20-acl.conf:13: ", "needs location"));
  EXPECT_TRUE(has("20-acl.conf:16: ", "400-599"));
  EXPECT_TRUE(has("20-acl.conf:17: ", "25:00-26:00"));
  EXPECT_TRUE(has("20-acl.conf:18: ", "someday"));
  EXPECT_TRUE(has("20-acl.conf:20: ", "unknown section [other]"));
  EXPECT_EQ(got.size(), 14u) << testing::PrintToString(got);
}

TEST(AclPolicyTest, ListFileErrorsNameBothFiles) {
  TempFile list("ok.example\n\nthis is bad\n");
  auto errors = loadErrors("[acl_lists]\n"
                           "bad = " +
                           list.path() + "\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2u);
  EXPECT_EQ(errors[0].message.rfind(list.path() + ":3: ", 0), 0u) << errors[0].message;
  auto missing = loadErrors("[acl_lists]\nx = /nonexistent/acl-list.txt\n");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_NE(missing[0].describe().find("20-acl.conf:2: /nonexistent/acl-list.txt: cannot open"),
            std::string::npos)
      << missing[0].describe();
}

TEST(AclPolicyTest, StatusJson) {
  auto p = loadOk("[acl_rule \"quoted\"]\ndomains = a.test\naction = deny\n");
  ASSERT_TRUE(p);
  p->decide(get("a.test"));
  EXPECT_EQ(p->statusJson(), "{\"default\":\"allow\",\"default_hits\":0,\"lists_load_ms\":0,"
                             "\"lists\":[],\"rules\":[{\"name\":\"\\\"quoted\\\"\",\"action\":"
                             "\"deny\",\"hits\":1}]}");
}

// groups: the request's `group` note (an auth or external-ACL helper's group=), names separated
// by commas or spaces; a request without it matches no groups rule.
TEST(AclPolicyTest, GroupsMatchTheGroupNote) {
  auto p = loadOk("[acl_rule pupils-no-games]\ngroups = pupils interns\ndomains = games.test\n"
                  "action = deny\nreason = not for pupils\n");
  RequestInfo r = get("games.test");
  EXPECT_EQ(p->decide(r).action, Action::Allow) << "no group note";
  r.groups = "staff";
  EXPECT_EQ(p->decide(r).action, Action::Allow);
  for (const char* g : {"pupils", "staff,pupils", "staff, interns", " pupils "}) {
    r.groups = g;
    EXPECT_EQ(p->decide(r).action, Action::Deny) << g;
  }
  r.groups = "pupilsx,xpupils";
  EXPECT_EQ(p->decide(r).action, Action::Allow) << "whole names only";
  auto errors = loadErrors("[acl_rule r]\ngroups =\naction = deny\n");
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].describe().find("group names"), std::string::npos) << errors[0].describe();
}

// external: the note "external.<name>" an external_acl plugin left; "!name" when it is not OK
// (ERR, or no such note).
TEST(AclPolicyTest, ExternalRulesReadTheExternalAclsNote) {
  auto p = loadOk("[acl_rule staff-only]\nexternal = !staff\ndomains = admin.test\n"
                  "action = deny\n[acl_rule vip]\nexternal = vip gold\naction = redirect\n"
                  "location = http://vip.test/\n");
  std::map<std::string, std::string> notes;
  RequestInfo r = get("admin.test");
  r.note = [&notes](std::string_view key) -> std::optional<std::string_view> {
    auto it = notes.find(std::string(key));
    if (it == notes.end())
      return std::nullopt;
    return std::string_view(it->second);
  };
  EXPECT_EQ(p->decide(r).action, Action::Deny) << "no note: not OK";
  notes["external.staff"] = "ERR";
  EXPECT_EQ(p->decide(r).action, Action::Deny);
  notes["external.staff"] = "OK";
  EXPECT_EQ(p->decide(r).action, Action::Allow);
  notes["external.gold"] = "OK";
  EXPECT_EQ(p->decide(r).action, Action::Redirect) << "any of the names";
  auto errors = loadErrors("[acl_rule r]\nexternal = !\naction = deny\n");
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].describe().find("needs a name"), std::string::npos) << errors[0].describe();
}
