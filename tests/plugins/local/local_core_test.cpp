// Unit tests of local_core: rules parsing (errors name file:line, template names checked through
// the host), matching, the page a template rule asks the host for (the host renders and escapes
// it: tests/unit/http/error_pages_test.cpp), generated content, path traversal attempts, symlinks
// and conditional requests, against a temporary directory tree.
#include "file_server.h"
#include "generators.h"
#include "http_date.h"
#include "local_core.h"
#include "mime_types.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace exaproxy::local;
namespace fs = std::filesystem;

namespace {

void writeFile(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

class LocalTest : public testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/local_core_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = fs::canonical(tmpl);
    writeFile(dir_ / "www/index.html", "<h1>home</h1>");
    writeFile(dir_ / "www/style.css", "body{}");
    writeFile(dir_ / "www/sub/page.txt", "page");
    writeFile(dir_ / "www/sub/index.html", "sub index");
    writeFile(dir_ / "secret.txt", "top secret");
    fs::create_symlink(dir_ / "secret.txt", dir_ / "www/escape.txt");
    fs::create_symlink(dir_ / "www/style.css", dir_ / "www/inside.css");
    fs::create_symlink(dir_, dir_ / "www/up");
    fs::create_directories(dir_ / "conf.d");
    conf_ = (dir_ / "conf.d/80-local.conf").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Entries of sections: {section, key, value}; line = position + 1.
  std::vector<ConfigEntry>
  entries(const std::vector<std::tuple<std::string, std::string, std::string>>& list) const {
    std::vector<ConfigEntry> out;
    for (size_t i = 0; i < list.size(); ++i) {
      auto& [s, k, v] = list[i];
      out.push_back(ConfigEntry{i, conf_, static_cast<uint32_t>(i + 1), s, k, v});
    }
    return out;
  }
  std::string error(const std::vector<std::tuple<std::string, std::string, std::string>>& list,
                    const TemplateCheck& check = {}) {
    try {
      parseLocalConfig(entries(list), check);
    } catch (const ConfigFailure& f) {
      return f.what();
    }
    return "";
  }
  LocalCore core(const std::vector<std::tuple<std::string, std::string, std::string>>& list) {
    auto clock = [] { return std::chrono::system_clock::from_time_t(784111777); };
    return LocalCore(parseLocalConfig(entries(list)), std::make_shared<LocalStats>(), clock);
  }
  static LocalRequest get(const std::string& url, const std::string& method = "GET") {
    LocalRequest r;
    r.method = method;
    r.url = url;
    size_t hostStart = url.find("//") + 2;
    size_t pathStart = url.find('/', hostStart);
    std::string authority = url.substr(hostStart, pathStart - hostStart);
    r.host = authority.substr(0, authority.find(':'));
    r.port = authority.find(':') == std::string::npos
                 ? 80
                 : static_cast<uint16_t>(std::stoi(authority.substr(authority.find(':') + 1)));
    r.path = url.substr(pathStart);
    r.client = "192.0.2.7";
    r.listener = "127.0.0.1:3128";
    return r;
  }
  LocalAnswer ask(const LocalCore& c, const LocalRequest& r) {
    const LocalRule* rule = c.match(r);
    return rule ? c.answer(*rule, r) : LocalAnswer{};
  }

  fs::path dir_;
  std::string conf_;
};

using T = std::tuple<std::string, std::string, std::string>;

} // namespace

// ---- configuration ----

