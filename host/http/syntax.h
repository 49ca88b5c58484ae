// Character classes and small grammar pieces of RFC 9110/9112/3986 shared by the parsers.
// Internal to the http module (tests use it too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::http {

// tchar (RFC 9110 §5.6.2).
bool isTchar(unsigned char c);
bool isToken(std::string_view s);
// field-vchar / SP / HTAB: what may appear inside a field value (RFC 9110 §5.5).
inline bool isFieldValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }
inline bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool isHexDigit(unsigned char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline bool isOws(unsigned char c) { return c == ' ' || c == '\t'; }
std::string_view trimOws(std::string_view s);

// 1*DIGIT that fits in int64 (at most 19 digits); nullopt otherwise.
std::optional<int64_t> parseDecimal(std::string_view s);

// uri-host [":" port] (RFC 3986 reg-name / IPv4 / "[" IPv6 "]"), no userinfo. The host is
// lowercased and IPv6 literals lose their brackets. An explicit port must be 1..65535.
struct Authority {
  std::string host;
  uint16_t port = 0;
  bool explicitPort = false;
};
bool parseAuthority(std::string_view s, bool portRequired, Authority& out);

} // namespace exaproxy::http
