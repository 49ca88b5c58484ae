// Addresses and trusted prefixes as the xff plugin sees them: plain values parsed from text, no
// sockets. (A plugin is built against sdk/ only, so it has its own small address type.)
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::xff {

// An IPv4 or IPv6 address. IPv4-mapped IPv6 (::ffff:a.b.c.d) is normalised to IPv4, so a trusted
// 10.0.0.0/8 also matches a load balancer that writes its v4 address in v6 form.
class Address {
public:
  // Dotted quad (four decimal parts, no leading zeros) or RFC 4291 IPv6 text without brackets,
  // zone or port. nullopt otherwise.
  static std::optional<Address> parse(std::string_view text);

  bool isV4() const { return v4_; }
  const uint8_t* bytes() const { return bytes_.data(); } // 4 or 16 significant bytes
  std::string toString() const;                          // "1.2.3.4", "2001:db8::1"
  bool operator==(const Address& o) const = default;

private:
  bool v4_ = true;
  std::array<uint8_t, 16> bytes_{};
};

// "10.0.0.0/8", "2001:db8::/32", or a bare address (full-length prefix).
class Cidr {
public:
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const Address& a) const;
  std::string toString() const;

private:
  Address base_;
  int prefix_ = 0;
};

class CidrList {
public:
  CidrList() = default;
  explicit CidrList(std::vector<Cidr> cidrs) : cidrs_(std::move(cidrs)) {}
  bool contains(const Address& a) const;
  bool empty() const { return cidrs_.empty(); }
  size_t size() const { return cidrs_.size(); }
  std::string toString() const; // space separated

private:
  std::vector<Cidr> cidrs_;
};

// A decimal port 0-65535 without sign or leading zeros ("0" is fine).
std::optional<uint16_t> parsePort(std::string_view text);

} // namespace exaproxy::xff
