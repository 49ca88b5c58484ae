// The first stage of a request: its head parsed from the client's bytes, then the host's own
// rules (proxy/admission.h) applied — a refusal counted and logged, a request for the proxy's
// own pages answered — before the filters see it.
#pragma once

#include "proxy/exchange.h"
#include "proxy/next.h"

namespace exaproxy::proxy {

// Stay until the head is complete; then Progress (consumed, TxProgress::haveRequest), or the
// 400/414/431/501 answer of a head that cannot be forwarded.
Next readRequestHead(const Exchange& ex);

// Filter (on to the plugins), or the host's own answer.
Next admitRequest(const Exchange& ex, bool routeByHost);

} // namespace exaproxy::proxy
