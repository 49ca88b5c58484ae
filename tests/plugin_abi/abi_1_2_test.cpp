// ABI 1.2 end to end through the real binary with curl: request edits carried by a verdict that a
// worker thread completes (no loop hop in the plugin) or that a hook returns, a URL that does not
// fit following the plugin's on_error policy, pages rendered by the host from its templates
// directory (host and plugin variables, escaping, a missing template, template_exists in
// create(), a SIGHUP to another directory), and 1.0 / 1.1 plugins in the same chain. The plugin is
// tests/plugin_abi/plugins/abi12.c.
#include "itest.h"

#include <csignal>
#include <sstream>

#ifndef ABI12_PLUGIN
#error "ABI12_PLUGIN must name abi12.so"
#endif

using namespace itest;

namespace {

std::string abi12Conf(const std::vector<std::string>& settings,
                      const std::vector<std::string>& policy = {}) {
  std::string text = std::string("[plugin]\npath = ") + ABI12_PLUGIN + "\n";
  for (const auto& p : policy)
    text += p + "\n";
  text += "\n[abi12]\n";
  for (const auto& s : settings)
    text += s + "\n";
  return text;
}

std::string pluginConf(const std::string& path, const std::string& section,
                       const std::vector<std::string>& settings) {
  std::string text = "[plugin]\npath = " + path + "\n\n[" + section + "]\n";
  for (const auto& s : settings)
    text += s + "\n";
  return text;
}

// The 11th access-log field (the plugins' decision) of the last line whose URL contains needle,
// polling until it is written.
std::string waitDecision(const ProxyProcess& proxy, const std::string& needle) {
  std::string found;
  waitFor(
      [&] {
        for (const auto& line : splitLines(proxy.accessLog())) {
          std::istringstream in(line);
          std::vector<std::string> f;
          for (std::string w; in >> w;)
            f.push_back(w);
          if (f.size() >= 11 && f[6].find(needle) != std::string::npos)
            found = f[10];
        }
        return !found.empty();
      },
      Millis(5000));
  return found;
}

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = 0; (p = text.find(needle, p)) != std::string::npos; p += needle.size())
    ++n;
  return n;
}

class Abi12 : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(origin_.ok());
    ASSERT_TRUE(second_.ok());
    templates_ = makeTempDir("itest-abi12-templates-");
    ASSERT_TRUE(writeFile(templates_ + "/error.html", "generic {{status}} {{detail}}"));
    ASSERT_TRUE(writeFile(templates_ + "/blocked.html",
                          "<h1>{{status}} {{reason}}</h1><p>{{detail}}</p><p>url={{url}}</p>"
                          "<p>host={{host}} method={{method}} client={{client}} user={{user}}</p>"
                          "<p>plugin={{plugin}} proxy={{proxy}} category={{category}}</p>"
                          "<p>time={{time}}</p>"));
  }
  void TearDown() override {
    proxy_.reset();
    removeTree(templates_);
  }

  // Starts the proxy with [server] templates and the given plugin .conf files.
  void start(const std::vector<std::pair<std::string, std::string>>& files) {
    ProxyOptions o;
    o.extraFiles = files;
    o.extraFiles.emplace_back("01-templates.conf", "[server]\ntemplates = " + templates_ + "\n");
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
  }

  CurlResult get(const std::string& url, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"-x", proxy_->proxyArg()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(url);
    return runCurl(args);
  }

  std::string log() const { return proxy_->stderrText() + proxy_->stdoutText(); }

  OriginServer origin_;
  OriginServer second_;
  std::string templates_;
  std::unique_ptr<ProxyProcess> proxy_;
};

// The redirector's case: the verdict is built and completed on a worker thread, and the host
// applies its edits on the request's loop.
TEST_F(Abi12, PendingRewriteFromAWorkerThreadEditsTheRequest) {
  start({{"20-abi12.conf",
          abi12Conf({"when = pending", "url = " + origin_.url("/echo?edited=1"), "set = X-Set: one",
                     "add = X-Add: two", "add = X-Add: three", "remove = X-Drop"})}});
  auto r = get(origin_.url("/original"), {"-H", "X-Drop: gone", "-H", "X-Set: old"});
  ASSERT_EQ(r.status, 200) << r.describe();
  auto reqs = origin_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target.find("/original"), std::string::npos) << reqs[0].target;
  EXPECT_NE(reqs[0].target.find("/echo?edited=1"), std::string::npos) << reqs[0].target;
  EXPECT_EQ(reqs[0].headers.joined("X-Set"), "one");
  EXPECT_EQ(reqs[0].headers.joined("X-Add"), "two, three");
  EXPECT_FALSE(reqs[0].headers.get("X-Drop").has_value());
  // The edits arrive with a PENDING verdict's completion: still this plugin's rewrite.
  EXPECT_EQ(waitDecision(*proxy_, "/echo?edited=1"), "rewritten:20-abi12") << proxy_->accessLog();
}

