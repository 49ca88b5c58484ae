// HTTP dates (RFC 9110 5.6.7) for Last-Modified and If-Modified-Since. Formatting is done by hand
// so that the process locale can never change the day and month names.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::local {

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::string formatHttpDate(std::time_t t);

// IMF-fixdate, RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") or asctime ("Sun Nov  6 08:49:37
// 1994"); nullopt for anything else (an invalid date is ignored, as the RFC requires).
std::optional<std::time_t> parseHttpDate(std::string_view text);

} // namespace exaproxy::local
