// LineScanner: finds CRLF-terminated lines in a growing buffer, strictly (a bare CR or a bare LF is
// an error). It keeps only offsets, so the caller's buffer may be reallocated between calls, and
// every byte is examined once. Internal to the http module.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace exaproxy::http {

class LineScanner {
public:
  enum class Outcome { Line, NeedMore, BareCr, BareLf };

  // On Line, `begin`/`end` delimit the line without its CRLF; the next line starts at end + 2.
  Outcome next(std::string_view buf, size_t& begin, size_t& end) {
    const char* data = buf.data();
    const size_t n = buf.size();
    size_t i = findCrOrLf(data, pos_, n);
    if (i == n) {
      pos_ = n;
      return Outcome::NeedMore;
    }
    if (data[i] == '\n') {
      return Outcome::BareLf;
    }
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

  // Starts scanning at `offset` (after skipped leading empty lines).
  void startAt(size_t offset) { lineStart_ = pos_ = offset; }
  size_t lineStart() const { return lineStart_; }
  size_t scanned() const { return pos_; }
  void reset() { lineStart_ = pos_ = 0; }

private:
  // The index of the first CR or LF in [i, n), or n: eight bytes per step (a byte equal to CR or
  // LF becomes a zero byte after the XOR; the lowest zero byte is found exactly).
  static size_t findCrOrLf(const char* data, size_t i, size_t n) {
    if constexpr (std::endian::native == std::endian::little) {
      constexpr uint64_t kOnes = 0x0101010101010101ULL;
      constexpr uint64_t kHigh = 0x8080808080808080ULL;
      while (i + 8 <= n) {
        uint64_t w;
        std::memcpy(&w, data + i, 8);
        uint64_t cr = w ^ (kOnes * '\r');
        uint64_t lf = w ^ (kOnes * '\n');
        uint64_t hit = ((cr - kOnes) & ~cr & kHigh) | ((lf - kOnes) & ~lf & kHigh);
        if (hit != 0) {
          return i + static_cast<size_t>(std::countr_zero(hit) / 8);
        }
        i += 8;
      }
    }
    while (i < n && data[i] != '\r' && data[i] != '\n') {
      ++i;
    }
    return i;
  }

  size_t lineStart_ = 0;
  size_t pos_ = 0;
};

} // namespace exaproxy::http
