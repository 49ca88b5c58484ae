#include "proxy/client_session.h"

#include "proxy/connection_admission.h"
#include "proxy/deadlines.h"
#include "proxy/http_exchange.h"
#include "proxy/interest.h"
#include "proxy/local_response.h"
#include "proxy/loop_context.h"
#include "proxy/proxy_log.h"
#include "proxy/relay_io.h"
#include "proxy/request_head.h"
#include "proxy/transaction_log.h"
#include "proxy/upstream_connector.h"

#include <sys/socket.h>

#include <cstring>

namespace exaproxy::proxy {

ClientSession::ClientSession(LoopContext& ctx, net::Fd fd, const Endpoint& peer,
                             const ListenerConfig& listener, const Endpoint& listenerEndpoint)
    : ctx_(ctx), cfg_(ctx.config()), peer_(peer), tcpPeer_(peer), listener_(listener),
      listenerEndpoint_(listenerEndpoint), timer_(ctx.loop(), [this] { onTimeout(); }) {
  down_.fd = std::move(fd);
  connId_ = ctx_.shared().lastConnectionId.fetch_add(1, std::memory_order_relaxed) + 1;
  connStart_ = ctx_.loop().now();
  bump(ctx_.counters().connections_accepted);
  bump(ctx_.counters().connections_active);
  // state_ starts as Idle (waiting for the first request): counted like every later Idle, so
  // that leaving it (setState) or closing in it (the destructor) has an increment to undo.
  bump(ctx_.counters().connections_idle);
  filters_.onBodyResume([this] { resumeBody(); });
}

ClientSession::~ClientSession() {
  filters_.endConnection(ctx_, connId_, counted_); // after the on_done of the last transaction
  exaproxy::drop(ctx_.counters().connections_active);
  if (state_ == TxState::Idle)
    exaproxy::drop(ctx_.counters().connections_idle);
  if (state_ == TxState::Tunnelling)
    exaproxy::drop(ctx_.counters().tunnels_active);
  if (counted_)
    ctx_.shared().releaseClient(peer_.address);
  ctx_.shared().connections.fetch_sub(1, std::memory_order_relaxed);
}

Exchange ClientSession::ex() {
  if (!tx_) // an answer before any request byte (a refused connection), or the first byte
    tx_.reset(
        detail::takeTx<Transaction>(http::Limits{cfg_->maxRequestHead, cfg_->maxUri}).release());
  return Exchange{ctx_, *cfg_, peer_, tcpPeer_, listenerEndpoint_, *tx_,
                  cur_, down_, up_,   totals_,  closeAfter_,       connId_};
}

void ClientSession::start() {
  down_.watch =
      net::IoWatch(ctx_.loop(), down_.fd.get(), EPOLLIN, [this](uint32_t e) { onClientEvent(e); });
  if (listener_.proxyProtocol == ProxyProtocol::Off) {
    welcome();
    return;
  }
  // The header comes first, from a load balancer we trust, or the connection is closed without a
  // word (there is no HTTP client to answer yet).
  if (!proxyPeerTrusted(ctx_, listener_, tcpPeer_)) {
    finish();
    return;
  }
  proxyHeader_ =
      std::make_unique<net::ProxyProtocolParser>(net::proxyProtocolMode(listener_.proxyProtocol));
  setState(TxState::ReadingHead);
  timer_.arm(std::min<net::Millis>(cfg_->headerRead, net::Millis(5000)));
}

bool ClientSession::welcome() {
  // max_connections_per_client counts the client: with PROXY protocol, the address the header
  // carries (peer_ is final now, so the destructor releases this slot).
  counted_ = ctx_.shared().admitClient(peer_.address, cfg_->maxConnectionsPerClient);
  switch (admitConnection(ctx_, counted_, peer_, listenerEndpoint_, connId_)) {
  case Welcome::Admitted:
    setState(TxState::Idle);
    timer_.arm(cfg_->headerRead);
    return true;
  case Welcome::TooMany:
    apply(Next::error(503, "Too many connections from your address.", "NONE_NONE", true));
    advance();
    return false;
  case Welcome::Refused:
    break;
  }
  finish();
  return false;
}

bool ClientSession::stepProxyHeader() {
  auto step =
      readProxyHeader(ctx_, *proxyHeader_, down_.in, down_.eof, tcpPeer_, peer_, proxyAuthority_);
  if (step == HeaderStep::Failed)
    finish();
  if (step != HeaderStep::Done)
    return false;
  proxyHeader_.reset();
  return welcome();
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
  i.identity = filters_.user().empty() ? totals_.user : std::string(filters_.user());
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
        if ((state_ == TxState::Idle && down_.in.empty()) || state_ == TxState::Lingering)
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
    proxyHeaderTimedOut(ctx_, tcpPeer_);
    finish();
    return;
  }
  if ((state_ == TxState::Idle && down_.in.empty()) || state_ == TxState::Lingering) {
    finish(); // idle keep-alive connection (close quietly, as every proxy does), or lingering over
    return;
  }
  apply(onDeadline(ex(), state_));
  advance(); // whatever the expiry led to (another address, an answer), the interest follows
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
    case TxState::Lingering:
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
  case Next::Kind::Filter:
    filters_.run(ex(), [this](plugin::Outcome&& o) {
      if (closed_)
        return;
      bool later = !filters_.running(); // a PENDING verdict: resume the state machine
      apply(filters_.decide(ex(), o));
      if (later)
        advance();
    });
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
    timer_.arm(cfg_->firstByte);
    return apply(startForwarding(ex(), filters_));
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
  applyInterest(interestFor(state_, *cfg_, down_, up_, cur_, tunnel_), down_, up_);
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
  Exchange e = ex();
  if (state_ == TxState::Idle) {
    setState(TxState::ReadingHead);
    timer_.arm(cfg_->headerRead);
    cur_.started = true;
    cur_.start = ctx_.loop().now();
  }
  Next n = readRequestHead(e);
  if (n.kind != Next::Kind::Progress)
    return apply(std::move(n));
  bump(ctx_.counters().requests);
  cfg_ = ctx_.config(); // a reload since the last request applies from this one on
  timer_.cancel();
  setState(TxState::Filtering);
  apply(admitRequest(ex(), listener_.routeByHost));
  return true;
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

// A plugin's Respond naming a file. The session may be gone when the content arrives: the weak
// token says so.
void ClientSession::readFile(Next next) {
  setState(TxState::Filtering);
  if (!life_)
    life_ = std::make_shared<int>(0);
  auto path = next.file;
  readAnswerFile(ctx_.shared().workers, ctx_.loop(), std::move(path),
                 [this, alive = std::weak_ptr<int>(life_),
                  next = std::move(next)](std::optional<std::string>&& content) {
                   if (alive.expired() || closed_)
                     return;
                   LocalAnswer a = next.answer;
                   if (content) {
                     a.ownBody = std::move(*content);
                   } else {
                     proxyLog()->warn("plugin.file_unreadable plugin={} file={}", next.why,
                                      next.file);
                     a = Next::error(500, "The content for this request could not be read.",
                                     "TCP_MISS", a.close)
                             .answer;
                   }
                   respond(a);
                   advance();
                 });
}

void ClientSession::respond(const LocalAnswer& a) {
  if (cur_.responseStarted()) {
    abort("error after the response started");
    return;
  }
  up_.close();
  dnsHandle_.reset();
  auto& tx = ex().tx;
  bump(ctx_.counters().local_responses);
  cur_.status = a.status;
  cur_.resultCode.assign(a.resultCode);
  closeAfter_ = closeAfter_ || a.close || !cur_.haveRequest || !tx.req.keepAlive || ctx_.draining();
  down_.out.append(serializeAnswer(a, cur_.haveRequest ? &tx.req : nullptr, *cfg_,
                                   ctx_.errorPages(), !closeAfter_, tx.contentType));
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
  if (state_ == TxState::Closing) {
    // All written: shut our side gently. A client still sending (a refused body) would get a
    // reset that can destroy the answer unread (RFC 9112 §9.6): read and drop, for a while.
    ::shutdown(down_.fd.get(), SHUT_WR);
    if (down_.eof || (down_.in.empty() && (!cur_.haveRequest || cur_.reqBody.done()))) {
      finish();
      return false;
    }
    setState(TxState::Lingering);
    timer_.arm(kLingeringClose);
  }
  down_.in.consume(down_.in.size());
  if (down_.eof)
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
  proxyLog()->info("session.abort client={} state={} url={} reason=\"{}\"", peer_.toString(),
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
