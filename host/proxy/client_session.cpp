#include "proxy/client_session.h"

#include "core/access_log.h"
#include "core/logging.h"
#include "http/error_pages.h"
#include "http/serializer.h"
#include "http/syntax.h"
#include "plugin/plugin_runtime.h"
#include "proxy/admission.h"
#include "proxy/local_response.h"
#include "proxy/loop_context.h"
#include "proxy/tx_cache.h"
#include "workers/worker_pool.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace exaproxy::proxy {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kBufferLimit = 128 * 1024; // per direction, while relaying bodies

std::shared_ptr<spdlog::logger>& log() {
  static auto l = logger("proxy");
  return l;
}

} // namespace

ClientSession::ClientSession(LoopContext& ctx, net::Fd fd, const Endpoint& peer,
                             const ListenerConfig& listener, const Endpoint& listenerEndpoint)
    : ctx_(ctx), cfg_(ctx.config()), fd_(std::move(fd)), peer_(peer), tcpPeer_(peer),
      listener_(listener), listenerEndpoint_(listenerEndpoint),
      timer_(ctx.loop(), [this] { onTimeout(); }) {
  connStart_ = ctx_.loop().now();
  bump(ctx_.counters().connections_accepted);
  bump(ctx_.counters().connections_active);
}

ClientSession::~ClientSession() {
  exaproxy::drop(ctx_.counters().connections_active);
  if (state_ == TxState::Idle)
    exaproxy::drop(ctx_.counters().connections_idle);
  if (state_ == TxState::Tunnelling)
    exaproxy::drop(ctx_.counters().tunnels_active);
  if (counted_)
    ctx_.shared().releaseClient(tcpPeer_.address);
  ctx_.shared().connections.fetch_sub(1, std::memory_order_relaxed);
}

void ClientSession::start() {
  counted_ = ctx_.shared().admitClient(tcpPeer_.address, cfg_->maxConnectionsPerClient);
  watch_ = net::IoWatch(ctx_.loop(), fd_.get(), EPOLLIN, [this](uint32_t e) { onClientEvent(e); });
  if (listener_.proxyProtocol != ProxyProtocol::Off) {
    // The header comes first, from a load balancer we trust, or the connection is closed without
    // a word (there is no HTTP client to answer yet).
    if (!listener_.proxyTrusted.contains(tcpPeer_.address)) {
      bump(ctx_.counters().proxy_protocol_errors);
      log()->warn("proxy_protocol.refused peer={} reason=\"not in proxy_trusted\"",
                  tcpPeer_.toString());
      finish();
      return;
    }
    proxyHeader_ =
        std::make_unique<net::ProxyProtocolParser>(net::proxyProtocolMode(listener_.proxyProtocol));
    setState(TxState::ReadingHead);
    timer_.arm(std::min<net::Millis>(cfg_->headerRead, net::Millis(5000)));
    return;
  }
  if (!admitConnection())
    return;
  setState(TxState::Idle);
  timer_.arm(cfg_->headerRead);
}

bool ClientSession::admitConnection() {
  if (!counted_) {
    bump(ctx_.counters().connections_refused);
    log()->warn("client.refused client={} reason=\"too many connections from this address\"",
                tcpPeer_.address.toString());
    respondError(503, "Too many connections from your address.", "NONE_NONE", true);
    advance();
    return false;
  }
  if (auto* runtime = ctx_.shared().runtime) {
    auto verdict = runtime->chain()->onAccept(plugin::TxInfo{peer_, listenerEndpoint_});
    if (verdict.kind == plugin::Outcome::Kind::Deny) {
      bump(ctx_.counters().denied);
      log()->info("client.refused client={} plugin={} reason=\"{}\"", peer_.toString(),
                  verdict.plugin, verdict.reason);
      finish();
      return false;
    }
  }
  return true;
}

bool ClientSession::stepProxyHeader() {
  auto st = proxyHeader_->parse(in_.view());
  if (st == net::ProxyParseState::NeedMore) {
    if (clientEof_) {
      bump(ctx_.counters().proxy_protocol_errors);
      log()->warn("proxy_protocol.failed peer={} reason=\"closed before the header ended\"",
                  tcpPeer_.toString());
      finish();
    }
    return false;
  }
  if (st == net::ProxyParseState::Error) {
    bump(ctx_.counters().proxy_protocol_errors);
    log()->warn("proxy_protocol.failed peer={} reason=\"{}\"", tcpPeer_.toString(),
                proxyHeader_->error());
    finish();
    return false;
  }
  const auto& h = proxyHeader_->header();
  if (!h.local && h.source)
    peer_ = *h.source; // the real client, for the ACL, the plugins and the access log
  proxyAuthority_ = h.authority;
  in_.consume(proxyHeader_->consumed());
  proxyHeader_.reset();
  if (!admitConnection())
    return false;
  setState(TxState::Idle);
  timer_.arm(cfg_->headerRead);
  return true;
}

void ClientSession::setState(TxState s) {
  if (state_ == s)
    return;
  if (s == TxState::Idle)
    bump(ctx_.counters().connections_idle);
  else if (state_ == TxState::Idle)
    exaproxy::drop(ctx_.counters().connections_idle);
  if (s == TxState::Tunnelling)
    bump(ctx_.counters().tunnels_active);
  else if (state_ == TxState::Tunnelling)
    exaproxy::drop(ctx_.counters().tunnels_active);
  state_ = s;
}

SessionInfo ClientSession::info() const {
  SessionInfo i;
  i.client = peer_.toString();
  i.state = state_;
  if (cur_.haveRequest) {
    i.method = std::string(tx_->req.method);
    i.target = tx_->req.url();
  }
  if (up_.valid())
    i.upstream = upRemote_.toString();
  i.bytesIn = bytesIn_;
  i.bytesOut = bytesOut_;
  i.ageSeconds = std::chrono::duration<double>(ctx_.loop().now() - connStart_).count();
  return i;
}

void ClientSession::drain() {
  if (state_ == TxState::Idle && in_.empty()) {
    finish();
    return;
  }
  closeAfter_ = true;
}

// ---------------------------------------------------------------------------------------------
// Events

void ClientSession::onClientEvent(uint32_t events) {
  if (closed_)
    return;
  if (events & EPOLLOUT)
    clientBlocked_ = false;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    if (splicing(Side::Client)) {
      toUpstream_.readable = true; // stepTunnel() splices it
    } else {
      size_t limit = (state_ == TxState::Idle || state_ == TxState::ReadingHead)
                         ? cfg_->maxRequestHead + kReadChunk
                         : kBufferLimit;
      if (!readInto(fd_.get(), in_, limit, clientEof_, Side::Client))
        return;
    }
  }
  advance();
}

