// How a plugin's settings parser says what is wrong, at the file:line of the setting concerned.
// Two styles, one type each: collect every problem (ConfigProblem, reported all at once), or stop
// at the first (ConfigFailure, thrown). The glue turns either into sdk::ConfigError /
// Host::configError, which add the location themselves.
#pragma once

#include <exaproxy/plugin.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace exaproxy::common {

// A configuration problem at a setting (index SIZE_MAX: no particular setting).
struct ConfigProblem {
  size_t index = SIZE_MAX;
  std::string file;
  uint32_t line = 0;
  std::string message;
  // "file:line: message" (what an operator reads in tests and logs).
  std::string describe() const;
};

// A refused setting. what() is "file:line: [section] key: message" (what an operator sees);
// message() is the bare reason for config_error(), which adds the location itself.
class ConfigFailure : public std::runtime_error {
public:
  ConfigFailure(const sdk::Setting& at, const std::string& message);
  size_t index() const { return index_; }
  const std::string& message() const { return message_; }

private:
  size_t index_;
  std::string message_;
};

} // namespace exaproxy::common
