// The ICAP client (icap.so) through the real binary, against a small REQMOD service written for
// the test (icap_test_server.py, started and stopped by PID): OPTIONS asked once and the
// connection kept; 204 passes the request; a block page from the service reaches the client and
// nothing the origin; a modified request head (URL, fields) and a modified upload body reach the
// origin; a service that is slow, answers garbage or is gone is bypassed or refuses the request
// (503) as configured, and failure_limit suspends it; the rules send only what they name. And
// against Debian's c-icap: its echo service passes requests, uploads and responses unchanged,
// its url_check service (libc-icap-mod-urlcheck, a squidGuard-format database) blocks with its
// page.
#include "itest.h"

#include <atomic>
#include <filesystem>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#ifndef ICAP_PLUGIN
#error "ICAP_PLUGIN must name icap.so"
#endif
#ifndef ICAP_TEST_SERVER
#error "ICAP_TEST_SERVER must name icap_test_server.py"
#endif

using namespace itest;

namespace {

class IcapClient : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(origin_.ok());
    // Every request: its target and its fields back, one a line.
    origin_.setHandler([](Exchange& ex) {
      std::string text = "target=" + ex.request().target + "\n";
      for (const auto& h : ex.request().headers.list)
        text += h.name + ": " + h.value + "\n";
      text += "body=" + ex.request().body + "\n";
      if (ex.request().target.find("/big") != std::string::npos)
        text.append(2000000, 'x'); // longer than any piece: streamed in many
      ex.respond(200, text, {{"Content-Type", "text/plain"}});
    });
    dir_ = makeTempDir("exaproxy-icap-");
    startService();
  }
  void TearDown() override {
    proxy_.reset();
    stopService();
    removeTree(dir_);
  }

  // `preview`: the Preview its OPTIONS announce ("" = none).
  void startService(const std::string& preview = "") {
    std::filesystem::remove(dir_ + "/port");
    std::vector<std::string> argv{"/usr/bin/python3", ICAP_TEST_SERVER, dir_ + "/port",
                                  dir_ + "/log"};
    if (!preview.empty())
      argv.push_back(preview);
    service_ = spawnProcess(argv, dir_ + "/service.out", dir_ + "/service.out");
    ASSERT_GT(service_, 0);
    ASSERT_TRUE(waitFor([&] { return fileExists(dir_ + "/port"); }, Millis(10000)))
        << readFile(dir_ + "/service.out");
    port_ = readFile(dir_ + "/port");
  }
  void stopService() {
    if (service_ > 0)
      stopProcess(service_, SIGTERM, Millis(5000));
    service_ = -1;
  }

  void start(const std::vector<std::string>& service, const std::string& global = "") {
    std::string conf = std::string("[plugin]\npath = ") + ICAP_PLUGIN + "\n\n[icap]\n" + global +
                       "\n[icap test]\nuri = icap://127.0.0.1:" + port_ + "/reqmod\n";
    for (const auto& s : service)
      conf += s + "\n";
    ProxyOptions o;
    o.extraFiles = {{"40-icap.conf", conf}};
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
  }
  std::string log() const { return proxy_->stderrText() + proxy_->stdoutText(); }
  // The service's log lines.
  std::vector<std::string> serviceLog() const {
    std::vector<std::string> lines;
    std::istringstream in(readFile(dir_ + "/log"));
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
    return lines;
  }
  size_t serviceCount(const std::string& needle) const {
    size_t n = 0;
    for (const auto& l : serviceLog())
      n += l.find(needle) != std::string::npos;
    return n;
  }

  std::optional<HttpResponse> get(const std::string& path,
                                  const std::vector<std::string>& extra = {}) {
    RawClient c(proxy_->endpoint());
    if (!c.send(absoluteGet(origin_, path, extra)))
      return std::nullopt;
    return c.readFinalResponse(Millis(15000));
  }
  std::optional<HttpResponse> post(const std::string& path, const std::string& body) {
    RawClient c(proxy_->endpoint());
    if (!c.send(
            absoluteGet(origin_, path, {"Content-Length: " + std::to_string(body.size())}, "POST") +
            body))
      return std::nullopt;
    return c.readFinalResponse(Millis(15000));
  }

  OriginServer origin_;
  std::unique_ptr<ProxyProcess> proxy_;
  std::string dir_, port_;
  pid_t service_ = -1;
};

