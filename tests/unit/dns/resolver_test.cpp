// Resolver against a real dnsmasq started by the test on 127.0.0.1 (ephemeral port), plus tiny UDP
// responders run on the test's own EventLoop (SERVFAIL / REFUSED) and a socket that never answers
// (timeout). Each test runs the loop on its own thread until its callbacks arrive; a safety timer
// makes sure no test can hang.
#include "dns/resolver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

extern char** environ;

using namespace exaproxy;
using namespace exaproxy::dns;
using namespace std::chrono_literals;

namespace {

constexpr const char* kDnsmasq = "/usr/sbin/dnsmasq";

// A UDP socket on 127.0.0.1 with a kernel-chosen port.
int boundUdpSocket(uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return -1;
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  port = ntohs(sa.sin_port);
  return fd;
}

// A port free for both UDP and TCP right now (dnsmasq may still lose a race: the caller retries).
uint16_t pickFreePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    uint16_t port = 0;
    int u = boundUdpSocket(port);
    int t = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    bool ok = u >= 0 && t >= 0 && ::bind(t, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    ::close(u);
    ::close(t);
    if (ok)
      return port;
  }
  return 0;
}

// Builds a minimal DNS query for an A record (for the readiness probe).
std::string dnsQuery(const std::string& name, uint16_t id) {
  std::string q;
  auto put16 = [&](uint16_t v) {
    q.push_back(static_cast<char>(v >> 8));
    q.push_back(static_cast<char>(v & 0xff));
  };
  put16(id);
  put16(0x0100);
  put16(1);
  put16(0);
  put16(0);
  put16(0);
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos)
      dot = name.size();
    q.push_back(static_cast<char>(dot - start));
    q.append(name, start, dot - start);
    start = dot + 1;
  }
  q.push_back('\0');
  put16(1);
  put16(1);
  return q;
}

class Dnsmasq {
public:
  bool start(const std::filesystem::path& dir) {
    hostsFile_ = dir / "big.hosts";
    {
      std::ofstream hosts(hostsFile_);
      for (int i = 1; i <= 60; ++i)
        hosts << "10.0.0." << i << " big.example.test\n";
    }
    for (int attempt = 0; attempt < 10; ++attempt) {
      port_ = pickFreePort();
      if (port_ == 0)
        continue;
      if (spawn(dir) && waitReady())
        return true;
      stop();
    }
    return false;
  }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  uint16_t port() const { return port_; }
  Endpoint endpoint() const { return Endpoint{*IpAddress::parse("127.0.0.1"), port_}; }

private:
  bool spawn(const std::filesystem::path& dir) {
    std::vector<std::string> args = {
        kDnsmasq,
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--bind-interfaces",
        "--listen-address=127.0.0.1",
        "--port=" + std::to_string(port_),
        "--user=root",
        "--local=/example.test/",
        "--address=/a.example.test/127.0.0.2",
        "--host-record=v6.example.test,::1",
        "--host-record=both.example.test,127.0.0.3,::3",
        "--txt-record=txt.example.test,hello", // the name exists, without A/AAAA: NODATA
        "--local-ttl=1",
        "--addn-hosts=" + hostsFile_.string(),
        "--pid-file=" + (dir / "dnsmasq.pid").string(),
        "--log-facility=" + (dir / "dnsmasq.log").string(),
    };
    if (::geteuid() != 0)
      args.erase(args.begin() + 8); // --user only makes sense as root
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    std::string out = (dir / "dnsmasq.out").string();
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    int rc = posix_spawn(&pid_, kDnsmasq, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
      pid_ = -1;
    return rc == 0;
  }

  // Ready when it answers a query; gone (port taken) when it exited.
  bool waitReady() {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    timeval tv{0, 100000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port_);
    std::string q = dnsQuery("a.example.test", 0x4242);
    bool ready = false;
    for (int i = 0; i < 50 && !ready; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      ::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
      char buf[512];
      ready = ::recv(fd, buf, sizeof buf, 0) > 0;
    }
    ::close(fd);
    return ready;
  }

  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::filesystem::path hostsFile_;
};

// Answers every query with a fixed RCODE (header + question echoed, no records). Runs on the
// test's loop, so the whole test stays single-threaded.
class FixedRcodeServer {
public:
  FixedRcodeServer(net::EventLoop& loop, int rcode) : rcode_(rcode) {
    fd_ = boundUdpSocket(port_);
    watch_ = net::IoWatch(loop, fd_, EPOLLIN, [this](uint32_t) { onReadable(); });
  }
  ~FixedRcodeServer() {
    watch_.reset();
    ::close(fd_);
  }
  Endpoint endpoint() const { return Endpoint{*IpAddress::parse("127.0.0.1"), port_}; }
  int queries() const { return queries_; }

private:
  void onReadable() {
    unsigned char buf[1500];
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t n;
    while ((n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len)) >=
           12) {
      ++queries_;
      buf[2] = static_cast<unsigned char>(0x80 | (buf[2] & 0x79)); // QR, keep opcode and RD
      buf[3] = static_cast<unsigned char>(0x80 | rcode_);          // RA + RCODE
      std::memset(buf + 6, 0, 6);                                  // no AN/NS/AR records
      // Keep only the question: skip the name, then QTYPE + QCLASS.
      size_t pos = 12;
      while (pos < static_cast<size_t>(n) && buf[pos] != 0)
        pos += buf[pos] + 1u;
      size_t end = std::min(pos + 5, static_cast<size_t>(n));
      ::sendto(fd_, buf, end, 0, reinterpret_cast<sockaddr*>(&from), len);
      len = sizeof from;
    }
  }

