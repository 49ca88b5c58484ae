// substitute through the real binary: the proof that host substitution gives no certificate
// error. dnsmasq answers www.example.test -> 127.0.0.2 and safe.example.test -> 127.0.0.3; a TLS
// server on each address presents a certificate for www.example.test signed by a CA made here,
// each serving its own body. curl verifies the certificate against that CA (no -k) and must get
// the substitute's body. The same for plain http, where the substitute sees the original Host.
#include "itest.h"

#include <chrono>
#include <csignal>

using namespace itest;
using namespace std::chrono_literals;

namespace {

#ifndef SUBSTITUTE_PLUGIN
#error "SUBSTITUTE_PLUGIN must name substitute.so"
#endif

// Runs a program to completion; the failure message carries its stderr.
testing::AssertionResult run(const std::vector<std::string>& argv, const std::string& dir) {
  pid_t pid = spawnProcess(argv, dir + "/cmd.out", dir + "/cmd.err");
  auto st = waitPidFor(pid, 60s);
  if (!st || exitCodeOf(*st) != 0)
    return testing::AssertionFailure()
           << argv[0] << " " << argv[1] << " failed: " << readFile(dir + "/cmd.err");
  return testing::AssertionSuccess();
}

// A test CA and a server certificate for www.example.test signed by it (ECDSA P-256: fast).
class TestPki {
public:
  TestPki() : dir_(makeTempDir("itest-pki")) {}
  ~TestPki() { removeTree(dir_); }
  testing::AssertionResult make() {
    const std::string ossl = "/usr/bin/openssl";
    auto ca = run({ossl,
                   "req",
                   "-x509",
                   "-newkey",
                   "ec",
                   "-pkeyopt",
                   "ec_paramgen_curve:P-256",
                   "-nodes",
                   "-subj",
                   "/CN=ExaProxy Test CA",
                   "-days",
                   "1",
                   "-keyout",
                   dir_ + "/ca.key",
                   "-out",
                   caPem(),
                   "-addext",
                   "basicConstraints=critical,CA:TRUE",
                   "-addext",
                   "keyUsage=critical,keyCertSign,cRLSign"},
                  dir_);
    if (!ca)
      return ca;
    auto csr =
        run({ossl, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-subj", "/CN=www.example.test", "-keyout", key(), "-out", dir_ + "/server.csr"},
            dir_);
    if (!csr)
      return csr;
    writeFile(dir_ + "/ext.cnf", "subjectAltName=DNS:www.example.test\n"
                                 "basicConstraints=CA:FALSE\n"
                                 "extendedKeyUsage=serverAuth\n");
    return run({ossl, "x509", "-req", "-in", dir_ + "/server.csr", "-CA", caPem(), "-CAkey",
                dir_ + "/ca.key", "-CAcreateserial", "-days", "1", "-out", cert(), "-extfile",
                dir_ + "/ext.cnf"},
               dir_);
  }
  std::string caPem() const { return dir_ + "/ca.pem"; }
  std::string cert() const { return dir_ + "/server.pem"; }
  std::string key() const { return dir_ + "/server.key"; }

private:
  std::string dir_;
};

// openssl s_server -WWW on address:port, serving files from its own directory (it serves
// relative to its working directory, hence the sh -c "cd ... && exec"). Stopped by PID (exec
// keeps the shell's PID).
class TlsFileServer {
public:
  TlsFileServer(std::string address, const std::string& body)
      : address_(std::move(address)), dir_(makeTempDir("itest-tlsfs")) {
    writeFile(dir_ + "/page.txt", body);
  }
  ~TlsFileServer() {
    stop();
    removeTree(dir_);
  }
  bool start(uint16_t port, const TestPki& pki) {
    pid_ = spawnProcess({"/bin/sh", "-c",
                         "cd '" + dir_ + "' && exec /usr/bin/openssl s_server -accept " + address_ +
                             ":" + std::to_string(port) + " -WWW -cert '" + pki.cert() +
                             "' -key '" + pki.key() + "'"},
                        dir_ + "/out", dir_ + "/err");
    bool up = waitFor(
        [&] {
          return readFile(dir_ + "/out").find("ACCEPT") != std::string::npos || !processAlive(pid_);
        },
        10s);
    if (up && processAlive(pid_))
      return true;
    stop();
    return false;
  }
  void stop() {
    if (pid_ > 0)
      stopProcess(pid_, SIGTERM, 3s);
    pid_ = -1;
  }
  std::string error() const { return readFile(dir_ + "/err"); }

private:
  std::string address_;
  std::string dir_;
  pid_t pid_ = -1;
};

Dnsmasq exampleDns() {
  return Dnsmasq(DnsmasqOptions{
      300,
      {"--host-record=www.example.test,127.0.0.2", "--host-record=safe.example.test,127.0.0.3"},
      {},
      true});
}

std::string substituteConf(const std::string& rules) {
  return std::string("[plugin]\npath = ") + SUBSTITUTE_PLUGIN + "\n[substitute]\n" + rules;
}

ProxyOptions proxyOptions(const Dnsmasq& dns, uint16_t port, const std::string& rules) {
  ProxyOptions o;
  o.sets = {"acl.connect_ports=443 " + std::to_string(port), "dns.servers=" + dns.server()};
  if (!rules.empty())
    o.extraFiles = {{"60-substitute.conf", substituteConf(rules)}};
  return o;
}

// Plain-http origins for www.example.test (127.0.0.2) and safe.example.test (127.0.0.3) on the
// same port: the first binds port 0, the second reuses its number.
struct TwoOrigins {
  std::unique_ptr<OriginServer> substitute =
      std::make_unique<OriginServer>(std::vector<std::string>{"127.0.0.3"});
  std::unique_ptr<OriginServer> original =
      std::make_unique<OriginServer>(std::vector<std::string>{"127.0.0.2"}, substitute->port());
  uint16_t port() const { return substitute->port(); }
  testing::AssertionResult ok() const {
    if (substitute->ok() && original->ok())
      return testing::AssertionSuccess();
    return testing::AssertionFailure() << "port " << port() << " busy on 127.0.0.2 or 127.0.0.3";
  }
};

} // namespace

TEST(SubstituteIntegrationTest, ConnectToSubstituteVerifiesTheRequestedNamesCertificate) {
  TestPki pki;
  ASSERT_TRUE(pki.make());
  auto dns = exampleDns();
  ASSERT_TRUE(dns.start()) << dns.error();

  // Both servers on the same port of 127.0.0.2 and 127.0.0.3 (retry if the port gets taken).
  TlsFileServer original("127.0.0.2", "served by the ORIGINAL www.example.test\n");
  TlsFileServer substitute("127.0.0.3", "served by the SUBSTITUTE safe.example.test\n");
  uint16_t port = 0;
  for (int attempt = 0; attempt < 5 && port == 0; ++attempt) {
    uint16_t candidate = pickFreePort("127.0.0.2");
    if (original.start(candidate, pki) && substitute.start(candidate, pki))
      port = candidate;
    else {
      original.stop();
      substitute.stop();
    }
  }
  ASSERT_NE(port, 0) << "TLS servers did not start: " << original.error() << substitute.error();
  std::string url = "https://www.example.test:" + std::to_string(port) + "/page.txt";

  // Control: without the plugin, the same request reaches the original server.
  {
    ProxyProcess plain(proxyOptions(dns, port, ""));
    ASSERT_TRUE(plain.start());
    auto r = runCurl({"--cacert", pki.caPem(), "--proxytunnel", "-x", plain.proxyArg(), url});
    ASSERT_EQ(r.exitCode, 0) << r.describe();
    EXPECT_NE(r.out.find("ORIGINAL"), std::string::npos) << r.describe();
  }

  ProxyProcess proxy(proxyOptions(dns, port, "www.example.test = safe.example.test\n"));
  ASSERT_TRUE(proxy.start());
  int requestedLookups = dns.queryCount("www.example.test");
  // No -k: curl checks the certificate against ca.pem and the name www.example.test.
  auto r = runCurl({"--cacert", pki.caPem(), "--proxytunnel", "-x", proxy.proxyArg(), url});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.connectStatus, 200);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.out.find("SUBSTITUTE"), std::string::npos) << r.describe();
  EXPECT_EQ(r.out.find("ORIGINAL"), std::string::npos) << r.describe();

  // The access log shows the requested target and where it was routed.
  ASSERT_TRUE(proxy.waitForAccessLogLines(1));
  auto log = proxy.accessLog();
  EXPECT_NE(log.find("CONNECT www.example.test:" + std::to_string(port)), std::string::npos) << log;
  EXPECT_NE(log.find("safe.example.test:" + std::to_string(port)), std::string::npos) << log;
  // Matching happens before DNS: the requested name is not looked up again, the substitute is.
  EXPECT_EQ(dns.queryCount("www.example.test"), requestedLookups) << dns.log();
  EXPECT_GE(dns.queryCount("safe.example.test"), 1) << dns.log();
}

