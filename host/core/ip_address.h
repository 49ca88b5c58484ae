// IP addresses, endpoints (address + port) and CIDR sets. Plain values, no sockets: shared by
// config, net, dns and proxy.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy {

// An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are normalised to IPv4.
class IpAddress {
public:
  IpAddress() = default;
  static IpAddress v4(const in_addr& a);
  static IpAddress v6(const in6_addr& a);
  // Accepts dotted quad or RFC 4291 text; brackets are not accepted here. nullopt if invalid.
  static std::optional<IpAddress> parse(std::string_view text);

  int family() const { return family_; } // AF_INET, AF_INET6, or AF_UNSPEC when empty
  bool isV4() const { return family_ == AF_INET; }
  bool isV6() const { return family_ == AF_INET6; }
  bool empty() const { return family_ == AF_UNSPEC; }
  bool isLoopback() const;
  bool isUnspecified() const;                            // 0.0.0.0 or ::
  const uint8_t* bytes() const { return bytes_.data(); } // 4 or 16 significant bytes
  size_t size() const { return isV4() ? 4 : 16; }
  std::string toString() const; // "1.2.3.4" or "2001:db8::1" (no brackets)
  bool operator==(const IpAddress& o) const = default;

private:
  int family_ = AF_UNSPEC;
  std::array<uint8_t, 16> bytes_{};
};

// An address and a port, convertible to and from sockaddr.
struct Endpoint {
  IpAddress address;
  uint16_t port = 0;

  // "1.2.3.4:80", "[::1]:80". Port required.
  static std::optional<Endpoint> parse(std::string_view text);
  static std::optional<Endpoint> fromSockaddr(const sockaddr* sa);
  // Fills storage; returns the length to pass to bind/connect.
  socklen_t toSockaddr(sockaddr_storage& storage) const;
  std::string toString() const; // "1.2.3.4:80" or "[::1]:80"
  bool operator==(const Endpoint& o) const = default;
};

// A network prefix: "10.0.0.0/8", "::1/128", or a bare address (full-length prefix).
class Cidr {
public:
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& a) const;
  std::string toString() const;

private:
  IpAddress base_;
  int prefix_ = 0;
};

// A list of prefixes; contains() is true if any matches.
class CidrSet {
public:
  CidrSet() = default;
  explicit CidrSet(std::vector<Cidr> cidrs) : cidrs_(std::move(cidrs)) {}
  bool contains(const IpAddress& a) const;
  bool empty() const { return cidrs_.empty(); }
  const std::vector<Cidr>& cidrs() const { return cidrs_; }
  std::string toString() const; // space separated

private:
  std::vector<Cidr> cidrs_;
};

} // namespace exaproxy
