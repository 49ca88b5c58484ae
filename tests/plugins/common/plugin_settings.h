// Settings as the host offers a plugin its .conf file, for unit tests of a plugin's parser: one
// section, the keys from line 2 on (line 1 is the section's header), indexes in order.
#pragma once

#include <exaproxy/plugin.hpp>

#include <string>
#include <utility>
#include <vector>

namespace exaproxy::testing {

inline std::vector<sdk::Setting>
settingsFor(const std::string& file, const std::string& section,
            const std::vector<std::pair<std::string, std::string>>& keys) {
  std::vector<sdk::Setting> out;
  for (size_t i = 0; i < keys.size(); ++i)
    out.push_back(sdk::Setting{i, file, static_cast<uint32_t>(i + 2), section, keys[i].first,
                               keys[i].second});
  return out;
}

// "index: message" of the sdk::ConfigError parse(settings) throws; "" when it accepts them.
template <typename Parse>
std::string refusalOf(Parse parse, const std::vector<sdk::Setting>& settings) {
  try {
    parse(settings);
  } catch (const sdk::ConfigError& e) {
    return std::to_string(e.index()) + ": " + e.what();
  }
  return "";
}

} // namespace exaproxy::testing
