// Bodies through the plugins (ABI 1.7): the host functions behind body_want and body_held (the
// walk itself is PluginTransaction::runBody, in body_hooks.cpp too).
#pragma once

#include "exaproxy/abi.h"

#include <cstdint>

namespace exaproxy::plugin {

int32_t bodyWant(exaproxy_txn* t, int32_t which, uint32_t flags);
exaproxy_str bodyHeld(exaproxy_txn* t);
int32_t verdictHoldBody(exaproxy_verdict* v, exaproxy_str data);

} // namespace exaproxy::plugin
