// HeaderMap: the ordered header fields of one HTTP message.
//
// Fields are string_views. The parser adds views into the message's own `raw` buffer (addView, no
// copy); fields added later by the proxy are copied into an arena owned by the map (add), so a map
// never allocates per parsed header. The arena is a list of chunks that are only ever appended to
// within their capacity (views into them stay valid); clear() keeps one chunk, so a map that is
// reused (a recycled transaction) adds a few fields without allocating. Copying a map deep-copies
// every field into the new map's arena (copies are rare and this keeps them independent of the
// source buffer); moving keeps all views valid.
#pragma once

#include <cstddef>
#include <forward_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::http {

// ASCII case-insensitive comparison (field names, tokens); locale independent. Inline: it runs
// for every field against every name the proxy looks for, and most calls end at the size check.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x == y) {
      continue;
    }
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<char>(x - 'A' + 'a');
    }
    if (y >= 'A' && y <= 'Z') {
      y = static_cast<char>(y - 'A' + 'a');
    }
    if (x != y) {
      return false;
    }
  }
  return true;
}

// Lowercases ASCII letters in place.
void toLowerAscii(std::string& s);

// Calls fn(element) for every non-empty element of a comma-separated list, OWS-trimmed.
// fn returns false to stop early. Returns false if stopped.
template <typename Fn> bool forEachListElement(std::string_view list, Fn&& fn) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) {
      comma = list.size();
    }
    std::string_view element = list.substr(start, comma - start);
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) {
      element.remove_prefix(1);
    }
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) {
      element.remove_suffix(1);
    }
    if (!element.empty() && !fn(element)) {
      return false;
    }
    start = comma + 1;
  }
  return true;
}

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

class HeaderMap {
public:
  HeaderMap() = default;
  HeaderMap(const HeaderMap& other);
  HeaderMap& operator=(const HeaderMap& other);
  HeaderMap(HeaderMap&&) noexcept = default;
  HeaderMap& operator=(HeaderMap&&) noexcept = default;
  ~HeaderMap() = default;

  // Copies name and value into the map's arena.
  void add(std::string_view name, std::string_view value);
  // No copy: the caller guarantees both views outlive the map (the parser's views into `raw`).
  void addView(std::string_view name, std::string_view value);

  std::optional<std::string_view> get(std::string_view name) const;
  size_t count(std::string_view name) const;
  void remove(std::string_view name);
  void set(std::string_view name, std::string_view value);
  // True if `token` is an element of the comma-separated list formed by all lines of `name`.
  bool hasToken(std::string_view name, std::string_view token) const;

  const std::vector<HeaderField>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  void clear();
  // Keeps the field vector's capacity for reuse (parsers call this between messages).
  void reserve(size_t n) { fields_.reserve(n); }

  // Re-points views that fall inside [oldBase, oldBase + length) to the same offsets from newBase.
  // Used when the buffer the views point into was copied or moved (RequestHead/ResponseHead
  // copies).
  void rebase(const char* oldBase, size_t length, const char* newBase);

private:
  static constexpr size_t kInitialFields = 16;
  static constexpr size_t kArenaChunk = 256;
  static constexpr size_t kArenaKeep = 4096; // the largest chunk clear() keeps for reuse
  // The arena chunk to append `n` bytes to without reallocating it (a new one if needed).
  std::string& room(size_t n);

  std::vector<HeaderField> fields_;
  // Chunks holding the bytes of add()ed fields, newest first. A chunk is appended to only within
  // its capacity (its bytes never move) and forward_list nodes never move, so views stay valid;
  // an empty arena costs no allocation.
  std::forward_list<std::string> arena_;
};

} // namespace exaproxy::http
