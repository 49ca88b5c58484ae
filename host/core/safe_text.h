// Text the proxy does not trust (a helper's answer, a plugin's reason, log message or exception
// text) made safe where the host inserts it into a log line or an error page's placeholder: a
// control byte (NUL, ESC, CR, LF, TAB...), DEL or a byte that is not part of well-formed UTF-8
// becomes "\xHH", so it can neither start a new log line, drive a terminal that shows the log,
// nor hide in the page; and the text is cut at `max` bytes. A body a plugin supplies as a whole
// is not text of this kind: it is sent as supplied.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace exaproxy {

constexpr size_t kSafeTextMax = 2048;

std::string safeText(std::string_view text, size_t max = kSafeTextMax);

// True when safeText() would return `text` unchanged (the common case: no copy is needed).
bool isSafeText(std::string_view text, size_t max = kSafeTextMax);

} // namespace exaproxy
