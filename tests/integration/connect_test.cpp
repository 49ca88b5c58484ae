// CONNECT: a TLS origin (openssl s_server) behind curl --proxytunnel, the connect_ports ACL, and
// the tunnel relaying bytes both ways with half-close.
#include "itest.h"

#include <chrono>
#include <csignal>
#include <thread>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// openssl s_server -www on 127.0.0.1 with a throwaway self-signed certificate.
class TlsServer {
public:
  TlsServer() : dir_(makeTempDir("itest-tls")) {}
  ~TlsServer() {
    if (pid_ > 0)
      stopProcess(pid_, SIGTERM, 3s);
    removeTree(dir_);
  }
  testing::AssertionResult start() {
    pid_t gen = spawnProcess({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                              "-subj", "/CN=localhost", "-days", "1", "-keyout", dir_ + "/key.pem",
                              "-out", dir_ + "/cert.pem"},
                             dir_ + "/req.out", dir_ + "/req.err");
    auto st = waitPidFor(gen, 60s);
    if (!st || exitCodeOf(*st) != 0)
      return testing::AssertionFailure() << "openssl req failed: " << readFile(dir_ + "/req.err");
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = pickFreePort("127.0.0.1");
      pid_ = spawnProcess({"/usr/bin/openssl", "s_server", "-accept",
                           "127.0.0.1:" + std::to_string(port_), "-www", "-cert",
                           dir_ + "/cert.pem", "-key", dir_ + "/key.pem"},
                          dir_ + "/out", dir_ + "/err");
      bool up = waitFor(
          [&] {
            return readFile(dir_ + "/out").find("ACCEPT") != std::string::npos ||
                   !processAlive(pid_);
          },
          10s);
      if (up && processAlive(pid_))
        return testing::AssertionSuccess();
      stopProcess(pid_, SIGTERM, 2s);
      pid_ = -1;
    }
    return testing::AssertionFailure() << "s_server did not start: " << readFile(dir_ + "/err");
  }
  uint16_t port() const { return port_; }

private:
  std::string dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

} // namespace

TEST(ConnectTest, TlsThroughProxytunnel) {
  TlsServer tls;
  ASSERT_TRUE(tls.start());
  ProxyProcess proxy({"", {"acl.connect_ports=443 " + std::to_string(tls.port())}, {}});
  ASSERT_TRUE(proxy.start());
  auto r = runCurl({"--proxytunnel", "-k", "-x", proxy.proxyArg(),
                    "https://127.0.0.1:" + std::to_string(tls.port()) + "/"});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.connectStatus, 200);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.out.find("s_server"), std::string::npos) << r.out.substr(0, 500);
  // The tunnel is logged with the authority as its URL.
  ASSERT_TRUE(proxy.waitForAccessLogLines(1));
  EXPECT_NE(proxy.accessLog().find("CONNECT 127.0.0.1:" + std::to_string(tls.port())),
            std::string::npos)
      << proxy.accessLog();
}

TEST(ConnectTest, PortNotAllowedIs403) {
  TlsServer tls;
  ASSERT_TRUE(tls.start());
  ProxyProcess proxy; // connect_ports defaults to 443 only
  ASSERT_TRUE(proxy.start());
  auto r = runCurl({"--proxytunnel", "-k", "-x", proxy.proxyArg(),
                    "https://127.0.0.1:" + std::to_string(tls.port()) + "/"});
  EXPECT_NE(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.connectStatus, 403) << r.describe();

  OriginServer origin;
  auto raw = rawExchange(proxy.endpoint(), connectRequest(origin.endpoint().str()));
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 403);
  EXPECT_EQ(origin.acceptedConnections(), 0) << "connected to a port that is not allowed";
}

