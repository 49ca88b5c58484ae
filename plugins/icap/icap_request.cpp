#include "icap_request.h"

#include <exaproxy/text.hpp>

#include <array>

namespace exaproxy::icap {
namespace {

Result<std::string> fail(std::string_view why) {
  return Result<std::string>::failure(sdk::concat("ICAP request: ", why));
}

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool isV6Char(char c) { return sdk::hexDigit(c) >= 0 || c == ':' || c == '.'; }

// The host as it goes in the URI and Host: a name or IPv4 address as is, an IPv6 literal in
// brackets. nullopt when it is neither.
std::optional<std::string> uriHost(std::string_view host) {
  std::string_view inner = host;
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed)
    inner = host.substr(1, host.size() - 2);
  if (inner.empty())
    return std::nullopt;
  bool v6 = inner.find(':') != std::string_view::npos;
  if (bracketed && !v6)
    return std::nullopt;
  for (char c : inner)
    if (v6 ? !isV6Char(c) : !isNameChar(c))
      return std::nullopt;
  return v6 ? sdk::concat("[", inner, "]") : std::string(inner);
}

bool validPath(std::string_view path) {
  if (path.empty() || path.front() != '/')
    return false;
  for (char c : path)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return false;
  return true;
}

constexpr std::array<std::string_view, 4> kBuilderFields{"Host", "Encapsulated", "Preview",
                                                         "Allow"};

// Checks the heads and the body against the method; empty on success.
std::string checkSections(const RequestSpec& spec) {
  switch (spec.method) {
  case Method::Reqmod:
    if (spec.reqHdr.empty())
      return "REQMOD needs the HTTP request head";
    if (!spec.resHdr.empty())
      return "REQMOD carries no HTTP response head";
    break;
  case Method::Respmod:
    if (spec.resHdr.empty())
      return "RESPMOD needs the HTTP response head";
    break;
  case Method::Options:
    if (!spec.reqHdr.empty() || !spec.resHdr.empty() || spec.body)
      return "OPTIONS carries no encapsulated message";
    break;
  }
  if (!spec.reqHdr.empty() && !isWholeHttpHead(spec.reqHdr))
    return "the HTTP request head must end with exactly one empty line (CR LF CR LF)";
  if (!spec.resHdr.empty() && !isWholeHttpHead(spec.resHdr))
    return "the HTTP response head must end with exactly one empty line (CR LF CR LF)";
  if (spec.preview && !spec.body)
    return "Preview without a body";
  return {};
}

// Checks one caller field; empty on success.
std::string checkField(const HeaderField& f) {
  if (!isToken(f.name))
    return sdk::concat("invalid field name '", shown(f.name), "'");
  for (std::string_view reserved : kBuilderFields)
    if (sdk::equalsIgnoreCase(f.name, reserved))
      return sdk::concat(reserved, " is written by the builder");
  for (char c : f.value)
    if (isForbiddenInValue(c))
      return sdk::concat("control character (CR, LF, NUL...) in the value of ", shown(f.name));
  return {};
}

} // namespace

std::string_view methodName(Method m) {
  switch (m) {
  case Method::Reqmod:
    return "REQMOD";
  case Method::Respmod:
    return "RESPMOD";
  case Method::Options:
    break;
  }
  return "OPTIONS";
}

Result<std::string> buildRequest(const RequestSpec& spec) {
  std::optional<std::string> host = uriHost(spec.service.host);
  if (!host)
    return fail(sdk::concat("invalid service host '", shown(spec.service.host), "'"));
  if (!validPath(spec.service.path))
    return fail(sdk::concat("invalid service path '", shown(spec.service.path), "'"));
  if (std::string why = checkSections(spec); !why.empty())
    return fail(why);
  for (const HeaderField& f : spec.extraFields)
    if (std::string why = checkField(f); !why.empty())
      return fail(why);

  std::optional<size_t> reqLen, resLen;
  if (!spec.reqHdr.empty())
    reqLen = spec.reqHdr.size();
  if (!spec.resHdr.empty())
    resLen = spec.resHdr.size();
  BodyKind body = !spec.body                      ? BodyKind::NullBody
                  : spec.method == Method::Reqmod ? BodyKind::ReqBody
                                                  : BodyKind::ResBody;
  std::string port = std::to_string(spec.service.port);

  std::string out = sdk::concat(methodName(spec.method), " icap://", *host, ":", port,
                                spec.service.path, " ICAP/1.0\r\nHost: ", *host);
  if (spec.service.port != kDefaultIcapPort)
    out += sdk::concat(":", port);
  out += "\r\n";
  if (spec.allow204 && spec.method != Method::Options)
    out += "Allow: 204\r\n";
  if (spec.preview)
    out += sdk::concat("Preview: ", std::to_string(*spec.preview), "\r\n");
  for (const HeaderField& f : spec.extraFields)
    out += sdk::concat(f.name, ": ", f.value, "\r\n");
  out += sdk::concat("Encapsulated: ", formatEncapsulated(encapsulatedFor(reqLen, resLen, body)),
                     "\r\n\r\n");
  out.append(spec.reqHdr);
  out.append(spec.resHdr);
  return out;
}

} // namespace exaproxy::icap
