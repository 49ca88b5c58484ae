// ICAP message bodies are always chunked (RFC 3507 §4.4.1, the HTTP/1.1 chunked coding): a decoder
// fed the bytes as they arrive, and the encoder helpers the client uses for what it sends.
// A preview's last chunk may carry the `ieof` extension ("0; ieof"): the whole body fitted in the
// preview, so the server must not wait for more (RFC 3507 §4.5). No trailer fields: we never send
// "Allow: trailers", so a server may not send them.
#pragma once

#include "icap_common.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace exaproxy::icap {

struct ChunkedLimits {
  size_t maxSizeLine = 1024;        // a size line with its extensions, CR LF excluded
  uint64_t maxChunkSize = 1u << 30; // one chunk's declared size (not the body's total)
};

// Decodes one chunked body. Owned by one transaction and used from its thread only.
// How the caller uses it:
//   ChunkedDecoder d;
//   Progress p = d.feed(bytes, data);   // decoded bytes are appended to `data`
//   bytes.remove_prefix(p.consumed);
//   NeedMore: read more and feed again; Done: the body is over, `bytes` (what was not consumed)
//   belongs to the next message; Error: d.error() says why, the connection cannot be reused.
class ChunkedDecoder {
public:
  explicit ChunkedDecoder(ChunkedLimits limits = {}) : limits_(limits) {}

  // Consumes what it can of `in` (up to the end of the last chunk and no further), appending the
  // chunk data to `out`; on Error, up to and including the byte where the body was found wrong.
  // After Done or Error, further feeds consume nothing and return the same.
  Progress feed(std::string_view in, std::string& out);

  ParseStatus status() const { return status_; }
  // The last chunk carried `ieof` (false until Done).
  bool ieof() const { return ieof_; }
  // Why the body was refused (empty unless status() is Error).
  const std::string& error() const { return error_; }

private:
  enum class State {
    SizeLine, // reading a chunk-size line into line_
    Data,     // copying dataLeft_ more bytes of chunk data
    DataCr,   // expecting the CR after the data
    DataLf,   // expecting the LF after the data
    EndCr,    // after the last chunk: expecting the CR of the empty line (no trailers)
    EndLf,    // expecting its LF
    Finished, // status_ is Done or Error
  };

  void fail(std::string why);
  // One byte in any state but Data (which feed() copies in bulk).
  void takeByte(char c);
  // A complete size line (CR LF removed): sets dataLeft_, ieof_ and the next state.
  void sizeLine(std::string_view line);

  ChunkedLimits limits_;
  State state_ = State::SizeLine;
  ParseStatus status_ = ParseStatus::NeedMore;
  std::string line_; // the size line read so far (its CR included, if seen)
  uint64_t dataLeft_ = 0;
  bool lastIeof_ = false; // the last chunk's size line named ieof (reported once Done)
  bool ieof_ = false;
  std::string error_;
};

// One chunk carrying `data` ("1a\r\n" + data + "\r\n"), appended to `out`. Empty data appends
// nothing: a zero-size chunk would end the body.
void appendChunk(std::string& out, std::string_view data);
std::string encodeChunk(std::string_view data);

// The last chunk and the empty line that ends the body: "0\r\n\r\n", or "0; ieof\r\n\r\n" when a
// preview holds the whole body.
std::string lastChunk(bool ieof = false);

} // namespace exaproxy::icap
