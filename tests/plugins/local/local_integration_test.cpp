// The local plugin through the real binary, with curl and raw clients: every rule kind (directory
// tree, single file, template page, deny, PAC, JSON status), conditional requests (304), HEAD,
// traversal attempts, 405 with Allow, and a request for the proxy itself.
#include "itest.h"

#include <chrono>
#include <filesystem>
#include <regex>

using namespace itest;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const char* kConf = R"(# local plugin, integration test (@DIR@ is the test's directory)
[plugin]
path = local.so

[local]
name = Test Proxy
# Deprecated since ABI 1.2 (pages come from [server] templates, 01-templates.conf): a warning.
templates = @DIR@/templates
pac_direct = *.corp.test

[local tree]
host = files.local.test
prefix = /static/
directory = @DIR@/www

[local motd]
prefix = http://files.local.test/motd
file = @DIR@/motd.txt

[local blocked]
host = blocked.local.test *.blocked.local.test
template = blocked
reason = Listed as <gambling> & betting

[local gone]
host = gone.local.test
deny = This site was retired.
status = 410

[local pac]
regex = ^http://wpad\.local\.test/(wpad\.dat|proxy\.pac)$
generate = pac

[local self-pac]
host = @listener
prefix = /proxy.pac
generate = pac

[local status]
host = files.local.test
prefix = /status.json
generate = status
)";

class LocalPluginTest : public testing::Test {
protected:
  void SetUp() override {
    // The host owns the templates: template pages are rendered from [server] templates.
    proxy = std::make_unique<ProxyProcess>(
        ProxyOptions{"",
                     {},
                     {{"01-templates.conf", "[server]\ntemplates = @DIR@/templates\n"},
                      {"80-local.conf", kConf}}});
    fs::path d = proxy->dir();
    fs::create_directories(d / "www/sub");
    fs::create_directories(d / "templates");
    ASSERT_TRUE(writeFile(d / "www/index.html", "<h1>index</h1>\n"));
    ASSERT_TRUE(writeFile(d / "www/app.js", std::string(10000, 'j')));
    ASSERT_TRUE(writeFile(d / "www/sub/page.txt", "sub page\n"));
    ASSERT_TRUE(writeFile(d / "secret.txt", "top secret\n"));
    ASSERT_TRUE(writeFile(d / "motd.txt", "message of the day\n"));
    ASSERT_TRUE(writeFile(d / "templates/blocked.html",
                          "<title>{{status}} {{reason}}</title><p>{{detail}}</p><p>{{url}}</p>"
                          "<p>client={{client}} plugin={{plugin}} host={{host}}</p>"
                          "<p>rule={{rule}} proxy={{proxy}} time={{time}}</p>"));
    ASSERT_TRUE(writeFile(d / "templates/error.html", "host error page {{status}}: {{detail}}"));
    fs::create_symlink(d / "secret.txt", d / "www/escape.txt");
    ASSERT_TRUE(proxy->start());
  }

  static bool writeFile(const fs::path& p, const std::string& content) {
    return itest::writeFile(p.string(), content);
  }

  // curl through the proxy, headers on stdout (-D -), body discarded unless asked for.
  CurlResult curl(std::vector<std::string> args, bool withBody = false) {
    std::vector<std::string> all = {"-x", proxy->proxyArg(), "-D", "-"};
    if (!withBody) {
      all.push_back("-o");
      all.push_back("/dev/null");
    }
    all.insert(all.end(), args.begin(), args.end());
    return runCurl(all);
  }

  static std::string header(const std::string& out, const std::string& name) {
    std::smatch m;
    std::regex re("(^|\r\n)" + name + ": ([^\r\n]*)", std::regex::icase);
    return std::regex_search(out, m, re) ? m[2].str() : "";
  }

  // One raw request (exact bytes: curl would normalise the path).
  std::optional<HttpResponse> raw(const std::string& target, const std::string& host,
                                  const std::vector<std::string>& extra = {}) {
    return rawExchange(proxy->endpoint(), requestHead("GET", target, host, extra), 10s);
  }

