// ExaProxy C++ plugin layer: small text helpers every filter needs when it reads its settings or
// writes its status JSON. Header-only and ABI-neutral: everything is inline, nothing crosses the
// C boundary and nothing here needs exaproxy/abi.h, so a plugin may use it without plugin.hpp.
// ASCII only (host names, header names, configuration words); never locale-dependent.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::sdk {

// `s` without the leading and trailing characters of `chars` (by default HTTP's OWS: space, tab).
inline std::string_view trim(std::string_view s, std::string_view chars = " \t") {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos)
    return {};
  return s.substr(b, s.find_last_not_of(chars) - b + 1);
}

inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// `s` with A-Z turned into a-z.
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = lower(c);
  return out;
}

inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

// The value of a hexadecimal digit (either case), or -1.
inline int hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// The items of a configuration list: separated by spaces, tabs and/or commas; empty items dropped.
// The views point into `s`.
inline std::vector<std::string_view> splitList(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  auto separator = [](char c) { return c == ' ' || c == '\t' || c == ','; };
  while (i < s.size()) {
    while (i < s.size() && separator(s[i]))
      ++i;
    size_t start = i;
    while (i < s.size() && !separator(s[i]))
      ++i;
    if (i > start)
      out.push_back(s.substr(start, i - start));
  }
  return out;
}

// The same items, as strings that outlive `s`.
inline std::vector<std::string> splitListCopy(std::string_view s) {
  auto items = splitList(s);
  return std::vector<std::string>(items.begin(), items.end());
}

// yes/true/on/1 and no/false/off/0, in any case; nullopt for anything else.
inline std::optional<bool> parseBool(std::string_view s) {
  std::string v = lower(s);
  if (v == "yes" || v == "true" || v == "on" || v == "1")
    return true;
  if (v == "no" || v == "false" || v == "off" || v == "0")
    return false;
  return std::nullopt;
}

// Appends `s` to `out` as the inside of a JSON string: " and \ escaped, LF/CR/TAB as \n \r \t,
// the other control characters as \u00XX; every other byte (UTF-8 included) as it is.
inline void appendJsonEscaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
}

// The parts (strings, views, literals) joined in one allocation. Also spares `"literal" +
// std::string&&`, which g++ 12 -O3 flags with a false -Wrestrict warning (GCC bug 105329).
template <typename... Parts> std::string concat(const Parts&... parts) {
  std::string out;
  out.reserve((std::string_view(parts).size() + ... + 0));
  (out.append(std::string_view(parts)), ...);
  return out;
}

// `s` as a JSON string, quotes included.
inline std::string jsonString(std::string_view s) {
  std::string out = "\"";
  appendJsonEscaped(out, s);
  out += '"';
  return out;
}

// A host a rule applies to: "example.com" (exactly), "*.example.com" (any name below it, not the
// apex) or "*" (any host). Names are compared lower-case; ':' is allowed for IPv6 literals.
class HostPattern {
public:
  // Lower-cases; false (and `out` reset) when the text is not a valid pattern.
  static bool parse(std::string_view text, HostPattern& out) {
    out = HostPattern();
    out.text_ = lower(text);
    if (out.text_ == "*") {
      out.any_ = true;
      return true;
    }
    std::string_view name = out.text_;
    if (name.substr(0, 2) == "*.") {
      out.wildcard_ = true;
      name.remove_prefix(2);
    }
    if (name.empty() || name.front() == '.' || name.back() == '.')
      return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
             c == ':';
    });
  }

  // `host` lower case, as the host's req_host gives it.
  bool matches(std::string_view host) const {
    if (any_)
      return true;
    if (!wildcard_)
      return host == text_;
    std::string_view suffix = std::string_view(text_).substr(1); // ".example.com"
    return host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix;
  }

  // The pattern as parsed (lower case).
  const std::string& text() const { return text_; }

private:
  std::string text_;
  bool any_ = false;
  bool wildcard_ = false;
};

} // namespace exaproxy::sdk
