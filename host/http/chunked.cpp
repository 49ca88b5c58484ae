#include "http/chunked.h"

#include <algorithm>

#include "http/syntax.h"

namespace exaproxy::http {

namespace {

int hexValue(unsigned char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool isQdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
         (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

bool isQuotedPairChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

} // namespace

void ChunkedDecoder::reset() {
  state_ = State::Size;
  chunkSize_ = remaining_ = dataBytes_ = 0;
  digits_ = lineLength_ = trailerBytes_ = 0;
  error_ = Error{};
}

Error ChunkedDecoder::fail(int code, const char* message) {
  state_ = State::Failed;
  error_ = Error{code, message};
  return error_;
}

bool ChunkedDecoder::endSizeDigits() {
  if (chunkSize_ > static_cast<uint64_t>(INT64_MAX)) {
    fail(400, "chunk size overflows");
    return false;
  }
  if (limit_ != 0 && chunkSize_ > limit_ - std::min(limit_, dataBytes_)) {
    fail(413, "chunked body larger than the limit");
    return false;
  }
  return true;
}

Result<size_t> ChunkedDecoder::feed(std::string_view in) {
  if (state_ == State::Failed) {
    return error_;
  }
  const size_t n = in.size();
  size_t i = 0;
  while (i < n) {
    if (state_ == State::Done) {
      return i;
    }
    if (state_ == State::Data) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, n - i));
      i += take;
      remaining_ -= take;
      if (remaining_ == 0) {
        state_ = State::DataCr;
      }
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(in[i]);
    ++i;
    if (state_ <= State::LineLf && ++lineLength_ > kMaxLineLength) {
      return fail(400, "chunk-size line too long");
    }
    if (state_ >= State::TrailerStart && state_ <= State::FinalLf &&
        ++trailerBytes_ > kMaxTrailerBytes) {
      return fail(400, "trailer section too large");
    }
    switch (state_) {
    case State::Size: {
      int v = hexValue(c);
      if (v >= 0) {
        if (++digits_ > 16) {
          return fail(400, "chunk size has too many digits");
        }
        chunkSize_ = (chunkSize_ << 4) | static_cast<uint64_t>(v);
        break;
      }
      if (digits_ == 0) {
        return fail(400, "invalid character in chunk size");
      }
      if (c != ';' && c != ' ' && c != '\t' && c != '\r') {
        return fail(400, "invalid character in chunk size");
      }
      if (!endSizeDigits()) {
        return error_;
      }
      state_ = c == ';' ? State::ExtStart : c == '\r' ? State::LineLf : State::SizeBws;
      break;
    }
    case State::SizeBws:
      if (c == ';') {
        state_ = State::ExtStart;
      } else if (!isOws(c)) {
        return fail(400, "whitespace after the chunk size");
      }
      break;
    case State::ExtStart:
      if (isTchar(c)) {
        state_ = State::ExtName;
      } else if (!isOws(c)) {
        return fail(400, "invalid chunk extension name");
      }
      break;
    case State::ExtName:
      if (c == '=') {
        state_ = State::ExtValStart;
      } else if (c == ';') {
        state_ = State::ExtStart;
      } else if (c == '\r') {
        state_ = State::LineLf;
      } else if (isOws(c)) {
        state_ = State::ExtNameBws;
      } else if (!isTchar(c)) {
        return fail(400, "invalid chunk extension name");
      }
      break;
    case State::ExtNameBws:
      if (c == '=') {
        state_ = State::ExtValStart;
      } else if (c == ';') {
        state_ = State::ExtStart;
      } else if (!isOws(c)) {
        return fail(400, "invalid chunk extension");
      }
      break;
    case State::ExtValStart:
      if (c == '"') {
        state_ = State::Quoted;
      } else if (isTchar(c)) {
        state_ = State::ExtValToken;
      } else if (!isOws(c)) {
        return fail(400, "invalid chunk extension value");
      }
      break;
    case State::ExtValToken:
      if (c == ';') {
        state_ = State::ExtStart;
      } else if (c == '\r') {
        state_ = State::LineLf;
      } else if (isOws(c)) {
        state_ = State::ExtValBws;
      } else if (!isTchar(c)) {
        return fail(400, "invalid chunk extension value");
      }
      break;
    case State::ExtValBws:
      if (c == ';') {
        state_ = State::ExtStart;
      } else if (!isOws(c)) {
        return fail(400, "invalid chunk extension");
      }
      break;
    case State::Quoted:
      if (c == '"') {
        state_ = State::QuotedEnd;
      } else if (c == '\\') {
        state_ = State::QuotedEsc;
      } else if (!isQdtext(c)) {
        return fail(400, "invalid character in a quoted chunk extension");
      }
      break;
    case State::QuotedEsc:
      if (!isQuotedPairChar(c)) {
        return fail(400, "invalid character in a quoted chunk extension");
      }
      state_ = State::Quoted;
      break;
    case State::QuotedEnd:
      if (c == ';') {
        state_ = State::ExtStart;
      } else if (c == '\r') {
        state_ = State::LineLf;
      } else if (isOws(c)) {
        state_ = State::ExtValBws;
      } else {
        return fail(400, "invalid chunk extension");
      }
      break;
    case State::LineLf:
      if (c != '\n') {
        return fail(400, "bare CR in the chunk-size line");
      }
      state_ = afterLine();
      remaining_ = chunkSize_;
      dataBytes_ += chunkSize_;
      lineLength_ = 0;
      break;
    case State::DataCr:
      if (c != '\r') {
        return fail(400, "missing CRLF after chunk data");
      }
      state_ = State::DataLf;
      break;
    case State::DataLf:
      if (c != '\n') {
        return fail(400, "missing CRLF after chunk data");
      }
      state_ = State::Size;
      chunkSize_ = 0;
      digits_ = 0;
      break;
    case State::TrailerStart:
      if (c == '\r') {
        state_ = State::FinalLf;
      } else if (isTchar(c)) {
        state_ = State::TrailerName;
      } else if (isOws(c)) {
        return fail(400, "obsolete line folding or whitespace in the trailer section");
      } else {
        return fail(400, "invalid character in a trailer field name");
      }
      break;
    case State::TrailerName:
      if (c == ':') {
        state_ = State::TrailerValue;
      } else if (!isTchar(c)) {
        return fail(400, "invalid character in a trailer field name");
      }
      break;
    case State::TrailerValue:
      if (c == '\r') {
        state_ = State::TrailerLf;
      } else if (!isFieldValueChar(c)) {
        return fail(400, "invalid character in a trailer field value");
      }
      break;
    case State::TrailerLf:
      if (c != '\n') {
        return fail(400, "bare CR in the trailer section");
      }
      state_ = State::TrailerStart;
      break;
    case State::FinalLf:
      if (c != '\n') {
        return fail(400, "bare CR at the end of the chunked body");
      }
      state_ = State::Done;
      return i;
    case State::Data:
    case State::Done:
    case State::Failed:
      break; // handled before the switch
    }
  }
  return i;
}

} // namespace exaproxy::http
