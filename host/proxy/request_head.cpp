#include "proxy/request_head.h"

#include "proxy/admission.h"
#include "proxy/denial_log.h"
#include "proxy/filter_stage.h"
#include "proxy/loop_context.h"
#include "proxy/proxy_log.h"

namespace exaproxy::proxy {

Next readRequestHead(const Exchange& ex) {
  auto& tx = ex.tx;
  auto st = tx.parser.parse(ex.down.in.view(), tx.req);
  if (st == http::ParseState::NeedMore) {
    if (!ex.down.eof)
      return Next::stay();
    return Next::error(400, "The request ended before its head was complete.", "NONE_NONE", true);
  }
  if (st == http::ParseState::Error) {
    bump(ex.ctx.counters().parse_errors);
    const auto& e = tx.parser.error();
    logDenial("request.rejected: " + e.reason, "request.rejected client={} status={} reason=\"{}\"",
              ex.client.toString(), e.status, e.reason);
    return Next::error(e.status, e.reason, "NONE_NONE", true);
  }
  ex.down.in.consume(tx.parser.consumed());
  ex.cur.haveRequest = true;
  return Next::progress();
}

Next admitRequest(const Exchange& ex, bool routeByHost) {
  auto admission = admit(ex.tx.req, ex.cfg, Origin{ex.client, ex.ctx.localHost(), routeByHost});
  switch (admission.next) {
  case Admission::Next::ProxyPage:
    return answerProxyItself(ex);
  case Admission::Next::Answer:
    if (!admission.event.empty()) {
      bump(ex.ctx.counters().denied);
      logDenial(std::string(admission.event) + ": " + admission.reason,
                "{} client={} url={} reason=\"{}\"", admission.event, ex.client.toString(),
                ex.tx.req.url(), admission.reason);
    }
    return Next::answerWith(std::move(admission.answer));
  case Admission::Next::Filter:
    break;
  }
  ex.tx.selfTarget = admission.selfTarget;
  return Next::to(Next::Kind::Filter);
}

} // namespace exaproxy::proxy
