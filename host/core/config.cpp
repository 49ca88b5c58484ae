// conf.d -> HostConfig. Reading (ini_parser) and validating are separate so that every problem
// of every file is collected in one pass: an operator running --check sees all of them at once.
#include "core/config.h"

#include "core/ini_parser.h"
#include "core/units.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <system_error>

namespace exaproxy {

// `[plugin] path`: a bare file name ("xff.so") names a packaged plugin, looked up beside the
// running binary's build tree (<build>/plugins/, so the repository's conf.d works from a build)
// and then in the installed plugin directory; any other relative path is relative to conf.d.
std::filesystem::path resolvePluginPath(const std::string& value,
                                        const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  fs::path p(value);
  if (p.has_parent_path() || value.find('/') != std::string::npos)
    return (p.is_relative() ? dir / p : p).lexically_normal();
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path built = exe.parent_path().parent_path() / "plugins" / p;
    if (fs::exists(built, ec))
      return built;
  }
  return fs::path(EXAPROXY_PLUGINDIR) / p;
}

namespace fs = std::filesystem;

std::string ConfigError::toString() const {
  std::string out = file;
  if (line > 0)
    out += ":" + std::to_string(line);
  out += ": ";
  if (!section.empty())
    out += "[" + section + "] ";
  if (!key.empty())
    out += key + ": ";
  out += message;
  return out;
}

namespace {

constexpr const char* kDurationForm = "expected a duration like 30s, 500ms, 2m";
constexpr const char* kSizeForm = "expected a size like 65536, 64k, 1m";
constexpr const char* kBoolForm = "expected yes/no, true/false, on/off or 1/0";

// The keys each host section accepts; anything else is an error (a typo must not be ignored).
const std::map<std::string, std::vector<std::string>, std::less<>>& hostSections() {
  static const std::map<std::string, std::vector<std::string>, std::less<>> kSections = {
      {"server", {"loops", "coalesce_us", "user", "name", "templates"}},
      {"listener", {"address", "route_by_host", "proxy_protocol", "proxy_trusted"}},
      {"acl",
       {"allow_clients", "deny_destinations", "allow_local_destinations", "http_ports",
        "connect_ports", "allow_trace"}},
      {"dns",
       {"servers", "hosts_file", "prefer", "timeout", "tries", "min_ttl", "max_ttl", "negative_ttl",
        "cache_size"}},
      {"upstream", {"bind4", "bind6", "pool_per_destination", "splice"}},
      {"limits",
       {"max_connections", "max_connections_per_client", "max_request_head", "max_uri",
        "max_request_body"}},
      {"timeouts",
       {"header_read", "idle_keepalive", "connect", "first_byte", "relay_idle", "tunnel_idle",
        "upstream_idle", "drain"}},
      {"log", {"level", "file", "access_log"}},
      {"workers", {"min", "max", "grow_after", "shrink_after"}},
      {"ui", {"enabled", "listen", "threads", "www"}},
  };
  return kSections;
}

std::pair<std::string, std::string> splitSection(const std::string& section) {
  auto space = section.find(' ');
  if (space == std::string::npos)
    return {section, ""};
  return {section.substr(0, space), section.substr(space + 1)};
}

bool isHostKind(std::string_view kind) { return hostSections().count(kind) != 0; }

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

std::string joinKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys)
    out += (out.empty() ? "" : ", ") + k;
  return out;
}

struct Loader {
  fs::path dir;
  HostConfig cfg;
  std::vector<ConfigError> errors;
  // Listener name -> index in cfg.listeners, and whether an address was given.
  std::map<std::string, size_t> listenerIndex;
  std::vector<bool> listenerHasAddress;
  std::vector<std::pair<std::string, int>> listenerOrigin; // file, line of first mention
  // The entry that last set each host "section\nkey", for cross-field messages.
  std::map<std::string, ConfigEntry> lastSet;
  // Listener name -> the entry that last set its proxy_protocol (proxy_trusted is checked there).
  std::map<std::string, ConfigEntry> listenerProxyEntry;
  std::set<std::string> listenerProxyTrustedBad; // already reported: no second message

