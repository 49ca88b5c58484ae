// The framing of every Squid helper (url_rewrite, store_id, basic/digest auth, external ACL): one
// request line, one answer line, "BH" when the helper is broken, channel IDs when concurrent.
// A plugin that runs such a helper gives HelperPool this codec, writes its own request lines
// (percentEncodeField, squid_reply.h) and reads each answer with parseSquidReply.
#pragma once

#include "helper_codec.h"

namespace exaproxy::common {

class SquidLineCodec final : public HelperCodec {
public:
  // Squid refuses request lines of MAX_URL (8192) + 1024 bytes or more.
  static constexpr size_t kMaxRequest = 8192 + 1024;
  // An answer line longer than this is garbage: the helper is replaced.
  static constexpr size_t kMaxAnswer = 64 * 1024;

  // Negotiate and NTLM tokens (Kerberos tickets with a large PAC) need more: Squid reads 64 KiB.
  static constexpr size_t kMaxHandshakeRequest = 64 * 1024 + 4;

  explicit SquidLineCodec(size_t maxRequest = kMaxRequest) : maxRequest_(maxRequest) {}

  FrameStatus frame(std::string& buffer, std::string& answer) const override;
  std::optional<std::string> broken(std::string_view answer) const override;
  bool takesChannels() const override { return true; }
  size_t maxRequestSize() const override { return maxRequest_; }

private:
  const size_t maxRequest_;
};

} // namespace exaproxy::common
