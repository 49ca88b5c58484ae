// acl through the real binary with curl: deny by domain list with the reason on the block page,
// other names allowed, CONNECT denied, redirects, reload (SIGHUP) swapping the lists (a changed
// .conf, or only an edited list file), decisions for two client identities arriving through a
// trusted XFF hop, and a 1,000,000-name list.
#include "itest.h"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>

using namespace itest;
using namespace std::chrono_literals;

namespace {

#ifndef ACL_PLUGIN
#error "ACL_PLUGIN must name acl.so"
#endif

// A directory for list files, removed at the end.
class ListDir {
public:
  ListDir() : dir_(makeTempDir("itest-acl-lists")) {}
  ~ListDir() { removeTree(dir_); }
  std::string write(const std::string& name, const std::string& content) const {
    writeFile(dir_ + "/" + name, content);
    return dir_ + "/" + name;
  }

private:
  std::string dir_;
};

std::string aclConf(const std::string& body) {
  return std::string("[plugin]\npath = ") + ACL_PLUGIN + "\n" + body;
}

// dnsmasq: every name the tests ask for resolves to 127.0.0.1 (the origin).
Dnsmasq localDns() {
  return Dnsmasq(DnsmasqOptions{300, {"--address=/example.test/127.0.0.1"}, {}, true});
}

ProxyOptions options(const Dnsmasq& dns, const std::string& acl,
                     std::vector<std::string> sets = {}) {
  ProxyOptions o;
  o.sets = std::move(sets);
  o.sets.push_back("dns.servers=" + dns.server());
  o.extraFiles = {{"20-acl.conf", aclConf(acl)}};
  return o;
}

std::string url(const OriginServer& origin, const std::string& host,
                const std::string& path = "/") {
  return "http://" + host + ":" + std::to_string(origin.port()) + path;
}

} // namespace

TEST(AclIntegrationTest, DenyByListWithReasonOnThePageAllowOthers) {
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  OriginServer origin;
  ListDir lists;
  auto malware = lists.write("malware.txt", "# test list\nevil.example.test\n"
                                            "0.0.0.0 tracker.example.test\n");
  ProxyProcess proxy(options(dns,
                             "[acl_lists]\nmalware = " + malware +
                                 "\n[acl_rule block-malware]\nlists = malware\naction = deny\n"
                                 "reason = Known malware site (list malware)\n",
                             {"acl.connect_ports=443 " + std::to_string(origin.port())}));
  ASSERT_TRUE(proxy.start());

  // Listed, and below a listed name: the block page carries the reason.
  for (const char* host : {"evil.example.test", "www.evil.example.test", "tracker.example.test"}) {
    auto r = runCurl({"-x", proxy.proxyArg(), url(origin, host)});
    EXPECT_EQ(r.status, 403) << host << " " << r.describe();
    EXPECT_NE(r.out.find("Known malware site (list malware)"), std::string::npos)
        << host << " " << r.describe();
  }
  EXPECT_EQ(origin.requestCount(), 0u) << "a denied request reached the origin";

  // Not listed (label boundary: notevil is not evil): allowed through to the origin.
  auto ok = runCurl({"-x", proxy.proxyArg(), url(origin, "notevil.example.test")});
  EXPECT_EQ(ok.status, 200) << ok.describe();
  EXPECT_EQ(ok.out, "origin-ok\n");
  EXPECT_EQ(origin.requestCount(), 1u);

  // CONNECT to a listed name: the tunnel is refused with the same page.
  auto tunnel = runCurl({"--proxytunnel", "-x", proxy.proxyArg(),
                         "https://www.evil.example.test:" + std::to_string(origin.port()) + "/"});
  EXPECT_NE(tunnel.exitCode, 0);
  EXPECT_EQ(tunnel.connectStatus, 403) << tunnel.describe();
  EXPECT_EQ(origin.acceptedConnections(), 1) << "the tunnel reached the origin";

  ASSERT_TRUE(proxy.waitForAccessLogLines(5));
  auto log = proxy.accessLog();
  EXPECT_NE(log.find("TCP_DENIED/403"), std::string::npos) << log;
  EXPECT_NE(log.find("http://evil.example.test:"), std::string::npos) << log;
}

