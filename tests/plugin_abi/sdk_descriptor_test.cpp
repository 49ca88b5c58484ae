// What EXAPROXY_PLUGIN puts in the descriptor of a C++ plugin (sdk/include/exaproxy/plugin.hpp):
// only the hooks the class overrides, reconfigure when it overrides reconfigure() (no _EX
// needed), EXAPROXY_PLUGIN_EX as before, and the target minor with its descriptor size. The
// plugins are real .so files built with exaproxy_add_plugin (tests/plugin_abi/plugins); the
// classes below check more cases through detail::describe directly.
#include <exaproxy/plugin.hpp>

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

namespace {

namespace sdk = exaproxy::sdk;
namespace d = exaproxy::sdk::detail;

// The descriptor of a plugin .so (dlopen'ed for the test, never unloaded).
const exaproxy_plugin& descriptorOf(const char* file) {
  void* lib = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    throw std::runtime_error(std::string("dlopen: ") + dlerror());
  auto entry = reinterpret_cast<exaproxy_plugin_entry_fn>(dlsym(lib, EXAPROXY_ENTRY_SYMBOL));
  if (!entry)
    throw std::runtime_error("no entry symbol");
  return *entry();
}

TEST(SdkDescriptor, RegistersOnlyTheHooksTheClassOverrides) {
  const exaproxy_plugin& p = descriptorOf(REQUEST_ONLY_PLUGIN);
  EXPECT_STREQ(p.name, "request_only");
  EXPECT_NE(p.on_request_head, nullptr);
  EXPECT_EQ(p.on_accept, nullptr) << "on_accept would run for every connection";
  EXPECT_EQ(p.on_connect, nullptr) << "CONNECT reaches on_request_head when on_connect is NULL";
  EXPECT_EQ(p.on_response_head, nullptr);
  EXPECT_EQ(p.on_done, nullptr);
  EXPECT_EQ(p.reconfigure, nullptr) << "does not override reconfigure()";
  EXPECT_NE(p.create, nullptr);
  EXPECT_NE(p.destroy, nullptr);
  EXPECT_EQ(p.abi_minor, EXAPROXY_ABI_MINOR) << "no ABI option: the headers' minor";
  EXPECT_EQ(p.size, sizeof(exaproxy_plugin));
}

TEST(SdkDescriptor, OverridingReconfigureRegistersItWithoutEx) {
  const exaproxy_plugin& p = descriptorOf(RECONFIGURES_PLUGIN);
  EXPECT_STREQ(p.name, "reconfigures");
  EXPECT_NE(p.reconfigure, nullptr);
  EXPECT_NE(p.on_request_head, nullptr);
  EXPECT_NE(p.on_response_head, nullptr);
  EXPECT_NE(p.on_done, nullptr) << "two hooks may share Txn data: on_done frees it";
  EXPECT_EQ(p.on_accept, nullptr);
  EXPECT_EQ(p.on_connect, nullptr);
}

TEST(SdkDescriptor, TargetMinorDeclaresThatMinorAndItsSize) {
  const exaproxy_plugin& p = descriptorOf(TARGET_1_0_PLUGIN);
  EXPECT_EQ(p.abi_major, 1);
  EXPECT_EQ(p.abi_minor, 0);
  EXPECT_EQ(p.size, offsetof(exaproxy_plugin, description)) << "the 1.0 descriptor";
  EXPECT_EQ(EXAPROXY_PLUGIN_SIZE_AS_OF(1), offsetof(exaproxy_plugin, on_connection_close))
      << "1.1 to 1.4 end before the 1.5 hook";
  EXPECT_EQ(EXAPROXY_PLUGIN_SIZE_AS_OF(EXAPROXY_ABI_MINOR), sizeof(exaproxy_plugin));
}

// Classes inspected at compile time.
struct AcceptOnly : sdk::Plugin {
  using Plugin::Plugin;
  sdk::Verdict onAccept(sdk::Txn&) override { return sdk::Verdict::next(); }
};
struct ConnectAndDone : sdk::Plugin {
  using Plugin::Plugin;
  sdk::Verdict onConnect(sdk::Txn&) override { return sdk::Verdict::next(); }
  void onDone(sdk::Txn&, const sdk::Summary&) override {}
};
struct Reconf : sdk::Plugin {
  using Plugin::Plugin;
  void reconfigure() override {}
};
struct Derived : Reconf { // inherits an override from a base between it and Plugin
  using Reconf::Reconf;
};
struct Overloaded : sdk::Plugin { // &T::onRequest is ambiguous: registered, as it always was
  using Plugin::Plugin;
  sdk::Verdict onRequest(sdk::Txn&) override { return sdk::Verdict::next(); }
  sdk::Verdict onRequest(int) { return sdk::Verdict::next(); }
};

template <typename T, int R = d::ReconfigureAuto> constexpr exaproxy_plugin describe() {
  return d::describe<T, R>("t", "1", "v", "desc");
}

// (Evaluated at run time: a template function's address is not a constant GCC compares to null.)
TEST(SdkDescriptor, DetectsOverridesOfEachHook) {
  const exaproxy_plugin accept = describe<AcceptOnly>();
  EXPECT_NE(accept.on_accept, nullptr);
  EXPECT_EQ(accept.on_request_head, nullptr);
  EXPECT_EQ(accept.on_connect, nullptr);
  EXPECT_EQ(accept.on_response_head, nullptr);
  EXPECT_EQ(accept.on_done, nullptr);
  EXPECT_EQ(accept.reconfigure, nullptr);
  const exaproxy_plugin connect = describe<ConnectAndDone>();
  EXPECT_NE(connect.on_connect, nullptr);
  EXPECT_NE(connect.on_done, nullptr);
  EXPECT_EQ(connect.on_request_head, nullptr);
  EXPECT_EQ(connect.on_accept, nullptr);
  const exaproxy_plugin reconf = describe<Reconf>();
  EXPECT_NE(reconf.reconfigure, nullptr);
  EXPECT_EQ(reconf.on_request_head, nullptr);
  EXPECT_NE(describe<Derived>().reconfigure, nullptr) << "an override in an intermediate base";
  EXPECT_NE(describe<Overloaded>().on_request_head, nullptr);
}

TEST(SdkDescriptor, ExSaysExplicitlyWhetherToReconfigure) {
  // EXAPROXY_PLUGIN_EX(..., true) on a class without an override (older code): registered.
  EXPECT_NE((describe<AcceptOnly, d::ReconfigureYes>().reconfigure), nullptr);
  // EXAPROXY_PLUGIN_EX(..., false) on a class with one: not registered (explicit wins).
  EXPECT_EQ((describe<Reconf, d::ReconfigureNo>().reconfigure), nullptr);
}

} // namespace
