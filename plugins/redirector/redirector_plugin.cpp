// ABI glue of the redirector: reads the settings, captures each request for the helper pool
// (helper_pool.h), and turns the pool's decisions into verdicts. All logic lives in
// redirector_core; this file only talks to the host.
//
// Threads. onRequest (loop) answers PENDING and hands the request to the pool. The pool's
// manager thread completes every decision that does not edit the request directly with
// complete(). A rewrite (new URL, Host following it, or header edits) must be applied to the
// request on its loop thread, and the ABI has no verdict that carries request edits; so each
// request also submits a small job to the host's worker pool that waits for the decision and
// whose `done` runs on the transaction's loop, where the edits are applied and the PENDING
// verdict is completed as REWRITE. on_done (same loop) marks the transaction gone, so a `done`
// that runs after the client left touches nothing. (Once the ABI carries request edits in a
// verdict, the worker-pool hop can go.)
#include "decision.h"
#include "helper_pool.h"
#include "redirector_config.h"
#include "redirector_metrics.h"

#include <exaproxy/plugin.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>

namespace sdk = exaproxy::sdk;

namespace exaproxy::redirector {

namespace {

// One request between the hook and its verdict.
struct Call {
  sdk::Pending pending;
  exaproxy_txn* txn = nullptr; // used on its loop only, while `alive`
  bool bridged = false;        // a worker-pool job will run applyOnLoop
  bool alive = true;           // loop thread only: false once on_done ran

  std::mutex mutex;
  std::condition_variable cv;
  bool ready = false;    // `decision` is set
  bool loopDone = false; // applyOnLoop ran (or gave up)
  Decision decision;
};
using CallPtr = std::shared_ptr<Call>;

sdk::Verdict verdictFor(const Decision& d) {
  switch (d.kind) {
  case Decision::Kind::Route:
    return sdk::Verdict::route(d.routeHost, d.routePort);
  case Decision::Kind::Redirect: {
    auto v = sdk::Verdict::redirect(d.location, d.status ? d.status : 302);
    for (const auto& [k, val] : d.respHeaders)
      v.header(k, val);
    return v;
  }
  case Decision::Kind::Respond: {
    auto v = d.file.empty() ? sdk::Verdict::respond(d.status, d.body, d.contentType)
                            : sdk::Verdict::respondFile(d.status, d.file, d.contentType);
    for (const auto& [k, val] : d.respHeaders)
      v.header(k, val);
    return v;
  }
  case Decision::Kind::Deny:
    return sdk::Verdict::deny(d.reason, d.status ? d.status : 403);
  default:
    return sdk::Verdict::next();
  }
}

sdk::Level levelFor(LogLevel l) {
  switch (l) {
  case LogLevel::Debug:
    return sdk::Level::Debug;
  case LogLevel::Info:
    return sdk::Level::Info;
  case LogLevel::Warn:
    return sdk::Level::Warn;
  case LogLevel::Error:
    return sdk::Level::Error;
  }
  return sdk::Level::Info;
}

void splitListener(std::string_view s, RequestInfo& info) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    info.listenerIp = std::string(s);
    return;
  }
  std::string_view ip = s.substr(0, colon);
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']')
    ip = ip.substr(1, ip.size() - 2);
  info.listenerIp = std::string(ip);
  info.listenerPort = static_cast<uint16_t>(std::atoi(std::string(s.substr(colon + 1)).c_str()));
}

} // namespace

class Redirector final : public sdk::Plugin {
public:
  explicit Redirector(sdk::Host& host) : Plugin(host) {
    std::vector<ConfigEntry> entries;
    for (const auto& s : host.settings())
      entries.push_back(ConfigEntry{s.index, s.key, s.value});
    Config config;
    ConfigProblem problem;
    if (!parseConfig(entries, config, problem))
      throw sdk::ConfigError(problem.index, problem.message);
    for (size_t i = 0; i < kMetrics.size(); ++i)
      ids_[i] = kMetrics[i].gauge ? host.gauge(kMetrics[i].name, kMetrics[i].help)
                                  : host.counter(kMetrics[i].name, kMetrics[i].help);
    metrics_ = std::make_unique<Metrics>([this](Metric m, int64_t v, bool gauge) {
      int32_t id = ids_[static_cast<size_t>(m)];
      if (gauge)
        this->host().set(id, v);
      else
        this->host().add(id, v);
    });
    captureHeaders_ = config.protocol == ProtocolKind::ExaproxyIcap;
    bridgeWait_ = config.timeout + std::chrono::seconds(2);
    pool_ = std::make_unique<HelperPool>(
        std::move(config),
        [this](LogLevel level, const std::string& msg) { this->host().log(levelFor(level), msg); },
        *metrics_);
  }

