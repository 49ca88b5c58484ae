#include "http/request_parser.h"

#include <algorithm>
#include <charconv>
#include <functional>

#include "http/syntax.h"

namespace exaproxy::http {

namespace {

bool pointsInto(std::string_view v, const char* base, size_t length) {
  return v.data() != nullptr && std::less_equal<const char*>()(base, v.data()) &&
         std::less_equal<const char*>()(v.data() + v.size(), base + length);
}

std::string_view rebaseView(std::string_view v, const char* oldBase, size_t length,
                            const char* newBase) {
  if (oldBase == newBase || !pointsInto(v, oldBase, length)) {
    return v;
  }
  return std::string_view(newBase + (v.data() - oldBase), v.size());
}

bool isAlpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool containsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) {
    return false;
  }
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle)) {
      return true;
    }
  }
  return false;
}

bool isKnownCoding(std::string_view name) {
  for (std::string_view known : {"gzip", "x-gzip", "deflate", "compress", "x-compress"}) {
    if (iequals(name, known)) {
      return true;
    }
  }
  return false;
}

} // namespace

// ---------------------------------------------------------------------------------------------------
// RequestHead

RequestHead::RequestHead(const RequestHead& other)
    : raw(other.raw), method(other.method), target(other.target), versionMajor(other.versionMajor),
      versionMinor(other.versionMinor), headers(other.headers), form(other.form),
      scheme(other.scheme), host(other.host), port(other.port), explicitPort(other.explicitPort),
      pathAndQuery(other.pathAndQuery), framing(other.framing), contentLength(other.contentLength),
      keepAlive(other.keepAlive), expectContinue(other.expectContinue),
      maxForwards(other.maxForwards), upgradeWebsocket(other.upgradeWebsocket) {
  // HeaderMap's copy owns its fields already; only the request-line views still point at other.raw.
  method = rebaseView(method, other.raw.data(), other.raw.size(), raw.data());
  target = rebaseView(target, other.raw.data(), other.raw.size(), raw.data());
}

RequestHead& RequestHead::operator=(const RequestHead& other) {
  if (this != &other) {
    RequestHead copy(other);
    *this = std::move(copy);
  }
  return *this;
}

RequestHead::RequestHead(RequestHead&& other) noexcept
    : raw(), method(other.method), target(other.target), versionMajor(other.versionMajor),
      versionMinor(other.versionMinor), headers(std::move(other.headers)), form(other.form),
      scheme(std::move(other.scheme)), host(std::move(other.host)), port(other.port),
      explicitPort(other.explicitPort), pathAndQuery(std::move(other.pathAndQuery)),
      framing(other.framing), contentLength(other.contentLength), keepAlive(other.keepAlive),
      expectContinue(other.expectContinue), maxForwards(other.maxForwards),
      upgradeWebsocket(other.upgradeWebsocket) {
  const char* oldBase = other.raw.data();
  size_t length = other.raw.size();
  raw = std::move(other.raw);
  // A short string lives inside the object (SSO) and changes address when moved.
  method = rebaseView(method, oldBase, length, raw.data());
  target = rebaseView(target, oldBase, length, raw.data());
  headers.rebase(oldBase, length, raw.data());
}

RequestHead& RequestHead::operator=(RequestHead&& other) noexcept {
  if (this != &other) {
    const char* oldBase = other.raw.data();
    size_t length = other.raw.size();
    raw = std::move(other.raw);
    method = rebaseView(other.method, oldBase, length, raw.data());
    target = rebaseView(other.target, oldBase, length, raw.data());
    versionMajor = other.versionMajor;
    versionMinor = other.versionMinor;
    headers = std::move(other.headers);
    headers.rebase(oldBase, length, raw.data());
    form = other.form;
    scheme = std::move(other.scheme);
    host = std::move(other.host);
    port = other.port;
    explicitPort = other.explicitPort;
    pathAndQuery = std::move(other.pathAndQuery);
    framing = other.framing;
    contentLength = other.contentLength;
    keepAlive = other.keepAlive;
    expectContinue = other.expectContinue;
    maxForwards = other.maxForwards;
    upgradeWebsocket = other.upgradeWebsocket;
  }
  return *this;
}

