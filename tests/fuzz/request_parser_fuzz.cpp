// libFuzzer target for the request-head parser and the chunked-body scanner.
// Run: request_parser_fuzz tests/fuzz/corpus/request_parser
// Invariants: no crash/UB; consumed() never exceeds the input; the verdict and the parsed head do
// not depend on how the bytes were split; the chunked scanner agrees with itself byte by byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/chunked.h"
#include "http/request_parser.h"

using namespace exaproxy::http;

namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

struct Verdict {
  ParseState state;
  int status = 0;
  size_t consumed = 0;
  RequestHead head;
};

Verdict parseSplit(std::string_view in, size_t split, Limits limits) {
  RequestParser p(limits);
  Verdict v;
  v.state = p.parse(in.substr(0, split), v.head);
  if (v.state == ParseState::NeedMore) {
    v.state = p.parse(in, v.head);
  }
  v.status = p.error().status;
  v.consumed = p.consumed();
  if (v.state == ParseState::Complete) {
    check(v.consumed <= in.size());
    check(v.consumed >= v.head.raw.size());
    check(in.substr(v.consumed - v.head.raw.size(), v.head.raw.size()) == v.head.raw);
  }
  return v;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  // The first byte picks the split point (and small limits now and then); the rest is the input.
  const size_t selector = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  Limits limits;
  if (selector & 1) {
    limits.maxHead = 256;
    limits.maxUri = 64;
  }
  size_t split = in.empty() ? 0 : (selector * in.size()) / 255;

  Verdict whole = parseSplit(in, in.size(), limits);
  Verdict halves = parseSplit(in, split, limits);
  check(whole.state == halves.state);
  if (whole.state == ParseState::Complete) {
    check(whole.consumed == halves.consumed);
    check(whole.head.raw == halves.head.raw);
    check(whole.head.host == halves.head.host && whole.head.port == halves.head.port);
    check(whole.head.framing == halves.head.framing);
    check(whole.head.pathAndQuery == halves.head.pathAndQuery);
    check(whole.head.headers.size() == halves.head.headers.size());
    // Views stay inside the owned buffer, also after a copy.
    RequestHead copy = whole.head;
    check(copy.method == whole.head.method && copy.target == whole.head.target);
    check(copy.headers.size() == whole.head.headers.size());
  } else if (whole.state == ParseState::Error) {
    // Which limit trips first (414/431 vs a syntax 400) may depend on how much was buffered.
    check(whole.status >= 400 && whole.status <= 505);
    check(halves.status >= 400 && halves.status <= 505);
  }

  // Chunked scanner: all at once vs split in two vs byte by byte.
  ChunkedDecoder a;
  exaproxy::Result<size_t> ra = a.feed(in);
  ChunkedDecoder b;
  size_t usedB = 0;
  bool okB = true;
  exaproxy::Result<size_t> rb1 = b.feed(in.substr(0, split));
  if (!rb1.ok()) {
    okB = false;
  } else {
    usedB = *rb1;
    if (!b.done()) {
      exaproxy::Result<size_t> rb2 = b.feed(in.substr(split));
      okB = rb2.ok();
      usedB += okB ? *rb2 : 0;
    }
  }
  check(ra.ok() == okB);
  if (ra.ok()) {
    check(*ra <= in.size());
    check(*ra == usedB);
    check(a.done() == b.done());
    check(a.dataBytes() == b.dataBytes());
  }
  if (in.size() <= 512) {
    ChunkedDecoder c;
    size_t usedC = 0;
    bool okC = true;
    for (size_t i = 0; i < in.size() && !c.done(); ++i) {
      exaproxy::Result<size_t> r = c.feed(in.substr(i, 1));
      if (!r.ok()) {
        okC = false;
        break;
      }
      usedC += *r;
    }
    check(okC == ra.ok());
    if (okC) {
      check(usedC == *ra && c.done() == a.done());
    }
  }
  return 0;
}
