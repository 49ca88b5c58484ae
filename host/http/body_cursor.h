// The framing of one message body in one direction, written once for requests and responses:
// which of the bytes received so far belong to the body and may be passed on as they are, and
// when the body ends. Content-Length counts down, chunked is validated by ChunkedDecoder, an
// until-close body ends with the input. No copying: the caller passes bytes on itself.
#pragma once

#include "core/result.h"
#include "http/chunked.h"
#include "http/request_parser.h"

#include <cstdint>
#include <string_view>

namespace exaproxy::http {

class BodyCursor {
public:
  // A new body with this framing (and length, for Content-Length). A chunked body whose data
  // exceed `limit` (0 = none) is an error with code 413.
  void start(Framing framing, uint64_t contentLength = 0, uint64_t limit = 0);
  // A message whose head has not arrived yet: not done until start() says what its body is.
  void awaitHead() {
    *this = BodyCursor();
    done_ = false;
  }
  // `fresh` are the bytes received after those already taken. Returns how many of them belong to
  // the body (a prefix: what follows is the next message). Error: malformed chunked framing
  // (code 400) or too large (413); sticky.
  Result<size_t> take(std::string_view fresh);
  // The sender closed: an until-close body is complete; any other that is not done is cut short.
  void endOfInput();

  bool done() const { return done_; }
  // The input ended before the body did (after endOfInput()).
  bool truncated() const { return eof_ && !done_; }
  Framing framing() const { return framing_; }
  uint64_t left() const { return left_; } // Content-Length bytes still expected

private:
  Framing framing_ = Framing::None;
  uint64_t left_ = 0;
  ChunkedDecoder chunks_;
  bool done_ = true;
  bool eof_ = false;
};

} // namespace exaproxy::http
