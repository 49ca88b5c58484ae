#include "headers_config.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace exaproxy::headers {
namespace {

using sdk::lower;
using sdk::splitListCopy;
using sdk::trim;

// Characters a cookie value may hold without quoting (RFC 6265 cookie-octet).
bool isCookieValue(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
    v = v.substr(1, v.size() - 2);
  for (unsigned char c : v)
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\')
      return false;
  return true;
}

bool hostOwned(std::string_view name) {
  std::string n = lower(name);
  return n == "host" || n == "content-length" || n == "transfer-encoding";
}

// "Name: value" of set/add.
HeaderOp headerWithValue(const ConfigEntry& e, HeaderOp::Kind kind) {
  size_t colon = e.value.find(':');
  if (colon == std::string::npos)
    throw ConfigFailure(e, "expected 'Name: value'");
  HeaderOp op;
  op.kind = kind;
  op.name = std::string(trim(std::string_view(e.value).substr(0, colon)));
  op.value = std::string(trim(std::string_view(e.value).substr(colon + 1)));
  if (!isToken(op.name))
    throw ConfigFailure(e, "'" + op.name + "' is not a valid header name");
  if (hostOwned(op.name))
    throw ConfigFailure(e, op.name + " belongs to the proxy (framing and routing) and cannot be "
                                     "edited by a plugin");
  return op;
}

// "NAME=VALUE[; attributes]" of cookie_set / cookie_replace.
HeaderOp cookieWithValue(const ConfigEntry& e, HeaderOp::Kind kind, Direction dir) {
  std::string_view v = e.value;
  HeaderOp op;
  op.kind = kind;
  size_t semi = v.find(';');
  if (semi != std::string_view::npos) {
    if (dir == Direction::Request || kind != HeaderOp::Kind::CookieSet)
      throw ConfigFailure(e, "cookie attributes ('; ...') are only meaningful for cookie_set in "
                             "the response direction (Set-Cookie)");
    op.attributes = std::string(v.substr(semi));
    v = v.substr(0, semi);
  }
  v = trim(v);
  size_t eq = v.find('=');
  if (eq == std::string_view::npos)
    throw ConfigFailure(e, "expected 'NAME=VALUE'");
  op.cookie = std::string(v.substr(0, eq));
  op.value = std::string(v.substr(eq + 1));
  if (!isToken(op.cookie))
    throw ConfigFailure(e, "'" + op.cookie + "' is not a valid cookie name");
  if (!isCookieValue(op.value))
    throw ConfigFailure(e, "the cookie value holds a character a cookie cannot carry "
                           "(space, quote, comma, semicolon, backslash or control)");
  return op;
}

// "NAME KEY=VALUE [SEPARATOR]" of cookie_param.
HeaderOp cookieParam(const ConfigEntry& e) {
  auto w = splitListCopy(e.value);
  if (w.size() < 2 || w.size() > 3)
    throw ConfigFailure(e, "expected 'COOKIE KEY=VALUE [SEPARATOR]', e.g. 'PREF f2=8000000'");
  HeaderOp op;
  op.kind = HeaderOp::Kind::CookieParam;
  op.cookie = w[0];
  size_t eq = w[1].find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigFailure(e, "expected KEY=VALUE after the cookie name");
  op.key = w[1].substr(0, eq);
  op.value = w[1].substr(eq + 1);
  if (w.size() == 3) {
    if (w[2].size() != 1)
      throw ConfigFailure(e, "the separator is one character, e.g. '&'");
    op.separator = w[2][0];
  }
  if (!isToken(op.cookie))
    throw ConfigFailure(e, "'" + op.cookie + "' is not a valid cookie name");
  if (!isCookieValue(op.key + "=" + op.value + op.separator))
    throw ConfigFailure(e, "the key or value holds a character a cookie cannot carry");
  if (op.key.find(op.separator) != std::string::npos ||
      op.value.find(op.separator) != std::string::npos)
    throw ConfigFailure(e, "the key and value may not contain the separator");
  return op;
}

void parseRuleEntry(const ConfigEntry& e, HeaderRule& rule, bool& directionSeen) {
  using K = HeaderOp::Kind;
  const std::string& k = e.key;
  if (k == "host") {
    for (const auto& w : splitListCopy(e.value)) {
      HostPattern p;
      if (!HostPattern::parse(w, p))
        throw ConfigFailure(e, "'" + w + "' is not a host name, '*.domain' or '*'");
      rule.hosts.push_back(std::move(p));
    }
    return;
  }
  if (k == "direction") {
    if (!rule.ops.empty() && !directionSeen)
      throw ConfigFailure(e, "set the direction before the edits it applies to");
    std::string v = lower(trim(e.value));
    if (v == "request")
      rule.direction = Direction::Request;
    else if (v == "response")
      rule.direction = Direction::Response;
    else
      throw ConfigFailure(e, "expected 'request' or 'response'");
    directionSeen = true;
    return;
  }
  if (k == "set" || k == "add") {
    rule.ops.push_back(headerWithValue(e, k == "set" ? K::Set : K::Add));
  } else if (k == "remove") {
    HeaderOp op;
    op.kind = K::Remove;
    op.name = std::string(trim(e.value));
    if (!isToken(op.name))
      throw ConfigFailure(e, "'" + op.name + "' is not a valid header name");
    if (hostOwned(op.name))
      throw ConfigFailure(e, op.name + " belongs to the proxy and cannot be removed by a plugin");
    rule.ops.push_back(std::move(op));
  } else if (k == "cookie_set" || k == "cookie_replace") {
    rule.ops.push_back(
        cookieWithValue(e, k == "cookie_set" ? K::CookieSet : K::CookieReplace, rule.direction));
  } else if (k == "cookie_remove") {
    HeaderOp op;
    op.kind = K::CookieRemove;
    op.cookie = std::string(trim(e.value));
    if (!isToken(op.cookie))
      throw ConfigFailure(e, "'" + op.cookie + "' is not a valid cookie name");
    rule.ops.push_back(std::move(op));
  } else if (k == "cookie_param") {
    rule.ops.push_back(cookieParam(e));
  } else if (k == "youtube_restrict") {
    std::string v = lower(trim(e.value));
    if (v != "strict" && v != "moderate")
      throw ConfigFailure(e, "expected 'strict' or 'moderate'");
    HeaderOp op;
    op.kind = K::Set;
    op.name = "YouTube-Restrict";
    op.value = v == "strict" ? "Strict" : "Moderate";
    rule.ops.push_back(std::move(op));
  } else {
    throw ConfigFailure(e, "unknown key (known: host, direction, set, add, remove, cookie_set, "
                           "cookie_replace, cookie_remove, cookie_param, youtube_restrict)");
  }
}

} // namespace

