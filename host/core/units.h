// Parsing of the small value languages used in conf.d: durations, sizes, counts and booleans.
// Pure functions on text; config.cpp turns a nullopt into a ConfigError with the expected form.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace exaproxy {

// "30s", "500ms", "2m", "1h", "1d"; a bare number is seconds. Whole numbers only (use 1500ms, not
// 1.5s) so that a value means exactly what it says. Surrounding whitespace is not accepted here:
// the INI reader has already trimmed it.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);

// "65536", "64k", "1m", "1g" (binary multiples: k = 1024). The suffix is case-insensitive and may
// be followed by "b" ("64kb"), which people write out of habit.
std::optional<uint64_t> parseSize(std::string_view text);

// A plain non-negative decimal integer (no sign, no suffix).
std::optional<uint64_t> parseCount(std::string_view text);

// yes/no, true/false, on/off, 1/0 (case-insensitive).
std::optional<bool> parseBool(std::string_view text);

// The shortest exact text parseDuration reads back: 30000ms -> "30s", 1500ms -> "1500ms".
std::string formatDuration(std::chrono::milliseconds d);

// The shortest exact text parseSize reads back: 65536 -> "64k", 1000 -> "1000".
std::string formatSize(uint64_t bytes);

} // namespace exaproxy
