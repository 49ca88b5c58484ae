// HelperCodec: what a HelperPool (helper_pool.h) must know about one dialect of helper program to
// drive it: where one answer ends in the bytes the helper writes, whether an answer says the helper
// is broken, and how long a request may be. Everything else about the dialect stays with the
// plugin that speaks it: it encodes each request before HelperPool::submit() and reads each
// answer in the request's callback.
//
// Channel IDs are not the codec's business: every Squid helper protocol (url_rewrite, store_id,
// basic/digest auth, external ACL) puts them the same way in front of a request line and its
// answer, so the pool adds and strips them itself when `concurrency` > 0 (helper_channel.h).
//
// Implementations are const and stateless: the pool calls them from its manager thread, and the
// plugin that owns one may call it from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::common {

enum class FrameStatus {
  Complete,  // one answer was taken off the buffer
  NeedMore,  // no complete answer yet
  Malformed, // the stream cannot be resynchronised: the child must be replaced
};

class HelperCodec {
public:
  virtual ~HelperCodec() = default;

  // Takes one answer off the front of `buffer` (bytes read from the helper's stdout) into
  // `answer`, without its terminator. A channel ID in front of it is left there (the pool
  // removes it). NeedMore and Malformed leave `answer` alone.
  virtual FrameStatus frame(std::string& buffer, std::string& answer) const = 0;

  // Why `answer` (channel ID removed) says the helper is broken (Squid's BH), or nothing. A
  // broken answer is asked again on another child, twice, before the request fails.
  virtual std::optional<std::string> broken(std::string_view /*answer*/) const {
    return std::nullopt;
  }

  // Whether the dialect's lines can carry channel IDs (the pool refuses concurrency > 0 without).
  virtual bool takesChannels() const { return false; }

  // Requests longer than this (channel ID included) are not sent; 0 = no limit.
  virtual size_t maxRequestSize() const { return 0; }
};

} // namespace exaproxy::common
