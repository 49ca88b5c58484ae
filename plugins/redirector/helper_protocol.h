// HelperProtocol: how requests are written to a helper and how its answers are framed and read.
// One implementation per dialect (squid_protocol.h, exaproxy_url_protocol.h, icap_protocol.h).
// Implementations are stateless and const: the pool calls them from its manager thread only, but
// unit tests call them directly.
#pragma once

#include "decision.h"
#include "helper_line.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace exaproxy::redirector {

// One framed answer, before it is matched to its request.
struct RawReply {
  std::optional<uint64_t> channel; // the channel ID it started with (concurrent Squid helpers)
  std::string text; // the reply without channel ID and line end (or the ICAP message)
};

enum class FrameStatus {
  Complete,  // `out` holds one reply; its bytes were removed from the buffer
  NeedMore,  // no complete reply yet
  Malformed, // the stream cannot be resynchronised: the child must be replaced
};

class HelperProtocol {
public:
  virtual ~HelperProtocol() = default;

  // The request as the helper reads it. `channel` is given for concurrent helpers.
  virtual std::string encode(const RequestInfo& req, std::optional<uint64_t> channel) const = 0;
  // Takes one reply off the front of `buffer` (bytes read from the helper's stdout).
  // `concurrent`: replies start with a channel ID.
  virtual FrameStatus extract(std::string& buffer, bool concurrent, RawReply& out) const = 0;
  // What the reply means for `req`.
  virtual Decision decide(const RawReply& reply, const RequestInfo& req) const = 0;
  // Requests longer than this are not sent (Squid answers 414); 0 = no limit.
  virtual size_t maxRequestSize() const { return 0; }
  // Whether helpers of this dialect can take channel IDs (concurrency > 0).
  virtual bool supportsConcurrency() const { return false; }
};

using HelperProtocolPtr = std::unique_ptr<const HelperProtocol>;

// Takes one LF-terminated line off the front of buffer (a CR before the LF is dropped).
using common::takeLine;

// "host:port" (IPv6 in brackets) → host and port; false if it is not exactly that.
bool splitAuthority(const std::string& authority, std::string& host, uint16_t& port);

} // namespace exaproxy::redirector
