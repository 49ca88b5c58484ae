// The auth plugin through the real binary, with curl and Squid's own Basic helper
// (/usr/lib/squid/basic_ncsa_auth reading an htpasswd file made by htpasswd): no or wrong
// credentials are answered 407 with the realm, right ones reach the origin without
// Proxy-Authorization and put the user in the access log; the credentials cache asks the helper
// once per credentials_ttl; a helper that answers BH fails closed (503) unless the operator chose
// on_error = allow; open clients and destinations are never asked; the helper's group= reaches
// acl's groups rules; the UI's connection list shows a connection's user. The helper runs behind a
// tee
// that records each request line, so the tests count what it was asked.
#include "htpasswd_file.h"
#include "itest.h"

#include <algorithm>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

#if !defined(AUTH_PLUGIN) || !defined(ACL_PLUGIN)
#error "AUTH_PLUGIN and ACL_PLUGIN must name auth.so and acl.so"
#endif

using namespace itest;

namespace {

const char* kNcsa = "/usr/lib/squid/basic_ncsa_auth";

class AuthIntegrationTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (::access(kNcsa, X_OK) != 0 || ::access(kHtpasswd, X_OK) != 0)
      GTEST_SKIP() << "needs squid's basic_ncsa_auth and htpasswd (installers/bootstrap-deps.sh)";
    ASSERT_TRUE(origin_.ok());
    dir_ = makeTempDir("itest-auth-");
    passwd_ = dir_ + "/passwd";
    ASSERT_EQ(makeHtpasswd(passwd_, {{"alice", "wonder land"}, {"bob", "builder"}}), "");
    seen_ = dir_ + "/seen";
    helper_ = dir_ + "/counting-helper";
    // tee records each request line, then basic_ncsa_auth answers it.
    ASSERT_TRUE(writeFile(helper_, "#!/bin/sh\ntee -a '" + seen_ + "' | exec " + kNcsa + " '" +
                                       passwd_ + "'\n"));
    ::chmod(helper_.c_str(), 0755);
  }
  void TearDown() override {
    proxy_.reset();
    if (!dir_.empty())
      removeTree(dir_);
  }

  void start(const std::vector<std::string>& settings, const std::string& policy = "",
             const std::vector<std::pair<std::string, std::string>>& more = {},
             const std::vector<std::string>& sets = {}) {
    std::string conf = std::string("[plugin]\npath = ") + AUTH_PLUGIN + "\n" + policy +
                       "\n[auth]\nbasic_program = " + helper_ + "\n";
    for (const auto& s : settings)
      conf += s + "\n";
    ProxyOptions o;
    o.extraFiles = {{"15-auth.conf", conf}};
    o.extraFiles.insert(o.extraFiles.end(), more.begin(), more.end());
    o.sets = sets;
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
  }
  CurlResult get(const std::string& path, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"-x", proxy_->proxyArg(), "-D", "/dev/stderr"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(origin_.url(path));
    return runCurl(args);
  }
  size_t asked() const {
    std::string text = readFile(seen_);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  // The user field (8th) of the access-log line whose URL contains needle.
  std::string loggedUser(const std::string& needle) {
    auto f = proxy_->accessLogFields(needle);
    return f.size() > 7 ? f[7] : "";
  }

  OriginServer origin_;
  std::string dir_, passwd_, seen_, helper_;
  std::unique_ptr<ProxyProcess> proxy_;
};

TEST_F(AuthIntegrationTest, NoOrWrongCredentialsGet407RightOnesReachTheOrigin) {
  start({"basic_realm = Corp proxy"});
  auto none = get("/echo?none");
  EXPECT_EQ(none.status, 407) << none.describe();
  EXPECT_NE(none.err.find("Proxy-Authenticate: Basic realm=\"Corp proxy\""), std::string::npos)
      << none.err;
  auto wrong = get("/echo?wrong", {"-U", "alice:wrong"});
  EXPECT_EQ(wrong.status, 407) << wrong.describe();
  auto unknown = get("/echo?unknown", {"-U", "mallory:x"});
  EXPECT_EQ(unknown.status, 407) << unknown.describe();
  EXPECT_EQ(origin_.requestCount(), 0u);

  auto right = get("/echo?right", {"-U", "alice:wonder land"});
  ASSERT_EQ(right.status, 200) << right.describe();
  auto reqs = origin_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_FALSE(reqs[0].headers.get("Proxy-Authorization").has_value());
  EXPECT_EQ(loggedUser("right"), "alice") << proxy_->accessLog();
  EXPECT_EQ(loggedUser("wrong"), "-") << "a refused login logs no user";
  // The password went to the helper %-encoded, as Squid sends it.
  EXPECT_NE(readFile(seen_).find("alice wonder%20land\n"), std::string::npos) << readFile(seen_);
}

