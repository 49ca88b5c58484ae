#include "http/syntax.h"

#include "http/header_map.h"

namespace exaproxy::http {

namespace {

bool isAlnum(unsigned char c) {
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// unreserved / sub-delims (RFC 3986 §2); pct-encoded is checked by the caller.
bool isRegNameChar(unsigned char c) {
  return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '!' || c == '$' ||
         c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' || c == ',' ||
         c == ';' || c == '=';
}

bool validRegName(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      if (i + 2 >= s.size() || !isHexDigit(static_cast<unsigned char>(s[i + 1])) ||
          !isHexDigit(static_cast<unsigned char>(s[i + 2]))) {
        return false;
      }
      i += 2;
    } else if (!isRegNameChar(c)) {
      return false;
    }
  }
  return true;
}

// A syntactic check only (hex groups, colons, an optional dotted IPv4 tail); the resolver is the
// judge of the exact address.
bool validIpv6(std::string_view s) {
  if (s.size() < 2 || s.size() > 45) {
    return false;
  }
  size_t colons = 0;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == ':') {
      ++colons;
    } else if (!isHexDigit(c) && c != '.') {
      return false;
    }
  }
  return colons >= 2 && colons <= 7;
}

} // namespace

bool isToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!isTchar(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && isOws(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<int64_t> parseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 19) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  // 19 digits cannot overflow uint64, but may exceed INT64_MAX.
  if (v > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(v);
}

bool parseAuthority(std::string_view s, bool portRequired, Authority& out) {
  std::string_view host;
  std::string_view rest;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    host = s.substr(1, close - 1);
    rest = s.substr(close + 1);
    if (!validIpv6(host)) {
      return false;
    }
  } else {
    size_t colon = s.find(':');
    host = s.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
    if (!validRegName(host)) {
      return false;
    }
  }
  out.explicitPort = false;
  out.port = 0;
  if (!rest.empty()) {
    if (rest.front() != ':') {
      return false;
    }
    std::string_view digits = rest.substr(1);
    if (digits.empty() || digits.size() > 5) {
      return false;
    }
    uint32_t port = 0;
    for (char c : digits) {
      if (!isDigit(static_cast<unsigned char>(c))) {
        return false;
      }
      port = port * 10 + static_cast<uint32_t>(c - '0');
    }
    if (port == 0 || port > 65535) {
      return false;
    }
    out.port = static_cast<uint16_t>(port);
    out.explicitPort = true;
  } else if (portRequired) {
    return false;
  }
  out.host.assign(host);
  toLowerAscii(out.host);
  return true;
}

bool ambiguousIpv4(std::string_view host) {
  if (host.empty() || host.front() == '[' || host.find(':') != std::string_view::npos)
    return false;
  // WHATWG's "ends in a number": the last label (after one trailing dot) is all digits, or "0x"
  // followed by hex digits.
  std::string_view h = host;
  bool trailingDot = h.back() == '.';
  if (trailingDot)
    h.remove_suffix(1);
  auto last = h.substr(h.rfind('.') == std::string_view::npos ? 0 : h.rfind('.') + 1);
  auto numeric = [](std::string_view label) {
    if (label.empty())
      return false;
    if (label.size() >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X')) {
      for (char c : label.substr(2))
        if (!isHexDigit(static_cast<unsigned char>(c)))
          return false;
      return true;
    }
    for (char c : label)
      if (!isDigit(static_cast<unsigned char>(c)))
        return false;
    return true;
  };
  if (!numeric(last))
    return false;
  if (trailingDot)
    return true;
  // Only the canonical dotted quad is unambiguous.
  int parts = 0;
  size_t start = 0;
  for (;;) {
    auto dot = h.find('.', start);
    auto label =
        h.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 3 || (label.size() > 1 && label[0] == '0'))
      return true;
    unsigned v = 0;
    for (char c : label) {
      if (!isDigit(static_cast<unsigned char>(c)))
        return true;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > 255 || ++parts > 4)
      return true;
    if (dot == std::string_view::npos)
      break;
    start = dot + 1;
  }
  return parts != 4;
}

} // namespace exaproxy::http
