#include "icap_chunked.h"

#include <exaproxy/text.hpp>

#include <algorithm>

namespace exaproxy::icap {
namespace {

bool isOws(char c) { return c == ' ' || c == '\t'; }

std::string_view skipOws(std::string_view s) {
  while (!s.empty() && isOws(s.front()))
    s.remove_prefix(1);
  return s;
}

// The chunk extensions after the size: *( OWS ";" OWS name [ OWS "=" OWS ( token / quoted ) ] ).
// Sets `ieof` when one is named ieof; false (with `why`) on a syntax error.
bool scanExtensions(std::string_view s, bool& ieof, std::string& why) {
  for (s = skipOws(s); !s.empty(); s = skipOws(s)) {
    if (s.front() != ';') {
      why = "unexpected character after the chunk size";
      return false;
    }
    s = skipOws(s.substr(1));
    size_t n = 0;
    while (n < s.size() && isTchar(s[n]))
      ++n;
    if (n == 0) {
      why = "chunk extension without a name";
      return false;
    }
    if (sdk::equalsIgnoreCase(s.substr(0, n), "ieof"))
      ieof = true;
    s = skipOws(s.substr(n));
    if (s.empty() || s.front() != '=')
      continue;
    s = skipOws(s.substr(1));
    if (!s.empty() && s.front() == '"') {
      size_t i = 1;
      while (i < s.size() && s[i] != '"')
        i += s[i] == '\\' ? 2 : 1;
      if (i >= s.size()) {
        why = "unterminated quoted chunk extension value";
        return false;
      }
      s.remove_prefix(i + 1);
    } else {
      size_t v = 0;
      while (v < s.size() && isTchar(s[v]))
        ++v;
      if (v == 0) {
        why = "chunk extension '=' without a value";
        return false;
      }
      s.remove_prefix(v);
    }
  }
  return true;
}

} // namespace

void ChunkedDecoder::fail(std::string why) {
  error_ = std::move(why);
  status_ = ParseStatus::Error;
  state_ = State::Finished;
}

void ChunkedDecoder::sizeLine(std::string_view line) {
  if (line.find('\r') != std::string_view::npos)
    return fail("CR inside a chunk size line");
  size_t digits = 0;
  uint64_t size = 0;
  while (digits < line.size() && sdk::hexDigit(line[digits]) >= 0) {
    size = size * 16 + static_cast<uint64_t>(sdk::hexDigit(line[digits]));
    if (size > limits_.maxChunkSize)
      return fail("chunk size larger than " + std::to_string(limits_.maxChunkSize));
    ++digits;
  }
  if (digits == 0)
    return fail("chunk size line does not start with a hexadecimal size");
  bool ieof = false;
  std::string why;
  if (!scanExtensions(line.substr(digits), ieof, why))
    return fail(std::move(why));
  if (size == 0) {
    lastIeof_ = ieof;
    state_ = State::EndCr;
    return;
  }
  if (ieof)
    return fail("ieof on a chunk that is not the last");
  dataLeft_ = size;
  state_ = State::Data;
}

Progress ChunkedDecoder::feed(std::string_view in, std::string& out) {
  size_t i = 0;
  while (i < in.size() && state_ != State::Finished) {
    if (state_ == State::Data) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(dataLeft_, in.size() - i));
      out.append(in.substr(i, n));
      i += n;
      dataLeft_ -= n;
      if (dataLeft_ == 0)
        state_ = State::DataCr;
    } else {
      takeByte(in[i++]);
    }
  }
  return {status_, i};
}

void ChunkedDecoder::takeByte(char c) {
  switch (state_) {
  case State::SizeLine:
    if (c == '\n') {
      if (line_.empty() || line_.back() != '\r')
        return fail("chunk size line ends in a bare LF");
      line_.pop_back();
      std::string line = std::move(line_);
      line_.clear();
      return sizeLine(line);
    }
    if (line_.size() >= limits_.maxSizeLine + 1) // +1: room for its CR
      return fail("chunk size line longer than " + std::to_string(limits_.maxSizeLine) + " bytes");
    line_ += c;
    return;
  case State::DataCr:
    if (c != '\r')
      return fail("chunk data not followed by CR LF");
    state_ = State::DataLf;
    return;
  case State::EndCr:
    if (c != '\r')
      return fail("trailer fields or garbage after the last chunk");
    state_ = State::EndLf;
    return;
  case State::DataLf:
  case State::EndLf:
    if (c != '\n')
      return fail("CR not followed by LF in the chunked body");
    if (state_ == State::DataLf) {
      state_ = State::SizeLine;
      return;
    }
    state_ = State::Finished;
    status_ = ParseStatus::Done;
    ieof_ = lastIeof_;
    return;
  case State::Data:
  case State::Finished:
    return;
  }
}

void appendChunk(std::string& out, std::string_view data) {
  if (data.empty())
    return;
  static constexpr char kHex[] = "0123456789abcdef";
  char digits[2 * sizeof(size_t)];
  size_t n = 0;
  for (size_t v = data.size(); v != 0; v >>= 4)
    digits[n++] = kHex[v & 15];
  while (n > 0)
    out += digits[--n];
  out += "\r\n";
  out.append(data);
  out += "\r\n";
}

std::string encodeChunk(std::string_view data) {
  std::string out;
  appendChunk(out, data);
  return out;
}

std::string lastChunk(bool ieof) { return ieof ? "0; ieof\r\n\r\n" : "0\r\n\r\n"; }

} // namespace exaproxy::icap