  std::unique_ptr<ProxyProcess> proxy;
};

} // namespace

TEST_F(LocalPluginTest, ServesFilesFromTheTree) {
  auto r = curl({"http://files.local.test/static/app.js"}, true);
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.out.find(std::string(10000, 'j')), std::string::npos);
  EXPECT_EQ(header(r.out, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(r.out, "Content-Length"), "10000");
  EXPECT_FALSE(header(r.out, "ETag").empty()) << r.out;
  EXPECT_FALSE(header(r.out, "Last-Modified").empty()) << r.out;

  r = curl({"http://files.local.test/static/"}, true);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.out.find("<h1>index</h1>"), std::string::npos);
  EXPECT_EQ(header(r.out, "Content-Type"), "text/html; charset=utf-8");

  r = curl({"http://files.local.test/static/sub"});
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(header(r.out, "Location"), "http://files.local.test/static/sub/");

  r = curl({"http://files.local.test/static/nothing.html"});
  EXPECT_EQ(r.status, 404);
}

TEST_F(LocalPluginTest, ConditionalRequestsGet304) {
  auto first = curl({"http://files.local.test/static/sub/page.txt"});
  ASSERT_EQ(first.status, 200) << first.describe();
  std::string etag = header(first.out, "ETag");
  std::string lastModified = header(first.out, "Last-Modified");
  ASSERT_FALSE(etag.empty());

  auto r = curl({"-H", "If-None-Match: " + etag, "http://files.local.test/static/sub/page.txt"});
  EXPECT_EQ(r.status, 304) << r.out;
  EXPECT_EQ(header(r.out, "ETag"), etag);

  r = curl(
      {"-H", "If-Modified-Since: " + lastModified, "http://files.local.test/static/sub/page.txt"});
  EXPECT_EQ(r.status, 304) << r.out;

  r = curl({"-H", "If-None-Match: \"stale\"", "http://files.local.test/static/sub/page.txt"});
  EXPECT_EQ(r.status, 200) << r.out;
}

TEST_F(LocalPluginTest, HeadCarriesTheLengthWithoutABody) {
  auto r = runCurl({"-I", "-x", proxy->proxyArg(), "http://files.local.test/static/app.js"});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r.out, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(r.out, "Content-Length"), "10000") << r.out;
}

TEST_F(LocalPluginTest, SingleFileRule) {
  auto r = curl({"http://files.local.test/motd"}, true);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.out.find("message of the day"), std::string::npos);
  EXPECT_EQ(header(r.out, "Content-Type"), "text/plain; charset=utf-8");
}

TEST_F(LocalPluginTest, TraversalAttemptsAreRefused) {
  for (const std::string path :
       {"/static/../secret.txt", "/static/..%2fsecret.txt", "/static/%2e%2e/secret.txt",
        "/static/%2E%2E%2fsecret.txt", "/static/sub/../../secret.txt", "/static/escape.txt",
        "/static/..%5csecret.txt"}) {
    auto resp = raw("http://files.local.test" + path, "files.local.test");
    ASSERT_TRUE(resp) << path;
    EXPECT_EQ(resp->status, 403) << path;
    EXPECT_EQ(resp->body.find("top secret"), std::string::npos) << path;
  }
  // curl's own normalisation is bypassed with --path-as-is.
  auto r = curl({"--path-as-is", "http://files.local.test/static/../secret.txt"}, true);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.out.find("top secret"), std::string::npos);
}

