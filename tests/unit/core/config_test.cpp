#include "core/config.h"

#include "temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace exaproxy;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

constexpr const char* kListener = "[listener main]\naddress = 127.0.0.1:3128\n";

// Everything reported, one message per line, for assertion messages.
std::string allErrors(const ConfigLoad& load) {
  std::string out;
  for (const auto& e : load.errors)
    out += e.toString() + "\n";
  return out;
}

class ConfigTest : public ::testing::Test {
protected:
  ConfigLoad load(const std::vector<std::string>& overrides = {}) {
    return loadConfig(dir_.path(), overrides);
  }
  // Loads and expects success.
  std::shared_ptr<const HostConfig> good(const std::vector<std::string>& overrides = {}) {
    auto result = load(overrides);
    EXPECT_TRUE(result.errors.empty()) << allErrors(result);
    EXPECT_TRUE(result.config);
    return result.config;
  }
  // Loads and expects exactly one error, returned as text.
  std::string oneError(const std::vector<std::string>& overrides = {}) {
    auto result = load(overrides);
    EXPECT_FALSE(result.config);
    EXPECT_EQ(result.errors.size(), 1u) << allErrors(result);
    return result.errors.empty() ? "" : result.errors[0].toString();
  }
  std::string file(const std::string& name) const { return (dir_.path() / name).string(); }

  test::TempDir dir_;
};

} // namespace

TEST_F(ConfigTest, DefaultsWithOneListener) {
  dir_.write("00-x.conf", kListener);
  auto cfg = good();
  ASSERT_EQ(cfg->listeners.size(), 1u);
  EXPECT_EQ(cfg->listeners[0].name, "main");
  EXPECT_EQ(cfg->listeners[0].address.toString(), "127.0.0.1:3128");
  EXPECT_TRUE(cfg->listeners[0].routeByHost);
  EXPECT_EQ(cfg->listeners[0].source, file("00-x.conf") + ":1");
  EXPECT_EQ(cfg->loops, 0u);
  EXPECT_EQ(cfg->name, "exaproxy");
  EXPECT_EQ(cfg->allowClients.toString(), "127.0.0.0/8 ::1/128");
  EXPECT_EQ(cfg->denyDestinations.toString(), "169.254.0.0/16 fe80::/10");
  EXPECT_EQ(cfg->connectPorts.toString(), "443");
  EXPECT_EQ(cfg->httpPorts.toString(), "80 443 280 488 591 777 1025-65535");
  EXPECT_TRUE(cfg->allowLocalDestinations.empty()); // the proxy's own host: nothing by default
  EXPECT_EQ(cfg->accessLog, "-");
  EXPECT_EQ(cfg->entries.size(), 1u);
  EXPECT_TRUE(cfg->plugins.empty());
}

