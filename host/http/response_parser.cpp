#include "http/response_parser.h"

#include <functional>

#include "http/syntax.h"

namespace exaproxy::http {

namespace {

std::string_view rebaseView(std::string_view v, const char* oldBase, size_t length,
                            const char* newBase) {
  if (oldBase == newBase || v.data() == nullptr ||
      !std::less_equal<const char*>()(oldBase, v.data()) ||
      !std::less_equal<const char*>()(v.data() + v.size(), oldBase + length)) {
    return v;
  }
  return std::string_view(newBase + (v.data() - oldBase), v.size());
}

} // namespace

ResponseHead::ResponseHead(const ResponseHead& other)
    : raw(other.raw), versionMajor(other.versionMajor), versionMinor(other.versionMinor),
      status(other.status), reason(other.reason), headers(other.headers), framing(other.framing),
      contentLength(other.contentLength), keepAlive(other.keepAlive) {
  reason = rebaseView(reason, other.raw.data(), other.raw.size(), raw.data());
}

ResponseHead& ResponseHead::operator=(const ResponseHead& other) {
  if (this != &other) {
    ResponseHead copy(other);
    *this = std::move(copy);
  }
  return *this;
}

ResponseHead::ResponseHead(ResponseHead&& other) noexcept
    : raw(), versionMajor(other.versionMajor), versionMinor(other.versionMinor),
      status(other.status), reason(other.reason), headers(std::move(other.headers)),
      framing(other.framing), contentLength(other.contentLength), keepAlive(other.keepAlive) {
  const char* oldBase = other.raw.data();
  size_t length = other.raw.size();
  raw = std::move(other.raw);
  reason = rebaseView(reason, oldBase, length, raw.data());
  headers.rebase(oldBase, length, raw.data());
}

ResponseHead& ResponseHead::operator=(ResponseHead&& other) noexcept {
  if (this != &other) {
    const char* oldBase = other.raw.data();
    size_t length = other.raw.size();
    raw = std::move(other.raw);
    versionMajor = other.versionMajor;
    versionMinor = other.versionMinor;
    status = other.status;
    reason = rebaseView(other.reason, oldBase, length, raw.data());
    headers = std::move(other.headers);
    headers.rebase(oldBase, length, raw.data());
    framing = other.framing;
    contentLength = other.contentLength;
    keepAlive = other.keepAlive;
  }
  return *this;
}

void ResponseHead::clear() {
  raw.clear();
  versionMajor = 1;
  versionMinor = 1;
  status = 0;
  reason = {};
  headers.clear();
  framing = Framing::None;
  contentLength = 0;
  keepAlive = true;
}

ResponseParser::ResponseParser(size_t maxHead) : maxHead_(maxHead) {}

void ResponseParser::reset() {
  phase_ = Phase::Leading;
  headStart_ = 0;
  consumed_ = 0;
  major_ = minor_ = 1;
  status_ = 0;
  reasonBegin_ = reasonLen_ = 0;
  fields_.clear();
  scanner_.reset();
  error_ = ParseError{};
}

ParseState ResponseParser::fail(std::string reason) {
  phase_ = Phase::Failed;
  error_.status = 502;
  error_.reason = std::move(reason);
  return ParseState::Error;
}

ParseState ResponseParser::parse(std::string_view buf, std::string_view requestMethod,
                                 ResponseHead& out) {
  if (phase_ == Phase::Failed) {
    return ParseState::Error;
  }
  if (phase_ == Phase::Done) {
    return ParseState::Complete;
  }
  if (buf.size() < scanner_.scanned()) {
    reset();
  }
  if (phase_ == Phase::Leading) {
    // Tolerate empty lines before the status line (some servers send a stray CRLF after a body);
    // they are consumed with the head but not part of `raw`.
    size_t i = headStart_;
    while (i + 1 < buf.size() && buf[i] == '\r' && buf[i + 1] == '\n') {
      i += 2;
    }
    headStart_ = i;
    if (i >= buf.size() || (buf[i] == '\r' && i + 1 >= buf.size())) {
      if (buf.size() >= maxHead_) {
        return fail("response header section too large");
      }
      return ParseState::NeedMore;
    }
    phase_ = Phase::StatusLine;
    scanner_.startAt(i);
  }
  size_t begin = 0;
  size_t end = 0;
  for (;;) {
    switch (scanner_.next(buf, begin, end)) {
    case LineScanner::Outcome::BareCr:
      return fail("bare CR in the response head");
    case LineScanner::Outcome::BareLf:
      return fail("bare LF in the response head");
    case LineScanner::Outcome::NeedMore:
      if (phase_ == Phase::Fields && scanner_.lineStart() < buf.size() &&
          isOws(static_cast<unsigned char>(buf[scanner_.lineStart()]))) {
        return fail(fields_.empty() ? "whitespace before the first header field"
                                    : "obsolete line folding in a header field");
      }
      if (buf.size() >= maxHead_) {
        return fail("response header section too large");
      }
      return ParseState::NeedMore;
    case LineScanner::Outcome::Line:
      break;
    }
    if (end + 2 > maxHead_) {
      return fail("response header section too large");
    }
    std::string_view line = buf.substr(begin, end - begin);
    if (phase_ == Phase::StatusLine) {
      if (!parseStatusLine(line)) {
        return ParseState::Error;
      }
      reasonBegin_ += begin;
      phase_ = Phase::Fields;
      fields_.clear();
      continue;
    }
    if (line.empty()) {
      return finish(buf, end + 2, requestMethod, out);
    }
    if (!parseFieldLine(line, begin)) {
      return ParseState::Error;
    }
  }
}

bool ResponseParser::parseStatusLine(std::string_view line) {
  // HTTP-version SP 3DIGIT SP reason-phrase; a missing SP after the code is tolerated (common).
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/" ||
      !isDigit(static_cast<unsigned char>(line[5])) || line[6] != '.' ||
      !isDigit(static_cast<unsigned char>(line[7])) || line[8] != ' ') {
    fail("malformed status line");
    return false;
  }
  major_ = line[5] - '0';
  minor_ = line[7] - '0';
  if (major_ != 1) {
    fail("unsupported HTTP version in the status line");
    return false;
  }
  for (size_t k = 9; k < 12; ++k) {
    if (!isDigit(static_cast<unsigned char>(line[k]))) {
      fail("malformed status code");
      return false;
    }
  }
  status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (status_ < 100 || status_ > 599) {
    fail("status code out of range");
    return false;
  }
  reasonBegin_ = 12;
  reasonLen_ = 0;
  if (line.size() > 12) {
    if (line[12] != ' ') {
      fail("malformed status line");
      return false;
    }
    for (size_t k = 13; k < line.size(); ++k) {
      if (!isFieldValueChar(static_cast<unsigned char>(line[k]))) {
        fail("invalid character in the reason phrase");
        return false;
      }
    }
    reasonBegin_ = 13;
    reasonLen_ = line.size() - 13;
  }
  return true;
}