  int rcode_;
  int fd_ = -1;
  uint16_t port_ = 0;
  int queries_ = 0;
  net::IoWatch watch_;
};

// A bound UDP socket nobody reads: queries to it time out.
class SilentServer {
public:
  SilentServer() { fd_ = boundUdpSocket(port_); }
  ~SilentServer() { ::close(fd_); }
  Endpoint endpoint() const { return Endpoint{*IpAddress::parse("127.0.0.1"), port_}; }

private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

class ResolverTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/exaproxy-dns-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    dnsmasq_ = new Dnsmasq;
    ASSERT_TRUE(dnsmasq_->start(dir_)) << "dnsmasq did not start; see " << dir_;
  }
  static void TearDownTestSuite() {
    if (dnsmasq_)
      dnsmasq_->stop();
    delete dnsmasq_;
    dnsmasq_ = nullptr;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void SetUp() override {
    if (!dnsmasq_ || dnsmasq_->port() == 0)
      GTEST_SKIP() << "no dnsmasq";
  }

  ResolverConfig dnsmasqConfig() const {
    ResolverConfig cfg;
    cfg.servers = {dnsmasq_->endpoint()};
    cfg.useHostsFile = false;
    cfg.timeout = 1000ms;
    cfg.tries = 2;
    return cfg;
  }

  // Runs the loop until stop() or the safety timeout.
  void runLoop(std::chrono::milliseconds safety = 5000ms) {
    net::Timer guard(loop_, [this] {
      timedOut_ = true;
      loop_.stop();
    });
    guard.arm(safety);
    loop_.run();
  }

  Answer resolveOnce(Resolver& r, std::string_view name) {
    std::optional<Answer> got;
    auto h = r.resolve(name, [&](const Answer& a) {
      got = a;
      loop_.stop();
    });
    runLoop();
    EXPECT_TRUE(got) << "no answer for " << name;
    return got.value_or(Answer{});
  }

  static std::vector<std::string> strings(const Answer& a) {
    std::vector<std::string> out;
    for (const auto& ip : a.addresses)
      out.push_back(ip.toString());
    return out;
  }

  static inline std::filesystem::path dir_;
  static inline Dnsmasq* dnsmasq_ = nullptr;
  net::EventLoop loop_;
  bool timedOut_ = false;
};

using Strings = std::vector<std::string>;