TEST(AclIntegrationTest, DefaultDenyAllowRuleAndRedirect) {
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  OriginServer origin;
  ProxyProcess proxy(options(dns,
                             "[acl_policy]\ndefault = deny\n"
                             "default_reason = Only work sites are allowed\n"
                             "[acl_rule social]\ndomains = social.example.test\n"
                             "action = redirect\n"
                             "location = http://portal.example.test/blocked?u={url}\n"
                             "[acl_rule uploads]\nmethods = POST\naction = deny\n"
                             "reason = No uploads\n"
                             "[acl_rule work]\ndomains = work.example.test\naction = allow\n"));
  ASSERT_TRUE(proxy.start());

  auto work = runCurl({"-x", proxy.proxyArg(), url(origin, "intranet.work.example.test")});
  EXPECT_EQ(work.status, 200) << work.describe();

  auto upload = runCurl({"-x", proxy.proxyArg(), "-d", "x=1", url(origin, "work.example.test")});
  EXPECT_EQ(upload.status, 403) << upload.describe();
  EXPECT_NE(upload.out.find("No uploads"), std::string::npos) << upload.describe();

  auto other = runCurl({"-x", proxy.proxyArg(), url(origin, "news.example.test")});
  EXPECT_EQ(other.status, 403) << other.describe();
  EXPECT_NE(other.out.find("Only work sites are allowed"), std::string::npos) << other.describe();

  auto social = runCurl({"-x", proxy.proxyArg(), "-D", "-", url(origin, "social.example.test")});
  EXPECT_EQ(social.status, 302) << social.describe();
  EXPECT_NE(social.out.find("Location: http://portal.example.test/blocked?u=http%3A%2F%2Fsocial."
                            "example.test%3A" +
                            std::to_string(origin.port()) + "%2F"),
            std::string::npos)
      << social.describe();
  EXPECT_EQ(origin.requestCount(), 1u);
}

TEST(AclIntegrationTest, ReloadSwapsListsAndKeepsOldOnError) {
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  OriginServer origin;
  ListDir lists;
  auto first = lists.write("first.txt", "one.example.test\n");
  auto second = lists.write("second.txt", "two.example.test\n");
  auto rules = [](const std::string& file) {
    return "[acl_lists]\nblocked = " + file + "\n[acl_rule b]\nlists = blocked\naction = deny\n";
  };
  ProxyProcess proxy(options(dns, rules(first)));
  ASSERT_TRUE(proxy.start());
  auto status = [&](const std::string& host) {
    return runCurl({"-x", proxy.proxyArg(), url(origin, host)}).status;
  };
  EXPECT_EQ(status("one.example.test"), 403);
  EXPECT_EQ(status("two.example.test"), 200);

  writeFile(proxy.confDir() + "/20-acl.conf", aclConf(rules(second)));
  proxy.sendSignal(SIGHUP);
  EXPECT_TRUE(waitFor([&] { return status("two.example.test") == 403; }, 5s)) << proxy.stderrText();
  EXPECT_EQ(status("one.example.test"), 200);

  // A list that fails to load: the reload is refused, file:line logged, the old lists stay.
  auto bad = lists.write("bad.txt", "fine.example.test\nnot valid\n");
  writeFile(proxy.confDir() + "/20-acl.conf", aclConf(rules(bad)));
  proxy.sendSignal(SIGHUP);
  EXPECT_TRUE(
      waitFor([&] { return proxy.stderrText().find(bad + ":2:") != std::string::npos; }, 5s))
      << proxy.stderrText();
  EXPECT_EQ(status("two.example.test"), 403);
  EXPECT_EQ(status("fine.example.test"), 200);
  EXPECT_TRUE(proxy.alive());
}

