// CidrSet: client networks ("10.0.0.0/8", "192.0.2.7", "2001:db8::/32") and a membership test
// for a textual address. IPv4 prefixes also match IPv4-mapped IPv6 clients (::ffff:10.1.2.3).
// Immutable after the adds: safe to read from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::common {

// An address in 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d).
struct IpBytes {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;
};

// Parses a textual IPv4 or IPv6 address (no brackets, no port); IPv4-mapped IPv6 counts as IPv4.
std::optional<IpBytes> parseIp(std::string_view text);

class CidrSet {
public:
  // Adds "address" or "address/prefix". False, with why, when malformed.
  bool add(std::string_view text, std::string& why);
  bool contains(std::string_view address) const;
  bool contains(const IpBytes& address) const;
  bool empty() const { return nets_.empty(); }
  size_t size() const { return nets_.size(); }

private:
  struct Net {
    IpBytes base;        // host bits cleared
    unsigned prefix = 0; // over the 128-bit form (IPv4 /n is stored as /96+n)
  };
  std::vector<Net> nets_;
};

} // namespace exaproxy::common
