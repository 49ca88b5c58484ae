// libFuzzer target for chunked bodies in both directions: the validating scanner every request and
// response body goes through (BodyCursor over ChunkedDecoder, with the proxy's size limit), and the
// Dechunker that turns a validated response body into plain data for an HTTP/1.0 client.
// Run: chunked_fuzz -dict=tests/fuzz/dict/chunked.dict tests/fuzz/corpus/chunked
// Properties: the cursor takes a prefix of its input, the same one however the input is split;
// errors are 400 (framing) or 413 (limit) only; the plain data never exceed the bytes they came
// from and are exactly dataBytes() long; re-encoding the plain data as one chunk validates and
// de-chunks back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "http/body_cursor.h"
#include "http/chunked.h"
#include "net/buffer.h"
#include "proxy/dechunker.h"

using namespace exaproxy;
using exaproxy::fuzz::Input;

namespace {

struct Taken {
  bool ok = true;
  int code = 0;
  size_t used = 0;
  bool done = false;
};

// Feeds `in` to a fresh cursor in pieces of at most `piece` bytes, stopping at the body's end.
Taken takeInPieces(std::string_view in, size_t piece, uint64_t limit) {
  http::BodyCursor cursor;
  cursor.start(http::Framing::Chunked, 0, limit);
  Taken t;
  for (size_t pos = 0; pos < in.size() && !cursor.done();) {
    std::string_view part = in.substr(pos, piece);
    Result<size_t> r = cursor.take(part);
    if (!r.ok()) {
      t.ok = false;
      t.code = r.error().code;
      FUZZ_CHECK(t.code == 400 || t.code == 413);
      return t;
    }
    FUZZ_CHECK(*r <= part.size());
    // Fewer bytes than offered only once the body ended.
    FUZZ_CHECK(*r == part.size() || cursor.done());
    t.used += *r;
    pos += part.size();
  }
  t.done = cursor.done();
  return t;
}

std::string dechunk(std::string_view validated, size_t piece) {
  proxy::Dechunker d;
  net::Buffer out;
  for (size_t pos = 0; pos < validated.size(); pos += piece) {
    d.feed(validated.substr(pos, piece), out);
  }
  return std::string(out.view());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input input(data, size);
  const uint8_t options = input.byte();
  const uint8_t selector = input.byte();
  std::string_view in = input.rest();
  // A limit now and then, so that the 413 path is explored too.
  const uint64_t limit = (options & 1) ? (options >> 1) : 0;
  const size_t piece = 1 + exaproxy::fuzz::splitPoint(in, selector);

  Taken whole = takeInPieces(in, in.size() + 1, limit);
  Taken pieces = takeInPieces(in, piece, limit);
  FUZZ_CHECK(whole.ok == pieces.ok);
  FUZZ_CHECK(whole.code == pieces.code);
  if (!whole.ok) {
    return 0;
  }
  FUZZ_CHECK(whole.used <= in.size());
  FUZZ_CHECK(whole.used == pieces.used);
  FUZZ_CHECK(whole.done == pieces.done);

  // The validated prefix, de-chunked as the proxy does for an HTTP/1.0 client.
  std::string_view body = in.substr(0, whole.used);
  http::ChunkedDecoder scan;
  Result<size_t> scanned = scan.feed(body);
  FUZZ_CHECK(scanned.ok() && *scanned == body.size());
  std::string plain = dechunk(body, body.size() + 1);
  FUZZ_CHECK(plain.size() <= body.size());
  // dataBytes() counts a chunk once its size line is read; all of it arrived unless in its data.
  FUZZ_CHECK(plain.size() <= scan.dataBytes());
  if (!scan.inData()) {
    FUZZ_CHECK(plain.size() == scan.dataBytes());
  }
  FUZZ_CHECK(dechunk(body, piece) == plain);
  if (limit != 0) {
    FUZZ_CHECK(scan.dataBytes() <= limit);
  }

  // The other direction: the plain data as one chunk (as a sender would write them) are valid
  // framing and come back unchanged.
  if (whole.done) {
    char hex[32];
    int n = std::snprintf(hex, sizeof hex, "%zx", plain.size());
    std::string encoded = plain.empty() ? std::string() : std::string(hex, static_cast<size_t>(n));
    if (!plain.empty()) {
      encoded.append("\r\n").append(plain).append("\r\n");
    }
    encoded.append("0\r\n\r\n");
    http::ChunkedDecoder again;
    Result<size_t> r = again.feed(encoded);
    FUZZ_CHECK(r.ok() && *r == encoded.size() && again.done());
    FUZZ_CHECK(again.dataBytes() == plain.size());
    FUZZ_CHECK(dechunk(encoded, encoded.size()) == plain);
  }
  return 0;
}
