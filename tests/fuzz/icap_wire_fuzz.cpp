// libFuzzer target for the ICAP/1.0 wire format (plugins/icap, icap_core): the response head
// parser and the request head parser (the host's ICAP server), the cutting of the encapsulated
// heads, the chunked body decoder, the Encapsulated grammar, the OPTIONS reader and the request
// builder, on the same bytes. Run: icap_wire_fuzz -dict=tests/fuzz/dict/icap_wire.dict
// tests/fuzz/corpus/icap_wire Input: an option byte (method and body of the request built), a split
// selector, then the text. Properties: feeding in two pieces or byte by byte gives what feeding at
// once gives (status, consumed, fields, error) for the head parser and the chunked decoder; nothing
// consumes more than it is given; decoded chunk data never exceed the bytes they came from;
// re-encoding the data decodes back to it (ieof kept); an Encapsulated value that parses formats
// back to the same offsets, and building it from its section lengths gives them too; cut heads lie
// inside the input and end with their empty line; an OPTIONS answer that is read has a 1..32-byte
// ISTag; a request built with fuzzed text as a field value never carries CR, LF or NUL from it and
// parses back with the same Encapsulated offsets and the same value.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "icap_wire.h"

#include <exaproxy/text.hpp>

using namespace exaproxy::icap;
using exaproxy::fuzz::Input;