TEST_F(ConfigTest, EveryHostKeyIsApplied) {
  dir_.write("templates/.keep", "");
  dir_.write("00-all.conf", R"([server]
loops = 4
coalesce_us = 250
user = proxy
name = proxy-1.example_net
templates = templates

[listener a]
address = [::1]:3129
route_by_host = off

[listener b]
address = 0.0.0.0:0

[acl]
allow_clients = 10.0.0.0/8, 192.168.0.0/16 2001:db8::/32
deny_destinations =
connect_ports = 443, 8443 443 9000-9009
http_ports = 80,8080
allow_local_destinations = 127.0.0.1:8081 127.0.0.0/8:9000-9100, ::1/128 [::1]:80 [::1/128]:7-8 10.1.2.3
allow_trace = yes

[dns]
servers = 192.0.2.53 127.0.0.1:5353, [::1]:53 2001:db8::53
hosts_file = no
prefer = ipv6
timeout = 500ms
tries = 3
min_ttl = 5
max_ttl = 2h
negative_ttl = 1m
cache_size = 0

[upstream]
bind4 = 192.0.2.1
bind6 = 2001:db8::1
pool_per_destination = 0
splice = no

[limits]
max_connections = 500
max_connections_per_client = 50
max_request_head = 32k
max_uri = 4k
max_request_body = 1g

[timeouts]
header_read = 5s
idle_keepalive = 1m
connect = 3s
first_byte = 20s
relay_idle = 2m
tunnel_idle = 1h
upstream_idle = 15s
drain = 0

[log]
level = debug
file = logs/exaproxy.log
access_log = /var/log/exaproxy/access.log
)");
  auto cfg = good();
  EXPECT_EQ(cfg->loops, 4u);
  EXPECT_EQ(cfg->coalesceUs, 250u);
  EXPECT_EQ(cfg->user, "proxy");
  EXPECT_EQ(cfg->name, "proxy-1.example_net");
  EXPECT_EQ(cfg->templates, dir_.path() / "templates");
  ASSERT_EQ(cfg->listeners.size(), 2u);
  EXPECT_EQ(cfg->listeners[0].address.toString(), "[::1]:3129");
  EXPECT_FALSE(cfg->listeners[0].routeByHost);
  EXPECT_EQ(cfg->listeners[1].address.port, 0);
  EXPECT_EQ(cfg->allowClients.toString(), "10.0.0.0/8 192.168.0.0/16 2001:db8::/32");
  EXPECT_TRUE(cfg->denyDestinations.empty());
  EXPECT_EQ(cfg->connectPorts.toString(), "443 8443 443 9000-9009");
  EXPECT_TRUE(cfg->connectPorts.contains(9005));
  EXPECT_FALSE(cfg->connectPorts.contains(9010));
  EXPECT_EQ(cfg->httpPorts.toString(), "80 8080");
  EXPECT_EQ(
      cfg->allowLocalDestinations.toString(),
      "127.0.0.1/32:8081 127.0.0.0/8:9000-9100 ::1/128 [::1/128]:80 [::1/128]:7-8 10.1.2.3/32");
  EXPECT_TRUE(cfg->allowTrace);
  ASSERT_EQ(cfg->dnsServers.size(), 4u);
  EXPECT_EQ(cfg->dnsServers[0].toString(), "192.0.2.53:53");
  EXPECT_EQ(cfg->dnsServers[1].toString(), "127.0.0.1:5353");
  EXPECT_EQ(cfg->dnsServers[2].toString(), "[::1]:53");
  EXPECT_EQ(cfg->dnsServers[3].toString(), "[2001:db8::53]:53");
  EXPECT_FALSE(cfg->dnsHostsFile);
  EXPECT_TRUE(cfg->preferIpv6);
  EXPECT_EQ(cfg->dnsTimeout, 500ms);
  EXPECT_EQ(cfg->dnsTries, 3);
  EXPECT_EQ(cfg->dnsMinTtl, 5s);
  EXPECT_EQ(cfg->dnsMaxTtl, 2h);
  EXPECT_EQ(cfg->dnsNegativeTtl, 1min);
  EXPECT_EQ(cfg->dnsCacheSize, 0u);
  EXPECT_EQ(cfg->bind4->toString(), "192.0.2.1");
  EXPECT_EQ(cfg->bind6->toString(), "2001:db8::1");
  EXPECT_EQ(cfg->poolPerDestination, 0u);
  EXPECT_FALSE(cfg->splice);
  EXPECT_EQ(cfg->maxConnections, 500u);
  EXPECT_EQ(cfg->maxConnectionsPerClient, 50u);
  EXPECT_EQ(cfg->maxRequestHead, 32u * 1024);
  EXPECT_EQ(cfg->maxUri, 4u * 1024);
  EXPECT_EQ(cfg->maxRequestBody, uint64_t{1} << 30);
  EXPECT_EQ(cfg->headerRead, 5s);
  EXPECT_EQ(cfg->idleKeepAlive, 1min);
  EXPECT_EQ(cfg->connect, 3s);
  EXPECT_EQ(cfg->firstByte, 20s);
  EXPECT_EQ(cfg->relayIdle, 2min);
  EXPECT_EQ(cfg->tunnelIdle, 1h);
  EXPECT_EQ(cfg->upstreamIdle, 15s);
  EXPECT_EQ(cfg->drain, 0s);
  EXPECT_EQ(cfg->logLevel, "debug");
  EXPECT_EQ(cfg->logFile, (dir_.path() / "logs/exaproxy.log").string());
  EXPECT_EQ(cfg->accessLog, "/var/log/exaproxy/access.log");
}

TEST_F(ConfigTest, MissingDirectoryIsAnError) {
  auto result = loadConfig(dir_.path() / "nope", {});
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0].toString(), HasSubstr("nope: "));
}

TEST_F(ConfigTest, AFileIsNotADirectory) {
  auto f = dir_.write("plain", "x");
  auto result = loadConfig(f, {});
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.errors.size(), 1u);
}

