// The key tables. Each row binds a key to a member through a small typed descriptor (duration,
// count, size, boolean, cidrs, ports, endpoint, directory, oneOf...) that parses the value with
// the units.h / port_set.h / ip_address.h parsers and states what was expected when it fails.
#include "core/config_schema.h"

#include "core/units.h"

#include <algorithm>
#include <cctype>
#include <system_error>
#include <utility>

namespace exaproxy {

namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kDurationForm = "expected a duration like 30s, 500ms, 2m";
constexpr const char* kSizeForm = "expected a size like 65536, 64k, 1m";
constexpr const char* kBoolForm = "expected yes/no, true/false, on/off or 1/0";

// Items of a list value: separated by whitespace and/or commas.
std::vector<std::string> splitList(std::string_view value) {
  std::vector<std::string> items;
  std::string current;
  for (char c : value) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!current.empty())
        items.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty())
    items.push_back(std::move(current));
  return items;
}

std::string resolvePath(const std::string& value, const fs::path& dir) {
  fs::path p(value);
  return (p.is_relative() ? dir / p : p).lexically_normal().string();
}

// ---- value parsers: write `out` only when the value is accepted; return the problem or "" ----

std::string durationInto(const std::string& value, milliseconds& out, bool allowZero) {
  auto d = parseDuration(value);
  if (!d)
    return kDurationForm;
  if (!allowZero && d->count() == 0)
    return "must be more than 0";
  out = *d;
  return "";
}

std::string secondsInto(const std::string& value, seconds& out) {
  auto d = parseDuration(value);
  if (!d)
    return kDurationForm;
  if (d->count() % 1000 != 0)
    return "must be whole seconds (a DNS TTL has seconds granularity)";
  out = std::chrono::duration_cast<seconds>(*d);
  return "";
}

template <typename N>
std::string countInto(const std::string& value, N& out, uint64_t min, uint64_t max) {
  auto n = parseCount(value);
  if (!n)
    return "expected a whole number";
  if (*n < min || *n > max)
    return "must be between " + std::to_string(min) + " and " + std::to_string(max);
  out = static_cast<N>(*n);
  return "";
}

template <typename N>
std::string sizeInto(const std::string& value, N& out, uint64_t min, uint64_t max) {
  auto n = parseSize(value);
  if (!n)
    return kSizeForm;
  if (*n < min || *n > max)
    return "must be between " + formatSize(min) + " and " + formatSize(max);
  out = static_cast<N>(*n);
  return "";
}

std::string boolInto(const std::string& value, bool& out) {
  auto b = parseBool(value);
  if (!b)
    return kBoolForm;
  out = *b;
  return "";
}

std::string cidrsInto(const std::string& value, CidrSet& out, bool allowEmpty) {
  std::vector<Cidr> cidrs;
  for (const auto& item : splitList(value)) {
    auto c = Cidr::parse(item);
    if (!c)
      return "'" + item + "' is not an address or prefix like 10.0.0.0/8 or 2001:db8::/32";
    cidrs.push_back(*c);
  }
  if (cidrs.empty() && !allowEmpty)
    return "expected at least one address or prefix like 127.0.0.0/8";
  out = CidrSet(std::move(cidrs));
  return "";
}

// Empty: none (the built-in default); otherwise an existing directory, relative to conf.d.
std::string directoryInto(const std::string& value, fs::path& out, const fs::path& dir) {
  if (value.empty()) {
    out.clear();
    return "";
  }
  auto path = resolvePath(value, dir);
  std::error_code ec;
  if (!fs::is_directory(path, ec))
    return "'" + path + "' is not a directory";
  out = path;
  return "";
}

// ---- descriptors: a parser bound to a member, and the member's comparison ----

template <typename M> bool equal(const M& a, const M& b) { return a == b; }
bool equal(const CidrSet& a, const CidrSet& b) { return a.toString() == b.toString(); }
bool equal(const AddressPortSet& a, const AddressPortSet& b) {
  return a.toString() == b.toString();
}

