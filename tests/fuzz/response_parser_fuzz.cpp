// libFuzzer target for the response-head parser (what upstream servers send).
// Run: response_parser_fuzz -dict=tests/fuzz/dict/response_parser.dict
//        tests/fuzz/corpus/response_parser
// Properties: consumed() never exceeds the input and ends right after the head's raw bytes; the
// verdict does not depend on how the bytes were split; a parsed head written back by the
// serializer (writeResponseHead, what the client receives) parses again to the same status and
// body framing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "http/response_parser.h"
#include "http/serializer.h"

using namespace exaproxy::http;
using exaproxy::fuzz::Input;

namespace {

struct Verdict {
  ParseState state = ParseState::NeedMore;
  size_t consumed = 0;
  ResponseHead head;
};

Verdict parseSplit(std::string_view in, size_t split, std::string_view method, size_t maxHead) {
  ResponseParser p(maxHead);
  Verdict v;
  v.state = p.parse(in.substr(0, split), method, v.head);
  if (v.state == ParseState::NeedMore) {
    v.state = p.parse(in, method, v.head);
  }
  v.consumed = p.consumed();
  if (v.state == ParseState::Complete) {
    FUZZ_CHECK(v.consumed <= in.size());
    FUZZ_CHECK(v.consumed >= v.head.raw.size());
    FUZZ_CHECK(in.substr(v.consumed - v.head.raw.size(), v.head.raw.size()) == v.head.raw);
    FUZZ_CHECK(v.head.status >= 100 && v.head.status <= 999);
  } else if (v.state == ParseState::Error) {
    FUZZ_CHECK(p.error().status == 502);
  }
  return v;
}

constexpr std::string_view kMethods[] = {"GET", "HEAD", "CONNECT", "POST"};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input input(data, size);
  const uint8_t options = input.byte();
  const uint8_t selector = input.byte();
  std::string_view in = input.rest();
  std::string_view method = kMethods[options & 3];
  size_t maxHead = (options & 4) ? 256 : 64 * 1024;

  Verdict whole = parseSplit(in, in.size(), method, maxHead);
  Verdict halves = parseSplit(in, exaproxy::fuzz::splitPoint(in, selector), method, maxHead);
  FUZZ_CHECK(whole.state == halves.state);
  if (whole.state != ParseState::Complete) {
    return 0;
  }
  FUZZ_CHECK(whole.consumed == halves.consumed);
  FUZZ_CHECK(whole.head.raw == halves.head.raw);
  FUZZ_CHECK(whole.head.status == halves.head.status);
  FUZZ_CHECK(whole.head.framing == halves.head.framing);
  FUZZ_CHECK(whole.head.contentLength == halves.head.contentLength);
  FUZZ_CHECK(whole.head.keepAlive == halves.head.keepAlive);
  if (whole.head.framing == Framing::UntilClose) {
    FUZZ_CHECK(!whole.head.keepAlive);
  }

  // Copies keep their views inside their own buffer.
  ResponseHead copy = whole.head;
  FUZZ_CHECK(copy.reason == whole.head.reason);
  FUZZ_CHECK(copy.headers.size() == whole.head.headers.size());

  // What the proxy writes to the client parses again, with the same meaning.
  ForwardOptions opts;
  opts.keepAlive = (options & 8) != 0;
  std::string written;
  writeResponseHead(whole.head, opts, written);
  ResponseParser again(1024 * 1024);
  ResponseHead reparsed;
  ParseState st = again.parse(written, method, reparsed);
  if (st != ParseState::Complete) {
    std::fprintf(stderr, "serialized head does not parse again: %s\n",
                 again.error().reason.c_str());
  }
  FUZZ_CHECK(st == ParseState::Complete);
  FUZZ_CHECK(again.consumed() == written.size());
  FUZZ_CHECK(reparsed.status == whole.head.status);
  FUZZ_CHECK(reparsed.framing == whole.head.framing);
  if (whole.head.framing == Framing::ContentLength) {
    FUZZ_CHECK(reparsed.contentLength == whole.head.contentLength);
  }
  return 0;
}
