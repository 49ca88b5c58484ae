// A body that plugins read (ABI 1.7 on_body), the request's or the response's: instead of
// relaying the sender's bytes as they are, the stage takes the validated body bytes, removes
// their transfer framing, runs the data through the plugins that asked for it and writes their
// output re-framed for the receiver. The head is held back until the first byte of output (or
// the end), so that a plugin can still refuse the message after seeing the body's first bytes:
// a request's origin then gets nothing, a response's client gets the plugin's page instead. The
// receiver gets the length when the whole body was known first, else chunked framing (the origin,
// an HTTP/1.1 client) or the end of the connection (an HTTP/1.0 client).
#pragma once

#include "proxy/exchange.h"
#include "proxy/filter_stage.h"
#include "proxy/next.h"

#include <cstdint>
#include <optional>

namespace exaproxy::proxy {

// Takes over the body of `which` (EXAPROXY_REQUEST or _RESPONSE) instead of relaying it as it is:
// its head (tx.req or tx.resp) is kept back, and its Content-Encoding decoded when a plugin asked
// (proxy/body_codec.h). A request's client that expects 100-continue gets it now. `keepAlive`
// (response): what the request and the proxy allow for the client connection. An Answer when
// the body cannot be had as asked and a plugin's policy refuses the message for it.
std::optional<Next> startFilteredBody(const Exchange& ex, FilterStage& filters, int32_t which,
                                      bool keepAlive);

// What arrived of the body: through the plugins, then to the receiver. nullopt to go on; Answer
// (a plugin refused the message while no byte of the response went to the client; a request
// body broke its framing) or Abort (the origin broke its framing, the client went away in the
// middle of its body, or a plugin refused the response too late).
std::optional<Next> stepFilteredBody(const Exchange& ex, FilterStage& filters, int32_t which);

// The body of `which` is not filtered, or its end went through the plugins and out.
bool filteredBodyEnded(const Exchange& ex, int32_t which);

} // namespace exaproxy::proxy
