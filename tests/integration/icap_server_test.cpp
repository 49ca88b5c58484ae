// The ICAP server ([icap_server]) through the real binary: an ICAP client's REQMOD judged by the
// plugin chain (acl denies, headers rewrites, a plugin that throws fails closed), spoken to on
// the wire by the test (OPTIONS, 204, the echo without Allow: 204, a preview and 100 Continue,
// malformed requests, a refused client); RESPMOD through the response and body hooks (body17:
// a word replaced, a block on the body, a PENDING body verdict, decoding refused); and Debian's
// Squid 5.7 using both: a URL the acl plugin denies is denied by Squid with our page, others
// reach the origin, rewritten where the headers plugin says, and their bodies edited.
#include "itest.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <filesystem>

#ifndef ACL_PLUGIN
#error "ACL_PLUGIN must name acl.so"
#endif
#ifndef HEADERS_PLUGIN
#error "HEADERS_PLUGIN must name headers.so"
#endif
#ifndef BODY17_PLUGIN
#error "BODY17_PLUGIN must name tp_body17.so"
#endif
#ifndef THROWS_PLUGIN
#error "THROWS_PLUGIN must name tp_throws_in_hook.so"
#endif

using namespace itest;

namespace {

// One ICAP connection: sends bytes, reads one ICAP message (its head, the encapsulated heads
// and, when there is one, the chunked body up to its last chunk).
class IcapConnection {
public:
  explicit IcapConnection(const Endpoint& ep) : fd_(connectTo(ep)) {}
  ~IcapConnection() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // The next message, or "" when the connection closed or nothing came within the timeout.
  std::string readMessage(Millis timeout = Millis(10000)) {
    auto deadline = Clock::now() + timeout;
    size_t head = 0;
    while ((head = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(deadline))
        return "";
    head += 4;
    std::string h = buf_.substr(0, head);
    size_t end = head;
    auto at = h.find("Encapsulated: ");
    if (at != std::string::npos) {
      std::string enc = h.substr(at, h.find("\r\n", at) - at);
      bool body =
          enc.find("req-body=") != std::string::npos || enc.find("res-body=") != std::string::npos;
      size_t eq = enc.rfind('=');
      end = head + std::stoul(enc.substr(eq + 1));
      while (buf_.size() < end)
        if (!fill(deadline))
          return "";
      if (body) {
        size_t last;
        while ((last = buf_.find("\r\n0\r\n\r\n", end - 2)) == std::string::npos)
          if (!fill(deadline))
            return "";
        end = last + 7;
      }
    }
    std::string msg = buf_.substr(0, end);
    buf_.erase(0, end);
    return msg;
  }
  // True when the server closed the connection (no more bytes) within the timeout.
  bool closedWithin(Millis timeout) {
    auto deadline = Clock::now() + timeout;
    while (fill(deadline)) {
    }
    return closed_;
  }

private:
  bool fill(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0 || closed_)
      return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0)
      return false;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buf_;
  bool closed_ = false;
};

std::string reqmod(const std::string& httpHead, const std::string& fields,
                   const std::string* body = nullptr) {
  std::string enc = body ? "req-hdr=0, req-body=" + std::to_string(httpHead.size())
                         : "req-hdr=0, null-body=" + std::to_string(httpHead.size());
  return "REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\n" + fields +
         "Encapsulated: " + enc + "\r\n\r\n" + httpHead + (body ? *body : "");
}

// A RESPMOD for GET `url` whose response is `resHead`, with a preview of 0 bytes of its body
// ("0\r\n\r\n", or "0; ieof" when `empty`) or no body at all (`nullBody`).
std::string respmod(const std::string& url, const std::string& host, const std::string& resHead,
                    bool nullBody = false, bool empty = false) {
  std::string req = "GET " + url + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  std::string enc = "req-hdr=0, res-hdr=" + std::to_string(req.size()) +
                    (nullBody ? ", null-body=" : ", res-body=") +
                    std::to_string(req.size() + resHead.size());
  return "RESPMOD icap://127.0.0.1/respmod ICAP/1.0\r\nHost: 127.0.0.1\r\nAllow: 204\r\n" +
         std::string(nullBody ? "" : "Preview: 0\r\n") + "Encapsulated: " + enc + "\r\n\r\n" + req +
         resHead +
         (nullBody ? ""
          : empty  ? "0; ieof\r\n\r\n"
                   : "0\r\n\r\n");
}

std::string get(const std::string& url, const std::string& host) {
  return "GET " + url + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: */*\r\n\r\n";
}

std::string statusLine(const std::string& msg) { return msg.substr(0, msg.find("\r\n")); }

class IcapServerTest : public ::testing::Test {
protected:
  void start(const std::string& acl = "[acl_rule bad]\ndomains = bad.example\naction = deny\n"
                                      "reason = Not on this network.\n",
             std::vector<std::string> sets = {}, bool throwing = false,
             const std::string& body17 = "") {
    ProxyOptions o;
    o.sets = {"icap_server.enabled=yes", "icap_server.listen=127.0.0.1:0"};
    o.sets.insert(o.sets.end(), sets.begin(), sets.end());
    o.extraFiles = {{"20-acl.conf", std::string("[plugin]\npath = ") + ACL_PLUGIN + "\n" + acl},
                    {"30-headers.conf", std::string("[plugin]\npath = ") + HEADERS_PLUGIN +
                                            "\n[headers judged]\nhost = *.rewrite.example "
                                            "127.0.0.1\nset = X-Judged: by-exaproxy\n"}};
    if (throwing)
      o.extraFiles.push_back({"40-throws.conf", std::string("[plugin]\npath = ") + THROWS_PLUGIN});
    if (!body17.empty())
      o.extraFiles.push_back({"50-body17.conf", std::string("[plugin]\npath = ") + BODY17_PLUGIN +
                                                    "\n[body17]\n" + body17});
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
    std::string text = readFile(proxy_->dir() + "/ready.icap");
    auto ep = Endpoint::parse(text.substr(0, text.find('\n')));
    ASSERT_TRUE(ep);
    icap_ = *ep;
  }
  std::string log() const { return proxy_->stderrText(); }

  std::unique_ptr<ProxyProcess> proxy_;
  Endpoint icap_;
};

TEST_F(IcapServerTest, OptionsAnnouncesReqmodWithAPreviewOfZero) {
  start();
  IcapConnection c(icap_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send("OPTIONS icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
  std::string m = c.readMessage();
  EXPECT_EQ(statusLine(m), "ICAP/1.0 200 OK") << m;
  EXPECT_NE(m.find("\r\nMethods: REQMOD\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\r\nPreview: 0\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\r\nAllow: 204\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\r\nISTag: \"ep-"), std::string::npos) << m;
  EXPECT_NE(m.find("\r\nMax-Connections: 64\r\n"), std::string::npos) << m;
  // The connection stays open for the next request.
  ASSERT_TRUE(c.send(reqmod(get("http://ok.example/", "ok.example"), "Allow: 204\r\n")));
  EXPECT_EQ(statusLine(c.readMessage()), "ICAP/1.0 204 No Content");
}

TEST_F(IcapServerTest, AllowedRequestIs204OrEchoedWhenTheClientDoesNotAllow204) {
  start();
  IcapConnection c(icap_);
  std::string head = get("http://ok.example/page", "ok.example");
  ASSERT_TRUE(c.send(reqmod(head, "Allow: 204\r\n")));
  std::string m = c.readMessage();
  EXPECT_EQ(statusLine(m), "ICAP/1.0 204 No Content") << m;
  ASSERT_TRUE(c.send(reqmod(head, "")));
  m = c.readMessage();
  EXPECT_EQ(statusLine(m), "ICAP/1.0 200 OK") << m;
  EXPECT_NE(m.find("Encapsulated: req-hdr=0, null-body=" + std::to_string(head.size())),
            std::string::npos)
      << m;
  EXPECT_EQ(m.substr(m.size() - head.size()), head) << "the request exactly as it came";
}

TEST_F(IcapServerTest, DeniedRequestGetsThePageAsAnEncapsulatedResponse) {
  start();
  IcapConnection c(icap_);
  ASSERT_TRUE(c.send(reqmod(get("http://www.bad.example/x", "www.bad.example"), "Allow: 204\r\n")));
  std::string m = c.readMessage();
  EXPECT_EQ(statusLine(m), "ICAP/1.0 200 OK") << m;
  EXPECT_NE(m.find("Encapsulated: res-hdr=0, res-body="), std::string::npos) << m;
  EXPECT_NE(m.find("\r\n\r\nHTTP/1.1 403 Forbidden\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("Not on this network."), std::string::npos) << m;
  EXPECT_EQ(m.substr(m.size() - 7), "\r\n0\r\n\r\n");
}

TEST_F(IcapServerTest, AclSeesTheClientSquidNames) {
  start("[acl_rule students]\nclients = 10.2.0.0/16\naction = deny\nreason = Students.\n");
  IcapConnection c(icap_);
  std::string head = get("http://ok.example/", "ok.example");
  ASSERT_TRUE(c.send(reqmod(head, "Allow: 204\r\nX-Client-IP: 10.2.3.4\r\n")));
  std::string m = c.readMessage();
  EXPECT_NE(m.find("HTTP/1.1 403"), std::string::npos) << m;
  ASSERT_TRUE(c.send(reqmod(head, "Allow: 204\r\nX-Client-IP: 10.1.3.4\r\n")));
  EXPECT_EQ(statusLine(c.readMessage()), "ICAP/1.0 204 No Content");
}

TEST_F(IcapServerTest, RewriteReturnsTheEditedHeadAndAPreviewedBodyAfter100Continue) {
  start();
  IcapConnection c(icap_);
  std::string head = get("http://www.rewrite.example/a?b=c", "www.rewrite.example");
  ASSERT_TRUE(c.send(reqmod(head, "Allow: 204\r\n")));
  std::string m = c.readMessage();
  EXPECT_EQ(statusLine(m), "ICAP/1.0 200 OK") << m;
  EXPECT_NE(m.find("\r\n\r\nGET http://www.rewrite.example/a?b=c HTTP/1.1\r\n"), std::string::npos)
      << m;
  EXPECT_NE(m.find("\r\nX-Judged: by-exaproxy\r\n"), std::string::npos) << m;

  // An upload: only a preview of 0 bytes comes first; the rewrite needs the body back, so the
  // server asks for the rest and returns it whole.
  std::string post = "POST http://www.rewrite.example/up HTTP/1.1\r\nHost: www.rewrite.example\r\n"
                     "Content-Length: 11\r\n\r\n";
  std::string none = "0\r\n\r\n";
  ASSERT_TRUE(c.send(reqmod(post, "Allow: 204\r\nPreview: 0\r\n", &none)));
  m = c.readMessage();
  EXPECT_EQ(m, "ICAP/1.0 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.send("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  m = c.readMessage();
  EXPECT_EQ(statusLine(m), "ICAP/1.0 200 OK") << m;
  EXPECT_NE(m.find("Encapsulated: req-hdr=0, req-body="), std::string::npos) << m;
  EXPECT_NE(m.find("\r\nX-Judged: by-exaproxy\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\r\n\r\nb\r\nhello world\r\n0\r\n\r\n"), std::string::npos) << m;

  // An upload the chain leaves alone: 204 after the preview, the rest never asked for.
  std::string other = "POST http://ok.example/up HTTP/1.1\r\nHost: ok.example\r\n"
                      "Content-Length: 11\r\n\r\n";
  ASSERT_TRUE(c.send(reqmod(other, "Preview: 0\r\n", &none)));
  EXPECT_EQ(statusLine(c.readMessage()), "ICAP/1.0 204 No Content");
}

TEST_F(IcapServerTest, PluginFailureFailsClosed) {
  start("", {}, /*throwing=*/true);
  IcapConnection c(icap_);
  ASSERT_TRUE(c.send(reqmod(get("http://ok.example/", "ok.example"), "Allow: 204\r\n")));
  std::string m = c.readMessage();
  EXPECT_EQ(statusLine(m), "ICAP/1.0 200 OK") << m;
  EXPECT_NE(m.find("\r\n\r\nHTTP/1.1 503 "), std::string::npos) << "never a 204: " << m;
}

