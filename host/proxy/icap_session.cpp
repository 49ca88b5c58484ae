#include "proxy/icap_session.h"

#include "core/logging.h"
#include "plugin/plugin_runtime.h"
#include "proxy/denial_log.h"
#include "proxy/icap_answer.h"
#include "proxy/icap_server.h"
#include "proxy/local_response.h"
#include "proxy/loop_context.h"
#include "proxy/plugin_answer.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace exaproxy::proxy {

namespace {

// Bytes read ahead of the request being judged (a client does not pipeline ICAP requests; this
// only bounds one that does).
constexpr size_t kMaxReadAhead = 256 * 1024;

std::shared_ptr<spdlog::logger>& icapLog() {
  static auto log = logger("icap");
  return log;
}

} // namespace

IcapSession::IcapSession(IcapServer& server, net::Fd fd, const Endpoint& peer)
    : server_(server), fd_(std::move(fd)), peer_(peer), idle_(server.context().loop()) {}

IcapSession::~IcapSession() {
  *alive_ = false;
  if (tx_)
    tx_->done(plugin::TxSummary{});
}

void IcapSession::start() {
  watch_ = net::IoWatch(server_.context().loop(), fd_.get(), EPOLLIN | EPOLLRDHUP,
                        [this](uint32_t events) { onIo(events); });
  idle_.setCallback([this] {
    if (state_ == State::Filtering) // the plugins' own timeouts bound this
      return armIdle();
    icapLog()->debug("icap.idle client={} (closed)", peer_.toString());
    close();
  });
  armIdle();
}

std::string IcapSession::istag() const {
  auto* runtime = server_.context().shared().runtime;
  const void* chain = runtime ? static_cast<const void*>(runtime->chain().get()) : nullptr;
  char tag[32];
  std::snprintf(tag, sizeof tag, "ep-%zx", reinterpret_cast<uintptr_t>(chain) >> 4);
  return tag;
}

void IcapSession::armIdle() {
  const HostConfig& cfg = *server_.context().config();
  idle_.arm(in_.empty() && state_ == State::Head ? cfg.idleKeepAlive : cfg.headerRead);
}

void IcapSession::onIo(uint32_t events) {
  if (events & EPOLLOUT)
    flush();
  if (state_ == State::Closing)
    return;
  if (events & (EPOLLHUP | EPOLLERR)) {
    // Both directions are gone (or the socket failed): nothing can be answered, and the flag
    // would keep waking the loop while a request is judged.
    icapLog()->debug("icap.hangup client={}", peer_.toString());
    return close();
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
    readSome();
}

void IcapSession::readSome() {
  while (in_.size() < kMaxReadAhead && !peerEof_) {
    char buf[16384];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      peerEof_ = true;
      break;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      icapLog()->debug("icap.read_error client={} reason=\"{}\"", peer_.toString(),
                       std::strerror(errno));
      return close();
    }
    break;
  }
  armIdle();
  advance();
  if (state_ == State::Closing)
    return;
  if (peerEof_ && state_ != State::Filtering) {
    // The client ended its side: nothing more can come (a partial request is abandoned).
    if (out_.empty())
      return close();
    state_ = State::Closing;
    return watch_.setEvents(EPOLLOUT);
  }
  // While a request is judged (or read-ahead is full), stop reading: no busy wake-ups.
  bool reading = state_ != State::Filtering && in_.size() < kMaxReadAhead && !peerEof_;
  watch_.setEvents((reading ? EPOLLIN | EPOLLRDHUP : 0u) | (out_.empty() ? 0u : EPOLLOUT));
}

void IcapSession::advance() {
  for (;;) {
    switch (state_) {
    case State::Head:
      if (!readHead())
        return;
      break;
    case State::Heads:
      if (!readHeads())
        return;
      break;
    case State::Body:
      if (!readBody(State::Filtering))
        return;
      runChain();
      break;
    case State::Rest:
      if (!readBody(State::Head))
        return;
      if (respmod_)
        respmodBody();
      else
        finish(icapd::requestAnswer(istag(), pending_, std::string_view(body_)), 0);
      break;
    case State::Filtering:
    case State::Closing:
      return;
    }
  }
}

