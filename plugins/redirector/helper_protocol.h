// HelperProtocol: one redirector dialect, i.e. how a request is written to a helper, how its
// answers are framed (common::HelperCodec, which is what the pool needs), and what an answer
// means for the request. One implementation per dialect (squid_protocol.h,
// exaproxy_url_protocol.h, icap_protocol.h). Implementations are stateless and const: the pool
// frames on its manager thread, the plugin encodes on the loops and decides on the manager thread,
// and unit tests call them directly.
#pragma once

#include "decision.h"
#include "helper_codec.h"
#include "helper_line.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace exaproxy::redirector {

using common::FrameStatus;

// One framed answer, before it is matched to its request.
struct RawReply {
  std::optional<uint64_t> channel; // the channel ID it started with (concurrent Squid helpers)
  std::string text; // the reply without channel ID and line end (or the ICAP message)
};

class HelperProtocol : public common::HelperCodec {
public:
  // The request as the helper reads it; `channel` puts a channel ID in front (the pool adds its
  // own, so the plugin encodes without one).
  virtual std::string encode(const RequestInfo& req, std::optional<uint64_t> channel) const = 0;
  // Takes one reply off the front of `buffer`: frame(), then, when `concurrent`, the channel ID
  // off its front (as the pool does).
  FrameStatus extract(std::string& buffer, bool concurrent, RawReply& out) const;
  // What the reply means for `req`.
  virtual Decision decide(const RawReply& reply, const RequestInfo& req) const = 0;
};

using HelperProtocolPtr = std::unique_ptr<const HelperProtocol>;

// Takes one LF-terminated line off the front of buffer (a CR before the LF is dropped).
using common::takeLine;

// "host:port" (IPv6 in brackets) → host and port; false if it is not exactly that.
bool splitAuthority(const std::string& authority, std::string& host, uint16_t& port);

} // namespace exaproxy::redirector
