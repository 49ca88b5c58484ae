#include "proxy/http_exchange.h"

#include "http/serializer.h"
#include "proxy/denial_log.h"
#include "proxy/filtered_body.h"
#include "proxy/loop_context.h"
#include "proxy/proxy_log.h"
#include "proxy/relay_io.h"
#include "proxy/tx_cache.h"
#include "proxy/upstream_connector.h"

namespace exaproxy::proxy {

namespace {

// Validates the request body bytes that arrived since the last call. Answer when it is invalid.
std::optional<Next> markRequestSendable(const Exchange& ex) {
  auto& cur = ex.cur;
  if (cur.reqBody.done() || ex.down.in.size() == cur.reqSendable)
    return std::nullopt;
  auto r = cur.reqBody.take(ex.down.in.view().substr(cur.reqSendable));
  if (r) {
    cur.reqSendable += *r;
    return std::nullopt;
  }
  // The upstream already has part of this body: it cannot be told apart from a complete one
  // unless we cut the connection.
  int status = r.error().code == 413 ? 413 : 400;
  logDenial("request.body_rejected: " + r.error().message,
            "request.body_rejected client={} status={} reason=\"{}\"", ex.client.toString(), status,
            r.error().message);
  ex.up.close();
  return Next::error(status, r.error().message, "NONE_NONE", true);
}

// Frames the response body bytes that arrived. Abort when the origin broke its framing.
std::optional<Next> markResponseSendable(const Exchange& ex) {
  auto& cur = ex.cur;
  auto& in = ex.up.s.in;
  auto& body = cur.respBody;
  if (in.size() > cur.respSendable && !body.done()) {
    auto r = body.take(in.view().substr(cur.respSendable));
    if (!r) {
      bump(ex.ctx.counters().upstream_bad_responses);
      return Next::abort("invalid chunked body from upstream: " + r.error().message);
    }
    if (ex.tx.dechunker) {
      // HTTP/1.0 client of a chunked response: the data go out through down.out, the framing is
      // dropped (respSendable stays 0 in this mode).
      ex.tx.dechunker->feed(in.view().substr(cur.respSendable, *r), ex.down.out);
      in.consume(cur.respSendable + *r);
    } else {
      cur.respSendable += *r;
    }
  }
  if (ex.up.s.eof)
    body.endOfInput();
  if (body.truncated())
    return Next::abort(body.framing() == http::Framing::Chunked
                           ? "upstream closed in the middle of a chunked body"
                           : "upstream closed before the end of its Content-Length body");
  return std::nullopt;
}

Next noResponse(const Exchange& ex) {
  if (retryStale(ex))
    return Next::to(Next::Kind::Connect);
  bump(ex.ctx.counters().upstream_bad_responses);
  ex.up.close();
  return Next::error(502, "The server closed the connection without sending a response.",
                     "TCP_MISS",
                     !ex.cur.reqBody.done() || ex.tx.req.framing != http::Framing::None);
}

Next switchProtocols(const Exchange& ex) {
  if (!ex.tx.req.upgradeWebsocket) {
    bump(ex.ctx.counters().upstream_bad_responses);
    ex.up.close();
    return Next::error(502, "The server switched protocols without being asked to.", "TCP_MISS",
                       true);
  }
  ex.cur.status = 101;
  std::string head;
  http::ForwardOptions opts;
  opts.viaName = ex.cfg.name;
  http::writeResponseHead(ex.tx.resp, opts, head);
  ex.down.out.append(head);
  ex.cur.respHeadDone = true;
  return Next::to(Next::Kind::Tunnel);
}

// The final response head: forwarded (or replaced by a plugin), the body relayed next.
Next forwardResponseHead(const Exchange& ex, FilterStage& filters) {
  auto& tx = ex.tx;
  if (auto replaced = filters.onResponse(ex))
    return std::move(*replaced);
  ex.cur.status = tx.resp.status;
  ex.ctx.firstByteLatency().record(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(ex.ctx.loop().now() - ex.cur.start)
          .count()));
  if (auto ct = tx.resp.headers.get("content-type"))
    tx.contentType.assign(*ct);
  // An HTTP/1.0 client cannot read chunked framing: it gets the data, delimited by the close.
  bool dechunk = tx.resp.framing == http::Framing::Chunked && tx.req.versionMinor == 0;
  if (tx.resp.framing != http::Framing::None && filters.wantsResponseBody()) {
    // Plugins read the body: it is re-framed for the client (proxy/filtered_body.h), so the
    // origin's framing does not limit the client connection.
    ex.cur.respHeadDone = true;
    if (auto refused = startFilteredBody(ex, filters, EXAPROXY_RESPONSE,
                                         tx.req.keepAlive && !ex.closeAfter && !ex.ctx.draining()))
      return std::move(*refused);
    return Next::to(Next::Kind::Relay);
  }
  bool keep = tx.req.keepAlive && !ex.closeAfter && tx.resp.framing != http::Framing::UntilClose &&
              !dechunk && !ex.ctx.draining();
  if (!keep)
    ex.closeAfter = true;
  std::string& head = detail::headScratch();
  http::ForwardOptions opts;
  opts.viaName = ex.cfg.name;
  opts.keepAlive = keep;
  if (dechunk) {
    tx.dechunker = std::make_unique<Dechunker>();
    tx.resp.framing = http::Framing::UntilClose; // the head we write has no chunked framing
    http::writeResponseHead(tx.resp, opts, head);
    tx.resp.framing = http::Framing::Chunked;
  } else {
    http::writeResponseHead(tx.resp, opts, head);
  }
  ex.down.out.append(head);
  ex.cur.respHeadDone = true;
  ex.cur.respBody.start(tx.resp.framing, tx.resp.contentLength);
  return Next::to(Next::Kind::Relay);
}

// Parses what the origin sent of its head. Stay until it is complete.
Next handleResponseHead(const Exchange& ex, FilterStage& filters) {
  auto& tx = ex.tx;
  auto st = tx.respParser.parse(ex.up.s.in.view(), tx.req.method, tx.resp);
  if (st == http::ParseState::NeedMore)
    return ex.up.s.eof ? noResponse(ex) : Next::stay();
  if (st == http::ParseState::Error) {
    bump(ex.ctx.counters().upstream_bad_responses);
    proxyLog()->info("upstream.bad_response to={} reason=\"{}\"", ex.up.remote.toString(),
                     tx.respParser.error().reason);
    ex.up.close();
    return Next::error(502, "The server sent an invalid response: " + tx.respParser.error().reason,
                       "TCP_MISS", true);
  }
  ex.up.s.in.consume(tx.respParser.consumed());
  if (tx.resp.status >= 100 && tx.resp.status < 200 && tx.resp.status != 101) {
    bump(ex.ctx.counters().responses_1xx);
    // Interim responses go to HTTP/1.1 clients only; then wait for the final one.
    if (tx.req.versionMinor >= 1 && tx.resp.status == 100)
      queueContinue(ex);
    tx.respParser.reset();
    return Next::progress();
  }
  if (tx.resp.status == 101)
    return switchProtocols(ex);
  return forwardResponseHead(ex, filters);
}

} // namespace

