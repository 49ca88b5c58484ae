// The hop lists of X-Forwarded-For and RFC 7239 Forwarded, parsed into one element per hop, left
// (the client's end) to right (the hop nearest to us). PROTOCOLS.md §3.1.
#pragma once

#include "xff_address.h"

#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::xff {

enum class HopKind {
  Address,    // an IP address (IPv4, IPv6, bracketed or not, with or without a port)
  Unknown,    // "unknown", or a Forwarded element without for=: the hop did not know or say
  Obfuscated, // RFC 7239 obfuscated identifier "_hidden"
  Invalid     // anything else: garbage stops the walk
};

struct Hop {
  HopKind kind = HopKind::Invalid;
  Address address;  // when kind == Address
  std::string text; // the element as received (trimmed), for logs: sanitise before writing it
};

// X-Forwarded-For: every field line in order, joined as one comma-separated list (several lines
// are one list: an attacker's line and the load balancer's line must not be read separately).
// Elements: 1.2.3.4, 1.2.3.4:80, 2001:db8::1, [2001:db8::1], [2001:db8::1]:4711, unknown, _obf.
// Empty elements ("a,,b", an empty line) are not hops and are skipped, as the list rule says.
std::vector<Hop> parseXForwardedFor(const std::vector<std::string_view>& lines);

// Forwarded: for= of each element (token or quoted-string; IPv6 must be bracketed and quoted).
// An element that does not parse (bad syntax, a repeated parameter, a bad for= value) is Invalid;
// one without for= is Unknown.
std::vector<Hop> parseForwarded(const std::vector<std::string_view>& lines);

// One node as the two headers write it. forwardedSyntax: RFC 7239 node rules (IPv6 only in
// brackets, obfuscated ports allowed).
Hop parseNode(std::string_view text, bool forwardedSyntax);

// How we write a node in Forwarded: 192.0.2.1 bare, IPv6 as "[2001:db8::1]" (quoted, RFC 7239 §6).
std::string forwardedNode(const Address& a);

} // namespace exaproxy::xff
