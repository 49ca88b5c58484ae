#include "proxy/filtered_body.h"

#include "http/header_map.h"
#include "http/serializer.h"
#include "proxy/loop_context.h"
#include "proxy/proxy_log.h"
#include "proxy/relay_io.h"
#include "proxy/tx_cache.h"

#include <charconv>

namespace exaproxy::proxy {

namespace {

// The held head goes out, framed for what is known of the body now: `complete` (its end went
// through the plugins, `total` bytes) gives a Content-Length; else chunked to an HTTP/1.1 client,
// the connection's end to an HTTP/1.0 one.
void writeHeldHead(const Exchange& ex, FilteredBody& f, bool complete, size_t total) {
  auto& resp = ex.tx.resp;
  http::Framing origin = resp.framing;
  bool keep = f.keepAlive;
  resp.headers.remove("content-length");
  if (f.plainOut)
    resp.headers.remove("content-encoding");
  if (complete) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, total);
    (void)ec;
    resp.headers.set("Content-Length", std::string_view(digits, static_cast<size_t>(end - digits)));
    resp.framing = http::Framing::ContentLength;
  } else if (ex.tx.req.versionMinor >= 1) {
    resp.framing = http::Framing::Chunked;
    f.chunkedOut = true;
  } else {
    resp.framing = http::Framing::UntilClose;
    keep = false;
  }
  if (!keep)
    ex.closeAfter = true;
  std::string& head = detail::headScratch();
  http::ForwardOptions opts;
  opts.viaName = ex.cfg.name;
  opts.keepAlive = keep;
  http::writeResponseHead(resp, opts, head);
  resp.framing = origin; // the origin's framing still says what its connection can do
  ex.down.out.append(head);
  ex.cur.respHeadHeld = false;
}

void appendFramed(const Exchange& ex, FilteredBody& f, bool end) {
  auto& out = ex.down.out;
  if (!f.chunkedOut) {
    out.append(f.out);
    return;
  }
  if (!f.out.empty()) {
    char size[20];
    auto [p, ec] = std::to_chars(size, size + sizeof size, f.out.size(), 16);
    (void)ec;
    out.append(std::string_view(size, static_cast<size_t>(p - size)));
    out.append("\r\n");
    out.append(f.out);
    out.append("\r\n");
  }
  if (end)
    out.append("0\r\n\r\n");
}

// The origin's content cannot be decoded: 502 while nothing went out, else the connection ends.
std::optional<Next> badContent(const Exchange& ex, const std::string& why) {
  bump(ex.ctx.counters().upstream_bad_responses);
  proxyLog()->info("upstream.bad_content to={} url={} reason=\"{}\"", ex.up.remote.toString(),
                   ex.tx.req.url(), why);
  ex.up.close();
  if (!ex.cur.respHeadHeld)
    return Next::abort("undecodable content from upstream: " + why);
  ex.cur.respHeadHeld = false;
  ex.cur.respHeadDone = false;
  return Next::error(502, "The server sent content that cannot be decoded: " + why, "TCP_MISS",
                     true);
}

// Decoded data is left for another step (one step decodes a bounded amount): step again.
std::optional<Next> more(const FilteredBody& f, std::optional<Next> n) {
  if (n || !f.decoder || !f.decoder->hasPending() || f.ended)
    return n;
  return Next::progress(Rearm::RelayIdle);
}

// Bytes taken without output (framing, data a plugin holds) are activity all the same.
std::optional<Next> quiet(size_t taken) {
  if (taken == 0)
    return std::nullopt;
  return Next::progress(Rearm::RelayIdle);
}

