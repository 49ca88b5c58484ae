// The ICAP Encapsulated header (RFC 3507 §4.4.1): where each encapsulated HTTP head and the body
// start, as byte offsets into the ICAP message body. Parsed strictly, because a wrong offset makes
// the proxy read a client's bytes as headers: every rule below has its own error message.
#pragma once

#include "icap_common.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::icap {

// The body entry an Encapsulated header ends with (exactly one per message).
enum class BodyKind {
  ReqBody,  // req-body: a chunked HTTP request body follows the heads
  ResBody,  // res-body: a chunked HTTP response body follows the heads
  OptBody,  // opt-body: a chunked OPTIONS body follows (no heads)
  NullBody, // null-body: no body; the message ends at this offset
};

// The offsets, each present only when its entry was named. A parsed value always holds exactly one
// body offset and its entries in the canonical order (req-hdr, res-hdr, body), offsets strictly
// increasing from 0; so it is fully described by this struct and formats back to the same text.
struct Encapsulated {
  std::optional<size_t> reqHdr;   // req-hdr: the encapsulated HTTP request head
  std::optional<size_t> resHdr;   // res-hdr: the encapsulated HTTP response head
  std::optional<size_t> reqBody;  // req-body
  std::optional<size_t> resBody;  // res-body
  std::optional<size_t> nullBody; // null-body
  std::optional<size_t> optBody;  // opt-body

  // Which body entry is set (NullBody when none is, as for a default-constructed value).
  BodyKind bodyKind() const;
  // The body entry's offset = the length of all the heads together (0 when none is set).
  size_t bodyOffset() const;
  // True when a chunked body follows the heads (req-body, res-body or opt-body).
  bool hasChunkedBody() const { return bodyKind() != BodyKind::NullBody; }

  bool operator==(const Encapsulated&) const = default;
};

// The longest offset accepted: the heads of one message never approach it (the response head
// parser bounds a head at 64 KiB), and it keeps every sum of offsets far from overflow.
inline constexpr size_t kMaxEncapsulatedOffset = size_t{1} << 32;

// Parses a header value such as "req-hdr=0, res-hdr=137, res-body=296". Strict: comma-separated
// `name=offset` entries (spaces or tabs only around the commas), names among req-hdr, res-hdr,
// req-body, res-body, null-body, opt-body (any case), each at most once; decimal offsets without
// sign, at most kMaxEncapsulatedOffset; the first offset 0 and each later one greater than the one
// before; req-hdr before res-hdr; exactly one body entry, and it is last.
Result<Encapsulated> parseEncapsulated(std::string_view value);

// The header value for `e` in the canonical order ("req-hdr=0, null-body=63"). `e` is expected to
// be valid (as parseEncapsulated returns or encapsulatedFor builds); entries are written in that
// order whatever their offsets.
std::string formatEncapsulated(const Encapsulated& e);

// The Encapsulated value for the heads actually sent: `reqHdrLength` / `resHdrLength` are the byte
// lengths of the HTTP heads (nullopt = that head is not sent), in that order, followed by `body`.
Encapsulated encapsulatedFor(std::optional<size_t> reqHdrLength, std::optional<size_t> resHdrLength,
                             BodyKind body);

// The entry name of a body kind ("req-body", ...).
std::string_view bodyKindName(BodyKind kind);

} // namespace exaproxy::icap