TEST_F(ConfigTest, NoListenerIsAnError) {
  dir_.write("00-x.conf", "[server]\nloops = 2\n");
  EXPECT_THAT(oneError(), HasSubstr("no [listener NAME] section"));
}

TEST_F(ConfigTest, EmptyDirectoryIsAnError) { EXPECT_THAT(oneError(), HasSubstr("listener")); }

TEST_F(ConfigTest, UnknownSectionNamesFileAndLine) {
  dir_.write("00-x.conf", std::string(kListener) + "\n[proxy]\nfoo = 1\nbar = 2\n");
  // One message for the section, none for each of its keys.
  EXPECT_THAT(oneError(), HasSubstr(file("00-x.conf") + ":4: [proxy] unknown section"));
}

TEST_F(ConfigTest, UnknownKeyNamesFileLineSectionAndKey) {
  dir_.write("00-x.conf", std::string(kListener) + "[timeouts]\nconect = 5s\n");
  auto message = oneError();
  EXPECT_THAT(message, HasSubstr(file("00-x.conf") + ":4: [timeouts] conect: unknown key"));
  EXPECT_THAT(message, HasSubstr("connect")); // lists the known keys
}

TEST_F(ConfigTest, BadDurationSaysWhatIsExpected) {
  dir_.write("00-x.conf", std::string(kListener) + "[timeouts]\nconnect = 5 seconds\n");
  EXPECT_EQ(oneError(),
            file("00-x.conf") + ":4: [timeouts] connect: expected a duration like 30s, 500ms, 2m");
}

struct BadValue {
  const char* section;
  const char* key;
  const char* value;
  const char* why; // a piece of the message
};

class ConfigBadValue : public ConfigTest, public ::testing::WithParamInterface<BadValue> {};

TEST_P(ConfigBadValue, IsReportedAtItsLine) {
  const auto& p = GetParam();
  dir_.write("10-x.conf", std::string(kListener) + "[" + p.section + "]\n# comment\n" + p.key +
                              " = " + p.value + "\n");
  auto message = oneError();
  EXPECT_THAT(message, HasSubstr(file("10-x.conf") + ":5: [" + p.section + "] " + p.key + ": "));
  EXPECT_THAT(message, HasSubstr(p.why));
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigBadValue,
    ::testing::Values(BadValue{"server", "loops", "0", "auto or a number"},
                      BadValue{"server", "loops", "257", "auto or a number"},
                      BadValue{"server", "loops", "many", "auto or a number"},
                      BadValue{"server", "coalesce_us", "1001", "0 (off) to 1000"},
                      BadValue{"server", "coalesce_us", "50us", "0 (off) to 1000"},
                      BadValue{"server", "name", "my proxy", "token"},
                      BadValue{"server", "name", "", "token"},
                      BadValue{"server", "name", "a/b", "token"},
                      BadValue{"server", "user", "a b", "user name"},
                      BadValue{"server", "templates", "no-such-dir", "not a directory"},
                      BadValue{"acl", "allow_clients", "", "at least one"},
                      BadValue{"acl", "allow_clients", "10.0.0.0/33", "'10.0.0.0/33'"},
                      BadValue{"acl", "deny_destinations", "example.com", "'example.com'"},
                      BadValue{"acl", "connect_ports", "0", "port from 1 to 65535"},
                      BadValue{"acl", "connect_ports", "443 70000", "'70000'"},
                      BadValue{"acl", "connect_ports", "443-", "'443-'"},
                      BadValue{"acl", "connect_ports", "9-1", "'9-1'"},
                      BadValue{"acl", "connect_ports", "-443", "'-443'"},
                      BadValue{"acl", "connect_ports", "1-2-3", "'1-2-3'"},
                      BadValue{"acl", "connect_ports", "+443", "'+443'"},
                      BadValue{"acl", "connect_ports", "", "at least one port"},
                      BadValue{"acl", "http_ports", "80 1025-", "'1025-'"},
                      BadValue{"acl", "http_ports", "0-80", "'0-80'"},
                      BadValue{"acl", "http_ports", "", "at least one port"},
                      BadValue{"acl", "allow_local_destinations", "localhost", "'localhost'"},
                      BadValue{"acl", "allow_local_destinations", "127.0.0.1:", "'127.0.0.1:'"},
                      BadValue{"acl", "allow_local_destinations", "127.0.0.1:80-", "'80-'"},
                      BadValue{"acl", "allow_local_destinations", "[::1]", "brackets"},
                      BadValue{"acl", "allow_local_destinations", "[127.0.0.1]:80", "'[127"},
                      BadValue{"acl", "allow_local_destinations", "127.0.0.0/33", "'127.0.0.0/33'"},
                      BadValue{"acl", "allow_trace", "maybe", "yes/no"},
                      BadValue{"dns", "servers", "ns1.example", "'ns1.example'"},
                      BadValue{"dns", "hosts_file", "2", "yes/no"},
                      BadValue{"dns", "prefer", "ipv5", "ipv4 or ipv6"},
                      BadValue{"dns", "timeout", "0", "more than 0"},
                      BadValue{"dns", "timeout", "fast", "duration"},
                      BadValue{"dns", "tries", "11", "between 1 and 10"},
                      BadValue{"dns", "tries", "0", "between 1 and 10"},
                      BadValue{"dns", "min_ttl", "500ms", "whole seconds"},
                      BadValue{"dns", "max_ttl", "x", "duration"},
                      BadValue{"dns", "negative_ttl", "-1", "duration"},
                      BadValue{"dns", "cache_size", "10k", "whole number"},
                      BadValue{"upstream", "bind4", "2001:db8::1", "IPv4"},
                      BadValue{"upstream", "bind6", "192.0.2.1", "IPv6"},
                      BadValue{"upstream", "pool_per_destination", "-1", "whole number"},
                      BadValue{"limits", "max_connections", "0", "between"},
                      BadValue{"limits", "max_request_head", "64q", "size like"},
                      BadValue{"limits", "max_request_head", "0", "between"},
                      BadValue{"limits", "max_uri", "1.5k", "size like"},
                      BadValue{"limits", "max_request_body", "lots", "size like"},
                      BadValue{"timeouts", "header_read", "0", "more than 0"},
                      BadValue{"timeouts", "drain", "1x", "duration"},
                      BadValue{"log", "level", "verbose", "trace, debug"},
                      BadValue{"log", "access_log", "", "'-'"}));

