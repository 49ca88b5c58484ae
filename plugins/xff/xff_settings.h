// The xff plugin's configuration: the [xff] section of its .conf, parsed once into an immutable
// Settings shared by every loop (swapped whole on SIGHUP).
#pragma once

#include "xff_address.h"

#include <exaproxy/plugin.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace exaproxy::xff {

// Which header our trusted proxies write, hence which one we walk.
enum class Follow {
  XForwardedFor, // X-Forwarded-For only (default; what haproxy's option forwardfor writes)
  Forwarded,     // RFC 7239 Forwarded for= only
  Both           // Forwarded when the request has one, else X-Forwarded-For
};

// What we send upstream in X-Forwarded-For (Squid's forwarded_for).
enum class ForwardedForPolicy {
  Append,     // the received list (all lines joined) + ", <peer>"
  Truncate,   // only the identity
  Delete,     // no X-Forwarded-For at all
  Transparent // as received
};

// What we send upstream in Forwarded.
enum class ForwardedPolicy {
  Off,   // as received
  Append // the received list + ", for=<peer>"
};

struct Settings {
  CidrList trusted; // empty: nobody, every header is ignored
  Follow follow = Follow::XForwardedFor;
  ForwardedForPolicy forwardedFor = ForwardedForPolicy::Append;
  ForwardedPolicy forwarded = ForwardedPolicy::Off;
};

struct SettingsLoad {
  std::optional<Settings> settings;     // empty when errors is not
  std::vector<sdk::ConfigError> errors; // every problem, in order, each naming its setting
};

// Accepts keys of the [xff] section only: trusted, follow, forwarded_for, forwarded.
SettingsLoad parseSettings(const std::vector<sdk::Setting>& settings);

// Whether these settings make the plugin edit the request's headers (X-Forwarded-For, Forwarded,
// Connection): all but forwarded_for = transparent with forwarded = off. Setting the client
// address alone is not an edit of the request (nothing of it reaches the origin).
bool editsRequests(const Settings& s);

const char* followName(Follow f);
const char* forwardedForName(ForwardedForPolicy p);
const char* forwardedName(ForwardedPolicy p);

} // namespace exaproxy::xff
