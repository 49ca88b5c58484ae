#include "helper_settings.h"

#include "helper_program.h"
#include "setting_values.h"

#include <algorithm>

namespace exaproxy::common {

bool parseHelperSetting(const std::string& key, const sdk::Setting& e, HelperPoolSettings& s,
                        size_t& programSetting) {
  const std::string& v = e.value;
  if (key == "program") {
    if (!splitCommandLine(v, s.program))
      throw sdk::ConfigError(e.index, "unterminated quote");
    if (s.program.empty())
      throw sdk::ConfigError(e.index, "empty command line");
    programSetting = e.index;
  } else if (key == "children") {
    if (!parseCount(v, s.children) || s.children == 0 || s.children > 1000)
      throw sdk::ConfigError(e.index, "expected a number of processes from 1 to 1000");
  } else if (key == "startup" || key == "idle" || key == "queue_size") {
    if (!parseCount(v, key == "startup" ? s.startup : key == "idle" ? s.idle : s.queueSize))
      throw sdk::ConfigError(e.index, "expected a number");
  } else if (key == "concurrency") {
    if (!parseCount(v, s.concurrency) || s.concurrency > 10000)
      throw sdk::ConfigError(e.index, "expected a number from 0 to 10000");
  } else if (key == "timeout") {
    if (!parseDuration(v, s.timeout) || s.timeout.count() <= 0)
      throw sdk::ConfigError(e.index, "expected a duration such as 5s or 500ms");
  } else {
    return false;
  }
  return true;
}

void capHelperCounts(HelperPoolSettings& s) {
  s.startup = std::min(s.startup, s.children);
  s.idle = std::min(s.idle, s.children);
}

void checkHelperProgram(const HelperPoolSettings& s, size_t programSetting,
                        const std::string& what) {
  if (!s.program.empty())
    if (auto problem = helperProgramProblem(s.program.front()))
      throw sdk::ConfigError(programSetting, what + " cannot be started: " + *problem);
}

} // namespace exaproxy::common