TEST(SubstituteIntegrationTest, SubstituteWithAnotherPortAndWildcard) {
  TestPki pki;
  ASSERT_TRUE(pki.make());
  auto dns = exampleDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  TlsFileServer substitute("127.0.0.3", "wildcard SUBSTITUTE\n");
  uint16_t port = 0;
  for (int attempt = 0; attempt < 5 && port == 0; ++attempt) {
    uint16_t candidate = pickFreePort("127.0.0.3");
    if (substitute.start(candidate, pki))
      port = candidate;
  }
  ASSERT_NE(port, 0) << substitute.error();
  // *.example.test matches www.example.test; the substitute is an IP literal with its own port,
  // so the client asks for port 443 and the tunnel goes to 127.0.0.3:port.
  ProxyProcess proxy(
      proxyOptions(dns, port, "*.example.test = 127.0.0.3:" + std::to_string(port) + "\n"));
  ASSERT_TRUE(proxy.start());
  auto r = runCurl({"--cacert", pki.caPem(), "--proxytunnel", "-x", proxy.proxyArg(),
                    "https://www.example.test/page.txt"});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_NE(r.out.find("wildcard SUBSTITUTE"), std::string::npos) << r.describe();
}

TEST(SubstituteIntegrationTest, HttpGoesToSubstituteWithTheOriginalHost) {
  auto dns = exampleDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  TwoOrigins origins;
  ASSERT_TRUE(origins.ok());
  auto& substitute = origins.substitute;
  auto& original = *origins.original;
  uint16_t port = origins.port();

  ProxyProcess proxy(proxyOptions(dns, port, "www.example.test = safe.example.test\n"));
  ASSERT_TRUE(proxy.start());
  std::string authority = "www.example.test:" + std::to_string(port);
  auto r = runCurl({"-x", proxy.proxyArg(), "http://" + authority + "/echo?q=1"});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200) << r.describe();
  ASSERT_EQ(substitute->requestCount(), 1u);
  EXPECT_EQ(original.requestCount(), 0u) << "the request went to the original server";
  auto req = substitute->requests().front();
  EXPECT_EQ(req.target, "/echo?q=1");
  ASSERT_TRUE(req.headers.has("Host"));
  EXPECT_EQ(req.headers.get("Host"), authority) << "the substitute must see the original Host";

  // A name no rule matches goes where DNS says.
  auto other = runCurl({"-x", proxy.proxyArg(), "http://127.0.0.2:" + std::to_string(port) + "/"});
  ASSERT_EQ(other.exitCode, 0) << other.describe();
  EXPECT_EQ(original.requestCount(), 1u);

  ASSERT_TRUE(proxy.waitForAccessLogLines(2));
  auto log = proxy.accessLog();
  EXPECT_NE(log.find("http://" + authority + "/echo"), std::string::npos) << log;
  EXPECT_NE(log.find("safe.example.test:" + std::to_string(port)), std::string::npos) << log;
}

