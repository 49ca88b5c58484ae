// request_only: a C++ plugin overriding onRequest only. Its descriptor must register that hook
// alone: no on_accept (which would run per connection), on_connect (CONNECT reaches
// on_request_head), on_response_head, on_done or reconfigure.
#include <exaproxy/plugin.hpp>

namespace sdk = exaproxy::sdk;

class RequestOnly : public sdk::Plugin {
public:
  explicit RequestOnly(sdk::Host& host) : Plugin(host) {}
  sdk::Verdict onRequest(sdk::Txn& tx) override {
    return tx.host() == "denied.test" ? sdk::Verdict::deny("listed") : sdk::Verdict::next();
  }
};

EXAPROXY_PLUGIN(RequestOnly, "request_only", "1.0.0", "tests", "overrides onRequest only")
