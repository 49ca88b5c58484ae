// Moving the bytes of a request between the two sides, counted: the reads of socket events and
// the flushes of the HTTP relay and the tunnel. What a failure means is said here once: a client
// that fails is gone (its request is logged _ABORTED), an upstream reset ends its stream.
#pragma once

#include "proxy/exchange.h"
#include "proxy/next.h"

#include <cstddef>

namespace exaproxy::proxy {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kBufferLimit = 128 * 1024; // per direction, while relaying bodies

// One read into the side's buffer, up to `limit` bytes held. Stay, or Abort on a client failure.
Next readSide(const Exchange& ex, Side side, size_t limit);

// The client's bytes: down.out (heads, interim and local responses) then the response bytes
// marked sendable in up.in. Progress, Stay (nothing went), or Abort.
Next flushClient(const Exchange& ex);
// The upstream's bytes: up.out (the request head) then the request bytes marked sendable in
// down.in.
Next flushUpstream(const Exchange& ex);

// Queues an interim "100 Continue" for the client (counted apart from the final response).
void queueContinue(const Exchange& ex);

// Marks the access-log result of a request whose client went away.
void markAborted(TxProgress& cur);

} // namespace exaproxy::proxy
