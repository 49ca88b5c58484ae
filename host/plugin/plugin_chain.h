// Chain: an immutable, ordered snapshot of the loaded plugins with each one's operator policy.
//
// PluginRuntime publishes a new Chain on every (re)load; a transaction takes the current one
// (std::shared_ptr<const Chain>, one atomic refcount) and keeps it until it ends, so a reload never
// changes the plugins a running transaction talks to, and a removed plugin is destroyed and its
// library unloaded only when the last snapshot holding it goes away.
#pragma once

#include "plugin/loaded_plugin.h"
#include "plugin/outcome.h"

#include <chrono>
#include <memory>
#include <vector>

namespace exaproxy::plugin {

struct PluginPolicy {
  std::chrono::milliseconds timeout{5000}; // how long a PENDING verdict may take
  bool allowOnTimeout = false;             // true: a timeout continues the chain (fail-open)
  bool allowOnError = false;               // true: an ERROR continues the chain (fail-open)
  uint64_t bodyHoldMax = 1024 * 1024;      // body bytes an on_body hook may hold (ABI 1.7)
};

struct ChainLink {
  LoadedPluginPtr plugin;
  PluginPolicy policy;
};

class Chain {
public:
  Chain() = default;
  explicit Chain(std::vector<ChainLink> links) : links_(std::move(links)) {}

  const std::vector<ChainLink>& links() const { return links_; }
  bool empty() const { return links_.empty(); }

  // Loop thread: runs every on_accept hook in order (synchronous only). Continue, or Deny (the
  // session closes the connection; with status 403 the lead may answer a page first).
  Outcome onAccept(const TxInfo& info) const;
  // Loop thread: tells every plugin with an on_connection_close hook (ABI 1.5) that the client
  // connection `connection` closed. The session calls it once, after its last on_done.
  void onConnectionClose(uint64_t connection) const;

private:
  std::vector<ChainLink> links_;
};

using ChainPtr = std::shared_ptr<const Chain>;

// How the chain applies a verdict; shared by the accept, request and response paths.
namespace detail {
// Calls a hook with exceptions contained (a C++ plugin that threw through the C boundary).
// Returns the verdict, or EXAPROXY_ERROR (with `why` set) if it threw.
int32_t callHook(LoadedPlugin& p, int32_t (*hook)(void*, exaproxy_txn*, exaproxy_verdict*),
                 exaproxy_txn* txn, exaproxy_verdict* v, std::string& why);
// Counts `action` on the plugin (calls already counted).
void countVerdict(LoadedPlugin& p, int32_t action);
// The Outcome for a final verdict (ROUTE, REDIRECT, RESPOND, DENY), completed with defaults;
// false (with `why`) when it is malformed (REDIRECT without a location...).
bool finalOutcome(int32_t action, exaproxy_verdict& v, Outcome& out, std::string& why);
// The configured answer to a failed plugin: Continue when allowed, else Deny 503.
Outcome failurePolicy(const ChainLink& link, bool timeout, const std::string& why);
} // namespace detail

} // namespace exaproxy::plugin