TEST_F(ResolverTest, ARecord) {
  Resolver r(loop_, dnsmasqConfig());
  auto a = resolveOnce(r, "a.example.test");
  EXPECT_EQ(a.status, DnsStatus::Ok) << a.message;
  EXPECT_EQ(strings(a), Strings{"127.0.0.2"});
  EXPECT_FALSE(a.fromCache);
  EXPECT_EQ(a.ttl, 1s); // --local-ttl=1
  EXPECT_EQ(r.stats().queries, 1u);
  EXPECT_EQ(r.stats().inflight, 0u);
  EXPECT_EQ(r.stats().cacheSize, 1u);
}

TEST_F(ResolverTest, AaaaOnlyName) {
  Resolver r(loop_, dnsmasqConfig());
  auto a = resolveOnce(r, "v6.example.test");
  EXPECT_EQ(a.status, DnsStatus::Ok) << a.message;
  EXPECT_EQ(strings(a), Strings{"::1"});
}

TEST_F(ResolverTest, BothFamiliesOrderedByPreference) {
  {
    Resolver r(loop_, dnsmasqConfig());
    auto a = resolveOnce(r, "both.example.test");
    EXPECT_EQ(a.status, DnsStatus::Ok) << a.message;
    EXPECT_EQ(strings(a), (Strings{"127.0.0.3", "::3"}));
  }
  auto cfg = dnsmasqConfig();
  cfg.preferIpv6 = true;
  Resolver r(loop_, cfg);
  auto a = resolveOnce(r, "BOTH.example.test."); // case and trailing dot do not matter
  EXPECT_EQ(a.status, DnsStatus::Ok) << a.message;
  EXPECT_EQ(strings(a), (Strings{"::3", "127.0.0.3"}));
}

TEST_F(ResolverTest, NxDomainAndNoDataAreToldApartAndCached) {
  Resolver r(loop_, dnsmasqConfig());
  auto nx = resolveOnce(r, "nx.example.test");
  EXPECT_EQ(nx.status, DnsStatus::NxDomain);
  EXPECT_EQ(nx.message, "no such domain (NXDOMAIN)");
  EXPECT_TRUE(nx.addresses.empty());
  auto nodata = resolveOnce(r, "txt.example.test");
  EXPECT_EQ(nodata.status, DnsStatus::NoData) << nodata.message;
  EXPECT_EQ(r.stats().failures, 0u); // answers, not failures
  // Negative caching.
  auto again = r.cached("nx.example.test");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, DnsStatus::NxDomain);
  EXPECT_TRUE(again->fromCache);
  ASSERT_TRUE(r.cached("txt.example.test"));
  EXPECT_EQ(r.stats().queries, 2u);
}

TEST_F(ResolverTest, RefusedFromDnsmasq) {
  // dnsmasq without upstream servers refuses names outside its local domains.
  Resolver r(loop_, dnsmasqConfig());
  auto a = resolveOnce(r, "outside.test");
  EXPECT_EQ(a.status, DnsStatus::Refused) << a.message;
  EXPECT_EQ(a.message, "DNS server refused the query (REFUSED)");
  EXPECT_FALSE(r.cached("outside.test")); // not cached
  EXPECT_EQ(r.stats().failures, 1u);
}

TEST_F(ResolverTest, ServFailAndRefusedFromAServer) {
  FixedRcodeServer servfail(loop_, 2);
  FixedRcodeServer refused(loop_, 5);
  auto cfg = dnsmasqConfig();
  cfg.servers = {servfail.endpoint()};
  {
    Resolver r(loop_, cfg);
    auto a = resolveOnce(r, "www.example.org");
    EXPECT_EQ(a.status, DnsStatus::ServFail) << a.message;
    EXPECT_EQ(a.message, "DNS server failure (SERVFAIL)");
    EXPECT_FALSE(r.cached("www.example.org"));
    EXPECT_GT(servfail.queries(), 0);
  }
  cfg.servers = {refused.endpoint()};
  Resolver r(loop_, cfg);
  auto a = resolveOnce(r, "www.example.org");
  EXPECT_EQ(a.status, DnsStatus::Refused) << a.message;
  EXPECT_FALSE(r.cached("www.example.org"));
  EXPECT_EQ(r.stats().failures, 1u);
}

