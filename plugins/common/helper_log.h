// How a plugin passes a HelperPool's log lines (helper_pool.h's LogLevel) to the host's log.
#pragma once

#include "helper_pool.h"

#include <exaproxy/plugin.hpp>

namespace exaproxy::common {

inline sdk::Level sdkLevel(LogLevel l) {
  switch (l) {
  case LogLevel::Debug:
    return sdk::Level::Debug;
  case LogLevel::Info:
    return sdk::Level::Info;
  case LogLevel::Warn:
    return sdk::Level::Warn;
  case LogLevel::Error:
    return sdk::Level::Error;
  }
  return sdk::Level::Info;
}

} // namespace exaproxy::common
