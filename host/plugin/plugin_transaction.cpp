#include "plugin/plugin_transaction.h"

#include "http/request_parser.h"
#include "http/response_parser.h"

#include <spdlog/logger.h>

#include <algorithm>
#include <atomic>
#include <new>
#include <vector>

namespace exaproxy::plugin {

namespace {

std::atomic<uint64_t> gNextTxnId{1};

// Free PluginTransaction-sized blocks of this thread (see operator new below). Under
// AddressSanitizer every block goes back to malloc, so a use after free is caught.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheBlocks = false;
#else
constexpr bool kCacheBlocks = true;
#endif
constexpr size_t kBlockCacheMax = 64;
thread_local bool tlsBlocksGone = false; // the thread's cache is destroyed (thread exit)
struct BlockCache {
  std::vector<void*> blocks;
  ~BlockCache() {
    tlsBlocksGone = true;
    for (void* b : blocks)
      ::operator delete(b);
  }
};
thread_local BlockCache tlsBlocks;

} // namespace

void* PluginTransaction::operator new(std::size_t size) {
  if (size == sizeof(PluginTransaction) && !tlsBlocksGone && !tlsBlocks.blocks.empty()) {
    void* p = tlsBlocks.blocks.back();
    tlsBlocks.blocks.pop_back();
    return p;
  }
  return ::operator new(size);
}

void PluginTransaction::operator delete(void* p, std::size_t size) noexcept {
  if (kCacheBlocks && size == sizeof(PluginTransaction) && !tlsBlocksGone &&
      tlsBlocks.blocks.size() < kBlockCacheMax) {
    if (tlsBlocks.blocks.capacity() < kBlockCacheMax) {
      try {
        tlsBlocks.blocks.reserve(kBlockCacheMax);
      } catch (...) {
        ::operator delete(p);
        return;
      }
    }
    tlsBlocks.blocks.push_back(p);
    return;
  }
  ::operator delete(p);
}

PluginTransaction::PluginTransaction(ChainPtr chain, net::EventLoop& loop,
                                     workers::WorkerPool* pool, TxInfo info)
    : chain_(chain ? std::move(chain) : std::make_shared<const Chain>()), loop_(loop),
      timer_(loop, [this] { onTimeout(); }) {
  txn_.id = gNextTxnId.fetch_add(1, std::memory_order_relaxed);
  txn_.chain = chain_.get();
  txn_.owner = this;
  txn_.loop = &loop;
  txn_.pool = pool;
  txn_.connection = info.connection;
  txn_.clientPort = info.client.port;
  txn_.identity.address = info.client.address.toString();
  txn_.listenerEndpoint = info.listener;
  // txn_.data is sized by the first txn_set_data() (txn_data() reads a missing slot as null).
}

PluginTransaction::~PluginTransaction() {
  timer_.cancel();
  done_ = nullptr; // a pending verdict is cancelled: its callback never runs
  releaseHandles();
  if (requestStarted_ && !doneCalled_)
    done(TxSummary{});
}

void PluginTransaction::releaseHandles() {
  for (auto h : handles_)
    PendingTable::instance().release(h);
  handles_.clear();
  waitHandle_ = 0;
}

exaproxy_pending PluginTransaction::allocatePending() {
  if (txn_.current >= chain_->links().size())
    return 0;
  auto h =
      PendingTable::instance().allocate(loop_, this, chain_->links()[txn_.current].plugin.get());
  handles_.push_back(h);
  return h;
}

void PluginTransaction::runRequest(http::RequestHead& req, Callback done) {
  requestStarted_ = true;
  started_ = loop_.now(); // the loop's time of this iteration: no clock read per request
  txn_.req = &req;
  done_ = std::move(done);
  next_ = 0;
  step();
}

void PluginTransaction::step() {
  const auto& links = chain_->links();
  while (next_ < links.size()) {
    size_t i = next_++;
    const auto& link = links[i];
    const auto& d = link.plugin->descriptor();
    auto hook = txn_.req->isConnect() && d.on_connect ? d.on_connect : d.on_request_head;
    if (!hook)
      continue;
    exaproxy_verdict v;
    std::string why;
    txn_.current = i;
    txn_.taken = 0;
    txn_.allowPending = true;
    txn_.inHeadHook = true;
    int32_t action = detail::callHook(*link.plugin, hook, &txn_, &v, why);
    txn_.inHeadHook = false;
    txn_.allowPending = false;
    exaproxy_pending taken = txn_.taken;
    txn_.taken = 0;
    txn_.current = kNone;
    if (action == EXAPROXY_PENDING) {
      detail::countVerdict(*link.plugin, action);
      if (taken == 0) {
        link.plugin->counters.errors.fetch_add(1, std::memory_order_relaxed);
        if (apply(i, EXAPROXY_ERROR, v, "PENDING without pending_handle()"))
          return;
        continue;
      }
      waiting_ = i;
      waitHandle_ = taken;
      timer_.arm(link.policy.timeout);
      return; // onPendingComplete() or onTimeout() resumes
    }
    if (taken != 0) { // took a handle but answered at once: the handle is void now
      PendingTable::instance().release(taken);
    }
    detail::countVerdict(*link.plugin, action);
    if (apply(i, action, v, why))
      return;
  }
  finish(Outcome{});
}

bool PluginTransaction::apply(size_t i, int32_t action, exaproxy_verdict& v,
                              const std::string& why) {
  const auto& link = chain_->links()[i];
  // A verdict's notes and user (ABI 1.5) count only once the verdict itself is accepted: not
  // for an ERROR, nor for one the host turns into an ERROR (edits that do not fit, a malformed
  // final verdict).
  switch (action) {
  case EXAPROXY_CONTINUE:
    applyCarried(txn_, i, v);
    return false;
  case EXAPROXY_REWRITE:
    if (!v.edits.empty()) { // ABI 1.2: edits carried by the verdict, applied here on the loop
      std::string problem;
      if (!applyRequestEdits(*txn_.req, v.edits, problem)) {
        link.plugin->counters.errors.fetch_add(1, std::memory_order_relaxed);
        v.edits.clear();
        return apply(i, EXAPROXY_ERROR, v, problem);
      }
      size_t running = txn_.current;
      txn_.current = i; // the edits are this link's, whenever its verdict arrives
      for (const auto& e : v.edits) {
        if (e.kind == RequestEdit::Kind::Url)
          markChange(txn_, kChangedUrl);
        else
          markHeaderChange(txn_, e.name);
      }
      txn_.current = running;
    }
    applyCarried(txn_, i, v);
    txn_.rewritten = true;
    return false;
  case EXAPROXY_ROUTE:
  case EXAPROXY_REDIRECT:
  case EXAPROXY_RESPOND:
  case EXAPROXY_DENY: {
    Outcome o;
    std::string problem;
    if (!detail::finalOutcome(action, v, o, problem)) {
      link.plugin->counters.errors.fetch_add(1, std::memory_order_relaxed);
      return apply(i, EXAPROXY_ERROR, v, problem);
    }
    applyCarried(txn_, i, v);
    o.plugin = link.plugin->name();
    o.pluginName = link.plugin->descriptor().name;
    finish(std::move(o));
    return true;
  }
  default: {
    std::string reason = why;
    if (reason.empty())
      reason = action == EXAPROXY_ERROR
                   ? (v.outcome.reason.empty() ? "ERROR verdict" : v.outcome.reason)
                   : "unknown verdict " + std::to_string(action);
    Outcome o = detail::failurePolicy(link, false, reason);
    if (o.kind == Outcome::Kind::Continue)
      return false;
    finish(std::move(o));
    return true;
  }
  }
}

void PluginTransaction::finish(Outcome o) {
  txn_.current = kNone;
  o.rewritten = txn_.rewritten;
  if (!txn_.changes.empty())
    o.rewrittenBy = rewrittenBy(txn_);
  if (o.kind == Outcome::Kind::Continue) {
    // A Continue carries no answer (every other field is empty): no full copy per request.
    outcome_.kind = o.kind;
    outcome_.plugin = o.plugin;
    outcome_.pluginName = o.pluginName;
    outcome_.rewritten = o.rewritten;
    outcome_.rewrittenBy = o.rewrittenBy; // o goes to the callback too
  } else {
    outcome_ = o;
  }
  auto cb = std::move(done_);
  done_ = nullptr;
  if (cb)
    cb(std::move(o)); // last statement: the callback may destroy this object
}

void PluginTransaction::onTimeout() {
  if (bodyWait_.active) {
    resumeBody(EXAPROXY_ERROR, nullptr, true);
    return;
  }
  if (waiting_ == kNone)
    return;
  size_t i = waiting_;
  waiting_ = kNone;
  PendingTable::instance().release(waitHandle_); // a late complete() is now a no-op
  waitHandle_ = 0;
  const auto& link = chain_->links()[i];
  link.plugin->counters.timeouts.fetch_add(1, std::memory_order_relaxed);
  Outcome o = detail::failurePolicy(
      link, true, "no verdict after " + std::to_string(link.policy.timeout.count()) + "ms");
  if (o.kind != Outcome::Kind::Continue) {
    finish(std::move(o));
    return;
  }
  step();
}

void PluginTransaction::onPendingComplete(exaproxy_pending handle, int32_t action,
                                          std::shared_ptr<exaproxy_verdict> v) {
  if (bodyWait_.active && handle == bodyWait_.handle) {
    exaproxy_verdict empty;
    resumeBody(action, v ? v.get() : &empty, false);
    return;
  }
  if (waiting_ == kNone || handle != waitHandle_)
    return; // a handle of a hook that already answered synchronously
  size_t i = waiting_;
  waiting_ = kNone;
  timer_.cancel();
  exaproxy_verdict empty;
  exaproxy_verdict& verdict = v ? *v : empty;
  detail::countVerdict(*chain_->links()[i].plugin, action);
  std::string why;
  if (action == EXAPROXY_PENDING)
    why = "complete() with PENDING";
  if (apply(i, action == EXAPROXY_PENDING ? EXAPROXY_ERROR : action, verdict, why))
    return;
  step();
}

Outcome PluginTransaction::runResponse(http::ResponseHead& resp) {
  txn_.resp = &resp;
  const auto& links = chain_->links();
  Outcome result;
  for (size_t i = 0; i < links.size(); ++i) {
    const auto& link = links[i];
    auto hook = link.plugin->descriptor().on_response_head;
    if (!hook)
      continue;
    exaproxy_verdict v;
    std::string why;
    txn_.current = i;
    txn_.inHeadHook = true;
    int32_t action = detail::callHook(*link.plugin, hook, &txn_, &v, why);
    txn_.inHeadHook = false;
    txn_.current = kNone;
    detail::countVerdict(*link.plugin, action);
    if (action == EXAPROXY_CONTINUE || action == EXAPROXY_REWRITE) {
      applyCarried(txn_, i, v);
      continue;
    }
    if (action == EXAPROXY_RESPOND || action == EXAPROXY_REDIRECT || action == EXAPROXY_DENY) {
      if (detail::finalOutcome(action, v, result, why)) {
        applyCarried(txn_, i, v);
        result.plugin = link.plugin->name();
        result.pluginName = link.plugin->descriptor().name;
        break;
      }
      result = Outcome{};
    }
    if (why.empty())
      why = "verdict " + std::to_string(action) + " is not allowed in on_response_head";
    if (action != EXAPROXY_ERROR)
      link.plugin->counters.errors.fetch_add(1, std::memory_order_relaxed);
    Outcome o = detail::failurePolicy(link, false, why);
    if (o.kind != Outcome::Kind::Continue) {
      result = std::move(o);
      break;
    }
  }
  txn_.resp = nullptr;
  return result;
}

void PluginTransaction::done(const TxSummary& summary) {
  if (doneCalled_ || !requestStarted_)
    return;
  doneCalled_ = true;
  exaproxy_summary s{};
  s.size = sizeof s;
  s.status = summary.status;
  s.bytes_in = summary.bytesIn;
  s.bytes_out = summary.bytesOut;
  s.duration_us = static_cast<uint64_t>(summary.duration.count());
  switch (outcome_.kind) {
  case Outcome::Kind::Continue:
    s.action = txn_.rewritten ? EXAPROXY_REWRITE : EXAPROXY_CONTINUE;
    break;
  case Outcome::Kind::Route:
    s.action = EXAPROXY_ROUTE;
    break;
  case Outcome::Kind::Redirect:
    s.action = EXAPROXY_REDIRECT;
    break;
  case Outcome::Kind::Respond:
    s.action = EXAPROXY_RESPOND;
    break;
  case Outcome::Kind::Deny:
    s.action = EXAPROXY_DENY;
    break;
  }
  s.decided_by = exaproxy_str{outcome_.plugin.data(), outcome_.plugin.size()};
  const auto& links = chain_->links();
  for (size_t i = 0; i < links.size(); ++i) {
    auto hook = links[i].plugin->descriptor().on_done;
    if (!hook)
      continue;
    txn_.current = i;
    try {
      hook(links[i].plugin->instance(), &txn_, &s);
    } catch (...) {
      links[i].plugin->counters.errors.fetch_add(1, std::memory_order_relaxed);
    }
  }
  txn_.current = kNone;
  std::fill(txn_.data.begin(), txn_.data.end(), nullptr);
}

} // namespace exaproxy::plugin