bool HeaderRule::matchesHost(std::string_view host) const {
  if (hosts.empty())
    return true;
  return std::any_of(hosts.begin(), hosts.end(),
                     [&](const HostPattern& p) { return p.matches(host); });
}

bool isToken(std::string_view s) {
  if (s.empty())
    return false;
  for (unsigned char c : s) {
    if (std::isalnum(c))
      continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos)
      return false;
  }
  return true;
}

HeadersConfigPtr parseHeadersConfig(const std::vector<ConfigEntry>& entries) {
  auto cfg = std::make_shared<HeadersConfig>();
  std::map<std::string, size_t> bySection; // section -> rule index
  std::vector<bool> directionSeen;
  for (const auto& e : entries) {
    if (e.section == "headers")
      throw ConfigFailure(e, "rules go in named sections, e.g. [headers youtube]");
    if (e.section.rfind("headers ", 0) != 0)
      throw ConfigFailure(e, "unknown section (rules are [headers NAME])");
    auto [it, fresh] = bySection.emplace(e.section, cfg->rules.size());
    if (fresh) {
      HeaderRule r;
      r.name = e.section.substr(8);
      r.where = e.file + ":" + std::to_string(e.line);
      cfg->rules.push_back(std::move(r));
      directionSeen.push_back(false);
    }
    bool seen = directionSeen[it->second];
    parseRuleEntry(e, cfg->rules[it->second], seen);
    directionSeen[it->second] = seen;
  }
  for (const auto& r : cfg->rules)
    if (r.ops.empty()) {
      auto e = std::find_if(entries.begin(), entries.end(),
                            [&](const ConfigEntry& x) { return x.section == "headers " + r.name; });
      throw ConfigFailure(*e, "the rule has no edit (set, add, remove, cookie_*, ...)");
    }
  return cfg;
}

bool editsRequests(const HeadersConfig& config) {
  for (const auto& rule : config.rules)
    if (rule.direction == Direction::Request && !rule.ops.empty())
      return true;
  return false;
}

} // namespace exaproxy::headers
