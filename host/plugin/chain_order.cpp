#include "plugin/chain_order.h"

#include "exaproxy/abi.h"

namespace exaproxy::plugin {

std::vector<std::string> chainOrderWarnings(const std::vector<ChainMember>& chain) {
  std::vector<std::string> out;
  for (size_t r = 0; r < chain.size(); ++r) {
    if (!(chain[r].traits & EXAPROXY_TRAIT_ROUTES))
      continue;
    for (size_t e = r + 1; e < chain.size(); ++e)
      if (chain[e].traits & EXAPROXY_TRAIT_EDITS_REQUEST)
        out.push_back(chain[e].name + " edits requests but runs after " + chain[r].name +
                      ", which may route them: a routed request ends the chain, so " +
                      chain[e].name + "'s request edits are skipped for it (number " +
                      chain[e].name + " below " + chain[r].name + ")");
  }
  return out;
}

} // namespace exaproxy::plugin
