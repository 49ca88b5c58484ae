// Bodies through the plugins (ABI 1.7): body_want and body_held behind the C table, and the walk
// of a body's pieces through the on_body hooks of the plugins that asked for it.
#include "plugin/body_hooks.h"

#include "plugin/pending_verdict.h"
#include "plugin/plugin_transaction.h"
#include "plugin/txn_state.h"

#include "http/header_map.h"
#include "http/request_parser.h"

#include <exception>

namespace exaproxy::plugin {

namespace {

// A kWants* bit (the response's) for the body of `which`.
uint8_t bitFor(int32_t which, uint8_t responseBit) {
  return which == EXAPROXY_REQUEST ? static_cast<uint8_t>(responseBit << 1) : responseBit;
}

uint8_t bitOf(int32_t which) { return bitFor(which, kWantsResponseBody); }

bool hasBodyHook(const exaproxy_plugin& d) {
  return EXAPROXY_HAS_FIELD(&d, exaproxy_plugin, on_body) && d.on_body;
}

// Keeps of an Accept-Encoding list what the host can decode (and identity), so that the origin
// of a body a plugin reads decoded does not choose br or zstd. Nothing left: no field (identity).
void narrowAcceptEncoding(http::HeaderMap& headers) {
  auto value = headers.get("accept-encoding");
  if (!value)
    return;
  std::string kept;
  http::forEachListElement(*value, [&](std::string_view element) {
    std::string_view coding = element.substr(0, element.find(';'));
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t'))
      coding.remove_suffix(1);
    for (std::string_view known : {"gzip", "x-gzip", "deflate", "identity"})
      if (http::iequals(coding, known)) {
        kept.append(kept.empty() ? "" : ", ").append(element);
        break;
      }
    return true;
  });
  if (kept.empty())
    headers.remove("accept-encoding");
  else
    headers.set("Accept-Encoding", kept);
}

} // namespace

int32_t bodyWant(exaproxy_txn* t, int32_t which, uint32_t flags) {
  constexpr uint32_t kKnown = EXAPROXY_WANT_DECODED | EXAPROXY_WANT_PLAIN;
  if (!t || (which != EXAPROXY_REQUEST && which != EXAPROXY_RESPONSE) || (flags & ~kKnown) != 0)
    return EXAPROXY_E_INVALID;
  if (!t->inHeadHook || !t->chain || t->current >= t->chain->links().size() || !t->req)
    return EXAPROXY_E_UNAVAILABLE;
  // Tunnels are never filtered (their bytes are encrypted); a request's body is asked for
  // before it goes, in a request hook.
  if (t->req->isConnect() || (which == EXAPROXY_REQUEST && t->resp))
    return EXAPROXY_E_UNAVAILABLE;
  if (!hasBodyHook(t->chain->links()[t->current].plugin->descriptor()))
    return EXAPROXY_E_UNAVAILABLE;
  try {
    if (t->bodyWants.size() <= t->current)
      t->bodyWants.resize(t->chain->links().size(), 0);
  } catch (...) {
    return EXAPROXY_E_UNAVAILABLE;
  }
  uint8_t bits = bitOf(which);
  if (flags & EXAPROXY_WANT_DECODED) {
    bits |= bitFor(which, kWantsDecoded);
    if (flags & EXAPROXY_WANT_PLAIN)
      bits |= bitFor(which, kWantsPlain);
    if (which == EXAPROXY_RESPONSE && !t->resp) { // the origin has not chosen its coding yet
      try {
        narrowAcceptEncoding(t->req->headers);
      } catch (...) {
        return EXAPROXY_E_UNAVAILABLE;
      }
    }
  }
  t->bodyWants[t->current] |= bits;
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

bool PluginTransaction::wantsBody(int32_t which) const { return bodyFlags(which) != 0; }

uint32_t PluginTransaction::bodyFlags(int32_t which) const {
  uint8_t bit = bitOf(which);
  uint32_t flags = 0;
  for (size_t i = 0; i < txn_.bodyWants.size(); ++i) {
    uint8_t w = txn_.bodyWants[i];
    const auto& states = bodies_[which == EXAPROXY_REQUEST ? 0 : 1];
    if (!(w & bit) || (i < states.size() && states[i].off))
      continue;
    flags |= kBodyAsked;
    if (w & bitFor(which, kWantsDecoded))
      flags |= EXAPROXY_WANT_DECODED;
    if (w & bitFor(which, kWantsPlain))
      flags |= EXAPROXY_WANT_PLAIN;
  }
  return flags;
}

std::optional<Outcome> PluginTransaction::decodeRefusal(int32_t which, const std::string& why,
                                                        bool skip) {
  const auto& links = chain_->links();
  uint8_t bit = bitOf(which);
  for (size_t i = 0; i < links.size() && i < txn_.bodyWants.size(); ++i) {
    uint8_t w = txn_.bodyWants[i];
    if (!(w & bit) || !(w & bitFor(which, kWantsDecoded)) || linkBody(which, i).off)
      continue;
    Outcome o = detail::failurePolicy(links[i], false, why);
    if (o.kind != Outcome::Kind::Continue)
      return o;
    if (skip)
      linkBody(which, i).off = true;
  }
  return std::nullopt;
}

PluginTransaction::LinkBody& PluginTransaction::linkBody(int32_t which, size_t i) {
  auto& states = bodies_[which == EXAPROXY_REQUEST ? 0 : 1];
  if (states.size() <= i)
    states.resize(chain_->links().size());
  return states[i];
}

PluginTransaction::BodyStep PluginTransaction::runBody(int32_t which, std::string_view data,
                                                       bool end, std::string& out, bool refer) {
  return walkBody(which, 0, data, end, out, refer);
}

PluginTransaction::BodyStep PluginTransaction::takeBody(std::string& out) {
  out.append(bodyReady_);
  bodyReady_.clear();
  BodyStep r = std::move(bodyResult_);
  bodyResult_ = BodyStep{};
  return r;
}

PluginTransaction::BodyStep PluginTransaction::walkBody(int32_t which, size_t from,
                                                        std::string_view in, bool end,
                                                        std::string& out, bool refer) {
  BodyStep result;
  const auto& links = chain_->links();
  uint8_t bit = bitOf(which);
  int scratch = 0;
  bool changed = false;
  for (size_t i = from; i < links.size() && i < txn_.bodyWants.size(); ++i) {
    if (!(txn_.bodyWants[i] & bit) || linkBody(which, i).off)
      continue;
    std::string& next = bodyScratch_[scratch];
    next.clear();
    switch (bodyCall(i, which, in, end, next, result)) {
    case BodyLink::Pass:
      continue; // `in` goes on unchanged
    case BodyLink::Output:
      in = next;
      scratch ^= 1;
      changed = true;
      continue;
    case BodyLink::Answered:
      return result;
    case BodyLink::Waiting:
      result.waiting = true;
      return result;
    }
  }
  if (refer && !changed) {
    result.unchanged = true; // `in` is still the caller's data
    return result;
  }
  out.append(in);
  return result;
}

PluginTransaction::BodyLink PluginTransaction::bodyCall(size_t i, int32_t which,
                                                        std::string_view in, bool end,
                                                        std::string& next, BodyStep& result) {
  auto& p = *chain_->links()[i].plugin;
  LinkBody& state = linkBody(which, i);
  exaproxy_verdict v;
  std::string why;
  int32_t action = EXAPROXY_ERROR;
  p.counters.calls.fetch_add(1, std::memory_order_relaxed);
  txn_.current = i;
  txn_.taken = 0;
  txn_.allowPending = true;
  txn_.held = exaproxy_str{state.held.data(), state.held.size()};
  try {
    action = p.descriptor().on_body(p.instance(), &txn_, which, exaproxy_str{in.data(), in.size()},
                                    end ? uint32_t{EXAPROXY_BODY_END} : 0u, &v);
  } catch (const std::exception& e) {
    why = std::string("exception escaped the plugin: ") + e.what();
  } catch (...) {
    why = "exception escaped the plugin";
  }
  exaproxy_pending taken = txn_.taken;
  txn_.taken = 0;
  txn_.allowPending = false;
  txn_.held = exaproxy_str{};
  txn_.current = kNone;
  detail::countVerdict(p, action);
  if (action == EXAPROXY_PENDING && taken != 0) {
    bodyWait_.active = true;
    bodyWait_.which = which;
    bodyWait_.link = i;
    bodyWait_.end = end;
    bodyWait_.input.assign(in);
    bodyWait_.handle = taken;
    timer_.arm(chain_->links()[i].policy.timeout);
    return BodyLink::Waiting; // onPendingComplete() or onTimeout() goes on (resumeBody)
  }
  if (taken != 0) // took a handle but answered at once: the handle is void now
    PendingTable::instance().release(taken);
  if (action == EXAPROXY_PENDING) {
    action = EXAPROXY_ERROR;
    why = "PENDING without pending_handle()";
    p.counters.errors.fetch_add(1, std::memory_order_relaxed);
  }
  return applyBody(i, which, in, end, action, v, std::move(why), next, result);
}

// A verdict (returned, or completed later) on the piece `in` of link i.
PluginTransaction::BodyLink PluginTransaction::applyBody(size_t i, int32_t which,
                                                         std::string_view in, bool end,
                                                         int32_t action, exaproxy_verdict& v,
                                                         std::string why, std::string& next,
                                                         BodyStep& result) {
  const auto& link = chain_->links()[i];
  auto& p = *link.plugin;
  LinkBody& state = linkBody(which, i);
  switch (action) {
  case EXAPROXY_CONTINUE:
    applyCarried(txn_, i, v);
    return passHeld(state, in, next);
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
    return BodyLink::Output;
  }
  case EXAPROXY_REDIRECT:
  case EXAPROXY_RESPOND:
  case EXAPROXY_DENY:
    if (detail::finalOutcome(action, v, result.answer, why)) {
      applyCarried(txn_, i, v);
      result.answer.plugin = p.name();
      result.answer.pluginName = p.descriptor().name;
      result.answered = true;
      return BodyLink::Answered;
    }
    result.answer = Outcome{};
    break;
  case EXAPROXY_ERROR:
    if (why.empty())
      why = v.outcome.reason.empty() ? "ERROR verdict" : v.outcome.reason;
    break;
  default:
    why = "verdict " + std::to_string(action) + " is not allowed in on_body";
    break;
  }
  if (action > EXAPROXY_CONTINUE && action <= EXAPROXY_HOLD && action != EXAPROXY_ERROR)
    p.counters.errors.fetch_add(1, std::memory_order_relaxed); // a known verdict, misused
  return failBody(i, state, in, false, why, next, result);
}

// The plugin failed (or timed out): its policy decides. Deny answers 503; allow passes what it
// held and `in` on, and it sees no more of this body.
PluginTransaction::BodyLink PluginTransaction::failBody(size_t i, LinkBody& state,
                                                        std::string_view in, bool timeout,
                                                        const std::string& why, std::string& next,
                                                        BodyStep& result) {
  Outcome o = detail::failurePolicy(chain_->links()[i], timeout, why);
  if (o.kind != Outcome::Kind::Continue) {
    result.answer = std::move(o);
    result.answered = true;
    return BodyLink::Answered;
  }
  state.off = true;
  return passHeld(state, in, next);
}

// What the plugin held, then `in`, go on (and it holds nothing more).
PluginTransaction::BodyLink PluginTransaction::passHeld(LinkBody& state, std::string_view in,
                                                        std::string& next) {
  if (state.held.empty())
    return BodyLink::Pass;
  next.swap(state.held);
  state.held.clear();
  next.append(in);
  return BodyLink::Output;
}

// A stopped walk goes on: the waiting plugin's verdict arrived (v), or its time ran out.
void PluginTransaction::resumeBody(int32_t action, exaproxy_verdict* v, bool timedOut) {
  timer_.cancel();
  BodyWait w = std::move(bodyWait_);
  bodyWait_ = BodyWait{};
  PendingTable::instance().release(w.handle); // a late complete() is now a no-op
  const auto& link = chain_->links()[w.link];
  std::string next;
  BodyStep result;
  BodyLink k;
  if (timedOut) {
    link.plugin->counters.timeouts.fetch_add(1, std::memory_order_relaxed);
    k = failBody(w.link, linkBody(w.which, w.link), w.input, true,
                 "no body verdict after " + std::to_string(link.policy.timeout.count()) + "ms",
                 next, result);
  } else {
    detail::countVerdict(*link.plugin, action);
    std::string why;
    if (action == EXAPROXY_PENDING) {
      action = EXAPROXY_ERROR;
      why = "complete() with PENDING";
    }
    k = applyBody(w.link, w.which, w.input, w.end, action, *v, std::move(why), next, result);
  }
  if (k == BodyLink::Answered) {
    bodyResult_ = std::move(result);
  } else {
    std::string_view in = k == BodyLink::Output ? std::string_view(next) : w.input;
    BodyStep rest = walkBody(w.which, w.link + 1, in, w.end, bodyReady_);
    if (rest.answered)
      bodyResult_ = std::move(rest);
  }
  auto resume = bodyResume_; // last: the callback may end the transaction
  if (resume)
    resume();
}

} // namespace exaproxy::plugin
