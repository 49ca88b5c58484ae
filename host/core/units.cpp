#include "core/units.h"

#include <cctype>
#include <charconv>
#include <limits>

namespace exaproxy {

namespace {

// Splits "123abc" into its leading digits and the rest; nullopt when there are no digits or the
// number does not fit.
std::optional<std::pair<uint64_t, std::string_view>> splitNumber(std::string_view text) {
  size_t n = 0;
  while (n < text.size() && std::isdigit(static_cast<unsigned char>(text[n])))
    ++n;
  if (n == 0)
    return std::nullopt;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + n, value);
  if (ec != std::errc() || ptr != text.data() + n)
    return std::nullopt;
  return std::make_pair(value, text.substr(n));
}

bool equalsLower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != lower[i])
      return false;
  return true;
}

std::optional<uint64_t> multiply(uint64_t value, uint64_t factor) {
  if (factor != 0 && value > std::numeric_limits<uint64_t>::max() / factor)
    return std::nullopt;
  return value * factor;
}

} // namespace

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  auto split = splitNumber(text);
  if (!split)
    return std::nullopt;
  auto [value, unit] = *split;
  uint64_t factor = 0;
  if (unit.empty() || equalsLower(unit, "s"))
    factor = 1000;
  else if (equalsLower(unit, "ms"))
    factor = 1;
  else if (equalsLower(unit, "m"))
    factor = 60 * 1000;
  else if (equalsLower(unit, "h"))
    factor = 3600 * 1000;
  else if (equalsLower(unit, "d"))
    factor = 86400 * 1000;
  else
    return std::nullopt;
  auto ms = multiply(value, factor);
  // milliseconds::rep is signed: keep the value representable.
  if (!ms ||
      *ms > static_cast<uint64_t>(std::numeric_limits<std::chrono::milliseconds::rep>::max()))
    return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(*ms));
}

std::optional<uint64_t> parseSize(std::string_view text) {
  auto split = splitNumber(text);
  if (!split)
    return std::nullopt;
  auto [value, unit] = *split;
  if (unit.size() == 2 && (unit[1] == 'b' || unit[1] == 'B'))
    unit = unit.substr(0, 1);
  uint64_t factor = 0;
  if (unit.empty())
    factor = 1;
  else if (equalsLower(unit, "k"))
    factor = uint64_t{1} << 10;
  else if (equalsLower(unit, "m"))
    factor = uint64_t{1} << 20;
  else if (equalsLower(unit, "g"))
    factor = uint64_t{1} << 30;
  else if (equalsLower(unit, "t"))
    factor = uint64_t{1} << 40;
  else
    return std::nullopt;
  return multiply(value, factor);
}

std::optional<uint64_t> parseCount(std::string_view text) {
  auto split = splitNumber(text);
  if (!split || !split->second.empty())
    return std::nullopt;
  return split->first;
}

std::optional<bool> parseBool(std::string_view text) {
  for (auto yes : {"yes", "true", "on", "1"})
    if (equalsLower(text, yes))
      return true;
  for (auto no : {"no", "false", "off", "0"})
    if (equalsLower(text, no))
      return false;
  return std::nullopt;
}

std::string formatDuration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms == 0)
    return "0s";
  if (ms % 1000 != 0)
    return std::to_string(ms) + "ms";
  auto s = ms / 1000;
  if (s % 86400 == 0)
    return std::to_string(s / 86400) + "d";
  if (s % 3600 == 0)
    return std::to_string(s / 3600) + "h";
  if (s % 60 == 0)
    return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

std::string formatSize(uint64_t bytes) {
  if (bytes == 0)
    return "0";
  static constexpr struct {
    int shift;
    char suffix;
  } kUnits[] = {{40, 't'}, {30, 'g'}, {20, 'm'}, {10, 'k'}};
  for (const auto& u : kUnits) {
    uint64_t unit = uint64_t{1} << u.shift;
    if (bytes % unit == 0)
      return std::to_string(bytes / unit) + u.suffix;
  }
  return std::to_string(bytes);
}

} // namespace exaproxy