bool RequestHead::isConnect() const { return method == "CONNECT"; }

bool RequestHead::isHead() const { return method == "HEAD"; }

void RequestHead::appendHostPort(std::string& out, bool omitDefault) const {
  bool v6 = host.find(':') != std::string::npos;
  if (v6) {
    out += '[';
  }
  out += host;
  if (v6) {
    out += ']';
  }
  if (port != 0 && (!omitDefault || port != 80)) {
    char digits[8];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, port);
    (void)ec; // a uint16_t always fits
    out += ':';
    out.append(digits, end);
  }
}

std::string RequestHead::hostPort(bool omitDefault) const {
  std::string out;
  appendHostPort(out, omitDefault);
  return out;
}

void RequestHead::appendUrl(std::string& out) const {
  if (isConnect()) {
    appendHostPort(out, false);
    return;
  }
  out += "http://";
  appendHostPort(out, true);
  if (form != TargetForm::Asterisk) {
    out += pathAndQuery;
  }
}

std::string RequestHead::url() const {
  std::string out;
  appendUrl(out);
  return out;
}

void RequestHead::clear() {
  raw.clear();
  method = {};
  target = {};
  versionMajor = 1;
  versionMinor = 1;
  headers.clear();
  form = TargetForm::Origin;
  scheme.clear();
  host.clear();
  port = 0;
  explicitPort = false;
  pathAndQuery.clear();
  framing = Framing::None;
  contentLength = 0;
  keepAlive = true;
  expectContinue = false;
  maxForwards.reset();
  upgradeWebsocket = false;
}

// ---------------------------------------------------------------------------------------------------
// RequestParser

RequestParser::RequestParser(Limits limits) : limits_(limits) {}

void RequestParser::reset() {
  phase_ = Phase::Leading;
  headStart_ = 0;
  consumed_ = 0;
  methodBegin_ = methodLen_ = targetBegin_ = targetLen_ = 0;
  major_ = minor_ = 1;
  firstSpace_ = std::string_view::npos;
  spaceScan_ = 0;
  badMethod_ = false;
  fields_.clear();
  scanner_.reset();
  error_ = ParseError{};
}

ParseState RequestParser::fail(int status, std::string reason) {
  phase_ = Phase::Failed;
  error_.status = status;
  error_.reason = std::move(reason);
  return ParseState::Error;
}