void ClientSession::onUpstreamEvent(uint32_t events) {
  if (closed_)
    return;
  if (!upConnected_) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
      int err = net::socketError(up_.get());
      if (err != 0) {
        bump(ctx_.counters().upstream_connect_errors);
        tx_->connectError = std::string(std::strerror(err)) + " (" + upRemote_.toString() + ")";
        log()->info("upstream.connect_failed to={} error=\"{}\"", upRemote_.toString(),
                    std::strerror(err));
        closeUpstream();
        connectNext();
      } else {
        onConnected();
      }
      advance();
    }
    return;
  }
  if (events & EPOLLOUT)
    upBlocked_ = false;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    if (splicing(Side::Upstream))
      toClient_.readable = true;
    else if (!readInto(up_.get(), upIn_, kBufferLimit, upEof_, Side::Upstream))
      return;
  }
  advance();
}

void ClientSession::onTimeout() {
  if (closed_)
    return;
  if (proxyHeader_) {
    bump(ctx_.counters().proxy_protocol_errors);
    log()->warn("proxy_protocol.timeout peer={}", tcpPeer_.toString());
    finish();
    return;
  }
  switch (state_) {
  case TxState::Idle:
    if (in_.empty()) {
      finish(); // idle keep-alive connection: close quietly, as every proxy does
      return;
    }
    [[fallthrough]];
  case TxState::ReadingHead:
    log()->info("client.timeout client={} state=ReadingHead", peer_.toString());
    respondError(408, "The request head did not arrive in time.", "NONE_NONE", true);
    break;
  case TxState::Connecting:
    bump(ctx_.counters().upstream_connect_errors);
    tx_->connectError = "connect timeout (" + upRemote_.toString() + ")";
    closeUpstream();
    if (cur_.nextCandidate < tx_->candidates.size()) {
      connectNext();
    } else {
      bump(ctx_.counters().upstream_timeouts);
      respondError(504, "The server did not accept the connection in time: " + tx_->connectError,
                   "TCP_MISS", !cur_.reqBody.done());
    }
    break;
  case TxState::Forwarding:
    if (!cur_.respHeadDone && cur_.bytesToClient == 0 && out_.empty()) {
      bump(ctx_.counters().upstream_timeouts);
      closeUpstream();
      respondError(504,
                   cur_.requestSent ? "The server did not start its response in time."
                                    : "The request body did not go through in time.",
                   "TCP_MISS", true);
      break;
    }
    abort("relay timeout");
    return;
  case TxState::Resolving:
  case TxState::Filtering:
    respondError(504, "The request could not be routed in time.", "TCP_MISS", true);
    break;
  default:
    abort(std::string("idle timeout in state ") + std::string(toString(state_)));
    return;
  }
  advance();
}

// ---------------------------------------------------------------------------------------------
// The driver

void ClientSession::advance() {
  for (int rounds = 0; rounds < 64 && !closed_; ++rounds) {
    bool progressed = false;
    switch (state_) {
    case TxState::Idle:
    case TxState::ReadingHead:
      progressed = proxyHeader_ ? stepProxyHeader() : stepHead();
      break;
    case TxState::Forwarding:
    case TxState::Relaying:
      progressed = stepHttp();
      break;
    case TxState::Tunnelling:
      progressed = stepTunnel();
      break;
    case TxState::Responding:
    case TxState::Closing:
      progressed = stepLocal();
      break;
    case TxState::Filtering:
    case TxState::Resolving:
    case TxState::Connecting:
      break; // waiting for a callback
    }
    if (!progressed)
      break;
  }
  if (!closed_)
    updateInterest();
}

void ClientSession::updateInterest() {
  uint32_t ce = 0;
  bool wantClient = false;
  switch (state_) {
  case TxState::Idle:
  case TxState::ReadingHead:
    wantClient = in_.size() < cfg_->maxRequestHead + kReadChunk;
    break;
  case TxState::Forwarding:
  case TxState::Relaying:
    // Reading on (into the room left) while the response flows costs nothing and saves two
    // epoll_ctl per request; a pipelined request simply waits in in_.
    wantClient = in_.size() < (cur_.reqBody.done() ? cfg_->maxRequestHead : kBufferLimit);
    break;
  case TxState::Tunnelling:
    // Read a side only once what was read before has left: its buffer has room, its pipe is empty.
    wantClient = !upShut_ && in_.size() < kBufferLimit && toUpstream_.pipe.pending() == 0;
    break;
  default:
    break;
  }
  if (wantClient && !clientEof_)
    ce |= EPOLLIN;
  if (clientBlocked_)
    ce |= EPOLLOUT;
  watch_.setEvents(ce);

  if (!up_.valid())
    return;
  uint32_t ue = 0;
  if (!upConnected_) {
    ue = EPOLLOUT;
  } else {
    bool wantUp = false;
    if (state_ == TxState::Forwarding || state_ == TxState::Relaying)
      wantUp = !cur_.respBody.done() && upIn_.size() < kBufferLimit;
    else if (state_ == TxState::Tunnelling)
      wantUp = !clientShut_ && upIn_.size() < kBufferLimit && toClient_.pipe.pending() == 0;
    if (wantUp && !upEof_)
      ue |= EPOLLIN;
    if (upBlocked_)
      ue |= EPOLLOUT;
  }
  upWatch_.setEvents(ue);
}

// ---------------------------------------------------------------------------------------------
// Reading the request head

bool ClientSession::stepHead() {
  if (in_.empty()) {
    if (clientEof_) {
      finish();
      return false;
    }
    in_.releaseIfEmpty();
    return false;
  }
  if (!tx_)
    tx_ = detail::takeTx<Transaction>(http::Limits{cfg_->maxRequestHead, cfg_->maxUri});
  if (state_ == TxState::Idle) {
    setState(TxState::ReadingHead);
    timer_.arm(cfg_->headerRead);
    cur_.started = true;
    cur_.start = ctx_.loop().now();
  }
  auto st = tx_->parser.parse(in_.view(), tx_->req);
  if (st == http::ParseState::NeedMore) {
    if (clientEof_) {
      respondError(400, "The request ended before its head was complete.", "NONE_NONE", true);
      return true;
    }
    return false;
  }
  if (st == http::ParseState::Error) {
    bump(ctx_.counters().parse_errors);
    const auto& e = tx_->parser.error();
    log()->info("request.rejected client={} status={} reason=\"{}\"", peer_.toString(), e.status,
                e.reason);
    respondError(e.status, e.reason, "NONE_NONE", true);
    return true;
  }
  in_.consume(tx_->parser.consumed());
  cur_.haveRequest = true;
  startTransaction();
  return true;
}