TEST_F(LocalTest, ParsesGlobalsAndRules) {
  auto cfg = parseLocalConfig(entries(
      {T{"local", "name", "Corp Proxy"}, T{"local", "pac_proxy", "proxy.corp.test:3128"},
       T{"local docs", "prefix", "http://docs.corp.test/"}, T{"local docs", "directory", "../www"},
       T{"local block", "host", "*.bad.test"}, T{"local block", "template", "blocked"}}));
  EXPECT_EQ(cfg->proxyName, "Corp Proxy");
  EXPECT_TRUE(cfg->proxyNameSet);
  ASSERT_EQ(cfg->rules.size(), 2u);
  EXPECT_EQ(cfg->rules[0].name, "docs");
  EXPECT_TRUE(cfg->rules[0].prefixIsUrl);
  EXPECT_EQ(cfg->rules[0].root, (dir_ / "www").string()); // relative to the conf file's directory
  EXPECT_EQ(cfg->rules[1].action, RuleAction::Template);
  EXPECT_EQ(cfg->rules[1].templateName, "blocked");
  EXPECT_TRUE(cfg->warnings.empty());
}

// The host owns the templates (ABI 1.2): names are checked through it, the old key only warns.
TEST_F(LocalTest, TemplateNamesAreCheckedByTheHost) {
  std::vector<std::string> asked;
  auto check = [&](std::string_view name) -> std::optional<bool> {
    asked.emplace_back(name);
    return name == "blocked" || name == "error";
  };
  auto rules = [](const std::string& name) {
    return std::vector<T>{T{"local a", "host", "a.test"}, T{"local a", "template", name}};
  };
  EXPECT_EQ(error(rules("blocked"), check), "");
  std::string e = error(rules("missing"), check);
  EXPECT_NE(e.find(":2: [local a] template: no template 'missing': add missing.html to the "
                   "proxy's templates directory ([server] templates"),
            std::string::npos)
      << e;
  EXPECT_EQ(asked, (std::vector<std::string>{"blocked", "missing"}));
  // Bad names never reach the host.
  EXPECT_NE(error(rules("../secret"), check).find("letters, digits"), std::string::npos);
  EXPECT_NE(error(rules(std::string(65, 'a')), check), "");
  EXPECT_EQ(asked.size(), 2u);
  // The host cannot tell (exaproxy --verify-plugin): accepted.
  EXPECT_EQ(error(rules("missing"), [](std::string_view) { return std::optional<bool>(); }), "");

  // [local] templates is deprecated: accepted with a warning, never read.
  auto cfg = parseLocalConfig(
      entries({T{"local", "templates", "/nonexistent"}, T{"local b", "host", "b.test"},
               T{"local b", "template", "blocked"}, T{"local b", "content_type", "text/plain"}}),
      check);
  ASSERT_EQ(cfg->warnings.size(), 2u);
  EXPECT_NE(cfg->warnings[0].find(conf_ + ":1: [local] templates is deprecated and ignored"),
            std::string::npos)
      << cfg->warnings[0];
  EXPECT_NE(cfg->warnings[1].find("content_type is ignored for a template page"), std::string::npos)
      << cfg->warnings[1];
}

TEST_F(LocalTest, ErrorsNameFileAndLine) {
  std::string e =
      error({T{"local a", "host", "a.test"}, T{"local a", "directory", "/nonexistent"}});
  EXPECT_NE(e.find(conf_ + ":2: [local a] directory: '/nonexistent' does not exist"),
            std::string::npos)
      << e;
  e = error({T{"local a", "host", "a.test"}, T{"local a", "deny", "x"}, T{"local a", "file", "y"}});
  EXPECT_NE(e.find(":3: [local a] file: a rule has one action; 'deny' is already set at line 2"),
            std::string::npos)
      << e;
}

