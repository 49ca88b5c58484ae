// Port policy values: a set of TCP ports written as single ports and ranges ("80 443 1025-65535"),
// and address-and-port rules ("127.0.0.1:8081", "[::1]:8000-8099", "10.1.2.3/32"). Plain values,
// shared by config and proxy.
#pragma once

#include "core/ip_address.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy {

class PortSet {
public:
  struct Range {
    uint16_t first = 0;
    uint16_t last = 0;
    bool operator==(const Range&) const = default;
  };

  PortSet() = default;
  explicit PortSet(std::vector<Range> ranges) : ranges_(std::move(ranges)) {}

  // A list of ports and ranges separated by spaces or commas. Strict: "443-", "-1", "9-1", "0",
  // "65536", "+80" are errors, and so is an empty list. On error *why says which item and why.
  static std::optional<PortSet> parse(std::string_view text, std::string* why);
  // One item: "80" or "1025-65535".
  static std::optional<Range> parseItem(std::string_view item);

  bool contains(uint16_t port) const;
  bool empty() const { return ranges_.empty(); }
  const std::vector<Range>& ranges() const { return ranges_; }
  std::string toString() const; // "80 443 1025-65535"
  bool operator==(const PortSet&) const = default;

private:
  std::vector<Range> ranges_;
};

// Destinations chosen by address prefix and, optionally, ports ([acl] allow_local_destinations).
// Items: "127.0.0.1" (every port), "127.0.0.0/8:8081", "127.0.0.1:8000-8099", "::1/128" (every
// port), "[::1]:8081", "[::1/128]:8000-8099". Several ports for one prefix: one item per range.
class AddressPortSet {
public:
  struct Rule {
    Cidr net;
    std::optional<PortSet::Range> ports; // nullopt: every port
  };

  static std::optional<AddressPortSet> parse(std::string_view text, std::string* why);
  bool contains(const Endpoint& to) const;
  bool empty() const { return rules_.empty(); }
  const std::vector<Rule>& rules() const { return rules_; }
  std::string toString() const;

private:
  std::vector<Rule> rules_;
};

} // namespace exaproxy