void ClientSession::startTransaction() {
  bump(ctx_.counters().requests);
  cfg_ = ctx_.config();
  cur_.resultCode = "TCP_MISS";
  cur_.hierarchy = "HIER_NONE";
  timer_.cancel();
  setState(TxState::Filtering);

  auto admission = admit(tx_->req, *cfg_, Origin{peer_, ctx_.localHost(), listener_.routeByHost});
  switch (admission.next) {
  case Admission::Next::ProxyPage:
    answerProxyItself();
    return;
  case Admission::Next::Answer:
    if (!admission.event.empty()) {
      bump(ctx_.counters().denied);
      log()->info("{} client={} url={} reason=\"{}\"", admission.event, peer_.toString(),
                  tx_->req.url(), admission.reason);
    }
    answerLocally(admission.answer);
    return;
  case Admission::Next::Filter:
    tx_->selfTarget = admission.selfTarget;
    runPlugins();
    return;
  }
}

void ClientSession::answerLocally(const LocalAnswer& a) {
  if (!a.errorPage) {
    respondLocal(a.status, a.contentType, a.ownBody.empty() ? a.body : a.ownBody, a.headers,
                 a.close, a.resultCode);
    return;
  }
  std::string url = cur_.haveRequest ? tx_->req.url() : std::string("-");
  respondLocal(a.status, "text/html; charset=utf-8",
               ctx_.errorPages().render(a.status, a.detail, url, cfg_->name), a.headers, a.close,
               a.resultCode);
}

void ClientSession::runPlugins() {
  tx_->destHost = tx_->req.host;
  cur_.destPort = tx_->req.port;
  auto* runtime = ctx_.shared().runtime;
  if (!runtime) {
    onVerdict(plugin::Outcome{});
    return;
  }
  setState(TxState::Filtering);
  pluginTx_ = std::make_unique<plugin::PluginTransaction>(runtime->chain(), ctx_.loop(),
                                                          ctx_.shared().workers,
                                                          plugin::TxInfo{peer_, listenerEndpoint_});
  inFilter_ = true;
  pluginTx_->runRequest(tx_->req, [this](plugin::Outcome&& o) {
    onVerdict(std::move(o));
    if (!inFilter_)
      advance(); // a PENDING verdict completed later: resume the state machine
  });
  inFilter_ = false;
}

void ClientSession::onVerdict(plugin::Outcome o) {
  if (closed_)
    return;
  using Kind = plugin::Outcome::Kind;
  if (o.rewritten)
    tx_->note = "rewritten";
  switch (o.kind) {
  case Kind::Continue:
    if (tx_->selfTarget) {
      answerProxyItself(); // no plugin answered a request for the proxy's own pages
      return;
    }
    // A REWRITE may have changed where the request goes.
    tx_->destHost = tx_->req.host;
    cur_.destPort = tx_->req.port;
    resolveDestination();
    return;
  case Kind::Route:
    tx_->destHost = o.routeHost;
    cur_.destPort = o.routePort ? o.routePort : tx_->req.port;
    tx_->note =
        "routed=" + tx_->destHost + ":" + std::to_string(cur_.destPort) + " plugin=" + o.plugin;
    log()->debug("request.routed client={} url={} to={}:{} plugin={}", peer_.toString(),
                 tx_->req.url(), tx_->destHost, cur_.destPort, o.plugin);
    resolveDestination();
    return;
  default:
    answerOutcome(o);
    return;
  }
}

void ClientSession::answerOutcome(const plugin::Outcome& o) {
  using Kind = plugin::Outcome::Kind;
  bool hasBody = !cur_.requestSent && tx_->req.framing != http::Framing::None;
  tx_->note = std::string(plugin::toString(o.kind)) + " plugin=" + o.plugin;
  switch (o.kind) {
  case Kind::Redirect: {
    auto headers = o.headers;
    headers.emplace_back("Location", o.location);
    std::string body = ctx_.errorPages().render(o.status ? o.status : 302,
                                                "This request is redirected to " + o.location,
                                                tx_->req.url(), cfg_->name);
    respondLocal(o.status ? o.status : 302, "text/html; charset=utf-8", body, std::move(headers),
                 hasBody, "TCP_REDIRECT");
    return;
  }
  case Kind::Respond: {
    int status = o.status ? o.status : 200;
    if (!o.page.name.empty()) {
      respondLocal(status, "text/html; charset=utf-8", pluginPage(o, status, o.reason), o.headers,
                   hasBody, "TCP_MISS");
      return;
    }
    if (!o.file.empty()) {
      respondWithFile(o);
      return;
    }
    respondLocal(status, o.contentType, o.body, o.headers, hasBody, "TCP_MISS");
    return;
  }
  case Kind::Deny:
  default: {
    bump(ctx_.counters().denied);
    log()->info("request.denied client={} url={} plugin={} reason=\"{}\"", peer_.toString(),
                tx_->req.url(), o.plugin, o.reason);
    int status = o.status ? o.status : 403;
    std::string page =
        pluginPage(o, status, o.reason.empty() ? "This request is not allowed." : o.reason);
    respondLocal(status, "text/html; charset=utf-8", page, {}, hasBody, "TCP_DENIED");
    return;
  }
  }
}

std::string ClientSession::pluginPage(const plugin::Outcome& o, int status,
                                      std::string_view detail) {
  const plugin::Identity* who = pluginTx_ ? &pluginTx_->identity() : nullptr;
  http::PageVars vars{{"detail", std::string(detail)},
                      {"url", tx_->req.url()},
                      {"host", tx_->req.host},
                      {"method", std::string(tx_->req.method)},
                      {"client", who ? who->address : peer_.address.toString()},
                      {"user", who ? who->user : std::string()},
                      {"proxy", cfg_->name},
                      {"time", http::httpDate(std::time(nullptr))},
                      {"plugin", o.pluginName}};
  if (o.page.name.empty())
    return ctx_.errorPages().renderStatus(status, vars);
  vars.insert(vars.end(), o.page.vars.begin(), o.page.vars.end());
  bool found = false;
  std::string page = ctx_.errorPages().renderNamed(o.page.name, status, vars, &found);
  if (!found)
    log()->warn("template.missing name={} plugin={} url={} (error.html or the built-in page used; "
                "add {}.html to [server] templates)",
                o.page.name, o.plugin, tx_->req.url(), o.page.name);
  return page;
}

