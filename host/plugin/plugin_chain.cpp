#include "plugin/plugin_chain.h"

#include "core/safe_text.h"
#include "plugin/incident_id.h"
#include "plugin/txn_state.h"

#include <spdlog/logger.h>

#include <exception>

namespace exaproxy::plugin {

const char* toString(Outcome::Kind kind) {
  switch (kind) {
  case Outcome::Kind::Continue:
    return "continue";
  case Outcome::Kind::Route:
    return "route";
  case Outcome::Kind::Redirect:
    return "redirect";
  case Outcome::Kind::Respond:
    return "respond";
  case Outcome::Kind::Deny:
    return "deny";
  }
  return "unknown";
}

namespace detail {

int32_t callHook(LoadedPlugin& p, int32_t (*hook)(void*, exaproxy_txn*, exaproxy_verdict*),
                 exaproxy_txn* txn, exaproxy_verdict* v, std::string& why) {
  p.counters.calls.fetch_add(1, std::memory_order_relaxed);
  try {
    return hook(p.instance(), txn, v);
  } catch (const std::exception& e) {
    // Undefined behaviour by the ABI's rules; caught when the unwinder lets us.
    why = std::string("exception escaped the plugin: ") + e.what();
  } catch (...) {
    why = "exception escaped the plugin";
  }
  return EXAPROXY_ERROR;
}

void countVerdict(LoadedPlugin& p, int32_t action) {
  auto& c = p.counters;
  auto bump = [](std::atomic<uint64_t>& a) { a.fetch_add(1, std::memory_order_relaxed); };
  switch (action) {
  case EXAPROXY_CONTINUE:
    bump(c.continues);
    break;
  case EXAPROXY_REWRITE:
    bump(c.rewrites);
    break;
  case EXAPROXY_ROUTE:
    bump(c.routes);
    break;
  case EXAPROXY_REDIRECT:
    bump(c.redirects);
    break;
  case EXAPROXY_RESPOND:
    bump(c.responds);
    break;
  case EXAPROXY_DENY:
    bump(c.denies);
    break;
  case EXAPROXY_PENDING:
    bump(c.pendings);
    break;
  case EXAPROXY_HOLD:
    bump(c.holds);
    break;
  default:
    bump(c.errors);
    break;
  }
}

bool finalOutcome(int32_t action, exaproxy_verdict& v, Outcome& out, std::string& why) {
  out = std::move(v.outcome);
  switch (action) {
  case EXAPROXY_ROUTE:
    if (out.routeHost.empty()) {
      why = "ROUTE without a host (verdict_set_route)";
      return false;
    }
    out.kind = Outcome::Kind::Route;
    return true;
  case EXAPROXY_REDIRECT:
    if (out.location.empty()) {
      why = "REDIRECT without a location (verdict_set_location)";
      return false;
    }
    if (out.status < 300 || out.status > 399)
      out.status = 302;
    out.kind = Outcome::Kind::Redirect;
    return true;
  case EXAPROXY_RESPOND:
    if (out.status == 0)
      out.status = 200;
    out.kind = Outcome::Kind::Respond;
    return true;
  case EXAPROXY_DENY:
    if (out.status < 400)
      out.status = 403;
    out.kind = Outcome::Kind::Deny;
    return true;
  default:
    why = "not a final verdict";
    return false;
  }
}

Outcome failurePolicy(const ChainLink& link, bool timeout, const std::string& rawWhy) {
  auto& p = *link.plugin;
  const std::string why = safeText(rawWhy); // an exception's text is the plugin's, not ours
  bool allow = timeout ? link.policy.allowOnTimeout : link.policy.allowOnError;
  (allow ? p.counters.fail_open : p.counters.fail_closed).fetch_add(1, std::memory_order_relaxed);
  // The details (an exception's text, a plugin's ERROR reason) are for the operator: the log
  // line and the access log. A denied client only learns the incident id that finds them.
  std::string incident = newIncidentId();
  p.log().warn("plugin.{} plugin={} policy={} incident={} reason=\"{}\"",
               timeout ? "timeout" : "error", p.name(), allow ? "allow" : "deny", incident, why);
  Outcome o;
  if (allow)
    return o;
  o.kind = Outcome::Kind::Deny;
  o.plugin = p.name();
  o.pluginName = p.descriptor().name;
  o.status = 503;
  o.reason = timeout ? "filter " + p.name() + " did not answer in time"
                     : "filter " + p.name() + " failed: " + why;
  o.incident = incident;
  o.clientDetail = std::string(timeout ? "The request could not be filtered in time"
                                       : "The request could not be filtered") +
                   " (incident " + incident + ").";
  return o;
}

} // namespace detail

Outcome Chain::onAccept(const TxInfo& info) const {
  exaproxy_txn txn;
  txn.chain = this;
  txn.connection = info.connection;
  txn.clientPort = info.client.port;
  txn.identity.address = info.client.address.toString();
  txn.listenerEndpoint = info.listener;
  for (size_t i = 0; i < links_.size(); ++i) {
    const auto& link = links_[i];
    auto hook = link.plugin->descriptor().on_accept;
    if (!hook)
      continue;
    txn.current = i;
    exaproxy_verdict v;
    std::string why;
    int32_t action = detail::callHook(*link.plugin, hook, &txn, &v, why);
    detail::countVerdict(*link.plugin, action);
    if (action == EXAPROXY_CONTINUE || action == EXAPROXY_REWRITE)
      continue;
    if (action == EXAPROXY_DENY) {
      Outcome o;
      detail::finalOutcome(action, v, o, why);
      o.plugin = link.plugin->name();
      o.pluginName = link.plugin->descriptor().name;
      return o;
    }
    if (why.empty())
      why = "verdict " + std::to_string(action) + " is not allowed in on_accept";
    Outcome o = detail::failurePolicy(link, false, why);
    if (o.kind != Outcome::Kind::Continue)
      return o;
  }
  return Outcome{};
}

void Chain::onConnectionClose(uint64_t connection) const {
  for (const auto& link : links_) {
    const auto& d = link.plugin->descriptor();
    if (!EXAPROXY_HAS_FIELD(&d, exaproxy_plugin, on_connection_close) || !d.on_connection_close)
      continue;
    try {
      d.on_connection_close(link.plugin->instance(), connection);
    } catch (...) { // undefined behaviour by the ABI's rules; contained when the unwinder lets us
      link.plugin->counters.errors.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

} // namespace exaproxy::plugin