TEST_F(ConfigTest, ListenerErrors) {
  dir_.write("00-x.conf", "[listener a]\naddress = 127.0.0.1\n"    // 1-2: no port
                          "[listener b]\nroute_by_host = yes\n"    // 3-4: no address
                          "[listener]\naddress = 127.0.0.1:1\n"    // 5: no name
                          "[listener c]\naddress = 127.0.0.1:80\n" // 7
                          "[listener d]\naddress = 127.0.0.1:80\n" // 9: same as c
                          "[listener e]\naddress = ::1:80\n"       // 11: needs brackets
                          "[server main]\nloops = 1\n");           // 13: no name allowed
  auto result = load();
  auto text = allErrors(result);
  EXPECT_THAT(text, HasSubstr(file("00-x.conf") + ":2: [listener a] address: expected an address"));
  EXPECT_THAT(text, HasSubstr(file("00-x.conf") + ":3: [listener b] address: a listener needs"));
  EXPECT_THAT(text, HasSubstr(file("00-x.conf") + ":5: [listener] a listener needs a name"));
  EXPECT_THAT(text, HasSubstr(file("00-x.conf") + ":9: [listener d] address: same address as "
                                                  "[listener c]"));
  EXPECT_THAT(text, HasSubstr(file("00-x.conf") + ":12: [listener e] address:"));
  EXPECT_THAT(text, HasSubstr(file("00-x.conf") + ":13: [server main] [server] takes no name"));
  EXPECT_THAT(text, HasSubstr(file("00-x.conf") + ":1: [listener a] address: a listener needs"));
  EXPECT_EQ(result.errors.size(), 8u) << text; // a and e: bad address, so also none at all
}

TEST_F(ConfigTest, EphemeralListenersMayShareAnAddress) {
  dir_.write("00-x.conf",
             "[listener a]\naddress = 127.0.0.1:0\n[listener b]\naddress = 127.0.0.1:0\n");
  EXPECT_EQ(good()->listeners.size(), 2u);
}

