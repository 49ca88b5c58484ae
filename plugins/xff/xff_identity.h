// The trust walk (PROTOCOLS.md §3.1 "Trust rule", §3.2 table): who the client is, given the TCP
// peer (or PROXY protocol source), the hops its headers list, and the proxies we trust.
#pragma once

#include "xff_address.h"
#include "xff_hops.h"

#include <string>
#include <vector>

namespace exaproxy::xff {

enum class Outcome {
  PeerUntrusted,  // the peer is not one of our proxies: its headers are ignored
  NoHeader,       // a trusted peer sent no hop: it is the client
  Found,          // walking from the right, an untrusted address: the client
  AllTrusted,     // every hop is trusted: the leftmost one is the client
  StoppedUnknown, // "unknown", an obfuscated id or a Forwarded element without for=: stop there
  StoppedInvalid  // garbage: stop there
};

struct Resolution {
  Address identity; // the client as every later plugin and the access log see it
  Outcome outcome = Outcome::PeerUntrusted;
  size_t hopsUsed = 0;   // hops walked past (believed), from the right
  std::string stoppedAt; // the Unknown/Invalid element's text (unsanitised), else empty
};

// Starts at the peer. If it is trusted, walks hops from the right: a trusted address is believed
// and the walk goes on; the first untrusted address is the client; an Unknown, Obfuscated or
// Invalid element stops the walk, keeping the last address reached. Never the leftmost entry
// unless every entry before it was trusted.
Resolution resolveIdentity(const Address& peer, const std::vector<Hop>& hops,
                           const CidrList& trusted);

const char* outcomeName(Outcome o);

} // namespace exaproxy::xff
