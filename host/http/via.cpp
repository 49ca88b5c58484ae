#include "http/via.h"

#include "http/syntax.h"

namespace exaproxy::http {

namespace {

std::string_view skipBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  return s;
}

// The received-by of one element: "1.1 name:port (comment)" -> "name".
std::string_view receivedBy(std::string_view element) {
  element = skipBlanks(element);
  auto sp = element.find_first_of(" \t");
  if (sp == std::string_view::npos)
    return {};
  auto by = skipBlanks(element.substr(sp + 1));
  by = by.substr(0, by.find_first_of(" \t"));
  auto colon = by.rfind(':');
  if (colon != std::string_view::npos && by.find(']') == std::string_view::npos)
    by = by.substr(0, colon);
  return by;
}

} // namespace

bool viaNames(const HeaderMap& headers, std::string_view pseudonym) {
  for (const auto& f : headers.fields()) {
    if (!iequals(f.name, "via"))
      continue;
    std::string_view v = f.value;
    while (!v.empty()) {
      auto comma = v.find(',');
      auto by = receivedBy(v.substr(0, comma));
      v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
      if (!by.empty() && iequals(by, pseudonym))
        return true;
    }
  }
  return false;
}

} // namespace exaproxy::http
