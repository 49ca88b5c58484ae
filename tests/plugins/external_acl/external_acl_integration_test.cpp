// The external_acl plugin through the real binary, with curl and Squid's own
// ext_file_userip_acl (which user may come from which address): the user a Basic helper
// accepted and the client's address go to it as "%SRC %LOGIN", its OK/ERR reaches acl's
// `external` rules, each line is asked once per ttl; a scripted helper's tag=, group=, log= and
// user= become notes, the access log's note field and the user; BH fails closed (503).
#include "itest.h"

#include <algorithm>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

#if !defined(EXTERNAL_ACL_PLUGIN) || !defined(AUTH_PLUGIN) || !defined(ACL_PLUGIN)
#error "EXTERNAL_ACL_PLUGIN, AUTH_PLUGIN and ACL_PLUGIN must name the plugins"
#endif

using namespace itest;

namespace {

const char* kUserIp = "/usr/lib/squid/ext_file_userip_acl";

class ExternalAclIntegrationTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (::access(kUserIp, X_OK) != 0)
      GTEST_SKIP() << "needs squid's ext_file_userip_acl (installers/bootstrap-deps.sh)";
    ASSERT_TRUE(origin_.ok());
    dir_ = makeTempDir("itest-extacl-");
    // Every Basic login is accepted: the external ACL is what decides here.
    basic_ = script("basic", "while read user pass; do echo OK; done");
    ASSERT_TRUE(writeFile(dir_ + "/userip.conf", "127.0.0.1 alice\n"));
    seen_ = dir_ + "/seen";
    userip_ = script("userip",
                     "tee -a '" + seen_ + "' | exec " + kUserIp + " -f '" + dir_ + "/userip.conf'");
  }
  void TearDown() override {
    proxy_.reset();
    if (!dir_.empty())
      removeTree(dir_);
  }
  std::string script(const std::string& name, const std::string& body) {
    std::string path = dir_ + "/" + name;
    EXPECT_TRUE(writeFile(path, "#!/bin/sh\n" + body + "\n"));
    ::chmod(path.c_str(), 0755);
    return path;
  }
  void start(const std::string& external, const std::string& acl, const std::string& policy = "") {
    ProxyOptions o;
    o.extraFiles = {
        {"15-auth.conf", std::string("[plugin]\npath = ") + AUTH_PLUGIN +
                             "\n\n[auth]\nbasic_program = " + basic_ + "\n"},
        {"18-ext.conf", std::string("[plugin]\npath = ") + EXTERNAL_ACL_PLUGIN + "\n" + policy +
                            "\n[external_acl]\n" + external},
    };
    if (!acl.empty())
      o.extraFiles.emplace_back("20-acl.conf",
                                std::string("[plugin]\npath = ") + ACL_PLUGIN + "\n\n" + acl);
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
  }
  CurlResult get(const std::string& path, const std::string& user) {
    return runCurl({"-x", proxy_->proxyArg(), "-U", user + ":pw", origin_.url(path)});
  }
  size_t asked() const {
    std::string text = readFile(seen_);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  OriginServer origin_;
  std::string dir_, basic_, userip_, seen_;
  std::unique_ptr<ProxyProcess> proxy_;
};

TEST_F(ExternalAclIntegrationTest, SquidsUserIpHelperDecidesThroughAclRules) {
  start("name = userip\nprogram = " + userip_ + "\nformat = %SRC %LOGIN\n",
        "[acl_rule not-from-here]\nexternal = !userip\naction = deny\n"
        "reason = not allowed from this address\n");
  auto alice = get("/echo?alice", "alice");
  EXPECT_EQ(alice.status, 200) << alice.describe();
  auto bob = get("/echo?bob", "bob");
  EXPECT_EQ(bob.status, 403) << bob.describe();
  EXPECT_NE(bob.out.find("not allowed from this address"), std::string::npos) << bob.out;
  EXPECT_EQ(readFile(seen_), "127.0.0.1 alice\n127.0.0.1 bob\n");
  // Remembered per line for the ttl (default 1 h): asked no more.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(get("/echo?again", "alice").status, 200);
    EXPECT_EQ(get("/echo?again", "bob").status, 403);
  }
  EXPECT_EQ(asked(), 2u) << readFile(seen_);
}