TEST_F(ConfigTest, CrossChecks) {
  dir_.write("00-x.conf", std::string(kListener) + "[dns]\nmin_ttl = 2h\n");
  EXPECT_EQ(oneError(),
            file("00-x.conf") + ":4: [dns] min_ttl: min_ttl must not be larger than max_ttl");
  dir_.write("00-x.conf", std::string(kListener) + "[limits]\nmax_connections = 10\n");
  EXPECT_THAT(oneError(), HasSubstr(":4: [limits] max_connections: max_connections_per_client"));
  dir_.write("00-x.conf", std::string(kListener) + "[limits]\nmax_uri = 1m\n");
  EXPECT_THAT(oneError(), HasSubstr(":4: [limits] max_uri: max_uri must not be larger"));
}

TEST_F(ConfigTest, AllErrorsAreCollected) {
  dir_.write("00-a.conf", "[timeouts]\nconnect = x\n");
  dir_.write("10-b.conf", "[dns]\ntries = 0\nbogus line\n");
  auto result = load();
  EXPECT_EQ(result.errors.size(), 4u) << allErrors(result); // + no listener
}

TEST_F(ConfigTest, LexicalOrderAndLaterWins) {
  dir_.write("20-b.conf", "[timeouts]\nconnect = 20s\n");
  dir_.write("10-a.conf", std::string(kListener) + "[timeouts]\nconnect = 10s\nconnect = 11s\n"
                                                   "drain = 1s\n");
  dir_.write("100-c.conf", "[timeouts]\ndrain = 2s\n"); // "100-" sorts before "20-"
  auto cfg = good();
  EXPECT_EQ(cfg->connect, 20s);
  EXPECT_EQ(cfg->drain, 2s);
  ASSERT_EQ(cfg->entries.size(), 6u);
  EXPECT_EQ(cfg->entries[0].file, file("10-a.conf"));
  EXPECT_EQ(cfg->entries[4].file, file("100-c.conf"));
  EXPECT_EQ(cfg->entries[5].file, file("20-b.conf"));
  EXPECT_EQ(cfg->entries[5].line, 2);
}

// The configuration's hash covers what conf.d holds (names and contents, .so files included)
// and not the --set overrides, which differ per instance of a cluster.
TEST_F(ConfigTest, TheConfHashFollowsTheFilesNotTheOverrides) {
  dir_.write("00-x.conf", kListener);
  dir_.write("README", "not read");
  auto first = good()->confHash;
  EXPECT_EQ(first.size(), 64u);
  EXPECT_EQ(good({"timeouts.connect=3s"})->confHash, first) << "--set is not part of it";
  dir_.write("README", "still not read");
  EXPECT_EQ(good()->confHash, first) << "only *.conf and *.so are conf.d's";
  dir_.write("00-x.conf", std::string(kListener) + "# a comment\n");
  auto edited = good()->confHash;
  EXPECT_NE(edited, first) << "a byte more";
  dir_.write("10-y.so", "not really a plugin");
  auto withSo = load();
  EXPECT_NE(withSo.config ? withSo.config->confHash : allErrors(withSo), edited)
      << "a dropped-in library counts";
  std::filesystem::remove(dir_.path() / "10-y.so");
  EXPECT_EQ(good()->confHash, edited) << "the same files give the same hash";
  std::filesystem::rename(dir_.path() / "00-x.conf", dir_.path() / "01-x.conf");
  EXPECT_NE(good()->confHash, edited) << "a renamed file (it orders the chain) counts";
}

TEST_F(ConfigTest, SameListenerAcrossFilesMerges) {
  dir_.write("00-a.conf", kListener);
  dir_.write("50-local.conf", "[listener main]\naddress = 0.0.0.0:8080\nroute_by_host = no\n");
  auto cfg = good();
  ASSERT_EQ(cfg->listeners.size(), 1u);
  EXPECT_EQ(cfg->listeners[0].address.toString(), "0.0.0.0:8080");
  EXPECT_FALSE(cfg->listeners[0].routeByHost);
}

TEST_F(ConfigTest, SubfoldersHiddenAndOtherFilesIgnored) {
  dir_.write("00-a.conf", kListener);
  dir_.write("examples/10-bad.conf", "[nonsense]\nx = 1\n");
  dir_.write("sub.conf/x.conf", "[nonsense]\n"); // a folder named like a file
  dir_.write(".10-hidden.conf", "[nonsense]\n");
  dir_.write("README", "not ini at all\n");
  dir_.write("10-x.conf.dpkg-old", "[nonsense]\n");
  dir_.write("20-x.conf~", "[nonsense]\n");
  auto cfg = good();
  EXPECT_EQ(cfg->entries.size(), 1u);
}