TEST_F(Abi12, SyncRewriteVerdictCarriesEditsToo) {
  start({{"20-abi12.conf", abi12Conf({"when = sync", "url = /echo?sync=1", "set = X-Sync: yes"})}});
  auto r = get(origin_.url("/before"));
  ASSERT_EQ(r.status, 200) << r.describe();
  auto reqs = origin_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/echo?sync=1");
  EXPECT_EQ(reqs[0].headers.get("X-Sync").value_or(""), "yes");
}

TEST_F(Abi12, RewriteToAnotherHostMovesTheRequestAndItsHost) {
  start({{"20-abi12.conf", abi12Conf({"url = " + second_.url("/echo?moved")})}});
  auto r = get(origin_.url("/first"));
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(origin_.requestCount(), 0u);
  auto reqs = second_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers.get("Host").value_or(""), second_.endpoint().str());
}

// host:port is a URL only for CONNECT: found when the verdict is applied to a GET, so the
// plugin's on_error policy decides, and none of the verdict's edits is made.
TEST_F(Abi12, UrlThatDoesNotFitTheRequestFollowsOnError) {
  start({{"20-abi12.conf", abi12Conf({"url = 127.0.0.1:9", "set = X-Partial: no"})}});
  auto denied = get(origin_.url("/?no-fit"));
  EXPECT_EQ(denied.status, 503) << denied.describe();
  EXPECT_EQ(origin_.requestCount(), 0u);
  EXPECT_TRUE(
      waitFor([&] { return log().find("does not fit") != std::string::npos; }, Millis(3000)))
      << log();
  EXPECT_NE(log().find("plugin.error"), std::string::npos) << log();
}

TEST_F(Abi12, UrlThatDoesNotFitWithOnErrorAllowLeavesTheRequestUnchanged) {
  start({{"20-abi12.conf",
          abi12Conf({"url = 127.0.0.1:9", "set = X-Partial: no"}, {"on_error = allow"})}});
  auto r = get(origin_.url("/echo?unchanged"));
  ASSERT_EQ(r.status, 200) << r.describe();
  auto reqs = origin_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/echo?unchanged");
  EXPECT_FALSE(reqs[0].headers.get("X-Partial").has_value()) << "all edits or none";
}

