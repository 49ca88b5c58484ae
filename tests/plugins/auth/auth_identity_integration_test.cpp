// Who the helpers are told the client is, once the auth plugin has logged a user in (Squid's
// basic_ncsa_auth with an htpasswd file, curl -U), through the real binary:
// * squidGuard (the redirector) decides by that user: a `userlist` source group is sent to the
//   block page for a listed domain that other users reach, and the access log names each user;
// * behind a real haproxy (mode tcp, send-proxy-v2) the user and the client's own address (not
//   haproxy's) reach an external_acl helper as "%SRC %LOGIN", the redirector's squid line and
//   the access log; the Basic helper is asked "user password" as under Squid.
// Everything listens on loopback; tests skip when squidGuard, haproxy or squid's helpers are
// missing.
#include "haproxy.h"
#include "htpasswd_file.h"
#include "itest.h"

#include <sys/stat.h>
#include <unistd.h>

#if !defined(AUTH_PLUGIN) || !defined(REDIRECTOR_PLUGIN) || !defined(EXTERNAL_ACL_PLUGIN)
#error "AUTH_PLUGIN, REDIRECTOR_PLUGIN and EXTERNAL_ACL_PLUGIN must name the plugins"
#endif

using namespace itest;

namespace {

const char* kNcsa = "/usr/lib/squid/basic_ncsa_auth";
const char* kSquidGuard = "/usr/bin/squidGuard";

class AuthIdentityTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (::access(kNcsa, X_OK) != 0 || ::access(kHtpasswd, X_OK) != 0)
      GTEST_SKIP() << "needs squid's basic_ncsa_auth and htpasswd (installers/bootstrap-deps.sh)";
    ASSERT_TRUE(origin_.ok());
    dir_ = makeTempDir("itest-auth-identity-");
    passwd_ = dir_ + "/passwd";
    ASSERT_EQ(makeHtpasswd(passwd_, {{"alice", "wonder"}, {"bob", "builder"}}), "");
  }
  void TearDown() override {
    proxy_.reset();
    if (!dir_.empty())
      removeTree(dir_);
  }

  // An executable /bin/sh script in the temp dir.
  std::string script(const std::string& name, const std::string& body) {
    std::string path = dir_ + "/" + name;
    EXPECT_TRUE(writeFile(path, "#!/bin/sh\n" + body + "\n"));
    ::chmod(path.c_str(), 0755);
    return path;
  }
  std::string pluginConf(const char* path, const std::string& section, const std::string& keys) {
    return std::string("[plugin]\npath = ") + path + "\n\n[" + section + "]\n" + keys;
  }
  // "<user> <client>": the 8th and 3rd fields of the access-log line whose URL contains needle.
  std::string loggedUserAndClient(const std::string& needle) {
    auto f = proxy_->accessLogFields(needle);
    return f.size() < 8 ? "(no line)" : f[7] + " " + f[2];
  }

  OriginServer origin_;
  std::string dir_, passwd_;
  std::unique_ptr<ProxyProcess> proxy_;
};