  void fail(const ConfigEntry& e, std::string message) {
    errors.push_back(ConfigError{e.file, e.line, e.section, e.key, std::move(message)});
  }

  // Checks a host section name; empty string when acceptable.
  static std::string sectionProblem(const std::string& section) {
    auto [kind, arg] = splitSection(section);
    if (!isHostKind(kind))
      return "unknown section (host sections: server, listener NAME, acl, dns, upstream, limits, "
             "timeouts, log, ui, workers; a plugin's sections belong in its own NN-name.conf)";
    if (kind == "listener" && arg.empty())
      return "a listener needs a name: [listener NAME]";
    if (kind != "listener" && !arg.empty())
      return "[" + kind + "] takes no name";
    return "";
  }

  ListenerConfig& listener(const std::string& name, const std::string& file, int line) {
    auto it = listenerIndex.find(name);
    if (it != listenerIndex.end())
      return cfg.listeners[it->second];
    ListenerConfig l;
    l.name = name;
    l.source = file + ":" + std::to_string(line);
    listenerIndex.emplace(name, cfg.listeners.size());
    cfg.listeners.push_back(std::move(l));
    listenerHasAddress.push_back(false);
    listenerOrigin.emplace_back(file, line);
    return cfg.listeners.back();
  }

  std::string resolvePath(const std::string& value) const {
    fs::path p(value);
    return (p.is_relative() ? dir / p : p).lexically_normal().string();
  }

  void applyHost(const ConfigEntry& e);

  // Setters return an error message, empty when the value was accepted.
  std::string setServer(const ConfigEntry& e);
  std::string setListener(const ConfigEntry& e);
  std::string setAcl(const ConfigEntry& e);
  std::string setDns(const ConfigEntry& e);
  std::string setUpstream(const ConfigEntry& e);
  std::string setLimits(const ConfigEntry& e);
  std::string setTimeouts(const ConfigEntry& e);
  std::string setLog(const ConfigEntry& e);
  std::string setWorkers(const ConfigEntry& e);
  std::string setUi(const ConfigEntry& e);

  void crossCheck();
};

std::string durationInto(const std::string& value, std::chrono::milliseconds& out, bool allowZero) {
  auto d = parseDuration(value);
  if (!d)
    return kDurationForm;
  if (!allowZero && d->count() == 0)
    return "must be more than 0";
  out = *d;
  return "";
}

std::string secondsInto(const std::string& value, std::chrono::seconds& out) {
  auto d = parseDuration(value);
  if (!d)
    return kDurationForm;
  if (d->count() % 1000 != 0)
    return "must be whole seconds (a DNS TTL has seconds granularity)";
  out = std::chrono::duration_cast<std::chrono::seconds>(*d);
  return "";
}

template <typename T>
std::string countInto(const std::string& value, T& out, uint64_t min, uint64_t max) {
  auto n = parseCount(value);
  if (!n)
    return "expected a whole number";
  if (*n < min || *n > max)
    return "must be between " + std::to_string(min) + " and " + std::to_string(max);
  out = static_cast<T>(*n);
  return "";
}