TEST_F(ResolverTest, TimeoutKeepsTheLoopResponsive) {
  SilentServer silent;
  auto cfg = dnsmasqConfig();
  cfg.servers = {silent.endpoint()};
  cfg.timeout = 200ms;
  cfg.tries = 1;
  Resolver r(loop_, cfg);

  auto start = net::Clock::now();
  net::Clock::time_point timerFired{};
  net::Timer probe(loop_, [&] { timerFired = net::Clock::now(); });
  probe.armAt(start + 50ms); // arm() counts from loop.now(), which may predate start
  std::optional<Answer> got;
  net::Clock::time_point answered{};
  auto h = r.resolve("stuck.example.org", [&](const Answer& a) {
    got = a;
    answered = net::Clock::now();
    loop_.stop();
  });
  runLoop();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, DnsStatus::Timeout) << got->message;
  EXPECT_EQ(got->message, "DNS timeout after 1 try");
  ASSERT_NE(timerFired, net::Clock::time_point{});
  EXPECT_GE(timerFired - start, 50ms);
  EXPECT_LT(timerFired - start, 150ms); // not held up by the stuck query
  EXPECT_GE(answered - start, 180ms);
  EXPECT_LT(answered - start, 2000ms);
  EXPECT_FALSE(r.cached("stuck.example.org"));
}

TEST_F(ResolverTest, TtlExpiryQueriesAgain) {
  Resolver r(loop_, dnsmasqConfig()); // minTtl 1 s, --local-ttl=1
  ASSERT_EQ(resolveOnce(r, "a.example.test").status, DnsStatus::Ok);
  auto hit = r.cached("a.example.test");
  ASSERT_TRUE(hit);
  EXPECT_TRUE(hit->fromCache);
  EXPECT_EQ(strings(*hit), Strings{"127.0.0.2"});
  EXPECT_EQ(r.stats().queries, 1u);
  EXPECT_EQ(r.stats().cacheHits, 1u);

  // Still cached: resolve() answers from the cache too, without a query.
  auto cachedAnswer = resolveOnce(r, "a.example.test");
  EXPECT_TRUE(cachedAnswer.fromCache);
  EXPECT_EQ(r.stats().queries, 1u);

  std::this_thread::sleep_for(1100ms);
  EXPECT_FALSE(r.cached("a.example.test"));
  auto fresh = resolveOnce(r, "a.example.test");
  EXPECT_EQ(fresh.status, DnsStatus::Ok);
  EXPECT_FALSE(fresh.fromCache);
  EXPECT_EQ(r.stats().queries, 2u);
}

TEST_F(ResolverTest, OneQueryForManyWaiters) {
  Resolver r(loop_, dnsmasqConfig());
  std::vector<ResolveHandle> handles;
  std::vector<Answer> answers;
  bool inCall = false;
  bool calledInside = false;
  for (int i = 0; i < 10; ++i) {
    inCall = true;
    handles.push_back(r.resolve("both.example.test", [&](const Answer& a) {
      calledInside |= inCall;
      answers.push_back(a);
      if (answers.size() == 10)
        loop_.stop();
    }));
    inCall = false;
  }
  EXPECT_EQ(r.stats().queries, 1u);
  EXPECT_EQ(r.stats().inflight, 1u);
  EXPECT_EQ(r.stats().cacheMisses, 10u);
  for (auto& h : handles)
    EXPECT_TRUE(h.active());
  runLoop();
  ASSERT_EQ(answers.size(), 10u);
  EXPECT_FALSE(calledInside);
  for (const auto& a : answers) {
    EXPECT_EQ(a.status, DnsStatus::Ok);
    EXPECT_EQ(strings(a), (Strings{"127.0.0.3", "::3"}));
  }
  for (auto& h : handles)
    EXPECT_FALSE(h.active());
  EXPECT_EQ(r.stats().queries, 1u);
}

