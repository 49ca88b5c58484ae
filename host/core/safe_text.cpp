#include "core/safe_text.h"

#include <algorithm>

namespace exaproxy {

namespace {

// The length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlong form, no
// surrogate, nothing above U+10FFFF), or 0 when the byte starts none.
size_t utf8Length(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80)
    return (c < 0x20 || c == 0x7f) ? 0 : 1;
  size_t n = c >= 0xc2 && c <= 0xdf   ? 2
             : c >= 0xe0 && c <= 0xef ? 3
             : c >= 0xf0 && c <= 0xf4 ? 4
                                      : 0;
  if (n == 0 || i + n > s.size())
    return 0;
  for (size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xc0) != 0x80)
      return 0;
  unsigned char c1 = b(i + 1);
  if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) ||
      (c == 0xf4 && c1 > 0x8f))
    return 0;
  // C1 controls (U+0080..U+009F) are controls too.
  if (c == 0xc2 && c1 < 0xa0)
    return 0;
  return n;
}

} // namespace

bool isSafeText(std::string_view text, size_t max) {
  if (text.size() > max)
    return false;
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8Length(text, i);
    if (n == 0)
      return false;
    i += n;
  }
  return true;
}

std::string safeText(std::string_view text, size_t max) {
  if (isSafeText(text, max))
    return std::string(text);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), max) + 16);
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8Length(text, i);
    size_t width = n ? n : 4;
    if (out.size() + width > max) {
      out += "...";
      break;
    }
    if (n) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    auto c = static_cast<unsigned char>(text[i++]);
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

} // namespace exaproxy