// squidGuard's `src pupils { userlist ... }` holds alice: pupils may not reach bad.test, everyone
// else may. The block page's query says whom squidGuard saw (%i) and which group matched (%s).
TEST_F(AuthIdentityTest, SquidGuardUserlistDecidesByTheAuthenticatedUser) {
  if (::access(kSquidGuard, X_OK) != 0)
    GTEST_SKIP() << "squidguard is not installed (installers/bootstrap-deps.sh test)";
  Dnsmasq dns(DnsmasqOptions{300, {"--address=/test/127.0.0.1"}, {}, true});
  ASSERT_TRUE(dns.start()) << dns.error();

  std::string port = std::to_string(origin_.port());
  std::string db = dir_ + "/db";
  ASSERT_EQ(::mkdir(db.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir_ + "/log").c_str(), 0755), 0);
  ASSERT_TRUE(writeFile(db + "/bad.domains", "bad.test\n"));
  ASSERT_TRUE(writeFile(db + "/pupils.users", "alice\n"));
  std::string redirect =
      "http://block.test:" + port + "/blocked?clientuser=%i&clientgroup=%s&targetgroup=%t&url=%u";
  std::string conf = dir_ + "/squidGuard.conf";
  ASSERT_TRUE(writeFile(conf, "dbhome " + db + "\nlogdir " + dir_ + "/log\n" +
                                  "src pupils {\n userlist " + db + "/pupils.users\n}\n" +
                                  "dest bad {\n domainlist bad.domains\n}\n" +
                                  "acl {\n pupils {\n  pass !bad all\n  redirect " + redirect +
                                  "\n }\n default {\n  pass all\n }\n}\n"));

  ProxyOptions o;
  o.sets.push_back("dns.servers=" + dns.server());
  o.extraFiles = {
      {"15-auth.conf", pluginConf(AUTH_PLUGIN, "auth",
                                  std::string("basic_program = ") + kNcsa + " " + passwd_ + "\n")},
      {"50-redirector.conf", pluginConf(REDIRECTOR_PLUGIN, "redirector",
                                        std::string("program = ") + kSquidGuard + " -c " + conf +
                                            "\nconcurrency = 0\n")}};
  proxy_ = std::make_unique<ProxyProcess>(o);
  ASSERT_TRUE(proxy_->start());

  auto fetch = [&](const std::string& credentials, const std::string& host,
                   const std::string& marker) {
    origin_.clearRecords();
    auto r = runCurl({"-x", proxy_->proxyArg(), "-U", credentials,
                      "http://" + host + ":" + port + "/echo?" + marker});
    EXPECT_EQ(r.exitCode, 0) << r.describe();
    auto reqs = origin_.requests();
    return reqs.empty() ? std::string("(nothing reached the origin)") : reqs.back().target;
  };

  // alice is a pupil: bad.test goes to the block page, and squidGuard names her and her group.
  std::string blocked = fetch("alice:wonder", "bad.test", "alice-bad");
  EXPECT_EQ(blocked.rfind("/blocked?clientuser=alice&clientgroup=pupils&targetgroup=bad&url=", 0),
            0u)
      << blocked << "\n"
      << proxy_->stderrText();
  // bob is in no source group: the same domain reaches the origin unchanged.
  EXPECT_EQ(fetch("bob:builder", "bad.test", "bob-bad"), "/echo?bob-bad");
  // A domain that is not listed: both reach it.
  EXPECT_EQ(fetch("alice:wonder", "good.test", "alice-good"), "/echo?alice-good");
  EXPECT_EQ(fetch("bob:builder", "good.test", "bob-good"), "/echo?bob-good");
  // A wrong password is no login: 407, nothing reaches the origin.
  origin_.clearRecords();
  auto wrong = runCurl(
      {"-x", proxy_->proxyArg(), "-U", "bob:wrong", "http://good.test:" + port + "/echo?wrong"});
  EXPECT_EQ(wrong.status, 407) << wrong.describe();
  EXPECT_EQ(origin_.requestCount(), 0u);

  // The access log names each user (the client is the TCP peer here).
  for (std::string user : {"alice", "bob"})
    for (std::string site : {"-bad", "-good"})
      EXPECT_EQ(loggedUserAndClient(user + site), user + " 127.0.0.1") << proxy_->accessLog();
}