TEST(ConnectTest, TunnelRelaysBothWaysWithHalfClose) {
  OriginServer origin;
  ProxyProcess proxy({"", {"acl.connect_ports=" + std::to_string(origin.port())}, {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(connectRequest(origin.endpoint().str())));
  auto established = c.readResponse(5s, /*headRequest=*/true); // a 2xx to CONNECT has no body
  ASSERT_TRUE(established) << c.lastError();
  ASSERT_EQ(established->status, 200);
  // Plain HTTP inside the tunnel: the proxy must relay it untouched (no Via, no rewriting).
  ASSERT_TRUE(c.send("GET /echo HTTP/1.1\r\nHost: inside.example.test\r\n\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r) << c.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("Host: inside.example.test"), std::string::npos) << r->body;
  EXPECT_FALSE(r->headers.has("Via")) << "the proxy touched bytes inside a tunnel";
  // Half-close: the client stops sending; the answer still comes back whole.
  ASSERT_TRUE(c.send("GET /bytes/200000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  c.shutdownWrite();
  auto big = c.readResponse(10s);
  ASSERT_TRUE(big) << c.lastError();
  EXPECT_EQ(big->body, patternBytes(0, 200000));
  EXPECT_TRUE(c.waitClosed(5s));
  EXPECT_EQ(origin.acceptedConnections(), 1);
}

TEST(ConnectTest, ConnectRefusedIs502) {
  uint16_t port = closedPort();
  ProxyProcess proxy({"", {"acl.connect_ports=" + std::to_string(port)}, {}});
  ASSERT_TRUE(proxy.start());
  auto r = rawExchange(proxy.endpoint(), connectRequest("127.0.0.1:" + std::to_string(port)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
}

namespace {

// The value of a Prometheus counter in the proxy's /metrics, -1 when absent or unreachable.
double proxyMetric(const ProxyProcess& proxy, const std::string& name) {
  auto lines = splitLines(readFile(proxy.dir() + "/ready.ui"));
  if (lines.size() != 1)
    return -1;
  auto r = runCurl({"--noproxy", "*", "http://" + lines[0] + "/metrics"});
  auto at = r.out.find("\n" + name + " ");
  if (r.status != 200 || at == std::string::npos)
    return -1;
  return std::stod(r.out.substr(at + name.size() + 2));
}

// Megabytes both ways through one tunnel, with a client that does not read for a while (the
// proxy's writes to it block with bytes in flight), then half-closes: every byte arrives, in
// order, whether the proxy relays with splice(2) (the default) or by copying.
void relayBulkBothWays(bool splice) {
  constexpr size_t kUpload = 3 << 20;
  constexpr size_t kDownload = 8 << 20;
  OriginServer origin;
  ProxyProcess proxy({"",
                      {"acl.connect_ports=" + std::to_string(origin.port()),
                       std::string("upstream.splice=") + (splice ? "yes" : "no"), "ui.enabled=yes",
                       "ui.listen=127.0.0.1:0"},
                      {}});
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(connectRequest(origin.endpoint().str())));
  auto established = c.readResponse(5s, /*headRequest=*/true);
  ASSERT_TRUE(established) << c.lastError();
  ASSERT_EQ(established->status, 200);

  ASSERT_TRUE(
      c.send(requestHead("POST", "/upload", "x", {"Content-Length: " + std::to_string(kUpload)}) +
                 patternBytes(0, kUpload),
             30s));
  auto up = c.readResponse(30s);
  ASSERT_TRUE(up) << c.lastError();
  EXPECT_EQ(up->headers.get("X-Received-Bytes").value_or(""), std::to_string(kUpload));

  ASSERT_TRUE(c.send(
      requestHead("GET", "/bytes/" + std::to_string(kDownload), "x", {"Connection: close"})));
  c.shutdownWrite();
  std::this_thread::sleep_for(500ms); // socket buffers fill up; the proxy's writes block
  auto down = c.readResponse(30s);
  ASSERT_TRUE(down) << c.lastError();
  ASSERT_EQ(down->body.size(), kDownload);
  EXPECT_TRUE(down->body == patternBytes(0, kDownload)) << "the download arrived altered";
  EXPECT_TRUE(c.waitClosed(5s));

  ASSERT_TRUE(proxy.waitForAccessLogLines(1));
  double spliced = proxyMetric(proxy, "exaproxy_bytes_spliced_total");
  ASSERT_GE(spliced, 0) << "no bytes_spliced counter in /metrics";
  if (splice)
    EXPECT_GE(spliced, double(kUpload + kDownload)) << "the tunnel did not relay by splice";
  else
    EXPECT_EQ(spliced, 0) << "splice = no still spliced";
  // Bytes the access log and the counters see are the same either way.
  EXPECT_GE(proxyMetric(proxy, "exaproxy_bytes_to_clients_total"), double(kDownload));
  EXPECT_GE(proxyMetric(proxy, "exaproxy_bytes_to_upstream_total"), double(kUpload));
}

} // namespace

TEST(ConnectTest, TunnelSplicesBulkBytesBothWays) { relayBulkBothWays(true); }

TEST(ConnectTest, TunnelCopiesBulkBytesWhenSpliceIsOff) { relayBulkBothWays(false); }