ParseState RequestParser::parse(std::string_view buf, RequestHead& out) {
  if (phase_ == Phase::Failed) {
    return ParseState::Error;
  }
  if (phase_ == Phase::Done) {
    return ParseState::Complete;
  }
  if (buf.size() < scanner_.scanned() || buf.size() < headStart_) {
    // The caller dropped bytes it had not been told to drop: start over rather than read stale
    // offsets.
    reset();
  }
  const size_t n = buf.size();
  if (phase_ == Phase::Leading) {
    // RFC 9112 §2.2: empty lines before the request line are ignored (they count toward maxHead).
    size_t i = headStart_;
    while (i < n) {
      if (buf[i] == '\r') {
        if (i + 1 >= n) {
          break;
        }
        if (buf[i + 1] != '\n') {
          return fail(400, "bare CR before the request line");
        }
        i += 2;
        continue;
      }
      if (buf[i] == '\n') {
        return fail(400, "bare LF before the request line");
      }
      headStart_ = i;
      phase_ = Phase::RequestLine;
      scanner_.startAt(i);
      spaceScan_ = i;
      break;
    }
    if (phase_ == Phase::Leading) {
      headStart_ = i;
      if (n >= limits_.maxHead) {
        return fail(431, "request header section too large");
      }
      return ParseState::NeedMore;
    }
  }

  size_t begin = 0;
  size_t end = 0;
  for (;;) {
    switch (scanner_.next(buf, begin, end)) {
    case LineScanner::Outcome::BareCr:
      return fail(400, "bare CR in the request head");
    case LineScanner::Outcome::BareLf:
      return fail(400, "bare LF in the request head");
    case LineScanner::Outcome::NeedMore:
      if (phase_ == Phase::RequestLine && tooLongMethod(buf)) {
        return fail(400, "request method too long");
      }
      if (phase_ == Phase::RequestLine && tooLongTarget(buf)) {
        return fail(414, "request target too long");
      }
      // A field line starting with whitespace is refused whatever follows: no need to wait for its
      // end.
      if (phase_ == Phase::Fields && scanner_.lineStart() < n &&
          isOws(static_cast<unsigned char>(buf[scanner_.lineStart()]))) {
        return fail(400, fields_.empty() ? "whitespace before the first header field"
                                         : "obsolete line folding in a header field");
      }
      if (n >= limits_.maxHead) {
        return fail(431, "request header section too large");
      }
      return ParseState::NeedMore;
    case LineScanner::Outcome::Line:
      break;
    }
    std::string_view line = buf.substr(begin, end - begin);
    if (phase_ == Phase::RequestLine) {
      if (!parseRequestLine(line, begin)) {
        return ParseState::Error;
      }
      if (end + 2 > limits_.maxHead) {
        return fail(431, "request header section too large");
      }
      phase_ = Phase::Fields;
      fields_.clear();
      continue;
    }
    if (end + 2 > limits_.maxHead) {
      return fail(431, "request header section too large");
    }
    if (line.empty()) {
      return finish(buf, end + 2, out);
    }
    if (!parseFieldLine(line, begin)) {
      return ParseState::Error;
    }
  }
}

bool RequestParser::tooLongMethod(std::string_view buf) const {
  if (firstSpace_ != std::string_view::npos || badMethod_) {
    return false;
  }
  size_t sp = buf.find(' ', headStart_);
  size_t methodEnd = sp == std::string_view::npos ? buf.size() : sp;
  return methodEnd - headStart_ > kMaxMethod;
}

bool RequestParser::tooLongTarget(std::string_view buf) {
  if (badMethod_) {
    return false;
  }
  if (firstSpace_ == std::string_view::npos) {
    size_t sp = buf.find(' ', spaceScan_);
    if (sp == std::string_view::npos) {
      spaceScan_ = buf.size();
      return false;
    }
    // Garbage is a 400 once its line ends, not a 414: only a well-formed method starts a target.
    for (size_t k = headStart_; k < sp; ++k) {
      if (!isTchar(static_cast<unsigned char>(buf[k]))) {
        badMethod_ = true;
        return false;
      }
    }
    firstSpace_ = sp;
    spaceScan_ = sp + 1;
  }
  size_t sp = buf.find(' ', spaceScan_);
  size_t targetEnd = sp == std::string_view::npos ? buf.size() : sp;
  if (sp == std::string_view::npos) {
    spaceScan_ = buf.size();
  }
  return targetEnd - (firstSpace_ + 1) > limits_.maxUri;
}

