#include "config_problem.h"

#include <exaproxy/text.hpp>

namespace exaproxy::common {

std::string ConfigProblem::describe() const {
  if (file.empty())
    return message;
  return sdk::concat(file, ":", std::to_string(line), ": ", message);
}

ConfigFailure::ConfigFailure(const sdk::Setting& at, const std::string& message)
    : std::runtime_error(sdk::concat(at.file, ":", std::to_string(at.line), ": [", at.section, "] ",
                                     at.key, ": ", message)),
      index_(at.index), message_(message) {}

} // namespace exaproxy::common
