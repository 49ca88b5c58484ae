// Squid's LDAP helpers, unchanged, against a real OpenLDAP slapd the test starts on a loopback port
// (fixtures/ldap_server.h: users alice, bob and carol; groups pupils = {alice}, staff = {bob}):
// basic_ldap_auth checks passwords for the auth plugin (right → 200 with the user logged, wrong →
// 407, a directory that is down → 503: never let in unauthenticated), and ext_ldap_group_acl
// decides group membership for the external_acl plugin, whose answer acl's `external` rule turns
// into "pupils may not reach this site", each user's answer remembered for the ttl.
#include "itest.h"
#include "ldap_server.h"

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(AUTH_PLUGIN) || !defined(EXTERNAL_ACL_PLUGIN) || !defined(ACL_PLUGIN)
#error "AUTH_PLUGIN, EXTERNAL_ACL_PLUGIN and ACL_PLUGIN must name the plugins"
#endif

using namespace itest;

namespace {

const char* kBasicLdap = "/usr/lib/squid/basic_ldap_auth";
const char* kGroupLdap = "/usr/lib/squid/ext_ldap_group_acl";

class AuthLdapTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (::access(kBasicLdap, X_OK) != 0 || ::access(kGroupLdap, X_OK) != 0 ||
        ::access("/usr/sbin/slapd", X_OK) != 0)
      GTEST_SKIP() << "needs squid's LDAP helpers and slapd (installers/bootstrap-deps.sh)";
    ldap_ = std::make_unique<LdapServer>(
        LdapOptions{.users = {{"alice", "secret"}, {"bob", "hunter2"}, {"carol", "x y z"}},
                    .groups = {{"pupils", {"alice"}}, {"staff", {"bob"}}}});
    ASSERT_TRUE(ldap_->ok()) << ldap_->error() << "\n" << ldap_->log();
    ASSERT_TRUE(origin_.ok());
    dir_ = makeTempDir("itest-auth-ldap-");
    seen_ = dir_ + "/seen";
  }
  void TearDown() override {
    proxy_.reset();
    ldap_.reset();
    if (!dir_.empty())
      removeTree(dir_);
  }

  // The command lines an operator would give Squid (-P: one persistent connection; Squid 5.7's
  // basic_ldap_auth needs it to tell a wrong password from a failure).
  std::string basicLdap() const {
    return std::string(kBasicLdap) + " -P -v 3 -b " + ldap_->peopleDn() + " -f uid=%s -H " +
           ldap_->uri();
  }
  // The group helper behind a tee that records what it is asked.
  std::string groupLdap() {
    std::string path = dir_ + "/group-helper";
    EXPECT_TRUE(writeFile(path, "#!/bin/sh\ntee -a '" + seen_ + "' | exec " + kGroupLdap + " -b " +
                                    ldap_->groupsDn() + " -f '(&(cn=%g)(member=uid=%u," +
                                    ldap_->peopleDn() + "))' -H " + ldap_->uri() + "\n"));
    ::chmod(path.c_str(), 0755);
    return path;
  }
  void start(const std::string& external = "", const std::string& acl = "") {
    ProxyOptions o;
    o.extraFiles = {{"15-auth.conf", std::string("[plugin]\npath = ") + AUTH_PLUGIN +
                                         "\n\n[auth]\nbasic_program = " + basicLdap() + "\n"}};
    if (!external.empty())
      o.extraFiles.emplace_back("18-ext.conf", std::string("[plugin]\npath = ") +
                                                   EXTERNAL_ACL_PLUGIN + "\n\n[external_acl]\n" +
                                                   external);
    if (!acl.empty())
      o.extraFiles.emplace_back("20-acl.conf",
                                std::string("[plugin]\npath = ") + ACL_PLUGIN + "\n\n" + acl);
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
  }
  CurlResult get(const std::string& path, const std::string& credentials) {
    return runCurl({"-x", proxy_->proxyArg(), "-U", credentials, origin_.url(path)});
  }
  size_t asked() const {
    std::string text = readFile(seen_);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }

  std::unique_ptr<LdapServer> ldap_;
  OriginServer origin_;
  std::string dir_, seen_;
  std::unique_ptr<ProxyProcess> proxy_;
};

TEST_F(AuthLdapTest, BasicLdapAuthChecksPasswordsInTheDirectory) {
  start();
  auto right = get("/echo?right", "alice:secret");
  ASSERT_EQ(right.status, 200) << right.describe() << "\n" << proxy_->stderrText();
  auto f = proxy_->accessLogFields("right");
  ASSERT_GT(f.size(), 7u) << proxy_->accessLog();
  EXPECT_EQ(f[7], "alice");
  EXPECT_EQ(get("/echo?spaces", "carol:x y z").status, 200) << "the password %-encoded and back";
  EXPECT_EQ(get("/echo?wrong", "alice:hunter2").status, 407);
  EXPECT_EQ(get("/echo?other", "bob:secret").status, 407);
  EXPECT_EQ(origin_.requestCount(), 2u);
}

TEST_F(AuthLdapTest, ADirectoryThatIsDownLetsNobodyIn) {
  start();
  ldap_->stop();
  auto r = get("/echo?down", "bob:hunter2");
  EXPECT_EQ(r.status, 503) << r.describe();
  EXPECT_EQ(origin_.requestCount(), 0u);
}

// Squid's
//   external_acl_type ldap_group %LOGIN /usr/lib/squid/ext_ldap_group_acl -b ... -f ...
//   acl pupils external ldap_group pupils
//   http_access deny pupils blocked_site
TEST_F(AuthLdapTest, GroupMembershipFromTheDirectoryDecidesAclRules) {
  start("name = pupils\nprogram = " + groupLdap() + "\nformat = %LOGIN\ndata = pupils\n",
        "[acl_rule pupils]\nexternal = pupils\ndomains = 127.0.0.1\naction = deny\n"
        "reason = not for pupils\n");
  auto pupil = get("/echo?pupil", "alice:secret");
  EXPECT_EQ(pupil.status, 403) << pupil.describe() << "\n" << proxy_->stderrText();
  EXPECT_NE(pupil.out.find("not for pupils"), std::string::npos) << pupil.out;
  auto staff = get("/echo?staff", "bob:hunter2");
  EXPECT_EQ(staff.status, 200) << staff.describe() << "\n" << proxy_->stderrText();
  EXPECT_EQ(readFile(seen_), "alice pupils\nbob pupils\n") << proxy_->stderrText();
  // Each user's answer is remembered for the ttl (1 h): the directory is asked no more.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(get("/echo?again", "alice:secret").status, 403) << proxy_->stderrText();
    EXPECT_EQ(get("/echo?again", "bob:hunter2").status, 200) << proxy_->stderrText();
  }
  EXPECT_EQ(asked(), 2u) << readFile(seen_) << proxy_->stderrText();
}

} // namespace
