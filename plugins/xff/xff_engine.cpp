#include "xff_engine.h"

namespace exaproxy::xff {

Decision decide(const Settings& s, const Address& peer, const ReceivedHeaders& in, bool isConnect) {
  Decision d;
  d.usedForwarded =
      s.follow == Follow::Forwarded || (s.follow == Follow::Both && !in.forwarded.empty());
  // Parsing costs nothing when the peer is untrusted: its headers are never read.
  std::vector<Hop> hops;
  if (s.trusted.contains(peer))
    hops = d.usedForwarded ? parseForwarded(in.forwarded) : parseXForwardedFor(in.xForwardedFor);
  d.resolution = resolveIdentity(peer, hops, s.trusted);
  d.identityChanged = !(d.resolution.identity == peer);
  if (!isConnect)
    d.plan = planOutbound(s, in, peer, d.resolution.identity);
  return d;
}

CounterList countersFor(const Settings& s, const Decision& d) {
  CounterList out;
  out.push_back(Counter::requests);
  out.push_back(outcomeCounter(d.resolution.outcome));
  if (d.identityChanged)
    out.push_back(Counter::identity_changed);
  using Op = HeaderEdit::Op;
  if (d.plan.xForwardedFor.op == Op::Set)
    out.push_back(s.forwardedFor == ForwardedForPolicy::Truncate ? Counter::xff_truncated
                                                                 : Counter::xff_appended);
  if (d.plan.xForwardedFor.op == Op::Remove)
    out.push_back(Counter::xff_deleted);
  if (d.plan.forwarded.op == Op::Set)
    out.push_back(Counter::forwarded_appended);
  if (d.plan.connection.op != Op::Keep)
    out.push_back(Counter::connection_scrubbed);
  return out;
}

void account(Stats& stats, const Settings& s, const Decision& d) {
  for (Counter c : countersFor(s, d))
    stats.add(c);
  if (!d.resolution.stoppedAt.empty())
    stats.setLastStop(sanitize(d.resolution.stoppedAt));
}

} // namespace exaproxy::xff
