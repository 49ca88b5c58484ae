// The host's configuration: conf.d read into (file, line, section, key, value) entries, then
// validated into a typed, immutable HostConfig. Loops share it as std::shared_ptr<const
// HostConfig>; SIGHUP builds a new one and swaps it in only if it validates.
#pragma once

#include "core/ip_address.h"
#include "core/port_set.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace exaproxy {

// One `key = value` line, wherever it came from. --set overrides have file "--set" and line = the
// 1-based index of the --set option on the command line.
struct ConfigEntry {
  std::string file; // path as given (conf dir joined with the file name)
  int line = 0;
  std::string section; // e.g. "server", "listener main"
  std::string key;
  std::string value;
};

// "file:line: [section] key: message" (key and section omitted when not known).
struct ConfigError {
  std::string file;
  int line = 0;
  std::string section;
  std::string key;
  std::string message;
  std::string toString() const;
};

// Whether a listener requires a PROXY protocol header (haproxy's, v1 text or v2 binary) before any
// HTTP byte. net/proxy_protocol.h maps it to its parser's mode (core cannot include net).
enum class ProxyProtocol { Off, V1, V2, Any };

struct ListenerConfig {
  std::string name;        // from "[listener NAME]"
  Endpoint address;        // port 0 = ephemeral (tests)
  bool routeByHost = true; // origin-form requests for other hosts are routed by their Host header
  std::string source;      // file:line of the section, for messages
  // proxy_protocol = off | v1 | v2 | any: when not off the header is required on every connection.
  ProxyProtocol proxyProtocol = ProxyProtocol::Off;
  // proxy_trusted: peers allowed to send that header (the load balancers). Empty = nobody; it must
  // not be empty when proxy_protocol is on (checked at load).
  CidrSet proxyTrusted;
};

// A plugin found in conf.d (NN-name.so, or NN-name.conf with [plugin] path = ...). The host core
// only records these; the plugin runtime (SDK issue) loads them.
struct PluginEntry {
  std::string name;                  // "NN-name" (orders the chain)
  std::filesystem::path library;     // the .so
  std::vector<ConfigEntry> settings; // every entry of its .conf except its [plugin] section
  // The operator's policy for this plugin, from its .conf's [plugin] section (host/plugin applies
  // it): how long a PENDING verdict may take, and what a timeout or an ERROR verdict becomes.
  std::chrono::milliseconds timeout{5000}; // [plugin] timeout
  bool allowOnTimeout = false;             // [plugin] on_timeout = allow | deny (default deny)
  bool allowOnError = false;               // [plugin] on_error = allow | deny (default deny)
  uint64_t bodyHoldMax = 1024 * 1024;      // [plugin] body_hold_max: body bytes it may hold
  // [plugin] required = yes | no (default yes): a refusal stops start-up / rejects the reload
  // (fail closed); no: the plugin is skipped with a log line and traffic flows without it.
  bool required = true;
};

struct HostConfig {
  // [server]
  unsigned loops = 0;              // 0 = auto (one per core)
  unsigned coalesceUs = 0;         // wake-up coalescing window of a busy loop (us), 0 = off
  std::string user;                // drop privileges to this user after binding (empty: stay)
  std::string name = "exaproxy";   // pseudonym in Via and on error pages; loop detection uses it
  std::filesystem::path templates; // error-page templates directory (empty: built-in pages)

  std::vector<ListenerConfig> listeners;

  // [acl]
  CidrSet allowClients;     // default 127.0.0.0/8 ::1/128
  CidrSet denyDestinations; // default 169.254.0.0/16 fe80::/10
  // Destinations on the proxy's own host (loopback, 0.0.0.0/8, ::, its interfaces' addresses) are
  // refused unless listed here; the web interface's listener is refused whatever this says.
  AddressPortSet allowLocalDestinations;
  // Squid's Safe_ports without the ports of schemes answered 501 anyway; CONNECT: SSL_ports.
  PortSet httpPorts{
      {{80, 80}, {443, 443}, {280, 280}, {488, 488}, {591, 591}, {777, 777}, {1025, 65535}}};
  PortSet connectPorts{{{443, 443}}};
  bool allowTrace = false;

  // [dns]
  std::vector<Endpoint> dnsServers; // empty: /etc/resolv.conf
  bool dnsHostsFile = true;
  bool preferIpv6 = false;                    // prefer = ipv4 | ipv6
  std::chrono::milliseconds dnsTimeout{2000}; // per try
  int dnsTries = 2;
  std::chrono::seconds dnsMinTtl{1};
  std::chrono::seconds dnsMaxTtl{3600};
  std::chrono::seconds dnsNegativeTtl{30};
  size_t dnsCacheSize = 10000;

