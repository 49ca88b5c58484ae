// substitute: ABI glue. The logic (rules, matching) is in substitute_rules.{h,cpp}.
//
// A request (http or CONNECT) whose host matches a rule is answered ROUTE: the proxy connects to
// the substitute (resolved by the host's resolver) and sends the request unchanged, so the client's
// Host header, request line and TLS session (SNI, certificate check) stay those of the requested
// name. The verdict's reason carries "requested -> substitute" into the access log.
//
// Check mode (`exaproxy --check`) needs nothing special: creating the plugin only parses the
// rules, which starts nothing. With rules it declares EXAPROXY_TRAIT_ROUTES.
#include "substitute_rules.h"

#include <exaproxy/plugin.hpp>

#include <atomic>
#include <memory>

namespace sdk = exaproxy::sdk;
namespace sub = exaproxy::substitute;

namespace {

class SubstitutePlugin : public sdk::Plugin {
public:
  explicit SubstitutePlugin(sdk::Host& host) : Plugin(host) {
    rules_.store(load());
    declareTraits(*rules_.load());
    routedHttp_ = host.counter("routed_http", "http requests sent to a substitute");
    routedConnect_ = host.counter("routed_connect", "CONNECT tunnels opened to a substitute");
    passed_ = host.counter("passed", "requests no rule matched");
    rulesGauge_ = host.gauge("rules", "substitution rules loaded");
    host.set(rulesGauge_, static_cast<int64_t>(rules_.load()->size()));
  }

  // Loop thread: matching is on the requested name, before any DNS lookup.
  sdk::Verdict onRequest(sdk::Txn& tx) override {
    auto rules = rules_.load();
    auto match = rules->find(tx.host());
    if (!match) {
      host().add(passed_);
      return sdk::Verdict::next();
    }
    const auto& rule = *match->rule;
    rule.hits.fetch_add(1, std::memory_order_relaxed);
    host().add(tx.isConnect() ? routedConnect_ : routedHttp_);
    uint16_t port = rule.target.port ? rule.target.port : tx.port();
    std::string reason = "substitute ";
    reason.append(sub::hostPort(tx.host(), tx.port()))
        .append(" -> ")
        .append(sub::hostPort(rule.target.host, port))
        .append(" rule=")
        .append(rule.pattern);
    return sdk::Verdict::route(rule.target.host, rule.target.port).reason(std::move(reason));
  }

  // Main thread, while hooks run: the new rules replace the old ones in one atomic store;
  // a hook that loaded the old pointer finishes with it. The host calls this on every reload,
  // settings changed or not: the hit counts of the status page carry over, rule by pattern.
  void reconfigure() override {
    auto next = load();
    declareTraits(*next);
    keepHits(*rules_.load(), *next);
    host().set(rulesGauge_, static_cast<int64_t>(next->size()));
    rules_.store(std::move(next));
  }
  bool canReconfigure() const override { return true; }

  std::string status() const override { return rules_.load()->statusJson(); }

private:
  // A rule answers ROUTE, which ends the chain: request editors must come before this plugin.
  void declareTraits(const sub::SubstituteRules& rules) const {
    host().declareTraits(rules.size() > 0 ? uint32_t{EXAPROXY_TRAIT_ROUTES} : 0u);
  }

  // Requests the old rules route after this copy are not carried over (a few at most).
  static void keepHits(const sub::SubstituteRules& from, const sub::SubstituteRules& to) {
    for (const auto& rule : to.rules())
      for (const auto& old : from.rules())
        if (old->pattern == rule->pattern) {
          rule->hits.fetch_add(old->hits.load(std::memory_order_relaxed),
                               std::memory_order_relaxed);
          break;
        }
  }

  std::shared_ptr<const sub::SubstituteRules> load() const {
    std::vector<sub::ConfigProblem> problems;
    auto rules = sub::SubstituteRules::parse(host().settings(), problems);
    if (!rules) {
      // Every problem is reported at its file:line; the last one refuses the configuration.
      for (size_t i = 0; i + 1 < problems.size(); ++i)
        host().configError(problems[i].index, problems[i].message);
      throw sdk::ConfigError(problems.back().index, problems.back().message);
    }
    return std::shared_ptr<const sub::SubstituteRules>(std::move(rules));
  }

  std::atomic<std::shared_ptr<const sub::SubstituteRules>> rules_;
  int32_t routedHttp_ = -1, routedConnect_ = -1, passed_ = -1, rulesGauge_ = -1;
};

} // namespace

EXAPROXY_PLUGIN_EX(SubstitutePlugin, "substitute", "1.0.0", "ExaProxy",
                   "routes requested hosts to substitutes (SafeSearch, restricted mode)", true)
