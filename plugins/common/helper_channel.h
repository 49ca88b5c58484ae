// Channel IDs of concurrent Squid helpers ("concurrency=N" in squid.conf): every request line
// starts with "ID " and the helper echoes the ID in front of its answer, so answers may come in
// any order. The same for url_rewrite, store_id, auth and external-ACL helpers; HelperPool uses
// these when its `concurrency` is above 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace exaproxy::common {

// "ID " for a request line.
std::string channelPrefix(uint64_t id);

// Removes a leading channel ID (digits, then white space or the end) and the white space after it
// from `answer`, and returns it. Without one (or when it does not fit 64 bits) `answer` is left as
// it is and the result is empty.
std::optional<uint64_t> takeChannel(std::string& answer);

} // namespace exaproxy::common