bool IcapSession::readHead() {
  if (in_.empty())
    return false;
  if (!headParser_)
    headParser_.emplace();
  icap::Progress p = headParser_->feed(in_);
  in_.erase(0, p.consumed);
  if (p.status == icap::ParseStatus::NeedMore)
    return false;
  if (p.status == icap::ParseStatus::Error) {
    fail(400, headParser_->error());
    return false;
  }
  icap_ = headParser_->head();
  headParser_.reset();
  const std::string& m = icap_.method;
  // The service is the URI's: .../respmod is the RESPMOD service, anything else REQMOD's.
  bool respService = icapd::isRespmodService(icap_.uri);
  if (m == "OPTIONS") {
    // An OPTIONS request carries no body we need (opt-body is for answers); refuse one with a
    // body rather than misread it as the next request.
    if (icap_.encapsulated && icap_.encapsulated->hasChunkedBody()) {
      fail(400, "OPTIONS with a body");
      return false;
    }
    out_ += icapd::optionsAnswer(istag(), server_.context().config()->icapServerMaxConnections,
                                 respService);
    flush();
    return state_ != State::Closing;
  }
  if (m != "REQMOD" && m != "RESPMOD") {
    fail(501, "unknown ICAP method " + m);
    return false;
  }
  respmod_ = m == "RESPMOD";
  if (respmod_ != respService) {
    fail(405, m + " sent to the " + (respService ? "RESPMOD" : "REQMOD") + " service " + icap_.uri);
    return false;
  }
  const auto& e = icap_.encapsulated;
  icap::BodyKind kind = e ? e->bodyKind() : icap::BodyKind::OptBody;
  bool shaped = respmod_
                    ? e && e->reqHdr && e->resHdr &&
                          (kind == icap::BodyKind::ResBody || kind == icap::BodyKind::NullBody)
                    : e && e->reqHdr && !e->resHdr &&
                          (kind == icap::BodyKind::ReqBody || kind == icap::BodyKind::NullBody);
  if (!shaped) {
    fail(400, respmod_ ? "RESPMOD without req-hdr and res-hdr, or with a request body"
                       : "REQMOD without req-hdr, or with a response part");
    return false;
  }
  const std::string* allow = icap_.field("Allow");
  allow204_ = allow && allow->find("204") != std::string::npos;
  preview_ = icap_.field("Preview") != nullptr;
  hasBody_ = kind == icap::BodyKind::ReqBody || kind == icap::BodyKind::ResBody;
  ieof_ = false;
  body_.clear();
  state_ = State::Heads;
  return true;
}

bool IcapSession::readHeads() {
  size_t need = icap_.encapsulated->bodyOffset();
  const HostConfig& cfg = *server_.context().config();
  if (need > 2 * cfg.maxRequestHead) {
    // Offsets may claim up to 4 GiB; the heads they cut are bounded like the proxy's own.
    fail(400, "encapsulated heads of " + std::to_string(need) + " bytes (more than twice " +
                  "[limits] max_request_head)");
    return false;
  }
  if (in_.size() < need)
    return false;
  auto heads = icap::cutHeads(*icap_.encapsulated, in_);
  if (!heads) {
    fail(400, heads.error());
    return false;
  }
  rawHead_.assign(heads->reqHdr);
  in_.erase(0, need);
  http::RequestParser parser(http::Limits{cfg.maxRequestHead, cfg.maxUri});
  req_ = http::RequestHead();
  if (parser.parse(rawHead_, req_) != http::ParseState::Complete ||
      parser.consumed() != rawHead_.size()) {
    // The client's own parser took it; ours does not: the request is not let through.
    fail(400, "encapsulated HTTP head refused: " + parser.error().reason);
    return false;
  }
  reqText_ = icapd::requestHeadText(req_);
  if (respmod_ && !readResponseHead(heads->resHdr))
    return false;
  if (hasBody_) {
    decoder_.emplace();
    state_ = State::Body;
  } else {
    runChain();
  }
  return true;
}

