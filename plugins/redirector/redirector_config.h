// The redirector's settings (every key of its .conf section), parsed once per instance into an
// immutable Config. README.md documents each key.
#pragma once

#include "helper_pool_settings.h"
#include "helper_protocol.h"
#include "setting_values.h"

#include <exaproxy/plugin.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace exaproxy::redirector {

enum class ProtocolKind { Squid, ExaproxyUrl, ExaproxyIcap };

const char* toString(ProtocolKind p);

struct Config {
  std::vector<std::string> program; // argv; argv[0] is looked up in PATH
  ProtocolKind protocol = ProtocolKind::Squid;
  size_t children = 5;    // most helper processes at once
  size_t startup = 1;     // started when the plugin starts
  size_t idle = 1;        // spare (idle) processes kept when below `children`
  size_t concurrency = 0; // requests in flight per process; 0 = one at a time, no channel IDs
  size_t queueSize = common::kDefaultHelperQueueSize; // most requests waiting for a helper
  std::chrono::milliseconds timeout{3000};            // a helper's answer deadline (from arrival)
  bool allowOnTimeout = false;                        // on_timeout = allow | deny
  bool allowOnError = false;              // on_error = allow | deny (BH x3, crash, garbage)
  bool bypass = false;                    // all helpers busy: pass without asking
  std::string canary;                     // a URL every helper must rewrite ("" = no canary)
  std::string canaryClient = "127.0.0.1"; // the client address sent with the canary
  std::chrono::milliseconds canaryInterval{10000}; // re-check while the canary fails
  std::filesystem::path files;                     // where file:// answers are served from
  std::string icapService = "exaproxy";            // icap://<service> in the ICAP dialect
  // Indexes of the `program` and `files` settings, so that checkOnDisk() names their file:line.
  size_t programSetting = SIZE_MAX, filesSetting = SIZE_MAX;
};

// Parses the plugin's settings (host().settings()). Throws sdk::ConfigError naming the first bad
// setting (its index, for the host's file:line report).
Config parseConfig(const std::vector<sdk::Setting>& settings);

// What the configuration names on disk, checked without running anything (create() in both
// modes, so that `exaproxy --check` refuses what start-up would): the program is an executable
// file (argv[0], a bare name looked up in PATH as posix_spawnp does), `files` is a directory.
// Throws sdk::ConfigError naming the setting.
void checkOnDisk(const Config& config);

// Splits a command line into argv (plugins/common/setting_values.h).
using common::splitCommandLine;

// The dialect's codec for a configuration.
HelperProtocolPtr makeProtocol(const Config& config);

} // namespace exaproxy::redirector
