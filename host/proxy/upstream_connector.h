// From a chosen destination to an open upstream connection: the DNS answer checked (every
// address against the destination policy), a healthy pooled connection taken when one exists,
// otherwise the addresses tried in order (a failed or timed-out connect moves on to the next),
// and the one retry of a pooled connection the origin closed as we reused it.
#pragma once

#include "dns/resolver.h"
#include "proxy/exchange.h"
#include "proxy/next.h"

#include <string>

namespace exaproxy::proxy {

// The resolver's answer for Transaction::destHost: Connect, or the 403/502/504 answer.
Next resolved(const Exchange& ex, const dns::Answer& answer);

// A pooled connection to one of the addresses (Forward, the watch moved into up.s.watch), or a
// connect started to the next address (Connecting: up.s.fd set, no watch yet), or 502 when none
// is left.
Next connectNext(const Exchange& ex);

// The connect in progress failed (`error`, from SO_ERROR or the connect deadline): the next
// address, or the 502/504 answer when none is left.
Next connectFailed(const Exchange& ex, const std::string& error, bool timedOut);

// The connect finished: Tunnel for CONNECT (the 200 head queued for the client), else Forward.
Next connected(const Exchange& ex);

// A pooled connection that ended before one response byte, for a request without a body: the
// origin closed it as we reused it. True (once per request) when a fresh connection should be
// tried: the upstream is closed and the connector rewound.
bool retryStale(const Exchange& ex);

} // namespace exaproxy::proxy
