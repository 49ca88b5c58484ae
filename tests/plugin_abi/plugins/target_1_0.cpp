// target_1_0: a C++ plugin built with the current SDK for ABI 1.0 hosts (exaproxy_add_plugin(...
// ABI 1.0)). It denies the host named by `hosts` and uses, through plugin.hpp, entries of every
// later minor (Txn::id 1.1, Verdict::denyPage and Host::templateExists 1.2, Host::checkMode and
// declareTraits 1.3): on a 1.0 host each must fall back without touching the missing entries.
// Its log line in create() tells the test what plugin.hpp saw.
#include <exaproxy/plugin.hpp>

#include <string>

namespace sdk = exaproxy::sdk;

class Target10 : public sdk::Plugin {
public:
  explicit Target10(sdk::Host& host) : Plugin(host) {
    for (const auto& s : host.settings()) {
      if (s.key != "hosts")
        throw sdk::ConfigError(s.index, "unknown key (known: hosts)");
      denied_ = s.value;
    }
    host.declareTraits(EXAPROXY_TRAIT_EDITS_REQUEST);
    auto page = host.templateExists("blocked");
    host.log(sdk::Level::Info, std::string("check_mode=") + (host.checkMode() ? "1" : "0") +
                                   " template=" + (page ? (*page ? "yes" : "no") : "unknown"));
    denied_id_ = host.counter("denied", "requests denied");
  }

  sdk::Verdict onRequest(sdk::Txn& tx) override {
    tx.emplaceData<std::string>(tx.host()); // freed by the hook: no onDone, one hook
    if (tx.host() != denied_)
      return sdk::Verdict::next();
    host().add(denied_id_);
    return sdk::Verdict::denyPage("listed (txn " + std::to_string(tx.id()) + ")", "blocked");
  }

private:
  std::string denied_;
  int32_t denied_id_ = -1;
};

EXAPROXY_PLUGIN(Target10, "target_1_0", "1.0.0", "tests", "built for ABI 1.0 hosts")