template <typename T> struct Value {
  decltype(KeySpec<T>::parse) parse;
  decltype(KeySpec<T>::same) same;
};

// f(M& member, const std::string& value, const fs::path& dir) -> problem.
template <typename T, typename M, typename F> Value<T> bind(M T::*member, F f) {
  return {
      [member, f](T& t, const std::string& v, const fs::path& dir) { return f(t.*member, v, dir); },
      [member](const T& a, const T& b) { return equal(a.*member, b.*member); }};
}

template <typename T> Value<T> duration(milliseconds T::*m, bool allowZero = false) {
  return bind(m, [allowZero](milliseconds& out, const std::string& v, const fs::path&) {
    return durationInto(v, out, allowZero);
  });
}

template <typename T> Value<T> wholeSeconds(seconds T::*m) {
  return bind(
      m, [](seconds& out, const std::string& v, const fs::path&) { return secondsInto(v, out); });
}

// A count in [min, max]; `form`, when given, replaces the whole message on any problem.
template <typename T, typename M>
Value<T> count(M T::*m, uint64_t min, uint64_t max, std::string form = "") {
  return bind(m, [=](M& out, const std::string& v, const fs::path&) {
    auto problem = countInto(v, out, min, max);
    return problem.empty() || form.empty() ? problem : form;
  });
}

template <typename T, typename M> Value<T> size(M T::*m, uint64_t min, uint64_t max) {
  return bind(
      m, [=](M& out, const std::string& v, const fs::path&) { return sizeInto(v, out, min, max); });
}

template <typename T> Value<T> boolean(bool T::*m) {
  return bind(m, [](bool& out, const std::string& v, const fs::path&) { return boolInto(v, out); });
}

template <typename T> Value<T> cidrs(CidrSet T::*m, bool allowEmpty) {
  return bind(m, [allowEmpty](CidrSet& out, const std::string& v, const fs::path&) {
    return cidrsInto(v, out, allowEmpty);
  });
}

// Ports and ranges, strictly parsed ("443-" is an error, not wide).
template <typename T> Value<T> ports(PortSet T::*m) {
  return bind(m, [](PortSet& out, const std::string& v, const fs::path&) {
    std::string why;
    if (auto parsed = PortSet::parse(v, &why))
      out = std::move(*parsed);
    return why;
  });
}

template <typename T> Value<T> addressPorts(AddressPortSet T::*m) {
  return bind(m, [](AddressPortSet& out, const std::string& v, const fs::path&) {
    std::string why;
    if (auto parsed = AddressPortSet::parse(v, &why))
      out = std::move(*parsed);
    return why;
  });
}

template <typename T> Value<T> endpoint(Endpoint T::*m, std::string form) {
  return bind(m, [form](Endpoint& out, const std::string& v, const fs::path&) {
    auto ep = Endpoint::parse(v);
    if (!ep)
      return form;
    out = *ep;
    return std::string();
  });
}

template <typename T> Value<T> directory(fs::path T::*m) {
  return bind(m, [](fs::path& out, const std::string& v, const fs::path& dir) {
    return directoryInto(v, out, dir);
  });
}

// One of a few words, each meaning a value of the member: "expected a, b or c" otherwise.
template <typename T, typename M>
Value<T> oneOf(M T::*m, std::vector<std::pair<std::string, M>> choices) {
  std::string form = "expected ";
  for (size_t i = 0; i < choices.size(); ++i)
    form += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i].first;
  return bind(m, [choices, form](M& out, const std::string& v, const fs::path&) {
    for (const auto& [word, meaning] : choices)
      if (v == word) {
        out = meaning;
        return std::string();
      }
    return form;
  });
}

// An optional source address of one family; empty = none.
template <typename T> Value<T> bindAddress(std::optional<IpAddress> T::*m, bool v4) {
  return bind(m, [v4](std::optional<IpAddress>& out, const std::string& v, const fs::path&) {
    if (v.empty()) {
      out.reset();
      return std::string();
    }
    auto ip = IpAddress::parse(v);
    if (!ip || ip->isV4() != v4)
      return std::string(v4 ? "expected an IPv4 address like 192.0.2.1"
                            : "expected an IPv6 address like 2001:db8::1");
    out = *ip;
    return std::string();
  });
}

