// The chain-order check: a plugin that edits the request placed after one that may ROUTE it has
// its edits skipped for every routed request (ROUTE ends the chain, abi.h's 1.x contract). The
// traits come from declare_traits (ABI 1.3); older plugins declare none and are not checked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace exaproxy::plugin {

struct ChainMember {
  std::string name; // conf.d entry, "NN-name"
  uint32_t traits = 0;
};

// One warning per (router, later request editor) pair, in chain order.
std::vector<std::string> chainOrderWarnings(const std::vector<ChainMember>& chain);

} // namespace exaproxy::plugin
