// Bodies through the plugins (ABI 1.7): body_want and body_held behind the C table, and the walk
// of a body's pieces through the on_body hooks of the plugins that asked for it.
#include "plugin/body_hooks.h"

#include "plugin/plugin_transaction.h"
#include "plugin/txn_state.h"

#include <exception>

namespace exaproxy::plugin {

namespace {

uint8_t bitOf(int32_t which) {
  return which == EXAPROXY_REQUEST ? kWantsRequestBody : kWantsResponseBody;
}

bool hasBodyHook(const exaproxy_plugin& d) {
  return EXAPROXY_HAS_FIELD(&d, exaproxy_plugin, on_body) && d.on_body;
}

} // namespace

int32_t bodyWant(exaproxy_txn* t, int32_t which, uint32_t flags) {
  if (!t || (which != EXAPROXY_REQUEST && which != EXAPROXY_RESPONSE) || flags != 0)
    return EXAPROXY_E_INVALID;
  if (!t->inHeadHook || !t->chain || t->current >= t->chain->links().size() || !t->req)
    return EXAPROXY_E_UNAVAILABLE;
  // Request bodies are not filtered yet; tunnels never are (their bytes are encrypted).
  if (which == EXAPROXY_REQUEST || t->req->isConnect())
    return EXAPROXY_E_UNAVAILABLE;
  if (!hasBodyHook(t->chain->links()[t->current].plugin->descriptor()))
    return EXAPROXY_E_UNAVAILABLE;
  try {
    if (t->bodyWants.size() <= t->current)
      t->bodyWants.resize(t->chain->links().size(), 0);
  } catch (...) {
    return EXAPROXY_E_UNAVAILABLE;
  }
  t->bodyWants[t->current] |= bitOf(which);
  return EXAPROXY_OK;
}

exaproxy_str bodyHeld(exaproxy_txn* t) { return t ? t->held : exaproxy_str{}; }

int32_t verdictHoldBody(exaproxy_verdict* v, exaproxy_str data) {
  if (!v || (!data.ptr && data.len))
    return EXAPROXY_E_INVALID;
  try {
    v->heldBody.emplace(data.ptr ? std::string(data.ptr, data.len) : std::string());
  } catch (...) {
    return EXAPROXY_E_INVALID;
  }
  return EXAPROXY_OK;
}

bool PluginTransaction::wantsBody(int32_t which) const {
  uint8_t bit = bitOf(which);
  for (uint8_t w : txn_.bodyWants)
    if (w & bit)
      return true;
  return false;
}

PluginTransaction::BodyStep PluginTransaction::runBody(int32_t which, std::string_view data,
                                                       bool end, std::string& out) {
  BodyStep result;
  const auto& links = chain_->links();
  auto& states = bodies_[which == EXAPROXY_REQUEST ? 0 : 1];
  if (states.size() < links.size())
    states.resize(links.size());
  uint8_t bit = bitOf(which);
  std::string_view in = data;
  int scratch = 0;
  for (size_t i = 0; i < links.size() && i < txn_.bodyWants.size(); ++i) {
    if (!(txn_.bodyWants[i] & bit) || states[i].off)
      continue;
    std::string& next = bodyScratch_[scratch];
    next.clear();
    if (!bodyCall(i, which, in, end, states[i], next, result)) {
      if (result.answered)
        return result;
      continue; // passed: `in` goes on unchanged
    }
    in = next;
    scratch ^= 1;
  }
  out.append(in);
  return result;
}

// False when `in` goes on unchanged (or the plugin answered: result.answered); true when the
// plugin's output is in `next`.
bool PluginTransaction::bodyCall(size_t i, int32_t which, std::string_view in, bool end,
                                 LinkBody& state, std::string& next, BodyStep& result) {
  const auto& link = chain_->links()[i];
  auto& p = *link.plugin;
  exaproxy_verdict v;
  std::string why;
  int32_t action = EXAPROXY_ERROR;
  p.counters.calls.fetch_add(1, std::memory_order_relaxed);
  txn_.current = i;
  txn_.held = exaproxy_str{state.held.data(), state.held.size()};
  try {
    action = p.descriptor().on_body(p.instance(), &txn_, which, exaproxy_str{in.data(), in.size()},
                                    end ? uint32_t{EXAPROXY_BODY_END} : 0u, &v);
  } catch (const std::exception& e) {
    why = std::string("exception escaped the plugin: ") + e.what();
  } catch (...) {
    why = "exception escaped the plugin";
  }
  txn_.held = exaproxy_str{};
  txn_.current = kNone;
  detail::countVerdict(p, action);
  switch (action) {
  case EXAPROXY_CONTINUE:
    applyCarried(txn_, i, v);
    if (state.held.empty())
      return false;
    next.swap(state.held);
    state.held.clear();
    next.append(in);
    return true;
  case EXAPROXY_REWRITE:
  case EXAPROXY_HOLD: {
    // What it holds after this call: what it said, else nothing (REWRITE) or all (HOLD).
    size_t keep = v.heldBody                ? v.heldBody->size()
                  : action == EXAPROXY_HOLD ? state.held.size() + in.size()
                                            : 0;
    if (end && keep > 0) {
      why = "data held on the body's last call";
      break;
    }
    if (keep > link.policy.bodyHoldMax) {
      why = "held more than body_hold_max (" + std::to_string(link.policy.bodyHoldMax) +
            " bytes) of the body";
      break;
    }
    applyCarried(txn_, i, v);
    if (v.heldBody)
      state.held.swap(*v.heldBody);
    else if (action == EXAPROXY_HOLD)
      state.held.append(in);
    else
      state.held.clear();
    next.swap(v.outcome.body);
    return true;
  }
  case EXAPROXY_REDIRECT:
  case EXAPROXY_RESPOND:
  case EXAPROXY_DENY:
    if (detail::finalOutcome(action, v, result.answer, why)) {
      applyCarried(txn_, i, v);
      result.answer.plugin = p.name();
      result.answer.pluginName = p.descriptor().name;
      result.answered = true;
      return false;
    }
    result.answer = Outcome{};
    break;
  case EXAPROXY_ERROR:
    if (why.empty())
      why = v.outcome.reason.empty() ? "ERROR verdict" : v.outcome.reason;
    break;
  default:
    why = action == EXAPROXY_PENDING
              ? "PENDING is not allowed in on_body"
              : "verdict " + std::to_string(action) + " is not allowed in on_body";
    break;
  }
  if (action > EXAPROXY_CONTINUE && action <= EXAPROXY_HOLD && action != EXAPROXY_ERROR)
    p.counters.errors.fetch_add(1, std::memory_order_relaxed); // a known verdict, misused
  Outcome o = detail::failurePolicy(link, false, why);
  if (o.kind != Outcome::Kind::Continue) {
    result.answer = std::move(o);
    result.answered = true;
    return false;
  }
  // on_error = allow: what it held and this data go on, and it sees no more of this body.
  state.off = true;
  if (state.held.empty())
    return false;
  next.swap(state.held);
  state.held.clear();
  next.append(in);
  return true;
}

} // namespace exaproxy::plugin
