#include "cidr_set.h"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>

namespace exaproxy::common {

namespace {

bool prefixEqual(const IpBytes& a, const IpBytes& b, unsigned prefix) {
  unsigned full = prefix / 8;
  if (std::memcmp(a.bytes.data(), b.bytes.data(), full) != 0)
    return false;
  unsigned bits = prefix % 8;
  if (bits == 0)
    return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - bits));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

} // namespace

std::optional<IpBytes> parseIp(std::string_view text) {
  if (text.empty() || text.size() > 45)
    return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpBytes ip;
  in_addr a4{};
  if (inet_pton(AF_INET, buf, &a4) == 1) {
    ip.bytes[10] = ip.bytes[11] = 0xff;
    std::memcpy(ip.bytes.data() + 12, &a4, 4);
    ip.v4 = true;
    return ip;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, buf, &a6) != 1)
    return std::nullopt;
  std::memcpy(ip.bytes.data(), &a6, 16);
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  ip.v4 = std::memcmp(ip.bytes.data(), mapped, 12) == 0;
  return ip;
}

bool CidrSet::add(std::string_view text, std::string& why) {
  auto slash = text.find('/');
  auto address = text.substr(0, slash);
  auto ip = parseIp(address);
  if (!ip) {
    why.clear();
    why.push_back('\'');
    why.append(text).append("' is not an address or a network (a.b.c.d/n, v6/n)");
    return false;
  }
  unsigned maxPrefix = ip->v4 && address.find(':') == std::string_view::npos ? 32 : 128;
  unsigned prefix = maxPrefix;
  if (slash != std::string_view::npos) {
    auto p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix > maxPrefix) {
      why.clear();
      why.push_back('\'');
      why.append(text).append("': prefix length must be 0..");
      why += std::to_string(maxPrefix);
      return false;
    }
  }
  Net net{*ip, maxPrefix == 32 ? prefix + 96 : prefix};
  // Clear the host bits so that equal networks compare equal in the status output.
  for (unsigned bit = net.prefix; bit < 128; ++bit)
    net.base.bytes[bit / 8] = static_cast<uint8_t>(net.base.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
  nets_.push_back(net);
  return true;
}

bool CidrSet::contains(const IpBytes& address) const {
  for (const auto& n : nets_)
    if (prefixEqual(n.base, address, n.prefix))
      return true;
  return false;
}

bool CidrSet::contains(std::string_view address) const {
  auto ip = parseIp(address);
  return ip && contains(*ip);
}

} // namespace exaproxy::common