template <typename T>
std::string sizeInto(const std::string& value, T& out, uint64_t min, uint64_t max) {
  auto n = parseSize(value);
  if (!n)
    return kSizeForm;
  if (*n < min || *n > max)
    return "must be between " + formatSize(min) + " and " + formatSize(max);
  out = static_cast<T>(*n);
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

std::string Loader::setServer(const ConfigEntry& e) {
  const auto& v = e.value;
  if (e.key == "loops") {
    if (v == "auto") {
      cfg.loops = 0;
      return "";
    }
    auto r = countInto(v, cfg.loops, 1, 256);
    return r.empty() ? r : "expected auto or a number from 1 to 256";
  }
  if (e.key == "coalesce_us") {
    auto r = countInto(v, cfg.coalesceUs, 0, 1000);
    return r.empty() ? r : "expected microseconds from 0 (off) to 1000";
  }
  if (e.key == "user") {
    if (v.find_first_of(" \t") != std::string::npos)
      return "expected a user name (or nothing to keep the current user)";
    cfg.user = v;
    return "";
  }
  if (e.key == "name") {
    bool ok = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
    if (!ok)
      return "expected a token of letters, digits, '.', '-' or '_' (it is sent in Via)";
    cfg.name = v;
    return "";
  }
  // templates
  if (v.empty()) {
    cfg.templates.clear();
    return "";
  }
  auto path = resolvePath(v);
  std::error_code ec;
  if (!fs::is_directory(path, ec))
    return "'" + path + "' is not a directory";
  cfg.templates = path;
  return "";
}

std::string Loader::setListener(const ConfigEntry& e) {
  auto name = splitSection(e.section).second;
  auto& l = listener(name, e.file, e.line);
  if (e.key == "address") {
    auto ep = Endpoint::parse(e.value);
    if (!ep)
      return "expected an address and port like 127.0.0.1:3128, [::1]:3128 or 0.0.0.0:3128";
    l.address = *ep;
    listenerHasAddress[listenerIndex[name]] = true;
    return "";
  }
  if (e.key == "proxy_protocol") {
    static const std::map<std::string, ProxyProtocol, std::less<>> kModes = {
        {"off", ProxyProtocol::Off},
        {"v1", ProxyProtocol::V1},
        {"v2", ProxyProtocol::V2},
        {"any", ProxyProtocol::Any}};
    auto it = kModes.find(e.value);
    if (it == kModes.end())
      return "expected off, v1, v2 or any";
    l.proxyProtocol = it->second;
    listenerProxyEntry[name] = e;
    return "";
  }
  if (e.key == "proxy_trusted") {
    auto problem = cidrsInto(e.value, l.proxyTrusted, true);
    if (problem.empty())
      listenerProxyTrustedBad.erase(name);
    else
      listenerProxyTrustedBad.insert(name);
    return problem;
  }
  return boolInto(e.value, l.routeByHost);
}

std::string Loader::setAcl(const ConfigEntry& e) {
  if (e.key == "allow_clients")
    return cidrsInto(e.value, cfg.allowClients, false);
  if (e.key == "deny_destinations")
    return cidrsInto(e.value, cfg.denyDestinations, true);
  if (e.key == "allow_trace")
    return boolInto(e.value, cfg.allowTrace);
  std::string why;
  if (e.key == "allow_local_destinations") {
    auto rules = AddressPortSet::parse(e.value, &why);
    if (rules)
      cfg.allowLocalDestinations = std::move(*rules);
    return why;
  }
  // http_ports, connect_ports: ports and ranges, strictly parsed ("443-" is an error, not wide).
  auto ports = PortSet::parse(e.value, &why);
  if (ports)
    (e.key == "http_ports" ? cfg.httpPorts : cfg.connectPorts) = std::move(*ports);
  return why;
}

std::string Loader::setDns(const ConfigEntry& e) {
  const auto& v = e.value;
  if (e.key == "servers") {
    std::vector<Endpoint> servers;
    for (const auto& item : splitList(v)) {
      auto ep = Endpoint::parse(item);
      if (!ep) {
        // A bare address means the standard port.
        auto ip = IpAddress::parse(item);
        if (ip)
          ep = Endpoint{*ip, 53};
      }
      if (!ep)
        return "'" + item + "' is not a server like 192.0.2.53, 127.0.0.1:5353 or [::1]:53";
      servers.push_back(*ep);
    }
    cfg.dnsServers = std::move(servers);
    return "";
  }
  if (e.key == "hosts_file")
    return boolInto(v, cfg.dnsHostsFile);
  if (e.key == "prefer") {
    if (v != "ipv4" && v != "ipv6")
      return "expected ipv4 or ipv6";
    cfg.preferIpv6 = v == "ipv6";
    return "";
  }
  if (e.key == "timeout")
    return durationInto(v, cfg.dnsTimeout, false);
  if (e.key == "tries")
    return countInto(v, cfg.dnsTries, 1, 10);
  if (e.key == "min_ttl")
    return secondsInto(v, cfg.dnsMinTtl);
  if (e.key == "max_ttl")
    return secondsInto(v, cfg.dnsMaxTtl);
  if (e.key == "negative_ttl")
    return secondsInto(v, cfg.dnsNegativeTtl);
  return countInto(v, cfg.dnsCacheSize, 0, 100'000'000); // cache_size; 0 = no cache
}

std::string Loader::setUpstream(const ConfigEntry& e) {
  if (e.key == "pool_per_destination")
    return countInto(e.value, cfg.poolPerDestination, 0, 100'000); // 0 = no pooling
  if (e.key == "splice")
    return boolInto(e.value, cfg.splice);
  bool v4 = e.key == "bind4";
  auto& slot = v4 ? cfg.bind4 : cfg.bind6;
  if (e.value.empty()) {
    slot.reset();
    return "";
  }
  auto ip = IpAddress::parse(e.value);
  if (!ip || ip->isV4() != v4)
    return v4 ? "expected an IPv4 address like 192.0.2.1"
              : "expected an IPv6 address like 2001:db8::1";
  slot = *ip;
  return "";
}

std::string Loader::setLimits(const ConfigEntry& e) {
  constexpr uint64_t kMaxCount = 100'000'000;
  constexpr uint64_t kMaxHead = uint64_t{64} << 20;
  const auto& v = e.value;
  if (e.key == "max_connections")
    return countInto(v, cfg.maxConnections, 1, kMaxCount);
  if (e.key == "max_connections_per_client")
    return countInto(v, cfg.maxConnectionsPerClient, 1, kMaxCount);
  if (e.key == "max_request_head")
    return sizeInto(v, cfg.maxRequestHead, 1, kMaxHead);
  if (e.key == "max_uri")
    return sizeInto(v, cfg.maxUri, 1, kMaxHead);
  return sizeInto(v, cfg.maxRequestBody, 0, UINT64_MAX); // max_request_body; 0 = unlimited
}

std::string Loader::setTimeouts(const ConfigEntry& e) {
  const auto& v = e.value;
  if (e.key == "header_read")
    return durationInto(v, cfg.headerRead, false);
  if (e.key == "idle_keepalive")
    return durationInto(v, cfg.idleKeepAlive, false);
  if (e.key == "connect")
    return durationInto(v, cfg.connect, false);
  if (e.key == "first_byte")
    return durationInto(v, cfg.firstByte, false);
  if (e.key == "relay_idle")
    return durationInto(v, cfg.relayIdle, false);
  if (e.key == "tunnel_idle")
    return durationInto(v, cfg.tunnelIdle, false);
  if (e.key == "upstream_idle")
    return durationInto(v, cfg.upstreamIdle, false);
  return durationInto(v, cfg.drain, true); // drain 0: close at once on SIGTERM
}

std::string Loader::setLog(const ConfigEntry& e) {
  const auto& v = e.value;
  if (e.key == "level") {
    static const std::set<std::string, std::less<>> kLevels = {"trace", "debug",    "info", "warn",
                                                               "error", "critical", "off"};
    if (!kLevels.count(v))
      return "expected trace, debug, info, warn, error, critical or off";
    cfg.logLevel = v;
    return "";
  }
  if (e.key == "file") {
    cfg.logFile = v.empty() ? v : resolvePath(v);
    return "";
  }
  // access_log
  if (v.empty())
    return "expected '-' (stdout), 'off' or a file path";
  cfg.accessLog = (v == "-" || v == "off") ? v : resolvePath(v);
  return "";
}

std::string Loader::setUi(const ConfigEntry& e) {
  const auto& v = e.value;
  if (e.key == "enabled")
    return boolInto(v, cfg.uiEnabled);
  if (e.key == "listen") {
    auto ep = Endpoint::parse(v);
    if (!ep)
      return "expected an address and port like 127.0.0.1:8080 or [::1]:8080";
    cfg.uiListen = *ep;
    return "";
  }
  if (e.key == "threads")
    return countInto(v, cfg.uiThreads, 1, 64);
  // www
  if (v.empty()) {
    cfg.uiWww.clear();
    return "";
  }
  auto path = resolvePath(v);
  std::error_code ec;
  if (!fs::is_directory(path, ec))
    return "'" + path + "' is not a directory";
  cfg.uiWww = path;
  return "";
}

std::string Loader::setWorkers(const ConfigEntry& e) {
  const auto& v = e.value;
  if (e.key == "min")
    return countInto(v, cfg.workersMin, 0, 1024);
  if (e.key == "max")
    return countInto(v, cfg.workersMax, 1, 1024);
  if (e.key == "grow_after")
    return durationInto(v, cfg.workersGrowAfter, false);
  return durationInto(v, cfg.workersShrinkAfter, false); // shrink_after
}

// The host's keys of a plugin's [plugin] section (path is handled by the caller). Returns an
// error message, empty when the value was accepted.
std::string setPluginPolicy(const ConfigEntry& e, PluginEntry& p) {
  auto policy = [&](bool& allow) -> std::string {
    if (e.value != "allow" && e.value != "deny")
      return "expected allow or deny";
    allow = e.value == "allow";
    return "";
  };
  if (e.key == "timeout")
    return durationInto(e.value, p.timeout, false);
  if (e.key == "on_timeout")
    return policy(p.allowOnTimeout);
  if (e.key == "on_error")
    return policy(p.allowOnError);
  return "unknown key (known: path, timeout, on_timeout, on_error)";
}

void Loader::applyHost(const ConfigEntry& e) {
  auto kind = splitSection(e.section).first;
  const auto& keys = hostSections().find(kind)->second;
  if (std::find(keys.begin(), keys.end(), e.key) == keys.end()) {
    fail(e, "unknown key (known: " + joinKeys(keys) + ")");
    return;
  }
  std::string problem;
  if (kind == "server")
    problem = setServer(e);
  else if (kind == "listener")
    problem = setListener(e);
  else if (kind == "acl")
    problem = setAcl(e);
  else if (kind == "dns")
    problem = setDns(e);
  else if (kind == "upstream")
    problem = setUpstream(e);
  else if (kind == "limits")
    problem = setLimits(e);
  else if (kind == "timeouts")
    problem = setTimeouts(e);
  else if (kind == "ui")
    problem = setUi(e);
  else if (kind == "workers")
    problem = setWorkers(e);
  else
    problem = setLog(e);
  if (!problem.empty())
    fail(e, problem);
  else if (kind != "listener")
    lastSet[kind + "\n" + e.key] = e;
}

void Loader::crossCheck() {
  // Reports at the entry that set `key` (or `other` if only that one was set).
  auto conflict = [this](const char* section, const char* key, const char* other,
                         std::string message) {
    auto it = lastSet.find(std::string(section) + "\n" + key);
    if (it == lastSet.end())
      it = lastSet.find(std::string(section) + "\n" + other);
    if (it != lastSet.end())
      fail(it->second, std::move(message));
    else
      errors.push_back(ConfigError{dir.string(), 0, section, key, std::move(message)});
  };
  if (cfg.dnsMinTtl > cfg.dnsMaxTtl)
    conflict("dns", "min_ttl", "max_ttl", "min_ttl must not be larger than max_ttl");
  if (cfg.dnsNegativeTtl > cfg.dnsMaxTtl)
    conflict("dns", "negative_ttl", "max_ttl", "negative_ttl must not be larger than max_ttl");
  if (cfg.maxConnectionsPerClient > cfg.maxConnections)
    conflict("limits", "max_connections_per_client", "max_connections",
             "max_connections_per_client must not be larger than max_connections");
  if (cfg.workersMin > cfg.workersMax)
    conflict("workers", "min", "max", "min must not be larger than max");
  if (cfg.maxUri > cfg.maxRequestHead)
    conflict("limits", "max_uri", "max_request_head",
             "max_uri must not be larger than max_request_head (the URI is part of the head)");

  for (size_t i = 0; i < cfg.listeners.size(); ++i) {
    const auto& l = cfg.listeners[i];
    // A PROXY header lets its sender choose the client address: someone must be trusted to send
    // it, and nobody is by default. Reported where proxy_protocol was switched on.
    if (l.proxyProtocol != ProxyProtocol::Off && l.proxyTrusted.empty() &&
        !listenerProxyTrustedBad.count(l.name)) {
      auto it = listenerProxyEntry.find(l.name);
      if (it != listenerProxyEntry.end())
        fail(it->second, "needs proxy_trusted = the load balancers' addresses or prefixes "
                         "(nobody is trusted to send a PROXY header by default)");
    }
    ConfigError err{listenerOrigin[i].first, listenerOrigin[i].second, "listener " + l.name,
                    "address", ""};
    if (!listenerHasAddress[i]) {
      err.message = "a listener needs an address, like address = 127.0.0.1:3128";
      errors.push_back(err);
      continue;
    }
    // Port 0 asks the kernel for a fresh port each time, so it never collides.
    for (size_t j = 0; j < i; ++j)
      if (listenerHasAddress[j] && l.address.port != 0 && cfg.listeners[j].address == l.address) {
        err.message = "same address as [listener " + cfg.listeners[j].name + "] at " +
                      cfg.listeners[j].source;
        errors.push_back(err);
      }
  }
  if (cfg.listeners.empty())
    errors.push_back(ConfigError{dir.string(), 0, "", "",
                                 "no [listener NAME] section: the proxy would accept nothing"});
}

// "section.key=value" -> entry, the section being everything before the last '.' ahead of '='.
std::optional<ConfigEntry> parseOverride(const std::string& text, int index, std::string& why) {
  ConfigEntry e;
  e.file = "--set";
  e.line = index;
  auto eq = text.find('=');
  if (eq == std::string::npos) {
    why = "expected section.key=value";
    return std::nullopt;
  }
  std::string left = text.substr(0, eq);
  auto dot = left.rfind('.');
  if (dot == std::string::npos) {
    why = "expected section.key=value (no '.' between section and key)";
    return std::nullopt;
  }
  auto section = normaliseSectionName(left.substr(0, dot), &why);
  if (!section)
    return std::nullopt;
  auto trim = [](std::string s) {
    auto b = s.find_first_not_of(" \t");
    auto eIdx = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, eIdx - b + 1);
  };
  e.section = *section;
  e.key = trim(left.substr(dot + 1));
  for (auto& c : e.key)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (e.key.empty() || e.key.find_first_of(" \t") != std::string::npos) {
    why = "expected section.key=value (bad key)";
    return std::nullopt;
  }
  e.value = trim(text.substr(eq + 1));
  return e;
}

} // namespace

