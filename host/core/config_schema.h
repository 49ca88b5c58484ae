// The host's configuration keys as tables: one per section, one row per key. A row knows how to
// read its value into its HostConfig (or ListenerConfig) member, its default as written in the
// shipped 00-exaproxy.conf, a one-line description, and whether SIGHUP applies it or it needs a
// restart. loadConfig validates with these rows and nothing else; a key without a row is unknown.
#pragma once

#include "core/config.h"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy {

enum class Reload {
  Live,    // a SIGHUP applies it
  Restart, // read once at start: a changed value is reported (reload.needs_restart) and kept
};

// One key of a section whose values live in a T (HostConfig, or ListenerConfig for listeners).
template <typename T> struct KeySpec {
  std::string_view key;
  // Reads value into its member of the target; returns an error message, empty when accepted.
  // Relative paths are relative to dir (the configuration directory).
  std::function<std::string(T&, const std::string& value, const std::filesystem::path& dir)> parse;
  // Whether two targets hold the same value for this key.
  std::function<bool(const T&, const T&)> same;
  std::string_view defaultText; // the default as the shipped file writes it
  std::string_view description;
  Reload reload = Reload::Live;
  // A key without a default (a listener's address): defaultText is then the shipped example.
  bool required = false;
};

struct HostSection {
  std::string_view name; // "server", "acl", ...
  std::vector<KeySpec<HostConfig>> keys;
};

// The host's sections other than [listener NAME], in the shipped file's order.
const std::vector<HostSection>& hostSchema();
// The keys of a [listener NAME] section.
const std::vector<KeySpec<ListenerConfig>>& listenerSchema();
// The host's keys of a plugin's [plugin] section, besides path (which the loader resolves itself):
// the operator's timeout and verdict policy for that plugin.
const std::vector<KeySpec<PluginEntry>>& pluginPolicySchema();
// The host section named kind ("dns"), or null. "listener" has no HostSection: see above.
const HostSection* findHostSection(std::string_view kind);

// HostConfig{} with every host row's default applied (the defaults loadConfig starts from; three
// of them, the allow_clients of [acl] and [icap_server] and deny_destinations, differ from
// HostConfig{}'s empty sets).
const HostConfig& schemaDefaults();

// The restart-only settings that differ between the running and the next configuration, as
// "section.key" ("listeners" when any listener's restart-only key, or the set of listeners,
// changed). Empty when a SIGHUP can apply everything.
std::vector<std::string> restartOnlyChanges(const HostConfig& running, const HostConfig& next);

} // namespace exaproxy
