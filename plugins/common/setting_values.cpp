#include "setting_values.h"

#include <exaproxy/text.hpp>

#include <charconv>

namespace exaproxy::common {

bool parseCount(const std::string& v, size_t& out) {
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size() && !v.empty();
}

bool parseDuration(const std::string& v, std::chrono::milliseconds& out) {
  size_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p == v.data())
    return false;
  std::string unit(p, v.data() + v.size());
  if (unit.empty() || unit == "s")
    out = std::chrono::seconds(n);
  else if (unit == "ms")
    out = std::chrono::milliseconds(n);
  else if (unit == "m")
    out = std::chrono::minutes(n);
  else if (unit == "h")
    out = std::chrono::hours(n);
  else
    return false;
  return true;
}

bool parseBool(const std::string& v, bool& out) {
  auto b = sdk::parseBool(v);
  if (b)
    out = *b;
  return b.has_value();
}

bool parsePolicy(const std::string& v, bool& allow) {
  if (v == "allow") {
    allow = true;
    return true;
  }
  if (v == "deny") {
    allow = false;
    return true;
  }
  return false;
}

bool splitCommandLine(const std::string& line, std::vector<std::string>& argv) {
  argv.clear();
  std::string cur;
  bool inWord = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote)
        quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < line.size())
        cur += line[++i];
      else
        cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      inWord = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      cur += line[++i];
      inWord = true;
    } else if (c == ' ' || c == '\t') {
      if (inWord)
        argv.push_back(std::move(cur));
      cur.clear();
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote)
    return false;
  if (inWord)
    argv.push_back(std::move(cur));
  return true;
}

} // namespace exaproxy::common
