// One HTTP request and its response through an open upstream connection: the request head
// rewritten for the origin and its body validated as it goes (body_cursor), interim responses,
// the response head (the plugins' response hooks, keep-alive, de-chunking for HTTP/1.0 clients,
// 101 for a WebSocket upgrade) and its body relayed until its framing ends.
#pragma once

#include "proxy/exchange.h"
#include "proxy/filter_stage.h"
#include "proxy/next.h"

namespace exaproxy::proxy {

// Queues the request head for the origin (or holds it while plugins read the body) and starts
// both body cursors. Progress, or Answer when the body cannot be had as a plugin asked.
Next startForwarding(const Exchange& ex, FilterStage& filters);

// Everything that can move now, both ways. Progress/Stay (with the deadline to restart), Relay
// (the response head is out), Tunnel (101), Connect (a stale pooled connection is replaced),
// Answer (a bad request body or response), Finish, Abort.
Next stepHttp(const Exchange& ex, FilterStage& filters);

// Both messages ended cleanly and the origin keeps the connection: it may go back to the pool.
bool upstreamReusable(const Exchange& ex);

} // namespace exaproxy::proxy