// A route is checked like the request line: a substitute on the proxy's own host that
// allow_local_destinations does not name is refused, although the original would be allowed.
TEST(SubstituteIntegrationTest, ARouteToTheProxysOwnHostIsRefused) {
  auto dns = exampleDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  TwoOrigins origins;
  ASSERT_TRUE(origins.ok());
  uint16_t port = origins.port();
  auto o = proxyOptions(dns, port, "www.example.test = safe.example.test\n");
  o.allowLocalDestinations = false;
  o.sets.push_back("acl.allow_local_destinations=127.0.0.2");
  ProxyProcess proxy(o);
  ASSERT_TRUE(proxy.start());
  auto r = runCurl(
      {"-x", proxy.proxyArg(), "http://www.example.test:" + std::to_string(port) + "/echo"});
  EXPECT_EQ(r.status, 403) << r.describe();
  EXPECT_EQ(origins.substitute->acceptedConnections(), 0);
  // Without the route the original is allowed: the refusal was the route's destination.
  auto direct = runCurl({"-x", proxy.proxyArg(), "http://127.0.0.2:" + std::to_string(port) + "/"});
  EXPECT_EQ(direct.status, 200) << direct.describe();
}

TEST(SubstituteIntegrationTest, BadRuleIsRefusedWithFileAndLine) {
  // Required (the default): the proxy does not start, and says where the bad rule is.
  ProxyOptions o;
  o.extraFiles = {{"60-substitute.conf", substituteConf("ok.example.test = fine.example.test\n"
                                                        "bad.example.test = not a host\n")}};
  ProxyProcess proxy(o);
  EXPECT_FALSE(proxy.start(Millis(5000))) << "a required plugin that cannot load stops the start";
  EXPECT_EQ(proxy.waitExit(Millis(5000)), std::optional<int>(1));
  EXPECT_NE(proxy.stderrText().find("60-substitute.conf:5"), std::string::npos)
      << proxy.stderrText();
  EXPECT_NE(proxy.stderrText().find("not a host"), std::string::npos) << proxy.stderrText();

  // Optional: refused with file:line, and the proxy serves without it.
  ProxyOptions optional;
  optional.extraFiles = {
      {"60-substitute.conf", "[plugin]\nrequired = no\npath = " + std::string(SUBSTITUTE_PLUGIN) +
                                 "\n[substitute]\nok.example.test = fine.example.test\n"
                                 "bad.example.test = not a host\n"}};
  ProxyProcess served(optional);
  ASSERT_TRUE(served.start()) << "an optional refused plugin does not stop the proxy";
  ASSERT_TRUE(waitFor(
      [&] { return served.stderrText().find("60-substitute.conf:6") != std::string::npos; }, 5s))
      << served.stderrText();
}
