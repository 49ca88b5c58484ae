// ABI 1.5 end to end through the real binary with curl: connection ids (the same for the requests
// of one keep-alive connection, another for the next connection) and on_connection_close once
// each closes; notes and the user a PENDING verdict completed on a worker thread carries,
// reaching a later plugin and the access log; a 407 answer with several Proxy-Authenticate
// headers in the plugin's order, on a connection that stays open; Proxy-Authorization never
// forwarded to the origin. The plugin is tests/plugin_abi/plugins/abi15.c.
#include "itest.h"

#ifndef ABI15_PLUGIN
#error "ABI15_PLUGIN must name abi15.so"
#endif

using namespace itest;

namespace {

std::string abi15Conf(const std::string& section, const std::vector<std::string>& settings) {
  std::string text = std::string("[plugin]\npath = ") + ABI15_PLUGIN + "\n\n[" + section + "]\n";
  for (const auto& s : settings)
    text += s + "\n";
  return text;
}

class Abi15 : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_TRUE(origin_.ok()); }

  void start(const std::vector<std::pair<std::string, std::string>>& files) {
    ProxyOptions o;
    o.extraFiles = files;
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
  }
  std::string log() const { return proxy_->stderrText() + proxy_->stdoutText(); }

  OriginServer origin_;
  std::unique_ptr<ProxyProcess> proxy_;
};

TEST_F(Abi15, ConnectionIdsAndTheirClose) {
  start({{"20-abi15.conf", abi15Conf("abi15", {"echo = on"})}});
  // Two requests on one keep-alive connection, then one on a connection of its own.
  auto both =
      runCurl({"-x", proxy_->proxyArg(), origin_.url("/echo?one"), origin_.url("/echo?two")});
  ASSERT_EQ(both.exitCode, 0) << both.describe();
  auto alone = runCurl({"-x", proxy_->proxyArg(), origin_.url("/echo?three")});
  ASSERT_EQ(alone.status, 200) << alone.describe();
  auto reqs = origin_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  std::string one = reqs[0].headers.get("X-Conn-Id").value_or("");
  std::string two = reqs[1].headers.get("X-Conn-Id").value_or("");
  std::string three = reqs[2].headers.get("X-Conn-Id").value_or("");
  ASSERT_FALSE(one.empty());
  EXPECT_NE(one, "0");
  EXPECT_EQ(one, two) << "one connection, one id";
  EXPECT_NE(one, three) << "a new connection, a new id";
  // Each connection's close reaches the plugin once, after the client went away.
  for (const auto& id : {one, three})
    EXPECT_TRUE(
        waitFor([&] { return log().find("connection " + id + " closed") != std::string::npos; },
                Millis(5000)))
        << id << "\n"
        << log();
  std::string text = log();
  size_t first = text.find("connection " + one + " closed");
  EXPECT_EQ(text.find("connection " + one + " closed", first + 1), std::string::npos)
      << "closed once";
}

TEST_F(Abi15, NotesAndTheUserFromAWorkerReachALaterPluginAndTheAccessLog) {
  start({{"20-first.conf",
          abi15Conf("first", {"when = pending", "note = group=pupils", "log_note = tag=t1",
                              "log_note = ext=said yes", "user = alice"})},
         {"30-later.conf", abi15Conf("later", {"echo = on"})}});
  auto r = runCurl({"-x", proxy_->proxyArg(), origin_.url("/echo?noted")});
  ASSERT_EQ(r.status, 200) << r.describe();
  auto reqs = origin_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers.get("X-User").value_or(""), "alice");
  EXPECT_EQ(reqs[0].headers.get("X-Notes").value_or(""), "group=pupils;tag=t1;ext=said yes");
  auto f = proxy_->accessLogFields("noted");
  ASSERT_GE(f.size(), 11u) << proxy_->accessLog();
  EXPECT_EQ(f[7], "alice") << "the user field";
  // Only the notes asked to be logged, after the decision (the later plugin's header edits) in
  // the 11th field, spaces escaped: every line keeps its 11 fields.
  ASSERT_EQ(f.size(), 11u) << proxy_->accessLog();
  EXPECT_EQ(f[10], "rewritten:30-later%20tag=t1%20ext=said%20yes") << proxy_->accessLog();
}

TEST_F(Abi15, A407OffersEverySchemeInOrderAndKeepsTheConnection) {
  start(
      {{"20-auth.conf", abi15Conf("auth", {"action = respond", "status = 407",
                                           "header = Proxy-Authenticate: Negotiate",
                                           "header = Proxy-Authenticate: NTLM",
                                           "header = Proxy-Authenticate: Basic realm=\"corp\""})}});
  auto r = runCurl(
      {"-v", "-x", proxy_->proxyArg(), "-D", "/dev/stdout", origin_.url("/a"), origin_.url("/b")});
  EXPECT_EQ(origin_.requestCount(), 0u);
  size_t n = r.out.find("Proxy-Authenticate: Negotiate");
  size_t t = r.out.find("Proxy-Authenticate: NTLM");
  size_t b = r.out.find("Proxy-Authenticate: Basic realm=\"corp\"");
  ASSERT_NE(n, std::string::npos) << r.out;
  ASSERT_NE(t, std::string::npos) << r.out;
  ASSERT_NE(b, std::string::npos) << r.out;
  EXPECT_LT(n, t);
  EXPECT_LT(t, b);
  EXPECT_NE(r.out.find("HTTP/1.1 407"), std::string::npos) << r.out;
  // Both answers came on the first connection (curl says it re-used it).
  EXPECT_NE(r.err.find("Re-using existing connection"), std::string::npos) << r.err;
}

TEST_F(Abi15, ProxyAuthorizationNeverReachesTheOrigin) {
  start({{"20-abi15.conf", abi15Conf("abi15", {"echo = on"})}});
  auto r = runCurl({"-x", proxy_->proxyArg(), "-U", "alice:secret", origin_.url("/echo?creds")});
  ASSERT_EQ(r.status, 200) << r.describe();
  auto reqs = origin_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_FALSE(reqs[0].headers.get("Proxy-Authorization").has_value());
}

} // namespace
