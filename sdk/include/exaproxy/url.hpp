// ExaProxy C++ plugin layer: the canonical form of a request URL, for matching it against lists.
// Header-only and ABI-neutral, like text.hpp.
//
// Two spellings of one resource must not reach a filter as two URLs: a list entry "host/ads"
// must match "http://HOST./%61ds" as Squid's url_rewrite helpers see it. canonicalUrl() applies
// RFC 3986's normalizations that do not change what a URL names (section 6.2.2): scheme and host
// in lower case, a host's trailing dot dropped, percent-escapes of unreserved characters decoded
// (%61 -> a, %7E -> ~) and the hex digits of the other escapes in upper case. It never decodes a
// reserved or unsafe character (%2F stays %2F: a path's structure is not changed) and does not
// resolve dot segments. A CONNECT authority ("host:port") gets the host rules only.
#pragma once

#include "exaproxy/text.hpp"

#include <string>
#include <string_view>

namespace exaproxy::sdk {

inline bool unreservedByte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// The path, query and anything after the authority: unreserved escapes decoded, others in upper
// case. A '%' not followed by two hex digits is kept as it is.
inline std::string canonicalEscapes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%' || i + 2 >= s.size()) {
      out += s[i];
      continue;
    }
    int hi = hexDigit(s[i + 1]);
    int lo = hexDigit(s[i + 2]);
    if (hi < 0 || lo < 0) {
      out += s[i];
      continue;
    }
    auto c = static_cast<unsigned char>(hi * 16 + lo);
    if (unreservedByte(c)) {
      out += static_cast<char>(c);
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[hi];
      out += kHex[lo];
    }
    i += 2;
  }
  return out;
}

// "Host.:8080" -> "host:8080"; "[::1]:443" unchanged but for case.
inline std::string canonicalAuthority(std::string_view authority) {
  std::string_view userinfo;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    userinfo = authority.substr(0, at + 1);
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    if (auto close = authority.find(']'); close != std::string_view::npos) {
      host = authority.substr(0, close + 1);
      port = authority.substr(close + 1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon);
  }
  if (host.size() > 1 && host.back() == '.')
    host.remove_suffix(1);
  std::string out(userinfo);
  out += lower(host);
  out += port;
  return out;
}

// The canonical form of an absolute URL ("scheme://authority/path?query") or a CONNECT authority.
inline std::string canonicalUrl(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return canonicalAuthority(url);
  std::string out = lower(url.substr(0, sep));
  out += "://";
  std::string_view rest = url.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  out += canonicalAuthority(rest.substr(0, end));
  if (end != std::string_view::npos)
    out += canonicalEscapes(rest.substr(end));
  return out;
}

} // namespace exaproxy::sdk
