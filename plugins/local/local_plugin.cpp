// ABI glue of the local plugin: settings in, the request copied into a LocalRequest, the answer
// turned into a verdict. Rules that read the disk (file, directory) are answered from the host's
// worker pool (PENDING, then complete()); the others answer in the hook. Template pages are
// rendered by the host from its templates directory (ABI 1.2 template_exists / verdict_set_page).
// Logic: local_core. Creating it only reads and checks its settings (directories, templates) and
// starts nothing, so check mode (`exaproxy --check`) needs no special case: disk jobs are
// submitted by requests only.
#include "local_core.h"

#include <exaproxy/plugin.hpp>

#include <atomic>
#include <memory>
#include <string_view>
#include <vector>

namespace sdk = exaproxy::sdk;

namespace exaproxy::local {
namespace {

LocalConfigPtr readConfig(const sdk::Host& host) {
  LocalConfigPtr config;
  try {
    config = parseLocalConfig(host.settings(),
                              [&host](std::string_view name) { return host.templateExists(name); });
  } catch (const ConfigFailure& f) {
    throw sdk::ConfigError(f.index(), f.message()); // the host prefixes file:line itself
  }
  for (const auto& w : config->warnings)
    host.log(sdk::Level::Warn, w);
  return config;
}

LocalRequest requestOf(sdk::Txn& tx) {
  LocalRequest r;
  r.method = std::string(tx.method());
  r.url = std::string(tx.url());
  r.host = std::string(tx.host());
  r.port = tx.port();
  r.path = std::string(tx.path());
  r.connect = tx.isConnect();
  r.client = std::string(tx.clientAddress());
  r.user = std::string(tx.user());
  r.listener = std::string(tx.listenerAddress());
  auto h = tx.requestHeaders();
  if (auto v = h.get("If-None-Match"))
    r.ifNoneMatch = std::string(*v);
  if (auto v = h.get("If-Modified-Since"))
    r.ifModifiedSince = std::string(*v);
  return r;
}

sdk::Verdict verdictOf(const LocalAnswer& a) {
  switch (a.kind) {
  case LocalAnswer::Kind::Pass:
    return sdk::Verdict::next();
  case LocalAnswer::Kind::Redirect:
    return sdk::Verdict::redirect(a.location, a.status);
  case LocalAnswer::Kind::Deny:
    if (a.headers.empty())
      return sdk::Verdict::deny(a.reason, a.status);
    break; // a DENY carries no headers (abi.h): a refusal with one (405's Allow) is a RESPOND
  case LocalAnswer::Kind::Respond:
    break;
  }
  if (a.kind == LocalAnswer::Kind::Deny) {
    sdk::Verdict v = sdk::Verdict::respondPage(a.status, "error"); // the host's error page
    for (const auto& [name, value] : a.headers)
      v.header(name, value);
    return v.reason(a.reason);
  }
  sdk::Verdict v = !a.page.empty()  ? sdk::Verdict::respondPage(a.status, a.page, a.pageVars)
                   : a.file.empty() ? sdk::Verdict::respond(a.status, a.body, a.contentType)
                                    : sdk::Verdict::respondFile(a.status, a.file, a.contentType);
  for (const auto& [name, value] : a.headers)
    v.header(name, value);
  if (!a.reason.empty())
    v.reason(a.reason);
  return v;
}

class LocalPlugin : public sdk::Plugin {
public:
  explicit LocalPlugin(sdk::Host& host)
      : Plugin(host), stats_(std::make_shared<LocalStats>()),
        core_(std::make_shared<const LocalCore>(readConfig(host), stats_)) {
    // It answers (files, pages, redirects, denials): it never routes a request nor edits one.
    host.declareTraits(0);
    requests_ = host.counter("answered", "requests a local rule answered");
    offloaded_ = host.counter("disk_jobs", "file and directory answers prepared on the workers");
    for (const auto& [name, help] : kCounters)
      ids_.emplace_back(name, host.counter(name, help));
    // Set before the first request; read-only afterwards (any thread).
    stats_->observer = [this](std::string_view name) {
      for (const auto& [n, id] : ids_)
        if (n == name)
          this->host().add(id);
    };
  }

  // Loop thread: matching and non-disk answers here; disk work goes to the worker pool.
  sdk::Verdict onRequest(sdk::Txn& tx) override {
    std::shared_ptr<const LocalCore> core = core_.load();
    LocalRequest req = requestOf(tx);
    const LocalRule* rule = core->match(req);
    if (!rule)
      return sdk::Verdict::next();
    host().add(requests_);
    if (!LocalCore::touchesDisk(*rule))
      return verdictOf(core->answer(*rule, req));
    sdk::Pending pending = tx.pending();
    // The job keeps `core` (and so `rule`) alive; everything else is copied.
    bool queued = host().submit(&tx, [core, rule, req = std::move(req), pending] {
      pending.complete(verdictOf(core->answer(*rule, req)));
    });
    if (!queued) // no worker pool: answer here rather than fail (the handle is simply unused)
      return verdictOf(core->answer(*rule, requestOf(tx)));
    host().add(offloaded_);
    return sdk::Verdict::pending();
  }

  bool canReconfigure() const override { return true; }
  // Main thread, while hooks and jobs run: jobs keep the core they started with.
  void reconfigure() override {
    core_.store(std::make_shared<const LocalCore>(readConfig(host()), stats_));
  }

  std::string status() const override {
    auto core = core_.load();
    StatusCounts c = stats_->snapshot();
    auto n = [](uint64_t v) { return std::to_string(v); };
    return "{\"rules\":" + n(core->config().rules.size()) + ",\"files\":" + n(c.files) +
           ",\"not_modified\":" + n(c.notModified) + ",\"pages\":" + n(c.pages) +
           ",\"generated\":" + n(c.generated) + ",\"denied\":" + n(c.denied) +
           ",\"traversal_refused\":" + n(c.traversal) + ",\"not_found\":" + n(c.notFound) + "}";
  }

private:
  static constexpr std::pair<std::string_view, std::string_view> kCounters[] = {
      {"files", "files served (200)"},
      {"not_modified", "conditional requests answered 304"},
      {"pages", "template pages rendered"},
      {"generated", "PAC and status documents generated"},
      {"denied", "requests refused (deny rules, 403/404/405/400 of file rules)"},
      {"traversal_refused", "paths refused for leaving a served directory"},
      {"not_found", "files not found (404)"}};

  std::vector<std::pair<std::string_view, int32_t>> ids_;
  std::shared_ptr<LocalStats> stats_;
  std::atomic<std::shared_ptr<const LocalCore>> core_;
  int32_t requests_ = -1, offloaded_ = -1;
};

} // namespace
} // namespace exaproxy::local

EXAPROXY_PLUGIN_EX(exaproxy::local::LocalPlugin, "local", "1.1.0", "ExaProxy",
                   "serves files, directory trees, block pages, a PAC file and a status document",
                   true)