  ~Redirector() override { pool_.reset(); } // drains and stops the helpers first

  sdk::Verdict onRequest(sdk::Txn& tx) override {
    RequestInfo info;
    info.method = std::string(tx.method());
    info.url = std::string(tx.url());
    info.host = std::string(tx.host());
    info.port = tx.port();
    info.path = std::string(tx.path());
    info.isConnect = tx.isConnect();
    info.client = std::string(tx.clientAddress());
    info.user = std::string(tx.user());
    splitListener(tx.listenerAddress(), info);
    if (captureHeaders_) {
      auto headers = tx.requestHeaders();
      for (size_t i = 0, n = headers.size(); i < n; ++i) {
        auto [k, v] = headers.at(i);
        info.headers.emplace_back(std::string(k), std::string(v));
      }
    }

    auto call = std::make_shared<Call>();
    call->pending = tx.pending();
    call->txn = tx.raw();
    tx.emplaceData<CallPtr>(call);
    auto wait = bridgeWait_;
    call->bridged = host().submit(
        &tx,
        [call, wait] { // worker thread: blocking is allowed here
          std::unique_lock<std::mutex> lock(call->mutex);
          call->cv.wait_for(lock, wait, [&] { return call->ready; });
        },
        [this, call] { applyOnLoop(call); });
    pool_->submit(std::move(info), [this, call](Decision d) { onDecision(call, std::move(d)); });
    return sdk::Verdict::pending();
  }

  void onDone(sdk::Txn& tx, const sdk::Summary&) override {
    if (auto* call = tx.data<CallPtr>())
      (*call)->alive = false;
  }

  std::string status() const override { return pool_ ? pool_->statusJson() : "{}"; }

private:
  // Manager thread.
  void onDecision(const CallPtr& call, Decision d) {
    bool loopGone;
    {
      std::lock_guard<std::mutex> lock(call->mutex);
      call->decision = d;
      call->ready = true;
      loopGone = call->loopDone;
    }
    call->cv.notify_all();
    if (!d.editsRequest()) {
      call->pending.complete(verdictFor(d));
      return;
    }
    if (!call->bridged || loopGone) {
      host().log(sdk::Level::Warn, "cannot apply the helper's rewrite to " + d.url +
                                       (call->bridged ? " (too late)" : " (no worker pool)"));
      call->pending.complete(sdk::Verdict::next());
    }
    // Otherwise applyOnLoop edits the request and completes.
  }

  // The transaction's loop thread, after the worker job.
  void applyOnLoop(const CallPtr& call) {
    Decision d;
    {
      std::lock_guard<std::mutex> lock(call->mutex);
      call->loopDone = true;
      if (!call->ready || !call->decision.editsRequest())
        return; // completed by the manager thread (or it will complete, seeing loopDone)
      d = call->decision;
    }
    if (!call->alive)
      return; // the client left: nothing to edit, nobody waits
    sdk::Txn tx(call->txn, host().raw());
    if (!d.url.empty() && !tx.setUrl(d.url))
      host().log(sdk::Level::Warn, "the helper's URL was refused, request unchanged: " + d.url);
    auto headers = tx.requestHeaders();
    for (const auto& op : d.headerOps) {
      bool ok = op.kind == HeaderOp::Kind::Remove ? headers.remove(op.name) >= 0
                                                  : headers.add(op.name, op.value);
      if (!ok)
        host().log(sdk::Level::Debug, "header edit refused: " + op.name);
    }
    call->pending.complete(sdk::Verdict::rewrite());
  }

  std::array<int32_t, static_cast<size_t>(Metric::Count)> ids_{};
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<HelperPool> pool_;
  bool captureHeaders_ = false;
  std::chrono::milliseconds bridgeWait_{5000};
};

} // namespace exaproxy::redirector

EXAPROXY_PLUGIN(exaproxy::redirector::Redirector, "redirector", "1.0.0", "ExaProxy",
                "runs Squid-format and ExaProxy-format helper programs (squidGuard, ...)")