// ---- the few values with a syntax of their own ----

std::string loopsInto(unsigned& out, const std::string& v, const fs::path&) {
  if (v == "auto") {
    out = 0;
    return "";
  }
  auto problem = countInto(v, out, 1, 256);
  return problem.empty() ? problem : "expected auto or a number from 1 to 256";
}

std::string userInto(std::string& out, const std::string& v, const fs::path&) {
  if (v.find_first_of(" \t") != std::string::npos)
    return "expected a user name (or nothing to keep the current user)";
  out = v;
  return "";
}

std::string nameInto(std::string& out, const std::string& v, const fs::path&) {
  bool ok = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
  if (!ok)
    return "expected a token of letters, digits, '.', '-' or '_' (it is sent in Via)";
  out = v;
  return "";
}

// Name servers; a bare address means port 53.
std::string serversInto(std::vector<Endpoint>& out, const std::string& v, const fs::path&) {
  std::vector<Endpoint> servers;
  for (const auto& item : splitList(v)) {
    auto ep = Endpoint::parse(item);
    if (!ep)
      if (auto ip = IpAddress::parse(item))
        ep = Endpoint{*ip, 53};
    if (!ep)
      return "'" + item + "' is not a server like 192.0.2.53, 127.0.0.1:5353 or [::1]:53";
    servers.push_back(*ep);
  }
  out = std::move(servers);
  return "";
}

std::string logFileInto(std::string& out, const std::string& v, const fs::path& dir) {
  out = v.empty() ? v : resolvePath(v, dir);
  return "";
}

std::string accessLogInto(std::string& out, const std::string& v, const fs::path& dir) {
  if (v.empty())
    return "expected '-' (stdout), 'off' or a file path";
  out = (v == "-" || v == "off") ? v : resolvePath(v, dir);
  return "";
}

constexpr uint64_t kMaxCount = 100'000'000;
constexpr uint64_t kMaxHead = uint64_t{64} << 20;
constexpr Reload kRestart = Reload::Restart;
using H = HostConfig;
using HostKey = KeySpec<HostConfig>;

template <typename T>
KeySpec<T> row(std::string_view key, Value<T> value, std::string_view defaultText,
               std::string_view description, Reload reload = Reload::Live) {
  return KeySpec<T>{
      key, std::move(value.parse), std::move(value.same), defaultText, description, reload, false};
}