TEST_F(ResolverTest, DestroyedHandleIsNeverCalled) {
  Resolver r(loop_, dnsmasqConfig());
  int cancelledCalls = 0;
  std::optional<Answer> kept;
  {
    auto gone = r.resolve("a.example.test", [&](const Answer&) { ++cancelledCalls; });
    auto other = r.resolve("v6.example.test", [&](const Answer&) { ++cancelledCalls; });
    other.reset();
    EXPECT_FALSE(other.active());
  }
  auto h = r.resolve("a.example.test", [&](const Answer& a) {
    kept = a;
    // Let v6.example.test finish too before stopping.
    loop_.post([this] { loop_.stop(); });
  });
  runLoop();
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->status, DnsStatus::Ok);
  // The abandoned query still ran and filled the cache.
  net::Timer settle(loop_, [this] { loop_.stop(); });
  settle.arm(200ms);
  runLoop();
  EXPECT_EQ(cancelledCalls, 0);
  EXPECT_TRUE(r.cached("v6.example.test"));
}

TEST_F(ResolverTest, CallbackMayCancelOthersAndResolveAgain) {
  Resolver r(loop_, dnsmasqConfig());
  ResolveHandle second;
  ResolveHandle nested;
  int secondCalls = 0;
  std::optional<Answer> nestedAnswer;
  auto first = r.resolve("a.example.test", [&](const Answer&) {
    second.reset(); // the other waiter of the same query
    nested = r.resolve("a.example.test", [&](const Answer& a) {
      nestedAnswer = a;
      loop_.stop();
    });
  });
  second = r.resolve("a.example.test", [&](const Answer&) { ++secondCalls; });
  runLoop();
  EXPECT_EQ(secondCalls, 0);
  ASSERT_TRUE(nestedAnswer);
  EXPECT_TRUE(nestedAnswer->fromCache);
  EXPECT_EQ(r.stats().queries, 1u);
}