ConfigLoad loadConfig(const fs::path& dir, const std::vector<std::string>& overrides) {
  Loader loader;
  loader.dir = dir;
  loader.cfg.allowClients = CidrSet({*Cidr::parse("127.0.0.0/8"), *Cidr::parse("::1/128")});
  loader.cfg.denyDestinations =
      CidrSet({*Cidr::parse("169.254.0.0/16"), *Cidr::parse("fe80::/10")});

  ConfigLoad result;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    result.errors.push_back(
        ConfigError{dir.string(), 0, "", "",
                    ec ? "cannot read the configuration directory: " + ec.message()
                       : "not a directory (or does not exist)"});
    return result;
  }

  // Top-level regular files only: subfolders (conf.d/examples/) are a shelf, hidden files are
  // editor and package-manager leftovers.
  std::vector<std::string> names;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.empty() || name[0] == '.')
      continue;
    auto ext = it->path().extension();
    if (ext != ".conf" && ext != ".so")
      continue;
    std::error_code typeEc;
    if (!it->is_regular_file(typeEc))
      continue;
    names.push_back(name);
  }
  if (ec) {
    result.errors.push_back(
        ConfigError{dir.string(), 0, "", "", "cannot list the directory: " + ec.message()});
    return result;
  }
  std::sort(names.begin(), names.end());
  std::set<std::string> libraries; // stems of the .so files
  for (const auto& n : names)
    if (fs::path(n).extension() == ".so")
      libraries.insert(fs::path(n).stem().string());

  std::map<std::string, PluginEntry> plugins;
  for (const auto& stem : libraries) {
    plugins[stem].name = stem;
    plugins[stem].library = dir / (stem + ".so");
  }

  for (const auto& n : names) {
    fs::path file(n);
    if (file.extension() != ".conf")
      continue;
    auto stem = file.stem().string();
    auto doc = parseIniFile(dir / file);
    loader.errors.insert(loader.errors.end(), doc.errors.begin(), doc.errors.end());
    loader.cfg.entries.insert(loader.cfg.entries.end(), doc.entries.begin(), doc.entries.end());

    bool hasPluginSection = std::any_of(doc.sections.begin(), doc.sections.end(),
                                        [](const IniSection& s) { return s.name == "plugin"; });
    if (hasPluginSection || libraries.count(stem)) {
      // A plugin's own settings: the host records them and the plugin validates them.
      auto& p = plugins[stem];
      p.name = stem;
      const ConfigEntry* pathEntry = nullptr;
      std::vector<std::pair<ConfigEntry, std::string>> policyProblems;
      for (const auto& e : doc.entries) {
        if (e.section == "plugin" && e.key == "path") {
          pathEntry = &e;
          continue;
        }
        // [plugin] policy keys are the host's (the plugin runtime does not offer the [plugin]
        // section to the plugin); they stay in settings so --check and the UI show them in place.
        if (e.section == "plugin") {
          auto problem = setPluginPolicy(e, p);
          if (!problem.empty())
            policyProblems.emplace_back(e, problem);
        }
        p.settings.push_back(e);
      }
      if (pathEntry && libraries.count(stem))
        loader.fail(*pathEntry, "both " + stem + ".so and a [plugin] path: remove one");
      else if (pathEntry && pathEntry->value.empty())
        loader.fail(*pathEntry, "expected the path of the plugin's .so");
      else if (pathEntry)
        p.library = resolvePluginPath(pathEntry->value, loader.dir);
      else if (!libraries.count(stem)) {
        auto header = std::find_if(doc.sections.begin(), doc.sections.end(),
                                   [](const IniSection& s) { return s.name == "plugin"; });
        loader.errors.push_back(ConfigError{header->file, header->line, "plugin", "path",
                                            "a [plugin] section needs path = the plugin's .so"});
      }
      // Without a library the missing path is the one error worth reading.
      if (pathEntry || libraries.count(stem))
        for (const auto& [entry, problem] : policyProblems)
          loader.fail(entry, problem);
      continue;
    }

    // A host file. Sections are checked at their header (one message per bad section rather
    // than one per key); listeners are created in the order their headers appear.
    for (const auto& s : doc.sections) {
      auto problem = Loader::sectionProblem(s.name);
      if (!problem.empty()) {
        loader.errors.push_back(ConfigError{s.file, s.line, s.name, "", problem});
      } else if (splitSection(s.name).first == "listener") {
        loader.listener(splitSection(s.name).second, s.file, s.line);
      }
    }
    for (const auto& e : doc.entries)
      if (Loader::sectionProblem(e.section).empty())
        loader.applyHost(e);
  }

  int index = 0;
  for (const auto& text : overrides) {
    ++index;
    std::string why;
    auto e = parseOverride(text, index, why);
    if (!e) {
      loader.errors.push_back(ConfigError{"--set", index, "", "", why + ": '" + text + "'"});
      continue;
    }
    loader.cfg.entries.push_back(*e);
    auto kind = splitSection(e->section).first;
    if (isHostKind(kind)) {
      auto problem = Loader::sectionProblem(e->section);
      if (!problem.empty())
        loader.fail(*e, problem);
      else
        loader.applyHost(*e);
      continue;
    }
    // Not a host section: it may be a section of exactly one plugin's .conf.
    std::vector<PluginEntry*> owners;
    for (auto& named : plugins)
      if (std::any_of(named.second.settings.begin(), named.second.settings.end(),
                      [&](const ConfigEntry& s) { return s.section == e->section; }))
        owners.push_back(&named.second);
    if (kind == "plugin")
      loader.fail(*e, "a plugin's path cannot be overridden with --set");
    else if (owners.size() == 1)
      owners.front()->settings.push_back(*e);
    else if (owners.empty())
      loader.fail(*e, Loader::sectionProblem(e->section));
    else
      loader.fail(*e, "section is used by several plugins; edit their .conf files instead");
  }

  loader.crossCheck();
  for (auto& named : plugins) // std::map: ordered by name, which orders the chain
    loader.cfg.plugins.push_back(std::move(named.second));

  if (!loader.errors.empty()) {
    result.errors = std::move(loader.errors);
    return result;
  }
  result.config = std::make_shared<const HostConfig>(std::move(loader.cfg));
  return result;
}

} // namespace exaproxy