bool IcapSession::readBody(State next) {
  size_t before = body_.size();
  icap::Progress p = decoder_->feed(in_, body_);
  in_.erase(0, p.consumed);
  if (p.status == icap::ParseStatus::Error) {
    fail(400, "chunked body: " + decoder_->error());
    return false;
  }
  uint64_t max = server_.context().config()->icapServerMaxBody;
  if (body_.size() > max && body_.size() > before) {
    fail(413, "body larger than [icap_server] max_body " + std::to_string(max));
    return false;
  }
  if (p.status == icap::ParseStatus::NeedMore)
    return false;
  if (state_ == State::Body)
    ieof_ = !preview_ || decoder_->ieof();
  decoder_.reset();
  state_ = next;
  return true;
}

void IcapSession::runChain() {
  LoopContext& ctx = server_.context();
  bump(ctx.counters().icap_requests);
  state_ = State::Filtering;
  // The client Squid names (icap_send_client_ip), else the ICAP peer itself.
  Endpoint client = peer_;
  if (const std::string* ip = icap_.field("X-Client-IP"))
    if (auto a = IpAddress::parse(*ip))
      client = Endpoint{*a, 0};
  auto* runtime = ctx.shared().runtime;
  if (!runtime) {
    onVerdict(plugin::Outcome{});
    return;
  }
  tx_ = std::make_unique<plugin::PluginTransaction>(runtime->chain(), ctx.loop(),
                                                    ctx.shared().workers,
                                                    plugin::TxInfo{client, server_.endpoint(), 0});
  if (const std::string* user = icap_.field("X-Client-Username"))
    tx_->setIdentity(plugin::Identity{client.address.toString(), *user});
  tx_->runRequest(req_, [this](plugin::Outcome&& o) { onVerdict(std::move(o)); });
}

void IcapSession::onVerdict(plugin::Outcome&& o) {
  using Kind = plugin::Outcome::Kind;
  LoopContext& ctx = server_.context();
  if (respmod_ && (o.kind == Kind::Continue || o.kind == Kind::Route))
    return respmodVerdict(); // the request passed: on to the response hooks
  if (o.kind == Kind::Route) {
    // ROUTE has no ICAP meaning: the request's target is rewritten to the chosen host.
    req_.host = o.routeHost;
    if (o.routePort) {
      req_.port = o.routePort;
      req_.explicitPort = true;
    }
  }
  if (o.kind != Kind::Continue && o.kind != Kind::Route) {
    if (o.kind == Kind::Deny) {
      bump(ctx.counters().denied);
      logDenial(
          "icap.denied plugin=" + o.plugin, "icap.denied client={} url={} plugin={} reason=\"{}\"",
          tx_ ? tx_->identity().address : peer_.address.toString(), req_.url(), o.plugin, o.reason);
    }
    if (o.kind == Kind::Respond && o.page.name.empty() && !o.file.empty()) {
      std::weak_ptr<bool> alive = alive_;
      readAnswerFile(ctx.shared().workers, ctx.loop(), o.file.string(),
                     [this, alive, o](std::optional<std::string>&& content) {
                       if (auto a = alive.lock(); a && *a)
                         answerResponse(o, std::move(content));
                     });
      return;
    }
    return answerResponse(o, std::nullopt);
  }
  std::string text = icapd::requestHeadText(req_);
  bool changed = text != reqText_;
  std::string bytes;
  if (changed) {
    bump(ctx.counters().icap_modified);
    if (hasBody_ && !ieof_) {
      // The edited head goes back with the whole body: ask for the rest first.
      pending_ = std::move(text);
      return askForTheRest();
    }
    bytes = icapd::requestAnswer(istag(), text,
                                 hasBody_ ? std::optional<std::string_view>(body_) : std::nullopt);
  } else if (allow204_ || preview_) {
    bytes = icapd::noContentAnswer(istag());
  } else {
    bytes = icapd::requestAnswer(istag(), rawHead_,
                                 hasBody_ ? std::optional<std::string_view>(body_) : std::nullopt);
  }
  icapLog()->debug("icap.reqmod client={} url={} verdict={}", peer_.toString(), req_.url(),
                   changed ? "modified" : "unchanged");
  finish(std::move(bytes), 0);
}