bool ResponseParser::parseFieldLine(std::string_view line, size_t lineBegin) {
  if (isOws(static_cast<unsigned char>(line.front()))) {
    fail(fields_.empty() ? "whitespace before the first header field"
                         : "obsolete line folding in a header field");
    return false;
  }
  size_t i = 0;
  while (i < line.size() && isTchar(static_cast<unsigned char>(line[i]))) {
    ++i;
  }
  if (i == 0 || i == line.size() || line[i] != ':') {
    fail("invalid header field name");
    return false;
  }
  size_t valueBegin = i + 1;
  size_t valueEnd = line.size();
  if (!allFieldValueChars(line.data() + valueBegin, valueEnd - valueBegin)) {
    fail("invalid character in a header field value");
    return false;
  }
  while (valueBegin < valueEnd && isOws(static_cast<unsigned char>(line[valueBegin]))) {
    ++valueBegin;
  }
  while (valueEnd > valueBegin && isOws(static_cast<unsigned char>(line[valueEnd - 1]))) {
    --valueEnd;
  }
  if (fields_.capacity() == 0)
    fields_.reserve(16); // one allocation for a typical head
  fields_.push_back(FieldOffsets{lineBegin, i, lineBegin + valueBegin, valueEnd - valueBegin});
  return true;
}

