#include "core/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace exaproxy {

IpAddress IpAddress::v4(const in_addr& a) {
  IpAddress ip;
  ip.family_ = AF_INET;
  std::memcpy(ip.bytes_.data(), &a, 4);
  return ip;
}

IpAddress IpAddress::v6(const in6_addr& a) {
  if (IN6_IS_ADDR_V4MAPPED(&a)) {
    in_addr v4addr;
    std::memcpy(&v4addr, a.s6_addr + 12, 4);
    return v4(v4addr);
  }
  IpAddress ip;
  ip.family_ = AF_INET6;
  std::memcpy(ip.bytes_.data(), &a, 16);
  return ip;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN)
    return std::nullopt;
  char buf[INET6_ADDRSTRLEN + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  in_addr a4;
  if (inet_pton(AF_INET, buf, &a4) == 1)
    return v4(a4);
  in6_addr a6;
  if (inet_pton(AF_INET6, buf, &a6) == 1)
    return v6(a6);
  return std::nullopt;
}

bool IpAddress::isLoopback() const {
  if (isV4())
    return bytes_[0] == 127;
  if (isV6()) {
    static const uint8_t kLoop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::memcmp(bytes_.data(), kLoop, 16) == 0;
  }
  return false;
}

bool IpAddress::isUnspecified() const {
  if (empty())
    return false;
  for (size_t i = 0; i < size(); ++i)
    if (bytes_[i] != 0)
      return false;
  return true;
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN];
  if (isV4()) {
    // Dotted quad by hand: glibc's inet_ntop formats IPv4 through sprintf, and the access log
    // and the upstream pool ask for this on every request.
    size_t n = 0;
    for (size_t i = 0; i < 4; ++i) {
      if (i)
        buf[n++] = '.';
      unsigned v = bytes_[i];
      if (v >= 100)
        buf[n++] = static_cast<char>('0' + v / 100);
      if (v >= 10)
        buf[n++] = static_cast<char>('0' + v / 10 % 10);
      buf[n++] = static_cast<char>('0' + v % 10);
    }
    return std::string(buf, n); // at most 15 bytes: no allocation (short string)
  }
  if (isV6())
    return inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  return "-";
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    auto ip = IpAddress::parse(host);
    if (!ip || !ip->isV6())
      return std::nullopt;
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return std::nullopt; // bare IPv6 needs brackets
  }
  auto ip = IpAddress::parse(host);
  if (!ip || port.empty() || port.size() > 5)
    return std::nullopt;
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || ptr != port.data() + port.size() || value > 65535)
    return std::nullopt;
  return Endpoint{*ip, static_cast<uint16_t>(value)};
}

std::optional<Endpoint> Endpoint::fromSockaddr(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    auto* s4 = reinterpret_cast<const sockaddr_in*>(sa);
    return Endpoint{IpAddress::v4(s4->sin_addr), ntohs(s4->sin_port)};
  }
  if (sa->sa_family == AF_INET6) {
    auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return Endpoint{IpAddress::v6(s6->sin6_addr), ntohs(s6->sin6_port)};
  }
  return std::nullopt;
}

socklen_t Endpoint::toSockaddr(sockaddr_storage& storage) const {
  std::memset(&storage, 0, sizeof storage);
  if (address.isV4()) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&storage);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    std::memcpy(&s4->sin_addr, address.bytes(), 4);
    return sizeof(sockaddr_in);
  }
  auto* s6 = reinterpret_cast<sockaddr_in6*>(&storage);
  s6->sin6_family = AF_INET6;
  s6->sin6_port = htons(port);
  std::memcpy(&s6->sin6_addr, address.bytes(), 16);
  return sizeof(sockaddr_in6);
}

std::string Endpoint::toString() const {
  std::string out;
  out.reserve(48);
  if (address.isV6()) {
    out += '[';
    out += address.toString();
    out += ']';
  } else {
    out += address.toString();
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip)
    return std::nullopt;
  int maxPrefix = ip->isV4() ? 32 : 128;
  int prefix = maxPrefix;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || prefix < 0 ||
        prefix > maxPrefix)
      return std::nullopt;
  }
  Cidr c;
  c.base_ = *ip;
  c.prefix_ = prefix;
  return c;
}

bool Cidr::contains(const IpAddress& a) const {
  if (a.family() != base_.family())
    return false;
  int full = prefix_ / 8;
  if (std::memcmp(a.bytes(), base_.bytes(), static_cast<size_t>(full)) != 0)
    return false;
  int rest = prefix_ % 8;
  if (rest == 0)
    return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes()[full] & mask) == (base_.bytes()[full] & mask);
}

std::string Cidr::toString() const { return base_.toString() + "/" + std::to_string(prefix_); }

bool CidrSet::contains(const IpAddress& a) const {
  for (const auto& c : cidrs_)
    if (c.contains(a))
      return true;
  return false;
}

std::string CidrSet::toString() const {
  std::string out;
  for (const auto& c : cidrs_) {
    if (!out.empty())
      out += ' ';
    out += c.toString();
  }
  return out;
}

} // namespace exaproxy
