#include "xff_hops.h"

#include <optional>

#include <exaproxy/text.hpp>

namespace exaproxy::xff {

namespace {

using sdk::equalsIgnoreCase;

bool isAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 9110 tchar.
bool isTchar(char c) {
  return isAlnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 7239 obfnode / obfport: "_" 1*(ALPHA / DIGIT / "." / "_" / "-").
bool isObfuscated(std::string_view s) {
  if (s.size() < 2 || s[0] != '_')
    return false;
  for (char c : s.substr(1))
    if (!(isAlnum(c) || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

Hop make(HopKind kind, std::string_view text, Address a = {}) {
  return Hop{kind, a, std::string(text)};
}

// Splits at commas that are not inside a quoted-string (Forwarded), or at every comma (XFF).
std::vector<std::string_view> splitElements(std::string_view list, bool quotes) {
  std::vector<std::string_view> out;
  size_t start = 0;
  bool inQuote = false;
  for (size_t i = 0; i < list.size(); ++i) {
    char c = list[i];
    if (quotes && inQuote && c == '\\') {
      ++i; // quoted-pair: the next byte is literal
    } else if (quotes && c == '"') {
      inQuote = !inQuote;
    } else if (c == ',' && !inQuote) {
      out.push_back(list.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(list.substr(start));
  return out;
}

std::string join(const std::vector<std::string_view>& lines) {
  std::string all;
  for (size_t i = 0; i < lines.size(); ++i)
    all.append(i ? "," : "").append(lines[i]);
  return all;
}

// token / quoted-string -> the value; nullopt when it is neither.
std::optional<std::string> forwardedValue(std::string_view v) {
  if (v.empty())
    return std::nullopt;
  if (v.front() != '"') {
    for (char c : v)
      if (!isTchar(c))
        return std::nullopt;
    return std::string(v);
  }
  if (v.size() < 2 || v.back() != '"')
    return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    char c = v[i];
    if (c == '\\') {
      if (i + 2 >= v.size()) // the escape would swallow the closing quote
        return std::nullopt;
      c = v[++i];
    } else if (c == '"') {
      return std::nullopt;
    }
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f)
      return std::nullopt;
    out += c;
  }
  return out;
}

Hop parseForwardedElement(std::string_view element) {
  std::string_view text = sdk::trim(element);
  std::optional<std::string> forValue;
  // Pairs are separated by ';' (never inside a quoted-string).
  size_t start = 0;
  bool inQuote = false;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size()) {
      char c = text[i];
      if (inQuote && c == '\\') {
        ++i;
        continue;
      }
      if (c == '"')
        inQuote = !inQuote;
      if (c != ';' || inQuote)
        continue;
    }
    std::string_view pair = sdk::trim(text.substr(start, i - start));
    start = i + 1;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return make(HopKind::Invalid, text);
    std::string_view name = pair.substr(0, eq);
    for (char c : name)
      if (!isTchar(c))
        return make(HopKind::Invalid, text);
    auto value = forwardedValue(pair.substr(eq + 1));
    if (!value)
      return make(HopKind::Invalid, text);
    if (equalsIgnoreCase(name, "for")) {
      if (forValue) // "each parameter MUST NOT occur more than once per forwarded-element"
        return make(HopKind::Invalid, text);
      forValue = std::move(value);
    }
  }
  if (inQuote)
    return make(HopKind::Invalid, text);
  if (!forValue)
    return make(HopKind::Unknown, text);
  Hop hop = parseNode(*forValue, true);
  hop.text = std::string(text);
  return hop;
}

} // namespace

Hop parseNode(std::string_view text, bool forwardedSyntax) {
  std::string_view node = text;
  std::string_view port;
  bool bracketed = false;
  if (!node.empty() && node.front() == '[') {
    size_t close = node.find(']');
    if (close == std::string_view::npos)
      return make(HopKind::Invalid, text);
    std::string_view after = node.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return make(HopKind::Invalid, text);
      port = after.substr(1);
      if (port.empty())
        return make(HopKind::Invalid, text);
    }
    node = node.substr(1, close - 1);
    bracketed = true;
  } else {
    size_t colon = node.find(':');
    // One colon: host:port. Several: a bare IPv6 address (XFF only; RFC 7239 requires brackets).
    if (colon != std::string_view::npos && node.find(':', colon + 1) == std::string_view::npos) {
      port = node.substr(colon + 1);
      node = node.substr(0, colon);
      if (port.empty())
        return make(HopKind::Invalid, text);
    } else if (colon != std::string_view::npos && forwardedSyntax) {
      return make(HopKind::Invalid, text);
    }
  }
  if (!port.empty() && !parsePort(port) && !(forwardedSyntax && isObfuscated(port)))
    return make(HopKind::Invalid, text);
  if (!bracketed && equalsIgnoreCase(node, "unknown"))
    return make(HopKind::Unknown, text);
  if (!bracketed && isObfuscated(node))
    return make(HopKind::Obfuscated, text);
  auto a = Address::parse(node);
  // Brackets hold IPv6 only; an IPv6 address outside them must not carry a port.
  if (!a || (bracketed && node.find(':') == std::string_view::npos) ||
      (!bracketed && node.find(':') != std::string_view::npos && !port.empty()))
    return make(HopKind::Invalid, text);
  return make(HopKind::Address, text, *a);
}

std::vector<Hop> parseXForwardedFor(const std::vector<std::string_view>& lines) {
  std::vector<Hop> hops;
  std::string all = join(lines);
  for (auto element : splitElements(all, false)) {
    element = sdk::trim(element);
    if (element.empty())
      continue;
    hops.push_back(parseNode(element, false));
  }
  return hops;
}

std::vector<Hop> parseForwarded(const std::vector<std::string_view>& lines) {
  std::vector<Hop> hops;
  std::string all = join(lines);
  for (auto element : splitElements(all, true)) {
    if (sdk::trim(element).empty())
      continue;
    hops.push_back(parseForwardedElement(element));
  }
  return hops;
}

std::string forwardedNode(const Address& a) {
  return a.isV4() ? a.toString() : "\"[" + a.toString() + "]\"";
}

} // namespace exaproxy::xff