TEST_F(LocalPluginTest, TemplateBlockPage) {
  auto r = curl({"http://www.blocked.local.test/page?x=<b>"}, true);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(header(r.out, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r.out.find("<title>403 Forbidden</title>"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("<p>Listed as &lt;gambling&gt; &amp; betting</p>"), std::string::npos);
  EXPECT_NE(r.out.find("client=127.0.0.1 plugin=local host=www.blocked.local.test"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("<b>"), std::string::npos) << "the URL must be escaped";
  // The host rendered it (ABI 1.2 verdict_set_page): its {{time}}, the plugin's {{rule}} and
  // {{proxy}} ([local] name).
  EXPECT_NE(r.out.find("rule=blocked proxy=Test Proxy time="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" GMT</p>"), std::string::npos) << r.out;
  EXPECT_EQ(header(r.out, "Cache-Control"), "no-store");
  std::string log = proxy->stderrText() + proxy->stdoutText();
  EXPECT_NE(log.find("[local] templates is deprecated and ignored"), std::string::npos) << log;
}

TEST_F(LocalPluginTest, DenyUsesTheHostErrorPage) {
  auto r = curl({"http://gone.local.test/"}, true);
  EXPECT_EQ(r.status, 410);
  // The host's templates: error.html (the one of [server] templates).
  EXPECT_NE(r.out.find("\r\n\r\nhost error page 410: This site was retired."), std::string::npos)
      << r.out;
}

TEST_F(LocalPluginTest, OtherMethodsGet405WithAnAllowHeader) {
  for (const std::string url :
       {"http://files.local.test/static/app.js", "http://files.local.test/motd"}) {
    auto r = curl({"-X", "POST", "--data", "x=1", url}, true);
    EXPECT_EQ(r.status, 405) << url << "\n" << r.out;
    EXPECT_EQ(header(r.out, "Allow"), "GET, HEAD") << url << "\n" << r.out;
    // Still the host's error page, with the plugin's explanation.
    EXPECT_NE(r.out.find("host error page 405: Only GET and HEAD"), std::string::npos) << r.out;
  }
  std::string log = proxy->stderrText() + proxy->stdoutText();
  EXPECT_EQ(log.find("template.missing"), std::string::npos) << log;
}

TEST_F(LocalPluginTest, PacFileByAbsoluteUrl) {
  for (const std::string name : {"wpad.dat", "proxy.pac"}) {
    auto r = curl({"http://wpad.local.test/" + name}, true);
    EXPECT_EQ(r.status, 200) << name;
    EXPECT_EQ(header(r.out, "Content-Type"), "application/x-ns-proxy-autoconfig") << name;
    EXPECT_NE(r.out.find("function FindProxyForURL(url, host)"), std::string::npos);
    EXPECT_NE(r.out.find("dnsDomainIs(host, \".corp.test\")"), std::string::npos);
    // No pac_proxy: the listener the request came in on.
    EXPECT_NE(r.out.find("\"PROXY " + proxy->proxyArg() + "; DIRECT\""), std::string::npos)
        << r.out;
  }
}

TEST_F(LocalPluginTest, PacFileFromTheProxyItself) {
  // Origin-form, Host = the proxy: what a browser does with http://proxy:port/proxy.pac.
  auto resp =
      rawExchange(proxy->endpoint(), requestHead("GET", "/proxy.pac", proxy->proxyArg()), 10s);
  ASSERT_TRUE(resp);
  // The plugins see requests for the proxy itself too: the PAC file, not the host's 404.
  EXPECT_EQ(resp->body.find("This proxy serves no page"), std::string::npos) << resp->body;
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->headers.get("Content-Type").value_or(""), "application/x-ns-proxy-autoconfig");
  EXPECT_NE(resp->body.find("PROXY " + proxy->proxyArg()), std::string::npos);
}

TEST_F(LocalPluginTest, StatusDocument) {
  curl({"http://files.local.test/static/app.js"});
  auto r = curl({"http://files.local.test/status.json"}, true);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r.out, "Content-Type"), "application/json");
  EXPECT_NE(r.out.find("\"proxy\":\"Test Proxy\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"client\":\"127.0.0.1\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"files\":1"), std::string::npos) << r.out;
}

TEST_F(LocalPluginTest, UnmatchedRequestsAreForwarded) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  auto r = runCurl({"-x", proxy->proxyArg(), origin.url("/static/index.html")});
  EXPECT_EQ(r.status, 404); // the origin's answer: no rule names 127.0.0.1
  EXPECT_EQ(origin.requestCount(), 1u);
}
