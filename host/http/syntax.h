// Character classes and small grammar pieces of RFC 9110/9112/3986 shared by the parsers.
// Internal to the http module (tests use it too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::http {

namespace detail {
// tchar (RFC 9110 §5.6.2) as a table: ALPHA / DIGIT / "!#$%&'*+-.^_`|~".
struct TcharTable {
  bool yes[256] = {};
  constexpr TcharTable() {
    for (int c = '0'; c <= '9'; ++c)
      yes[c] = true;
    for (int c = 'a'; c <= 'z'; ++c)
      yes[c] = yes[c - 'a' + 'A'] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~"))
      yes[static_cast<unsigned char>(c)] = true;
  }
};
inline constexpr TcharTable kTchar{};
} // namespace detail

// tchar (RFC 9110 §5.6.2).
inline bool isTchar(unsigned char c) { return detail::kTchar.yes[c]; }
bool isToken(std::string_view s);
// field-vchar / SP / HTAB: what may appear inside a field value (RFC 9110 §5.5).
inline bool isFieldValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }
// Every byte of [p, p + n) is a field-value character. No early exit, so the compiler can check
// many bytes per instruction; a bad byte is rare and the whole value is read anyway.
inline bool allFieldValueChars(const char* p, size_t n) {
  unsigned bad = 0;
  for (size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(p[i]);
    bad |= static_cast<unsigned>((c < 0x20 && c != '\t') | (c == 0x7f));
  }
  return bad == 0;
}
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

// True for a host that a browser (WHATWG URL) reads as an IPv4 address but that is not the plain
// dotted quad: its last label is a number ("0177.0.0.1", "0x7f.1", "2130706433", "127.1",
// "1.2.3.4.", "1.2.3.999"). Clients read these as octal, hex or short forms; a resolver or a
// filter may read them otherwise, so the proxy refuses them rather than guess. A plain
// "a.b.c.d" (decimal, no leading zero, each at most 255) and every name whose last label is not a
// number are not ambiguous.
bool ambiguousIpv4(std::string_view host);

} // namespace exaproxy::http
