// The cross-site guard of the one state-changing request (POST /api/v1/reload). A page of another
// site can make a browser send a POST (a form, fetch with mode no-cors) but cannot add a custom
// header without a CORS preflight, which this server never grants; and it cannot hide its Origin.
// DNS rebinding (evil.example resolving to 127.0.0.1) passes both checks with Host and Origin
// both "evil.example:8080", so the Host must also be an address or "localhost".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::ui {

inline constexpr std::string_view kCsrfHeader = "X-ExaProxy-CSRF";

struct GuardInput {
  std::string_view host;                     // the Host header ("" if absent)
  std::optional<std::string_view> origin;    // the Origin header, if sent
  std::optional<std::string_view> csrf;      // X-ExaProxy-CSRF, if sent
  std::optional<std::string_view> fetchSite; // Sec-Fetch-Site, if sent
};

// Empty when the request may change state, else the reason it is refused (403).
std::string refuseStateChange(const GuardInput& in);

// Whether host ("127.0.0.1:8080", "[::1]:8080", "localhost:8080", without port too) names this
// machine by address or as localhost rather than by a DNS name.
bool isAddressHost(std::string_view host);

} // namespace exaproxy::ui
