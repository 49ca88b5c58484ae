// Line framing of helper protocols: Squid's helpers (url_rewrite, auth, external ACL) and
// ExaProxy's own answer one LF-terminated line per request, optionally behind a channel ID.
#pragma once

#include "helper_codec.h"

#include <cstddef>
#include <string>

namespace exaproxy::common {

// Takes one LF-terminated line off the front of buffer (a CR before the LF is dropped). False,
// buffer untouched, when no whole line is there yet.
bool takeLine(std::string& buffer, std::string& line);

// takeLine for a codec: Complete, NeedMore, or Malformed once `buffer` holds more than `maxLine`
// bytes without a line end (a helper that never ends its line cannot be resynchronised).
FrameStatus frameLine(std::string& buffer, std::string& line, size_t maxLine);

} // namespace exaproxy::common