TEST_F(IcapServerTest, MalformedRequestsAreRefusedAndTheConnectionClosed) {
  start();
  struct Case {
    std::string bytes;
    std::string status;
  } cases[] = {
      {"REQMOD icap://x/ ICAP/1.0\r\nEncapsulated: req-hdr=0, null-body=999999999999999\r\n\r\n",
       "ICAP/1.0 400 Bad Request"},
      // Valid offsets, but heads far larger than any head the proxy reads: refused at once.
      {"REQMOD icap://x/ ICAP/1.0\r\nEncapsulated: req-hdr=0, null-body=1000000\r\n\r\n",
       "ICAP/1.0 400 Bad Request"},
      {"REQMOD icap://x/ ICAP/1.0\nEncapsulated: null-body=0\r\n\r\n", "ICAP/1.0 400 Bad Request"},
      {reqmod("GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\nContent-Length: 1\r\n"
              "Transfer-Encoding: chunked\r\n\r\n",
              ""),
       "ICAP/1.0 400 Bad Request"},
      {"RESPMOD icap://x/ ICAP/1.0\r\nEncapsulated: null-body=0\r\n\r\n",
       "ICAP/1.0 405 Method Not Allowed For Service"},
      {"BREW icap://x/ ICAP/1.0\r\n\r\n", "ICAP/1.0 501 Method Not Implemented"},
  };
  for (const auto& k : cases) {
    IcapConnection c(icap_);
    ASSERT_TRUE(c.send(k.bytes));
    std::string m = c.readMessage();
    EXPECT_EQ(statusLine(m), k.status) << k.bytes;
    EXPECT_TRUE(c.closedWithin(Millis(3000))) << k.bytes;
  }
  std::string big(2 << 20, 'x');
  std::string chunked = "200000\r\n" + big.substr(0, 0x200000) + "\r\n0\r\n\r\n";
  IcapConnection c(icap_);
  ASSERT_TRUE(c.send(reqmod("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\n"
                            "Content-Length: 2097152\r\n\r\n",
                            "", &chunked)));
  EXPECT_EQ(statusLine(c.readMessage()), "ICAP/1.0 413 Request Entity Too Large");
  EXPECT_NE(log().find("icap.error"), std::string::npos);
}

