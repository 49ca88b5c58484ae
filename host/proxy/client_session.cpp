#include "proxy/client_session.h"

#include "core/logging.h"
#include "http/serializer.h"
#include "plugin/plugin_runtime.h"
#include "proxy/admission.h"
#include "proxy/deadlines.h"
#include "proxy/http_exchange.h"
#include "proxy/loop_context.h"
#include "proxy/relay_io.h"
#include "proxy/transaction_log.h"
#include "proxy/upstream_connector.h"
#include "workers/worker_pool.h"

#include <sys/socket.h>

#include <fstream>
#include <sstream>

namespace exaproxy::proxy {

namespace {

std::shared_ptr<spdlog::logger>& log() {
  static auto l = logger("proxy");
  return l;
}

} // namespace

ClientSession::ClientSession(LoopContext& ctx, net::Fd fd, const Endpoint& peer,
                             const ListenerConfig& listener, const Endpoint& listenerEndpoint)
    : ctx_(ctx), cfg_(ctx.config()), peer_(peer), tcpPeer_(peer), listener_(listener),
      listenerEndpoint_(listenerEndpoint), timer_(ctx.loop(), [this] { onTimeout(); }) {
  down_.fd = std::move(fd);
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

Exchange ClientSession::ex() {
  if (!tx_) // an answer before any request byte (a refused connection), or the first byte
    tx_.reset(
        detail::takeTx<Transaction>(http::Limits{cfg_->maxRequestHead, cfg_->maxUri}).release());
  return Exchange{ctx_, *cfg_, peer_, tcpPeer_, listenerEndpoint_, *tx_,
                  cur_, down_, up_,   totals_,  closeAfter_};
}

void ClientSession::start() {
  counted_ = ctx_.shared().admitClient(tcpPeer_.address, cfg_->maxConnectionsPerClient);
  down_.watch =
      net::IoWatch(ctx_.loop(), down_.fd.get(), EPOLLIN, [this](uint32_t e) { onClientEvent(e); });
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
    apply(Next::error(503, "Too many connections from your address.", "NONE_NONE", true));
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
  auto st = proxyHeader_->parse(down_.in.view());
  if (st == net::ProxyParseState::NeedMore && !down_.eof)
    return false;
  if (st != net::ProxyParseState::Done) {
    bump(ctx_.counters().proxy_protocol_errors);
    log()->warn("proxy_protocol.failed peer={} reason=\"{}\"", tcpPeer_.toString(),
                st == net::ProxyParseState::Error ? proxyHeader_->error()
                                                  : "closed before the header ended");
    finish();
    return false;
  }
  const auto& h = proxyHeader_->header();
  if (!h.local && h.source)
    peer_ = *h.source; // the real client, for the ACL, the plugins and the access log
  proxyAuthority_ = h.authority;
  down_.in.consume(proxyHeader_->consumed());
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
    i.upstream = up_.remote.toString();
  i.bytesIn = totals_.in;
  i.bytesOut = totals_.out;
  i.ageSeconds = std::chrono::duration<double>(ctx_.loop().now() - connStart_).count();
  return i;
}

void ClientSession::drain() {
  if (state_ == TxState::Idle && down_.in.empty()) {
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
    down_.blocked = false;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    if (state_ == TxState::Tunnelling && tunnel_.splicing(ex(), Side::Client)) {
      tunnel_.toUpstream.readable = true; // stepTunnel() splices it
    } else {
      bool head = state_ == TxState::Idle || state_ == TxState::ReadingHead;
      Next n =
          readSide(ex(), Side::Client, head ? cfg_->maxRequestHead + kReadChunk : kBufferLimit);
      if (n.kind == Next::Kind::Abort) {
        if (state_ == TxState::Idle && down_.in.empty())
          finish(); // a keep-alive client that reset instead of closing: nothing was in flight
        else
          abort(n.why);
        return;
      }
    }
  }
  advance();
}

void ClientSession::onUpstreamEvent(uint32_t events) {
  if (closed_)
    return;
  if (!up_.connected) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
      int err = net::socketError(up_.s.fd.get());
      apply(err ? connectFailed(ex(), std::strerror(err), false) : connected(ex()));
      advance();
    }
    return;
  }
  if (events & EPOLLOUT)
    up_.s.blocked = false;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    if (state_ == TxState::Tunnelling && tunnel_.splicing(ex(), Side::Upstream))
      tunnel_.toClient.readable = true;
    else
      readSide(ex(), Side::Upstream, kBufferLimit); // never fails: a reset is the stream's end
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
  if (state_ == TxState::Idle && down_.in.empty()) {
    finish(); // idle keep-alive connection: close quietly, as every proxy does
    return;
  }
  if (apply(onDeadline(ex(), state_)))
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
      progressed = apply(stepHttp(ex(), filters_));
      break;
    case TxState::Tunnelling:
      progressed = apply(stepTunnel(ex(), tunnel_));
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

bool ClientSession::apply(Next n) {
  if (closed_)
    return false;
  if (n.rearm != Rearm::None)
    timer_.arm(deadline(n.rearm, *cfg_));
  switch (n.kind) {
  case Next::Kind::Stay:
    return false;
  case Next::Kind::Progress:
    return true;
  case Next::Kind::Resolve:
    return resolve();
  case Next::Kind::Connect:
    setState(TxState::Connecting);
    return apply(connectNext(ex()));
  case Next::Kind::Connecting:
    setState(TxState::Connecting);
    up_.s.watch = net::IoWatch(ctx_.loop(), up_.s.fd.get(), EPOLLOUT,
                               [this](uint32_t e) { onUpstreamEvent(e); });
    return false;
  case Next::Kind::Forward:
    up_.s.watch.setCallback([this](uint32_t e) { onUpstreamEvent(e); }); // a pooled connection
    setState(TxState::Forwarding);
    startForwarding(ex());
    timer_.arm(cfg_->firstByte);
    return true;
  case Next::Kind::Relay:
    setState(TxState::Relaying);
    timer_.arm(cfg_->relayIdle);
    return true;
  case Next::Kind::Tunnel:
    openTunnel(ex(), tunnel_, cfg_->splice);
    setState(TxState::Tunnelling);
    timer_.arm(cfg_->tunnelIdle);
    return true;
  case Next::Kind::Answer:
    respond(n.answer);
    return true;
  case Next::Kind::ReadFile:
    readFile(std::move(n));
    return false;
  case Next::Kind::Finish:
    if (state_ == TxState::Forwarding || state_ == TxState::Relaying) {
      finishTransaction();
      return true;
    }
    logAccess(ex(), filters_.transaction()); // a tunnel ended both ways
    finish();
    return false;
  case Next::Kind::Abort:
    abort(n.why);
    return false;
  }
  return false;
}

void ClientSession::updateInterest() {
  uint32_t ce = 0;
  bool wantClient = false;
  switch (state_) {
  case TxState::Idle:
  case TxState::ReadingHead:
    wantClient = down_.in.size() < cfg_->maxRequestHead + kReadChunk;
    break;
  case TxState::Forwarding:
  case TxState::Relaying:
    // Reading on (into the room left) while the response flows costs nothing and saves two
    // epoll_ctl per request; a pipelined request simply waits in the buffer.
    wantClient = down_.in.size() < (cur_.reqBody.done() ? cfg_->maxRequestHead : kBufferLimit);
    break;
  case TxState::Tunnelling:
    // Read a side only once what was read before has left: its buffer has room, its pipe is empty.
    wantClient =
        !up_.s.shut && down_.in.size() < kBufferLimit && tunnel_.toUpstream.pipe.pending() == 0;
    break;
  default:
    break;
  }
  if (wantClient && !down_.eof)
    ce |= EPOLLIN;
  if (down_.blocked)
    ce |= EPOLLOUT;
  down_.watch.setEvents(ce);

  if (!up_.valid())
    return;
  uint32_t ue = 0;
  if (!up_.connected) {
    ue = EPOLLOUT;
  } else {
    bool wantUp = false;
    if (state_ == TxState::Forwarding || state_ == TxState::Relaying)
      wantUp = !cur_.respBody.done() && up_.s.in.size() < kBufferLimit;
    else if (state_ == TxState::Tunnelling)
      wantUp =
          !down_.shut && up_.s.in.size() < kBufferLimit && tunnel_.toClient.pipe.pending() == 0;
    if (wantUp && !up_.s.eof)
      ue |= EPOLLIN;
    if (up_.s.blocked)
      ue |= EPOLLOUT;
  }
  up_.s.watch.setEvents(ue);
}

// ---------------------------------------------------------------------------------------------
// The request: its head, the stages, its end

bool ClientSession::stepHead() {
  if (down_.in.empty()) {
    if (down_.eof) {
      finish();
      return false;
    }
    down_.in.releaseIfEmpty();
    return false;
  }
  auto& tx = ex().tx;
  if (state_ == TxState::Idle) {
    setState(TxState::ReadingHead);
    timer_.arm(cfg_->headerRead);
    cur_.started = true;
    cur_.start = ctx_.loop().now();
  }
  auto st = tx.parser.parse(down_.in.view(), tx.req);
  if (st == http::ParseState::NeedMore) {
    if (!down_.eof)
      return false;
    return apply(
        Next::error(400, "The request ended before its head was complete.", "NONE_NONE", true));
  }
  if (st == http::ParseState::Error) {
    bump(ctx_.counters().parse_errors);
    const auto& e = tx.parser.error();
    log()->info("request.rejected client={} status={} reason=\"{}\"", peer_.toString(), e.status,
                e.reason);
    return apply(Next::error(e.status, e.reason, "NONE_NONE", true));
  }
  down_.in.consume(tx.parser.consumed());
  cur_.haveRequest = true;
  startTransaction();
  return true;
}

void ClientSession::startTransaction() {
  bump(ctx_.counters().requests);
  cfg_ = ctx_.config();
  timer_.cancel();
  setState(TxState::Filtering);
  auto admission = admit(tx_->req, *cfg_, Origin{peer_, ctx_.localHost(), listener_.routeByHost});
  switch (admission.next) {
  case Admission::Next::ProxyPage:
    apply(answerProxyItself(ex()));
    return;
  case Admission::Next::Answer:
    if (!admission.event.empty()) {
      bump(ctx_.counters().denied);
      log()->info("{} client={} url={} reason=\"{}\"", admission.event, peer_.toString(),
                  tx_->req.url(), admission.reason);
    }
    apply(Next::answerWith(std::move(admission.answer)));
    return;
  case Admission::Next::Filter:
    tx_->selfTarget = admission.selfTarget;
    filters_.run(ex(), [this](plugin::Outcome&& o) {
      if (closed_)
        return;
      bool later = !filters_.running(); // a PENDING verdict: resume the state machine
      apply(filters_.decide(ex(), o));
      if (later)
        advance();
    });
    return;
  }
}

bool ClientSession::resolve() {
  setState(TxState::Resolving);
  if (auto cached = ctx_.resolver().cached(tx_->destHost))
    return apply(resolved(ex(), *cached));
  dnsHandle_ = ctx_.resolver().resolve(tx_->destHost, [this](const dns::Answer& a) {
    dnsHandle_.reset();
    apply(resolved(ex(), a));
    advance();
  });
  return false;
}

// A plugin's Respond naming a file: a worker reads it (a slow disk or NFS must not stall the
// loop), the loop answers. The session may be gone by then: the weak token says so.
void ClientSession::readFile(Next next) {
  setState(TxState::Filtering);
  auto content = std::make_shared<std::optional<std::string>>();
  auto read = [content, path = next.file] {
    std::ifstream f(path, std::ios::binary);
    if (f) {
      std::ostringstream ss;
      ss << f.rdbuf();
      *content = ss.str();
    }
  };
  if (!life_)
    life_ = std::make_shared<int>(0);
  auto answer = [this, alive = std::weak_ptr<int>(life_), content, next = std::move(next)] {
    if (alive.expired() || closed_)
      return;
    if (!content->has_value()) {
      log()->warn("plugin.file_unreadable plugin={} file={}", next.why, next.file);
      respond(Next::error(500, "The content for this request could not be read.", "TCP_MISS",
                          next.answer.close)
                  .answer);
    } else {
      LocalAnswer a = next.answer;
      a.ownBody = std::move(**content);
      respond(a);
    }
    advance();
  };
  if (auto* workers = ctx_.shared().workers) {
    workers->submit(std::move(read), ctx_.loop(), std::move(answer));
  } else {
    read();
    ctx_.loop().post(std::move(answer));
  }
}

void ClientSession::respond(const LocalAnswer& a) {
  if (cur_.respHeadDone || cur_.bytesToClient > 0) {
    abort("error after the response started");
    return;
  }
  up_.close();
  dnsHandle_.reset();
  auto& tx = ex().tx;
  bump(ctx_.counters().local_responses);
  cur_.status = a.status;
  cur_.resultCode.assign(a.resultCode);
  std::string page;
  if (a.errorPage)
    page = ctx_.errorPages().render(a.status, a.detail, cur_.haveRequest ? tx.req.url() : "-",
                                    cfg_->name);
  std::string_view body = a.errorPage ? page : a.ownBody.empty() ? a.body : a.ownBody;
  tx.contentType.assign(a.errorPage ? "text/html; charset=utf-8" : a.contentType);
  closeAfter_ = closeAfter_ || a.close || !cur_.haveRequest || !tx.req.keepAlive || ctx_.draining();
  std::string bytes;
  http::ForwardOptions opts;
  opts.viaName = cfg_->name;
  opts.keepAlive = !closeAfter_;
  http::writeLocalResponse(a.status, tx.contentType, body, a.headers, opts, bytes);
  if (cur_.haveRequest && tx.req.isHead())
    bytes.resize(bytes.size() - body.size()); // HEAD: the same head (Content-Length too), no body
  down_.out.append(bytes);
  setState(TxState::Responding);
  timer_.arm(cfg_->relayIdle);
}

bool ClientSession::stepLocal() {
  if (!down_.out.empty() && !down_.blocked) {
    apply(flushClient(ex()));
    if (closed_)
      return false;
  }
  if (!down_.out.empty())
    return false;
  if (state_ == TxState::Responding) {
    logAccess(ex(), filters_.transaction());
    if (!closeAfter_) {
      releaseTransaction();
      setState(TxState::Idle);
      timer_.arm(cfg_->idleKeepAlive);
      return true;
    }
    setState(TxState::Closing);
  }
  // Closing: everything is written; shut our side down gently so the last bytes arrive.
  ::shutdown(down_.fd.get(), SHUT_WR);
  finish();
  return false;
}

void ClientSession::finishTransaction() {
  Exchange e = ex();
  // The upstream connection goes back to the pool only if both messages ended cleanly.
  if (upstreamReusable(e)) {
    ctx_.pool().setLimits(cfg_->poolPerDestination, cfg_->upstreamIdle);
    ctx_.pool().put(up_.remote, UpstreamPool::Conn{std::move(up_.s.fd), std::move(up_.s.watch)});
  }
  up_.close();
  if (!cur_.requestSent)
    closeAfter_ = true; // the rest of the request body is still on its way: framing is lost
  logAccess(e, filters_.transaction());
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
  filters_.release(ctx_.loop());
  if (tx_) // recycled for a later request of this loop (see TxRecycler)
    ctx_.loop().deferDestroy(std::move(tx_));
  // The upstream connection went back to the pool or was closed: its buffers go too.
  up_.s.in = net::Buffer();
  up_.s.out = net::Buffer();
  up_.s.eof = up_.s.blocked = up_.s.shut = false;
  // An idle keep-alive connection keeps no heap memory: the transaction and both buffers go.
  down_.out.releaseIfEmpty();
  down_.in.releaseIfEmpty();
}

void ClientSession::abort(std::string_view why) {
  if (closed_)
    return;
  log()->info("session.abort client={} state={} url={} reason=\"{}\"", peer_.toString(),
              toString(state_), cur_.haveRequest ? tx_->req.url() : std::string("-"), why);
  if (cur_.started) {
    if (cur_.resultCode != "TCP_TUNNEL")
      markAborted(cur_);
    logAccess(ex(), filters_.transaction());
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
  up_.close();
  down_.watch.reset();
  tunnel_.release(ctx_.pipes()); // a pipe still holding bytes is closed
  ctx_.release(this);
}

} // namespace exaproxy::proxy
