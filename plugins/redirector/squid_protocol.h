// The Squid url_rewrite_program dialect (PROTOCOLS.md §1): request lines as Squid >= 3.5 writes
// them, replies in the 3.4+ format (OK/ERR/BH with key=value notes) and in the legacy one.
#pragma once

#include "helper_protocol.h"

#include <map>
#include <string>
#include <string_view>

namespace exaproxy::redirector {

// A parsed Squid reply, before it is mapped onto a request.
struct SquidReply {
  enum class Result { Ok, Err, BrokenHelper, Unknown };
  Result result = Result::Unknown;
  std::multimap<std::string, std::string> notes; // key=value pairs (3.4+ format)
  std::string legacy;                            // Unknown: the first word of the line
};

// Parses a reply line (channel ID already removed). Never fails: anything that is not 3.4+ is
// Unknown (the legacy format), as in Squid's Helper::Reply.
SquidReply parseSquidReply(std::string_view line);

// rfc1738-style %-decoding of an unquoted value; invalid escapes are kept as they are.
std::string percentDecode(std::string_view s);
// %-encodes bytes that would break a request line (space, controls, %, non-ASCII).
std::string percentEncodeField(std::string_view s);

class SquidProtocol final : public HelperProtocol {
public:
  // Squid refuses request lines of MAX_URL (8192) + 1024 bytes or more.
  static constexpr size_t kMaxLine = 8192 + 1024;

  std::string encode(const RequestInfo& req, std::optional<uint64_t> channel) const override;
  FrameStatus extract(std::string& buffer, bool concurrent, RawReply& out) const override;
  Decision decide(const RawReply& reply, const RequestInfo& req) const override;
  size_t maxRequestSize() const override { return kMaxLine; }
  bool supportsConcurrency() const override { return true; }

  // The Decision for a parsed reply (decide() = parseSquidReply + this).
  static Decision map(const SquidReply& reply, const RequestInfo& req);
};

// What a rewrite to `target` means for `req`, shared by the squid and exaproxy-url dialects:
// CONNECT + host:port → Route; CONNECT + scheme:// URL → Deny 403 naming it (a block page cannot
// be tunnelled to); other methods + scheme:// URL → Rewrite; the same URL → Continue; anything
// else → Continue with a warning (Squid keeps the original URL).
Decision rewriteTo(const std::string& target, const RequestInfo& req);

} // namespace exaproxy::redirector
