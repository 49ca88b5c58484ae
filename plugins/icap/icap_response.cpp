#include "icap_response.h"

#include <exaproxy/text.hpp>

#include <algorithm>

namespace exaproxy::icap {

const std::string* findField(const std::vector<HeaderField>& fields, std::string_view name) {
  for (const HeaderField& f : fields)
    if (sdk::equalsIgnoreCase(f.name, name))
      return &f.value;
  return nullptr;
}

size_t countFields(const std::vector<HeaderField>& fields, std::string_view name) {
  size_t n = 0;
  for (const HeaderField& f : fields)
    n += sdk::equalsIgnoreCase(f.name, name) ? 1 : 0;
  return n;
}

namespace {

// "ICAP/1.0 <code> <reason>": the error, empty when the line is accepted.
std::string startLine(ResponseHead& head, std::string_view text) {
  static constexpr std::string_view kVersion = "ICAP/1.0 ";
  if (text.substr(0, kVersion.size()) != kVersion)
    return "status line does not start with \"ICAP/1.0 \"";
  std::string_view rest = text.substr(kVersion.size());
  int code = 0;
  for (size_t k = 0; k < 3; ++k) {
    if (k >= rest.size() || rest[k] < '0' || rest[k] > '9')
      return "status code is not three digits";
    code = code * 10 + (rest[k] - '0');
  }
  if (code < 100 || code > 599)
    return "status code " + std::to_string(code) + " out of 100..599";
  rest.remove_prefix(3);
  // "ICAP/1.0 204" without SP and reason is tolerated (the reason carries no meaning).
  if (!rest.empty() && rest.front() != ' ')
    return "status code is not three digits followed by a space";
  if (!rest.empty())
    rest.remove_prefix(1);
  for (char c : rest)
    if (isForbiddenInValue(c))
      return "control character in the reason phrase";
  head.status = code;
  head.reason = std::string(rest);
  return {};
}

// "<method> <uri> ICAP/1.0", single spaces: the error, empty when the line is accepted.
std::string startLine(RequestHead& head, std::string_view text) {
  size_t sp1 = text.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : text.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || text.find(' ', sp2 + 1) != std::string_view::npos)
    return "request line is not \"METHOD URI ICAP/1.0\"";
  std::string_view method = text.substr(0, sp1);
  std::string_view uri = text.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!isToken(method))
    return sdk::concat("invalid method '", shown(method), "'");
  if (uri.empty())
    return "empty ICAP URI";
  for (char c : uri)
    if (isForbiddenInValue(c) || c == '\t')
      return "control character in the ICAP URI";
  if (text.substr(sp2 + 1) != "ICAP/1.0")
    return "request line does not end with \"ICAP/1.0\"";
  head.method = std::string(method);
  head.uri = std::string(uri);
  return {};
}

} // namespace

template <typename Head> void HeadParser<Head>::fail(std::string why) {
  error_ = std::move(why);
  status_ = ParseStatus::Error;
}

template <typename Head> Progress HeadParser<Head>::feed(std::string_view in) {
  size_t i = 0;
  while (i < in.size() && status_ == ParseStatus::NeedMore) {
    size_t lf = in.find('\n', i);
    size_t end = lf == std::string_view::npos ? in.size() : lf;
    // The bytes this line may still take (its LF included) before the head is too large.
    size_t room = limits_.maxHeadBytes - std::min(limits_.maxHeadBytes, headBytes_ + line_.size());
    size_t wanted = end - i + (lf == std::string_view::npos ? 0 : 1);
    if (wanted > room) {
      i += room + 1; // consumed: up to and including the first byte over the limit
      fail("ICAP head larger than " + std::to_string(limits_.maxHeadBytes) + " bytes");
      break;
    }
    line_.append(in.substr(i, end - i));
    size_t lineBytes = line_.size() + (lf == std::string_view::npos ? 0 : 1);
    if (lf == std::string_view::npos) {
      i = in.size();
      break;
    }
    i = lf + 1;
    headBytes_ += lineBytes;
    if (line_.empty() || line_.back() != '\r') {
      fail("line ends in a bare LF (CR LF required)");
      break;
    }
    line_.pop_back();
    std::string text = std::move(line_);
    line_.clear();
    line(text);
  }
  return {status_, i};
}

template <typename Head> void HeadParser<Head>::line(std::string_view text) {
  if (text.find('\r') != std::string_view::npos)
    return fail("CR not followed by LF");
  if (text.find('\0') != std::string_view::npos)
    return fail("NUL in the ICAP head");
  if (!sawStartLine_) {
    sawStartLine_ = true;
    std::string why = startLine(head_, text);
    if (!why.empty())
      fail(std::move(why));
    return;
  }
  if (text.empty())
    return finish();
  fieldLine(text);
}

template <typename Head> void HeadParser<Head>::fieldLine(std::string_view text) {
  if (text.front() == ' ' || text.front() == '\t')
    return fail("folded header line (obs-fold) refused");
  size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return fail("header line without a colon");
  std::string_view name = text.substr(0, colon);
  if (!isToken(name))
    return fail(sdk::concat("invalid header name '", shown(name), "'"));
  std::string_view value = sdk::trim(text.substr(colon + 1));
  for (char c : value)
    if (isForbiddenInValue(c))
      return fail(sdk::concat("control character in the value of ", shown(name)));
  if (head_.fields.size() >= limits_.maxFields)
    return fail("more than " + std::to_string(limits_.maxFields) + " header fields");
  head_.fields.push_back({std::string(name), std::string(value)});
}

template <typename Head> void HeadParser<Head>::finish() {
  size_t n = head_.count("Encapsulated");
  if (n > 1)
    return fail("Encapsulated given more than once");
  if (n == 1) {
    Result<Encapsulated> e = parseEncapsulated(*head_.field("Encapsulated"));
    if (!e)
      return fail(e.error());
    head_.encapsulated = *e;
  }
  status_ = ParseStatus::Done;
}

template class HeadParser<ResponseHead>;
template class HeadParser<RequestHead>;

Result<EncapsulatedHeads> cutHeads(const Encapsulated& e, std::string_view after) {
  size_t end = e.bodyOffset();
  if (after.size() < end)
    return Result<EncapsulatedHeads>::failure("the encapsulated heads need " + std::to_string(end) +
                                              " bytes, " + std::to_string(after.size()) + " given");
  EncapsulatedHeads out;
  // A parsed or built Encapsulated is ordered; a hand-made one may not be.
  if ((e.reqHdr && *e.reqHdr > (e.resHdr ? *e.resHdr : end)) || (e.resHdr && *e.resHdr > end))
    return Result<EncapsulatedHeads>::failure("Encapsulated offsets out of order");
  if (e.reqHdr) {
    size_t to = e.resHdr ? *e.resHdr : end;
    out.reqHdr = after.substr(*e.reqHdr, to - *e.reqHdr);
    if (!isWholeHttpHead(out.reqHdr))
      return Result<EncapsulatedHeads>::failure(
          "req-hdr section does not end with exactly one empty line (wrong offsets?)");
  }
  if (e.resHdr) {
    out.resHdr = after.substr(*e.resHdr, end - *e.resHdr);
    if (!isWholeHttpHead(out.resHdr))
      return Result<EncapsulatedHeads>::failure(
          "res-hdr section does not end with exactly one empty line (wrong offsets?)");
  }
  return out;
}

} // namespace exaproxy::icap
