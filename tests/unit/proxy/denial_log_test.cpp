#include "proxy/denial_log.h"

#include <gtest/gtest.h>

#include <thread>

using namespace exaproxy::proxy;
using namespace std::chrono_literals;

// One summary per window: the count, and the top reasons by count, most frequent first.
TEST(DenialSummary, OneLinePerWindowWithTheTopReasons) {
  DenialSummary s(100ms);
  for (int i = 0; i < 40; ++i)
    s.record("destination.denied: port not in connect_ports");
  for (int i = 0; i < 3; ++i)
    s.record("client.denied: not in allow_clients");
  EXPECT_EQ(s.flushIfDue(), "") << "the window is not over";
  std::this_thread::sleep_for(120ms);
  std::string line = s.flushIfDue();
  EXPECT_NE(line.find("requests.denied count=43 "), std::string::npos) << line;
  EXPECT_NE(line.find("top=\"destination.denied: port not in connect_ports\":40,"
                      "\"client.denied: not in allow_clients\":3"),
            std::string::npos)
      << line;
  // Counted once: the next window starts empty, and an empty window writes nothing.
  std::this_thread::sleep_for(120ms);
  EXPECT_EQ(s.flushIfDue(), "");
}

// The keys are bounded: past kMaxKeys distinct ones, the rest count as "other".
TEST(DenialSummary, KeysAreBounded) {
  DenialSummary s(50ms);
  for (size_t i = 0; i < DenialSummary::kMaxKeys + 10; ++i)
    s.record("k" + std::to_string(i));
  for (int i = 0; i < 20; ++i)
    s.record("unseen key " + std::to_string(i));
  std::this_thread::sleep_for(70ms);
  std::string line = s.flushIfDue();
  EXPECT_NE(line.find("count=" + std::to_string(DenialSummary::kMaxKeys + 30)), std::string::npos)
      << line;
  EXPECT_NE(line.find("\"other\":30"), std::string::npos) << line;
}
