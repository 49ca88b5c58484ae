// slow_lookup: pretends to ask a slow reputation service about every host. The hook never blocks:
// it answers PENDING, runs the lookup on the host's worker pool, and completes from there.
//
//   [slow_lookup]
//   delay = 20          milliseconds the "service" takes
//   deny = bad.example  hosts the service reports as bad (spaces or commas)
#include <exaproxy/plugin.hpp>
#include <exaproxy/text.hpp>

#include <chrono>
#include <set>
#include <thread>

namespace sdk = exaproxy::sdk;

class SlowLookup : public sdk::Plugin {
public:
  explicit SlowLookup(sdk::Host& host) : Plugin(host) {
    for (const auto& s : host.settings()) {
      if (s.key == "delay")
        delay_ = std::chrono::milliseconds(std::stoi(s.value)); // throws on junk: refused
      else if (s.key == "deny") {
        for (auto h : sdk::splitList(s.value)) // exaproxy/text.hpp
          bad_.insert(sdk::lower(h));
      } else
        throw sdk::ConfigError(s.index, "unknown key (known: delay, deny)");
    }
    lookups_ = host.counter("lookups", "lookups done on the worker pool");
  }

  sdk::Verdict onRequest(sdk::Txn& tx) override {
    sdk::Pending pending = tx.pending();
    std::string target(tx.host());
    // Everything the job needs is copied: tx is only valid during this call.
    bool ok = host().submit(&tx, [this, pending, target] {
      std::this_thread::sleep_for(delay_); // the blocking call, on a worker thread
      host().add(lookups_);
      if (bad_.count(target))
        pending.complete(sdk::Verdict::deny("reputation service lists " + target));
      else
        pending.complete(sdk::Verdict::next());
    });
    if (!ok)
      return sdk::Verdict::error("no worker pool");
    return sdk::Verdict::pending();
  }

  std::string status() const override {
    return "{\"delay_ms\":" + std::to_string(delay_.count()) +
           ",\"listed\":" + std::to_string(bad_.size()) + "}";
  }

private:
  std::chrono::milliseconds delay_{20};
  std::set<std::string> bad_;
  int32_t lookups_ = -1;
};

EXAPROXY_PLUGIN(SlowLookup, "slow_lookup", "1.0.0", "ExaProxy examples",
                "asks a (simulated) slow service about each host, from the worker pool")