TEST_F(ExternalAclIntegrationTest, AZeroTtlAsksEveryTimeAndOnErrDenyAnswersHere) {
  start("name = userip\nprogram = " + userip_ +
            "\nformat = %SRC %LOGIN\nttl = 0\nnegative_ttl = 0\non_err = deny\n",
        "");
  EXPECT_EQ(get("/echo?a1", "alice").status, 200);
  EXPECT_EQ(get("/echo?a2", "alice").status, 200);
  auto bob = get("/echo?b", "bob");
  EXPECT_EQ(bob.status, 403) << bob.describe();
  EXPECT_NE(bob.out.find("denied by external ACL userip"), std::string::npos) << bob.out;
  EXPECT_EQ(asked(), 3u);
}

TEST_F(ExternalAclIntegrationTest, AnswersNotesReachTheLogAndTheUser) {
  std::string helper = script("notes", "while read user host; do echo 'OK tag=vip group=staff "
                                       "log=\"seen by ext\" user=ext-'$user; done");
  // No auth: the external ACL names the user (Squid's user=).
  ProxyOptions o;
  o.extraFiles = {{"18-ext.conf", std::string("[plugin]\npath = ") + EXTERNAL_ACL_PLUGIN +
                                      "\n\n[external_acl]\nname = vip\nprogram = " + helper +
                                      "\nformat = %LOGIN %DST\n"}};
  proxy_ = std::make_unique<ProxyProcess>(o);
  ASSERT_TRUE(proxy_->start());
  auto r = runCurl({"-x", proxy_->proxyArg(), origin_.url("/echo?noted")});
  ASSERT_EQ(r.status, 200) << r.describe();
  auto f = proxy_->accessLogFields("noted");
  ASSERT_EQ(f.size(), 11u) << proxy_->accessLog();
  EXPECT_EQ(f[7], "ext--") << "user= of an anonymous request (the helper saw %LOGIN as '-')";
  EXPECT_EQ(f[10], "log=seen%20by%20ext") << "only the log= note is written";
}

TEST_F(ExternalAclIntegrationTest, ABrokenHelperFailsClosed) {
  std::string helper = script("bh", "while read line; do echo 'BH message=\"ldap down\"'; done");
  start("name = broken\nprogram = " + helper + "\n", "");
  auto r = get("/echo?bh", "alice");
  EXPECT_EQ(r.status, 503) << r.describe();
  EXPECT_EQ(origin_.requestCount(), 0u);
}

// Squid's grace=: in the last grace % of its ttl a result is still used, and the helper is asked
// again meanwhile; the next request gets the fresh answer without waiting for the helper.
TEST_F(ExternalAclIntegrationTest, GraceRefreshesAResultBeforeItExpires) {
  std::string helper = script("numbered", "tee -a '" + seen_ +
                                              "' | while read line; do n=$((n+1)); "
                                              "echo \"OK log=answer$n\"; done");
  start("name = numbered\nprogram = " + helper + "\nformat = %LOGIN\nttl = 4s\ngrace = 50\n", "");
  auto logged = [&](const std::string& needle) {
    auto f = proxy_->accessLogFields(needle);
    return f.size() > 10 ? f[10] : std::string();
  };
  ASSERT_EQ(get("/echo?first", "alice").status, 200);
  EXPECT_EQ(logged("first"), "log=answer1");
  std::this_thread::sleep_for(std::chrono::milliseconds(2300)); // less than half the ttl left
  ASSERT_EQ(get("/echo?graced", "alice").status, 200);
  EXPECT_EQ(logged("graced"), "log=answer1") << "answered from the cache";
  ASSERT_TRUE(waitFor([&] { return asked() == 2; }, Millis(5000))) << readFile(seen_);
  ASSERT_EQ(get("/echo?fresh", "alice").status, 200);
  EXPECT_EQ(logged("fresh"), "log=answer2") << proxy_->accessLog();
  EXPECT_EQ(asked(), 2u) << "the refresh was remembered";
}

// %SRCPORT (ABI 1.6): the client's own TCP port reaches the helper.
TEST_F(ExternalAclIntegrationTest, SrcPortIsTheClientsPort) {
  std::string helper =
      script("ports", "tee -a '" + seen_ + "' | while read line; do echo OK; done");
  start("name = ports\nprogram = " + helper + "\nformat = %SRC %SRCPORT\nttl = 0\n", "");
  auto r = runCurl({"-x", proxy_->proxyArg(), "-U", "alice:pw", "--local-port", "47100-47199",
                    origin_.url("/echo?port")});
  ASSERT_EQ(r.status, 200) << r.describe();
  std::string line = readFile(seen_);
  ASSERT_EQ(line.rfind("127.0.0.1 471", 0), 0u) << line;
  int port = std::stoi(line.substr(10));
  EXPECT_GE(port, 47100);
  EXPECT_LE(port, 47199);
}

} // namespace
