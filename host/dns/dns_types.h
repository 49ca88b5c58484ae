// Plain values shared by the DNS cache and the resolver: statuses, answers, configuration.
// No sockets and no c-ares here, so that the cache and its users can be tested without a network.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.h"

namespace exaproxy::dns {

enum class DnsStatus { Ok, NxDomain, NoData, ServFail, Refused, Timeout, Error };

// "ok", "nxdomain", "nodata", "servfail", "refused", "timeout", "error" (access log, UI, JSON).
std::string_view toString(DnsStatus status);

struct Answer {
  DnsStatus status = DnsStatus::Error;
  // Preferred family first (ResolverConfig::preferIpv6), then the other family; within a family in
  // the order the server answered (c-ares' RFC 6724 sorting is disabled on purpose).
  std::vector<IpAddress> addresses;
  // Human text for logs and error pages, e.g. "no such domain (NXDOMAIN)".
  std::string message;
  bool fromCache = false;
  // Smallest TTL among the answer's records as the server sent it (before clamping); 0 for
  // negative answers, IP literals and hosts-file entries.
  std::chrono::seconds ttl{0};
};

struct ResolverConfig {
  std::vector<Endpoint> servers; // empty: /etc/resolv.conf
  bool useHostsFile = true;      // ARES_OPT_LOOKUPS "fb" (hosts file, then DNS) vs "b" (DNS only)
  bool preferIpv6 = false;
  std::chrono::milliseconds timeout{2000}; // per try
  int tries = 2;
  std::chrono::seconds minTtl{1};
  std::chrono::seconds maxTtl{3600};
  std::chrono::seconds negativeTtl{30};
  size_t maxEntries = 10000;
};

// How long an answer may be cached: positive answers for their record TTL clamped to
// [minTtl, maxTtl], NXDOMAIN/NODATA for negativeTtl; nullopt for answers that must not be cached
// (SERVFAIL, REFUSED, timeout, error) or a zero negative TTL.
std::optional<std::chrono::seconds> cacheTtlFor(const Answer& answer, const ResolverConfig& config);

// Cache and query key: ASCII lower case, one trailing dot removed ("WWW.Example.com." →
// "www.example.com").
std::string normalizeName(std::string_view name);

// "1.2.3.4", "::1" or "[::1]" → the address; anything else → nullopt.
std::optional<IpAddress> parseLiteral(std::string_view name);

} // namespace exaproxy::dns