TEST_F(IcapClient, A204PassesTheRequestAndTheConnectionIsKeptWithOneOptions) {
  start({"bypass = off"});
  for (int i = 0; i < 3; ++i) {
    auto r = get("/page" + std::to_string(i));
    ASSERT_TRUE(r) << log();
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("target=/page" + std::to_string(i)), std::string::npos) << r->body;
  }
  EXPECT_EQ(serviceCount("OPTIONS"), 1u) << "asked once (Options-TTL 60)";
  auto lines = serviceLog();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[1].find("REQMOD " + origin_.url("/page0") + " ip=127.0.0.1"), std::string::npos)
      << lines[1];
  // The three REQMODs came on the connection the OPTIONS used: persistent and pooled.
  std::string conn = lines[0] == "OPTIONS" ? lines[1].substr(lines[1].rfind("conn=")) : "";
  EXPECT_EQ(serviceCount(conn), 3u) << readFile(dir_ + "/log");
}

TEST_F(IcapClient, TheServicesBlockPageReachesTheClientAndNothingTheOrigin) {
  start({"bypass = off"});
  auto r = get("/blocked/page");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->body, "<h1>Blocked by the ICAP test service</h1>");
  EXPECT_EQ(r->headers.get("X-Icap-Page").value_or(""), "yes");
  EXPECT_EQ(origin_.requestCount(), 0u);
}

TEST_F(IcapClient, AModifiedRequestHeadReachesTheOrigin) {
  start({"bypass = off"});
  auto r = get("/rewrite/page", {"X-Remove-Me: 1", "X-Keep-Me: 2"});
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("target=/rewritten/page"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("X-Icap: rewritten"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("X-Keep-Me: 2"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("X-Remove-Me"), std::string::npos) << r->body;
}

TEST_F(IcapClient, AnUploadGoesWithItsBodyAndTheModifiedBodyReachesTheOrigin) {
  start({"bypass = off"});
  auto r = post("/rewrite/upload", "hello icap");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("body=HELLO ICAP\n"), std::string::npos) << r->body;
  EXPECT_EQ(serviceCount("body=10 "), 1u) << readFile(dir_ + "/log");

  auto blocked = post("/blocked/upload", "secret");
  ASSERT_TRUE(blocked) << log();
  EXPECT_EQ(blocked->status, 403);
  EXPECT_EQ(origin_.requestCount(), 1u) << "only the first upload reached the origin";
}

TEST_F(IcapClient, AFailingServiceRefusesTheRequestUnlessBypassIsOn) {
  start({"bypass = off"}, "timeout = 1s\n");
  auto garbage = get("/garbage");
  ASSERT_TRUE(garbage) << log();
  EXPECT_EQ(garbage->status, 503);
  EXPECT_TRUE(
      waitFor([&] { return log().find("invalid ICAP answer") != std::string::npos; }, Millis(5000)))
      << log();
  auto slow = get("/slow");
  ASSERT_TRUE(slow) << log();
  EXPECT_EQ(slow->status, 503) << "the 3 s answer is past the 1 s timeout";
  auto closed = get("/close");
  ASSERT_TRUE(closed) << log();
  EXPECT_EQ(closed->status, 503);
  EXPECT_EQ(origin_.requestCount(), 0u);
  proxy_.reset();

  start({"bypass = on"}, "timeout = 1s\n");
  auto passed = get("/garbage");
  ASSERT_TRUE(passed) << log();
  EXPECT_EQ(passed->status, 200) << "bypass = on: the origin answers";
}

TEST_F(IcapClient, AServiceThatIsGoneIsBypassedOrRefused) {
  stopService();
  start({"bypass = off"});
  auto refused = get("/page");
  ASSERT_TRUE(refused) << log();
  EXPECT_EQ(refused->status, 503);
  EXPECT_NE(refused->body.find("unavailable"), std::string::npos) << refused->body;
  proxy_.reset();
  start({"bypass = on"});
  auto passed = get("/page");
  ASSERT_TRUE(passed) << log();
  EXPECT_EQ(passed->status, 200);
}

TEST_F(IcapClient, FailureLimitSuspendsTheService) {
  start({"bypass = off", "failure_limit = 2", "revival_delay = 60s"});
  EXPECT_EQ(get("/garbage/1")->status, 503);
  EXPECT_EQ(get("/garbage/2")->status, 503);
  auto r = get("/fine");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 503) << "suspended: not even asked";
  EXPECT_EQ(serviceCount("/fine"), 0u);
  EXPECT_TRUE(waitFor([&] { return log().find("suspended") != std::string::npos; }, Millis(5000)))
      << log();
}

