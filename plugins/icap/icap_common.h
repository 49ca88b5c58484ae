// What every part of the ICAP wire library shares: the result of a parse that may fail on
// untrusted bytes, the three states of an incremental parser, and the token grammar of header
// names. Plain values, no I/O; nothing here knows the host (plugins/icap builds against sdk/ only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace exaproxy::icap {

// A value or the reason there is none (a sentence for logs: "Encapsulated: req-hdr given twice").
// The same shape as the host's Result, which a plugin may not include; no exception is thrown on
// bad input anywhere in this library.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  static Result failure(std::string reason) { return Result(std::move(reason), 0); }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<1>(v_); }

private:
  Result(std::string reason, int) : v_(std::in_place_index<1>, std::move(reason)) {}
  std::variant<T, std::string> v_;
};

// Where an incremental parser stands after a feed.
enum class ParseStatus {
  NeedMore, // everything given was consumed and more is needed
  Done,     // the element is complete; bytes after it were not consumed
  Error,    // the input is refused; the parser stays in this state (error() says why)
};

// What one feed did: its status and how many of the given bytes were used.
struct Progress {
  ParseStatus status = ParseStatus::NeedMore;
  size_t consumed = 0;
};

// One header field of an ICAP message, as sent or received (the value without surrounding OWS).
struct HeaderField {
  std::string name;
  std::string value;
  bool operator==(const HeaderField&) const = default;
};

// tchar (RFC 9110 §5.6.2): the characters of a header name, a method or a chunk extension name.
inline bool isTchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

inline bool isToken(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (!isTchar(c))
      return false;
  return true;
}

// A byte that may not appear in a header value: the controls other than HTAB, and DEL.
inline bool isForbiddenInValue(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

// Decimal digits only (no sign, no spaces, at least one digit), at most `max`; nullopt otherwise.
// Leading zeros are accepted; the value never overflows.
inline std::optional<uint64_t> parseDecimal(std::string_view text, uint64_t max) {
  if (text.empty())
    return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10)
      return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// Untrusted text as an error message quotes it: at most 40 bytes, "..." when cut.
inline std::string shown(std::string_view text) {
  return text.size() <= 40 ? std::string(text) : std::string(text.substr(0, 40)) + "...";
}

// An encapsulated HTTP head as it travels: it ends with its empty line (CR LF CR LF) and holds no
// earlier one. A framing check that offsets and bytes agree, not an HTTP parse.
inline bool isWholeHttpHead(std::string_view head) {
  return head.size() >= 4 && head.find("\r\n\r\n") == head.size() - 4;
}

} // namespace exaproxy::icap