namespace {

struct HeadRun {
  ParseStatus status = ParseStatus::NeedMore;
  size_t consumed = 0;
  std::string error;
  ResponseHead head;
};

// Feeds `in` in pieces of at most `piece` bytes (0 = at once).
HeadRun parseHead(std::string_view in, size_t piece) {
  ResponseHeadParser p;
  HeadRun r;
  if (piece == 0)
    piece = in.size() + 1;
  for (size_t pos = 0; pos < in.size() && p.status() == ParseStatus::NeedMore; pos += piece) {
    std::string_view part = in.substr(pos, piece);
    Progress pr = p.feed(part);
    FUZZ_CHECK(pr.consumed <= part.size());
    FUZZ_CHECK(pr.status == ParseStatus::NeedMore ? pr.consumed == part.size() : true);
    r.consumed += pr.consumed;
  }
  r.status = p.status();
  r.error = p.error();
  r.head = p.head();
  FUZZ_CHECK(r.consumed <= in.size());
  FUZZ_CHECK((r.status == ParseStatus::Error) == !r.error.empty());
  return r;
}

void sameHead(const HeadRun& a, const HeadRun& b) {
  FUZZ_CHECK(a.status == b.status);
  FUZZ_CHECK(a.consumed == b.consumed);
  FUZZ_CHECK(a.error == b.error);
  FUZZ_CHECK(a.head.status == b.head.status && a.head.reason == b.head.reason);
  FUZZ_CHECK(a.head.fields == b.head.fields);
  FUZZ_CHECK(a.head.encapsulated == b.head.encapsulated);
}

// The request head parser (the host's ICAP server) on the same bytes: at once and in pieces
// agree; a request line that is read has a token method and a URI without spaces or controls.
void checkRequestHead(std::string_view in, size_t split) {
  auto run = [&](size_t piece) {
    RequestHeadParser p;
    size_t consumed = 0;
    if (piece == 0)
      piece = in.size() + 1;
    for (size_t pos = 0; pos < in.size() && p.status() == ParseStatus::NeedMore; pos += piece) {
      Progress pr = p.feed(in.substr(pos, piece));
      FUZZ_CHECK(pr.consumed <= in.substr(pos, piece).size());
      consumed += pr.consumed;
    }
    return std::make_pair(std::move(p), consumed);
  };
  auto [once, n1] = run(0);
  auto [pieces, n2] = run(split == 0 ? 1 : split);
  FUZZ_CHECK(once.status() == pieces.status() && n1 == n2 && once.error() == pieces.error());
  FUZZ_CHECK(once.head().method == pieces.head().method && once.head().uri == pieces.head().uri);
  FUZZ_CHECK(once.head().fields == pieces.head().fields);
  FUZZ_CHECK(once.head().encapsulated == pieces.head().encapsulated);
  if (once.status() == ParseStatus::Done) {
    FUZZ_CHECK(isToken(once.head().method));
    for (char c : once.head().uri)
      FUZZ_CHECK(c != ' ' && c != '\t' && !isForbiddenInValue(c));
  }
}

struct BodyRun {
  ParseStatus status = ParseStatus::NeedMore;
  size_t consumed = 0;
  std::string data;
  bool ieof = false;
  std::string error;
};

BodyRun decodeBody(std::string_view in, size_t piece) {
  ChunkedDecoder d;
  BodyRun r;
  if (piece == 0)
    piece = in.size() + 1;
  for (size_t pos = 0; pos < in.size() && d.status() == ParseStatus::NeedMore; pos += piece) {
    std::string_view part = in.substr(pos, piece);
    Progress pr = d.feed(part, r.data);
    FUZZ_CHECK(pr.consumed <= part.size());
    r.consumed += pr.consumed;
  }
  r.status = d.status();
  r.ieof = d.ieof();
  r.error = d.error();
  FUZZ_CHECK(r.consumed <= in.size());
  FUZZ_CHECK(r.data.size() <= r.consumed);
  FUZZ_CHECK((r.status == ParseStatus::Error) == !r.error.empty());
  FUZZ_CHECK(r.ieof ? r.status == ParseStatus::Done : true);
  return r;
}

void sameBody(const BodyRun& a, const BodyRun& b) {
  FUZZ_CHECK(a.status == b.status && a.consumed == b.consumed);
  FUZZ_CHECK(a.data == b.data && a.ieof == b.ieof && a.error == b.error);
}

// The chunked decoder on `in`: at once, in two pieces, byte by byte (short inputs); then the
// decoded data re-encoded and decoded again.
void checkBody(std::string_view in, uint8_t selector) {
  BodyRun once = decodeBody(in, 0);
  size_t split = exaproxy::fuzz::splitPoint(in, selector);
  sameBody(once, decodeBody(in, split == 0 ? 1 : split));
  if (in.size() <= 4096)
    sameBody(once, decodeBody(in, 1));
  if (once.status != ParseStatus::Done)
    return;
  std::string again = encodeChunk(once.data) + lastChunk(once.ieof);
  BodyRun back = decodeBody(again, 0);
  FUZZ_CHECK(back.status == ParseStatus::Done && back.consumed == again.size());
  FUZZ_CHECK(back.data == once.data && back.ieof == once.ieof);
}

// An Encapsulated value: if it parses, it formats back to the same offsets, and the section
// lengths it implies build the same value.
void checkEncapsulated(std::string_view value) {
  Result<Encapsulated> e = parseEncapsulated(value);
  if (!e) {
    FUZZ_CHECK(e.error().rfind("Encapsulated: ", 0) == 0);
    return;
  }
  std::string text = formatEncapsulated(*e);
  Result<Encapsulated> back = parseEncapsulated(text);
  FUZZ_CHECK(back.ok() && *back == *e);
  size_t body = e->bodyOffset();
  std::optional<size_t> reqLen, resLen;
  if (e->reqHdr)
    reqLen = (e->resHdr ? *e->resHdr : body) - *e->reqHdr;
  if (e->resHdr)
    resLen = body - *e->resHdr;
  FUZZ_CHECK(encapsulatedFor(reqLen, resLen, e->bodyKind()) == *e);
}

// A request carrying `value` as a field: refused when the value holds a control character,
// otherwise it parses back (status line swapped) with the same offsets and value.
void checkBuilder(std::string_view value, uint8_t options) {
  static const std::string kReq = "GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n";
  static const std::string kRes = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  RequestSpec spec;
  spec.method = options & 1 ? Method::Respmod : Method::Reqmod;
  spec.service = {"icap.example", static_cast<uint16_t>(1344 + (options >> 4)), "/svc"};
  spec.reqHdr = kReq;
  if (spec.method == Method::Respmod)
    spec.resHdr = kRes;
  spec.body = options & 2;
  if (spec.body && (options & 4))
    spec.preview = options;
  spec.extraFields = {{"X-Client-Username", std::string(value)}};
  Result<std::string> built = buildRequest(spec);
  bool control = false;
  for (char c : value)
    control = control || isForbiddenInValue(c);
  FUZZ_CHECK(built.ok() == !control);
  if (!built)
    return;
  std::string wire = *built;
  std::string asResponse = "ICAP/1.0 200 OK" + wire.substr(wire.find("\r\n"));
  HeadRun r = parseHead(asResponse, 0); // the value is at most 4 KiB: the head fits its limit
  FUZZ_CHECK(r.status == ParseStatus::Done && r.head.encapsulated);
  const std::string* got = r.head.field("X-Client-Username");
  FUZZ_CHECK(got != nullptr && *got == exaproxy::sdk::trim(value));
  Encapsulated expected = encapsulatedFor(
      kReq.size(), spec.method == Method::Respmod ? std::optional(kRes.size()) : std::nullopt,
      !spec.body                      ? BodyKind::NullBody
      : spec.method == Method::Reqmod ? BodyKind::ReqBody
                                      : BodyKind::ResBody);
  FUZZ_CHECK(*r.head.encapsulated == expected);
  Result<EncapsulatedHeads> heads =
      cutHeads(*r.head.encapsulated, std::string_view(asResponse).substr(r.consumed));
  FUZZ_CHECK(heads.ok() && heads->reqHdr == kReq);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input input(data, size);
  const uint8_t options = input.byte();
  const uint8_t selector = input.byte();
  std::string_view in = input.rest();

  // The response head, then what follows it.
  HeadRun once = parseHead(in, 0);
  size_t split = exaproxy::fuzz::splitPoint(in, selector);
  sameHead(once, parseHead(in, split == 0 ? 1 : split));
  if (in.size() <= 8192)
    sameHead(once, parseHead(in, 1));
  checkRequestHead(in, split);
  if (once.status == ParseStatus::Done) {
    FUZZ_CHECK(once.head.status >= 100 && once.head.status <= 599);
    FUZZ_CHECK(once.head.fields.size() <= HeadLimits{}.maxFields);
    FUZZ_CHECK(once.consumed <= HeadLimits{}.maxHeadBytes);
    std::string_view after = in.substr(once.consumed);
    if (once.head.encapsulated) {
      const Encapsulated& e = *once.head.encapsulated;
      checkEncapsulated(formatEncapsulated(e));
      if (after.size() >= e.bodyOffset()) {
        Result<EncapsulatedHeads> heads = cutHeads(e, after);
        if (heads) {
          for (std::string_view h : {heads->reqHdr, heads->resHdr}) {
            FUZZ_CHECK(h.empty() || (h.data() >= after.data() &&
                                     h.data() + h.size() <= after.data() + e.bodyOffset()));
            FUZZ_CHECK(h.empty() || isWholeHttpHead(h));
          }
        }
        if (e.hasChunkedBody())
          checkBody(after.substr(e.bodyOffset()), selector);
      }
    }
    Result<ServiceOptions> opts = interpretOptions(once.head);
    if (opts) {
      FUZZ_CHECK(!opts->istag.empty() && opts->istag.size() <= kMaxIsTagLength);
      FUZZ_CHECK(opts->reqmod || opts->respmod);
      (void)opts->transferFor("exe");
    }
  }

  // The same bytes as a chunked body, as an Encapsulated value (first line), as a field value.
  checkBody(in, selector);
  checkEncapsulated(in.substr(0, in.find('\n')));
  checkBuilder(in.substr(0, 4096), options);
  return 0;
}
