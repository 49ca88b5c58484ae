// The "proxy" logger of the session and its stages, looked up once (logger() takes a mutex).
#pragma once

#include "core/logging.h"

#include <memory>

namespace exaproxy::proxy {

inline std::shared_ptr<spdlog::logger>& proxyLog() {
  static auto l = logger("proxy");
  return l;
}

} // namespace exaproxy::proxy