void ClientSession::respondWithFile(const plugin::Outcome& o) {
  // Reading a file may block (slow disk, NFS): a worker reads it, the loop answers. The session
  // may be gone by then: the weak token says so.
  auto* workers = ctx_.shared().workers;
  auto content = std::make_shared<std::optional<std::string>>();
  auto path = o.file;
  auto read = [content, path] {
    std::ifstream f(path, std::ios::binary);
    if (f) {
      std::ostringstream ss;
      ss << f.rdbuf();
      *content = ss.str();
    }
  };
  if (!life_)
    life_ = std::make_shared<int>(0);
  std::weak_ptr<int> alive = life_;
  auto answer = [this, alive, content, o] {
    if (alive.expired() || closed_)
      return;
    bool hasBody = !cur_.requestSent && tx_->req.framing != http::Framing::None;
    if (!content->has_value()) {
      log()->warn("plugin.file_unreadable plugin={} file={}", o.plugin, o.file.string());
      respondError(500, "The content for this request could not be read.", "TCP_MISS", hasBody);
    } else {
      respondLocal(o.status ? o.status : 200, o.contentType, **content, o.headers, hasBody,
                   "TCP_MISS");
    }
    advance();
  };
  setState(TxState::Filtering);
  if (workers) {
    workers->submit(std::move(read), ctx_.loop(), std::move(answer));
  } else {
    read();
    ctx_.loop().post(std::move(answer));
  }
}

void ClientSession::answerProxyItself() {
  cur_.hierarchy = "HIER_NONE";
  auto answer = ownPage(tx_->req.pathAndQuery, *cfg_,
                        ctx_.shared().draining.load(std::memory_order_relaxed), ctx_.errorPages());
  answer.close = tx_->req.framing != http::Framing::None;
  answerLocally(answer);
}

// ---------------------------------------------------------------------------------------------
// DNS and connect

void ClientSession::resolveDestination() {
  setState(TxState::Resolving);
  // A rewrite or a route may have chosen the destination. Its port is the operator's choice (as
  // in Squid, http_ports/connect_ports judge the client's request, before the filters), but an
  // ambiguous IPv4 host is refused here as in the request line; the addresses are checked once
  // resolved (onResolved).
  bool hasBody = tx_->req.framing != http::Framing::None;
  if (http::ambiguousIpv4(tx_->destHost)) {
    bump(ctx_.counters().denied);
    log()->warn("destination.denied client={} url={} host={} reason=\"ambiguous IPv4 address\"",
                peer_.toString(), tx_->req.url(), tx_->destHost);
    respondError(403, "The destination " + tx_->destHost + " is an ambiguous IPv4 address.",
                 "TCP_DENIED", hasBody);
    return;
  }
  if (auto cached = ctx_.resolver().cached(tx_->destHost)) {
    onResolved(*cached);
    return;
  }
  dnsHandle_ = ctx_.resolver().resolve(tx_->destHost, [this](const dns::Answer& a) {
    dnsHandle_.reset();
    onResolved(a);
    advance();
  });
}

void ClientSession::onResolved(const dns::Answer& answer) {
  // Closed after a refusal: the body, or a CONNECT's first tunnel bytes, may follow the head.
  bool hasBody = tx_->req.framing != http::Framing::None || tx_->req.isConnect();
  if (answer.status != dns::DnsStatus::Ok || answer.addresses.empty()) {
    bump(ctx_.counters().dns_errors);
    log()->info("dns.failed name={} status={} message=\"{}\"", tx_->destHost,
                dns::toString(answer.status), answer.message);
    int status = answer.status == dns::DnsStatus::Timeout ? 504 : 502;
    std::string detail;
    switch (answer.status) {
    case dns::DnsStatus::NxDomain:
    case dns::DnsStatus::NoData:
      detail = "The name " + tx_->destHost + " does not exist (" + answer.message + ").";
      break;
    case dns::DnsStatus::ServFail:
    case dns::DnsStatus::Refused:
      detail = "The DNS server failed to resolve " + tx_->destHost + " (" + answer.message + ").";
      break;
    case dns::DnsStatus::Timeout:
      detail = "The DNS server did not answer in time for " + tx_->destHost + ".";
      break;
    default:
      detail = "The name " + tx_->destHost + " could not be resolved (" + answer.message + ").";
    }
    respondError(status, detail, "TCP_MISS", hasBody);
    return;
  }
  // Every address is checked, not only the one we would connect to first: a name must not
  // reach a denied network (or ourselves) through its second answer.
  for (const auto& a : answer.addresses) {
    auto refusal = checkAddress(Endpoint{a, cur_.destPort}, *cfg_, ctx_.localHost());
    if (refusal == Refusal::None)
      continue;
    bump(ctx_.counters().denied);
    log()->info("destination.denied client={} url={} address={} reason=\"{}\"", peer_.toString(),
                tx_->req.url(), Endpoint{a, cur_.destPort}.toString(), describe(refusal));
    respondError(403,
                 refusal == Refusal::Listener
                     ? "Forwarding loop: the destination is this proxy."
                     : "The destination address " + a.toString() + " is not allowed.",
                 "TCP_DENIED", hasBody);
    return;
  }
  tx_->candidates.clear();
  for (const auto& a : answer.addresses)
    tx_->candidates.push_back(Endpoint{a, cur_.destPort});
  cur_.nextCandidate = 0;
  tx_->connectError.clear();
  connectNext();
}

void ClientSession::connectNext() {
  setState(TxState::Connecting);
  if (!tx_->req.isConnect() && !tx_->req.upgradeWebsocket && !cur_.retried) {
    for (const auto& c : tx_->candidates) {
      // A body-less request on a connection found closed is retried once (handleResponseHead);
      // one with a body is not, so its connection is probed first.
      bool probe = tx_->req.framing != http::Framing::None;
      if (auto conn = ctx_.pool().take(c, probe); conn.fd.valid()) {
        up_ = std::move(conn.fd);
        upRemote_ = c;
        upReused_ = true;
        upConnected_ = true;
        bump(ctx_.counters().upstream_reused);
        upWatch_ = std::move(conn.watch);
        upWatch_.setCallback([this](uint32_t e) { onUpstreamEvent(e); });
        startForwarding();
        return;
      }
    }
  }
  while (cur_.nextCandidate < tx_->candidates.size()) {
    const Endpoint& to = tx_->candidates[cur_.nextCandidate++];
    const auto& source = to.address.isV6() ? cfg_->bind6 : cfg_->bind4;
    auto fd = net::startConnect(to, source);
    if (!fd) {
      bump(ctx_.counters().upstream_connect_errors);
      tx_->connectError = fd.error().message;
      continue;
    }
    up_ = std::move(*fd);
    upRemote_ = to;
    upReused_ = false;
    upConnected_ = false;
    upWatch_ =
        net::IoWatch(ctx_.loop(), up_.get(), EPOLLOUT, [this](uint32_t e) { onUpstreamEvent(e); });
    timer_.arm(cfg_->connect);
    return;
  }
  bool hasBody = tx_->req.framing != http::Framing::None;
  respondError(502,
               "Could not connect to " + tx_->destHost + ": " +
                   (tx_->connectError.empty() ? "no address to try" : tx_->connectError) + ".",
               "TCP_MISS", hasBody);
}

