#include "net/fd_budget.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace exaproxy::net {

namespace {
std::atomic<size_t> gCeiling{0};
} // namespace

size_t descriptorsPerConnection(bool splice) { return splice ? 6 : 2; }

NofileLimit raiseNofileLimit(size_t wanted) {
  NofileLimit r;
  r.wanted = wanted;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == -1) {
    r.error = std::strerror(errno);
    return r;
  }
  r.soft = rl.rlim_cur;
  r.hard = rl.rlim_max;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < wanted) {
    rlimit next = rl;
    next.rlim_cur = rl.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(wanted, rl.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &next) == 0) {
      r.raised = next.rlim_cur != rl.rlim_cur;
      r.soft = next.rlim_cur;
    } else {
      r.error = std::strerror(errno);
    }
  }
  return r;
}

size_t descriptorReserve(size_t soft) { return std::clamp<size_t>(soft / 16, 16, 256); }

void setDescriptorCeiling(size_t ceiling) { gCeiling.store(ceiling, std::memory_order_relaxed); }

size_t descriptorCeiling() { return gCeiling.load(std::memory_order_relaxed); }

bool overDescriptorCeiling(int fd) {
  size_t c = gCeiling.load(std::memory_order_relaxed);
  return c && fd >= 0 && static_cast<size_t>(fd) >= c;
}

} // namespace exaproxy::net
