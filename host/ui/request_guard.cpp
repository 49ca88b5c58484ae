#include "ui/request_guard.h"

#include "core/ip_address.h"

#include <algorithm>
#include <cctype>

namespace exaproxy::ui {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

bool isAddressHost(std::string_view host) {
  std::string_view name = host;
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos)
      return false;
    auto rest = host.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !allDigits(rest.substr(1))))
      return false;
    auto ip = IpAddress::parse(host.substr(1, close - 1));
    return ip && ip->isV6();
  }
  auto colon = host.rfind(':');
  if (colon != std::string_view::npos) {
    if (!allDigits(host.substr(colon + 1)))
      return false;
    name = host.substr(0, colon);
  }
  if (iequals(name, "localhost"))
    return true;
  auto ip = IpAddress::parse(name);
  return ip && ip->isV4();
}

std::string refuseStateChange(const GuardInput& in) {
  if (!in.csrf || *in.csrf != "1")
    return "missing the X-ExaProxy-CSRF: 1 header (the interface's own page sends it)";
  if (!isAddressHost(in.host))
    return "the Host header is not an address or localhost (DNS rebinding?)";
  if (in.origin) {
    std::string own = "http://" + std::string(in.host);
    if (!iequals(*in.origin, own))
      return "cross-origin request from " + std::string(*in.origin);
  }
  if (in.fetchSite && *in.fetchSite != "same-origin" && *in.fetchSite != "none")
    return "Sec-Fetch-Site is " + std::string(*in.fetchSite);
  return "";
}

} // namespace exaproxy::ui
