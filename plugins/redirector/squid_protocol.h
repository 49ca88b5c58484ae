// The Squid url_rewrite_program dialect (PROTOCOLS.md §1): request lines as Squid >= 3.5 writes
// them, replies in the 3.4+ format (OK/ERR/BH with key=value notes) and in the legacy one. The
// line framing, BH and the reply grammar are those of every Squid helper (plugins/common:
// squid_line_codec.h, squid_reply.h); what an answer means for a request is the redirector's.
#pragma once

#include "helper_protocol.h"
#include "squid_line_codec.h"
#include "squid_reply.h"

#include <string>

namespace exaproxy::redirector {

using common::parseSquidReply;
using common::percentDecode;
using common::percentEncodeField;
using common::SquidReply;

class SquidProtocol final : public HelperProtocol {
public:
  std::string encode(const RequestInfo& req, std::optional<uint64_t> channel) const override;
  FrameStatus frame(std::string& buffer, std::string& answer) const override {
    return lines_.frame(buffer, answer);
  }
  std::optional<std::string> broken(std::string_view answer) const override {
    return lines_.broken(answer);
  }
  bool takesChannels() const override { return lines_.takesChannels(); }
  size_t maxRequestSize() const override { return lines_.maxRequestSize(); }
  Decision decide(const RawReply& reply, const RequestInfo& req) const override;

  // The Decision for a parsed reply (decide() = parseSquidReply + this).
  static Decision map(const SquidReply& reply, const RequestInfo& req);

private:
  common::SquidLineCodec lines_;
};

// What a rewrite to `target` means for `req`, shared by the squid and exaproxy-url dialects:
// CONNECT + host:port → Route; CONNECT + scheme:// URL → Deny 403 naming it (a block page cannot
// be tunnelled to); other methods + scheme:// URL → Rewrite; the same URL → Continue; anything
// else → Continue with a warning (Squid keeps the original URL).
Decision rewriteTo(const std::string& target, const RequestInfo& req);

} // namespace exaproxy::redirector