  // [upstream]
  std::optional<IpAddress> bind4;  // source address for IPv4 connections
  std::optional<IpAddress> bind6;  // source address for IPv6 connections
  size_t poolPerDestination = 128; // idle keep-alive connections kept per upstream address
  bool splice = true;              // tunnels relay with splice(2) (kernel to kernel)

  // [limits]
  size_t maxConnections = 10000;
  size_t maxConnectionsPerClient = 1000;
  size_t maxRequestHead = 64 * 1024;
  size_t maxUri = 8 * 1024;
  uint64_t maxRequestBody = 0;                  // 0 = unlimited
  uint64_t maxDecodedBody = uint64_t{64} << 20; // a body plugins read decoded (ABI 1.7)
  uint64_t maxDecodeRatio = 100;                // decoded bytes per encoded byte, at most

  // [timeouts]
  std::chrono::milliseconds headerRead{30000};
  std::chrono::milliseconds idleKeepAlive{60000};
  std::chrono::milliseconds connect{10000};
  std::chrono::milliseconds firstByte{60000};
  std::chrono::milliseconds relayIdle{300000};
  std::chrono::milliseconds tunnelIdle{600000};
  std::chrono::milliseconds upstreamIdle{30000}; // pooled upstream connection lifetime when idle
  std::chrono::milliseconds drain{30000};
  // Before it: listeners stay open, /healthz says 503, every response says Connection: close.
  std::chrono::milliseconds drainAnnounce{0};

  // [log]
  std::string logLevel = "info"; // trace debug info warn error critical off
  std::string logFile;           // empty: stderr
  std::string accessLog = "-";   // "-" stdout, "off", or a path

  // [ui] the operator's web interface (host/ui); not live: a change needs a restart.
  bool uiEnabled = true;
  Endpoint uiListen{*IpAddress::parse("127.0.0.1"), 8080}; // port 0 = ephemeral (tests)
  unsigned uiThreads = 4;      // HTTP handler threads; the UI's own, never a loop's
  std::filesystem::path uiWww; // static files; empty: the source tree's www/, else the data dir's

  // [metrics] a listener serving /metrics and /healthz only (a Prometheus server on another host
  // scrapes it without reaching the UI's configuration and reload); off by default. enabled and
  // listen need a restart.
  bool metricsEnabled = false;
  Endpoint metricsListen{*IpAddress::parse("127.0.0.1"), 9180}; // port 0 = ephemeral (tests)
  CidrSet metricsClients; // who may scrape; default 127.0.0.0/8 ::1/128

  // [icap_server] an ICAP/1.0 service (host/icap) through which an ICAP client (Squid's
  // adaptation) has its requests (REQMOD) and responses (RESPMOD) judged by the plugin chain.
  // Off by default.
  bool icapServerEnabled = false;
  Endpoint icapServerListen{*IpAddress::parse("127.0.0.1"), 1344}; // port 0 = ephemeral (tests)
  CidrSet icapServerClients;            // default 127.0.0.0/8 ::1/128 (live)
  size_t icapServerMaxConnections = 64; // connections open at once
  uint64_t icapServerMaxBody = 1 << 20; // body bytes held to answer one REQMOD or RESPMOD

  // [workers] the blocking-work pool (host/workers): grows while queued work waits longer than
  // grow_after, shrinks after shrink_after without work, between min and max threads.
  size_t workersMin = 2;
  size_t workersMax = 16;
  std::chrono::milliseconds workersGrowAfter{50};
  std::chrono::milliseconds workersShrinkAfter{30000};

  std::vector<PluginEntry> plugins;
  std::vector<ConfigEntry> entries; // everything read, in order (the UI shows it with file:line)
  // SHA-256 of what conf.d holds (each *.conf and *.so: its name and content, in order), before
  // --set overrides, which differ per instance: instances meant to share one conf.d show the
  // same value (/api/v1/config, exaproxy_config_info), so drift between them is visible.
  std::string confHash;
};

struct ConfigLoad {
  std::shared_ptr<const HostConfig> config; // null when errors is not empty
  std::vector<ConfigError> errors;
};

// Where `[plugin] path = value` points (see config.cpp).
std::filesystem::path resolvePluginPath(const std::string& value, const std::filesystem::path& dir);

// Reads every top-level *.conf of dir in lexical order (never subfolders), applies overrides
// ("section.key=value"; the section is everything before the last '.' ahead of '=') and validates.
// Every problem is collected; none stops the reading early.
ConfigLoad loadConfig(const std::filesystem::path& dir, const std::vector<std::string>& overrides);

} // namespace exaproxy
