// ABI 1.2: the new host functions' validation (verdict_set_url, verdict_edit_header,
// template_exists, verdict_set_page), request edits applied all-or-none, the chain applying the
// edits a verdict carries (completed from a worker thread or returned by a hook) and following
// on_error when a URL does not fit, pages carried to the Outcome, and plugin.hpp's wrappers on a
// 1.2 host and on an older one (a shorter table).
#include "plugin_test_support.h"

#include "core/config.h"
#include "plugin/host_api.h"
#include "plugin/loaded_plugin.h"
#include "plugin/plugin_transaction.h"
#include "plugin/txn_state.h"
#include "plugin/url_edit.h"

#include <exaproxy/plugin.hpp>

#include <unistd.h>

#include <cstddef>
#include <fstream>
#include <optional>

namespace exaproxy::plugin::test {
namespace {

namespace fs = std::filesystem;
namespace sdk = exaproxy::sdk;

exaproxy_str S(std::string_view s) { return exaproxy_str{s.data(), s.size()}; }

const exaproxy_host_api& api() { return *hostApi(); }

// ---- the table ---------------------------------------------------------------------------------

TEST(Abi12Table, AppendsTheNewEntries) {
  EXPECT_EQ(api().abi_major, 1);
  EXPECT_EQ(api().abi_minor, EXAPROXY_ABI_MINOR);
  EXPECT_GE(api().abi_minor, 2);
  EXPECT_EQ(api().size, sizeof(exaproxy_host_api));
  EXPECT_TRUE(EXAPROXY_HAS_FIELD(&api(), exaproxy_host_api, verdict_set_url));
  EXPECT_TRUE(EXAPROXY_HAS_FIELD(&api(), exaproxy_host_api, verdict_edit_header));
  EXPECT_TRUE(EXAPROXY_HAS_FIELD(&api(), exaproxy_host_api, template_exists));
  EXPECT_TRUE(EXAPROXY_HAS_FIELD(&api(), exaproxy_host_api, verdict_set_page));
  // Appended after 1.1's last entry: a 1.1 plugin's view of the table is unchanged.
  EXPECT_GT(offsetof(exaproxy_host_api, verdict_set_url), offsetof(exaproxy_host_api, txn_id));
}

// ABI 1.3: check_mode says what the host created the instance for; declare_traits is taken
// only while the plugin is offered its settings, and unknown bits are dropped.
TEST(Abi13Table, CheckModeAndDeclaredTraits) {
  EXPECT_GT(offsetof(exaproxy_host_api, check_mode), offsetof(exaproxy_host_api, verdict_set_page));
  EXPECT_GT(offsetof(exaproxy_host_api, declare_traits), offsetof(exaproxy_host_api, check_mode));
  exaproxy_host h;
  EXPECT_EQ(api().check_mode(&h), 0);
  h.checkMode = true;
  EXPECT_EQ(api().check_mode(&h), 1);
  EXPECT_EQ(api().check_mode(nullptr), 0);
  api().declare_traits(&h, EXAPROXY_TRAIT_ROUTES);
  EXPECT_EQ(h.traits.load(), 0u) << "outside create()/reconfigure(): ignored";
  std::vector<ConfigEntry> offered;
  h.settings = &offered;
  api().declare_traits(&h, EXAPROXY_TRAIT_ROUTES | EXAPROXY_TRAIT_EDITS_REQUEST | 0x80u);
  EXPECT_EQ(h.traits.load(), uint32_t{EXAPROXY_TRAIT_ROUTES | EXAPROXY_TRAIT_EDITS_REQUEST});
  api().declare_traits(&h, 0);
  EXPECT_EQ(h.traits.load(), 0u) << "each call replaces the last";
  api().declare_traits(nullptr, EXAPROXY_TRAIT_ROUTES); // harmless
}

// ---- validation --------------------------------------------------------------------------------

TEST(Abi12Validation, VerdictSetUrlTakesTheFormsOfReqSetUrl) {
  exaproxy_verdict v;
  for (const char* ok :
       {"http://a.test/x?y", "/path?q", "a.test:443", "http://[2001:db8::1]:8080/"})
    EXPECT_EQ(api().verdict_set_url(&v, S(ok)), EXAPROXY_OK) << ok;
  for (const char* bad : {"", "relative", "https://a.test/", "ftp://a.test/", "http://a b/",
                          "http://a.test/\r\nX: y", "a.test:0", "a.test"})
    EXPECT_EQ(api().verdict_set_url(&v, S(bad)), EXAPROXY_E_INVALID) << bad;
  EXPECT_EQ(api().verdict_set_url(nullptr, S("/x")), EXAPROXY_E_INVALID);
  ASSERT_EQ(v.edits.size(), 4u) << "refused URLs are not recorded";
  EXPECT_EQ(v.edits[1].kind, RequestEdit::Kind::Url);
  EXPECT_EQ(v.edits[1].name, "/path?q");
}

TEST(Abi12Validation, VerdictEditHeaderHasTheRulesOfHeaderSet) {
  exaproxy_verdict v;
  EXPECT_EQ(api().verdict_edit_header(&v, EXAPROXY_HEADER_SET, S("X-A"), S("1")), EXAPROXY_OK);
  EXPECT_EQ(api().verdict_edit_header(&v, EXAPROXY_HEADER_ADD, S("X-A"), S("2")), EXAPROXY_OK);
  // REMOVE ignores the value, whatever it holds.
  EXPECT_EQ(api().verdict_edit_header(&v, EXAPROXY_HEADER_REMOVE, S("X-B"), S("\r\n")),
            EXAPROXY_OK);
  for (const char* owned : {"Host", "content-length", "Transfer-Encoding"})
    EXPECT_EQ(api().verdict_edit_header(&v, EXAPROXY_HEADER_SET, S(owned), S("x")),
              EXAPROXY_E_INVALID)
        << owned;
  EXPECT_EQ(api().verdict_edit_header(&v, EXAPROXY_HEADER_REMOVE, S("Host"), S("")),
            EXAPROXY_E_INVALID);
  EXPECT_EQ(api().verdict_edit_header(&v, EXAPROXY_HEADER_SET, S("bad name"), S("x")),
            EXAPROXY_E_INVALID);
  EXPECT_EQ(api().verdict_edit_header(&v, EXAPROXY_HEADER_SET, S(""), S("x")), EXAPROXY_E_INVALID);
  for (std::string_view value :
       {std::string_view("a\rb"), std::string_view("a\nb"), std::string_view("a\0b", 3)})
    EXPECT_EQ(api().verdict_edit_header(&v, EXAPROXY_HEADER_ADD, S("X-C"), S(value)),
              EXAPROXY_E_INVALID);
  EXPECT_EQ(api().verdict_edit_header(&v, 7, S("X-D"), S("x")), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().verdict_edit_header(nullptr, EXAPROXY_HEADER_SET, S("X-D"), S("x")),
            EXAPROXY_E_INVALID);
  ASSERT_EQ(v.edits.size(), 3u);
  EXPECT_EQ(v.edits[0].kind, RequestEdit::Kind::HeaderSet);
  EXPECT_EQ(v.edits[1].kind, RequestEdit::Kind::HeaderAdd);
  EXPECT_EQ(v.edits[2].kind, RequestEdit::Kind::HeaderRemove);
  EXPECT_EQ(v.edits[2].value, "");
}

TEST(Abi12Validation, VerdictSetPageCopiesNameStatusAndVariables) {
  exaproxy_verdict v;
  std::string name = "blocked", k1 = "category", v1 = "<casino>", k2 = "rule.id", v2 = "";
  exaproxy_str vars[] = {S(k1), S(v1), S(k2), S(v2)};
  ASSERT_EQ(api().verdict_set_page(&v, 451, S(name), vars, 2), EXAPROXY_OK);
  name = "changed"; // copied
  k1 = "changed";
  EXPECT_EQ(v.outcome.page.name, "blocked");
  EXPECT_EQ(v.outcome.status, 451);
  using Vars = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(v.outcome.page.vars, (Vars{{"category", "<casino>"}, {"rule.id", ""}}));

  exaproxy_verdict w;
  EXPECT_EQ(api().verdict_set_page(&w, 0, S("error"), nullptr, 0), EXAPROXY_OK);
  EXPECT_EQ(w.outcome.status, 0) << "0 keeps the action's default";
  for (const char* bad : {"", "../x", "a.html", "a b"})
    EXPECT_EQ(api().verdict_set_page(&w, 0, S(bad), nullptr, 0), EXAPROXY_E_INVALID) << bad;
  EXPECT_EQ(api().verdict_set_page(&w, 99, S("x"), nullptr, 0), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().verdict_set_page(&w, 600, S("x"), nullptr, 0), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().verdict_set_page(&w, 0, S("x"), nullptr, 1), EXAPROXY_E_INVALID);
  exaproxy_str badVar[] = {S("{{x}}"), S("v")};
  EXPECT_EQ(api().verdict_set_page(&w, 0, S("x"), badVar, 1), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().verdict_set_page(nullptr, 0, S("x"), nullptr, 0), EXAPROXY_E_INVALID);
  EXPECT_EQ(w.outcome.page.name, "error") << "a refused call changes nothing";
}

class TemplateExists : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("exaproxy_abi12_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "blocked.html") << "x";
    fs::create_directories(dir_ / "dir.html");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void setTemplates(std::optional<fs::path> dir) {
    std::lock_guard lock(host_.templatesMutex);
    host_.templates = std::move(dir);
  }
  int32_t exists(std::string_view name) { return api().template_exists(&host_, S(name)); }

  fs::path dir_;
  exaproxy_host host_;
};

TEST_F(TemplateExists, LooksInThePluginsTemplatesDirectory) {
  setTemplates(dir_);
  EXPECT_EQ(exists("blocked"), 1);
  EXPECT_EQ(exists("nope"), 0);
  EXPECT_EQ(exists("dir"), 0) << "a directory is not a template";
  EXPECT_EQ(exists("error"), 1) << "error.html or the built-in page";
  EXPECT_EQ(exists("../blocked"), EXAPROXY_E_INVALID);
  EXPECT_EQ(exists(""), EXAPROXY_E_INVALID);
  EXPECT_EQ(api().template_exists(nullptr, S("blocked")), EXAPROXY_E_INVALID);
  setTemplates(fs::path()); // built-in pages only
  EXPECT_EQ(exists("blocked"), 0);
  EXPECT_EQ(exists("error"), 1);
  setTemplates(std::nullopt); // no configuration (--verify-plugin)
  EXPECT_EQ(exists("blocked"), EXAPROXY_E_UNAVAILABLE);
  EXPECT_EQ(exists("error"), 1);
}

TEST_F(TemplateExists, EachPluginSeesTheDirectoryItWasLoadedWith) {
  exaproxy_host other;
  setTemplates(dir_);
  EXPECT_EQ(exists("blocked"), 1);
  EXPECT_EQ(api().template_exists(&other, S("blocked")), EXAPROXY_E_UNAVAILABLE)
      << "a plugin loaded without a configuration (--verify-plugin) cannot know";
}

// ---- applying edits ----------------------------------------------------------------------------

TEST(Abi12Edits, AllOrNone) {
  auto req = getRequest("http://origin.test/a");
  std::vector<RequestEdit> edits{{RequestEdit::Kind::HeaderSet, "X-A", "1"},
                                 {RequestEdit::Kind::Url, "http://b.test:8080/b", ""},
                                 {RequestEdit::Kind::Url, "/c?d", ""},
                                 {RequestEdit::Kind::HeaderRemove, "User-Agent", ""},
                                 {RequestEdit::Kind::HeaderAdd, "X-A", "2"}};
  std::string problem;
  ASSERT_TRUE(applyRequestEdits(req, edits, problem)) << problem;
  EXPECT_EQ(req.host, "b.test");
  EXPECT_EQ(req.port, 8080);
  EXPECT_EQ(req.pathAndQuery, "/c?d") << "URL edits in order: the path-only one last";
  EXPECT_EQ(headerValues(req, "x-a"), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(headerValues(req, "user-agent").empty());

  auto other = getRequest("http://origin.test/a");
  std::vector<RequestEdit> bad{{RequestEdit::Kind::HeaderSet, "X-A", "1"},
                               {RequestEdit::Kind::Url, "/fine", ""},
                               {RequestEdit::Kind::Url, "c.test:443", ""}}; // CONNECT only
  EXPECT_FALSE(applyRequestEdits(other, bad, problem));
  EXPECT_NE(problem.find("'c.test:443' does not fit"), std::string::npos) << problem;
  EXPECT_EQ(other.pathAndQuery, "/a");
  EXPECT_TRUE(headerValues(other, "x-a").empty()) << "nothing applied";

  auto connect = parseRequest("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n");
  ASSERT_TRUE(applyRequestEdits(connect, {{RequestEdit::Kind::Url, "b.test:8443", ""}}, problem));
  EXPECT_EQ(connect.host, "b.test");
  EXPECT_EQ(connect.port, 8443);
  EXPECT_FALSE(applyRequestEdits(connect, {{RequestEdit::Kind::Url, "/x", ""}}, problem));
}

TEST(Abi12Edits, PlausibleUrls) {
  EXPECT_TRUE(plausibleRequestUrl("http://a.test/"));
  EXPECT_TRUE(plausibleRequestUrl("/x"));
  EXPECT_TRUE(plausibleRequestUrl("a.test:1"));
  EXPECT_FALSE(plausibleRequestUrl("a.test"));
  EXPECT_FALSE(plausibleRequestUrl("https://a.test/"));
}

// ---- through the chain -------------------------------------------------------------------------

class Abi12Chain : public PluginTest {
protected:
  std::optional<Outcome> run(const ChainPtr& chain, http::RequestHead& req) {
    std::optional<Outcome> got;
    tx_ = std::make_unique<PluginTransaction>(chain, loop_, &pool_, info());
    tx_->runRequest(req, [&](Outcome o) { got = std::move(o); });
    runUntil(loop_, [&] { return got.has_value(); });
    return got;
  }
  PluginPolicy policy(bool allowOnError = false) {
    return PluginPolicy{5000ms, false, allowOnError};
  }
  std::unique_ptr<PluginTransaction> tx_;
};

TEST_F(Abi12Chain, PendingRewriteCompletedOnAWorkerCarriesItsEdits) {
  auto p = load("10-e", "abi12",
                {{"when", "pending"},
                 {"url", "http://new.test:81/n?x"},
                 {"set", "X-S: s"},
                 {"add", "X-A: a"},
                 {"remove", "User-Agent"}});
  auto next = load("20-n", "scripted", {{"label", "after"}});
  ASSERT_TRUE(p && next);
  auto req = getRequest();
  auto got = run(chainOf({{p, policy()}, {next, policy()}}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_TRUE(got->rewritten);
  EXPECT_EQ(req.host, "new.test");
  EXPECT_EQ(req.port, 81);
  EXPECT_EQ(req.pathAndQuery, "/n?x");
  EXPECT_EQ(headerValues(req, "x-s"), (std::vector<std::string>{"s"}));
  EXPECT_EQ(headerValues(req, "x-a"), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(headerValues(req, "user-agent").empty());
  EXPECT_EQ(headerValues(req, "x-chain"), (std::vector<std::string>{"after"}))
      << "the chain continued after the REWRITE";
  EXPECT_EQ(p->counters.rewrites.load(), 1u);
  EXPECT_EQ(p->counters.completes.load(), 1u);
  EXPECT_EQ(metric(*p, "rc"), 0) << "every 1.2 call was accepted";
}

TEST_F(Abi12Chain, SyncRewriteCarriesEditsAndOtherActionsIgnoreThem) {
  auto sync = load("10-s", "abi12", {{"when", "sync"}, {"url", "/sync"}, {"set", "X-S: 1"}});
  auto req = getRequest();
  auto got = run(chainOf({{sync, policy()}}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(req.pathAndQuery, "/sync");
  EXPECT_EQ(headerValues(req, "x-s"), (std::vector<std::string>{"1"}));

  auto ignored =
      load("10-c", "abi12", {{"action", "continue"}, {"url", "/ignored"}, {"set", "X-S: 2"}});
  auto req2 = getRequest();
  got = run(chainOf({{ignored, policy()}}), req2);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_FALSE(got->rewritten);
  EXPECT_EQ(req2.pathAndQuery, "/page?q=1");
  EXPECT_TRUE(headerValues(req2, "x-s").empty());
}

TEST_F(Abi12Chain, UrlThatDoesNotFitFollowsOnError) {
  Settings s{{"url", "c.test:443"}, {"set", "X-Partial: 1"}};
  auto deny = load("10-d", "abi12", s);
  auto req = getRequest();
  auto got = run(chainOf({{deny, policy(false)}}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Deny);
  EXPECT_EQ(got->status, 503);
  EXPECT_NE(got->reason.find("does not fit"), std::string::npos) << got->reason;
  EXPECT_EQ(deny->counters.errors.load(), 1u);
  EXPECT_EQ(deny->counters.fail_closed.load(), 1u);

  auto allow = load("10-a", "abi12", s);
  auto req2 = getRequest();
  got = run(chainOf({{allow, policy(true)}}), req2);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Continue);
  EXPECT_EQ(req2.pathAndQuery, "/page?q=1");
  EXPECT_TRUE(headerValues(req2, "x-partial").empty());
  EXPECT_EQ(allow->counters.fail_open.load(), 1u);
}

TEST_F(Abi12Chain, PagesReachTheOutcome) {
  auto p = load("10-p", "abi12",
                {{"action", "deny"},
                 {"template", "blocked"},
                 {"status", "451"},
                 {"reason", "why"},
                 {"var", "category=casino"}});
  auto req = getRequest();
  auto got = run(chainOf({{p, policy()}}), req);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, Outcome::Kind::Deny);
  EXPECT_EQ(got->status, 451);
  EXPECT_EQ(got->reason, "why");
  EXPECT_EQ(got->plugin, "10-p");
  EXPECT_EQ(got->pluginName, "abi12");
  EXPECT_EQ(got->page.name, "blocked");
  using Vars = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(got->page.vars, (Vars{{"category", "casino"}}));
}

TEST_F(Abi12Chain, TemplateExistsRefusesCreate) {
  // Built-in pages only (an empty templates directory).
  auto r = tryLoad("abi12", {{"require_template", "blocked"}}, fs::path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no such template"), std::string::npos) << r.error().message;
  auto ok = tryLoad("abi12", {{"require_template", "error"}}, fs::path());
  EXPECT_TRUE(ok);
}

// ---- plugin.hpp
// ----------------------------------------------------------------------------------

class SdkWrappers : public ::testing::Test {
protected:
  void SetUp() override { sdk::detail::api() = hostApi(); }
  void TearDown() override { sdk::detail::api() = nullptr; }
};

TEST_F(SdkWrappers, RewriteWithEditsAndPages) {
  exaproxy_verdict v;
  auto action = sdk::Verdict::rewrite()
                    .url("/n")
                    .setRequestHeader("X-S", "1")
                    .addRequestHeader("X-A", "2")
                    .removeRequestHeader("X-R")
                    .fill(&v);
  EXPECT_EQ(action, EXAPROXY_REWRITE);
  ASSERT_EQ(v.edits.size(), 4u);
  EXPECT_EQ(v.edits[0].kind, RequestEdit::Kind::Url);
  EXPECT_EQ(v.edits[3].kind, RequestEdit::Kind::HeaderRemove);

  exaproxy_verdict refused;
  EXPECT_EQ(sdk::Verdict::rewrite().setRequestHeader("Host", "x").fill(&refused), EXAPROXY_ERROR);
  EXPECT_NE(refused.outcome.reason.find("verdict_edit_header refused 'Host'"), std::string::npos)
      << refused.outcome.reason;

  exaproxy_verdict page;
  EXPECT_EQ(sdk::Verdict::denyPage("listed", "blocked", {{"rule", "r"}}, 451).fill(&page),
            EXAPROXY_DENY);
  EXPECT_EQ(page.outcome.page.name, "blocked");
  EXPECT_EQ(page.outcome.status, 451);
  EXPECT_EQ(page.outcome.reason, "listed");

  exaproxy_verdict respond;
  EXPECT_EQ(
      sdk::Verdict::respondPage(200, "welcome").header("Cache-Control", "no-store").fill(&respond),
      EXAPROXY_RESPOND);
  EXPECT_EQ(respond.outcome.page.name, "welcome");
  EXPECT_TRUE(respond.outcome.body.empty());
  EXPECT_EQ(respond.outcome.headers.size(), 1u);
}

// The same plugin code on a host older than 1.2 (its table ends at txn_id).
TEST_F(SdkWrappers, OnAnOlderHost) {
  exaproxy_host_api old = *hostApi();
  old.size = static_cast<uint32_t>(offsetof(exaproxy_host_api, verdict_set_url));
  old.abi_minor = 1;
  sdk::detail::api() = &old;
  exaproxy_verdict edits;
  EXPECT_EQ(sdk::Verdict::rewrite().url("/x").fill(&edits), EXAPROXY_ERROR);
  EXPECT_NE(edits.outcome.reason.find("older than 1.2"), std::string::npos);
  EXPECT_TRUE(edits.edits.empty());
  exaproxy_verdict deny;
  EXPECT_EQ(sdk::Verdict::denyPage("listed", "blocked").fill(&deny), EXAPROXY_DENY)
      << "a deny keeps the host's error page";
  EXPECT_TRUE(deny.outcome.page.name.empty());
  exaproxy_verdict respond;
  EXPECT_EQ(sdk::Verdict::respondPage(200, "welcome").fill(&respond), EXAPROXY_ERROR);
  exaproxy_host h;
  sdk::Host host(&old, &h);
  EXPECT_EQ(host.templateExists("error"), std::nullopt);
  sdk::Host current(hostApi(), &h);
  EXPECT_EQ(current.templateExists("error"), std::optional<bool>(true));
}

} // namespace
} // namespace exaproxy::plugin::test