TEST_F(LocalTest, RefusesBadRules) {
  EXPECT_NE(error({T{"local a", "deny", "x"}}).find("matches nothing"), std::string::npos);
  EXPECT_NE(error({T{"local a", "host", "a.test"}}).find("no action"), std::string::npos);
  EXPECT_NE(error({T{"local a", "regex", "(unclosed"}, T{"local a", "deny", "x"}}), "");
  EXPECT_NE(error({T{"local a", "prefix", "docs/"}, T{"local a", "deny", "x"}}), "");
  EXPECT_NE(error({T{"local a", "host", "a.test"}, T{"local a", "generate", "gif"}}), "");
  EXPECT_NE(error({T{"local a", "host", "a.test"}, T{"local a", "file", "../www"}}), ""); // a dir
  EXPECT_NE(error({T{"local a", "host", "a.test"}, T{"local a", "template", "../secret"}}), "");
  EXPECT_NE(error({T{"local", "pac_proxy", "evil\"host:1"}}), "");
  EXPECT_NE(error({T{"local", "pac_direct", "a*b.test"}}), "");
  EXPECT_NE(error({T{"local a", "host", "a.test"}, T{"local a", "deny", "x"},
                   T{"local a", "status", "99"}}),
            "");
  EXPECT_NE(error({T{"local", "bogus", "1"}}).find("unknown key"), std::string::npos);
  EXPECT_NE(error({T{"other", "x", "1"}}).find("unknown section"), std::string::npos);
}

// ---- matching ----

TEST_F(LocalTest, MatchesHostPrefixAndRegexFirstRuleWins) {
  auto c =
      core({T{"local a", "host", "a.test"}, T{"local a", "prefix", "/docs"},
            T{"local a", "deny", "a"}, T{"local b", "regex", "\\.exe$"}, T{"local b", "deny", "b"},
            T{"local c", "host", "*.c.test"}, T{"local c", "deny", "c"},
            T{"local d", "prefix", "http://d.test/x/"}, T{"local d", "deny", "d"}});
  auto name = [&](const std::string& url) {
    const LocalRule* r = c.match(get(url));
    return r ? r->name : "-";
  };
  EXPECT_EQ(name("http://a.test/docs"), "a");
  EXPECT_EQ(name("http://a.test/docs/x"), "a");
  EXPECT_EQ(name("http://a.test/docs?q=1"), "a");
  EXPECT_EQ(name("http://a.test/docsx"), "-");
  EXPECT_EQ(name("http://b.test/docs/x"), "-");
  EXPECT_EQ(name("http://a.test/docs/setup.exe"), "a"); // first match wins
  EXPECT_EQ(name("http://b.test/setup.exe"), "b");
  EXPECT_EQ(name("http://www.c.test/"), "c");
  EXPECT_EQ(name("http://c.test/"), "-");
  EXPECT_EQ(name("http://d.test/x/y"), "d");
  EXPECT_EQ(name("http://d.test/y"), "-");
  LocalRequest connect = get("http://www.c.test:443/");
  connect.connect = true;
  EXPECT_EQ(c.match(connect), nullptr);
}

TEST_F(LocalTest, ListenerPatternMatchesTheProxyItself) {
  auto c = core({T{"local pac", "host", "@listener"}, T{"local pac", "prefix", "/proxy.pac"},
                 T{"local pac", "generate", "pac"}});
  EXPECT_NE(c.match(get("http://127.0.0.1:3128/proxy.pac")), nullptr);
  EXPECT_EQ(c.match(get("http://127.0.0.1:8080/proxy.pac")), nullptr);
  EXPECT_EQ(c.match(get("http://www.example.test/proxy.pac")), nullptr);
}

// ---- template pages (rendered by the host) ----

TEST_F(LocalTest, TemplateRuleAsksTheHostForItsPage) {
  auto c = core({T{"local b", "host", "bad.test"}, T{"local b", "template", "blocked"},
                 T{"local b", "reason", "Gambling <script>alert(1)</script>"}});
  auto a = ask(c, get("http://bad.test/?q=<script>"));
  EXPECT_EQ(a.kind, LocalAnswer::Kind::Respond);
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.page, "blocked");
  EXPECT_EQ(a.contentType, "text/html; charset=utf-8");
  EXPECT_TRUE(a.body.empty()) << "the host renders the page, not the plugin";
  // The reason travels as the verdict's reason (the host's {{detail}}), unescaped: the host
  // escapes every value when it renders.
  EXPECT_EQ(a.reason, "Gambling <script>alert(1)</script>");
  using Vars = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(a.pageVars, (Vars{{"rule", "b"}})) << "no [local] name: the host's {{proxy}} stays";
  ASSERT_EQ(a.headers.size(), 1u);
  EXPECT_EQ(a.headers[0], (std::pair<std::string, std::string>{"Cache-Control", "no-store"}));
  EXPECT_EQ(c.stats().pages.load(), 1u);
}