// A DENY page rendered by the host from <templates>/blocked.html: the host's variables, the
// plugin's, every value escaped.
TEST_F(Abi12, DenyPageFromTheHostTemplates) {
  start({{"20-abi12.conf",
          abi12Conf({"when = sync", "action = deny", "template = blocked",
                     "reason = Gambling <b>sites</b>", "var = category=<casino> & co"})}});
  auto r = get(origin_.url("/page?q=<x>"), {"-D", "/dev/stderr"});
  EXPECT_EQ(r.status, 403) << r.describe();
  EXPECT_EQ(origin_.requestCount(), 0u);
  EXPECT_NE(r.err.find("text/html; charset=utf-8"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("<h1>403 Forbidden</h1>"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("<p>Gambling &lt;b&gt;sites&lt;/b&gt;</p>"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("url=http://" + origin_.endpoint().str() + "/page?q=&lt;x&gt;"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("host=127.0.0.1 method=GET client=127.0.0.1 user=</p>"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("plugin=abi12 proxy=exaproxy category=&lt;casino&gt; &amp; co"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(" GMT</p>"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("{{"), std::string::npos) << r.out;
  EXPECT_NE(waitDecision(*proxy_, "/page?q=").find("deny"), std::string::npos)
      << proxy_->accessLog();
}

TEST_F(Abi12, RespondPageCompletedFromAWorker) {
  start({{"20-abi12.conf", abi12Conf({"when = pending", "action = respond", "status = 200",
                                      "template = blocked", "var = proxy=Corp proxy"})}});
  auto r = get(origin_.url("/?respond-page"));
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_NE(r.out.find("<h1>200 OK</h1>"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("proxy=Corp proxy"), std::string::npos) << "a plugin variable wins";
  EXPECT_EQ(origin_.requestCount(), 0u);
}

TEST_F(Abi12, MissingTemplateFallsBackToErrorHtmlAndIsLogged) {
  start({{"20-abi12.conf", abi12Conf({"when = sync", "action = deny", "status = 451",
                                      "template = nope", "reason = legal"})}});
  auto r = get(origin_.url("/?missing-template"));
  EXPECT_EQ(r.status, 451) << r.describe();
  EXPECT_EQ(r.out, "generic 451 legal");
  EXPECT_TRUE(waitFor([&] { return log().find("template.missing name=nope") != std::string::npos; },
                      Millis(3000)))
      << log();
}

TEST_F(Abi12, TemplateExistsChecksTheHostDirectoryInCreate) {
  start({{"20-abi12.conf", abi12Conf({"require_template = blocked", "when = sync", "action = deny",
                                      "template = blocked"})},
         // Optional, so that its refusal is logged and the proxy serves with the other.
         {"30-abi12.conf", abi12Conf({"require_template = absent"}, {"required = no"})}});
  EXPECT_TRUE(
      waitFor([&] { return log().find("no such template") != std::string::npos; }, Millis(3000)))
      << log();
  EXPECT_NE(log().find("plugin.refused name=30-abi12"), std::string::npos) << log();
  auto r = get(origin_.url("/?exists"));
  EXPECT_EQ(r.status, 403) << r.describe();
  EXPECT_NE(r.out.find("plugin=abi12"), std::string::npos) << r.out;
}

// SIGHUP to another templates directory: the pages come from the new one, and template_exists
// (reconfigured plugins) sees it.
TEST_F(Abi12, ReloadToAnotherTemplatesDirectory) {
  start({{"20-abi12.conf", abi12Conf({"when = sync", "action = deny", "template = blocked"})}});
  auto before = get(origin_.url("/?before-reload"));
  EXPECT_NE(before.out.find("plugin=abi12"), std::string::npos) << before.out;
  std::string next = makeTempDir("itest-abi12-next-");
  ASSERT_TRUE(writeFile(next + "/blocked.html", "new look {{status}}"));
  ASSERT_TRUE(writeFile(next + "/only-new.html", "-"));
  ASSERT_TRUE(
      writeFile(proxy_->confDir() + "/01-templates.conf", "[server]\ntemplates = " + next + "\n"));
  ASSERT_TRUE(writeFile(proxy_->confDir() + "/20-abi12.conf",
                        abi12Conf({"when = sync", "action = deny", "template = blocked",
                                   "require_template = only-new", "reason = after"})));
  size_t reloads = countOf(log(), "reload.done");
  proxy_->sendSignal(SIGHUP);
  ASSERT_TRUE(waitFor([&] { return countOf(log(), "reload.done") > reloads; }, Millis(10000)))
      << log();
  // The loops take the new configuration by message: poll until the new page shows.
  std::string out;
  waitFor(
      [&] {
        out = get(origin_.url("/?after-reload")).out;
        return out == "new look 403";
      },
      Millis(5000));
  EXPECT_EQ(out, "new look 403");
  EXPECT_EQ(countOf(log(), "reload_refused"), 0u) << "only-new.html exists in the new directory";
  removeTree(next);
}

// SIGHUP with nothing changed in conf.d: a page edited and a template added in the same directory
// are taken (the host re-reads its templates and the plugin is refreshed, so template_exists
// sees the new file).
TEST_F(Abi12, ReloadRereadsTheSameTemplatesDirectory) {
  start({{"20-abi12.conf", abi12Conf({"when = sync", "action = deny", "template = blocked"})}});
  auto before = get(origin_.url("/?same-dir-before"));
  EXPECT_NE(before.out.find("plugin=abi12"), std::string::npos) << before.out;
  ASSERT_TRUE(writeFile(templates_ + "/blocked.html", "edited {{status}}"));
  size_t reloads = countOf(log(), "reload.done");
  proxy_->sendSignal(SIGHUP);
  ASSERT_TRUE(waitFor([&] { return countOf(log(), "reload.done") > reloads; }, Millis(10000)))
      << log();
  std::string out;
  waitFor(
      [&] {
        out = get(origin_.url("/?same-dir-after")).out;
        return out == "edited 403";
      },
      Millis(5000));
  EXPECT_EQ(out, "edited 403") << "the edited page was not re-read on SIGHUP";
}

// 1.0 (frozen headers), 1.1 (scripted) and 1.2 plugins in one chain, each doing its part.
TEST_F(Abi12, OlderPluginsRunInTheSameChain) {
  start({{"10-frozen.conf", pluginConf(FROZEN_1_0_PLUGIN, "frozen", {})},
         {"20-scripted.conf", pluginConf(SCRIPTED_PLUGIN, "scripted", {"label = v11"})},
         {"30-abi12.conf", abi12Conf({"set = X-Abi12: yes"})}});
  auto r = get(origin_.url("/echo?chain"));
  EXPECT_EQ(r.status, 404) << r.describe() << " (the origin knows no /v1 path)";
  auto reqs = origin_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/v1/echo?chain");
  EXPECT_EQ(reqs[0].headers.get("X-Abi").value_or(""), "1.0");
  EXPECT_EQ(reqs[0].headers.get("X-Chain").value_or(""), "v11");
  EXPECT_EQ(reqs[0].headers.get("X-Abi12").value_or(""), "yes");
  EXPECT_NE(log().find("abi=1.0"), std::string::npos) << log();
  EXPECT_NE(log().find("abi=1.1"), std::string::npos) << log();
  EXPECT_NE(log().find("abi=1.2"), std::string::npos) << log();
}

} // namespace
