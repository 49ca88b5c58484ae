#include "basic_credentials.h"

#include "squid_reply.h"

#include <array>

namespace exaproxy::auth {

namespace {

constexpr std::array<int8_t, 256> kDecode = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}();

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

} // namespace

std::optional<std::string> decodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0)
    return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = text[i + static_cast<size_t>(j)];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad) // data after padding
        return std::nullopt;
      v[j] = kDecode[static_cast<unsigned char>(c)];
      if (v[j] < 0)
        return std::nullopt;
    }
    uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                 (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out += static_cast<char>(n >> 16);
    if (pad < 2)
      out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1)
      out += static_cast<char>(n & 0xff);
  }
  return out;
}

bool usesScheme(std::string_view value, std::string_view name) {
  value = trim(value);
  if (value.size() < name.size() ||
      (value.size() > name.size() && value[name.size()] != ' ' && value[name.size()] != '\t'))
    return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (lower(value[i]) != lower(name[i]))
      return false;
  return true;
}

std::optional<BasicCredentials> parseBasic(std::string_view value) {
  if (!usesScheme(value, "basic"))
    return std::nullopt;
  value = trim(value);
  auto decoded = decodeBase64(trim(value.substr(5)));
  if (!decoded)
    return std::nullopt;
  size_t colon = decoded->find(':');
  if (colon == 0 || colon == std::string::npos ||
      decoded->find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos)
    return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::string basicHelperLine(const BasicCredentials& c) {
  return common::percentEncodeField(c.user) + ' ' + common::percentEncodeField(c.password) + '\n';
}

} // namespace exaproxy::auth