TEST_F(LocalTest, TemplatePageStatusAndProxyName) {
  auto c = core({T{"local", "name", "Corp"}, T{"local b", "host", "bad.test"},
                 T{"local b", "template", "error"}, T{"local b", "status", "451"},
                 T{"local b", "reason", "legal"}});
  auto a = ask(c, get("http://bad.test/"));
  EXPECT_EQ(a.status, 451);
  EXPECT_EQ(a.page, "error");
  using Vars = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(a.pageVars, (Vars{{"rule", "b"}, {"proxy", "Corp"}}));
}

TEST_F(LocalTest, DenyRuleLeavesThePageToTheHost) {
  auto c = core({T{"local d", "host", "x.test"}, T{"local d", "deny", "not here"},
                 T{"local d", "status", "410"}});
  auto a = ask(c, get("http://x.test/"));
  EXPECT_EQ(a.kind, LocalAnswer::Kind::Deny);
  EXPECT_EQ(a.status, 410);
  EXPECT_EQ(a.reason, "not here");
}

// ---- generated content ----

TEST_F(LocalTest, PacFile) {
  auto c = core({T{"local", "pac_proxy", "proxy.corp.test:3128"},
                 T{"local", "pac_direct", "*.corp.test intranet"},
                 T{"local pac", "prefix", "/wpad.dat"}, T{"local pac", "generate", "pac"}});
  auto a = ask(c, get("http://wpad.corp.test/wpad.dat"));
  EXPECT_EQ(a.kind, LocalAnswer::Kind::Respond);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.contentType, "application/x-ns-proxy-autoconfig");
  EXPECT_NE(a.body.find("function FindProxyForURL(url, host)"), std::string::npos);
  EXPECT_NE(a.body.find("isPlainHostName(host)"), std::string::npos);
  EXPECT_NE(a.body.find("dnsDomainIs(host, \".corp.test\")"), std::string::npos);
  EXPECT_NE(a.body.find("host == \"intranet\""), std::string::npos);
  EXPECT_NE(a.body.find("return \"PROXY proxy.corp.test:3128; DIRECT\";"), std::string::npos);
}

TEST_F(LocalTest, PacProxyDefaultsToTheListener) {
  LocalConfig cfg;
  LocalRequest r = get("http://10.0.0.1:3128/proxy.pac");
  EXPECT_EQ(pacProxyAddress(cfg, r), "127.0.0.1:3128");
  r.listener = "0.0.0.0:3128";
  EXPECT_EQ(pacProxyAddress(cfg, r), "10.0.0.1:3128");
  r.listener = "::1:3128";
  EXPECT_EQ(pacProxyAddress(cfg, r), "[::1]:3128");
  cfg.pacFallbackDirect = false;
  cfg.pacPlainDirect = false;
  std::string js = pacScript(cfg, "p:1");
  EXPECT_EQ(js.find("isPlainHostName"), std::string::npos);
  EXPECT_NE(js.find("return \"PROXY p:1\";"), std::string::npos);
}

TEST_F(LocalTest, StatusJson) {
  auto c = core({T{"local", "name", "Q\"uote"}, T{"local s", "prefix", "/status.json"},
                 T{"local s", "generate", "status"}});
  auto a = ask(c, get("http://p.test/status.json"));
  EXPECT_EQ(a.contentType, "application/json");
  EXPECT_NE(a.body.find("\"proxy\":\"Q\\\"uote\""), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("\"client\":\"192.0.2.7\""), std::string::npos);
  EXPECT_NE(a.body.find("\"rules\":1"), std::string::npos);
  EXPECT_EQ(jsonString("a\nb\x01"), "\"a\\nb\\u0001\"");
}

