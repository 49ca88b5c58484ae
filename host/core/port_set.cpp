#include "core/port_set.h"

namespace exaproxy {

namespace {

std::vector<std::string_view> splitItems(std::string_view text) {
  std::vector<std::string_view> items;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == ','))
      ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != ',')
      ++i;
    if (i > start)
      items.push_back(text.substr(start, i - start));
  }
  return items;
}

// 1..65535 in plain decimal digits (no sign, no space, at most five digits).
std::optional<uint16_t> parsePort(std::string_view s) {
  if (s.empty() || s.size() > 5)
    return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(v);
}

std::string rangeText(const PortSet::Range& r) {
  if (r.first == r.last)
    return std::to_string(r.first);
  return std::to_string(r.first) + "-" + std::to_string(r.last);
}

} // namespace

std::optional<PortSet::Range> PortSet::parseItem(std::string_view item) {
  auto dash = item.find('-');
  if (dash == std::string_view::npos) {
    auto p = parsePort(item);
    if (!p)
      return std::nullopt;
    return Range{*p, *p};
  }
  auto first = parsePort(item.substr(0, dash));
  auto last = parsePort(item.substr(dash + 1));
  if (!first || !last || *first > *last)
    return std::nullopt;
  return Range{*first, *last};
}

std::optional<PortSet> PortSet::parse(std::string_view text, std::string* why) {
  std::vector<Range> ranges;
  for (auto item : splitItems(text)) {
    auto r = parseItem(item);
    if (!r) {
      if (why)
        *why = "'" + std::string(item) +
               "' is not a port from 1 to 65535 or a range like 1025-65535 (first <= last)";
      return std::nullopt;
    }
    ranges.push_back(*r);
  }
  if (ranges.empty()) {
    if (why)
      *why = "expected at least one port or range, like 443 or 1025-65535";
    return std::nullopt;
  }
  return PortSet(std::move(ranges));
}

bool PortSet::contains(uint16_t port) const {
  for (const auto& r : ranges_)
    if (port >= r.first && port <= r.last)
      return true;
  return false;
}

std::string PortSet::toString() const {
  std::string out;
  for (const auto& r : ranges_) {
    if (!out.empty())
      out += ' ';
    out += rangeText(r);
  }
  return out;
}

std::optional<AddressPortSet> AddressPortSet::parse(std::string_view text, std::string* why) {
  AddressPortSet set;
  for (auto item : splitItems(text)) {
    std::string_view net = item;
    std::string_view ports;
    bool bracketed = !item.empty() && item.front() == '[';
    if (bracketed) {
      auto close = item.find(']');
      if (close == std::string_view::npos || close + 1 >= item.size() || item[close + 1] != ':') {
        if (why)
          *why = "'" + std::string(item) + "': brackets are for an IPv6 prefix with ports, " +
                 "like [::1]:8081 or [::1/128]:8000-8099";
        return std::nullopt;
      }
      net = item.substr(1, close - 1);
      ports = item.substr(close + 2);
    } else if (item.find(':') == item.rfind(':') && item.find(':') != std::string_view::npos) {
      // One colon: IPv4 prefix and ports. Several: a bare IPv6 prefix (every port).
      auto colon = item.find(':');
      net = item.substr(0, colon);
      ports = item.substr(colon + 1);
    }
    auto cidr = Cidr::parse(net);
    if (!cidr || (bracketed && net.find(':') == std::string_view::npos)) {
      if (why)
        *why = "'" + std::string(item) + "' is not an address or prefix with optional ports, " +
               "like 127.0.0.1:8081, 127.0.0.0/8:8000-8099, ::1/128 or [::1]:8081";
      return std::nullopt;
    }
    Rule rule{*cidr, std::nullopt};
    if (bracketed || !ports.empty() || item.back() == ':') {
      rule.ports = PortSet::parseItem(ports);
      if (!rule.ports) {
        if (why)
          *why = "'" + std::string(item) + "': '" + std::string(ports) +
                 "' is not a port from 1 to 65535 or a range like 8000-8099 (first <= last)";
        return std::nullopt;
      }
    }
    set.rules_.push_back(rule);
  }
  return set;
}

bool AddressPortSet::contains(const Endpoint& to) const {
  for (const auto& r : rules_)
    if (r.net.contains(to.address) &&
        (!r.ports || (to.port >= r.ports->first && to.port <= r.ports->last)))
      return true;
  return false;
}

std::string AddressPortSet::toString() const {
  std::string out;
  for (const auto& r : rules_) {
    if (!out.empty())
      out += ' ';
    auto net = r.net.toString();
    bool v6 = net.find(':') != std::string::npos;
    if (!r.ports)
      out += net;
    else if (v6)
      out += "[" + net + "]:" + rangeText(*r.ports);
    else
      out += net + ":" + rangeText(*r.ports);
  }
  return out;
}

} // namespace exaproxy
