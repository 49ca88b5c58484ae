// ABI 1.6: exaproxy_host_api.client_port, appended after the 1.5 entries: the client's TCP port
// as the transaction records it (the PROXY protocol's source port when one was given), and what
// the C++ SDK's Txn::clientPort() reads. Through the real binary: external_acl's %SRCPORT
// (tests/plugins/external_acl).
#include "plugin_test_support.h"

#include "plugin/host_api.h"
#include "plugin/txn_state.h"

#include <exaproxy/plugin.hpp>

#include <cstddef>

namespace exaproxy::plugin::test {
namespace {

const exaproxy_host_api& api() { return *hostApi(); }

TEST(Abi16Table, AppendsClientPortAfterThe15Entries) {
  EXPECT_GE(api().abi_minor, 6);
  EXPECT_GT(offsetof(exaproxy_host_api, client_port),
            offsetof(exaproxy_host_api, verdict_set_user));
  EXPECT_TRUE(EXAPROXY_HAS_FIELD(&api(), exaproxy_host_api, client_port));
  // A 1.5 table (a host one minor older) ends before it: the SDK then reads no field past it.
  exaproxy_host_api older = api();
  older.size = static_cast<uint32_t>(offsetof(exaproxy_host_api, client_port));
  EXPECT_FALSE(EXAPROXY_HAS_FIELD(&older, exaproxy_host_api, client_port));
}

TEST(Abi16ClientPort, IsTheTransactionsClientPort) {
  exaproxy_txn t;
  t.clientPort = 54321;
  EXPECT_EQ(api().client_port(&t), 54321);
  EXPECT_EQ(api().client_port(nullptr), 0);
}

class Abi16Sdk : public ::testing::Test {
protected:
  void SetUp() override { sdk::detail::api() = hostApi(); }
  void TearDown() override { sdk::detail::api() = nullptr; }
};

TEST_F(Abi16Sdk, TxnClientPortAndAnOlderHost) {
  exaproxy_txn t;
  t.clientPort = 54321;
  EXPECT_EQ(sdk::Txn(&t, nullptr).clientPort(), 54321);
  exaproxy_host_api older = *hostApi(); // a 1.5 host: its table ends before client_port
  older.size = static_cast<uint32_t>(offsetof(exaproxy_host_api, client_port));
  older.abi_minor = 5;
  sdk::detail::api() = &older;
  EXPECT_EQ(sdk::Txn(&t, nullptr).clientPort(), 0) << "0, never a read past the table";
}

} // namespace
} // namespace exaproxy::plugin::test
