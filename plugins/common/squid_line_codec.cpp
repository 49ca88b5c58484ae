#include "squid_line_codec.h"

#include "helper_line.h"
#include "squid_reply.h"

namespace exaproxy::common {

FrameStatus SquidLineCodec::frame(std::string& buffer, std::string& answer) const {
  return frameLine(buffer, answer, kMaxAnswer);
}

std::optional<std::string> SquidLineCodec::broken(std::string_view answer) const {
  if (squidResult(answer) != SquidReply::Result::BrokenHelper)
    return std::nullopt; // the common case: no note is parsed twice
  return brokenReason(parseSquidReply(answer));
}

} // namespace exaproxy::common