// haproxy (mode tcp, send-proxy-v2) on 127.0.0.1 in front of a listener that trusts its PROXY
// header; curl connects to haproxy from 127.0.0.7 (alice) and 127.0.0.8 (bob). Each helper
// records the lines it is asked.
TEST_F(AuthIdentityTest, BehindHaproxyProxyV2HelpersSeeTheUserAndTheRealClient) {
  if (haproxyBinary().empty())
    GTEST_SKIP() << "haproxy is not installed (installers/bootstrap-deps.sh test)";
  if (!loopbackSourcesUsable({"127.0.0.7", "127.0.0.8"}))
    GTEST_SKIP() << "cannot bind 127.0.0.7/127.0.0.8 as client addresses";

  std::string basicSeen = dir_ + "/basic.seen", extSeen = dir_ + "/ext.seen",
              redirSeen = dir_ + "/redirector.seen";
  // tee records each "user password" line, then basic_ncsa_auth answers it.
  std::string basic =
      script("basic", "tee -a '" + basicSeen + "' | exec " + kNcsa + " '" + passwd_ + "'");
  std::string ext =
      script("ext", "while read -r line; do echo \"$line\" >> '" + extSeen + "'; echo OK; done");
  // ERR: no change (squid protocol, one request at a time).
  std::string redir = script("redir", "while read -r line; do echo \"$line\" >> '" + redirSeen +
                                          "'; echo ERR; done");

  ProxyOptions o;
  o.config = "[listener main]\naddress = 127.0.0.1:0\nproxy_protocol = v2\n"
             "proxy_trusted = 127.0.0.1/32\n\n[log]\nlevel = debug\n"
             "access_log = @DIR@/access.log\n";
  o.extraFiles = {
      {"15-auth.conf", pluginConf(AUTH_PLUGIN, "auth", "basic_program = " + basic + "\n")},
      {"18-ext.conf", pluginConf(EXTERNAL_ACL_PLUGIN, "external_acl",
                                 "name = who\nprogram = " + ext + "\nformat = %SRC %LOGIN\n")},
      {"50-redirector.conf",
       pluginConf(REDIRECTOR_PLUGIN, "redirector", "program = " + redir + "\nconcurrency = 0\n")}};
  proxy_ = std::make_unique<ProxyProcess>(o);
  ASSERT_TRUE(proxy_->start());
  Haproxy h;
  ASSERT_TRUE(h.start(haproxyTcpProxyV2Config(proxy_->proxyArg())));

  auto fetch = [&](const std::string& source, const std::string& credentials,
                   const std::string& marker) {
    return runCurl({"--interface", source, "-x", "http://" + h.proxyArg(), "-U", credentials,
                    origin_.url("/echo?" + marker)});
  };
  auto a = fetch("127.0.0.7", "alice:wonder", "from-alice");
  ASSERT_EQ(a.status, 200) << a.describe() << h.log() << proxy_->stderrText();
  auto b = fetch("127.0.0.8", "bob:builder", "from-bob");
  ASSERT_EQ(b.status, 200) << b.describe() << h.log() << proxy_->stderrText();

  // The external ACL's line is the client haproxy accepted and the user auth logged in.
  EXPECT_EQ(readFile(extSeen), "127.0.0.7 alice\n127.0.0.8 bob\n");
  // The redirector's squid line: "URL ip/fqdn user method myip=... myport=...".
  std::string redirLines = readFile(redirSeen);
  EXPECT_NE(redirLines.find("/echo?from-alice 127.0.0.7/- alice GET "), std::string::npos)
      << redirLines;
  EXPECT_NE(redirLines.find("/echo?from-bob 127.0.0.8/- bob GET "), std::string::npos)
      << redirLines;
  // Squid's Basic protocol carries only "user password": asked once per login.
  EXPECT_EQ(readFile(basicSeen), "alice wonder\nbob builder\n");
  // The access log: the client from the PROXY header, the user from auth.
  EXPECT_EQ(loggedUserAndClient("from-alice"), "alice 127.0.0.7") << proxy_->accessLog();
  EXPECT_EQ(loggedUserAndClient("from-bob"), "bob 127.0.0.8") << proxy_->accessLog();
  // Nothing reached the origin carrying the credentials.
  for (const auto& r : origin_.requests())
    EXPECT_FALSE(r.headers.has("Proxy-Authorization")) << r.rawHead;
}

} // namespace