TEST_F(IcapServerTest, ClientOutsideAllowClientsIsClosedUnanswered) {
  start("", {"icap_server.allow_clients=10.0.0.0/8"});
  IcapConnection c(icap_);
  ASSERT_TRUE(c.ok());
  c.send("OPTIONS icap://127.0.0.1/reqmod ICAP/1.0\r\n\r\n");
  EXPECT_EQ(c.readMessage(Millis(3000)), "");
  EXPECT_TRUE(c.closedWithin(Millis(3000)));
  EXPECT_NE(log().find("icap.refused client=127.0.0.1"), std::string::npos) << log();
}

TEST_F(IcapServerTest, ProxyClientsCannotReachTheIcapPort) {
  start();
  auto r = runCurl({"-s", "-x", proxy_->proxyArg(), "http://" + icap_.str() + "/"});
  EXPECT_EQ(r.status, 403) << r.out;
}

TEST_F(IcapServerTest, RespmodServiceRunsTheResponseAndBodyHooks) {
  start("[acl_rule bad]\ndomains = bad.example\naction = deny\n", {}, false,
        "mode = replace\nfrom = secret\nto = [removed]\n");
  IcapConnection c(icap_);
  ASSERT_TRUE(c.send("OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
  std::string m = c.readMessage();
  EXPECT_NE(m.find("\r\nMethods: RESPMOD\r\n"), std::string::npos) << m;

  // body17 reads the body: 100 Continue after the preview, then the edited body, re-framed.
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 23\r\n\r\n";
  ASSERT_TRUE(c.send(respmod("http://ok.example/doc", "ok.example", head)));
  EXPECT_EQ(c.readMessage(), "ICAP/1.0 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.send("17\r\nthe secret is out: yes\n\r\n0\r\n\r\n"));
  m = c.readMessage();
  EXPECT_EQ(statusLine(m), "ICAP/1.0 200 OK") << m;
  EXPECT_NE(m.find("Encapsulated: res-hdr=0, res-body="), std::string::npos) << m;
  EXPECT_NE(m.find("\r\nContent-Length: 26\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\r\n1a\r\nthe [removed] is out: yes\n\r\n0\r\n\r\n"), std::string::npos) << m;

  // Nobody reads this one ("nobody" in the path): 204 on the preview, the body never asked for.
  ASSERT_TRUE(c.send(respmod("http://ok.example/nobody", "ok.example", head)));
  EXPECT_EQ(statusLine(c.readMessage()), "ICAP/1.0 204 No Content");
  // A request the acl denies: its page replaces the response.
  ASSERT_TRUE(c.send(respmod("http://www.bad.example/", "www.bad.example", head)));
  m = c.readMessage();
  EXPECT_NE(m.find("\r\n\r\nHTTP/1.1 403 Forbidden\r\n"), std::string::npos) << m;
  // A response without a body still goes through the body hooks (an empty body).
  ASSERT_TRUE(c.send(respmod("http://ok.example/empty", "ok.example",
                             "HTTP/1.1 204 No Content\r\n\r\n", /*nullBody=*/true)));
  EXPECT_EQ(statusLine(c.readMessage()), "ICAP/1.0 204 No Content");
  // The wrong method for the service's URI.
  IcapConnection d(icap_);
  std::string wrong = reqmod(get("http://ok.example/", "ok.example"), "");
  wrong.replace(wrong.find("/reqmod ICAP"), 7, "/respmod");
  ASSERT_TRUE(d.send(wrong));
  EXPECT_EQ(statusLine(d.readMessage()), "ICAP/1.0 405 Method Not Allowed For Service");
}

TEST_F(IcapServerTest, RespmodBlockOnTheBodyAndAPendingBodyVerdict) {
  start("", {}, false, "mode = block\nfrom = malware\n");
  IcapConnection c(icap_);
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n";
  ASSERT_TRUE(c.send(respmod("http://ok.example/f", "ok.example", head)));
  EXPECT_EQ(c.readMessage(), "ICAP/1.0 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.send("14\r\nthis is malware!!!!!\r\n0\r\n\r\n"));
  std::string m = c.readMessage();
  EXPECT_NE(m.find("\r\n\r\nHTTP/1.1 403 Forbidden\r\n"), std::string::npos) << m;
  EXPECT_EQ(m.find("malware!!"), std::string::npos) << m;
  ASSERT_TRUE(c.send(respmod("http://ok.example/g", "ok.example", head)));
  EXPECT_EQ(c.readMessage(), "ICAP/1.0 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.send("14\r\nthis is fine!!!!!!!!\r\n0\r\n\r\n"));
  EXPECT_EQ(statusLine(c.readMessage()), "ICAP/1.0 204 No Content") << "read, left as it was";

  proxy_.reset();
  // A plugin that wants the body decoded, a gzip response: its on_error (deny), never a pass.
  start("", {}, false, "mode = replace\nfrom = a\nto = b\ndecoded = on\n");
  IcapConnection z(icap_);
  ASSERT_TRUE(z.send(respmod("http://ok.example/z", "ok.example",
                             "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                             "Content-Length: 3\r\n\r\n")));
  std::string g = z.readMessage();
  EXPECT_NE(g.find("\r\n\r\nHTTP/1.1 503 "), std::string::npos) << g;

  proxy_.reset();
  start("", {}, false, "mode = pending\nfrom = cat\nto = dog\n");
  IcapConnection p(icap_);
  ASSERT_TRUE(p.send(respmod("http://ok.example/p", "ok.example",
                             "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n")));
  EXPECT_EQ(p.readMessage(), "ICAP/1.0 100 Continue\r\n\r\n");
  ASSERT_TRUE(p.send("7\r\na cat.\n\r\n0\r\n\r\n"));
  std::string q = p.readMessage();
  EXPECT_NE(q.find("\r\n7\r\na dog.\n\r\n0\r\n\r\n"), std::string::npos) << q;
}

// Debian's Squid 5.7 with icap_enable and our REQMOD service: the decisions are the chain's.
class SquidWithIcapServer : public IcapServerTest {
protected:
  void SetUp() override {
    if (::access("/usr/sbin/squid", X_OK) != 0)
      GTEST_SKIP() << "squid is not installed";
    ASSERT_TRUE(origin_.ok());
    origin_.setHandler([](itest::Exchange& ex) {
      std::string judged = ex.request().headers.get("X-Judged").value_or("-");
      ex.respond(200, "origin saw " + ex.request().target + " judged=" + judged + " secret\n",
                 {{"Content-Type", "text/plain"}});
    });
  }
  void TearDown() override {
    if (squid_ > 0)
      stopProcess(squid_, SIGTERM, Millis(10000));
    if (!dir_.empty())
      removeTree(dir_);
  }
  void startSquid(bool respmod = false) {
    dir_ = makeTempDir("exaproxy-squid-icap-");
    ::chmod(dir_.c_str(), 0777); // Squid drops to its own user
    squidPort_ = closedPort();
    std::string conf =
        "http_port 127.0.0.1:" + std::to_string(squidPort_) +
        "\nvisible_hostname squid-under-test\npinger_enable off\nicp_port 0\nhtcp_port 0\n"
        "dns_nameservers 127.0.0.1\ncache deny all\ncache_mem 0 MB\nworkers 1\n"
        "acl test_clients src 127.0.0.1/32\nhttp_access allow test_clients\n"
        "http_access deny all\npid_filename " +
        dir_ + "/squid.pid\naccess_log stdio:" + dir_ + "/access.log\ncache_log " + dir_ +
        "/cache.log\ncache_store_log none\ncoredump_dir " + dir_ +
        "\nshutdown_lifetime 1 seconds\n"
        "icap_enable on\nicap_send_client_ip on\nicap_preview_enable on\n"
        "icap_service exaproxy reqmod_precache icap://" +
        icap_.str() + "/reqmod bypass=off\nadaptation_access exaproxy allow all\n" +
        (respmod ? "icap_service exaresp respmod_precache icap://" + icap_.str() +
                       "/respmod bypass=off\nadaptation_access exaresp allow all\n"
                 : "");
    ASSERT_TRUE(writeFile(dir_ + "/squid.conf", conf));
    squid_ = spawnProcess({"/usr/sbin/squid", "-N", "-f", dir_ + "/squid.conf", "-n",
                           "exaicap" + std::to_string(squidPort_)},
                          dir_ + "/squid.out", dir_ + "/squid.out");
    ASSERT_GT(squid_, 0);
    ASSERT_TRUE(waitFor(
        [&] {
          int fd = connectTo(Endpoint{"127.0.0.1", squidPort_}, Millis(200));
          if (fd >= 0)
            ::close(fd);
          return fd >= 0;
        },
        Millis(20000)))
        << readFile(dir_ + "/squid.out") << readFile(dir_ + "/cache.log");
  }
  CurlResult viaSquid(const std::string& url) {
    return runCurl({"-s", "-x", "127.0.0.1:" + std::to_string(squidPort_), url});
  }

  OriginServer origin_;
  std::string dir_;
  pid_t squid_ = -1;
  uint16_t squidPort_ = 0;
};

TEST_F(SquidWithIcapServer, SquidDeniesWhatTheAclPluginDeniesAndPassesTheRest) {
  start("[acl_rule no-forbidden]\nurl_regex = /forbidden\naction = deny\n"
        "reason = Refused by the exaproxy chain.\n");
  startSquid();
  auto ok = viaSquid(origin_.url("/fine"));
  EXPECT_EQ(ok.status, 200) << ok.out << readFile(dir_ + "/cache.log");
  EXPECT_NE(ok.out.find("origin saw "), std::string::npos) << ok.out;
  // The headers plugin's rewrite for 127.0.0.1 reached the origin through Squid.
  EXPECT_NE(ok.out.find("judged=by-exaproxy"), std::string::npos) << ok.out;

  size_t before = origin_.requestCount();
  auto denied = viaSquid(origin_.url("/forbidden/page"));
  EXPECT_EQ(denied.status, 403) << denied.out;
  EXPECT_NE(denied.out.find("Refused by the exaproxy chain."), std::string::npos) << denied.out;
  EXPECT_EQ(origin_.requestCount(), before) << "the origin never saw the denied request";
}

TEST_F(SquidWithIcapServer, RespmodEditsTheResponseBodyThroughSquid) {
  start("[acl_rule no-forbidden]\nurl_regex = /forbidden\naction = deny\n", {}, false,
        "mode = replace\nfrom = secret\nto = [removed by exaproxy]\n");
  startSquid(/*respmod=*/true);
  auto r = viaSquid(origin_.url("/page"));
  EXPECT_EQ(r.status, 200) << r.out << readFile(dir_ + "/cache.log");
  EXPECT_NE(r.out.find("origin saw /page judged=by-exaproxy [removed by exaproxy]\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("secret"), std::string::npos) << r.out;
  auto nobody = viaSquid(origin_.url("/nobody"));
  EXPECT_NE(nobody.out.find(" secret\n"), std::string::npos) << "not read, not changed";
  EXPECT_EQ(viaSquid(origin_.url("/forbidden")).status, 403);
}

} // namespace