void ClientSession::onConnected() {
  upConnected_ = true;
  bump(ctx_.counters().upstream_connects);
  cur_.hierarchy = "HIER_DIRECT";
  if (tx_->req.isConnect()) {
    bump(ctx_.counters().tunnels);
    cur_.status = 200;
    cur_.resultCode = "TCP_TUNNEL";
    out_.append("HTTP/1.1 200 Connection established\r\n\r\n");
    // Bytes the client sent after the CONNECT head (an eager TLS hello) go through the tunnel.
    cur_.reqSendable = in_.size();
    spliceTunnel_ = cfg_->splice;
    setState(TxState::Tunnelling);
    timer_.arm(cfg_->tunnelIdle);
    return;
  }
  startForwarding();
}

void ClientSession::startForwarding() {
  setState(TxState::Forwarding);
  cur_.hierarchy = "HIER_DIRECT";
  std::string& head = detail::headScratch();
  http::ForwardOptions opts;
  opts.viaName = cfg_->name;
  opts.keepAlive = true;
  http::writeRequestHead(tx_->req, opts, head);
  upOut_.append(head);
  cur_.requestSent = false;
  cur_.reqSendable = 0;
  cur_.reqBody.start(tx_->req.framing, tx_->req.contentLength, cfg_->maxRequestBody);
  tx_->respParser.reset();
  cur_.respHeadDone = false;
  cur_.respBody.awaitHead();
  cur_.respSendable = 0;
  cur_.respBytesFromUpstream = 0;
  timer_.arm(cfg_->firstByte);
}

// ---------------------------------------------------------------------------------------------
// HTTP relay

void ClientSession::markRequestSendable() {
  if (cur_.reqBody.done())
    return;
  size_t fresh = in_.size() - cur_.reqSendable;
  if (fresh == 0)
    return;
  auto r = cur_.reqBody.take(in_.view().substr(cur_.reqSendable));
  if (!r) {
    // The upstream already has part of this body: it cannot be told apart from a complete one
    // unless we cut the connection.
    int status = r.error().code == 413 ? 413 : 400;
    log()->info("request.body_rejected client={} status={} reason=\"{}\"", peer_.toString(), status,
                r.error().message);
    closeUpstream();
    respondError(status, r.error().message, "NONE_NONE", true);
    return;
  }
  cur_.reqSendable += *r;
}

bool ClientSession::markResponseSendable() {
  auto& body = cur_.respBody;
  size_t fresh = upIn_.size() - cur_.respSendable;
  if (fresh && !body.done()) {
    auto r = body.take(upIn_.view().substr(cur_.respSendable));
    if (!r) {
      bump(ctx_.counters().upstream_bad_responses);
      abort("invalid chunked body from upstream: " + r.error().message);
      return false;
    }
    if (tx_->dechunker) {
      // HTTP/1.0 client of a chunked response: the data go out through out_, the framing is
      // dropped (cur_.respSendable stays 0 in this mode).
      tx_->dechunker->feed(upIn_.view().substr(cur_.respSendable, *r), out_);
      upIn_.consume(cur_.respSendable + *r);
    } else {
      cur_.respSendable += *r;
    }
  }
  if (upEof_)
    body.endOfInput();
  if (body.truncated()) {
    abort(body.framing() == http::Framing::Chunked
              ? "upstream closed in the middle of a chunked body"
              : "upstream closed before the end of its Content-Length body");
    return false;
  }
  return true;
}

bool ClientSession::handleResponseHead() {
  auto st = tx_->respParser.parse(upIn_.view(), tx_->req.method, tx_->resp);
  if (st == http::ParseState::NeedMore) {
    if (!upEof_)
      return false;
    if (upReused_ && cur_.respBytesFromUpstream == 0 && !cur_.retried &&
        tx_->req.framing == http::Framing::None) {
      // A pooled connection the server closed just as we reused it: once, on a fresh one.
      log()->debug("upstream.stale to={} retrying", upRemote_.toString());
      cur_.retried = true;
      closeUpstream();
      upOut_ = net::Buffer();
      upEof_ = false;
      cur_.nextCandidate = 0;
      connectNext();
      return true;
    }
    bump(ctx_.counters().upstream_bad_responses);
    closeUpstream();
    respondError(502, "The server closed the connection without sending a response.", "TCP_MISS",
                 !cur_.reqBody.done() || tx_->req.framing != http::Framing::None);
    return true;
  }
  if (st == http::ParseState::Error) {
    bump(ctx_.counters().upstream_bad_responses);
    log()->info("upstream.bad_response to={} reason=\"{}\"", upRemote_.toString(),
                tx_->respParser.error().reason);
    closeUpstream();
    respondError(502, "The server sent an invalid response: " + tx_->respParser.error().reason,
                 "TCP_MISS", true);
    return true;
  }
  upIn_.consume(tx_->respParser.consumed());
  if (tx_->resp.status >= 100 && tx_->resp.status < 200 && tx_->resp.status != 101) {
    bump(ctx_.counters().responses_1xx);
    // Interim responses go to HTTP/1.1 clients only; then wait for the final one.
    if (tx_->req.versionMinor >= 1 && tx_->resp.status == 100) {
      out_.append("HTTP/1.1 100 Continue\r\n\r\n");
    }
    tx_->respParser.reset();
    return true;
  }
  if (tx_->resp.status == 101) {
    if (!tx_->req.upgradeWebsocket) {
      bump(ctx_.counters().upstream_bad_responses);
      closeUpstream();
      respondError(502, "The server switched protocols without being asked to.", "TCP_MISS", true);
      return true;
    }
    cur_.status = 101;
    std::string head;
    http::ForwardOptions opts;
    opts.viaName = cfg_->name;
    http::writeResponseHead(tx_->resp, opts, head);
    out_.append(head);
    cur_.reqSendable = in_.size();
    cur_.respHeadDone = true;
    spliceTunnel_ = cfg_->splice;
    setState(TxState::Tunnelling);
    timer_.arm(cfg_->tunnelIdle);
    return true;
  }
  if (pluginTx_) {
    auto verdict = pluginTx_->runResponse(tx_->resp);
    if (verdict.kind != plugin::Outcome::Kind::Continue) {
      closeUpstream(); // the origin's response is replaced: its body is not read
      answerOutcome(verdict);
      return true;
    }
  }
  cur_.status = tx_->resp.status;
  ctx_.firstByteLatency().record(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(ctx_.loop().now() - cur_.start)
          .count()));
  if (auto ct = tx_->resp.headers.get("content-type"))
    tx_->contentType.assign(*ct);
  // An HTTP/1.0 client cannot read chunked framing: it gets the data, delimited by the close.
  bool dechunk = tx_->resp.framing == http::Framing::Chunked && tx_->req.versionMinor == 0;
  bool keep = tx_->req.keepAlive && !closeAfter_ &&
              tx_->resp.framing != http::Framing::UntilClose && !dechunk && !ctx_.draining();
  if (!keep)
    closeAfter_ = true;
  std::string& head = detail::headScratch();
  http::ForwardOptions opts;
  opts.viaName = cfg_->name;
  opts.keepAlive = keep;
  if (dechunk) {
    tx_->dechunker = std::make_unique<Dechunker>();
    tx_->resp.framing = http::Framing::UntilClose; // the head we write has no chunked framing
    http::writeResponseHead(tx_->resp, opts, head);
    tx_->resp.framing = http::Framing::Chunked;
  } else {
    http::writeResponseHead(tx_->resp, opts, head);
  }
  out_.append(head);
  cur_.respHeadDone = true;
  cur_.respBody.start(tx_->resp.framing, tx_->resp.contentLength);
  setState(TxState::Relaying);
  timer_.arm(cfg_->relayIdle);
  return true;
}