std::vector<HostSection> buildHostSchema() {
  std::vector<HostSection> s;
  s.push_back({"server",
               {row<H>("loops", bind(&H::loops, loopsInto), "auto",
                       "event loops: auto (one per core) or 1..256", kRestart),
                row<H>("coalesce_us",
                       count(&H::coalesceUs, 0, 1000, "expected microseconds from 0 (off) to 1000"),
                       "0", "wake-up coalescing window of a busy loop, in microseconds (0 = off)"),
                row<H>("user", bind(&H::user, userInto), "",
                       "drop privileges to this user after binding (empty: stay)", kRestart),
                row<H>("name", bind(&H::name, nameInto), "exaproxy",
                       "pseudonym in Via and on error pages; detects forwarding loops"),
                row<H>("templates", directory(&H::templates), "",
                       "error-page templates directory (empty: built-in pages)")}});
  s.push_back(
      {"acl",
       {row<H>("allow_clients", cidrs(&H::allowClients, false), "127.0.0.0/8 ::1/128",
               "clients allowed to use the proxy"),
        row<H>("deny_destinations", cidrs(&H::denyDestinations, true), "169.254.0.0/16 fe80::/10",
               "destinations never connected to"),
        row<H>("allow_local_destinations", addressPorts(&H::allowLocalDestinations), "",
               "addresses (and ports) of this host that may be destinations"),
        row<H>("http_ports", ports(&H::httpPorts), "80 443 280 488 591 777 1025-65535",
               "ports plain requests may go to"),
        row<H>("connect_ports", ports(&H::connectPorts), "443", "ports CONNECT may tunnel to"),
        row<H>("allow_trace", boolean(&H::allowTrace), "no", "allow the TRACE method")}});
  s.push_back(
      {"dns",
       {row<H>("servers", bind(&H::dnsServers, serversInto), "",
               "name servers (empty: /etc/resolv.conf)"),
        row<H>("hosts_file", boolean(&H::dnsHostsFile), "yes", "read /etc/hosts first"),
        row<H>("prefer", oneOf<H, bool>(&H::preferIpv6, {{"ipv4", false}, {"ipv6", true}}), "ipv4",
               "address family tried first"),
        row<H>("timeout", duration(&H::dnsTimeout), "2s", "time to wait for an answer, per try"),
        row<H>("tries", count(&H::dnsTries, 1, 10), "2", "tries per server"),
        row<H>("min_ttl", wholeSeconds(&H::dnsMinTtl), "1s", "shortest cache lifetime"),
        row<H>("max_ttl", wholeSeconds(&H::dnsMaxTtl), "1h", "longest cache lifetime"),
        row<H>("negative_ttl", wholeSeconds(&H::dnsNegativeTtl), "30s",
               "how long a failed lookup is remembered"),
        row<H>("cache_size", count(&H::dnsCacheSize, 0, kMaxCount), "10000",
               "names cached per loop (0 = no cache)")}});
  s.push_back(
      {"upstream",
       {row<H>("bind4", bindAddress(&H::bind4, true), "", "source address of IPv4 connections"),
        row<H>("bind6", bindAddress(&H::bind6, false), "", "source address of IPv6 connections"),
        row<H>("pool_per_destination", count(&H::poolPerDestination, 0, 100'000), "128",
               "idle keep-alive connections kept per upstream address (0 = no reuse)"),
        row<H>("splice", boolean(&H::splice), "yes", "relay tunnels with splice(2)")}});
  s.push_back(
      {"limits",
       {row<H>("max_connections", count(&H::maxConnections, 1, kMaxCount), "10000",
               "client connections open at once"),
        row<H>("max_connections_per_client", count(&H::maxConnectionsPerClient, 1, kMaxCount),
               "1000", "client connections open at once from one address"),
        row<H>("max_request_head", size(&H::maxRequestHead, 1, kMaxHead), "64k",
               "largest request line + headers"),
        row<H>("max_uri", size(&H::maxUri, 1, kMaxHead), "8k", "largest URI"),
        row<H>("max_request_body", size(&H::maxRequestBody, 0, UINT64_MAX), "0",
               "largest request body (0 = unlimited)"),
        row<H>("max_decoded_body", size(&H::maxDecodedBody, 1, UINT64_MAX), "64m",
               "largest body decoded (gzip, deflate) for plugins that read it decoded"),
        row<H>("max_decode_ratio", count(&H::maxDecodeRatio, 1, 100'000), "100",
               "most decoded bytes per encoded byte of such a body")}});
  s.push_back(
      {"timeouts",
       {row<H>("header_read", duration(&H::headerRead), "30s", "to send a complete request head"),
        row<H>("idle_keepalive", duration(&H::idleKeepAlive), "60s",
               "to start the next request on a kept-alive connection"),
        row<H>("connect", duration(&H::connect), "10s", "to connect upstream"),
        row<H>("first_byte", duration(&H::firstByte), "60s",
               "from the request sent to the response's first byte"),
        row<H>("relay_idle", duration(&H::relayIdle), "5m", "inactivity relaying a response"),
        row<H>("tunnel_idle", duration(&H::tunnelIdle), "10m", "inactivity in a CONNECT tunnel"),
        row<H>("upstream_idle", duration(&H::upstreamIdle), "30s",
               "lifetime of a pooled idle upstream connection"),
        row<H>("drain", duration(&H::drain, true), "30s",
               "on SIGTERM, time given to transactions in flight (0: close at once)"),
        row<H>(
            "drain_announce", duration(&H::drainAnnounce, true), "0s",
            "on SIGTERM first, time the proxy keeps accepting while /healthz answers 503 and "
            "every response closes its connection, so a load balancer sees the drain (0: none)")}});
  s.push_back(
      {"log",
       {row<H>("level",
               oneOf<H, std::string>(&H::logLevel, {{"trace", "trace"},
                                                    {"debug", "debug"},
                                                    {"info", "info"},
                                                    {"warn", "warn"},
                                                    {"error", "error"},
                                                    {"critical", "critical"},
                                                    {"off", "off"}}),
               "info", "diagnostic log level"),
        row<H>("file", bind(&H::logFile, logFileInto), "", "diagnostic log file (empty: stderr)"),
        row<H>("access_log", bind(&H::accessLog, accessLogInto), "-",
               "access log: - (stdout), off, or a file path")}});
  s.push_back(
      {"ui",
       {row<H>("enabled", boolean(&H::uiEnabled), "yes", "serve the web interface", kRestart),
        row<H>("listen",
               endpoint(&H::uiListen,
                        "expected an address and port like 127.0.0.1:8080 or [::1]:8080"),
               "127.0.0.1:8080", "the web interface's address and port", kRestart),
        row<H>("threads", count(&H::uiThreads, 1, 64), "4", "threads answering the interface",
               kRestart),
        row<H>("www", directory(&H::uiWww), "", "the interface's files (empty: the installed ones)",
               kRestart)}});
  s.push_back({"metrics",
               {row<H>("enabled", boolean(&H::metricsEnabled), "no",
                       "serve /metrics and /healthz (only) on their own listener", kRestart),
                row<H>("listen",
                       endpoint(&H::metricsListen,
                                "expected an address and port like 127.0.0.1:9180 or [::1]:9180"),
                       "127.0.0.1:9180", "the metrics listener's address and port", kRestart),
                row<H>("allow_clients", cidrs(&H::metricsClients, false), "127.0.0.0/8 ::1/128",
                       "clients allowed to scrape (others get 403)", kRestart)}});
  s.push_back({"icap_server",
               {row<H>("enabled", boolean(&H::icapServerEnabled), "no",
                       "serve the plugin chain over ICAP (REQMOD) to an ICAP client such as Squid",
                       kRestart),
                row<H>("listen",
                       endpoint(&H::icapServerListen,
                                "expected an address and port like 127.0.0.1:1344 or [::1]:1344"),
                       "127.0.0.1:1344", "the ICAP service's address and port", kRestart),
                row<H>("allow_clients", cidrs(&H::icapServerClients, false), "127.0.0.0/8 ::1/128",
                       "ICAP clients allowed to connect"),
                row<H>("max_connections", count(&H::icapServerMaxConnections, 1, 100'000), "64",
                       "ICAP connections open at once (also sent as Max-Connections)"),
                row<H>("max_body", size(&H::icapServerMaxBody, 0, uint64_t{1} << 30), "1m",
                       "body bytes held to answer one REQMOD or RESPMOD (larger: ICAP 413)")}});
  s.push_back({"workers",
               {row<H>("min", count(&H::workersMin, 0, 1024), "2", "fewest blocking-work threads"),
                row<H>("max", count(&H::workersMax, 1, 1024), "16", "most blocking-work threads"),
                row<H>("grow_after", duration(&H::workersGrowAfter), "50ms",
                       "add a thread when queued work waits longer than this"),
                row<H>("shrink_after", duration(&H::workersShrinkAfter), "30s",
                       "remove a thread idle for this long")}});
  return s;
}

std::vector<KeySpec<ListenerConfig>> buildListenerSchema() {
  using L = ListenerConfig;
  std::vector<KeySpec<L>> keys;
  keys.push_back(row<L>("address",
                        endpoint(&L::address, "expected an address and port like 127.0.0.1:3128, "
                                              "[::1]:3128 or 0.0.0.0:3128"),
                        "127.0.0.1:3128", "address and port to listen on (required)", kRestart));
  keys.back().required = true;
  keys.push_back(row<L>("route_by_host", boolean(&L::routeByHost), "yes",
                        "route origin-form requests by their Host header", kRestart));
  keys.push_back(row<L>("proxy_protocol",
                        oneOf<L, ProxyProtocol>(&L::proxyProtocol, {{"off", ProxyProtocol::Off},
                                                                    {"v1", ProxyProtocol::V1},
                                                                    {"v2", ProxyProtocol::V2},
                                                                    {"any", ProxyProtocol::Any}}),
                        "off", "require a PROXY protocol header: off, v1, v2 or any"));
  keys.push_back(row<L>("proxy_trusted", cidrs(&L::proxyTrusted, true), "",
                        "peers allowed to send that header (empty: nobody)"));
  return keys;
}

std::vector<KeySpec<PluginEntry>> buildPluginPolicySchema() {
  using P = PluginEntry;
  auto policy = [](bool P::*m) { return oneOf<P, bool>(m, {{"allow", true}, {"deny", false}}); };
  return {row<P>("timeout", duration(&P::timeout), "5s", "longest wait for a PENDING verdict"),
          row<P>("on_timeout", policy(&P::allowOnTimeout), "deny",
                 "what a verdict timeout becomes: allow or deny"),
          row<P>("on_error", policy(&P::allowOnError), "deny",
                 "what an ERROR verdict becomes: allow or deny"),
          row<P>("body_hold_max", size(&P::bodyHoldMax, 0, uint64_t{1} << 30), "1m",
                 "most body bytes the plugin may hold (on_body HOLD) before on_error applies"),
          row<P>("required", boolean(&P::required), "yes",
                 "yes: a plugin that cannot load stops start-up and rejects a reload; no: it is "
                 "skipped and traffic flows without it")};
}

} // namespace

const std::vector<HostSection>& hostSchema() {
  static const std::vector<HostSection> kSchema = buildHostSchema();
  return kSchema;
}

const std::vector<KeySpec<ListenerConfig>>& listenerSchema() {
  static const std::vector<KeySpec<ListenerConfig>> kSchema = buildListenerSchema();
  return kSchema;
}

const std::vector<KeySpec<PluginEntry>>& pluginPolicySchema() {
  static const std::vector<KeySpec<PluginEntry>> kSchema = buildPluginPolicySchema();
  return kSchema;
}

const HostSection* findHostSection(std::string_view kind) {
  const auto& schema = hostSchema();
  auto it = std::find_if(schema.begin(), schema.end(),
                         [&](const HostSection& s) { return s.name == kind; });
  return it == schema.end() ? nullptr : &*it;
}

const HostConfig& schemaDefaults() {
  static const HostConfig kDefaults = [] {
    HostConfig cfg;
    for (const auto& section : hostSchema())
      for (const auto& k : section.keys)
        k.parse(cfg, std::string(k.defaultText), fs::path()); // the tests check each one parses
    return cfg;
  }();
  return kDefaults;
}

std::vector<std::string> restartOnlyChanges(const HostConfig& running, const HostConfig& next) {
  std::vector<std::string> changed;
  bool sameListeners = running.listeners.size() == next.listeners.size();
  for (size_t i = 0; sameListeners && i < next.listeners.size(); ++i) {
    const auto& a = running.listeners[i];
    const auto& b = next.listeners[i];
    sameListeners = a.name == b.name;
    for (const auto& k : listenerSchema())
      if (k.reload == Reload::Restart && !k.same(a, b))
        sameListeners = false;
  }
  if (!sameListeners)
    changed.push_back("listeners");
  for (const auto& section : hostSchema())
    for (const auto& k : section.keys)
      if (k.reload == Reload::Restart && !k.same(running, next))
        changed.push_back(std::string(section.name) + "." + std::string(k.key));
  return changed;
}

} // namespace exaproxy
