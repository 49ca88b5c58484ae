// The auth plugin's connection-oriented schemes through the real binary, with curl and Squid's own
// stateful helpers: NTLM with /usr/lib/squid/ntlm_fake_auth (the three-step handshake on one
// keep-alive connection: curl's type-1 message, the helper's challenge in a 407, the type-3
// answer; later requests on that connection carry no credentials and keep the user; a new
// connection authenticates again; a connection that closes in the middle of its handshake frees
// its helper at once; a broken helper fails closed). The helper runs behind a tee that records
// each line it reads, so the tests count the steps it was asked. Negotiate with a real MIT KDC
// (fixtures/kdc.h: realm, principals and keytab made by the test, KDC on a loopback port, a
// private KRB5_CONFIG that looks nothing up) and /usr/lib/squid/negotiate_kerberos_auth: curl
// with a ticket (kinit) gets through as alice@EXAMPLE.TEST, curl without one gets 407.
#include "itest.h"
#include "kdc.h"

#include <cstdlib>

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(AUTH_PLUGIN)
#error "AUTH_PLUGIN must name auth.so"
#endif

using namespace itest;

namespace {

const char* kNtlmFake = "/usr/lib/squid/ntlm_fake_auth";
// The NTLM type-1 (negotiate) message: "NTLMSSP\0", type 1, flags.
const char* kType1 = "TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=";

class AuthHandshakeTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (::access(kNtlmFake, X_OK) != 0)
      GTEST_SKIP() << "needs squid's ntlm_fake_auth (installers/bootstrap-deps.sh)";
    ASSERT_TRUE(origin_.ok());
    dir_ = makeTempDir("itest-auth-handshake-");
    seen_ = dir_ + "/seen";
    helper_ = dir_ + "/ntlm-helper";
    ASSERT_TRUE(writeFile(helper_, "#!/bin/sh\ntee -a '" + seen_ + "' | exec " + kNtlmFake + "\n"));
    ::chmod(helper_.c_str(), 0755);
  }
  void TearDown() override {
    proxy_.reset();
    if (!dir_.empty())
      removeTree(dir_);
  }

  void start(const std::vector<std::string>& settings) {
    std::string conf = std::string("[plugin]\npath = ") + AUTH_PLUGIN + "\n\n[auth]\n";
    for (const auto& s : settings)
      conf += s + "\n";
    ProxyOptions o;
    o.extraFiles = {{"15-auth.conf", conf}};
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
  }
  void startNtlm(const std::vector<std::string>& more = {}) {
    std::vector<std::string> s{"schemes = ntlm", "ntlm_program = " + helper_};
    s.insert(s.end(), more.begin(), more.end());
    start(s);
  }
  // curl with NTLM credentials; several URLs go over one connection.
  CurlResult ntlm(const std::vector<std::string>& paths) {
    std::vector<std::string> args{"-x", proxy_->proxyArg(), "--proxy-ntlm", "-U", "alice:any",
                                  "-D", "/dev/stderr"};
    for (const auto& p : paths)
      args.push_back(origin_.url(p));
    return runCurl(args);
  }
  // The helper's request lines starting with `step` ("YR" or "KK").
  size_t asked(const std::string& step) const {
    std::string text = readFile(seen_);
    size_t n = 0;
    for (size_t at = 0; (at = text.find(step + " ", at)) != std::string::npos; at += 3)
      n += at == 0 || text[at - 1] == '\n';
    return n;
  }
  std::string loggedUser(const std::string& needle) {
    auto f = proxy_->accessLogFields(needle);
    return f.size() > 7 ? f[7] : "";
  }

  OriginServer origin_;
  std::string dir_, seen_, helper_;
  std::unique_ptr<ProxyProcess> proxy_;
};