TEST_F(ResolverTest, TruncatedAnswerRetriedOverTcp) {
  Resolver r(loop_, dnsmasqConfig());
  auto a = resolveOnce(r, "big.example.test");
  ASSERT_EQ(a.status, DnsStatus::Ok) << a.message;
  ASSERT_EQ(a.addresses.size(), 60u); // a 512-byte UDP answer holds 29 of them
  // dnsmasq rotates the order of its records: compare as a set.
  auto got = strings(a);
  std::sort(got.begin(), got.end());
  Strings want;
  for (int i = 1; i <= 60; ++i)
    want.push_back("10.0.0." + std::to_string(i));
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

TEST_F(ResolverTest, HostsFileHonouredOnlyWhenEnabled) {
  FixedRcodeServer refused(loop_, 5);
  auto cfg = dnsmasqConfig();
  cfg.servers = {refused.endpoint()};
  cfg.useHostsFile = true;
  {
    Resolver r(loop_, cfg);
    auto a = resolveOnce(r, "localhost");
    EXPECT_EQ(a.status, DnsStatus::Ok) << a.message;
    ASSERT_FALSE(a.addresses.empty());
    EXPECT_TRUE(a.addresses[0].isLoopback());
    EXPECT_EQ(refused.queries(), 0);
  }
  cfg.useHostsFile = false;
  Resolver r(loop_, cfg);
  auto a = resolveOnce(r, "localhost");
  // c-ares 1.18 never sends "localhost" to a server (RFC 6761): no hosts file, no answer.
  EXPECT_EQ(a.status, DnsStatus::Error) << a.message;
  EXPECT_EQ(a.message, "localhost is only resolved from the hosts file (disabled)");
  EXPECT_TRUE(a.addresses.empty());
}

TEST_F(ResolverTest, LiteralsAnswerWithoutAQuery) {
  Resolver r(loop_, dnsmasqConfig());
  for (auto [text, expect] : {std::pair{"192.0.2.7", "192.0.2.7"},
                              std::pair{"2001:db8::1", "2001:db8::1"}, std::pair{"[::1]", "::1"}}) {
    auto a = r.cached(text);
    ASSERT_TRUE(a) << text;
    EXPECT_EQ(a->status, DnsStatus::Ok);
    EXPECT_EQ(strings(*a), Strings{expect});
  }
  EXPECT_FALSE(r.cached("a.example.test"));
  // resolve() of a literal: deferred callback, no query.
  bool inCall = true;
  bool calledInside = false;
  auto a = resolveOnce(r, "10.9.8.7");
  inCall = false;
  EXPECT_EQ(strings(a), Strings{"10.9.8.7"});
  std::optional<Answer> got;
  auto h = r.resolve("[2001:db8::2]", [&](const Answer& ans) {
    calledInside = inCall;
    got = ans;
    loop_.stop();
  });
  EXPECT_TRUE(h.active());
  EXPECT_FALSE(got); // not inside the call
  runLoop();
  ASSERT_TRUE(got);
  EXPECT_FALSE(calledInside);
  EXPECT_EQ(strings(*got), Strings{"2001:db8::2"});
  auto s = r.stats();
  EXPECT_EQ(s.queries, 0u);
  EXPECT_EQ(s.cacheHits, 0u);
  EXPECT_EQ(s.cacheMisses, 0u);
}

TEST_F(ResolverTest, InvalidNameIsAnError) {
  Resolver r(loop_, dnsmasqConfig());
  EXPECT_EQ(resolveOnce(r, "").status, DnsStatus::Error);
  EXPECT_EQ(resolveOnce(r, std::string(300, 'a')).status, DnsStatus::Error);
  EXPECT_EQ(r.stats().queries, 0u);
}

TEST_F(ResolverTest, HandleOutlivesResolver) {
  ResolveHandle h;
  int calls = 0;
  {
    Resolver r(loop_, dnsmasqConfig());
    h = r.resolve("a.example.test", [&](const Answer&) { ++calls; });
    auto literal = r.resolve("1.2.3.4", [&](const Answer&) { ++calls; });
    ResolveHandle moved = std::move(literal);
    EXPECT_TRUE(h.active());
    EXPECT_TRUE(moved.active());
    EXPECT_FALSE(literal.active()); // NOLINT(bugprone-use-after-move)
    // moved outlives nothing: destroyed before the resolver, fine too.
  }
  EXPECT_FALSE(h.active());
  h.reset();
  net::Timer settle(loop_, [this] { loop_.stop(); });
  settle.arm(100ms);
  runLoop();
  EXPECT_EQ(calls, 0);
}

TEST_F(ResolverTest, ReconfigureSwitchesServersAndClearsCache) {
  FixedRcodeServer servfail(loop_, 2);
  Resolver r(loop_, dnsmasqConfig());
  ASSERT_EQ(resolveOnce(r, "v6.example.test").status, DnsStatus::Ok);

  // Same servers, other timeouts: the cache is kept.
  auto cfg = dnsmasqConfig();
  cfg.timeout = 500ms;
  r.reconfigure(cfg);
  EXPECT_TRUE(r.cached("v6.example.test"));

  // A query in flight finishes on the old channel after the switch.
  std::optional<Answer> old;
  auto h = r.resolve("a.example.test", [&](const Answer& a) { old = a; });
  cfg.servers = {servfail.endpoint()};
  r.reconfigure(cfg);
  EXPECT_EQ(r.stats().cacheSize, 0u); // servers changed: cache cleared
  std::optional<Answer> fresh;
  auto h2 = r.resolve("both.example.test", [&](const Answer& a) {
    fresh = a;
    if (old)
      loop_.stop();
  });
  runLoop();
  if (!fresh || !old) {
    net::Timer settle(loop_, [this] { loop_.stop(); });
    settle.arm(500ms);
    runLoop();
  }
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, DnsStatus::Ok);
  EXPECT_EQ(strings(*old), Strings{"127.0.0.2"});
  EXPECT_FALSE(r.cached("a.example.test")); // answered by the old servers: not cached
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, DnsStatus::ServFail);
  EXPECT_GT(servfail.queries(), 0);
}

} // namespace

namespace {

TEST(ResolverConfigTest, AcceptsIpv4AndIpv6Servers) {
  net::EventLoop loop;
  ResolverConfig cfg;
  cfg.servers = {*Endpoint::parse("127.0.0.1:5353"), *Endpoint::parse("[::1]:53")};
  EXPECT_NO_THROW({
    Resolver r(loop, cfg);
    cfg.servers.pop_back();
    r.reconfigure(cfg);
  });
}

} // namespace
