#include "helper_protocol.h"

#include "helper_channel.h"

#include <charconv>

namespace exaproxy::redirector {

const char* toString(Decision::Kind kind) {
  switch (kind) {
  case Decision::Kind::Continue:
    return "continue";
  case Decision::Kind::Rewrite:
    return "rewrite";
  case Decision::Kind::Route:
    return "route";
  case Decision::Kind::Redirect:
    return "redirect";
  case Decision::Kind::Respond:
    return "respond";
  case Decision::Kind::Deny:
    return "deny";
  case Decision::Kind::Broken:
    return "broken";
  case Decision::Kind::Error:
    return "error";
  }
  return "?";
}

FrameStatus HelperProtocol::extract(std::string& buffer, bool concurrent, RawReply& out) const {
  std::string text;
  FrameStatus st = frame(buffer, text);
  if (st != FrameStatus::Complete)
    return st;
  out = RawReply{};
  if (concurrent)
    out.channel = common::takeChannel(text);
  out.text = std::move(text);
  return st;
}

bool splitAuthority(const std::string& authority, std::string& host, uint16_t& port) {
  size_t colon = authority.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= authority.size())
    return false;
  std::string h = authority.substr(0, colon);
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']')
      return false;
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string::npos) {
    return false; // an IPv6 literal must be bracketed
  }
  for (char c : h) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == ':';
    if (!ok)
      return false;
  }
  const char* first = authority.data() + colon + 1;
  const char* last = authority.data() + authority.size();
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last || value == 0 || value > 65535)
    return false;
  host = h;
  port = static_cast<uint16_t>(value);
  return true;
}

} // namespace exaproxy::redirector
