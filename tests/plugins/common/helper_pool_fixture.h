// The fixture of the HelperPool tests (helper_pool_test.cpp, helper_pool_conversation_test.cpp):
// real helper programs written to a temporary directory, a pool on its own thread or on a test
// loop (the parameter), and what the pool reported (log lines, metrics).
#pragma once

#include "helper_pool.h"
#include "squid_line_codec.h"
#include "squid_reply.h"
#include "test_helper_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>

namespace exaproxy::common::pool_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Squid's basic_auth protocol: "user password" → OK / ERR (the password is "secret").
inline const char* kBasicAuth = R"SH(
while read -r user password; do
  if [ "$password" = secret ]; then echo "OK user=$user"; else echo 'ERR message="bad password"'; fi
done
)SH";

// External-ACL style helpers with channel IDs (argv[1] picks the behaviour).
inline const char* kAcl = R"PY(
import sys, time
mode = sys.argv[1]
held = []
count = 0
def out(s):
    sys.stdout.write(s + "\n"); sys.stdout.flush()
for line in sys.stdin:
    line = line.rstrip("\n")
    cid, rest = line.split(" ", 1)
    count += 1
    if mode == "echo":
        out(cid + ' OK tag=staff got="' + line + '"')
    elif mode == "reverse":
        held.append((cid, rest))
        if len(held) == 3:
            for c, r in reversed(held):
                out(c + ' OK got="' + r + '"')
            held = []
    elif mode == "bh-first":
        out(cid + (' BH message="warming up"' if count == 1 else " OK"))
    elif mode == "bh":
        out(cid + ' BH message="no directory"')
    elif mode == "hang":
        if "hang" not in rest:
            out(cid + " ERR")
    elif mode == "slow":
        time.sleep(0.3)
        out(cid + " OK")
)PY";

class HelperPoolSquidLineTest : public ::testing::TestWithParam<bool> {
protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '-');
    dir_ = fs::temp_directory_path() / ("common-pool-" + std::to_string(::getpid()) + "-" + name);
    if (GetParam())
      loop_ = std::make_unique<TestHelperLoop>();
    fs::create_directories(dir_);
    std::ofstream(dir_ / "auth.sh") << kBasicAuth;
    std::ofstream(dir_ / "acl.py") << kAcl;
  }
  void TearDown() override {
    stopPool();
    fs::remove_all(dir_);
  }

  bool loopMode() const { return GetParam(); }
  // A loop-mode pool is destroyed once its loop no longer serves it (as the host does before a
  // plugin's destroy()).
  void stopPool() {
    if (loop_)
      loop_->stop();
    pool_.reset();
  }

  HelperPoolSettings auth() const {
    HelperPoolSettings s;
    s.name = "auth";
    s.program = {"/bin/sh", (dir_ / "auth.sh").string()};
    s.children = 1;
    return s;
  }

  HelperPoolSettings acl(const std::string& mode, size_t concurrency = 4) const {
    HelperPoolSettings s;
    s.name = "external ACL";
    s.program = {"/usr/bin/python3", (dir_ / "acl.py").string(), mode};
    s.children = 1;
    s.concurrency = concurrency;
    return s;
  }

  void start(HelperPoolSettings s) {
    pool_ = std::make_unique<HelperPool>(
        std::move(s), codec_,
        [this](LogLevel, const std::string& m) {
          std::lock_guard<std::mutex> lock(mutex_);
          log_ += m + "\n";
        },
        [this](PoolMetric m, int64_t v) {
          std::lock_guard<std::mutex> lock(mutex_);
          if (kPoolMetrics[static_cast<size_t>(m)].gauge) {
            metrics_[m] = v;
            peaks_[m] = std::max(peaks_[m], v);
          } else {
            metrics_[m] += v;
          }
        },
        loop_.get());
    EXPECT_EQ(pool_->onLoop(), loopMode());
  }

  std::future<HelperReply> ask(const std::string& line) {
    auto p = std::make_shared<std::promise<HelperReply>>();
    auto f = p->get_future();
    pool_->submit(HelperRequest{line + "\n", line}, [p](HelperReply r) { p->set_value(r); });
    return f;
  }

  HelperReply askWait(const std::string& line) {
    auto f = ask(line);
    if (f.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "no reply for " << line;
      return HelperReply{HelperReply::Status::Failed, {}, "test timeout", 0};
    }
    return f.get();
  }

  int64_t metric(PoolMetric m) {
    std::lock_guard<std::mutex> lock(mutex_);
    return metrics_[m];
  }

  // The highest value a gauge had.
  int64_t peak(PoolMetric m) {
    std::lock_guard<std::mutex> lock(mutex_);
    return peaks_[m];
  }

  std::string log() {
    std::lock_guard<std::mutex> lock(mutex_);
    return log_;
  }

  bool waitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5000ms) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!cond() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(10ms);
    return cond();
  }

  fs::path dir_;
  SquidLineCodec codec_;
  std::mutex mutex_;
  std::string log_;
  std::map<PoolMetric, int64_t> metrics_;
  std::map<PoolMetric, int64_t> peaks_;
  std::unique_ptr<TestHelperLoop> loop_; // loop mode
  std::unique_ptr<HelperPool> pool_;
};

} // namespace exaproxy::common::pool_test
