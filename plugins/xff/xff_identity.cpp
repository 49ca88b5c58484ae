#include "xff_identity.h"

namespace exaproxy::xff {

Resolution resolveIdentity(const Address& peer, const std::vector<Hop>& hops,
                           const CidrList& trusted) {
  Resolution r;
  r.identity = peer;
  if (!trusted.contains(peer)) {
    r.outcome = Outcome::PeerUntrusted;
    return r;
  }
  if (hops.empty()) {
    r.outcome = Outcome::NoHeader;
    return r;
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (it->kind != HopKind::Address) {
      r.outcome = it->kind == HopKind::Invalid ? Outcome::StoppedInvalid : Outcome::StoppedUnknown;
      r.stoppedAt = it->text;
      return r;
    }
    r.identity = it->address;
    ++r.hopsUsed;
    if (!trusted.contains(it->address)) {
      r.outcome = Outcome::Found;
      return r;
    }
  }
  r.outcome = Outcome::AllTrusted;
  return r;
}

const char* outcomeName(Outcome o) {
  switch (o) {
  case Outcome::PeerUntrusted:
    return "peer_untrusted";
  case Outcome::NoHeader:
    return "no_header";
  case Outcome::Found:
    return "found";
  case Outcome::AllTrusted:
    return "all_trusted";
  case Outcome::StoppedUnknown:
    return "stopped_unknown";
  case Outcome::StoppedInvalid:
    return "stopped_invalid";
  }
  return "?";
}

} // namespace exaproxy::xff
