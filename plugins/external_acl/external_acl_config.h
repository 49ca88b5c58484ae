// The external_acl plugin's settings (README.md documents each key), parsed once per instance.
#pragma once

#include "acl_format.h"
#include "helper_pool_settings.h"

#include <exaproxy/plugin.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace exaproxy::external_acl {

struct Config {
  std::string name;              // the ACL's name: its result is the note "external.<name>"
  AclFormat format;              // the request line (default: %LOGIN)
  std::vector<std::string> data; // words after the fields (Squid's acl arguments)
  // program (as Squid's external_acl_type program), children ... timeout; the name is set when
  // the ACL's name is known (poolSettings()).
  common::HelperPoolSettings pool = [] {
    common::HelperPoolSettings s;
    s.timeout = std::chrono::milliseconds(5000);
    return s;
  }();
  std::chrono::milliseconds ttl{3600000};         // an OK is reused this long
  std::chrono::milliseconds negativeTtl{3600000}; // an ERR this long (Squid: as ttl)
  unsigned grace = 0; // % of a result's life left when it is refreshed in the background
  size_t cacheSize = 100000;
  bool denyOnErr = false; // on_err = deny: answer 403 (with the helper's message) on ERR
  size_t programSetting = SIZE_MAX;
};

// Parses the settings. Throws sdk::ConfigError naming the first bad setting.
Config parseConfig(const std::vector<sdk::Setting>& settings);
// The program can be started (checked without running it).
void checkOnDisk(const Config& config);
common::HelperPoolSettings poolSettings(const Config& config);
// "external.<name>": the note the result is left in ("OK" or "ERR").
std::string resultNote(const Config& config);

} // namespace exaproxy::external_acl