TEST_F(ConfigTest, PluginSoWithConfBeside) {
  dir_.write("00-a.conf", kListener);
  dir_.write("30-acl.so", "not really an ELF");
  dir_.write("30-acl.conf", "[acl]\nwhatever = 1\n[rules]\ndeny = x\n");
  dir_.write("20-xff.so", "");
  auto cfg = good();
  ASSERT_EQ(cfg->plugins.size(), 2u);
  EXPECT_EQ(cfg->plugins[0].name, "20-xff");
  EXPECT_EQ(cfg->plugins[0].library, dir_.path() / "20-xff.so");
  EXPECT_TRUE(cfg->plugins[0].settings.empty());
  EXPECT_EQ(cfg->plugins[1].name, "30-acl");
  ASSERT_EQ(cfg->plugins[1].settings.size(), 2u);
  // The plugin's [acl] is its own business, not the host's strict [acl].
  EXPECT_EQ(cfg->plugins[1].settings[0].section, "acl");
  EXPECT_EQ(cfg->plugins[1].settings[0].key, "whatever");
  EXPECT_EQ(cfg->plugins[1].settings[1].line, 4);
  EXPECT_EQ(cfg->entries.size(), 3u); // the UI sees plugin entries too
}

TEST_F(ConfigTest, PluginConfWithPath) {
  dir_.write("00-a.conf", kListener);
  dir_.write("40-redirector.conf",
             "[plugin]\npath = lib/redirector.so\ntimeout = 5s\n[helper]\nprogram = /bin/cat\n");
  dir_.write("35-abs.conf", "[plugin]\npath = /usr/lib/exaproxy/abs.so\n");
  auto cfg = good();
  ASSERT_EQ(cfg->plugins.size(), 2u);
  EXPECT_EQ(cfg->plugins[0].name, "35-abs");
  EXPECT_EQ(cfg->plugins[0].library, "/usr/lib/exaproxy/abs.so");
  EXPECT_EQ(cfg->plugins[1].library, dir_.path() / "lib/redirector.so");
  ASSERT_EQ(cfg->plugins[1].settings.size(), 2u); // all but [plugin] path
  EXPECT_EQ(cfg->plugins[1].settings[0].key, "timeout");
  EXPECT_EQ(cfg->plugins[1].settings[1].section, "helper");
}

TEST_F(ConfigTest, PluginSectionWithoutPath) {
  dir_.write("00-a.conf", kListener);
  dir_.write("40-x.conf", "[plugin]\nfoo = 1\n");
  EXPECT_EQ(oneError(), file("40-x.conf") + ":1: [plugin] path: a [plugin] section needs path "
                                            "= the plugin's .so");
}

TEST_F(ConfigTest, PluginWithBothSoAndPath) {
  dir_.write("00-a.conf", kListener);
  dir_.write("40-x.so", "");
  dir_.write("40-x.conf", "[plugin]\npath = /x.so\n");
  EXPECT_THAT(oneError(), HasSubstr(":2: [plugin] path: both 40-x.so"));
}

TEST_F(ConfigTest, PluginConfSyntaxErrorsStillReported) {
  dir_.write("00-a.conf", kListener);
  dir_.write("40-x.so", "");
  dir_.write("40-x.conf", "[s]\nno equals sign\n");
  EXPECT_THAT(oneError(), HasSubstr(file("40-x.conf") + ":2: [s] expected"));
}

TEST_F(ConfigTest, Overrides) {
  dir_.write("00-a.conf", kListener);
  auto cfg = good({"timeouts.connect=5s", "listener main.address=127.0.0.1:0",
                   "  DNS.Servers = 127.0.0.1:5353 ", "listener extra.address=[::1]:0"});
  EXPECT_EQ(cfg->connect, 5s);
  ASSERT_EQ(cfg->listeners.size(), 2u);
  EXPECT_EQ(cfg->listeners[0].address.toString(), "127.0.0.1:0");
  EXPECT_EQ(cfg->listeners[1].name, "extra");
  EXPECT_EQ(cfg->listeners[1].source, "--set:4");
  ASSERT_EQ(cfg->dnsServers.size(), 1u);
  EXPECT_EQ(cfg->dnsServers[0].port, 5353);
  ASSERT_EQ(cfg->entries.size(), 5u);
  EXPECT_EQ(cfg->entries[2].file, "--set");
  EXPECT_EQ(cfg->entries[2].line, 2);
  EXPECT_EQ(cfg->entries[2].section, "listener main");
  EXPECT_EQ(cfg->entries[2].key, "address");
  EXPECT_EQ(cfg->entries[3].section, "dns");
  EXPECT_EQ(cfg->entries[3].key, "servers");
}

