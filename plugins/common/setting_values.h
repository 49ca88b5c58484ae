// The value syntax the stock plugins' settings share: counts, durations, on/off, allow/deny, and
// a helper's command line. Each returns false (output untouched or partly set) when the text
// does not parse; the caller names the setting in its error.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace exaproxy::common {

// A non-negative decimal number, nothing else.
bool parseCount(const std::string& v, size_t& out);
// "3s", "250ms", "1m", "2h", or a bare number of seconds.
bool parseDuration(const std::string& v, std::chrono::milliseconds& out);
// on/off, yes/no, true/false, 1/0 (sdk::parseBool).
bool parseBool(const std::string& v, bool& out);
// "allow" (true) or "deny" (false).
bool parsePolicy(const std::string& v, bool& allow);
// Splits a command line into argv: whitespace separates, '...' and "..." quote, \ escapes.
bool splitCommandLine(const std::string& line, std::vector<std::string>& argv);

} // namespace exaproxy::common