TEST_F(IcapClient, RulesSendOnlyWhatTheyName) {
  start({"bypass = off", "methods = POST"});
  auto r = get("/blocked/but-a-get");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200) << "a GET is not this service's";
  EXPECT_EQ(serviceCount("REQMOD"), 0u);
  auto p = post("/blocked/a-post", "x");
  ASSERT_TRUE(p) << log();
  EXPECT_EQ(p->status, 403);
}

TEST_F(IcapClient, RespmodReplacesTheResponseOrItsBody) {
  start({"method = respmod", "bypass = off"});
  auto virus = get("/virus/file.exe");
  ASSERT_TRUE(virus) << log();
  EXPECT_EQ(virus->status, 403);
  EXPECT_EQ(virus->body, "<h1>A virus was found</h1>");
  auto upper = get("/upper/page");
  ASSERT_TRUE(upper) << log();
  EXPECT_EQ(upper->status, 200);
  EXPECT_NE(upper->body.find("TARGET=/UPPER/PAGE"), std::string::npos) << upper->body;
  EXPECT_EQ(upper->headers.get("Content-Type").value_or(""), "text/plain");
  auto plain = get("/plain");
  ASSERT_TRUE(plain) << log();
  EXPECT_EQ(plain->status, 200);
  EXPECT_NE(plain->body.find("target=/plain"), std::string::npos) << plain->body;
  EXPECT_EQ(serviceCount("RESPMOD"), 3u) << readFile(dir_ + "/log");
  EXPECT_EQ(serviceCount("RESPMOD " + origin_.url("/upper/page") + " status=200"), 1u);
  EXPECT_EQ(serviceCount("REQMOD"), 0u);
}

TEST_F(IcapClient, APreviewDecidesAloneOrTheRestFollows100Continue) {
  stopService();
  startService("10");
  start({"bypass = off"});
  // 204 after the preview: the service saw 10 bytes, the origin gets all of them.
  std::string big = patternBytes(0, 100000);
  auto r = post("/upload", big);
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(origin_.requests().size(), 1u);
  EXPECT_TRUE(origin_.requests()[0].body == big) << "the upload reached the origin whole";
  EXPECT_EQ(
      serviceCount("REQMOD " + origin_.url("/upload") + " body=10 preview=10 ieof=no continued=no"),
      1u)
      << readFile(dir_ + "/log");
  // A rewrite needs the body: 100 Continue, the rest, the modified body to the origin.
  auto w = post("/rewrite/upload", "hello icap, more than ten bytes");
  ASSERT_TRUE(w) << log();
  EXPECT_NE(w->body.find("body=HELLO ICAP, MORE THAN TEN BYTES\n"), std::string::npos) << w->body;
  EXPECT_EQ(serviceCount("body=31 preview=10 ieof=no continued=yes"), 1u)
      << readFile(dir_ + "/log");
  // A body that fits the preview goes with ieof: nothing more is asked.
  auto small = post("/rewrite/small", "tiny");
  ASSERT_TRUE(small) << log();
  EXPECT_NE(small->body.find("body=TINY\n"), std::string::npos) << small->body;
  EXPECT_EQ(serviceCount("body=4 preview=4 ieof=yes continued=no"), 1u) << readFile(dir_ + "/log");
  // Transfer-Complete: zip: sent whole, without a preview.
  auto zip = post("/files/archive.ZIP?x=1", "0123456789abcdef");
  ASSERT_TRUE(zip) << log();
  EXPECT_EQ(serviceCount("body=16 preview=- ieof=no continued=no"), 1u) << readFile(dir_ + "/log");
  EXPECT_EQ(serviceCount("OPTIONS"), 1u);
}

