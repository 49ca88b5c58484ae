// One request through the xff logic, without the ABI: pick the header to walk (follow), resolve
// the identity, plan the outbound headers. The plugin glue only reads headers, calls decide() and
// applies the result.
#pragma once

#include "xff_identity.h"
#include "xff_outbound.h"
#include "xff_settings.h"
#include "xff_status.h"

#include <array>
#include <cstddef>

namespace exaproxy::xff {

struct Decision {
  Resolution resolution;
  OutboundPlan plan;            // all Keep for CONNECT (its head never reaches an origin)
  bool usedForwarded = false;   // the walk read Forwarded rather than X-Forwarded-For
  bool identityChanged = false; // the identity differs from the peer
};

// peer: the connection's client address as the host gives it (TCP peer or PROXY source).
Decision decide(const Settings& s, const Address& peer, const ReceivedHeaders& in, bool isConnect);

// The counters one decision bumps (each once), in a fixed-size list: no allocation per request.
class CounterList {
public:
  void push_back(Counter c) { items_[size_++] = c; }
  const Counter* begin() const { return items_.data(); }
  const Counter* end() const { return items_.data() + size_; }
  size_t size() const { return size_; }

private:
  std::array<Counter, static_cast<size_t>(Counter::Count)> items_{};
  size_t size_ = 0;
};
CounterList countersFor(const Settings& s, const Decision& d);

// Bumps them in stats and remembers where a walk stopped (sanitised).
void account(Stats& stats, const Settings& s, const Decision& d);

} // namespace exaproxy::xff
