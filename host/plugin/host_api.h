// The host's side of the C ABI: the exaproxy_host_api table every plugin receives in create().
#pragma once

#include "exaproxy/abi.h"

namespace exaproxy::plugin {

// The table (static storage, immutable, shared by every plugin).
const exaproxy_host_api* hostApi();

} // namespace exaproxy::plugin
