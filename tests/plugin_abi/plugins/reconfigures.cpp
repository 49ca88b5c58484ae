// reconfigures: a C++ plugin overriding onRequest, onResponse and reconfigure(), exported with
// plain EXAPROXY_PLUGIN (no _EX): its descriptor must have reconfigure, both hooks and on_done
// (the data kept in onRequest is read in onResponse and freed after on_done), and no on_accept.
#include <exaproxy/plugin.hpp>

#include <mutex>
#include <string>

namespace sdk = exaproxy::sdk;

class Reconfigures : public sdk::Plugin {
public:
  explicit Reconfigures(sdk::Host& host) : Plugin(host) { reconfigure(); }
  void reconfigure() override {
    std::string next = "1";
    for (const auto& s : host().settings())
      if (s.key == "tag")
        next = s.value;
    std::lock_guard<std::mutex> lock(mutex_);
    tag_ = std::move(next);
  }
  sdk::Verdict onRequest(sdk::Txn& tx) override {
    std::lock_guard<std::mutex> lock(mutex_);
    tx.emplaceData<std::string>(tag_);
    return sdk::Verdict::next();
  }
  sdk::Verdict onResponse(sdk::Txn& tx) override {
    if (auto* tag = tx.data<std::string>())
      tx.responseHeaders().set("X-Tag", *tag);
    return sdk::Verdict::next();
  }

private:
  std::mutex mutex_;
  std::string tag_;
};

EXAPROXY_PLUGIN(Reconfigures, "reconfigures", "1.0.0", "tests", "reconfigured in place")
