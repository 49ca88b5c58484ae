#include "proxy/filtered_body.h"

#include "http/header_map.h"
#include "http/serializer.h"
#include "proxy/denial_log.h"
#include "proxy/loop_context.h"
#include "proxy/proxy_log.h"
#include "proxy/relay_io.h"
#include "proxy/tx_cache.h"

#include <charconv>
#include <string>

namespace exaproxy::proxy {

namespace {

// One direction of a filtered body: where its bytes come from and go, and how far it is.
struct Flow {
  int32_t which;
  FilteredBody& f;
  net::Stream& from;      // the sender: its bytes and its end of stream
  net::Buffer& out;       // what goes to the receiver
  http::BodyCursor& body; // the sender's framing
  size_t& sendable;       // bytes at the front of from.in that go out as they are
  bool& headHeld;

  bool request() const { return which == EXAPROXY_REQUEST; }
};

Flow flowOf(const Exchange& ex, int32_t which) {
  auto& cur = ex.cur;
  if (which == EXAPROXY_REQUEST)
    return {which,       ex.tx.filteredReq, ex.down,        ex.up.s.out,
            cur.reqBody, cur.reqSendable,   cur.reqHeadHeld};
  return {which,        ex.tx.filtered,   ex.up.s,         ex.down.out,
          cur.respBody, cur.respSendable, cur.respHeadHeld};
}

http::HeaderMap& headersOf(const Exchange& ex, const Flow& s) {
  return s.request() ? ex.tx.req.headers : ex.tx.resp.headers;
}

// The held head of a request goes to the origin, framed for what is known of the body now: its
// length when the end went through the plugins (`complete`, `total` bytes), else chunked (the
// proxy speaks HTTP/1.1 to origins).
void writeHeldRequestHead(const Exchange& ex, FilteredBody& f, bool complete, size_t total) {
  auto& req = ex.tx.req;
  http::Framing client = req.framing;
  if (complete) {
    req.headers.set("Content-Length", std::to_string(total));
    req.framing = http::Framing::ContentLength;
  } else {
    req.framing = http::Framing::Chunked;
    f.chunkedOut = true;
  }
  std::string& head = detail::headScratch();
  http::ForwardOptions opts;
  opts.viaName = ex.cfg.name;
  opts.keepAlive = true;
  http::writeRequestHead(req, opts, head);
  req.framing = client; // the client's framing still says how its connection goes on
  ex.up.s.out.append(head);
}

// The held head goes out, framed for what is known of the body now: `complete` (its end went
// through the plugins, `total` bytes) gives a Content-Length; else chunked to an origin or an
// HTTP/1.1 client, the connection's end to an HTTP/1.0 one.
void writeHeldHead(const Exchange& ex, const Flow& s, bool complete, size_t total) {
  FilteredBody& f = s.f;
  s.headHeld = false;
  headersOf(ex, s).remove("content-length");
  if (f.plainOut)
    headersOf(ex, s).remove("content-encoding");
  if (s.request()) {
    writeHeldRequestHead(ex, f, complete, total);
    return;
  }
  auto& resp = ex.tx.resp;
  http::Framing origin = resp.framing;
  bool keep = f.keepAlive;
  if (complete) {
    resp.headers.set("Content-Length", std::to_string(total));
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
}

void appendChunkSize(net::Buffer& out, size_t n) {
  char size[20];
  auto [p, ec] = std::to_chars(size, size + sizeof size, n, 16);
  (void)ec;
  out.append(std::string_view(size, static_cast<size_t>(p - size)));
  out.append("\r\n");
}

// The CR LF that ends the last chunk sent from the sender's buffer (and the last chunk, at the
// end). The send of that piece takes it along (sendParts' tail: relay_io.cpp); what it could not
// take goes before what comes next, never alone: one small send, and a wake-up of the
// receiver, less per piece.
void closeChunk(const Flow& s) {
  if (!s.f.suffix.empty()) {
    s.out.append(s.f.suffix);
    s.f.suffix.clear();
  }
}

void appendFramed(const Flow& s, bool end) {
  FilteredBody& f = s.f;
  if (!f.chunkedOut) {
    s.out.append(f.out);
    return;
  }
  closeChunk(s);
  if (!f.out.empty()) {
    appendChunkSize(s.out, f.out.size());
    s.out.append(f.out);
    s.out.append("\r\n");
  }
  if (end)
    s.out.append("0\r\n\r\n");
}

// A plugin refused the message (`o`), or its body is bad (`status`, `why`: no `o`): while no byte
// of the response went to the client, it gets the answer instead (the origin's connection is
// closed: it has at most part of the request, never a complete one); later the client
// connection ends.
std::optional<Next> refuse(const Exchange& ex, FilterStage& filters, const Flow& s,
                           const plugin::Outcome* o, int status = 0, const std::string& why = {}) {
  auto& cur = ex.cur;
  if (!cur.responseStarted()) {
    ex.up.close();
    s.headHeld = false;
    cur.respHeadHeld = false;
    cur.respHeadDone = false;
    if (o)
      return filters.answerFor(ex, *o);
    return Next::error(status, why, s.request() ? "NONE_NONE" : "TCP_MISS", true);
  }
  markAborted(cur);
  if (!o)
    return Next::abort(why);
  bump(ex.ctx.counters().plugin_late_answers);
  proxyLog()->warn("plugin.late_answer plugin={} url={} reason=\"{}\" (the response had "
                   "started: the client connection is closed)",
                   o->plugin, ex.tx.req.url(), o->reason);
  return Next::abort("plugin " + o->plugin + " ended the response after it started");
}

// The sender's content cannot be decoded.
std::optional<Next> badContent(const Exchange& ex, FilterStage& filters, const Flow& s,
                               const std::string& why) {
  if (s.request()) {
    proxyLog()->info("request.bad_content client={} url={} reason=\"{}\"", ex.client.toString(),
                     ex.tx.req.url(), why);
    return refuse(ex, filters, s, nullptr, 400, "The request's content cannot be decoded: " + why);
  }
  bump(ex.ctx.counters().upstream_bad_responses);
  proxyLog()->info("upstream.bad_content to={} url={} reason=\"{}\"", ex.up.remote.toString(),
                   ex.tx.req.url(), why);
  ex.up.close();
  if (!s.headHeld)
    return Next::abort("undecodable content from upstream: " + why);
  return refuse(ex, filters, s, nullptr, 502,
                "The server sent content that cannot be decoded: " + why);
}

// The sender broke its framing or ended in the middle of the body.
std::optional<Next> badFraming(const Exchange& ex, FilterStage& filters, const Flow& s,
                               const std::string& why, int status) {
  if (s.request()) {
    logDenial("request.body_rejected: " + why,
              "request.body_rejected client={} status={} reason=\"{}\"", ex.client.toString(),
              status, why);
    return refuse(ex, filters, s, nullptr, status, why);
  }
  bump(ex.ctx.counters().upstream_bad_responses);
  return Next::abort(why);
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
// or their output (f.out) framed for the receiver.
std::optional<Next> deliver(const Exchange& ex, FilterStage& filters, const Flow& s,
                            plugin::PluginTransaction::BodyStep step, bool end, size_t taken) {
  FilteredBody& f = s.f;
  if (step.answered)
    return refuse(ex, filters, s, &step.answer);
  f.ended = end;
  if (f.encoder) {
    f.encoded.clear();
    f.encoder->encode(f.out, end, f.encoded);
    f.out.swap(f.encoded);
  }
  if (f.out.empty() && !end)
    return quiet(taken);
  if (s.headHeld)
    writeHeldHead(ex, s, end, f.out.size());
  appendFramed(s, end);
  return std::nullopt;
}

// Every plugin passed the piece (the first `taken` bytes of the sender's buffer) as it is: it
// goes out from there, as a plain relay's bytes do, after its framing; what follows it waits.
std::optional<Next> sendInPlace(const Exchange& ex, const Flow& s, size_t taken, bool end) {
  FilteredBody& f = s.f;
  f.ended = end;
  if (s.headHeld)
    writeHeldHead(ex, s, end, taken);
  if (f.chunkedOut) {
    closeChunk(s); // the previous piece's CR LF goes before this one's size
    if (taken > 0) {
      appendChunkSize(s.out, taken);
      f.suffix = "\r\n";
    }
    if (end)
      f.suffix += "0\r\n\r\n";
  }
  s.sendable = taken;
  if (taken == 0) // no data to wait for
    closeChunk(s);
  return std::nullopt;
}

// Sets up the decoding the plugins asked for. An Answer when it cannot be had and a plugin's
// policy refuses the message for it.
std::optional<Next> startDecoding(const Exchange& ex, FilterStage& filters, const Flow& s) {
  FilteredBody& f = s.f;
  auto* plugins = filters.transaction();
  uint32_t flags = plugins->bodyFlags(s.which);
  if (!(flags & EXAPROXY_WANT_DECODED))
    return std::nullopt;
  auto value = headersOf(ex, s).get("content-encoding");
  if (!value || value->empty() || http::iequals(*value, "identity"))
    return std::nullopt; // identity: nothing to decode
  auto coding = codingOf(*value);
  if (!coding) {
    auto refusal = plugins->decodeRefusal(
        s.which, "cannot decode Content-Encoding: " + std::string(*value), true);
    if (!refusal)
      return std::nullopt; // on_error = allow: those plugins skip this body
    return refuse(ex, filters, s, &*refusal);
  }
  f.decoder = std::make_unique<BodyDecoder>(*coding, ex.cfg.maxDecodedBody, ex.cfg.maxDecodeRatio);
  if (flags & EXAPROXY_WANT_PLAIN)
    f.plainOut = true;
  else
    f.encoder = std::make_unique<BodyEncoder>(*coding);
  return std::nullopt;
}

// Decodes the piece into f.decoded (the sender's bytes are consumed). An answer when the content
// is bad or a plugin's policy refuses it over the decoding bounds.
std::optional<Next> decodePiece(const Exchange& ex, FilterStage& filters, const Flow& s,
                                std::string_view& piece, size_t& taken, bool& end) {
  FilteredBody& f = s.f;
  f.decoded.clear();
  std::string bad = f.decoder->decode(piece, end, f.decoded);
  s.from.in.consume(taken);
  f.data.consume(f.data.size());
  taken = 0;
  if (!bad.empty())
    return badContent(ex, filters, s, bad);
  if (!f.decoder->overLimit().empty()) {
    auto refusal = filters.transaction()->decodeRefusal(s.which, f.decoder->overLimit(), false);
    if (refusal)
      return refuse(ex, filters, s, &*refusal);
    f.decoder->lift(); // on_error = allow: decoding goes on unbounded
  }
  end = end && !f.decoder->hasPending();
  piece = f.decoded;
  return std::nullopt;
}

} // namespace

std::optional<Next> startFilteredBody(const Exchange& ex, FilterStage& filters, int32_t which,
                                      bool keepAlive) {
  Flow s = flowOf(ex, which);
  FilteredBody& f = s.f;
  http::Framing framing = s.request() ? ex.tx.req.framing : ex.tx.resp.framing;
  f.decodeChunks = framing == http::Framing::Chunked;
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
  s.headHeld = true;
  if (s.request()) {
    ex.cur.reqFiltered = true;
    // The client waits for a 100 before it sends the body, and the origin sees the head only
    // with the first output: the proxy answers the expectation itself.
    if (ex.tx.req.expectContinue) {
      queueContinue(ex);
      ex.tx.req.headers.remove("expect");
    }
  } else {
    ex.cur.respFiltered = true;
    s.body.start(framing, ex.tx.resp.contentLength);
  }
  return startDecoding(ex, filters, s);
}

std::optional<Next> stepFilteredBody(const Exchange& ex, FilterStage& filters, int32_t which) {
  Flow s = flowOf(ex, which);
  auto& in = s.from.in;
  FilteredBody& f = s.f;
  auto* plugins = filters.transaction();
  if (s.sendable > 0)
    return std::nullopt; // a piece goes out from the sender's buffer: nothing may pass it
  if (f.ended)
    closeChunk(s); // the last piece is out: its CR LF and the last chunk follow
  if (f.ended || plugins->bodyWaiting())
    return std::nullopt; // done, or a plugin's PENDING verdict has not come yet
  f.out.clear();
  if (f.waited) { // it came (or its time ran out): what the plugins made of that piece
    f.waited = false;
    // Its arrival is progress even without output: the sender's buffer, filled while the
    // verdict was awaited, is taken at the next step (else nothing would wake the session).
    auto n = deliver(ex, filters, s, plugins->takeBody(f.out), f.waitedEnd, 0);
    return more(f, n ? std::move(n) : Next::progress(Rearm::RelayIdle));
  }
  if (s.out.size() >= kBufferLimit)
    return std::nullopt; // the receiver has not taken what went out yet: wait for it
  size_t taken = 0;
  std::string_view piece;
  if (!in.empty() && !s.body.done()) {
    auto r = s.body.take(in.view());
    if (!r) {
      int status = r.error().code == 413 ? 413 : 400;
      return badFraming(ex, filters, s,
                        s.request() ? r.error().message
                                    : "invalid chunked body from upstream: " + r.error().message,
                        status);
    }
    taken = *r;
    if (f.decodeChunks) {
      f.dechunker.feed(in.view().substr(0, taken), f.data);
      piece = f.data.view();
    } else {
      piece = in.view().substr(0, taken);
    }
  }
  if (s.from.eof)
    s.body.endOfInput();
  if (s.body.truncated()) {
    bool chunked = s.body.framing() == http::Framing::Chunked;
    if (s.request()) {
      markAborted(ex.cur);
      return Next::abort("the client closed in the middle of its request body");
    }
    return Next::abort(chunked ? "upstream closed in the middle of a chunked body"
                               : "upstream closed before the end of its Content-Length body");
  }
  bool end = s.body.done();
  if (f.decoder) {
    if (auto n = decodePiece(ex, filters, s, piece, taken, end))
      return n;
  }
  if (piece.empty() && !end) {
    in.consume(taken);
    return more(f, quiet(taken));
  }
  bool inPlace = !f.decoder && !f.decodeChunks; // the piece is the front of `in`
  auto step = plugins->runBody(which, piece, end, f.out, inPlace);
  if (step.unchanged)
    return sendInPlace(ex, s, taken, end);
  in.consume(taken);
  f.data.consume(f.data.size());
  if (step.waiting) {
    f.waited = true;
    f.waitedEnd = end;
    return quiet(taken);
  }
  return more(f, deliver(ex, filters, s, std::move(step), end, taken));
}

bool filteredBodyEnded(const Exchange& ex, int32_t which) {
  if (which == EXAPROXY_REQUEST)
    return !ex.cur.reqFiltered || (ex.tx.filteredReq.ended && ex.tx.filteredReq.suffix.empty());
  return !ex.cur.respFiltered || (ex.tx.filtered.ended && ex.tx.filtered.suffix.empty());
}

} // namespace exaproxy::proxy
