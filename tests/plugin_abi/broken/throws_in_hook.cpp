// Fault: a C++ hook throws; plugin.hpp must turn it into EXAPROXY_ERROR inside the plugin.
#include <exaproxy/plugin.hpp>

#include <stdexcept>

class Thrower : public exaproxy::sdk::Plugin {
public:
  using Plugin::Plugin;
  exaproxy::sdk::Verdict onRequest(exaproxy::sdk::Txn&) override {
    throw std::runtime_error("boom");
  }
};

EXAPROXY_PLUGIN(Thrower, "throws_in_hook", "0", "tests", "throws in onRequest")
