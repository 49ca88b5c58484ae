// Incident ids: what a client is shown instead of an internal error. A plugin that throws, fails
// or times out under a deny policy gives the client a page with a short id; the log line with the
// details (plugin.error / plugin.timeout) carries the same id, so an operator can find it from a
// user's screenshot.
#pragma once

#include <string>

namespace exaproxy::plugin {

// 12 lowercase hex characters, never repeated within a process (a 48-bit permutation of a
// counter, offset by a per-process random salt) and not predictable from one another.
std::string newIncidentId();

} // namespace exaproxy::plugin
