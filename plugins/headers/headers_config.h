// The headers plugin's configuration: rules parsed once from the plugin's settings into an
// immutable HeadersConfig shared by every hook (STYLE.md convention 3). No ABI here: the glue turns
// the host's settings into ConfigEntry values and a ConfigFailure into config_error().
#pragma once

#include "config_problem.h"

#include <exaproxy/plugin.hpp>
#include <exaproxy/text.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::headers {

// One setting as the host hands it over (file:line, section, key, value; index for
// config_error()).
using ConfigEntry = sdk::Setting;

// A refused setting: what() "file:line: [section] key: message", message() the bare reason.
using common::ConfigFailure;

// "example.com" (exactly), "*.example.com" (any name below it, not the apex) or "*" (any host).
using sdk::HostPattern;

enum class Direction { Request, Response };

// One edit, applied in the order the operator wrote it.
struct HeaderOp {
  enum class Kind {
    Set,           // replace every field `name` by one with `value`
    Add,           // append one more field
    Remove,        // remove every field `name`
    CookieSet,     // set cookie `cookie` to `value` (added when absent)
    CookieReplace, // set cookie `cookie` to `value` only when present
    CookieRemove,  // remove cookie `cookie`
    CookieParam,   // inside cookie `cookie`'s value: set `key`=`value` (added when absent)
  };
  Kind kind = Kind::Set;
  std::string name;       // header name (Set/Add/Remove)
  std::string cookie;     // cookie name (Cookie*)
  std::string key;        // CookieParam: the key inside the cookie's value
  std::string value;      // header value, cookie value, or CookieParam's value
  std::string attributes; // response CookieSet: "; Path=/; Secure" used when a cookie is created
  char separator = '&';   // CookieParam: between key=value items (YouTube PREF uses '&')
};

struct HeaderRule {
  std::string name;  // [headers NAME]
  std::string where; // "file:line" of the section's first entry, for logs and status
  Direction direction = Direction::Request;
  std::vector<HostPattern> hosts; // empty: every host
  std::vector<HeaderOp> ops;

  bool matchesHost(std::string_view host) const;
};

struct HeadersConfig {
  std::vector<HeaderRule> rules; // in file order; every matching rule applies
};
using HeadersConfigPtr = std::shared_ptr<const HeadersConfig>;

// Sections: [headers NAME] holds one rule; a bare [headers] section holds no keys today (reserved).
// Keys of a rule: host, direction, set, add, remove, cookie_set, cookie_replace, cookie_remove,
// cookie_param, youtube_restrict (README.md). Throws ConfigFailure naming the entry.
HeadersConfigPtr parseHeadersConfig(const std::vector<ConfigEntry>& entries);

// Whether some rule edits requests (request direction, with at least one edit).
bool editsRequests(const HeadersConfig& config);

// RFC 9110 token characters.
bool isToken(std::string_view s);

} // namespace exaproxy::headers