// What the plugins made of a piece (`end`: the last one): an answer in place of the response,
// or their output (f.out) framed for the client.
std::optional<Next> deliver(const Exchange& ex, FilterStage& filters, FilteredBody& f,
                            plugin::PluginTransaction::BodyStep step, bool end, size_t taken) {
  auto& cur = ex.cur;
  if (step.answered) {
    if (cur.respHeadHeld) {
      // Nothing of the origin's response went out: the plugin's answer replaces it.
      cur.respHeadHeld = false;
      cur.respHeadDone = false;
      ex.up.close();
      return filters.answerFor(ex, step.answer);
    }
    bump(ex.ctx.counters().plugin_late_answers);
    proxyLog()->warn("plugin.late_answer plugin={} url={} reason=\"{}\" (the response had "
                     "started: the client connection is closed)",
                     step.answer.plugin, ex.tx.req.url(), step.answer.reason);
    markAborted(cur);
    return Next::abort("plugin " + step.answer.plugin + " ended the response after it started");
  }
  f.ended = end;
  if (f.encoder) {
    f.encoded.clear();
    f.encoder->encode(f.out, end, f.encoded);
    f.out.swap(f.encoded);
  }
  if (f.out.empty() && !end)
    return quiet(taken);
  if (cur.respHeadHeld)
    writeHeldHead(ex, f, end, f.out.size());
  appendFramed(ex, f, end);
  return std::nullopt;
}

// Every plugin passed the piece (the first `taken` bytes of the origin's buffer) as it is: it
// goes out from there, as a plain relay's bytes do, after its framing; what follows it waits.
std::optional<Next> sendInPlace(const Exchange& ex, FilteredBody& f, size_t taken, bool end) {
  f.ended = end;
  if (ex.cur.respHeadHeld)
    writeHeldHead(ex, f, end, taken);
  if (f.chunkedOut) {
    if (taken > 0) {
      char size[20];
      auto [p, ec] = std::to_chars(size, size + sizeof size, taken, 16);
      (void)ec;
      ex.down.out.append(std::string_view(size, static_cast<size_t>(p - size)));
      ex.down.out.append("\r\n");
      f.suffix = "\r\n";
    }
    if (end)
      f.suffix += "0\r\n\r\n";
  }
  ex.cur.respSendable = taken;
  if (taken == 0) { // no data to wait for
    ex.down.out.append(f.suffix);
    f.suffix.clear();
  }
  return std::nullopt;
}

// Sets up the decoding the plugins asked for. An Answer when it cannot be had and a plugin's
// policy refuses the response for it.
std::optional<Next> startDecoding(const Exchange& ex, FilterStage& filters, FilteredBody& f) {
  auto* plugins = filters.transaction();
  uint32_t flags = plugins->bodyFlags(EXAPROXY_RESPONSE);
  if (!(flags & EXAPROXY_WANT_DECODED))
    return std::nullopt;
  auto value = ex.tx.resp.headers.get("content-encoding");
  if (!value || value->empty() || http::iequals(*value, "identity"))
    return std::nullopt; // identity: nothing to decode
  auto coding = codingOf(*value);
  if (!coding) {
    auto refusal = plugins->decodeRefusal(
        EXAPROXY_RESPONSE, "cannot decode Content-Encoding: " + std::string(*value), true);
    if (!refusal)
      return std::nullopt; // on_error = allow: those plugins skip this body
    ex.cur.respHeadHeld = false;
    ex.cur.respHeadDone = false;
    ex.up.close();
    return filters.answerFor(ex, *refusal);
  }
  f.decoder = std::make_unique<BodyDecoder>(*coding, ex.cfg.maxDecodedBody, ex.cfg.maxDecodeRatio);
  if (flags & EXAPROXY_WANT_PLAIN)
    f.plainOut = true;
  else
    f.encoder = std::make_unique<BodyEncoder>(*coding);
  return std::nullopt;
}

} // namespace

