#include "substitute_rules.h"

#include <exaproxy/text.hpp>

#include <arpa/inet.h>
#include <charconv>

namespace exaproxy::substitute {

namespace {

using sdk::concat;

bool parsePort(std::string_view text, uint16_t& port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535)
    return false;
  port = static_cast<uint16_t>(value);
  return true;
}

bool isNameOrIp(std::string_view s) { return isHostName(s) || isIpv4Literal(s); }

} // namespace

std::string hostPort(std::string_view host, uint16_t port) {
  std::string out;
  if (host.find(':') != std::string_view::npos)
    out.append("[").append(host).append("]");
  else
    out.append(host);
  out.append(":").append(std::to_string(port));
  return out;
}

bool isIpv4Literal(std::string_view s) {
  if (s.empty() || s.size() > 15)
    return false;
  std::string z(s);
  in_addr a{};
  return inet_pton(AF_INET, z.c_str(), &a) == 1;
}

bool isIpv6Literal(std::string_view s) {
  if (s.empty() || s.size() > 45 || s.find(':') == std::string_view::npos)
    return false;
  std::string z(s);
  in6_addr a{};
  return inet_pton(AF_INET6, z.c_str(), &a) == 1;
}

bool isHostName(std::string_view s) {
  if (s.empty() || s.size() > 253)
    return false;
  size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0)
        return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63)
      return false;
  }
  return label != 0;
}

bool parseTarget(std::string_view text, Target& out, std::string& why) {
  std::string lower = sdk::lower(sdk::trim(text));
  std::string_view t = lower;
  out = Target{};
  if (t.empty()) {
    why = "expected a substitute: name[:port], IPv4[:port] or [IPv6][:port]";
    return false;
  }
  std::string_view host = t, port;
  if (t.front() == '[') {
    auto close = t.find(']');
    if (close == std::string_view::npos) {
      why = "missing ']' after the IPv6 address";
      return false;
    }
    host = t.substr(1, close - 1);
    auto rest = t.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        why = "expected ':port' after ']'";
        return false;
      }
      port = rest.substr(1);
      if (port.empty()) {
        why = "missing port after ':'";
        return false;
      }
    }
    if (!isIpv6Literal(host)) {
      why = concat("'", host, "' is not an IPv6 address");
      return false;
    }
  } else if (t.find(':') != t.rfind(':')) {
    // Two colons or more without brackets: a bare IPv6 literal, no port.
    if (!isIpv6Literal(t)) {
      why = concat("'", t, "' is not an IPv6 address (write [v6]:port for a port)");
      return false;
    }
  } else if (auto colon = t.find(':'); colon != std::string_view::npos) {
    host = t.substr(0, colon);
    port = t.substr(colon + 1);
    if (port.empty()) {
      why = "missing port after ':'";
      return false;
    }
  }
  if (host.size() > 1 && host.back() == '.' && host.find(':') == std::string_view::npos)
    host.remove_suffix(1);
  if (host.find(':') == std::string_view::npos && !isNameOrIp(host)) {
    why = concat("'", host, "' is not a host name or an IP address");
    return false;
  }
  if (!port.empty() && !parsePort(port, out.port)) {
    why = concat("'", port, "' is not a port (1-65535)");
    return false;
  }
  out.host = std::string(host);
  return true;
}

std::unique_ptr<const SubstituteRules>
SubstituteRules::parse(const std::vector<Setting>& settings, std::vector<ConfigProblem>& problems) {
  auto rules = std::unique_ptr<SubstituteRules>(new SubstituteRules());
  size_t before = problems.size();
  auto fail = [&](const Setting& s, std::string message) {
    problems.push_back(ConfigProblem{s.index, s.file, s.line, std::move(message)});
  };
  // Later entries for the same pattern win (conf.d semantics: a later file or --set overrides).
  std::unordered_map<std::string, Rule*> byPattern;

  for (const auto& s : settings) {
    if (s.section != "substitute") {
      fail(s, "unknown section [" + s.section + "] (this plugin reads [substitute] only)");
      continue;
    }
    std::string key = sdk::lower(sdk::trim(s.key));
    if (key.size() > 1 && key.back() == '.')
      key.pop_back();
    bool wildcard = key.rfind("*.", 0) == 0;
    std::string_view name = wildcard ? std::string_view(key).substr(2) : std::string_view(key);
    if (!wildcard && name.size() > 2 && name.front() == '[' && name.back() == ']')
      name = name.substr(1, name.size() - 2);
    bool nameOk = wildcard ? isHostName(name) && !isIpv4Literal(name)
                           : isNameOrIp(name) || isIpv6Literal(name);
    if (!nameOk) {
      fail(s,
           "'" + s.key + "' is not a requested host: expected a name, *.domain, or an IP address");
      continue;
    }
    Target target;
    std::string why;
    if (!parseTarget(s.value, target, why)) {
      fail(s, why);
      continue;
    }
    std::string pattern = wildcard ? concat("*.", name) : std::string(name);
    if (auto it = byPattern.find(pattern); it != byPattern.end()) {
      it->second->target = target;
      continue;
    }
    auto rule = std::make_unique<Rule>();
    rule->pattern = pattern;
    rule->target = target;
    byPattern[pattern] = rule.get();
    (wildcard ? rules->wildcard_ : rules->exact_)[std::string(name)] = rule.get();
    rules->rules_.push_back(std::move(rule));
  }
  if (problems.size() != before)
    return nullptr;
  return rules;
}

std::optional<SubstituteRules::Match> SubstituteRules::find(std::string_view host) const {
  if (host.size() > 1 && host.back() == '.')
    host.remove_suffix(1);
  if (host.empty())
    return std::nullopt;
  // The maps are keyed by std::string: one key copy per probe, cheaper than a heterogeneous-
  // lookup map here for a handful of rules; the probe count is what matters.
  std::string key(host);
  if (auto it = exact_.find(key); it != exact_.end())
    return Match{it->second};
  if (wildcard_.empty() || host.find(':') != std::string_view::npos)
    return std::nullopt;
  // Wildcards: the longest suffix first, one probe per label ("a.b.c" tries "b.c", then "c").
  for (size_t dot = host.find('.'); dot != std::string_view::npos; dot = host.find('.', dot + 1)) {
    key.assign(host.substr(dot + 1));
    if (auto it = wildcard_.find(key); it != wildcard_.end())
      return Match{it->second};
  }
  return std::nullopt;
}

std::string SubstituteRules::statusJson() const {
  std::string out = concat("{\"rules\":", std::to_string(rules_.size()), ",\"substitutions\":[");
  bool first = true;
  for (const auto& r : rules_) {
    if (!first)
      out += ',';
    first = false;
    std::string target =
        r->target.host.find(':') != std::string::npos ? "[" + r->target.host + "]" : r->target.host;
    if (r->target.port)
      target += concat(":", std::to_string(r->target.port));
    out += concat("{\"requested\":", sdk::jsonString(r->pattern),
                  ",\"substitute\":", sdk::jsonString(target),
                  ",\"hits\":", std::to_string(r->hits.load(std::memory_order_relaxed)), "}");
  }
  out += "]}";
  return out;
}

} // namespace exaproxy::substitute