bool ClientSession::stepHttp() {
  bool progress = false;
  // Request side: head and body to the upstream.
  markRequestSendable();
  if (closed_ || state_ == TxState::Responding || state_ == TxState::Closing)
    return true;
  if (!upBlocked_ && up_.valid() && (!upOut_.empty() || cur_.reqSendable > 0)) {
    if (flushUpstream()) {
      progress = true;
      if (!cur_.respHeadDone)
        timer_.arm(cur_.requestSent ? cfg_->firstByte : cfg_->relayIdle);
    }
    if (closed_)
      return false;
  }
  if (!cur_.requestSent && cur_.reqBody.done() && cur_.reqSendable == 0 && upOut_.empty()) {
    cur_.requestSent = true;
    if (!cur_.respHeadDone)
      timer_.arm(cfg_->firstByte);
  }
  // Response side. Interim responses (100 Continue) wait in out_ before the final head exists.
  if (!cur_.respHeadDone && !out_.empty() && !clientBlocked_) {
    if (flushClient())
      progress = true;
    if (closed_)
      return false;
  }
  if (!cur_.respHeadDone) {
    if (!upIn_.empty() || upEof_) {
      if (handleResponseHead())
        return true;
    }
    return progress;
  }
  if (!cur_.respBody.done() || cur_.respSendable < upIn_.size()) {
    if (!markResponseSendable())
      return false;
  }
  if (!out_.empty() || cur_.respSendable > 0) {
    if (flushClient()) {
      progress = true;
      timer_.arm(cfg_->relayIdle);
    }
    if (closed_)
      return false;
  }
  if (cur_.respBody.done() && out_.empty() && cur_.respSendable == 0) {
    finishTransaction();
    return true;
  }
  return progress;
}

void ClientSession::finishTransaction() {
  // The upstream connection goes back to the pool only if both messages ended cleanly.
  bool reusable = up_.valid() && tx_->resp.keepAlive &&
                  tx_->resp.framing != http::Framing::UntilClose && cur_.requestSent &&
                  upIn_.empty() && !upEof_;
  if (reusable) {
    ctx_.pool().setLimits(cfg_->poolPerDestination, cfg_->upstreamIdle);
    ctx_.pool().put(upRemote_, UpstreamPool::Conn{std::move(up_), std::move(upWatch_)});
  }
  closeUpstream();
  if (!cur_.requestSent)
    closeAfter_ = true; // the rest of the request body is still on its way: framing is lost
  logAccess();
  if (closeAfter_) {
    setState(TxState::Closing);
    return;
  }
  releaseTransaction();
  setState(TxState::Idle);
  timer_.arm(cfg_->idleKeepAlive);
}

void ClientSession::releaseTransaction() {
  cur_ = TxProgress{};
  dnsHandle_.reset();
  // Either may be running one of its own callbacks (or be referenced by the other): both are
  // destroyed after this dispatch, the plugin transaction first.
  if (pluginTx_)
    ctx_.loop().deferDestroy(std::move(pluginTx_));
  if (tx_) // recycled for a later request of this loop (see TxRecycler)
    ctx_.loop().deferDestroy(
        std::unique_ptr<Transaction, detail::TxRecycler<Transaction>>(tx_.release()));
  // The upstream connection went back to the pool or was closed: its buffers go too.
  upIn_ = net::Buffer();
  upOut_ = net::Buffer();
  upEof_ = upBlocked_ = upShut_ = false;
  // An idle keep-alive connection keeps no heap memory: the transaction and both buffers go.
  out_.releaseIfEmpty();
  in_.releaseIfEmpty();
}

// ---------------------------------------------------------------------------------------------
// Tunnel

bool ClientSession::stepTunnel() {
  bool progress = false;
  // client → upstream: first what the proxy buffered (bytes sent behind the CONNECT head), then
  // by splice once that is gone.
  cur_.reqSendable = in_.size();
  if (!upBlocked_ && (cur_.reqSendable > 0 || !upOut_.empty())) {
    if (flushUpstream())
      progress = true;
    if (closed_)
      return false;
  }
  if (splicing(Side::Client)) {
    if (pumpSplice(toUpstream_, Side::Client))
      progress = true;
    if (closed_)
      return false;
  }
  if (clientEof_ && in_.empty() && toUpstream_.pipe.pending() == 0 && !upShut_ && up_.valid()) {
    ::shutdown(up_.get(), SHUT_WR); // half-close: the server still answers
    upShut_ = true;
    progress = true;
  }
  // upstream → client: the 200 (or 101) head and what was read with it, then by splice.
  cur_.respSendable = upIn_.size();
  if (!clientBlocked_ && (!out_.empty() || cur_.respSendable > 0)) {
    if (flushClient())
      progress = true;
    if (closed_)
      return false;
  }
  if (splicing(Side::Upstream)) {
    if (pumpSplice(toClient_, Side::Upstream))
      progress = true;
    if (closed_)
      return false;
  }
  if (upEof_ && upIn_.empty() && out_.empty() && toClient_.pipe.pending() == 0 && !clientShut_) {
    ::shutdown(fd_.get(), SHUT_WR);
    clientShut_ = true;
    progress = true;
  }
  if (progress)
    timer_.arm(cfg_->tunnelIdle);
  if (upShut_ && clientShut_) {
    logAccess();
    finish();
    return false;
  }
  return progress;
}

bool ClientSession::splicing(Side from) const {
  if (!spliceTunnel_ || state_ != TxState::Tunnelling)
    return false;
  if (from == Side::Client)
    return in_.empty() && upOut_.empty();
  return upIn_.empty() && out_.empty();
}

