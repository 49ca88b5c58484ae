#include "dns/dns_types.h"

#include <algorithm>

namespace exaproxy::dns {

std::string_view toString(DnsStatus status) {
  switch (status) {
  case DnsStatus::Ok:
    return "ok";
  case DnsStatus::NxDomain:
    return "nxdomain";
  case DnsStatus::NoData:
    return "nodata";
  case DnsStatus::ServFail:
    return "servfail";
  case DnsStatus::Refused:
    return "refused";
  case DnsStatus::Timeout:
    return "timeout";
  case DnsStatus::Error:
    break;
  }
  return "error";
}

std::optional<std::chrono::seconds> cacheTtlFor(const Answer& answer,
                                                const ResolverConfig& config) {
  switch (answer.status) {
  case DnsStatus::Ok: {
    if (answer.addresses.empty())
      return std::nullopt;
    // maxTtl wins over minTtl should an operator configure them crossed.
    auto ttl = std::max(answer.ttl, config.minTtl);
    ttl = std::min(ttl, config.maxTtl);
    if (ttl <= std::chrono::seconds::zero())
      return std::nullopt;
    return ttl;
  }
  case DnsStatus::NxDomain:
  case DnsStatus::NoData:
    if (config.negativeTtl <= std::chrono::seconds::zero())
      return std::nullopt;
    return config.negativeTtl;
  default:
    // A server failure or a timeout says nothing about the name: the next request asks again.
    return std::nullopt;
  }
}

std::string normalizeName(std::string_view name) {
  if (!name.empty() && name.back() == '.')
    name.remove_suffix(1);
  std::string out(name);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<IpAddress> parseLiteral(std::string_view name) {
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    auto inner = name.substr(1, name.size() - 2);
    // Brackets only ever enclose IPv6 text ("[::ffff:1.2.3.4]" is fine: it normalises to v4).
    if (inner.find(':') == std::string_view::npos)
      return std::nullopt;
    return IpAddress::parse(inner);
  }
  return IpAddress::parse(name);
}

} // namespace exaproxy::dns
