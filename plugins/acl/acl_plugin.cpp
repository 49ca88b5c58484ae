// acl: ABI glue. The rules, lists and decisions are in acl_policy / domain_list / cidr_set.
//
// Every request (CONNECT included) is checked against the policy: allow lets the chain continue
// (later plugins still run), deny answers the host's error page with the rule's reason, redirect
// answers 3xx. The client is the identity as earlier plugins left it (xff, PROXY protocol).
//
// Check mode (`exaproxy --check`): creating the plugin reads and checks the rules and every list
// file (a bad line is reported as file:line) and starts nothing, as when serving.
#include "acl_policy.h"

#include <exaproxy/plugin.hpp>
#include <exaproxy/url.hpp>

#include <atomic>
#include <ctime>
#include <memory>

namespace sdk = exaproxy::sdk;
namespace acl = exaproxy::acl;

namespace {

class AclPlugin : public sdk::Plugin {
public:
  explicit AclPlugin(sdk::Host& host) : Plugin(host) {
    policy_.store(load());
    // Allow, deny or redirect: it never routes a request nor edits one.
    host.declareTraits(0);
    allowed_ = host.counter("allowed", "requests allowed (by a rule or the default)");
    denied_ = host.counter("denied", "requests denied");
    redirected_ = host.counter("redirected", "requests redirected");
    byDefault_ = host.counter("default_decisions", "requests no rule matched");
    reloads_ = host.counter("reloads", "configurations and lists swapped in by a reload");
    domains_ = host.gauge("list_domains", "domain names in the loaded lists");
    publishSizes(*policy_.load());
  }

  // Loop thread. Local time is read only when some rule has days/time.
  sdk::Verdict onRequest(sdk::Txn& tx) override {
    auto policy = policy_.load();
    acl::RequestInfo r;
    r.client = tx.clientAddress();
    r.user = tx.user();
    r.groups = tx.note("group").value_or(std::string_view()); // ABI 1.5 notes (auth, external ACL)
    r.note = [&tx](std::string_view key) { return tx.note(key); };
    r.method = tx.method();
    // url_regex sees the canonical URL (exaproxy/url.hpp), as Squid's does: an escaped "%61ds"
    // matches "ads". Built only for a URL with an escape or a trailing-dot host.
    std::string canonical;
    r.url = tx.url();
    if (r.url.find('%') != std::string_view::npos || tx.host().ends_with('.')) {
      canonical = sdk::canonicalUrl(r.url);
      r.url = canonical;
    }
    r.host = tx.host();
    r.port = tx.port();
    r.connect = tx.isConnect();
    if (policy->usesTime()) {
      std::time_t now = std::time(nullptr);
      std::tm local{};
      localtime_r(&now, &local);
      r.weekday = local.tm_wday;
      r.minuteOfDay = local.tm_hour * 60 + local.tm_min;
    }
    acl::Decision d = policy->decide(r);
    if (!d.rule)
      host().add(byDefault_);
    switch (d.action) {
    case acl::Action::Allow:
      host().add(allowed_);
      return sdk::Verdict::next();
    case acl::Action::Deny:
      host().add(denied_);
      return sdk::Verdict::deny(std::move(d.reason), d.status);
    case acl::Action::Redirect:
      host().add(redirected_);
      return sdk::Verdict::redirect(std::move(d.location), d.status).reason(std::move(d.reason));
    }
    return sdk::Verdict::next();
  }

  // Main thread, while hooks run: the whole new policy (lists included) is built first, then
  // replaces the old one in one atomic store. A refused configuration leaves the old one.
  // The host calls this on every reload, settings changed or not (that is how edited list files
  // are read again); the hit counts of the status page carry over, rule by name.
  void reconfigure() override {
    auto next = load();
    keepHits(*policy_.load(), *next);
    publishSizes(*next);
    policy_.store(std::move(next));
    host().add(reloads_);
  }
  bool canReconfigure() const override { return true; }

  std::string status() const override { return policy_.load()->statusJson(); }

private:
  std::shared_ptr<const acl::AclPolicy> load() const {
    std::vector<acl::ConfigProblem> problems;
    auto policy = acl::AclPolicy::load(host().settings(), problems);
    if (!policy) {
      // Every problem is reported at its file:line; the last one refuses the configuration.
      for (size_t i = 0; i + 1 < problems.size(); ++i)
        host().configError(problems[i].index, problems[i].message);
      throw sdk::ConfigError(problems.back().index, problems.back().message);
    }
    std::string line = "acl.loaded rules=";
    line.append(std::to_string(policy->rules().size()))
        .append(" lists=")
        .append(std::to_string(policy->lists().size()))
        .append(" load_ms=")
        .append(std::to_string(policy->loadMillis()));
    host().log(sdk::Level::Info, line);
    return std::shared_ptr<const acl::AclPolicy>(std::move(policy));
  }

  // Requests the old policy decides after this copy are not carried over (a few at most).
  static void keepHits(const acl::AclPolicy& from, const acl::AclPolicy& to) {
    auto relaxed = std::memory_order_relaxed;
    to.defaultHits.fetch_add(from.defaultHits.load(relaxed), relaxed);
    for (const auto& rule : to.rules())
      for (const auto& old : from.rules())
        if (old->name == rule->name) {
          rule->hits.fetch_add(old->hits.load(relaxed), relaxed);
          break;
        }
  }

  void publishSizes(const acl::AclPolicy& policy) const {
    size_t names = 0;
    for (const auto& l : policy.lists())
      names += l->domains.size();
    host().set(domains_, static_cast<int64_t>(names));
  }

  std::atomic<std::shared_ptr<const acl::AclPolicy>> policy_;
  int32_t allowed_ = -1, denied_ = -1, redirected_ = -1, byDefault_ = -1, reloads_ = -1,
          domains_ = -1;
};

} // namespace

EXAPROXY_PLUGIN_EX(AclPlugin, "acl", "1.0.0", "ExaProxy",
                   "access rules: client networks, domain lists, URL regex, method, port, time",
                   true)
