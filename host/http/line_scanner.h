// LineScanner: finds CRLF-terminated lines in a growing buffer, strictly (a bare CR or a bare LF is
// an error). It keeps only offsets, so the caller's buffer may be reallocated between calls, and
// every byte is examined once. Internal to the http module.
#pragma once

#include <cstddef>
#include <string_view>

namespace exaproxy::http {

class LineScanner {
public:
  enum class Outcome { Line, NeedMore, BareCr, BareLf };

  // On Line, `begin`/`end` delimit the line without its CRLF; the next line starts at end + 2.
  Outcome next(std::string_view buf, size_t& begin, size_t& end) {
    size_t i = pos_;
    const char* data = buf.data();
    const size_t n = buf.size();
    while (i < n) {
      char c = data[i];
      if (c == '\n') {
        return Outcome::BareLf;
      }
      if (c == '\r') {
        if (i + 1 >= n) {
          pos_ = i; // re-examine the CR once its successor arrives
          return Outcome::NeedMore;
        }
        if (data[i + 1] != '\n') {
          return Outcome::BareCr;
        }
        begin = lineStart_;
        end = i;
        lineStart_ = pos_ = i + 2;
        return Outcome::Line;
      }
      ++i;
    }
    pos_ = i;
    return Outcome::NeedMore;
  }

  // Starts scanning at `offset` (after skipped leading empty lines).
  void startAt(size_t offset) { lineStart_ = pos_ = offset; }
  size_t lineStart() const { return lineStart_; }
  size_t scanned() const { return pos_; }
  void reset() { lineStart_ = pos_ = 0; }

private:
  size_t lineStart_ = 0;
  size_t pos_ = 0;
};

} // namespace exaproxy::http