// The operator edits a list file and sends SIGHUP, the .conf untouched (Squid's -k reconfigure):
// the list is read again. A list that then breaks keeps the decisions of the last good one.
TEST(AclIntegrationTest, ReloadRereadsAnEditedListFile) {
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  OriginServer origin;
  ListDir lists;
  auto list = lists.write("blocked.txt", "one.example.test\n");
  ProxyProcess proxy(options(dns, "[acl_lists]\nblocked = " + list +
                                      "\n[acl_rule b]\nlists = blocked\naction = deny\n"));
  ASSERT_TRUE(proxy.start());
  auto status = [&](const std::string& host) {
    return runCurl({"-x", proxy.proxyArg(), url(origin, host)}).status;
  };
  EXPECT_EQ(status("one.example.test"), 403);
  EXPECT_EQ(status("two.example.test"), 200);

  // Only the list changes on disk.
  lists.write("blocked.txt", "# one is fine now\ntwo.example.test\n");
  proxy.sendSignal(SIGHUP);
  EXPECT_TRUE(waitFor([&] { return status("two.example.test") == 403; }, 5s)) << proxy.stderrText();
  EXPECT_EQ(status("one.example.test"), 200);
  EXPECT_EQ(status("www.two.example.test"), 403);

  // A bad line: the reload is refused at file:line, the decisions stay those of the last list.
  lists.write("blocked.txt", "three.example.test\nnot valid\n");
  proxy.sendSignal(SIGHUP);
  EXPECT_TRUE(
      waitFor([&] { return proxy.stderrText().find(list + ":2:") != std::string::npos; }, 5s))
      << proxy.stderrText();
  EXPECT_EQ(status("two.example.test"), 403);
  EXPECT_EQ(status("three.example.test"), 200);
  EXPECT_EQ(status("one.example.test"), 200);

  // The file is gone: refused too (cannot open), the old list still decides.
  std::filesystem::remove(list);
  proxy.sendSignal(SIGHUP);
  EXPECT_TRUE(waitFor(
      [&] { return proxy.stderrText().find(list + ": cannot open") != std::string::npos; }, 5s))
      << proxy.stderrText();
  EXPECT_EQ(status("two.example.test"), 403);
  EXPECT_EQ(status("one.example.test"), 200);

  // Fixed: the next SIGHUP takes it.
  lists.write("blocked.txt", "three.example.test\n");
  proxy.sendSignal(SIGHUP);
  EXPECT_TRUE(waitFor([&] { return status("three.example.test") == 403; }, 5s))
      << proxy.stderrText();
  EXPECT_EQ(status("two.example.test"), 200);
  EXPECT_TRUE(proxy.alive());
}

TEST(AclIntegrationTest, MillionDomainListLoadsAndWorks) {
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  OriginServer origin;
  ListDir lists;
  auto name = [](int i) {
    return "w" + std::to_string(i) + ".site-" + std::to_string(i % 7919) + ".example.test";
  };
  std::string text;
  text.reserve(1000000 * 32);
  for (int i = 0; i < 1000000; ++i)
    text += name(i) + "\n";
  auto big = lists.write("big.txt", text);
  ProxyProcess proxy(options(dns, "[acl_lists]\nbig = " + big +
                                      "\n[acl_rule big]\nlists = big\naction = deny\n"
                                      "reason = on the big list\n"));
  ASSERT_TRUE(proxy.start(Millis(60000)));
  auto listed = runCurl({"-x", proxy.proxyArg(), url(origin, name(999999))});
  EXPECT_EQ(listed.status, 403) << listed.describe();
  EXPECT_NE(listed.out.find("on the big list"), std::string::npos);
  auto sub = runCurl({"-x", proxy.proxyArg(), url(origin, "cdn." + name(12345))});
  EXPECT_EQ(sub.status, 403) << sub.describe();
  auto unlisted = runCurl({"-x", proxy.proxyArg(), url(origin, name(1000000))});
  EXPECT_EQ(unlisted.status, 200) << unlisted.describe();
  auto parent = runCurl({"-x", proxy.proxyArg(), url(origin, "site-1.example.test")});
  EXPECT_EQ(parent.status, 200) << parent.describe();
}