void IcapSession::answerResponse(const plugin::Outcome& o, std::optional<std::string> fileBody) {
  LoopContext& ctx = server_.context();
  const HostConfig& cfg = *ctx.config();
  const plugin::Identity* who = tx_ ? &tx_->identity() : nullptr;
  PageContext pc{req_, who ? who->address : peer_.address.toString(), who ? who->user : "",
                 cfg.name, ctx.errorPages()};
  LocalAnswer a = pluginAnswer(pc, o);
  if (fileBody) {
    a.ownBody = std::move(*fileBody);
  } else if (o.kind == plugin::Outcome::Kind::Respond && o.page.name.empty() && !o.file.empty()) {
    icapLog()->error("icap.file_unreadable file={} plugin={} (answered 500)", o.file.string(),
                     o.plugin);
    a = LocalAnswer{};
    a.status = 500;
    a.detail = "The answer's file could not be read.";
  }
  bump(ctx.counters().icap_answered);
  std::string contentType;
  std::string http = serializeAnswer(a, &req_, cfg, ctx.errorPages(), true, contentType);
  icapLog()->debug("icap.reqmod client={} url={} verdict={} status={} plugin={}", peer_.toString(),
                   req_.url(), plugin::toString(o.kind), a.status, o.plugin);
  finish(icapd::responseAnswer(istag(), http), a.status);
}

void IcapSession::finish(std::string bytes, int httpStatus) {
  out_ += bytes;
  if (tx_) {
    tx_->onBodyResume(nullptr);
    tx_->done(plugin::TxSummary{httpStatus, body_.size(), 0, {}});
    server_.context().loop().deferDestroy(std::move(tx_));
  }
  body_.clear();
  pending_.clear();
  decoder_.reset();
  state_ = State::Head;
  flush();
  if (state_ == State::Closing)
    return;
  armIdle();
  resumeReading();
}

void IcapSession::askForTheRest() {
  out_ += icapd::continueAnswer();
  state_ = State::Rest;
  decoder_.emplace();
  flush();
  if (state_ == State::Rest)
    resumeReading();
}

void IcapSession::resumeReading() {
  // From the loop, not from inside a verdict: what was read ahead is parsed, reading goes on.
  server_.context().loop().post([alive = std::weak_ptr<bool>(alive_), this] {
    if (auto a = alive.lock(); a && *a && state_ != State::Filtering && state_ != State::Closing)
      readSome();
  });
}

void IcapSession::fail(int status, std::string_view why) {
  bump(server_.context().counters().icap_errors);
  icapLog()->warn("icap.error client={} status={} reason=\"{}\"", peer_.toString(), status, why);
  out_ += icapd::errorAnswer(status, istag(), true);
  if (tx_) {
    tx_->onBodyResume(nullptr);
    tx_->done(plugin::TxSummary{});
    server_.context().loop().deferDestroy(std::move(tx_));
  }
  state_ = State::Closing;
  flush();
}

void IcapSession::flush() {
  while (!out_.empty()) {
    ssize_t n = ::send(fd_.get(), out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      watch_.setEvents(watch_.events() | EPOLLOUT);
      return;
    }
    return close(); // the client is gone
  }
  if (state_ == State::Closing)
    return close();
  if (watch_.active() && (watch_.events() & EPOLLOUT))
    watch_.setEvents(watch_.events() & ~uint32_t(EPOLLOUT));
}

void IcapSession::close() {
  if (!fd_.valid())
    return;
  state_ = State::Closing;
  idle_.cancel();
  watch_.reset();
  fd_ = net::Fd();
  server_.release(this);
}

} // namespace exaproxy::proxy
