#include "xff_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace exaproxy::xff {

namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// 0-255, one to three digits, no leading zero: "010" is octal to some parsers and decimal to
// others, so it is refused rather than guessed.
std::optional<uint8_t> octet(std::string_view s) {
  if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0'))
    return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (!isDigit(c))
      return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 255)
    return std::nullopt;
  return static_cast<uint8_t>(v);
}

} // namespace

std::optional<Address> Address::parse(std::string_view text) {
  Address a;
  if (text.find(':') == std::string_view::npos) {
    size_t part = 0;
    while (true) {
      size_t dot = text.find('.');
      auto o = octet(text.substr(0, dot));
      if (!o || part == 4)
        return std::nullopt;
      a.bytes_[part++] = *o;
      if (dot == std::string_view::npos)
        break;
      text.remove_prefix(dot + 1);
    }
    if (part != 4)
      return std::nullopt;
    a.v4_ = true;
    return a;
  }
  // inet_pton wants a NUL-terminated string; the longest IPv6 text is 45 characters.
  if (text.size() > 45)
    return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  in6_addr in6{};
  if (::inet_pton(AF_INET6, buf, &in6) != 1)
    return std::nullopt;
  if (std::memcmp(in6.s6_addr, kMappedPrefix, 12) == 0) {
    a.v4_ = true;
    std::memcpy(a.bytes_.data(), in6.s6_addr + 12, 4);
    return a;
  }
  a.v4_ = false;
  std::memcpy(a.bytes_.data(), in6.s6_addr, 16);
  return a;
}

std::string Address::toString() const {
  if (v4_) {
    // Dotted quad by hand: glibc's inet_ntop formats IPv4 with sprintf (once per request here).
    char buf[16];
    size_t n = 0;
    for (size_t i = 0; i < 4; ++i) {
      unsigned v = bytes_[i];
      if (i)
        buf[n++] = '.';
      if (v >= 100)
        buf[n++] = static_cast<char>('0' + v / 100);
      if (v >= 10)
        buf[n++] = static_cast<char>('0' + v / 10 % 10);
      buf[n++] = static_cast<char>('0' + v % 10);
    }
    return std::string(buf, n);
  }
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  Cidr c;
  size_t slash = text.find('/');
  auto base = Address::parse(text.substr(0, slash));
  if (!base)
    return std::nullopt;
  int max = base->isV4() ? 32 : 128;
  c.base_ = *base;
  c.prefix_ = max;
  if (slash != std::string_view::npos) {
    std::string_view len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3 || (len.size() > 1 && len[0] == '0'))
      return std::nullopt;
    int v = 0;
    for (char ch : len) {
      if (!isDigit(ch))
        return std::nullopt;
      v = v * 10 + (ch - '0');
    }
    if (v > max)
      return std::nullopt;
    c.prefix_ = v;
  }
  return c;
}

bool Cidr::contains(const Address& a) const {
  if (a.isV4() != base_.isV4())
    return false;
  int full = prefix_ / 8, rest = prefix_ % 8;
  if (std::memcmp(a.bytes(), base_.bytes(), static_cast<size_t>(full)) != 0)
    return false;
  if (rest == 0)
    return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes()[full] & mask) == (base_.bytes()[full] & mask);
}

std::string Cidr::toString() const { return base_.toString() + "/" + std::to_string(prefix_); }

bool CidrList::contains(const Address& a) const {
  for (const auto& c : cidrs_)
    if (c.contains(a))
      return true;
  return false;
}

std::string CidrList::toString() const {
  std::string out;
  for (const auto& c : cidrs_)
    out += (out.empty() ? "" : " ") + c.toString();
  return out;
}

std::optional<uint16_t> parsePort(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0'))
    return std::nullopt;
  unsigned v = 0;
  for (char c : text) {
    if (!isDigit(c))
      return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(v);
}

} // namespace exaproxy::xff
