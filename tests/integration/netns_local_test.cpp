// The proxy's own interface addresses are refused as destinations, read at start and again on
// SIGHUP. This runs in a network namespace the test makes (unshare(CLONE_NEWNET) before any
// thread, so the proxy and the origins it starts share it): a loopback and one interface carrying
// TEST-NET addresses (192.0.2.0/24), never the machine's real ones, and no route off the machine
// at all. Skipped where the kernel or the user cannot make a namespace.
#include "itest.h"

#include <sched.h>

#include <cstdlib>
#include <cstring>

using namespace itest;

namespace {

bool sh(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

class NetnsEnvironment : public testing::Environment {
public:
  void SetUp() override {
    if (::unshare(CLONE_NEWNET) != 0)
      GTEST_SKIP() << "cannot create a network namespace (unshare: " << std::strerror(errno) << ")";
    ASSERT_TRUE(sh("ip link set lo up"));
    // A dummy interface where the kernel has the module, else one end of a veth pair (both ends
    // stay inside this namespace).
    if (!sh("ip link add xp0 type dummy")) {
      ASSERT_TRUE(sh("ip link add xp0 type veth peer name xp1 && ip link set xp1 up"));
    }
    ASSERT_TRUE(sh("ip addr add 192.0.2.1/24 dev xp0 && ip link set xp0 up"));
  }
};

const auto* const kNetns = testing::AddGlobalTestEnvironment(new NetnsEnvironment);

std::string url(const std::string& host, uint16_t port) {
  return "http://" + host + ":" + std::to_string(port) + "/";
}

} // namespace

TEST(NetnsLocalTest, AnInterfaceAddressIsRefusedAndCanBeAllowed) {
  OriginServer origin({"192.0.2.1"});
  ASSERT_TRUE(origin.ok());
  // The fixture's allowance (127.0.0.0/8, ::1) does not cover the interface's address.
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  auto r = runCurl({"-x", proxy.proxyArg(), url("192.0.2.1", origin.port())});
  EXPECT_EQ(r.status, 403) << r.describe();
  EXPECT_EQ(origin.acceptedConnections(), 0);
  EXPECT_NE(proxy.stderrText().find("own host"), std::string::npos) << proxy.stderrText();

  // The same origin, allowed by name: the 403 above was the policy, not the network.
  ProxyOptions o;
  o.sets = {"acl.allow_local_destinations=127.0.0.0/8 ::1 192.0.2.1:" +
            std::to_string(origin.port())};
  ProxyProcess allowed(o);
  ASSERT_TRUE(allowed.start());
  auto ok = runCurl({"-x", allowed.proxyArg(), url("192.0.2.1", origin.port())});
  EXPECT_EQ(ok.status, 200) << ok.describe();
}

TEST(NetnsLocalTest, SighupRereadsTheInterfaceAddresses) {
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  ASSERT_TRUE(sh("ip addr add 192.0.2.2/24 dev xp0"));
  OriginServer origin({"192.0.2.2"});
  ASSERT_TRUE(origin.ok());
  // Added after start: not yet known to the proxy.
  auto before = runCurl({"-x", proxy.proxyArg(), url("192.0.2.2", origin.port())});
  EXPECT_EQ(before.status, 200) << before.describe();
  proxy.sendSignal(SIGHUP);
  ASSERT_TRUE(waitFor([&] { return proxy.stderrText().find("reload.done") != std::string::npos; },
                      Millis(10000)));
  auto after = runCurl({"-x", proxy.proxyArg(), url("192.0.2.2", origin.port())});
  EXPECT_EQ(after.status, 403) << after.describe();
  EXPECT_EQ(origin.acceptedConnections(), 1) << "only the request before SIGHUP";
  sh("ip addr del 192.0.2.2/24 dev xp0");
}
