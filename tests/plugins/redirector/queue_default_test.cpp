// The redirector's default queue_size under a site's concurrency (issue #15): with the old
// default (2 x children x max(concurrency, 1) = 10 for children 5), 50 clients on five busy
// children got 35 "queue full (10 waiting)" denials, where Squid 5.7 with url_rewrite_children 5
// queues them all. The configuration is parsed as the plugin does, so the default is the one the
// plugin runs with; the helper is a real process taking 100 ms per answer.
#include "redirector_config.h"
#include "redirector_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace exaproxy::redirector {
namespace {

using namespace std::chrono_literals;

sdk::Setting setting(size_t index, std::string key, std::string value) {
  sdk::Setting s;
  s.index = index;
  s.file = "50-redirector.conf";
  s.line = static_cast<uint32_t>(index + 1);
  s.section = "redirector";
  s.key = std::move(key);
  s.value = std::move(value);
  return s;
}

bool waitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5000ms) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!cond() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  return cond();
}

TEST(RedirectorQueueDefault, FiftyClientsOnFiveBusyChildrenAreAllAnswered) {
  Config config = parseConfig(
      {setting(0, "program", "/bin/sh -c 'while read -r line; do sleep 0.1; echo ERR; done'"),
       setting(1, "children", "5"), setting(2, "startup", "5")});
  std::atomic<int64_t> queuePeak{0};
  Metrics metrics([&](Metric m, int64_t value, bool gauge) {
    if (gauge && m == Metric::queue)
      queuePeak = std::max<int64_t>(queuePeak, value);
  });
  std::mutex logMutex;
  std::string log;
  RedirectorPool pool(
      config,
      [&](LogLevel, const std::string& line) {
        std::lock_guard<std::mutex> lock(logMutex);
        log += line + "\n";
      },
      metrics);
  ASSERT_TRUE(waitFor([&] { return metrics.get(Metric::children) == 5; }));

  std::vector<std::future<Decision>> decisions;
  auto ask = [&](int i) {
    RequestInfo r;
    r.method = "GET";
    r.url = "http://site.test/" + std::to_string(i);
    r.host = "site.test";
    r.port = 80;
    r.path = "/" + std::to_string(i);
    r.client = "10.0.0." + std::to_string(i + 1);
    auto p = std::make_shared<std::promise<Decision>>();
    decisions.push_back(p->get_future());
    pool.submit(std::move(r), [p](Decision d) { p->set_value(std::move(d)); });
  };
  for (int i = 0; i < 5; ++i)
    ask(i);
  ASSERT_TRUE(waitFor([&] { return metrics.get(Metric::busy) == 5; }));
  for (int i = 5; i < 50; ++i) // every child is busy: these wait in the queue
    ask(i);

  for (auto& f : decisions) {
    ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
    Decision d = f.get();
    EXPECT_EQ(d.kind, Decision::Kind::Continue) << d.reason; // ERR: no change
    EXPECT_EQ(d.status, 0) << d.reason;
  }
  EXPECT_GE(queuePeak.load(), 40);
  EXPECT_EQ(metrics.get(Metric::overloaded), 0);
  EXPECT_EQ(metrics.get(Metric::errors), 0);
  EXPECT_EQ(metrics.get(Metric::allowed), 50);
  std::lock_guard<std::mutex> lock(logMutex);
  EXPECT_EQ(log.find("queue full"), std::string::npos) << log;
}

} // namespace
} // namespace exaproxy::redirector