TEST_F(AuthHandshakeTest, SchemesAreOfferedInTheConfiguredOrder) {
  start({"schemes = ntlm basic", "ntlm_program = " + helper_,
         "basic_program = /usr/lib/squid/basic_fake_auth", "basic_realm = Corp"});
  auto r = runCurl({"-x", proxy_->proxyArg(), "-D", "/dev/stderr", origin_.url("/echo?none")});
  EXPECT_EQ(r.status, 407) << r.describe();
  size_t ntlm = r.err.find("Proxy-Authenticate: NTLM\r\n");
  size_t basic = r.err.find("Proxy-Authenticate: Basic realm=\"Corp\"\r\n");
  ASSERT_NE(ntlm, std::string::npos) << r.err;
  ASSERT_NE(basic, std::string::npos) << r.err;
  EXPECT_LT(ntlm, basic);
  EXPECT_EQ(origin_.requestCount(), 0u);
}

TEST_F(AuthHandshakeTest, NtlmAuthenticatesTheConnectionInThreeSteps) {
  startNtlm();
  auto r = ntlm({"/echo?first", "/echo?second"});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  // The challenge, then both requests served on the one connection.
  EXPECT_NE(r.err.find("407"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Proxy-Authenticate: NTLM TlRMTVNTUAACAAAA"), std::string::npos) << r.err;
  auto reqs = origin_.requests();
  ASSERT_EQ(reqs.size(), 2u) << r.describe();
  for (const auto& q : reqs)
    EXPECT_FALSE(q.headers.get("Proxy-Authorization").has_value());
  EXPECT_EQ(asked("YR"), 1u) << readFile(seen_);
  EXPECT_EQ(asked("KK"), 1u) << "the second request needed no handshake: " << readFile(seen_);
  ASSERT_TRUE(proxy_->waitForAccessLogLines(3));
  std::string first = loggedUser("first"), second = loggedUser("second");
  EXPECT_NE(first.find("alice"), std::string::npos) << proxy_->accessLog();
  EXPECT_EQ(second, first) << "the connection's user, without credentials";
}

TEST_F(AuthHandshakeTest, ANewConnectionAuthenticatesAgain) {
  startNtlm();
  ASSERT_EQ(ntlm({"/echo?one"}).status, 200);
  ASSERT_EQ(ntlm({"/echo?two"}).status, 200);
  EXPECT_EQ(asked("YR"), 2u) << readFile(seen_);
  // A request without credentials on a new connection is challenged, whoever came before.
  auto none = runCurl({"-x", proxy_->proxyArg(), origin_.url("/echo?none")});
  EXPECT_EQ(none.status, 407);
}

TEST_F(AuthHandshakeTest, AConnectionClosedMidHandshakeFreesItsHelperAtOnce) {
  startNtlm({"ntlm_children = 1"});
  {
    RawClient c(proxy_->endpoint());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send(requestHead("GET", origin_.url("/echo?half"), origin_.endpoint().str(),
                                   {std::string("Proxy-Authorization: NTLM ") + kType1})));
    auto resp = c.readResponse();
    ASSERT_TRUE(resp) << c.lastError();
    EXPECT_EQ(resp->status, 407);
    auto challenge = resp->headers.get("Proxy-Authenticate");
    ASSERT_TRUE(challenge);
    EXPECT_EQ(challenge->rfind("NTLM TlRMTVNTUAACAAAA", 0), 0u) << *challenge;
  } // closed with the only helper reserved for it
  auto r = ntlm({"/echo?after"});
  EXPECT_EQ(r.status, 200) << r.describe() << "\n" << proxy_->stderrText();
  EXPECT_EQ(asked("YR"), 2u);
}

TEST_F(AuthHandshakeTest, ABrokenHelperFailsClosed) {
  ASSERT_TRUE(writeFile(helper_, "#!/bin/sh\nwhile read line; do echo 'BH no domain "
                                 "controller'; done\n"));
  startNtlm();
  auto r = ntlm({"/echo?broken"});
  EXPECT_EQ(r.status, 503) << r.describe();
  EXPECT_EQ(origin_.requestCount(), 0u);
  EXPECT_TRUE(waitFor(
      [&] { return proxy_->stderrText().find("no domain controller") != std::string::npos; },
      Millis(5000)))
      << proxy_->stderrText();
}

// ---- Negotiate (Kerberos) ----

const char* kNegotiate = "/usr/lib/squid/negotiate_kerberos_auth";

class NegotiateTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (::access(kNegotiate, X_OK) != 0 || ::access("/usr/sbin/krb5kdc", X_OK) != 0 ||
        ::access("/usr/bin/kinit", X_OK) != 0)
      GTEST_SKIP() << "needs negotiate_kerberos_auth, krb5-kdc and krb5-user "
                      "(installers/bootstrap-deps.sh)";
    kdc_ = std::make_unique<Kdc>(KdcOptions{.users = {{"alice", "secret"}}});
    ASSERT_TRUE(kdc_->ok()) << kdc_->error() << "\n" << kdc_->log();
    ASSERT_TRUE(origin_.ok());
    // The helper reads the keytab with the KDC's private configuration.
    std::string helper = kdc_->dir() + "/negotiate-helper";
    std::string text = "#!/bin/sh\n";
    for (const auto& e : kdc_->env())
      text += "export '" + e + "'\n";
    text += std::string("exec ") + kNegotiate + " -k '" + kdc_->keytab() + "' -s " +
            kdc_->servicePrincipal() + "\n";
    ASSERT_TRUE(writeFile(helper, text));
    ::chmod(helper.c_str(), 0755);
    ProxyOptions o;
    o.extraFiles = {{"15-auth.conf",
                     std::string("[plugin]\npath = ") + AUTH_PLUGIN +
                         "\n\n[auth]\nschemes = negotiate\nnegotiate_program = " + helper + "\n"}};
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
    // curl (this process's children) asks the test's KDC only.
    for (const auto& e : kdc_->env()) {
      auto eq = e.find('=');
      ::setenv(e.substr(0, eq).c_str(), e.substr(eq + 1).c_str(), 1);
      names_.push_back(e.substr(0, eq));
    }
  }
  void TearDown() override {
    for (const auto& n : names_)
      ::unsetenv(n.c_str());
    proxy_.reset();
    kdc_.reset();
  }
  // The proxy is named "localhost": curl asks for a ticket to HTTP/localhost.
  CurlResult negotiate(const std::string& path) {
    return runCurl({"--proxy-negotiate", "-U", ":", "-x",
                    "localhost:" + std::to_string(proxy_->port()), "-D", "/dev/stderr",
                    origin_.url(path)});
  }

  std::unique_ptr<Kdc> kdc_;
  OriginServer origin_;
  std::unique_ptr<ProxyProcess> proxy_;
  std::vector<std::string> names_;
};

TEST_F(NegotiateTest, ATicketGetsThroughWithoutOneItIs407) {
  auto none = negotiate("/echo?no-ticket");
  EXPECT_EQ(none.status, 407) << none.describe();
  EXPECT_NE(none.err.find("Proxy-Authenticate: Negotiate\r\n"), std::string::npos) << none.err;
  EXPECT_EQ(origin_.requestCount(), 0u);

  ASSERT_TRUE(kdc_->kinit("alice", "secret"));
  auto r = negotiate("/echo?ticket");
  ASSERT_EQ(r.status, 200) << r.describe() << "\n" << proxy_->stderrText();
  auto reqs = origin_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_FALSE(reqs[0].headers.get("Proxy-Authorization").has_value());
  ASSERT_TRUE(proxy_->waitForAccessLogLines(2));
  auto f = proxy_->accessLogFields("?ticket");
  ASSERT_GT(f.size(), 7u) << proxy_->accessLog();
  EXPECT_EQ(f[7], "alice@EXAMPLE.TEST") << proxy_->accessLog() << proxy_->stderrText();
}

} // namespace
