// The session's one timer: how long each wait may last (header_read, connect, first_byte,
// relay_idle, tunnel_idle, idle_keepalive) and what its expiry means in each state — 408 while
// a head is arriving, the next address (or 504) while connecting, 504 before the response
// started, a cut connection once it has.
#pragma once

#include "net/event_loop.h"
#include "proxy/exchange.h"
#include "proxy/next.h"
#include "proxy/transaction_state.h"

namespace exaproxy::proxy {

net::Millis deadline(Rearm which, const HostConfig& cfg);

// How long a connection closed after an answer keeps reading (and dropping) what the client still
// sends, so that our answer is not destroyed by a reset (ClientSession::stepLocal).
constexpr net::Millis kLingeringClose{2000};

// What the expiry of the timer means in `state`. A quiet close of an idle keep-alive connection
// is Finish.
Next onDeadline(const Exchange& ex, TxState state);

} // namespace exaproxy::proxy
