// A response body that plugins read (ABI 1.7 on_body): instead of relaying the origin's bytes as
// they are, the stage takes the validated body bytes, removes their transfer framing, runs the
// data through the plugins that asked for it and writes their output re-framed for the client.
// The response head is held back until the first byte of output (or the end), so that a plugin
// can still replace the whole response with a block page after seeing the body's first bytes;
// the client then gets the length when the whole body was known first, chunked framing
// (HTTP/1.1) or the end of the connection (HTTP/1.0).
#pragma once

#include "proxy/exchange.h"
#include "proxy/filter_stage.h"
#include "proxy/next.h"

#include <optional>

namespace exaproxy::proxy {

// Takes over the response body (instead of relaying it as it is): the head in tx.resp is kept
// back, and its Content-Encoding decoded when a plugin asked (proxy/body_codec.h). `keepAlive`:
// what the request and the proxy allow for the client connection. An Answer when the body
// cannot be had as asked and a plugin's policy refuses the response for it.
std::optional<Next> startFilteredBody(const Exchange& ex, FilterStage& filters, bool keepAlive);

// What arrived of the body: through the plugins, then to down.out. nullopt to go on; Answer (a
// plugin replaced the response before any byte of it went out) or Abort (the origin broke its
// framing, or a plugin blocked the response too late).
std::optional<Next> stepFilteredBody(const Exchange& ex, FilterStage& filters);

// The body's end went through the plugins (so the response may finish).
bool filteredBodyEnded(const Exchange& ex);

} // namespace exaproxy::proxy