bool RequestParser::parseRequestLine(std::string_view line, size_t lineBegin) {
  size_t i = 0;
  while (i < line.size() && isTchar(static_cast<unsigned char>(line[i]))) {
    ++i;
  }
  if (i == 0 || i == line.size() || line[i] != ' ') {
    fail(400, i == line.size() ? "request line without target" : "invalid method or request line");
    return false;
  }
  if (i > kMaxMethod) {
    fail(400, "request method too long");
    return false;
  }
  methodBegin_ = lineBegin;
  methodLen_ = i;
  size_t targetBegin = i + 1;
  size_t sp = line.find(' ', targetBegin);
  size_t targetLen = (sp == std::string_view::npos ? line.size() : sp) - targetBegin;
  if (targetLen > limits_.maxUri) {
    fail(414, "request target too long");
    return false;
  }
  if (sp == std::string_view::npos) {
    fail(400, "request line without HTTP version (HTTP/0.9 is not supported)");
    return false;
  }
  if (targetLen == 0) {
    fail(400, "empty request target or repeated space in the request line");
    return false;
  }
  for (size_t k = targetBegin; k < sp; ++k) {
    unsigned char c = static_cast<unsigned char>(line[k]);
    if (c < 0x21 || c > 0x7e) {
      fail(400, "invalid character in the request target");
      return false;
    }
  }
  targetBegin_ = lineBegin + targetBegin;
  targetLen_ = targetLen;
  std::string_view version = line.substr(sp + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" ||
      !isDigit(static_cast<unsigned char>(version[5])) || version[6] != '.' ||
      !isDigit(static_cast<unsigned char>(version[7]))) {
    fail(400, "malformed HTTP version");
    return false;
  }
  major_ = version[5] - '0';
  minor_ = version[7] - '0';
  if (major_ != 1) {
    fail(505, "unsupported HTTP version");
    return false;
  }
  // A later 1.x minor is served as HTTP/1.1, the highest we implement (RFC 9110 §2.5).
  minor_ = std::min(minor_, 1);
  return true;
}

