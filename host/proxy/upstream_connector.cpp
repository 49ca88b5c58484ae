#include "proxy/upstream_connector.h"

#include "proxy/denial_log.h"
#include "proxy/destination_policy.h"
#include "proxy/loop_context.h"
#include "proxy/proxy_log.h"

namespace exaproxy::proxy {

namespace {

std::string dnsDetail(const dns::Answer& answer, const std::string& host) {
  switch (answer.status) {
  case dns::DnsStatus::NxDomain:
  case dns::DnsStatus::NoData:
    return "The name " + host + " does not exist (" + answer.message + ").";
  case dns::DnsStatus::ServFail:
  case dns::DnsStatus::Refused:
    return "The DNS server failed to resolve " + host + " (" + answer.message + ").";
  case dns::DnsStatus::Timeout:
    return "The DNS server did not answer in time for " + host + ".";
  default:
    return "The name " + host + " could not be resolved (" + answer.message + ").";
  }
}

} // namespace

Next resolved(const Exchange& ex, const dns::Answer& answer) {
  auto& tx = ex.tx;
  // Closed after a refusal: the body, or a CONNECT's first tunnel bytes, may follow the head.
  bool close = tx.req.framing != http::Framing::None || tx.req.isConnect();
  if (answer.status != dns::DnsStatus::Ok || answer.addresses.empty()) {
    bump(ex.ctx.counters().dns_errors);
    proxyLog()->info("dns.failed name={} status={} message=\"{}\"", tx.destHost,
                     dns::toString(answer.status), answer.message);
    int status = answer.status == dns::DnsStatus::Timeout ? 504 : 502;
    return Next::error(status, dnsDetail(answer, tx.destHost), "TCP_MISS", close);
  }
  // Every address is checked, not only the one we would connect to first: a name must not
  // reach a denied network (or ourselves) through its second answer.
  for (const auto& a : answer.addresses) {
    Endpoint to{a, ex.cur.destPort};
    auto refusal = checkAddress(to, ex.cfg, ex.ctx.localHost());
    if (refusal == Refusal::None)
      continue;
    bump(ex.ctx.counters().denied);
    logDenial(std::string("destination.denied: ").append(describe(refusal)),
              "destination.denied client={} url={} address={} reason=\"{}\"", ex.client.toString(),
              tx.req.url(), to.toString(), describe(refusal));
    return Next::error(403,
                       refusal == Refusal::Listener
                           ? "Forwarding loop: the destination is this proxy."
                           : "The destination address " + a.toString() + " is not allowed.",
                       "TCP_DENIED", close);
  }
  tx.connector.reset(answer.addresses, ex.cur.destPort);
  return Next::to(Next::Kind::Connect);
}

Next connectNext(const Exchange& ex) {
  auto& tx = ex.tx;
  auto& counters = ex.ctx.counters();
  if (!tx.req.isConnect() && !tx.req.upgradeWebsocket && !ex.cur.retried) {
    for (const auto& c : tx.connector.candidates()) {
      // A body-less request on a connection found closed is retried once (retryStale); one
      // with a body is not, so its connection is probed first.
      bool probe = tx.req.framing != http::Framing::None;
      if (auto conn = ex.ctx.pool().take(c, probe); conn.fd.valid()) {
        ex.up.s.fd = std::move(conn.fd);
        ex.up.s.watch = std::move(conn.watch);
        ex.up.remote = c;
        ex.up.reused = true;
        ex.up.connected = true;
        bump(counters.upstream_reused);
        return Next::to(Next::Kind::Forward);
      }
    }
  }
  size_t failures = 0;
  auto started = tx.connector.startNext(ex.cfg.bind4, ex.cfg.bind6, failures);
  if (failures)
    bump(counters.upstream_connect_errors, failures);
  if (started) {
    ex.up.s.fd = std::move(started->fd);
    ex.up.remote = started->to;
    ex.up.reused = false;
    ex.up.connected = false;
    Next n = Next::to(Next::Kind::Connecting);
    n.rearm = Rearm::Connect;
    return n;
  }
  const auto& error = tx.connector.lastError();
  return Next::error(502,
                     "Could not connect to " + tx.destHost + ": " +
                         (error.empty() ? "no address to try" : error) + ".",
                     "TCP_MISS", tx.req.framing != http::Framing::None);
}

Next connectFailed(const Exchange& ex, const std::string& error, bool timedOut) {
  bump(ex.ctx.counters().upstream_connect_errors);
  ex.tx.connector.failed(error + " (" + ex.up.remote.toString() + ")");
  if (!timedOut)
    proxyLog()->info("upstream.connect_failed to={} error=\"{}\"", ex.up.remote.toString(), error);
  ex.up.close();
  if (!timedOut || !ex.tx.connector.exhausted())
    return connectNext(ex);
  bump(ex.ctx.counters().upstream_timeouts);
  return Next::error(
      504, "The server did not accept the connection in time: " + ex.tx.connector.lastError(),
      "TCP_MISS", !ex.cur.reqBody.done());
}

Next connected(const Exchange& ex) {
  ex.up.connected = true;
  bump(ex.ctx.counters().upstream_connects);
  ex.cur.hierarchy = "HIER_DIRECT";
  if (!ex.tx.req.isConnect())
    return Next::to(Next::Kind::Forward);
  bump(ex.ctx.counters().tunnels);
  ex.cur.status = 200;
  ex.cur.resultCode = "TCP_TUNNEL";
  ex.down.out.append("HTTP/1.1 200 Connection established\r\n\r\n");
  return Next::to(Next::Kind::Tunnel);
}

bool retryStale(const Exchange& ex) {
  auto& cur = ex.cur;
  if (!ex.up.reused || cur.respBytesFromUpstream != 0 || cur.retried ||
      ex.tx.req.framing != http::Framing::None)
    return false;
  proxyLog()->debug("upstream.stale to={} retrying", ex.up.remote.toString());
  cur.retried = true;
  ex.up.close();
  ex.up.s.out = net::Buffer();
  ex.up.s.eof = false;
  ex.tx.connector.rewind();
  return true;
}

} // namespace exaproxy::proxy
