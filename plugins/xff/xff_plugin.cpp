// xff: the client's identity behind trusted proxies (X-Forwarded-For, RFC 7239 Forwarded), and
// the X-Forwarded-For / Forwarded sent upstream. ABI glue only: the logic is xff_core. Creating
// it starts nothing, so check mode (`exaproxy --check`) needs no special case.
#include "xff_engine.h"

#include <exaproxy/plugin.hpp>

#include <memory>
#include <mutex>

namespace sdk = exaproxy::sdk;
namespace xff = exaproxy::xff;

namespace {

constexpr std::string_view kXff = "X-Forwarded-For";
constexpr std::string_view kForwarded = "Forwarded";
constexpr std::string_view kConnection = "Connection";

// Every line of a field, in order. Views are valid until the hook returns or the field changes.
std::vector<std::string_view> lines(const sdk::Headers& h, std::string_view name) {
  std::vector<std::string_view> out;
  for (size_t nth = 0;; ++nth) {
    auto v = h.get(name, nth);
    if (!v)
      return out;
    out.push_back(*v);
  }
}

class XffPlugin : public sdk::Plugin {
public:
  explicit XffPlugin(sdk::Host& host) : Plugin(host) {
    settings_ = load();
    declareTraits(*settings_);
    // Metrics are defined once (during create only); reconfigure keeps them.
    for (size_t i = 0; i < xff::counterTable().size(); ++i)
      metrics_[i] = host.counter(xff::counterTable()[i].name, xff::counterTable()[i].help);
  }

  bool canReconfigure() const override { return true; }
  void reconfigure() override {
    auto next = load();
    declareTraits(*next);
    std::lock_guard lock(mutex_);
    settings_ = std::move(next);
  }

  sdk::Verdict onRequest(sdk::Txn& tx) override {
    auto s = current();
    auto peer = xff::Address::parse(tx.clientAddress());
    if (!peer) { // the host always gives an IP; nothing sensible to do otherwise
      count(xff::Counter::host_refused);
      return sdk::Verdict::next();
    }
    auto req = tx.requestHeaders();
    xff::ReceivedHeaders in{lines(req, kXff), lines(req, kForwarded), lines(req, kConnection)};
    xff::Decision d = xff::decide(*s, *peer, in, tx.isConnect());
    account(*s, d);
    logDecision(*peer, d);

    if (d.identityChanged && !tx.setClientAddress(d.resolution.identity.toString())) {
      count(xff::Counter::host_refused);
      host().log(sdk::Level::Warn,
                 "xff.refused what=identity value=" + d.resolution.identity.toString());
    }
    if (!d.plan.changed())
      return sdk::Verdict::next();
    apply(req, kXff, d.plan.xForwardedFor);
    apply(req, kForwarded, d.plan.forwarded);
    apply(req, kConnection, d.plan.connection);
    return sdk::Verdict::rewrite();
  }

  std::string status() const override { return xff::statusJson(*current(), stats_); }

private:
  using SettingsPtr = std::shared_ptr<const xff::Settings>;

  // Writing X-Forwarded-For / Forwarded upstream edits the request: this plugin must run before
  // any that routes it (ROUTE ends the chain). The client address it sets is no request edit.
  void declareTraits(const xff::Settings& s) const {
    host().declareTraits(xff::editsRequests(s) ? uint32_t{EXAPROXY_TRAIT_EDITS_REQUEST} : 0u);
  }

  // Throws sdk::ConfigError (the host names file:line) for the last problem after reporting the
  // others, so the operator sees every bad line at once.
  SettingsPtr load() const {
    auto result = xff::parseSettings(host().settings());
    if (!result.settings) {
      for (size_t i = 0; i + 1 < result.errors.size(); ++i)
        host().configError(result.errors[i].index(), result.errors[i].what());
      throw result.errors.back();
    }
    return std::make_shared<const xff::Settings>(std::move(*result.settings));
  }

  SettingsPtr current() const {
    std::lock_guard lock(mutex_);
    return settings_;
  }

  void count(xff::Counter c) {
    stats_.add(c);
    host().add(metrics_[static_cast<size_t>(c)]);
  }

  void account(const xff::Settings& s, const xff::Decision& d) {
    // The local Stats (status JSON) and the host's metrics move together.
    for (xff::Counter c : xff::countersFor(s, d))
      count(c);
    if (!d.resolution.stoppedAt.empty())
      stats_.setLastStop(xff::sanitize(d.resolution.stoppedAt));
  }

  void logDecision(const xff::Address& peer, const xff::Decision& d) const {
    if (d.resolution.outcome == xff::Outcome::PeerUntrusted ||
        d.resolution.outcome == xff::Outcome::NoHeader)
      return;
    std::string line = std::string("xff.identity peer=") + peer.toString() +
                       " identity=" + d.resolution.identity.toString() +
                       " outcome=" + xff::outcomeName(d.resolution.outcome) +
                       " hops=" + std::to_string(d.resolution.hopsUsed) +
                       " header=" + (d.usedForwarded ? "forwarded" : "x-forwarded-for");
    if (!d.resolution.stoppedAt.empty())
      line += " stopped_at=\"" + xff::sanitize(d.resolution.stoppedAt) + "\"";
    bool odd = d.resolution.outcome == xff::Outcome::StoppedInvalid;
    host().log(odd ? sdk::Level::Info : sdk::Level::Debug, line);
  }

  void apply(sdk::Headers& req, std::string_view name, const xff::HeaderEdit& e) {
    bool ok = true;
    if (e.op == xff::HeaderEdit::Op::Set)
      ok = req.set(name, e.value);
    else if (e.op == xff::HeaderEdit::Op::Remove)
      ok = req.remove(name) >= 0;
    if (!ok) {
      count(xff::Counter::host_refused);
      host().log(sdk::Level::Warn, "xff.refused what=header name=" + std::string(name));
    }
  }

  mutable std::mutex mutex_; // guards settings_ (swapped by reconfigure on the main thread)
  SettingsPtr settings_;
  xff::Stats stats_;
  std::array<int32_t, static_cast<size_t>(xff::Counter::Count)> metrics_{};
};

} // namespace

EXAPROXY_PLUGIN_EX(XffPlugin, "xff", "1.0.0", "ExaProxy",
                   "client identity from X-Forwarded-For / Forwarded sent by trusted proxies", true)