TEST_F(ConfigTest, OverrideValueMayContainDotsAndEquals) {
  dir_.write("00-a.conf", kListener);
  dir_.write("templates.d/x", "");
  auto cfg = good({"server.templates=templates.d", "log.file=/tmp/a=b.log"});
  EXPECT_EQ(cfg->templates, dir_.path() / "templates.d");
  EXPECT_EQ(cfg->logFile, "/tmp/a=b.log");
}

TEST_F(ConfigTest, MalformedOverrides) {
  dir_.write("00-a.conf", kListener);
  auto result = load({"timeouts.connect=5s", "noequals", "nodot=1", ".key=1", "server.=1",
                      "server.bad key=1", "a b c.key=1"});
  ASSERT_EQ(result.errors.size(), 6u) << allErrors(result);
  EXPECT_THAT(result.errors[0].toString(), HasSubstr("--set:2: expected section.key=value"));
  EXPECT_EQ(result.errors[1].line, 3);
  EXPECT_EQ(result.errors[5].line, 7);
}

TEST_F(ConfigTest, OverrideErrorsNameSetAndIndex) {
  dir_.write("00-a.conf", kListener);
  EXPECT_EQ(oneError({"timeouts.connect=5s", "timeouts.connect=soon"}),
            "--set:2: [timeouts] connect: expected a duration like 30s, 500ms, 2m");
  EXPECT_THAT(oneError({"nosuch.key=1"}), HasSubstr("--set:1: [nosuch] key: unknown section"));
  EXPECT_THAT(oneError({"server.bogus=1"}), HasSubstr("--set:1: [server] bogus: unknown key"));
}

TEST_F(ConfigTest, OverrideOfAPluginSection) {
  dir_.write("00-a.conf", kListener);
  dir_.write("40-x.so", "");
  dir_.write("40-x.conf", "[rules]\nmode = a\n");
  auto cfg = good({"rules.mode=b"});
  ASSERT_EQ(cfg->plugins[0].settings.size(), 2u);
  EXPECT_EQ(cfg->plugins[0].settings[1].value, "b");
  EXPECT_EQ(cfg->plugins[0].settings[1].file, "--set");
}

TEST_F(ConfigTest, OverridesWinOverFiles) {
  dir_.write("00-a.conf", std::string(kListener) + "[log]\nlevel = warn\n");
  EXPECT_EQ(good({"log.level=trace"})->logLevel, "trace");
}

TEST_F(ConfigTest, ErrorToStringOmitsUnknownParts) {
  EXPECT_EQ((ConfigError{"f", 3, "s", "k", "m"}).toString(), "f:3: [s] k: m");
  EXPECT_EQ((ConfigError{"f", 3, "s", "", "m"}).toString(), "f:3: [s] m");
  EXPECT_EQ((ConfigError{"f", 0, "", "", "m"}).toString(), "f: m");
}

// The shipped conf.d against the key tables: config_schema_test.cpp.

// ---- PROXY protocol on listeners (issue 6) ----

TEST_F(ConfigTest, ProxyProtocolIsOffAndNobodyTrustedByDefault) {
  dir_.write("00-x.conf", kListener);
  auto cfg = good();
  ASSERT_EQ(cfg->listeners.size(), 1u);
  EXPECT_EQ(cfg->listeners[0].proxyProtocol, ProxyProtocol::Off);
  EXPECT_TRUE(cfg->listeners[0].proxyTrusted.empty());
}

