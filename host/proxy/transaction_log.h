// The record of a request: its bytes as they move (counters, per side and per address family),
// and its access-log line and status counters once it is done.
#pragma once

#include "proxy/exchange.h"

#include <cstdint>

namespace exaproxy::plugin {
class PluginTransaction;
}

namespace exaproxy::proxy {

void countRead(const Exchange& ex, Side side, uint64_t n);
void countWritten(const Exchange& ex, Side side, uint64_t n);

// Writes the access-log line (once per request: TxProgress::logged), counts the status class and
// the latency, and tells the plugins the request is done (`plugins` may be null).
void logAccess(const Exchange& ex, plugin::PluginTransaction* plugins);

} // namespace exaproxy::proxy