TEST_F(AuthIntegrationTest, TheHelperIsAskedOncePerCredentialsTtl) {
  start({"basic_credentials_ttl = 2s"});
  for (int i = 0; i < 3; ++i) {
    auto r = get("/echo?n=" + std::to_string(i), {"-U", "bob:builder"});
    ASSERT_EQ(r.status, 200) << r.describe();
  }
  EXPECT_EQ(asked(), 1u) << readFile(seen_);
  // Another password for the same user is not the remembered login.
  EXPECT_EQ(get("/echo?other", {"-U", "bob:guess"}).status, 407);
  EXPECT_EQ(asked(), 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  ASSERT_EQ(get("/echo?later", {"-U", "bob:builder"}).status, 200);
  EXPECT_EQ(asked(), 3u) << "asked again once the ttl passed";
}

TEST_F(AuthIntegrationTest, UserNamesAreCaseInsensitiveUnlessConfigured) {
  start({});
  auto r = get("/echo?upper", {"-U", "ALICE:wonder land"});
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(loggedUser("upper"), "alice");
  proxy_.reset();
  start({"basic_casesensitive = on"});
  EXPECT_EQ(get("/echo?exact", {"-U", "ALICE:wonder land"}).status, 407);
}

TEST_F(AuthIntegrationTest, ABrokenHelperFailsClosedUnlessTheOperatorAllowsIt) {
  ASSERT_TRUE(writeFile(helper_, "#!/bin/sh\nwhile read line; do echo 'BH message=\"directory "
                                 "down\"'; done\n"));
  start({});
  auto r = get("/echo?bh", {"-U", "alice:wonder land"});
  EXPECT_EQ(r.status, 503) << r.describe();
  EXPECT_EQ(origin_.requestCount(), 0u);
  EXPECT_TRUE(
      waitFor([&] { return proxy_->stderrText().find("directory down") != std::string::npos; },
              Millis(5000)))
      << proxy_->stderrText();
  proxy_.reset();
  start({}, "on_error = allow");
  EXPECT_EQ(get("/echo?bh-allowed", {"-U", "alice:wonder land"}).status, 200)
      << "the operator chose fail-open for this plugin";
}

TEST_F(AuthIntegrationTest, OpenClientsAndDestinationsAreNeverAsked) {
  start({"open_destinations = 127.0.0.1"});
  EXPECT_EQ(get("/echo?open-dest").status, 200);
  proxy_.reset();
  start({"open_clients = 127.0.0.0/8"});
  EXPECT_EQ(get("/echo?open-client").status, 200);
  proxy_.reset();
  start({"open_clients = 10.0.0.0/8", "open_destinations = elsewhere.example.test"});
  EXPECT_EQ(get("/echo?closed").status, 407);
  EXPECT_EQ(asked(), 0u);
}

// The helper's group= reaches acl's `groups` rules (the note "group", ABI 1.5): pupils are
// denied the listed destination, staff are not.
TEST_F(AuthIntegrationTest, TheHelpersGroupReachesAclRules) {
  ASSERT_TRUE(writeFile(helper_, "#!/bin/sh\nwhile read user pass; do\n"
                                 "  case $user in alice) echo 'OK group=pupils';;\n"
                                 "    bob) echo 'OK group=\"staff,admins\"';; *) echo ERR;; esac\n"
                                 "done\n"));
  start({}, "",
        {{"20-acl.conf", std::string("[plugin]\npath = ") + ACL_PLUGIN +
                             "\n\n[acl_rule pupils]\ngroups = pupils\ndomains = 127.0.0.1\n"
                             "action = deny\nreason = not for pupils\n"}});
  auto pupil = get("/echo?pupil", {"-U", "alice:any"});
  EXPECT_EQ(pupil.status, 403) << pupil.describe();
  EXPECT_NE(pupil.out.find("not for pupils"), std::string::npos) << pupil.out;
  auto staff = get("/echo?staff", {"-U", "bob:any"});
  EXPECT_EQ(staff.status, 200) << staff.describe();
  EXPECT_EQ(loggedUser("staff"), "bob");
  EXPECT_EQ(get("/echo?nobody", {"-U", "carol:any"}).status, 407);
}

// The UI's connection list shows who a kept-alive connection logged in as.
TEST_F(AuthIntegrationTest, TheUiListsTheUserOfAConnection) {
  start({}, "", {}, {"ui.enabled=yes", "ui.listen=127.0.0.1:0"});
  auto ready = splitLines(readFile(proxy_->dir() + "/ready.ui"));
  ASSERT_EQ(ready.size(), 1u) << proxy_->stderrText();
  RawClient c(proxy_->endpoint());
  // "alice:wonder land" in base64.
  ASSERT_TRUE(c.send(requestHead("GET", origin_.url("/echo?ui"), origin_.endpoint().str(),
                                 {"Proxy-Authorization: Basic YWxpY2U6d29uZGVyIGxhbmQ="})));
  auto resp = c.readResponse();
  ASSERT_TRUE(resp) << c.lastError();
  ASSERT_EQ(resp->status, 200);
  std::string list;
  EXPECT_TRUE(waitFor(
      [&] {
        list = runCurl({"--noproxy", "*", "http://" + ready[0] + "/api/v1/connections"}).out;
        return list.find("\"identity\":\"alice\"") != std::string::npos;
      },
      Millis(5000)))
      << list;
  EXPECT_EQ(list.find("wonder"), std::string::npos) << "never the password";
}

} // namespace
