// The settings every plugin that runs helper programs shares (program, children, startup, idle,
// concurrency, queue_size, timeout), parsed into HelperPoolSettings once for all of them. A plugin
// may prefix them (the auth plugin's basic_program, basic_children, ...).
#pragma once

#include "helper_pool_settings.h"

#include <exaproxy/plugin.hpp>

#include <cstddef>
#include <string>

namespace exaproxy::common {

// Parses setting `e` when `key` (its name without the plugin's prefix) is one of the shared keys;
// false when it is not. Throws sdk::ConfigError naming the setting for a bad value. `program`
// records the index of the program's setting, for checkHelperProgram().
bool parseHelperSetting(const std::string& key, const sdk::Setting& e, HelperPoolSettings& s,
                        size_t& programSetting);

// After the last setting: startup and idle capped at children.
void capHelperCounts(HelperPoolSettings& s);

// Throws sdk::ConfigError at `programSetting` when the program cannot be started (checked without
// running it: also in check mode). `what` names it ("the Basic helper").
void checkHelperProgram(const HelperPoolSettings& s, size_t programSetting,
                        const std::string& what);

} // namespace exaproxy::common