// Moves one pipeful from one side to the other: what the pipe still holds goes out first; the
// source is read (once per readiness event, as the copying path reads once) only into an empty
// pipe, so an EAGAIN from the read always means "nothing to read", never "the pipe is full".
bool ClientSession::pumpSplice(SpliceLeg& leg, Side from) {
  Side to = from == Side::Client ? Side::Upstream : Side::Client;
  int src = from == Side::Client ? fd_.get() : up_.get();
  int dst = from == Side::Client ? up_.get() : fd_.get();
  bool& srcEof = from == Side::Client ? clientEof_ : upEof_;
  bool& dstBlocked = from == Side::Client ? upBlocked_ : clientBlocked_;
  bool progress = false;

  auto drain = [&] {
    while (leg.pipe.pending() > 0 && !dstBlocked) {
      ssize_t n = leg.pipe.drain(dst, leg.pipe.pending());
      if (n > 0) {
        countWritten(to, static_cast<uint64_t>(n));
        bump(ctx_.counters().bytes_spliced, static_cast<uint64_t>(n));
        progress = true;
      } else if (n == -1 && errno == EAGAIN) {
        dstBlocked = true;
      } else {
        if (to == Side::Client)
          cur_.resultCode += cur_.resultCode.ends_with("_ABORTED") ? "" : "_ABORTED";
        abort(std::string(to == Side::Client ? "client" : "upstream") +
              " write error: " + std::strerror(errno));
        return false;
      }
    }
    if (leg.pipe.valid() && leg.pipe.pending() == 0)
      ctx_.pipes().release(std::move(leg.pipe)); // an idle tunnel holds no pipe
    return true;
  };

  if (!drain())
    return false;
  if (leg.pipe.pending() > 0 || !leg.readable || srcEof)
    return progress;
  leg.readable = false;
  if (!leg.pipe.valid()) {
    auto pipe = ctx_.pipes().acquire();
    if (!pipe) {
      // No pipe to be had (descriptor limit): this tunnel copies through user space from now on.
      log()->warn("tunnel.splice_off client={} reason=\"{}\"", peer_.toString(),
                  std::strerror(errno));
      spliceTunnel_ = false;
      return progress;
    }
    leg.pipe = std::move(*pipe);
  }
  ssize_t n = leg.pipe.fill(src, leg.pipe.capacity());
  if (n > 0) {
    countRead(from, static_cast<uint64_t>(n));
    progress = true;
    if (!drain())
      return false;
  } else if (n == 0) {
    srcEof = true;
    progress = true;
  } else if (errno == EAGAIN) {
    // a spurious wake-up: nothing to read
  } else if (errno == EINVAL || errno == ENOSYS) {
    log()->warn("tunnel.splice_off client={} reason=\"{}\"", peer_.toString(),
                std::strerror(errno));
    spliceTunnel_ = false; // not spliceable here: copy (the level-triggered read comes back)
  } else if (from == Side::Client) {
    abort(std::string("client read error: ") + std::strerror(errno));
    return false;
  } else {
    srcEof = true; // a reset from the upstream ends the stream, as on the copying path
    progress = true;
  }
  if (leg.pipe.valid() && leg.pipe.pending() == 0)
    ctx_.pipes().release(std::move(leg.pipe));
  return progress;
}

// ---------------------------------------------------------------------------------------------
// Local responses

void ClientSession::respondLocal(int status, std::string_view contentType, std::string_view body,
                                 std::vector<std::pair<std::string, std::string>> extra, bool close,
                                 std::string_view resultCode) {
  if (cur_.respHeadDone || cur_.bytesToClient > 0) {
    abort("error after the response started");
    return;
  }
  closeUpstream();
  dnsHandle_.reset();
  if (!tx_) // an answer before any request byte (refused connection)
    tx_ = detail::takeTx<Transaction>(http::Limits{cfg_->maxRequestHead, cfg_->maxUri});
  bump(ctx_.counters().local_responses);
  cur_.status = status;
  cur_.resultCode.assign(resultCode);
  tx_->contentType.assign(contentType);
  if (!cur_.haveRequest || !tx_->req.keepAlive || ctx_.draining())
    close = true;
  closeAfter_ = closeAfter_ || close;
  std::string bytes;
  http::ForwardOptions opts;
  opts.viaName = cfg_->name;
  opts.keepAlive = !closeAfter_;
  http::writeLocalResponse(status, contentType, body, extra, opts, bytes);
  if (cur_.haveRequest && tx_->req.isHead())
    bytes.resize(bytes.size() - body.size()); // HEAD: the same head (Content-Length too), no body
  out_.append(bytes);
  setState(TxState::Responding);
  timer_.arm(cfg_->relayIdle);
}

void ClientSession::respondError(int status, std::string_view detail, std::string_view resultCode,
                                 bool close) {
  std::string url = cur_.haveRequest ? tx_->req.url() : std::string("-");
  std::string page = ctx_.errorPages().render(status, detail, url, cfg_->name);
  respondLocal(status, "text/html; charset=utf-8", page, {}, close, resultCode);
}

bool ClientSession::stepLocal() {
  if (!out_.empty() && !clientBlocked_) {
    flushClient();
    if (closed_)
      return false;
  }
  if (!out_.empty())
    return false;
  if (state_ == TxState::Responding) {
    logAccess();
    if (closeAfter_) {
      setState(TxState::Closing);
    } else {
      releaseTransaction();
      setState(TxState::Idle);
      timer_.arm(cfg_->idleKeepAlive);
      return true;
    }
  }
  // Closing: everything is written; shut our side down gently so the last bytes arrive.
  ::shutdown(fd_.get(), SHUT_WR);
  finish();
  return false;
}

// ---------------------------------------------------------------------------------------------
// I/O helpers