ParseState ResponseParser::finish(std::string_view buf, size_t headEnd, std::string_view method,
                                  ResponseHead& out) {
  consumed_ = headEnd;
  phase_ = Phase::Done;
  out.raw.assign(buf.data() + headStart_, headEnd - headStart_);
  const char* base = out.raw.data() - headStart_; // offsets in buf map to base + offset
  out.versionMajor = major_;
  out.versionMinor = minor_;
  out.status = status_;
  out.reason = std::string_view(base + reasonBegin_, reasonLen_);
  out.headers.clear();
  out.headers.reserve(fields_.size());
  for (const FieldOffsets& f : fields_) {
    out.headers.addView(std::string_view(base + f.nameBegin, f.nameLen),
                        std::string_view(base + f.valueBegin, f.valueLen));
  }
  out.framing = Framing::None;
  out.contentLength = 0;
  if (!analyzeFraming(method, out)) {
    return ParseState::Error;
  }
  bool close = out.headers.hasToken("connection", "close");
  out.keepAlive =
      minor_ >= 1 ? !close : (!close && out.headers.hasToken("connection", "keep-alive"));
  if (out.framing == Framing::UntilClose) {
    out.keepAlive = false;
  }
  return ParseState::Complete;
}

bool ResponseParser::analyzeFraming(std::string_view method, ResponseHead& out) {
  const HeaderMap& h = out.headers;
  size_t te = h.count("transfer-encoding");
  size_t cl = h.count("content-length");
  if (te > 0 && cl > 0) {
    fail("both Transfer-Encoding and Content-Length in the response");
    return false;
  }
  if (te > 0 && minor_ == 0) {
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
    fail("Transfer-Encoding in an HTTP/1.0 response");
    return false;
  }
  // Validate what is present even when the status says "no body": a broken field is a broken
  // server.
  bool chunkedLast = false;
  if (te > 0) {
    size_t chunked = 0;
    for (const HeaderField& f : h.fields()) {
      if (!iequals(f.name, "transfer-encoding")) {
        continue;
      }
      size_t start = 0;
      for (;;) {
        size_t comma = f.value.find(',', start);
        std::string_view element = trimOws(f.value.substr(start, comma - start));
        std::string_view name = trimOws(element.substr(0, element.find(';')));
        if (!isToken(name)) {
          fail("empty or invalid transfer-coding in the response");
          return false;
        }
        chunkedLast = iequals(name, "chunked");
        chunked += chunkedLast ? 1 : 0;
        if (comma == std::string_view::npos) {
          break;
        }
        start = comma + 1;
      }
    }
    if (chunked > 1) {
      fail("chunked applied more than once in the response");
      return false;
    }
  }
  std::optional<int64_t> length;
  if (cl > 0) {
    for (const HeaderField& f : h.fields()) {
      if (!iequals(f.name, "content-length")) {
        continue;
      }
      size_t start = 0;
      for (;;) {
        size_t comma = f.value.find(',', start);
        std::optional<int64_t> v = parseDecimal(trimOws(f.value.substr(start, comma - start)));
        if (!v) {
          fail("invalid Content-Length in the response");
          return false;
        }
        if (length && *length != *v) {
          fail("conflicting Content-Length values in the response");
          return false;
        }
        length = v;
        if (comma == std::string_view::npos) {
          break;
        }
        start = comma + 1;
      }
    }
  }
  int status = out.status;
  if (method == "HEAD" || (status >= 100 && status < 200) || status == 204 || status == 304 ||
      (method == "CONNECT" && status >= 200 && status < 300)) {
    out.framing = Framing::None;
    if (length) {
      out.contentLength = static_cast<uint64_t>(*length); // informational only
    }
    return true;
  }
  if (te > 0) {
    out.framing = chunkedLast ? Framing::Chunked : Framing::UntilClose;
    return true;
  }
  if (length) {
    out.framing = Framing::ContentLength;
    out.contentLength = static_cast<uint64_t>(*length);
    return true;
  }
  out.framing = Framing::UntilClose;
  return true;
}

} // namespace exaproxy::http
