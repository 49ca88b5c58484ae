// The process's file descriptors (RLIMIT_NOFILE) as a budget. At start the soft limit is raised
// to what max_connections needs (up to the hard limit). The proxy's own connections — clients it
// accepts, upstream sockets it opens — never keep one of the last `reserve` descriptors: the
// kernel hands out the lowest free number, so a new descriptor numbered at or above the ceiling
// means fewer than `reserve` are free, and it is closed at once. What the reserve keeps free is
// for the web interface (its own thread accepts), log reopening, helper pipes and DNS sockets.
#pragma once

#include <cstddef>
#include <string>

namespace exaproxy::net {

struct NofileLimit {
  size_t soft = 0; // after raising
  size_t hard = 0;
  size_t wanted = 0; // what max_connections needs
  bool raised = false;
  std::string error; // setrlimit's failure, if any
};

// Descriptors one client connection may hold: itself, its upstream socket, and (tunnels that
// splice) two pipes.
size_t descriptorsPerConnection(bool splice);

// Raises the soft RLIMIT_NOFILE towards `wanted` (never above the hard limit, never lowers it).
NofileLimit raiseNofileLimit(size_t wanted);

// The descriptors kept free for a soft limit of `soft`: 1/16 of it, between 16 and 256.
size_t descriptorReserve(size_t soft);

// Sets the ceiling from the current soft limit (call after raiseNofileLimit); 0 disables it.
void setDescriptorCeiling(size_t ceiling);
size_t descriptorCeiling();

// True when `fd` is at or above the ceiling: the caller closes it and treats it as EMFILE.
bool overDescriptorCeiling(int fd);

} // namespace exaproxy::net