TEST_F(IcapClient, PreviewOffSendsWholeBodiesAndRespmodPreviewsToo) {
  stopService();
  startService("10");
  start({"method = respmod", "bypass = off", "preview = off"});
  auto whole = get("/plain/whole");
  ASSERT_TRUE(whole) << log();
  EXPECT_EQ(whole->status, 200);
  EXPECT_EQ(serviceCount("preview=- ieof=no continued=no"), 1u) << readFile(dir_ + "/log");
  proxy_.reset();
  start({"method = respmod", "bypass = off"});
  auto plain = get("/plain/previewed");
  ASSERT_TRUE(plain) << log();
  EXPECT_EQ(plain->status, 200);
  EXPECT_NE(plain->body.find("target=/plain/previewed"), std::string::npos) << plain->body;
  EXPECT_EQ(serviceCount("RESPMOD " + origin_.url("/plain/previewed") +
                         " body=10 preview=10 ieof=no continued=no"),
            1u)
      << readFile(dir_ + "/log");
  auto upper = get("/upper/previewed");
  ASSERT_TRUE(upper) << log();
  EXPECT_NE(upper->body.find("TARGET=/UPPER/PREVIEWED"), std::string::npos) << upper->body;
  EXPECT_TRUE(waitFor([&] { return serviceCount("continued=yes") == 1; }, Millis(3000)))
      << readFile(dir_ + "/log");
}

// hold_max = 0: every body streams through the service. With a preview, the answers are those
// of whole bodies: a block page, a body rewritten (2 MB of it in many pieces), a 204 on the
// preview that passes the response; and a service that dies after the body went to it without a
// copy is not bypassed (the client would get a truncated body): 503, said in the log.
TEST_F(IcapClient, StreamedResponsesGetTheSameAnswersAndACutOneIsNotBypassed) {
  stopService();
  startService("5");
  start({"method = respmod", "bypass = on"}, "hold_max = 0\n");
  auto virus = get("/virus/file.exe");
  ASSERT_TRUE(virus) << log();
  EXPECT_EQ(virus->status, 403);
  EXPECT_EQ(virus->body, "<h1>A virus was found</h1>");
  auto upper = get("/upper/big");
  ASSERT_TRUE(upper) << log();
  EXPECT_EQ(upper->status, 200);
  EXPECT_EQ(upper->headers.get("Content-Type").value_or(""), "text/plain");
  ASSERT_GT(upper->body.size(), 2000000u);
  EXPECT_NE(upper->body.find("TARGET=/UPPER/BIG"), std::string::npos) << upper->body.substr(0, 200);
  EXPECT_EQ(upper->body.find('x'), std::string::npos) << "a piece was not rewritten";
  EXPECT_EQ(upper->body.substr(upper->body.size() - 10), std::string(10, 'X'));
  auto plain = get("/plain");
  ASSERT_TRUE(plain) << log();
  EXPECT_EQ(plain->status, 200);
  EXPECT_NE(plain->body.find("target=/plain"), std::string::npos) << plain->body;
  EXPECT_EQ(serviceCount("RESPMOD " + origin_.url("/plain") + " body=5 preview=5"), 1u)
      << readFile(dir_ + "/log");
  EXPECT_EQ(serviceCount("continued=yes"), 2u) << readFile(dir_ + "/log");

  auto cut = get("/cut/big");
  ASSERT_TRUE(cut) << log();
  EXPECT_EQ(cut->status, 503);
  EXPECT_TRUE(
      waitFor([&] { return log().find("not bypassed") != std::string::npos; }, Millis(5000)))
      << log();
}

// An upload of unknown length (chunked) streams to a REQMOD service, which sends it back
// rewritten: the origin gets the new body.
TEST_F(IcapClient, AChunkedUploadStreamsAndItsRewrittenBodyReachesTheOrigin) {
  start({"method = reqmod", "bypass = off"});
  std::string body(300000, 'q');
  std::string chunked;
  for (size_t at = 0; at < body.size(); at += 65536) {
    std::string piece = body.substr(at, 65536);
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    chunked += size + piece + "\r\n";
  }
  chunked += "0\r\n\r\n";
  RawClient c(proxy_->endpoint());
  ASSERT_TRUE(c.send(absoluteGet(origin_, "/rewrite/up", {"Transfer-Encoding: chunked"}, "POST") +
                     chunked));
  auto r = c.readFinalResponse(Millis(15000));
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  auto got = origin_.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bodySize, body.size());
  EXPECT_EQ(got[0].body.substr(0, 10), std::string(10, 'Q')) << "the service's body went on";
  EXPECT_EQ(serviceCount("body=300000"), 1u) << readFile(dir_ + "/log") << log();
}

