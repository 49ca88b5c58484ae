// The Basic scheme's credentials (RFC 7617): "Basic <base64(user:password)>" in
// Proxy-Authorization, and the request line Squid's Basic helpers read.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::auth {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// Strict base64 (RFC 4648 §4, padding required, no white space inside); nullopt when invalid.
std::optional<std::string> decodeBase64(std::string_view text);

// The credentials of a Proxy-Authorization value using the Basic scheme (the scheme name is
// case-insensitive); nullopt for another scheme, bad base64, no ':' or an empty user, or a NUL,
// CR or LF in either part.
std::optional<BasicCredentials> parseBasic(std::string_view headerValue);

// Whether the value uses the scheme `name` (case-insensitive), whatever follows.
bool usesScheme(std::string_view headerValue, std::string_view name);

// "user password\n", each %-encoded as Squid does for its Basic helpers.
std::string basicHelperLine(const BasicCredentials& c);

} // namespace exaproxy::auth
