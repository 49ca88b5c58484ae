#include "icap_http.h"

#include <exaproxy/text.hpp>

namespace exaproxy::icap {

const std::string* HttpHead::field(std::string_view name) const {
  for (const auto& f : fields)
    if (sdk::equalsIgnoreCase(f.name, name))
      return &f.value;
  return nullptr;
}

std::string encapsulatedRequestHead(std::string_view method, std::string_view url,
                                    const std::vector<HeaderField>& fields) {
  std::string out = sdk::concat(method, " ", url, " HTTP/1.1\r\n");
  for (const auto& f : fields)
    out += sdk::concat(f.name, ": ", f.value, "\r\n");
  out += "\r\n";
  return out;
}

std::string encapsulatedResponseHead(int status, const std::vector<HeaderField>& fields) {
  // The origin's reason phrase is not kept by the host: the usual one stands in (RFC 9110 §15).
  std::string_view reason = "Status";
  for (auto [code, text] : {std::pair<int, std::string_view>{200, "OK"},
                            {201, "Created"},
                            {203, "Non-Authoritative Information"},
                            {206, "Partial Content"},
                            {301, "Moved Permanently"},
                            {302, "Found"},
                            {303, "See Other"},
                            {307, "Temporary Redirect"},
                            {308, "Permanent Redirect"},
                            {400, "Bad Request"},
                            {401, "Unauthorized"},
                            {403, "Forbidden"},
                            {404, "Not Found"},
                            {500, "Internal Server Error"},
                            {502, "Bad Gateway"},
                            {503, "Service Unavailable"}})
    if (code == status)
      reason = text;
  std::string out = sdk::concat("HTTP/1.1 ", std::to_string(status), " ", reason, "\r\n");
  for (const auto& f : fields)
    out += sdk::concat(f.name, ": ", f.value, "\r\n");
  out += "\r\n";
  return out;
}

namespace {

Result<HttpHead> fail(std::string why) { return Result<HttpHead>::failure(std::move(why)); }

bool startLine(std::string_view line, bool response, HttpHead& h, std::string& why) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) {
    why = "the first line has no space";
    return false;
  }
  std::string_view first = line.substr(0, sp1), rest = line.substr(sp1 + 1);
  size_t sp2 = rest.find(' ');
  std::string_view second = rest.substr(0, sp2);
  std::string_view third = sp2 == std::string_view::npos ? "" : rest.substr(sp2 + 1);
  if (response) {
    auto code = parseDecimal(second, 999);
    if (!first.starts_with("HTTP/1.") || !code || *code < 100 || second.size() != 3) {
      why = "not an HTTP status line";
      return false;
    }
    h.status = static_cast<int>(*code);
    h.reason = std::string(third);
    return true;
  }
  if (!isToken(first) || second.empty() || !third.starts_with("HTTP/1.")) {
    why = "not an HTTP request line";
    return false;
  }
  h.method = std::string(first);
  h.target = std::string(second);
  return true;
}

} // namespace

Result<HttpHead> parseHttpHead(std::string_view raw, bool response) {
  if (!raw.ends_with("\r\n\r\n"))
    return fail("the head does not end with an empty line");
  raw.remove_suffix(2);
  HttpHead h;
  bool first = true;
  while (!raw.empty()) {
    size_t end = raw.find("\r\n");
    std::string_view line = raw.substr(0, end);
    raw.remove_prefix(end + 2);
    for (char c : line)
      if (isForbiddenInValue(c) || c == '\r' || c == '\n')
        return fail("a control character in the head");
    if (first) {
      std::string why;
      if (!startLine(line, response, h, why))
        return fail(why);
      first = false;
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !isToken(line.substr(0, colon)))
      return fail("a header line that is not 'Name: value'");
    h.fields.push_back(
        {std::string(line.substr(0, colon)), std::string(sdk::trim(line.substr(colon + 1)))});
  }
  if (first)
    return fail("an empty head");
  return h;
}

} // namespace exaproxy::icap