// Last: needs plugins/xff (10-xff.conf trusts the loopback hop, so X-Forwarded-For gives the
// identity the ACL sees).
TEST(AclIntegrationTest, TwoIdentitiesThroughATrustedXffHop) {
#ifndef XFF_PLUGIN
  GTEST_SKIP() << "plugins/xff is not built in this tree";
#else
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  OriginServer origin;
  ProxyOptions o = options(dns, "[acl_rule staff]\nclients = 10.1.0.0/16\naction = allow\n"
                                "[acl_rule students-social]\nclients = 10.2.0.0/16\n"
                                "domains = social.example.test\naction = deny\n"
                                "reason = Social networks are closed for students\n");
  o.extraFiles.push_back({"10-xff.conf", std::string("[plugin]\npath = ") + XFF_PLUGIN +
                                             "\n[xff]\ntrusted = 127.0.0.1\n"});
  ProxyProcess proxy(o);
  ASSERT_TRUE(proxy.start());

  auto as = [&](const std::string& client, const std::string& host) {
    return runCurl({"-x", proxy.proxyArg(), "-H", "X-Forwarded-For: " + client, url(origin, host)});
  };
  auto staff = as("10.1.0.5", "social.example.test");
  EXPECT_EQ(staff.status, 200) << staff.describe();
  auto student = as("10.2.0.7", "social.example.test");
  EXPECT_EQ(student.status, 403) << student.describe();
  EXPECT_NE(student.out.find("Social networks are closed for students"), std::string::npos)
      << student.describe();
  auto studentWork = as("10.2.0.7", "work.example.test");
  EXPECT_EQ(studentWork.status, 200) << studentWork.describe();
  EXPECT_EQ(origin.requestCount(), 2u);

  // The access log's client field is the identity, not the loopback hop.
  ASSERT_TRUE(proxy.waitForAccessLogLines(3));
  auto log = proxy.accessLog();
  EXPECT_NE(log.find(" 10.1.0.5 TCP_"), std::string::npos) << log;
  EXPECT_NE(log.find(" 10.2.0.7 TCP_DENIED/403"), std::string::npos) << log;
#endif
}

// url_regex sees the canonical URL, as Squid's does: an escaped letter does not slip past it.
TEST(AclIntegrationTest, UrlRegexMatchesEscapedSpellings) {
  auto dns = localDns();
  ASSERT_TRUE(dns.start()) << dns.error();
  OriginServer origin;
  ProxyProcess proxy(options(dns, "[acl_rule no-ads]\nurl_regex = /ads[0-9]+/\naction = deny\n"));
  ASSERT_TRUE(proxy.start());
  for (const char* path : {"/ads7/x.js", "/%61ds7/x.js", "/%61%64%737/x.js"}) {
    auto r =
        runCurl({"--path-as-is", "-x", proxy.proxyArg(), url(origin, "www.example.test", path)});
    EXPECT_EQ(r.status, 403) << path << " " << r.describe();
  }
  EXPECT_EQ(origin.requestCount(), 0u) << "an ad URL reached the origin";
  auto ok = runCurl({"-x", proxy.proxyArg(), url(origin, "www.example.test", "/%62ds7/x.js")});
  EXPECT_EQ(ok.status, 404) << ok.describe(); // the origin's own answer: it was let through
  auto seen = origin.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "/%62ds7/x.js") << "the request itself is forwarded as sent";
}