TEST_F(ConfigTest, ProxyProtocolModesAndTrustedPrefixes) {
  dir_.write("00-x.conf", "[listener a]\naddress = 127.0.0.1:0\nproxy_protocol = v1\n"
                          "proxy_trusted = 10.0.0.0/8, 127.0.0.1 ::1\n"
                          "[listener b]\naddress = 127.0.0.1:0\nproxy_protocol = v2\n"
                          "proxy_trusted = 192.0.2.0/24\n"
                          "[listener c]\naddress = 127.0.0.1:0\nproxy_protocol = any\n"
                          "proxy_trusted = 2001:db8::/32\n"
                          "[listener d]\naddress = 127.0.0.1:0\nproxy_protocol = off\n"
                          "proxy_trusted = 10.0.0.1\n");
  auto cfg = good();
  ASSERT_EQ(cfg->listeners.size(), 4u);
  const auto& a = cfg->listeners[0];
  EXPECT_EQ(a.proxyProtocol, ProxyProtocol::V1);
  EXPECT_EQ(a.proxyTrusted.toString(), "10.0.0.0/8 127.0.0.1/32 ::1/128");
  EXPECT_TRUE(a.proxyTrusted.contains(*IpAddress::parse("10.2.3.4")));
  EXPECT_FALSE(a.proxyTrusted.contains(*IpAddress::parse("192.0.2.1")));
  EXPECT_EQ(cfg->listeners[1].proxyProtocol, ProxyProtocol::V2);
  EXPECT_EQ(cfg->listeners[2].proxyProtocol, ProxyProtocol::Any);
  EXPECT_TRUE(cfg->listeners[2].proxyTrusted.contains(*IpAddress::parse("2001:db8::7")));
  // Off with a trusted list is fine (prepared for later).
  EXPECT_EQ(cfg->listeners[3].proxyProtocol, ProxyProtocol::Off);
  EXPECT_FALSE(cfg->listeners[3].proxyTrusted.empty());
}

TEST_F(ConfigTest, ProxyProtocolBadModeNamesFileLine) {
  dir_.write("00-x.conf", std::string(kListener) + "proxy_protocol = yes\n");
  auto text = oneError();
  EXPECT_THAT(text, HasSubstr(file("00-x.conf") + ":3: [listener main] proxy_protocol: "));
  EXPECT_THAT(text, HasSubstr("off, v1, v2 or any"));
}

TEST_F(ConfigTest, ProxyTrustedBadPrefixNamesFileLine) {
  dir_.write("00-x.conf", std::string(kListener) + "proxy_protocol = v2\n"
                                                   "proxy_trusted = 10.0.0.0/8 lb.example\n");
  auto text = oneError();
  EXPECT_THAT(text, HasSubstr(file("00-x.conf") + ":4: [listener main] proxy_trusted: "));
  EXPECT_THAT(text, HasSubstr("'lb.example'"));
}

TEST_F(ConfigTest, ProxyProtocolOnNeedsTrustedPeers) {
  dir_.write("00-x.conf", std::string(kListener) + "proxy_protocol = any\n");
  auto text = oneError();
  EXPECT_THAT(text, HasSubstr(file("00-x.conf") + ":3: [listener main] proxy_protocol: "));
  EXPECT_THAT(text, HasSubstr("needs proxy_trusted"));

  dir_.write("00-x.conf", std::string(kListener) + "proxy_protocol = v1\nproxy_trusted =\n");
  EXPECT_THAT(oneError(), HasSubstr("needs proxy_trusted"));
}

TEST_F(ConfigTest, ProxyProtocolTrustedMayComeFromALaterFileOrOverride) {
  dir_.write("00-x.conf", std::string(kListener) + "proxy_protocol = v2\n");
  dir_.write("50-local.conf", "[listener main]\nproxy_trusted = 10.0.0.0/8\n");
  auto cfg = good();
  EXPECT_EQ(cfg->listeners[0].proxyProtocol, ProxyProtocol::V2);
  EXPECT_TRUE(cfg->listeners[0].proxyTrusted.contains(*IpAddress::parse("10.9.9.9")));

  dir_.write("50-local.conf", "");
  auto over = good({"listener main.proxy_trusted=127.0.0.1"});
  EXPECT_TRUE(over->listeners[0].proxyTrusted.contains(*IpAddress::parse("127.0.0.1")));
  // An override can switch it on; then the error names the --set option.
  dir_.write("00-x.conf", kListener);
  EXPECT_THAT(oneError({"listener main.proxy_protocol=v1"}), HasSubstr("--set:1: "));
}

TEST(ShippedConfig, ProxyProtocolOffInTheShippedListener) {
  auto result = loadConfig(std::filesystem::path(EXAPROXY_SOURCE_DIR) / "conf.d", {});
  ASSERT_TRUE(result.errors.empty()) << allErrors(result);
  EXPECT_EQ(result.config->listeners[0].proxyProtocol, ProxyProtocol::Off);
  EXPECT_TRUE(result.config->listeners[0].proxyTrusted.empty());
}
