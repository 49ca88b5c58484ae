// Who changed a request, and how, for the access log's decision field: `rewritten:<plugins>`
// names the plugins that rewrote it, and leaves out the bookkeeping of identity plugins (xff
// appending X-Forwarded-For is not a rewrite, or every request would say "rewritten").
#include "http/header_map.h"
#include "plugin/loaded_plugin.h"
#include "plugin/plugin_chain.h"
#include "plugin/txn_state.h"

namespace exaproxy::plugin {

namespace {

bool identityHeader(std::string_view name) {
  for (std::string_view h : {"x-forwarded-for", "forwarded", "x-real-ip", "via"})
    if (http::iequals(name, h))
      return true;
  return false;
}

} // namespace

void markChange(exaproxy_txn& t, uint8_t bits) {
  if (!t.chain || t.current >= t.chain->links().size())
    return;
  if (t.changes.size() <= t.current)
    t.changes.resize(t.chain->links().size(), 0);
  t.changes[t.current] |= bits;
}

void markHeaderChange(exaproxy_txn& t, std::string_view name) {
  markChange(t, identityHeader(name) ? kChangedIdentityHeaders : kChangedHeaders);
}

std::string rewrittenBy(const exaproxy_txn& t) {
  std::string out;
  for (size_t i = 0; i < t.changes.size() && t.chain && i < t.chain->links().size(); ++i) {
    uint8_t c = t.changes[i];
    bool counts = (c & kChangedUrl) || ((c & kChangedHeaders) && !(c & kSetIdentity));
    if (!counts)
      continue;
    if (!out.empty())
      out += ',';
    out += t.chain->links()[i].plugin->name();
  }
  return out;
}

void applyCarried(exaproxy_txn& t, size_t link, const exaproxy_verdict& v) {
  for (const auto& n : v.notes)
    setNote(t.notes, n.key, n.value, n.flags); // checked when carried; only the count can refuse
  if (v.user) {
    t.identity.user = *v.user;
    size_t running = t.current;
    t.current = link; // the identity is this link's, whenever its verdict arrives
    markChange(t, kSetIdentity);
    t.current = running;
  }
}

} // namespace exaproxy::plugin
