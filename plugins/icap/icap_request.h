// Building the ICAP requests the proxy sends (RFC 3507 §4.3, §4.8, §4.9, §4.10): the request
// line, Host, Allow: 204, Preview, caller fields, and an Encapsulated value computed from the
// heads actually written, followed by those heads. The chunked body (if any) is the caller's: it
// follows with appendChunk() / lastChunk().
#pragma once

#include "encapsulated.h"
#include "icap_common.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::icap {

enum class Method { Reqmod, Respmod, Options };

// "REQMOD", "RESPMOD", "OPTIONS".
std::string_view methodName(Method m);

inline constexpr uint16_t kDefaultIcapPort = 1344;

// Where a service lives: icap://host:port/path.
struct ServiceUri {
  std::string host; // a name, an IPv4 address or an IPv6 literal (brackets optional)
  uint16_t port = kDefaultIcapPort;
  std::string path = "/"; // starts with '/'; may hold a query ("/filter?mode=strict")
};

struct RequestSpec {
  Method method = Method::Reqmod;
  ServiceUri service;
  // The raw HTTP heads to encapsulate, each ending with its empty line (CR LF CR LF); empty = not
  // sent. REQMOD needs reqHdr and no resHdr; RESPMOD needs resHdr, reqHdr optional; OPTIONS none.
  std::string_view reqHdr;
  std::string_view resHdr;
  // A chunked body follows the heads: req-body for REQMOD, res-body for RESPMOD (null-body when
  // false). OPTIONS never has one.
  bool body = false;
  // Preview: n, when the first n body bytes are sent as a preview (needs `body`).
  std::optional<size_t> preview;
  // Allow: 204 (the server may answer "unmodified" without echoing the message). Not sent with
  // OPTIONS.
  bool allow204 = true;
  // Further fields (X-Client-IP, X-Client-Username...): names are tokens, values hold no control
  // characters (CR, LF, NUL...), and none may be Host, Encapsulated, Preview or Allow, which the
  // builder writes itself.
  std::vector<HeaderField> extraFields;
};

// The request head and the encapsulated heads, ready to write; the body's chunks follow. Fails,
// naming the problem, on a spec that would produce an invalid or ambiguous request.
Result<std::string> buildRequest(const RequestSpec& spec);

} // namespace exaproxy::icap
