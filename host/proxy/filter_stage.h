// The plugins' part of a request: owns its walk through the chain (PluginTransaction) and turns
// each Outcome into a Next — Continue and Route into Resolve, Redirect/Respond/Deny into the
// answer the proxy writes (pages rendered from the host's templates), a file to read into
// ReadFile. A PENDING verdict completes later through the callback the session passes.
#pragma once

#include "plugin/outcome.h"
#include "plugin/plugin_transaction.h"
#include "proxy/exchange.h"
#include "proxy/next.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::proxy {

class FilterStage {
public:
  // Runs the request hooks. `onVerdict` gets the Outcome now (running() is then still true) or
  // later from the loop (a PENDING verdict); with no plugin runtime it gets Continue at once.
  void run(const Exchange& ex, plugin::PluginTransaction::Callback onVerdict);
  bool running() const { return running_; }

  // What an Outcome of the request hooks means for this request.
  Next decide(const Exchange& ex, const plugin::Outcome& o);
  // The answer of a plugin's Redirect, Respond or Deny (request or response hook).
  Next answerFor(const Exchange& ex, const plugin::Outcome& o);
  // The response hooks on the origin's head; nullopt when every plugin lets it through.
  std::optional<Next> onResponse(const Exchange& ex);
  // Some plugin asked for the request's or the response's body (ABI 1.7 body_want):
  // proxy/filtered_body.h.
  bool wantsRequestBody() const { return tx_ && tx_->wantsBody(EXAPROXY_REQUEST); }
  bool wantsResponseBody() const { return tx_ && tx_->wantsBody(EXAPROXY_RESPONSE); }
  // What runs (on the loop) when a body walk stopped by a PENDING verdict went on: the session's
  // step. Set once, before run().
  void onBodyResume(std::function<void()> fn) { bodyResume_ = std::move(fn); }

  // The plugins' view of the client, for the access log (null without a plugin transaction).
  plugin::PluginTransaction* transaction() { return tx_.get(); }
  // The user the plugins gave the request in flight ("" when none, or no request).
  std::string_view user() const;
  // The request is done: the walk is destroyed after this dispatch (it may be on the stack).
  void release(net::EventLoop& loop);
  // The client connection is gone (from the session's destructor): the walk still held is
  // destroyed (its on_done runs), then, when the accept hooks ran (`admitted`) and the loop is
  // not being torn down, the plugins' on_connection_close hooks.
  void endConnection(LoopContext& ctx, uint64_t connection, bool admitted);

private:
  std::unique_ptr<plugin::PluginTransaction> tx_;
  std::function<void()> bodyResume_;
  bool running_ = false;
};

// The proxy's own page for a request addressed to it (proxy/local_response.h).
Next answerProxyItself(const Exchange& ex);

// Where the request goes after the filters: its host unless a Route chose another; a host that
// is an ambiguous IPv4 literal is refused. Resolve or Answer.
Next chooseDestination(const Exchange& ex, std::string host, uint16_t port);

} // namespace exaproxy::proxy