// A RESPMOD service is chosen on the response: its content_types and max_size see the origin's
// Content-Type (text/plain here) and Content-Length.
TEST_F(IcapClient, ResponsesGoByTheirContentTypeAndSize) {
  start({"method = respmod", "content_types = text/html image/*"});
  auto html = get("/virus/page");
  ASSERT_TRUE(html) << log();
  EXPECT_EQ(html->status, 200) << "text/plain is not listed: not sent";
  start({"method = respmod", "content_types = text/*", "max_size = 100000"});
  auto big = get("/virus/big");
  ASSERT_TRUE(big) << log();
  EXPECT_EQ(big->status, 200) << "2 MB announced: longer than max_size, not sent";
  EXPECT_EQ(serviceCount("RESPMOD"), 0u) << readFile(dir_ + "/log");
  auto text = get("/virus/page");
  ASSERT_TRUE(text) << log();
  EXPECT_EQ(text->status, 403) << "text/plain matches text/*";
  EXPECT_EQ(serviceCount("RESPMOD"), 1u) << readFile(dir_ + "/log");
}

TEST_F(IcapClient, ARespmodServiceThatIsGoneRefusesTheResponse) {
  stopService();
  start({"method = respmod", "bypass = off"});
  auto r = get("/page");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 503) << "the origin's response is not passed unfiltered";
  EXPECT_EQ(r->body.find("target=/page"), std::string::npos);
}

TEST_F(IcapClient, ABadServiceSectionIsRefusedWithItsFileAndLine) {
  std::string conf = std::string("[plugin]\npath = ") + ICAP_PLUGIN +
                     "\n\n[icap test]\nuri = http://127.0.0.1:1344/x\n";
  ProxyOptions o;
  o.extraFiles = {{"40-icap.conf", conf}};
  ProxyProcess p(o);
  EXPECT_FALSE(p.start(Millis(5000)));
  std::string err = p.stderrText() + p.stdoutText();
  EXPECT_NE(err.find("40-icap.conf:5"), std::string::npos) << err;
  EXPECT_NE(err.find("icap://"), std::string::npos) << err;
}

// A free loopback port: bound to port 0 and released (c-icap needs a number in its file).
uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class IcapWithCIcap : public ::testing::Test {
protected:
  void SetUp() override {
    if (!fileExists("/usr/bin/c-icap"))
      GTEST_SKIP() << "c-icap is not installed (installers/bootstrap-deps.sh test)";
    ASSERT_TRUE(origin_.ok());
    dir_ = makeTempDir("exaproxy-cicap-");
    port_ = std::to_string(freePort());
    std::string conf = "PidFile " + dir_ + "/c-icap.pid\nCommandsSocket " + dir_ +
                       "/c-icap.ctl\nTimeout 30\nStartServers 1\nMaxServers 1\n"
                       "MinSpareThreads 2\nMaxSpareThreads 4\nThreadsPerChild 4\n"
                       "Port 127.0.0.1:" +
                       port_ + "\nTmpDir " + dir_ +
                       "\nModulesDir /usr/lib/x86_64-linux-gnu/c_icap\n"
                       "ServicesDir /usr/lib/x86_64-linux-gnu/c_icap\nServerLog " +
                       dir_ + "/server.log\nAccessLog " + dir_ +
                       "/access.log\nService echo srv_echo.so\n";
    // url_check (libc-icap-mod-urlcheck) with a squidGuard-format database the test builds.
    haveUrlCheck_ = fileExists(kUrlCheck) && fileExists("/usr/bin/c-icap-mods-sguardDB");
    if (haveUrlCheck_) {
      std::string db = dir_ + "/blocklist";
      ASSERT_EQ(::mkdir(db.c_str(), 0755), 0);
      ASSERT_TRUE(writeFile(db + "/domains", "blocked.example\n"));
      ASSERT_TRUE(writeFile(db + "/urls", "listed.example/bad/page\n"));
      pid_t made = spawnProcess({"/usr/bin/c-icap-mods-sguardDB", "-C", "-db", db + "/"},
                                dir_ + "/sguard.out", dir_ + "/sguard.out");
      ASSERT_GT(made, 0);
      auto status = waitPidFor(made, Millis(20000));
      ASSERT_TRUE(status && exitCodeOf(*status) == 0 && fileExists(db + "/urls.db"))
          << readFile(dir_ + "/sguard.out");
      conf += "TemplateDir /usr/share/c_icap/templates/\nService url_check srv_url_check.so\n"
              "url_check.LoadSquidGuardDB blocklist " +
              db +
              "/\nurl_check.Profile default block blocklist\n"
              "url_check.Profile default pass ALL\n";
    }
    ASSERT_TRUE(writeFile(dir_ + "/c-icap.conf", conf));
    pid_ = spawnProcess({"/usr/bin/c-icap", "-N", "-f", dir_ + "/c-icap.conf"}, dir_ + "/out",
                        dir_ + "/out");
    ASSERT_GT(pid_, 0);
    ASSERT_TRUE(waitFor(
        [&] {
          RawClient probe;
          return probe.connect(Endpoint{"127.0.0.1", static_cast<uint16_t>(std::stoi(port_))},
                               Millis(200));
        },
        Millis(10000)))
        << readFile(dir_ + "/out");
  }
  void startProxy(const std::string& method, const std::string& service = "echo",
                  const std::string& more = "") {
    std::string plugin = std::string("[plugin]\npath = ") + ICAP_PLUGIN +
                         "\nbody_hold_max = 16m\n\n[icap " + service +
                         "]\nuri = icap://127.0.0.1:" + port_ + "/" + service +
                         "\nmethod = " + method + "\n" + more;
    ProxyOptions o;
    o.extraFiles = {{"40-icap.conf", plugin}};
    // url_check's test asks for names (blocked.example): were a block ever let through, the
    // lookup must reach nothing but a closed loopback port, never the machine's resolver.
    o.sets = {"dns.servers=127.0.0.1:" + std::to_string(closedPort()), "dns.hosts_file=no"};
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
  }
  void TearDown() override {
    proxy_.reset();
    if (pid_ > 0)
      stopProcess(pid_, SIGTERM, Millis(5000));
    if (!dir_.empty())
      removeTree(dir_);
  }
  size_t accessCount(const std::string& needle) const {
    std::istringstream in(readFile(dir_ + "/access.log"));
    size_t n = 0;
    for (std::string line; std::getline(in, line);)
      n += line.find(needle) != std::string::npos;
    return n;
  }

  static constexpr const char* kUrlCheck = "/usr/lib/x86_64-linux-gnu/c_icap/srv_url_check.so";
  OriginServer origin_;
  std::unique_ptr<ProxyProcess> proxy_;
  std::string dir_, port_;
  pid_t pid_ = -1;
  bool haveUrlCheck_ = false;
};