bool RequestParser::parseFieldLine(std::string_view line, size_t lineBegin) {
  if (isOws(static_cast<unsigned char>(line.front()))) {
    fail(400, fields_.empty() ? "whitespace before the first header field"
                              : "obsolete line folding in a header field");
    return false;
  }
  size_t i = 0;
  while (i < line.size() && isTchar(static_cast<unsigned char>(line[i]))) {
    ++i;
  }
  if (i == line.size() || line[i] != ':') {
    fail(400, "invalid character in a header field name");
    return false;
  }
  if (i == 0) {
    fail(400, "empty header field name");
    return false;
  }
  size_t valueBegin = i + 1;
  size_t valueEnd = line.size();
  if (!allFieldValueChars(line.data() + valueBegin, valueEnd - valueBegin)) {
    fail(400, "invalid character in a header field value");
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

ParseState RequestParser::finish(std::string_view buf, size_t headEnd, RequestHead& out) {
  consumed_ = headEnd;
  phase_ = Phase::Done;
  out.raw.assign(buf.data() + headStart_, headEnd - headStart_);
  const char* base = out.raw.data() - headStart_; // offsets in buf map to base + offset
  out.method = std::string_view(base + methodBegin_, methodLen_);
  out.target = std::string_view(base + targetBegin_, targetLen_);
  out.versionMajor = major_;
  out.versionMinor = minor_;
  out.headers.clear();
  out.headers.reserve(fields_.size());
  for (const FieldOffsets& f : fields_) {
    out.headers.addView(std::string_view(base + f.nameBegin, f.nameLen),
                        std::string_view(base + f.valueBegin, f.valueLen));
  }
  out.form = TargetForm::Origin;
  out.scheme.clear();
  out.host.clear();
  out.port = 0;
  out.explicitPort = false;
  out.pathAndQuery.clear();
  out.framing = Framing::None;
  out.contentLength = 0;
  out.keepAlive = true;
  out.expectContinue = false;
  out.maxForwards.reset();
  out.upgradeWebsocket = false;
  return analyze(out) ? ParseState::Complete : ParseState::Error;
}

bool RequestParser::analyze(RequestHead& out) {
  if (!analyzeTarget(out) || !unambiguousHost(out) || !analyzeFraming(out)) {
    return false;
  }
  const HeaderMap& h = out.headers;
  bool http11 = out.versionMinor == 1;
  bool sawContinue = false;
  for (const HeaderField& f : h.fields()) {
    if (!iequals(f.name, "expect")) {
      continue;
    }
    if (!iequals(f.value, "100-continue")) {
      fail(417, "unsupported expectation");
      return false;
    }
    sawContinue = true;
  }
  // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
  out.expectContinue = sawContinue && http11;
  bool close = h.hasToken("connection", "close");
  out.keepAlive = http11 ? !close : (!close && h.hasToken("connection", "keep-alive"));
  // RFC 9110 §7.8: Upgrade is ignored in HTTP/1.0.
  out.upgradeWebsocket =
      http11 && h.hasToken("connection", "upgrade") && h.hasToken("upgrade", "websocket");
  if (auto mf = h.get("max-forwards")) {
    if (auto v = parseDecimal(*mf)) {
      out.maxForwards = *v;
    }
  }
  return true;
}

bool RequestParser::unambiguousHost(const RequestHead& out) {
  // A filter and the browser must agree on the host a URL names: octal, hex and short IPv4 forms
  // are read differently by each, so they are refused (for the Host header too).
  if (ambiguousIpv4(out.host)) {
    fail(400, "ambiguous IPv4 address in the host (octal, hex or short form): use a.b.c.d");
    return false;
  }
  return true;
}

bool RequestParser::analyzeTarget(RequestHead& out) {
  const HeaderMap& h = out.headers;
  size_t hosts = h.count("host");
  if (hosts > 1) {
    fail(400, "more than one Host header field");
    return false;
  }
  if (hosts == 0 && out.versionMinor == 1) {
    fail(400, "HTTP/1.1 request without Host");
    return false;
  }
  Authority fromHost;
  if (hosts == 1) {
    std::string_view value = *h.get("host");
    // An empty Host is valid (a target without authority); anything else must be uri-host [":"
    // port].
    if (!value.empty() && !parseAuthority(value, false, fromHost)) {
      fail(400, "invalid Host header field");
      return false;
    }
  }
  auto useHostHeader = [&] {
    out.host = std::move(fromHost.host);
    out.explicitPort = fromHost.explicitPort;
    out.port = fromHost.explicitPort ? fromHost.port : (out.host.empty() ? 0 : 80);
  };

  std::string_view t = out.target;
  bool connect = out.isConnect();
  if (t == "*") {
    if (out.method != "OPTIONS") {
      fail(400, "asterisk-form target is only allowed with OPTIONS");
      return false;
    }
    out.form = TargetForm::Asterisk;
    out.pathAndQuery = "*";
    useHostHeader();
    return true;
  }
  if (t.front() == '/') {
    if (connect) {
      fail(400, "CONNECT requires an authority-form target");
      return false;
    }
    if (t.find('#') != std::string_view::npos) {
      fail(400, "fragment in the request target");
      return false;
    }
    out.form = TargetForm::Origin;
    out.pathAndQuery.assign(t);
    useHostHeader();
    return true;
  }

  size_t colon = t.find(':');
  bool hasScheme = colon != std::string_view::npos && colon > 0 &&
                   isAlpha(static_cast<unsigned char>(t.front())) &&
                   t.substr(colon + 1).starts_with("//");
  for (size_t k = 1; hasScheme && k < colon; ++k) {
    unsigned char c = static_cast<unsigned char>(t[k]);
    hasScheme = isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.';
  }

  if (connect) {
    if (hasScheme) {
      fail(400, "CONNECT requires an authority-form target");
      return false;
    }
    if (t.find('@') != std::string_view::npos) {
      fail(400, "userinfo in the CONNECT target");
      return false;
    }
    Authority a;
    if (!parseAuthority(t, true, a)) {
      fail(400, "invalid CONNECT target (host:port required)");
      return false;
    }
    out.form = TargetForm::Authority;
    out.host = std::move(a.host);
    out.port = a.port;
    out.explicitPort = true;
    return true;
  }
  if (!hasScheme) {
    fail(400, "invalid request target");
    return false;
  }
  if (!iequals(t.substr(0, colon), "http")) {
    fail(501, "unsupported URI scheme");
    return false;
  }
  std::string_view rest = t.substr(colon + 3);
  // (A loop rather than find_first_of, which calls memchr on the set for every byte.)
  size_t authEnd = 0;
  while (authEnd < rest.size() && rest[authEnd] != '/' && rest[authEnd] != '?' &&
         rest[authEnd] != '#') {
    ++authEnd;
  }
  if (authEnd == rest.size()) {
    authEnd = std::string_view::npos;
  }
  std::string_view authority = rest.substr(0, authEnd);
  std::string_view pathQuery =
      authEnd == std::string_view::npos ? std::string_view() : rest.substr(authEnd);
  if (authority.find('@') != std::string_view::npos) {
    fail(400, "userinfo in the request URI");
    return false;
  }
  Authority a;
  if (!parseAuthority(authority, false, a)) {
    fail(400, "invalid host in the request URI");
    return false;
  }
  if (pathQuery.find('#') != std::string_view::npos) {
    fail(400, "fragment in the request target");
    return false;
  }
  out.form = TargetForm::Absolute;
  out.scheme = "http";
  out.host = std::move(a.host);
  out.explicitPort = a.explicitPort;
  out.port = a.explicitPort ? a.port : 80;
  if (pathQuery.empty() || pathQuery.front() != '/') {
    out.pathAndQuery = "/";
  }
  out.pathAndQuery.append(pathQuery);
  return true;
}

bool RequestParser::analyzeFraming(RequestHead& out) {
  const HeaderMap& h = out.headers;
  size_t te = h.count("transfer-encoding");
  size_t cl = h.count("content-length");
  if (te > 0 && cl > 0) {
    fail(400, "both Transfer-Encoding and Content-Length");
    return false;
  }
  if (te > 0) {
    if (out.versionMinor == 0) {
      fail(400, "Transfer-Encoding in an HTTP/1.0 request");
      return false;
    }
    if (out.isConnect()) {
      fail(400, "CONNECT request with Transfer-Encoding");
      return false;
    }
    if (te > 1) {
      fail(400, "more than one Transfer-Encoding field");
      return false;
    }
    std::string_view value = *h.get("transfer-encoding");
    size_t elements = 0;
    size_t chunked = 0;
    size_t unknown = 0;
    std::string_view last;
    size_t start = 0;
    for (;;) {
      size_t comma = value.find(',', start);
      std::string_view element = trimOws(value.substr(start, comma - start));
      std::string_view name = element;
      bool params = false;
      if (size_t semi = element.find(';'); semi != std::string_view::npos) {
        name = trimOws(element.substr(0, semi));
        params = true;
      }
      if (!isToken(name)) {
        fail(400, "empty or invalid transfer-coding");
        return false;
      }
      ++elements;
      if (iequals(name, "chunked")) {
        if (params) {
          fail(400, "chunked transfer-coding with parameters");
          return false;
        }
        ++chunked;
      } else if (containsIgnoreCase(name, "chunked")) {
        // Look-alikes such as "xchunked" are smuggling probes, not codings someone implements.
        fail(400, "malformed chunked transfer-coding");
        return false;
      } else if (!isKnownCoding(name)) {
        ++unknown;
      }
      last = name;
      if (comma == std::string_view::npos) {
        break;
      }
      start = comma + 1;
    }
    if (chunked > 1) {
      fail(400, "chunked transfer-coding applied more than once");
      return false;
    }
    if (unknown > 0) {
      fail(501, "unknown transfer-coding");
      return false;
    }
    if (!iequals(last, "chunked")) {
      fail(400, "final transfer-coding is not chunked");
      return false;
    }
    if (elements > 1) {
      fail(501, "unsupported transfer-coding");
      return false;
    }
    out.framing = Framing::Chunked;
    return true;
  }
  if (cl > 0) {
    if (cl > 1) {
      fail(400, "more than one Content-Length field");
      return false;
    }
    std::optional<int64_t> length = parseDecimal(*h.get("content-length"));
    if (!length) {
      fail(400, "invalid Content-Length");
      return false;
    }
    if (out.isConnect()) {
      if (*length > 0) {
        fail(400, "CONNECT request with content");
        return false;
      }
      return true;
    }
    out.framing = Framing::ContentLength;
    out.contentLength = static_cast<uint64_t>(*length);
  }
  return true;
}

} // namespace exaproxy::http
