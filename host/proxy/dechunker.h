// Dechunker: turns an already validated chunked body (http::ChunkedDecoder accepted every byte it
// is given) into its plain data, for HTTP/1.0 clients, which cannot receive chunked framing.
// Because validation happened first, this only has to find the data, not judge the syntax.
#pragma once

#include "net/buffer.h"

#include <cstdint>
#include <string_view>

namespace exaproxy::proxy {

class Dechunker {
public:
  // Appends the data bytes found in `validated` to `out`.
  void feed(std::string_view validated, net::Buffer& out) {
    for (size_t i = 0; i < validated.size();) {
      char c = validated[i];
      switch (state_) {
      case State::Size: // hex digits, then BWS, ';' extensions or the CRLF
        if (c == ';' || c == '\r' || c == ' ' || c == '\t') {
          state_ = State::SizeLineEnd;
        } else {
          size_ = size_ * 16 + hexValue(c);
        }
        ++i;
        break;
      case State::SizeLineEnd: // chunk extensions, then CRLF
        if (c == '\n')
          state_ = size_ == 0 ? State::Trailer : State::Data;
        ++i;
        break;
      case State::Data: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(size_, validated.size() - i));
        out.append(validated.substr(i, n));
        size_ -= n;
        i += n;
        if (size_ == 0)
          state_ = State::DataEnd;
        break;
      }
      case State::DataEnd: // CRLF after the data
        if (c == '\n')
          state_ = State::Size;
        ++i;
        break;
      case State::Trailer: // trailer lines until an empty one; dropped (nowhere to put them)
        if (c == '\n') {
          if (lineLength_ == 0)
            state_ = State::Done;
          lineLength_ = 0;
        } else if (c != '\r') {
          ++lineLength_;
        }
        ++i;
        break;
      case State::Done:
        return;
      }
    }
  }

private:
  enum class State { Size, SizeLineEnd, Data, DataEnd, Trailer, Done };
  static uint64_t hexValue(char c) {
    if (c >= '0' && c <= '9')
      return static_cast<uint64_t>(c - '0');
    return static_cast<uint64_t>((c | 0x20) - 'a' + 10);
  }
  State state_ = State::Size;
  uint64_t size_ = 0;
  size_t lineLength_ = 0;
};

} // namespace exaproxy::proxy
