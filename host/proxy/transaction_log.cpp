#include "proxy/transaction_log.h"

#include "core/access_log.h"
#include "plugin/plugin_transaction.h"
#include "proxy/loop_context.h"
#include "proxy/tx_cache.h"

namespace exaproxy::proxy {

void countRead(const Exchange& ex, Side side, uint64_t n) {
  auto& c = ex.ctx.counters();
  if (side == Side::Client) {
    ex.totals.in += n;
    bump(c.bytes_from_clients, n);
    if (ex.tcpPeer.address.isV6())
      bump(c.bytes_from_clients_v6, n);
  } else {
    ex.cur.respBytesFromUpstream += n;
    bump(c.bytes_from_upstream, n);
    if (ex.up.remote.address.isV6())
      bump(c.bytes_from_upstream_v6, n);
  }
}

void countWritten(const Exchange& ex, Side side, uint64_t n) {
  auto& c = ex.ctx.counters();
  if (side == Side::Client) {
    ex.totals.out += n;
    ex.cur.bytesToClient += n;
    bump(c.bytes_to_clients, n);
    if (ex.tcpPeer.address.isV6())
      bump(c.bytes_to_clients_v6, n);
  } else {
    bump(c.bytes_to_upstream, n);
    if (ex.up.remote.address.isV6())
      bump(c.bytes_to_upstream_v6, n);
  }
}

namespace {

void countStatus(Counters& c, int status) {
  switch (status / 100) {
  case 2:
    bump(c.responses_2xx);
    break;
  case 3:
    bump(c.responses_3xx);
    break;
  case 4:
    bump(c.responses_4xx);
    break;
  case 5:
    bump(c.responses_5xx);
    break;
  default:
    break;
  }
}

} // namespace

void logAccess(const Exchange& ex, plugin::PluginTransaction* plugins) {
  auto& cur = ex.cur;
  if (!cur.started || cur.logged)
    return;
  cur.logged = true;
  countStatus(ex.ctx.counters(), cur.status);
  auto now = ex.ctx.loop().now();
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - cur.start);
  ex.ctx.totalLatency().record(static_cast<uint64_t>(elapsed.count()));
  if (plugins && !plugins->identity().user.empty())
    ex.totals.user = plugins->identity().user;
  if (plugins)
    plugins->done(
        plugin::TxSummary{cur.status, ex.totals.in, cur.bytesToClient,
                          std::chrono::duration_cast<std::chrono::microseconds>(now - cur.start)});
  if (!AccessLog::instance().enabled())
    return;
  // The record holds views: these strings live until write() returned.
  std::string peerText;
  std::string upstreamText;
  std::string noteText;
  std::string& url = detail::urlScratch();
  if (cur.haveRequest)
    ex.tx.req.appendUrl(url);
  else
    url = "error:invalid-request";
  AccessRecord r;
  r.end = std::chrono::system_clock::now();
  r.elapsed = elapsed;
  if (plugins && !plugins->identity().address.empty()) {
    r.client = plugins->identity().address;
  } else {
    peerText = ex.client.address.toString();
    r.client = peerText;
  }
  if (plugins)
    r.user = plugins->identity().user;
  r.note = ex.tx.note;
  if (plugins && !plugins->notes().empty()) { // the notes plugins want logged follow the decision
    noteText = ex.tx.note;
    plugin::appendLoggedNotes(noteText, plugins->notes());
    r.note = noteText;
  }
  r.resultCode = cur.resultCode.empty() ? std::string_view("NONE_NONE") : cur.resultCode;
  r.status = cur.status;
  r.bytesSent = cur.bytesToClient;
  // A request rejected by the parser is logged as Squid does: NONE error:invalid-request.
  r.method = cur.haveRequest ? std::string_view(ex.tx.req.method) : std::string_view("NONE");
  r.url = url;
  r.hierarchy = cur.hierarchy;
  if (cur.hierarchy == "HIER_DIRECT") {
    upstreamText = ex.up.remote.address.toString();
    r.upstream = upstreamText;
  } else {
    r.upstream = "-";
  }
  r.contentType = ex.tx.contentType;
  AccessLog::instance().write(r);
}

} // namespace exaproxy::proxy