std::optional<Next> startFilteredBody(const Exchange& ex, FilterStage& filters, bool keepAlive) {
  auto& tx = ex.tx;
  FilteredBody& f = tx.filtered;
  f.decodeChunks = tx.resp.framing == http::Framing::Chunked;
  f.dechunker = Dechunker();
  f.keepAlive = keepAlive;
  f.chunkedOut = false;
  f.ended = false;
  f.waited = false;
  f.suffix.clear();
  f.data.consume(f.data.size());
  f.decoder.reset();
  f.encoder.reset();
  f.plainOut = false;
  ex.cur.respFiltered = true;
  ex.cur.respHeadHeld = true;
  ex.cur.respBody.start(tx.resp.framing, tx.resp.contentLength);
  return startDecoding(ex, filters, f);
}

std::optional<Next> stepFilteredBody(const Exchange& ex, FilterStage& filters) {
  auto& cur = ex.cur;
  auto& in = ex.up.s.in;
  auto& body = cur.respBody;
  FilteredBody& f = ex.tx.filtered;
  auto* plugins = filters.transaction();
  if (cur.respSendable > 0)
    return std::nullopt; // a piece goes out from the origin's buffer: nothing may pass it
  if (!f.suffix.empty()) {
    ex.down.out.append(f.suffix);
    f.suffix.clear();
  }
  if (f.ended || plugins->bodyWaiting())
    return std::nullopt; // done, or a plugin's PENDING verdict has not come yet
  f.out.clear();
  if (f.waited) { // it came (or its time ran out): what the plugins made of that piece
    f.waited = false;
    return more(f, deliver(ex, filters, f, plugins->takeBody(f.out), f.waitedEnd, 0));
  }
  if (ex.down.out.size() >= kBufferLimit)
    return std::nullopt; // the client has not taken what went out yet: wait for it
  size_t taken = 0;
  std::string_view piece;
  if (!in.empty() && !body.done()) {
    auto r = body.take(in.view());
    if (!r) {
      bump(ex.ctx.counters().upstream_bad_responses);
      return Next::abort("invalid chunked body from upstream: " + r.error().message);
    }
    taken = *r;
    if (f.decodeChunks) {
      f.dechunker.feed(in.view().substr(0, taken), f.data);
      piece = f.data.view();
    } else {
      piece = in.view().substr(0, taken);
    }
  }
  if (ex.up.s.eof)
    body.endOfInput();
  if (body.truncated())
    return Next::abort(body.framing() == http::Framing::Chunked
                           ? "upstream closed in the middle of a chunked body"
                           : "upstream closed before the end of its Content-Length body");
  bool end = body.done();
  if (f.decoder) {
    f.decoded.clear();
    std::string bad = f.decoder->decode(piece, end, f.decoded);
    in.consume(taken);
    f.data.consume(f.data.size());
    taken = 0;
    if (!bad.empty())
      return badContent(ex, bad);
    if (!f.decoder->overLimit().empty()) {
      auto refusal = plugins->decodeRefusal(EXAPROXY_RESPONSE, f.decoder->overLimit(), false);
      if (refusal) {
        plugin::PluginTransaction::BodyStep step;
        step.answered = true;
        step.answer = std::move(*refusal);
        return deliver(ex, filters, f, std::move(step), end, 0);
      }
      f.decoder->lift(); // on_error = allow: decoding goes on unbounded
    }
    end = end && !f.decoder->hasPending();
    piece = f.decoded;
  }
  if (piece.empty() && !end) {
    in.consume(taken);
    return more(f, quiet(taken));
  }
  bool inPlace = !f.decoder && !f.decodeChunks; // the piece is the front of `in`
  auto step = plugins->runBody(EXAPROXY_RESPONSE, piece, end, f.out, inPlace);
  if (step.unchanged)
    return sendInPlace(ex, f, taken, end);
  in.consume(taken);
  f.data.consume(f.data.size());
  if (step.waiting) {
    f.waited = true;
    f.waitedEnd = end;
    return quiet(taken);
  }
  return more(f, deliver(ex, filters, f, std::move(step), end, taken));
}

bool filteredBodyEnded(const Exchange& ex) {
  return !ex.cur.respFiltered || (ex.tx.filtered.ended && ex.tx.filtered.suffix.empty());
}

} // namespace exaproxy::proxy
