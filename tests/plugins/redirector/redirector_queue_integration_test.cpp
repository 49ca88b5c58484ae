// The redirector's default queue through the real binary (issue #15): 50 keep-alive clients
// against `children = 5` of a helper taking 100 ms per answer, as Squid 5.7 runs them with
// url_rewrite_children 5. Five clients first (the five helpers busy), then 45 more, each asking
// twice on its connection: every request reaches the origin, none gets the 503 of a full queue
// (the old default, 2 x children, denied 35 of the first 45).
#include "itest.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

#ifndef REDIRECTOR_PLUGIN
#error "REDIRECTOR_PLUGIN must name redirector.so"
#endif

namespace {

constexpr int kClients = 50;
constexpr int kRequestsEach = 2;

} // namespace

TEST(RedirectorQueueIntegrationTest, FiftyKeepAliveClientsOnFiveChildrenAreAllServed) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  std::string dir = makeTempDir("itest-redirector-queue");
  std::string helper = dir + "/slow.sh";
  ASSERT_TRUE(writeFile(helper, "#!/bin/sh\nwhile read -r line; do sleep 0.1; echo ERR; done\n"));
  std::filesystem::permissions(helper, std::filesystem::perms::owner_all);
  ProxyOptions o;
  o.extraFiles = {
      {"50-redirector.conf", std::string("[plugin]\npath = ") + REDIRECTOR_PLUGIN +
                                 "\ntimeout = 20s\n\n[redirector]\nprogram = " + helper +
                                 "\nchildren = 5\nstartup = 5\ntimeout = 15s\n"}};
  ProxyProcess proxy(o);
  ASSERT_TRUE(proxy.start());

  std::vector<std::vector<int>> statuses(kClients);
  std::atomic<int> firstWaveSent{0};
  auto client = [&](int i) {
    RawClient c(proxy.endpoint());
    for (int r = 0; r < kRequestsEach; ++r) {
      if (!c.send(absoluteGet(origin, "/status/200"))) {
        statuses[i].push_back(-1);
        return;
      }
      if (i < 5 && r == 0)
        ++firstWaveSent;
      auto response = c.readFinalResponse(Millis(30000));
      statuses[i].push_back(response ? response->status : -1);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 5; ++i)
    threads.emplace_back(client, i);
  while (firstWaveSent < 5)
    std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(30ms); // the five helpers have their requests
  for (int i = 5; i < kClients; ++i)
    threads.emplace_back(client, i);
  for (auto& t : threads)
    t.join();

  int served = 0;
  for (int i = 0; i < kClients; ++i)
    for (int status : statuses[i]) {
      EXPECT_EQ(status, 200) << "client " << i;
      served += status == 200;
    }
  EXPECT_EQ(served, kClients * kRequestsEach);
  EXPECT_EQ(origin.requests().size(), static_cast<size_t>(kClients * kRequestsEach));
  EXPECT_EQ(proxy.stderrText().find("queue full"), std::string::npos);
  removeTree(dir);
}