bool ClientSession::readInto(int fd, net::Buffer& buf, size_t limit, bool& eof, Side side) {
  if (buf.size() >= limit)
    return true;
  size_t want = std::min(kReadChunk, limit - buf.size());
  ssize_t n = ::recv(fd, buf.prepare(want), want, 0);
  if (n > 0) {
    buf.commit(static_cast<size_t>(n));
    countRead(side, static_cast<uint64_t>(n));
    return true;
  }
  if (n == 0) {
    eof = true;
    return true;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    return true;
  if (side == Side::Client) {
    if (state_ == TxState::Idle && in_.empty()) {
      finish(); // a keep-alive client that reset instead of closing: nothing was in flight
      return false;
    }
    abort(std::string("client read error: ") + std::strerror(errno));
    return false;
  }
  // A reset from the upstream is an end of stream: the state machine decides what it means.
  eof = true;
  return true;
}

size_t ClientSession::writeFrom(int fd, const char* head, size_t headLen, const char* rest,
                                size_t restLen, bool& blocked, Side side) {
  // Both parts in one sendmsg: a response head and the first body bytes behind it (or a request
  // head and its body) leave in one syscall and, small, in one segment.
  size_t len = headLen + restLen;
  size_t done = 0;
  while (done < len) {
    iovec iov[2];
    int parts = 0;
    if (done < headLen)
      iov[parts++] = {const_cast<char*>(head + done), headLen - done};
    size_t restDone = done > headLen ? done - headLen : 0;
    if (restLen > restDone)
      iov[parts++] = {const_cast<char*>(rest + restDone), restLen - restDone};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(parts);
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      blocked = true;
      break;
    }
    if (n == -1 && errno == EINTR)
      continue;
    if (side == Side::Client) {
      cur_.resultCode += cur_.resultCode.ends_with("_ABORTED") ? "" : "_ABORTED";
      abort(std::string("client write error: ") + std::strerror(errno));
    } else {
      abort(std::string("upstream write error: ") + std::strerror(errno));
    }
    return done;
  }
  countWritten(side, done);
  return done;
}

void ClientSession::countRead(Side side, uint64_t n) {
  if (side == Side::Client) {
    bytesIn_ += n;
    bump(ctx_.counters().bytes_from_clients, n);
    if (tcpPeer_.address.isV6())
      bump(ctx_.counters().bytes_from_clients_v6, n);
  } else {
    cur_.respBytesFromUpstream += n;
    bump(ctx_.counters().bytes_from_upstream, n);
    if (upRemote_.address.isV6())
      bump(ctx_.counters().bytes_from_upstream_v6, n);
  }
}

void ClientSession::countWritten(Side side, uint64_t n) {
  if (side == Side::Client) {
    bytesOut_ += n;
    cur_.bytesToClient += n;
    bump(ctx_.counters().bytes_to_clients, n);
    if (tcpPeer_.address.isV6())
      bump(ctx_.counters().bytes_to_clients_v6, n);
  } else {
    bump(ctx_.counters().bytes_to_upstream, n);
    if (upRemote_.address.isV6())
      bump(ctx_.counters().bytes_to_upstream_v6, n);
  }
}

// Sends `head` (a serialized head, or bytes the proxy made) then the first `sendable` bytes of
// `body`, consuming what went out of each.
bool ClientSession::flushParts(int fd, net::Buffer& head, net::Buffer& body, size_t& sendable,
                               bool& blocked, Side side) {
  if (head.empty() && sendable == 0)
    return false;
  size_t headLen = head.size();
  size_t n = writeFrom(fd, head.data(), headLen, body.data(), sendable, blocked, side);
  if (closed_)
    return false;
  size_t fromHead = std::min(n, headLen);
  head.consume(fromHead);
  body.consume(n - fromHead);
  sendable -= n - fromHead;
  return n > 0;
}

bool ClientSession::flushClient() {
  return flushParts(fd_.get(), out_, upIn_, cur_.respSendable, clientBlocked_, Side::Client);
}

bool ClientSession::flushUpstream() {
  return flushParts(up_.get(), upOut_, in_, cur_.reqSendable, upBlocked_, Side::Upstream);
}

void ClientSession::closeUpstream() {
  upWatch_.reset();
  up_.reset();
  upConnected_ = false;
  upBlocked_ = false;
}

void ClientSession::abort(std::string_view why) {
  if (closed_)
    return;
  log()->info("session.abort client={} state={} url={} reason=\"{}\"", peer_.toString(),
              toString(state_), cur_.haveRequest ? tx_->req.url() : std::string("-"), why);
  if (cur_.started) {
    if (!cur_.resultCode.ends_with("_ABORTED") && cur_.resultCode != "TCP_TUNNEL")
      cur_.resultCode += "_ABORTED";
    logAccess();
  }
  finish();
}

void ClientSession::finish() {
  if (closed_)
    return;
  closed_ = true;
  setState(TxState::Closing);
  timer_.cancel();
  dnsHandle_.reset();
  closeUpstream();
  watch_.reset();
  ctx_.pipes().release(std::move(toUpstream_.pipe)); // closed if it still holds bytes
  ctx_.pipes().release(std::move(toClient_.pipe));
  ctx_.release(this);
}

void ClientSession::logAccess() {
  if (!cur_.started || cur_.logged)
    return;
  cur_.logged = true;
  switch (cur_.status / 100) {
  case 2:
    bump(ctx_.counters().responses_2xx);
    break;
  case 3:
    bump(ctx_.counters().responses_3xx);
    break;
  case 4:
    bump(ctx_.counters().responses_4xx);
    break;
  case 5:
    bump(ctx_.counters().responses_5xx);
    break;
  default:
    break;
  }
  auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(ctx_.loop().now() - cur_.start);
  ctx_.totalLatency().record(static_cast<uint64_t>(elapsed.count()));
  if (pluginTx_)
    pluginTx_->done(plugin::TxSummary{
        cur_.status, bytesIn_, cur_.bytesToClient,
        std::chrono::duration_cast<std::chrono::microseconds>(ctx_.loop().now() - cur_.start)});
  if (!AccessLog::instance().enabled())
    return;
  // The record holds views: these strings live until write() returned.
  std::string peerText;
  std::string upstreamText;
  std::string& url = detail::urlScratch();
  if (cur_.haveRequest)
    tx_->req.appendUrl(url);
  else
    url = "error:invalid-request";
  AccessRecord r;
  r.end = std::chrono::system_clock::now();
  r.elapsed = elapsed;
  if (pluginTx_ && !pluginTx_->identity().address.empty()) {
    r.client = pluginTx_->identity().address;
  } else {
    peerText = peer_.address.toString();
    r.client = peerText;
  }
  if (pluginTx_)
    r.user = pluginTx_->identity().user;
  r.note = tx_->note;
  r.resultCode = cur_.resultCode.empty() ? std::string_view("NONE_NONE") : cur_.resultCode;
  r.status = cur_.status;
  r.bytesSent = cur_.bytesToClient;
  // A request rejected by the parser is logged as Squid does: NONE error:invalid-request.
  r.method = cur_.haveRequest ? std::string_view(tx_->req.method) : std::string_view("NONE");
  r.url = url;
  r.hierarchy = cur_.hierarchy;
  if (cur_.hierarchy == "HIER_DIRECT") {
    upstreamText = upRemote_.address.toString();
    r.upstream = upstreamText;
  } else {
    r.upstream = "-";
  }
  r.contentType = tx_->contentType;
  AccessLog::instance().write(r);
}

} // namespace exaproxy::proxy