Next startForwarding(const Exchange& ex, FilterStage& filters) {
  auto& cur = ex.cur;
  auto& req = ex.tx.req;
  cur.hierarchy = "HIER_DIRECT";
  cur.requestSent = false;
  cur.reqSendable = 0;
  cur.reqBody.start(req.framing, req.contentLength, ex.cfg.maxRequestBody);
  ex.tx.respParser.reset();
  cur.respHeadDone = false;
  cur.respBody.awaitHead();
  cur.respSendable = 0;
  cur.respBytesFromUpstream = 0;
  if (req.framing != http::Framing::None && filters.wantsRequestBody()) {
    // Plugins read the body: the head waits for their first output (proxy/filtered_body.h).
    if (auto refused = startFilteredBody(ex, filters, EXAPROXY_REQUEST, true))
      return std::move(*refused);
    return Next::progress();
  }
  std::string& head = detail::headScratch();
  http::ForwardOptions opts;
  opts.viaName = ex.cfg.name;
  opts.keepAlive = true;
  http::writeRequestHead(req, opts, head);
  ex.up.s.out.append(head);
  return Next::progress();
}

Next stepHttp(const Exchange& ex, FilterStage& filters) {
  auto& cur = ex.cur;
  Rearm rearm = Rearm::None;
  bool progress = false;
  // Request side: head and body to the upstream.
  if (cur.reqFiltered) {
    if (auto n = stepFilteredBody(ex, filters, EXAPROXY_REQUEST))
      return std::move(*n);
  } else if (auto bad = markRequestSendable(ex)) {
    return std::move(*bad);
  }
  if (!ex.up.s.blocked && ex.up.valid() && (!ex.up.s.out.empty() || cur.reqSendable > 0)) {
    Next n = flushUpstream(ex);
    if (n.kind == Next::Kind::Abort)
      return n;
    if (n.progressed()) {
      progress = true;
      if (!cur.respHeadDone)
        rearm = cur.requestSent ? Rearm::FirstByte : Rearm::RelayIdle;
    }
  }
  if (!cur.requestSent && cur.reqBody.done() && cur.reqSendable == 0 && ex.up.s.out.empty() &&
      !cur.reqHeadHeld && filteredBodyEnded(ex, EXAPROXY_REQUEST)) {
    cur.requestSent = true;
    if (!cur.respHeadDone)
      rearm = Rearm::FirstByte;
  }
  // Response side. Interim responses (100 Continue) wait in down.out before the final head.
  if (!cur.respHeadDone) {
    if (!ex.down.out.empty() && !ex.down.blocked) {
      Next n = flushClient(ex);
      if (n.kind == Next::Kind::Abort)
        return n;
      progress = progress || n.progressed();
    }
    if (!ex.up.s.in.empty() || ex.up.s.eof) {
      Next n = handleResponseHead(ex, filters);
      if (n.kind == Next::Kind::Progress && n.rearm == Rearm::None)
        n.rearm = rearm;
      if (n.progressed())
        return n;
    }
    return progress ? Next::progress(rearm) : Next::stay();
  }
  if (cur.respFiltered) {
    if (auto n = stepFilteredBody(ex, filters, EXAPROXY_RESPONSE))
      return std::move(*n);
  } else if (!cur.respBody.done() || cur.respSendable < ex.up.s.in.size()) {
    if (auto bad = markResponseSendable(ex))
      return std::move(*bad);
  }
  if (!ex.down.out.empty() || cur.respSendable > 0) {
    Next n = flushClient(ex);
    if (n.kind == Next::Kind::Abort)
      return n;
    if (n.progressed()) {
      progress = true;
      rearm = Rearm::RelayIdle;
    }
  }
  if (cur.respBody.done() && ex.down.out.empty() && cur.respSendable == 0 &&
      filteredBodyEnded(ex, EXAPROXY_RESPONSE))
    return Next::to(Next::Kind::Finish);
  return progress ? Next::progress(rearm) : Next::stay();
}

bool upstreamReusable(const Exchange& ex) {
  return ex.up.valid() && ex.tx.resp.keepAlive && ex.tx.resp.framing != http::Framing::UntilClose &&
         ex.cur.requestSent && ex.up.s.in.empty() && !ex.up.s.eof;
}

} // namespace exaproxy::proxy
