// The state of one request in its client session, in two values, so that ending a request
// cannot forget a field:
// - Transaction: the request's heavy parts (parsers, heads, decoders, strings), allocated when
//   its first byte arrives and recycled per loop thread when it is done (proxy/tx_cache.h), so a
//   keep-alive request allocates nothing in the steady state and an idle connection holds none.
// - TxProgress: every scalar the request moves through (body counters, flags, log fields), reset
//   by assigning a fresh value.
#pragma once

#include "http/body_cursor.h"
#include "http/request_parser.h"
#include "http/response_parser.h"
#include "net/buffer.h"
#include "net/connector.h"
#include "net/event_loop.h"
#include "proxy/body_codec.h"
#include "proxy/dechunker.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace exaproxy::proxy {

// A body that plugins read (ABI 1.7), the request's or the response's: its state while it goes
// through them (proxy/filtered_body.h). Kept with the Transaction, so its buffers are reused.
struct FilteredBody {
  bool decodeChunks = false; // the sender's body is chunked: its framing is removed first
  Dechunker dechunker;
  net::Buffer data;        // decoded data of this step, for the plugins
  std::string out;         // the plugins' output of this step
  bool keepAlive = false;  // (response) the client connection may stay open, framing aside
  bool chunkedOut = false; // the receiver gets chunked framing
  bool ended = false;      // the body's end went through the plugins
  bool waited = false;     // a plugin answered PENDING on the piece given last
  bool waitedEnd = false;  // that piece was the last one
  // Content-Encoding (proxy/body_codec.h), when a plugin reads the body decoded.
  std::unique_ptr<BodyDecoder> decoder;
  std::unique_ptr<BodyEncoder> encoder; // null: the output goes as it is (plain, or raw)
  bool plainOut = false;                // the output is decoded: Content-Encoding is dropped
  // What must follow the piece sent from the sender's buffer without a copy (its chunk's CRLF,
  // the last chunk): written with the next output, or once the last piece is out.
  std::string suffix;
  std::string decoded, encoded;
};

struct Transaction {
  explicit Transaction(const http::Limits& limits) : parser(limits) {}

  http::RequestParser parser;
  http::RequestHead req;
  http::ResponseParser respParser{64 * 1024};
  http::ResponseHead resp;
  std::unique_ptr<Dechunker> dechunker; // only for HTTP/1.0 clients of a chunked response
  FilteredBody filtered;                // when TxProgress::respFiltered
  FilteredBody filteredReq;             // when TxProgress::reqFiltered
  net::Connector connector;             // the destination's addresses, tried in order
  std::string destHost;                 // where to connect: the request's host, or a plugin's Route
  std::string note;                     // appended to the access-log line (plugin decisions)
  std::string contentType;
  bool selfTarget = false; // addressed to the proxy itself (answered here unless a plugin does)

  // Empties it as if new, keeping the capacity of its strings, tables and vectors.
  void clearForReuse() {
    parser.reset();
    req.clear();
    respParser.reset();
    resp.clear();
    dechunker.reset();
    connector.clear();
    destHost.clear();
    note.clear();
    contentType.clear();
    selfTarget = false;
    // A body's zlib state and big buffers are not kept for the requests that come next.
    for (FilteredBody* f : {&filtered, &filteredReq}) {
      f->decoder.reset();
      f->encoder.reset();
      for (std::string* s : {&f->out, &f->decoded, &f->encoded})
        if (s->capacity() > 256 * 1024)
          std::string().swap(*s);
    }
  }
};

struct TxProgress {
  bool haveRequest = false; // the head is parsed
  bool started = false;     // the first byte of a request arrived
  bool logged = false;      // the access-log line is written

  // Destination.
  uint16_t destPort = 0;
  bool retried = false; // a stale pooled connection was replaced once

  // Request body (client → upstream).
  http::BodyCursor reqBody; // done: every body byte has been marked sendable
  size_t reqSendable = 0;   // bytes at the front of the client buffer, validated, for upstream
  bool requestSent = false;
  bool reqFiltered = false; // plugins read the body (Transaction::filteredReq)
  bool reqHeadHeld = false; // the head waits for their first output

  // Response (upstream → client).
  bool respHeadDone = false;
  http::BodyCursor respBody;
  size_t respSendable = 0;
  uint64_t respBytesFromUpstream = 0;
  bool respFiltered = false; // plugins read the body (Transaction::filtered)
  bool respHeadHeld = false; // its head waits for their first output

  // Access log.
  net::Clock::time_point start;
  uint64_t bytesToClient = 0;
  uint64_t interimBytes = 0; // of which interim responses (100 Continue), written or queued
  int status = 0;
  std::string resultCode = "TCP_MISS";
  std::string hierarchy = "HIER_NONE";

  // Some byte of the final response went to the client (or its head was written to go).
  bool responseStarted() const {
    return (respHeadDone && !respHeadHeld) || bytesToClient > interimBytes;
  }
};

} // namespace exaproxy::proxy