// ---- files and trees ----

TEST_F(LocalTest, ServesTreeWithTypesAndValidators) {
  auto c = core({T{"local w", "prefix", "/static/"}, T{"local w", "directory", "../www"}});
  auto a = ask(c, get("http://any.test/static/style.css"));
  EXPECT_EQ(a.kind, LocalAnswer::Kind::Respond);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.file, (dir_ / "www/style.css").string());
  EXPECT_EQ(a.contentType, "text/css; charset=utf-8");
  ASSERT_EQ(a.headers.size(), 2u);
  EXPECT_EQ(a.headers[0].first, "ETag");
  EXPECT_EQ(a.headers[1].first, "Last-Modified");
  a = ask(c, get("http://any.test/static/"));
  EXPECT_EQ(a.file, (dir_ / "www/index.html").string());
  a = ask(c, get("http://any.test/static/sub/page.txt?x=1"));
  EXPECT_EQ(a.file, (dir_ / "www/sub/page.txt").string());
  a = ask(c, get("http://any.test/static/sub?x=1"));
  EXPECT_EQ(a.kind, LocalAnswer::Kind::Redirect);
  EXPECT_EQ(a.location, "http://any.test/static/sub/");
  a = ask(c, get("http://any.test/static/nothing.html"));
  EXPECT_EQ(a.kind, LocalAnswer::Kind::Deny);
  EXPECT_EQ(a.status, 404);
  a = ask(c, get("http://any.test/static/style.css", "POST"));
  EXPECT_EQ(a.status, 405);
  // RFC 9110 15.5.6: a 405 says which methods the resource answers.
  ASSERT_EQ(a.headers.size(), 1u);
  EXPECT_EQ(a.headers[0].first, "Allow");
  EXPECT_EQ(a.headers[0].second, "GET, HEAD");
  a = ask(c, get("http://any.test/static/inside.css")); // a symlink inside the tree is fine
  EXPECT_EQ(a.file, (dir_ / "www/style.css").string());
  EXPECT_EQ(c.stats().files.load(), 4u);
}

TEST_F(LocalTest, TraversalAttemptsAreRefused) {
  auto c = core({T{"local w", "prefix", "/static/"}, T{"local w", "directory", "../www"}});
  for (const std::string path :
       {"/static/../secret.txt", "/static/..%2fsecret.txt", "/static/%2e%2e/secret.txt",
        "/static/%2E%2E%2Fsecret.txt", "/static/sub/../../secret.txt", "/static/..\\secret.txt",
        "/static/%5c..%5csecret.txt", "/static/escape.txt", "/static/up/secret.txt"}) {
    auto a = ask(c, get("http://any.test" + path));
    EXPECT_EQ(a.kind, LocalAnswer::Kind::Deny) << path;
    EXPECT_EQ(a.status, 403) << path;
    EXPECT_TRUE(a.file.empty()) << path;
  }
  EXPECT_EQ(c.stats().traversal.load(), 9u);
  // An absolute path below the prefix is just a path below the root.
  auto a = ask(c, get("http://any.test/static//etc/passwd"));
  EXPECT_EQ(a.status, 404);
  a = ask(c, get("http://any.test/static/%zz"));
  EXPECT_EQ(a.status, 400);
  a = ask(c, get("http://any.test/static/a%00b"));
  EXPECT_EQ(a.status, 400);
}

