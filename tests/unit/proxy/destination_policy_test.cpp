#include "proxy/destination_policy.h"

#include <gtest/gtest.h>

namespace exaproxy::proxy {
namespace {

Endpoint ep(const char* s) { return *Endpoint::parse(s); }
IpAddress ip(const char* s) { return *IpAddress::parse(s); }

TEST(LocalHostTest, ListenerOnExactAddress) {
  LocalHost h;
  h.listeners = {ep("127.0.0.1:3128")};
  EXPECT_TRUE(h.reachesListener(ep("127.0.0.1:3128")));
  EXPECT_FALSE(h.reachesListener(ep("127.0.0.1:80")));
  EXPECT_FALSE(h.reachesListener(ep("127.0.0.2:3128")));
  // 0.0.0.0 and 0.1.2.3 are "this host": connecting there reaches a loopback listener.
  EXPECT_TRUE(h.reachesListener(ep("0.0.0.0:3128")));
  EXPECT_TRUE(h.reachesListener(ep("0.1.2.3:3128")));
}

TEST(LocalHostTest, WildcardListenerCoversLoopbackAndInterfaceAddresses) {
  LocalHost h;
  h.listeners = {ep("0.0.0.0:3128")};
  h.addresses = {ip("192.0.2.10")};
  EXPECT_TRUE(h.reachesListener(ep("127.0.0.5:3128")));
  EXPECT_TRUE(h.reachesListener(ep("192.0.2.10:3128")));
  EXPECT_FALSE(h.reachesListener(ep("192.0.2.11:3128")));
  EXPECT_FALSE(h.reachesListener(ep("[::1]:3128"))); // the v4 wildcard does not listen on v6
}

TEST(LocalHostTest, UiIsReachedFromEitherFamilyThroughAWildcard) {
  LocalHost h;
  h.ui = {ep("[::]:8080")};
  h.addresses = {ip("192.0.2.10")};
  EXPECT_TRUE(h.reachesUi(ep("127.0.0.1:8080"))); // a dual-stack socket takes IPv4 too
  EXPECT_TRUE(h.reachesUi(ep("192.0.2.10:8080")));
  EXPECT_TRUE(h.reachesUi(Endpoint{ip("::ffff:127.0.0.1"), 8080}));
  EXPECT_FALSE(h.reachesUi(ep("192.0.2.11:8080")));
  EXPECT_FALSE(h.reachesUi(ep("127.0.0.1:8081")));
}

TEST(LocalHostTest, LocalAddresses) {
  LocalHost h;
  h.addresses = {ip("192.0.2.10"), ip("2001:db8::10")};
  for (const char* a : {"127.0.0.1", "127.255.0.9", "0.0.0.0", "0.9.9.9", "::1",
                        "::", "::ffff:127.0.0.1", "192.0.2.10", "2001:db8::10"})
    EXPECT_TRUE(h.isLocal(ip(a))) << a;
  for (const char* a : {"1.0.0.1", "192.0.2.11", "::2", "2001:db8::11", "128.0.0.1"})
    EXPECT_FALSE(h.isLocal(ip(a))) << a;
}

TEST(DestinationPolicyTest, LocalDestinationsAreRefusedByDefault) {
  HostConfig cfg;
  cfg.denyDestinations = CidrSet({*Cidr::parse("169.254.0.0/16")});
  LocalHost h;
  h.addresses = {ip("192.0.2.10")};
  for (const char* to :
       {"127.0.0.1:80", "127.0.0.2:8080", "0.0.0.0:80", "[::]:80", "[::1]:80", "192.0.2.10:80"})
    EXPECT_EQ(checkAddress(ep(to), cfg, h), Refusal::Local) << to;
  EXPECT_EQ(checkAddress(Endpoint{ip("::ffff:127.0.0.1"), 80}, cfg, h), Refusal::Local);
  EXPECT_EQ(checkAddress(ep("192.0.2.11:80"), cfg, h), Refusal::None);
  EXPECT_EQ(checkAddress(ep("169.254.169.254:80"), cfg, h), Refusal::Denied);
}

TEST(DestinationPolicyTest, AllowLocalOpensOnlyWhatItNames) {
  HostConfig cfg;
  cfg.allowLocalDestinations = *AddressPortSet::parse("127.0.0.1:8081 [::1]:9000-9001", nullptr);
  LocalHost h;
  EXPECT_EQ(checkAddress(ep("127.0.0.1:8081"), cfg, h), Refusal::None);
  EXPECT_EQ(checkAddress(ep("127.0.0.1:8082"), cfg, h), Refusal::Local);
  EXPECT_EQ(checkAddress(ep("127.0.0.2:8081"), cfg, h), Refusal::Local);
  EXPECT_EQ(checkAddress(ep("0.0.0.0:8081"), cfg, h), Refusal::Local); // only the listed address
  EXPECT_EQ(checkAddress(ep("[::1]:9001"), cfg, h), Refusal::None);
  EXPECT_EQ(checkAddress(ep("[::1]:9002"), cfg, h), Refusal::Local);
}

TEST(DestinationPolicyTest, TheUiAndTheProxyStayRefusedWhateverIsAllowed) {
  HostConfig cfg;
  cfg.allowLocalDestinations = *AddressPortSet::parse("127.0.0.0/8 0.0.0.0/8 ::/0", nullptr);
  LocalHost h;
  h.ui = {ep("127.0.0.1:8080")};
  h.listeners = {ep("127.0.0.1:3128")};
  EXPECT_EQ(checkAddress(ep("127.0.0.1:8080"), cfg, h), Refusal::Ui);
  EXPECT_EQ(checkAddress(ep("0.0.0.0:8080"), cfg, h), Refusal::Ui);
  EXPECT_EQ(checkAddress(ep("[::]:8080"), cfg, h), Refusal::Ui);
  EXPECT_EQ(checkAddress(ep("127.0.0.1:3128"), cfg, h), Refusal::Listener);
  EXPECT_EQ(checkAddress(ep("127.0.0.1:8081"), cfg, h), Refusal::None);
}

TEST(DestinationPolicyTest, DenyingLoopbackDeniesThisHostToo) {
  HostConfig cfg;
  cfg.denyDestinations = CidrSet({*Cidr::parse("127.0.0.0/8"), *Cidr::parse("::1/128")});
  cfg.allowLocalDestinations = *AddressPortSet::parse("0.0.0.0/0 ::/0", nullptr);
  LocalHost h;
  EXPECT_EQ(checkAddress(ep("0.0.0.0:80"), cfg, h), Refusal::Denied);
  EXPECT_EQ(checkAddress(ep("[::]:80"), cfg, h), Refusal::Denied);
  EXPECT_EQ(checkAddress(ep("127.0.0.3:80"), cfg, h), Refusal::Denied);
  EXPECT_EQ(checkAddress(ep("10.0.0.1:80"), cfg, h), Refusal::None);
}

TEST(DestinationPolicyTest, PortsFollowTheMethod) {
  HostConfig cfg;
  EXPECT_TRUE(portAllowed(80, false, cfg));
  EXPECT_TRUE(portAllowed(8080, false, cfg));
  EXPECT_FALSE(portAllowed(25, false, cfg));
  EXPECT_FALSE(portAllowed(22, false, cfg));
  EXPECT_TRUE(portAllowed(443, true, cfg));
  EXPECT_FALSE(portAllowed(8443, true, cfg));
  EXPECT_FALSE(portAllowed(80, true, cfg));
}

} // namespace
} // namespace exaproxy::proxy
