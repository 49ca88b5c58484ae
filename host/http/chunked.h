// ChunkedDecoder: a strict, incremental validating scanner for a chunked message body (RFC 9112
// §7.1). The proxy relays chunked bodies verbatim; this class only decides where the body ends and
// refuses anything a less strict peer could frame differently (the request-smuggling surface). It
// keeps no body bytes, so it works across arbitrary splits of the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/result.h"

namespace exaproxy::http {

class ChunkedDecoder {
public:
  // Longest chunk-size line (size + extensions) and trailer section accepted; only protects against
  // endless lines, memory use is constant anyway.
  static constexpr size_t kMaxLineLength = 8 * 1024;
  static constexpr size_t kMaxTrailerBytes = 64 * 1024;

  // Consumes bytes of `in` and returns how many belong to the chunked body; fewer than in.size()
  // only once the body ended (the rest is the next message). Errors: code 400 for malformed
  // framing, 413 when the data exceed setLimit(). Errors are sticky until reset().
  Result<size_t> feed(std::string_view in);
  bool done() const { return state_ == State::Done; }
  uint64_t dataBytes() const { return dataBytes_; }
  // Maximum total chunk data; 0 = unlimited.
  void setLimit(uint64_t limit) { limit_ = limit; }
  // True while inside chunk data (the caller may use it to find data boundaries; not needed to
  // relay).
  bool inData() const { return state_ == State::Data; }
  void reset();

private:
  enum class State {
    Size,        // chunk-size digits
    SizeBws,     // whitespace after the size: only ';' may follow
    ExtStart,    // after ';' (BWS, then a name)
    ExtName,     // chunk-ext-name
    ExtNameBws,  // whitespace after a name: '=' or ';'
    ExtValStart, // after '=' (BWS, then a token or a quoted-string)
    ExtValToken, // token value
    ExtValBws,   // whitespace after a value: only ';'
    Quoted,      // inside a quoted-string
    QuotedEsc,   // after a backslash
    QuotedEnd,   // after the closing quote
    LineLf,      // CR seen at the end of the chunk-size line
    Data,        // chunk data
    DataCr,      // CRLF after the chunk data
    DataLf,
    TrailerStart, // start of a trailer line (or the final CRLF)
    TrailerName,
    TrailerValue,
    TrailerLf,
    FinalLf,
    Done,
    Failed,
  };

  Error fail(int code, const char* message);
  bool endSizeDigits(); // applies the body limit; false (and Failed) when over it
  // Where the chunk-size line ends: either the data, or the trailer section after the last chunk.
  State afterLine() const { return chunkSize_ == 0 ? State::TrailerStart : State::Data; }

  State state_ = State::Size;
  uint64_t chunkSize_ = 0;
  uint64_t remaining_ = 0;
  uint64_t dataBytes_ = 0;
  uint64_t limit_ = 0;
  size_t digits_ = 0;
  size_t lineLength_ = 0;
  size_t trailerBytes_ = 0;
  Error error_;
};

} // namespace exaproxy::http