TEST(SafePathTest, Normalises) {
  std::string rel;
  bool slash = false;
  EXPECT_EQ(safeRelativePath("/a/./b//c%20d/", rel, slash), PathCheck::Ok);
  EXPECT_EQ(rel, "a/b/c d");
  EXPECT_TRUE(slash);
  EXPECT_EQ(safeRelativePath("", rel, slash), PathCheck::Ok);
  EXPECT_EQ(rel, "");
  EXPECT_EQ(safeRelativePath("/a/..", rel, slash), PathCheck::Traversal);
  EXPECT_EQ(safeRelativePath("/%2e%2e", rel, slash), PathCheck::Traversal);
  EXPECT_EQ(safeRelativePath("/a%", rel, slash), PathCheck::Invalid);
  EXPECT_EQ(safeRelativePath("/a%2", rel, slash), PathCheck::Invalid);
  EXPECT_EQ(safeRelativePath("/..foo/x..", rel, slash), PathCheck::Ok); // not a parent reference
}

TEST_F(LocalTest, SingleFileRuleAndConditionalRequests) {
  auto c = core({T{"local f", "prefix", "/motd"}, T{"local f", "file", "../www/sub/page.txt"},
                 T{"local f", "content_type", "text/plain; charset=utf-8"}});
  auto first = ask(c, get("http://x.test/motd"));
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.contentType, "text/plain; charset=utf-8");
  std::string etag = first.headers[0].second, lastModified = first.headers[1].second;

  auto req = get("http://x.test/motd");
  req.ifNoneMatch = etag;
  auto a = ask(c, req);
  EXPECT_EQ(a.status, 304);
  EXPECT_TRUE(a.file.empty());
  EXPECT_TRUE(a.body.empty());
  EXPECT_EQ(a.headers[0].second, etag);

  req.ifNoneMatch = "\"other\", W/" + etag; // weak comparison, in a list
  EXPECT_EQ(ask(c, req).status, 304);
  req.ifNoneMatch = "*";
  EXPECT_EQ(ask(c, req).status, 304);
  req.ifNoneMatch = "\"other\"";
  req.ifModifiedSince = lastModified; // ignored when If-None-Match is present
  EXPECT_EQ(ask(c, req).status, 200);

  req.ifNoneMatch.reset();
  EXPECT_EQ(ask(c, req).status, 304);
  req.ifModifiedSince = "Thu, 01 Jan 1970 00:00:01 GMT";
  EXPECT_EQ(ask(c, req).status, 200);
  req.ifModifiedSince = "not a date";
  EXPECT_EQ(ask(c, req).status, 200);
  EXPECT_EQ(c.stats().notModified.load(), 4u);

  // Touching the file changes both validators.
  struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir_ / "www/sub/page.txt").c_str(), ts, 0), 0);
  req = get("http://x.test/motd");
  req.ifNoneMatch = etag;
  auto after = ask(c, req);
  EXPECT_EQ(after.status, 200);
  EXPECT_NE(after.headers[0].second, etag);
  EXPECT_EQ(after.headers[1].second, "Sun, 09 Sep 2001 01:46:40 GMT");
}

// ---- helpers ----

TEST(HttpDateTest, FormatsAndParsesAllThreeForms) {
  EXPECT_EQ(formatHttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994"), 784111777);
  EXPECT_FALSE(parseHttpDate("Sun, 06 Foo 1994 08:49:37 GMT"));
  EXPECT_FALSE(parseHttpDate("Sun, 06 Nov 1994 25:49:37 GMT"));
  EXPECT_FALSE(parseHttpDate(""));
}

TEST(MimeTypesTest, ByExtension) {
  EXPECT_EQ(contentTypeFor("/a/b/INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(contentTypeFor("x.png"), "image/png");
  EXPECT_EQ(contentTypeFor("proxy.pac"), "application/x-ns-proxy-autoconfig");
  EXPECT_EQ(contentTypeFor("/srv/wpad.dat"), "application/x-ns-proxy-autoconfig");
  EXPECT_EQ(contentTypeFor("other.dat"), "application/octet-stream");
  EXPECT_EQ(contentTypeFor("noext"), "application/octet-stream");
  EXPECT_EQ(contentTypeFor("a.json"), "application/json; charset=utf-8");
}
