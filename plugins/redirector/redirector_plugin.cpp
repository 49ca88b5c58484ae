// ABI glue of the redirector: reads the settings, captures each request for its helpers
// (redirector_pool.h), and turns their decisions into verdicts. All logic lives in
// redirector_core; this file only talks to the host.
//
// Check mode (`exaproxy --check`, `--verify-plugin`): the settings are parsed and the program and
// `files` checked on disk, but no pool is made: no helper process, no thread.
//
// Threads. onRequest (loop) copies what the helper needs, answers PENDING and hands the request
// to the pool. On a 1.4 host the pool drives its helpers' pipes on the host's event loop
// (host_helper_loop.h): a request submitted on that loop is written to a helper at once, and the
// answer is read there; on an older host the pool runs a manager thread of its own. Whichever
// reads the answer completes the decision with complete(), rewrites included: a new URL (Host
// following it) and header edits travel inside the verdict (ABI 1.2 verdict_set_url /
// verdict_edit_header) and the host applies them on the request's loop. No worker thread waits for
// a helper, and nothing of the transaction is kept after the hook.
#include "decision.h"
#include "redirector_config.h"
#include "redirector_metrics.h"
#include "redirector_pool.h"

#include "helper_log.h"
#include "host_helper_loop.h"

#include <exaproxy/plugin.hpp>
#include <exaproxy/url.hpp>

#include <array>
#include <cstdlib>
#include <memory>
#include <string>

namespace sdk = exaproxy::sdk;

namespace exaproxy::redirector {

namespace {

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
    Config config = parseConfig(host.settings()); // throws sdk::ConfigError
    checkOnDisk(config);                          // the program runs, `files` is a directory
    // Whatever the helper answers: it may route the request (ROUTE ends the chain) and its
    // REWRITE changes the URL and headers.
    host.declareTraits(EXAPROXY_TRAIT_ROUTES | EXAPROXY_TRAIT_EDITS_REQUEST);
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
    if (host.checkMode())
      return; // validation only: no helper process, no manager thread
    loop_ = std::make_unique<common::HostHelperLoop>(host.api(), host.raw());
    pool_ = std::make_unique<RedirectorPool>(
        std::move(config),
        [this](LogLevel level, const std::string& msg) {
          this->host().log(common::sdkLevel(level), msg);
        },
        *metrics_, loop_.get());
    host.log(sdk::Level::Info, pool_->onLoop() ? "helpers served on the host's event loop"
                                               : "helpers served by a thread of their own");
  }

  ~Redirector() override { pool_.reset(); } // drains and stops the helpers first (if any)

  sdk::Verdict onRequest(sdk::Txn& tx) override {
    if (!pool_) // never in check mode (no hook runs); fail closed if it ever happened
      return sdk::Verdict::deny("the redirector has no helpers (check mode)", 503);
    RequestInfo info;
    info.method = std::string(tx.method());
    // The helpers match the canonical URL (exaproxy/url.hpp), as Squid's see it: "%61ds" and
    // "ads", "Host." and "host" are one URL to a list.
    info.url = sdk::canonicalUrl(tx.url());
    info.host = std::string(tx.host());
    info.port = tx.port();
    info.path = sdk::canonicalEscapes(tx.path());
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

    sdk::Pending pending = tx.pending();
    pool_->submit(std::move(info), [this, pending](Decision d) { onDecision(pending, d); });
    return sdk::Verdict::pending();
  }

  std::string status() const override { return pool_ ? pool_->statusJson() : "{}"; }

private:
  // The pool's manager: the host's loop or the pool's thread (or inline in submit() once the
  // pool is stopping).
  void onDecision(const sdk::Pending& pending, const Decision& d) {
    if (d.editsRequest())
      completeRewrite(pending, d);
    else
      pending.complete(verdictFor(d));
  }

  // A REWRITE whose edits travel in the verdict: the host applies them on the request's loop. An
  // edit the host refuses is logged and left out, the others still apply (a URL it cannot take,
  // such as https://, leaves the request's URL unchanged).
  void completeRewrite(const sdk::Pending& pending, const Decision& d) {
    const exaproxy_host_api* a = host().api();
    exaproxy_verdict* v = a->verdict_new();
    if (!d.url.empty() && a->verdict_set_url(v, sdk::str(d.url)) != EXAPROXY_OK)
      host().log(sdk::Level::Warn, "the helper's URL was refused, request unchanged: " + d.url);
    for (const auto& op : d.headerOps) {
      int32_t rc = op.kind == HeaderOp::Kind::Remove
                       ? a->verdict_edit_header(v, EXAPROXY_HEADER_REMOVE, sdk::str(op.name), {})
                       : a->verdict_edit_header(v, EXAPROXY_HEADER_ADD, sdk::str(op.name),
                                                sdk::str(op.value));
      if (rc != EXAPROXY_OK)
        host().log(sdk::Level::Debug, "header edit refused: " + op.name);
    }
    a->complete(pending.handle(), EXAPROXY_REWRITE, v); // the host takes v
  }

  std::array<int32_t, static_cast<size_t>(Metric::Count)> ids_{};
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<common::HostHelperLoop> loop_; // outlives the pool
  std::unique_ptr<RedirectorPool> pool_;
  bool captureHeaders_ = false;
};

} // namespace exaproxy::redirector

EXAPROXY_PLUGIN(exaproxy::redirector::Redirector, "redirector", "1.1.0", "ExaProxy",
                "runs Squid-format and ExaProxy-format helper programs (squidGuard, ...)")