TEST_F(IcapWithCIcap, TheEchoServicePassesRequestsAndUploadsUnchanged) {
  startProxy("reqmod");
  auto r = runCurl({"-x", proxy_->proxyArg(), origin_.url("/")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.out, "origin-ok\n");

  std::string body = patternBytes(0, 100000);
  RawClient c(proxy_->endpoint());
  ASSERT_TRUE(c.send(absoluteGet(origin_, "/upload", {"Content-Length: 100000"}, "POST") + body));
  auto up = c.readFinalResponse(Millis(15000));
  ASSERT_TRUE(up) << proxy_->stderrText();
  EXPECT_EQ(up->status, 200);
  EXPECT_EQ(up->body, "received 100000\n");
  auto got = origin_.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].body, body) << "the upload reached the origin byte for byte";

  EXPECT_TRUE(waitFor([&] { return accessCount("REQMOD echo") == 2; }, Millis(5000)))
      << readFile(dir_ + "/access.log");
  EXPECT_EQ(accessCount("OPTIONS echo 200"), 1u) << readFile(dir_ + "/access.log");
}

// Through c-icap's echo with the preview its OPTIONS ask for (1,024 bytes, answered 100
// Continue), every body comes back byte for byte: one held and sent whole (100 kB, below
// hold_max), one streamed for its length (3 MB), one streamed for having none (chunked).
TEST_F(IcapWithCIcap, RespmodThroughTheEchoServiceKeepsTheBodyByteForByte) {
  startProxy("respmod");
  size_t n = 0;
  for (const auto& [path, size] : {std::pair<std::string, size_t>{"/bytes/100000", 100000},
                                   {"/bytes/3000000", 3000000},
                                   {"/chunked/3000000", 3000000}}) {
    auto r = runCurl({"-x", proxy_->proxyArg(), origin_.url(path)});
    ASSERT_EQ(r.exitCode, 0) << path << ": " << r.describe();
    EXPECT_EQ(r.status, 200);
    ASSERT_EQ(r.out.size(), size) << path;
    EXPECT_TRUE(r.out == patternBytes(0, size)) << path << ": the body came back changed";
    ++n;
    EXPECT_TRUE(waitFor([&] { return accessCount("RESPMOD echo") == n; }, Millis(5000)))
        << readFile(dir_ + "/access.log");
  }
}

// The sha256 of a file, as sha256sum prints it ("" when it cannot be run).
std::string sha256Of(const std::string& path) {
  std::string out;
  if (FILE* p = ::popen(("/usr/bin/sha256sum '" + path + "'").c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p))
      out += buf;
    ::pclose(p);
  }
  return out.substr(0, out.find(' '));
}

// 50 MB through c-icap's echo, which must send every byte back (preview off: no 204 can spare
// it): the body streams through the service piece by piece, so the client gets it byte for byte
// (the same sha256) while the proxy's RSS stays flat (plain build: sanitizers inflate memory).
TEST_F(IcapWithCIcap, FiftyMegabytesStreamThroughTheEchoServiceWithTheSameSha256AndFlatRss) {
  startProxy("respmod", "echo", "preview = off\n");
  auto warm = runCurl({"-x", proxy_->proxyArg(), "-o", "/dev/null", origin_.url("/bytes/100000")});
  ASSERT_EQ(warm.exitCode, 0) << warm.describe();
  std::this_thread::sleep_for(Millis(200));
  long idleKb = proxy_->rssKb();
  ASSERT_GT(idleKb, 0);

  constexpr uint64_t kSize = 50ull << 20;
  std::string got = dir_ + "/got.bin", want = dir_ + "/want.bin";
  std::atomic<bool> done{false};
  CurlResult r;
  std::thread client([&] {
    r = runCurl(
        {"-x", proxy_->proxyArg(), "-o", got, origin_.url("/bytes/" + std::to_string(kSize))}, 180);
    done = true;
  });
  long peakKb = idleKb;
  while (!done) {
    peakKb = std::max(peakKb, proxy_->rssKb());
    std::this_thread::sleep_for(Millis(20));
  }
  client.join();
  ASSERT_EQ(r.exitCode, 0) << r.describe() << proxy_->stderrText();
  EXPECT_EQ(r.status, 200);
  {
    FILE* f = std::fopen(want.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    for (uint64_t at = 0; at < kSize; at += 1 << 20) {
      std::string block = patternBytes(at, 1 << 20);
      ASSERT_EQ(std::fwrite(block.data(), 1, block.size(), f), block.size());
    }
    std::fclose(f);
  }
  std::string sum = sha256Of(want);
  ASSERT_EQ(sum.size(), 64u);
  EXPECT_EQ(sha256Of(got), sum) << "the body came back changed";
  EXPECT_TRUE(waitFor([&] { return accessCount("RESPMOD echo") == 2; }, Millis(5000)))
      << readFile(dir_ + "/access.log");
  if (!sanitizedBuild()) {
    EXPECT_LT(peakKb, idleKb + 32 * 1024) << "idle " << idleKb << " kB, peak " << peakKb << " kB";
  }
}

TEST_F(IcapWithCIcap, UrlCheckBlocksListedUrlsWithItsPageAndPassesTheRest) {
  if (!haveUrlCheck_)
    GTEST_SKIP() << "libc-icap-mod-urlcheck is not installed (installers/bootstrap-deps.sh test)";
  startProxy("reqmod", "url_check");
  // A listed domain and a listed URL: c-icap's own page, and the origin never asked.
  for (const std::string url : {"http://blocked.example/any", "http://listed.example/bad/page"}) {
    auto r = runCurl({"-x", proxy_->proxyArg(), url});
    ASSERT_EQ(r.exitCode, 0) << r.describe();
    EXPECT_EQ(r.status, 403) << url;
    EXPECT_NE(r.out.find("Access denied"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("blocklist"), std::string::npos) << r.out;
  }
  auto ok = runCurl({"-x", proxy_->proxyArg(), origin_.url("/")});
  ASSERT_EQ(ok.exitCode, 0) << ok.describe();
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.out, "origin-ok\n");
  EXPECT_EQ(origin_.requests().size(), 1u) << "only the allowed request reached the origin";
  EXPECT_TRUE(waitFor([&] { return accessCount("REQMOD url_check") == 3; }, Millis(5000)))
      << readFile(dir_ + "/access.log");
}

} // namespace
