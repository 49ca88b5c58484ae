// The helper pool against real child processes (python3 scripts written by the test): ordering,
// channel IDs and out-of-order answers, BH retries, a child dying mid-request, a hanging child,
// the canary, bypass, queue overflow, stderr logging and a clean stop.
#include "redirector_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace exaproxy::redirector {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// One script, several behaviours (argv[1]); channel IDs when argv[2] == "c".
const char* kHelper = R"PY(
import os, sys, time
mode = sys.argv[1]
concurrent = len(sys.argv) > 2 and sys.argv[2] == "c"
marker = os.environ.get("MARKER", "")
held = []
count = 0
def out(s):
    sys.stdout.write(s + "\n"); sys.stdout.flush()
for line in sys.stdin:
    words = line.split()
    cid = ""
    if concurrent:
        cid = words[0] + " "; words = words[1:]
    url = words[0] if words else ""
    count += 1
    if mode == "rewrite":
        out(cid + 'OK rewrite-url="http://rewritten.test/' + str(os.getpid()) + '"')
    elif mode == "pass":
        out(cid + "ERR")
    elif mode == "bh":
        out(cid + 'BH message="always broken"')
    elif mode == "bh-first":
        out(cid + ('BH message="first"' if count == 1 else 'OK status=302 url="http://fixed.test/"'))
    elif mode == "reverse":
        held.append((cid, url))
        if len(held) == 3:
            for c, u in reversed(held):
                out(c + 'OK url="' + u + '"')
            held = []
    elif mode == "die-once":
        if "die" in url and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(3)
        out(cid + 'OK url="http://survived.test/"')
    elif mode == "die-always":
        if "die" in url:
            os._exit(3)
        out(cid + "ERR")
    elif mode == "hang":
        if "hang" in url:
            continue
        out(cid + 'OK url="http://answered.test/"')
    elif mode == "slow":
        time.sleep(0.3)
        out(cid + "ERR")
    elif mode == "stderr":
        sys.stderr.write("complaint about " + url + "\n"); sys.stderr.flush()
        out(cid + "ERR")
    elif mode == "canary-then-pass":
        out(cid + ('OK url="http://blocked.test/"' if "canary" in url else "ERR"))
    elif mode == "garbage":
        out(cid + "!!!")
    elif mode == "no-channel":
        out("OK url=\"http://no-channel.test/\"")
)PY";

class HelperPoolTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("redir-pool-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    script_ = (dir_ / "helper.py").string();
    std::ofstream(script_) << kHelper;
    ::setenv("MARKER", (dir_ / "marker").c_str(), 1);
  }
  void TearDown() override {
    pool_.reset();
    fs::remove_all(dir_);
  }

  Config config(const std::string& mode, size_t concurrency = 0) {
    Config c;
    c.program = {"/usr/bin/python3", script_, mode};
    if (concurrency)
      c.program.push_back("c");
    c.concurrency = concurrency;
    c.children = 3;
    c.startup = 1;
    c.idle = 1;
    c.queueSize = 100;
    c.timeout = 3000ms;
    return c;
  }

  void start(Config c) {
    pool_ = std::make_unique<RedirectorPool>(
        std::move(c),
        [this](LogLevel, const std::string& m) {
          std::lock_guard<std::mutex> lock(logMutex_);
          log_ += m + "\n";
        },
        metrics_);
  }

  static RequestInfo request(const std::string& url) {
    RequestInfo r;
    r.method = "GET";
    r.url = url;
    r.host = "a.test";
    r.port = 80;
    r.path = "/";
    r.client = "10.0.0.1";
    return r;
  }

  std::future<Decision> ask(const std::string& url) {
    auto p = std::make_shared<std::promise<Decision>>();
    auto f = p->get_future();
    pool_->submit(request(url), [p](Decision d) { p->set_value(std::move(d)); });
    return f;
  }

  Decision askWait(const std::string& url, std::chrono::milliseconds limit = 10000ms) {
    auto f = ask(url);
    if (f.wait_for(limit) != std::future_status::ready) {
      ADD_FAILURE() << "no decision for " << url;
      return Decision::error("test timeout");
    }
    return f.get();
  }

  std::string log() {
    std::lock_guard<std::mutex> lock(logMutex_);
    return log_;
  }

  bool waitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5000ms) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (cond())
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return cond();
  }

  fs::path dir_;
  std::string script_;
  Metrics metrics_;
  std::mutex logMutex_;
  std::string log_;
  std::unique_ptr<RedirectorPool> pool_;
};

TEST_F(HelperPoolTest, RewritesOneAtATime) {
  start(config("rewrite"));
  for (int i = 0; i < 5; ++i) {
    Decision d = askWait("http://a.test/" + std::to_string(i));
    ASSERT_EQ(d.kind, Decision::Kind::Rewrite) << d.reason;
    EXPECT_EQ(d.url.rfind("http://rewritten.test/", 0), 0u);
  }
  EXPECT_EQ(metrics_.get(Metric::requests), 5);
  EXPECT_EQ(metrics_.get(Metric::rewritten), 5);
  EXPECT_EQ(metrics_.get(Metric::replies), 5);
}

TEST_F(HelperPoolTest, ManyConcurrentRequestsScaleUpToChildren) {
  Config c = config("slow");
  c.children = 4;
  c.startup = 1;
  start(c);
  std::vector<std::future<Decision>> fs;
  for (int i = 0; i < 8; ++i)
    fs.push_back(ask("http://a.test/" + std::to_string(i)));
  for (auto& f : fs) {
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(f.get().kind, Decision::Kind::Continue);
  }
  EXPECT_EQ(metrics_.get(Metric::spawns), 4); // on demand, never above `children`
  EXPECT_LE(pool_->childPids().size(), 4u);
}

TEST_F(HelperPoolTest, OutOfOrderAnswersMatchTheirChannel) {
  Config c = config("reverse", 4);
  c.children = 1;
  start(c);
  auto a = ask("http://a.test/first");
  auto b = ask("http://a.test/second");
  auto d = ask("http://a.test/third");
  EXPECT_EQ(a.get().location, "http://a.test/first");
  EXPECT_EQ(b.get().location, "http://a.test/second");
  EXPECT_EQ(d.get().location, "http://a.test/third");
}

TEST_F(HelperPoolTest, BrokenHelperIsRetriedTwiceThenOnError) {
  Config c = config("bh");
  c.allowOnError = false;
  start(c);
  Decision d = askWait("http://a.test/");
  EXPECT_EQ(d.kind, Decision::Kind::Deny);
  EXPECT_EQ(d.status, 503);
  EXPECT_NE(d.reason.find("3 tries"), std::string::npos);
  EXPECT_EQ(metrics_.get(Metric::broken), 3);
  EXPECT_EQ(metrics_.get(Metric::retries), 2);
  EXPECT_EQ(metrics_.get(Metric::helper_requests), 3);
}

TEST_F(HelperPoolTest, BrokenHelperAllowPolicy) {
  Config c = config("bh");
  c.allowOnError = true;
  start(c);
  EXPECT_EQ(askWait("http://a.test/").kind, Decision::Kind::Continue);
  EXPECT_EQ(metrics_.get(Metric::errors), 1);
}

TEST_F(HelperPoolTest, BrokenOnceSucceedsOnAnotherChild) {
  start(config("bh-first"));
  Decision d = askWait("http://a.test/");
  EXPECT_EQ(d.kind, Decision::Kind::Redirect) << d.reason;
  EXPECT_GE(metrics_.get(Metric::broken), 1);
}

TEST_F(HelperPoolTest, ChildDyingMidRequestIsRetriedOnAnother) {
  start(config("die-once"));
  Decision d = askWait("http://a.test/die");
  EXPECT_EQ(d.kind, Decision::Kind::Redirect) << d.reason << log();
  EXPECT_EQ(d.location, "http://survived.test/");
  EXPECT_TRUE(waitFor([&] { return metrics_.get(Metric::respawns) == 1; }));
  EXPECT_EQ(metrics_.get(Metric::retries), 1);
  // The pool is whole again.
  EXPECT_EQ(askWait("http://a.test/ok").kind, Decision::Kind::Redirect);
}

TEST_F(HelperPoolTest, ChildDyingTwiceGivesOnError) {
  Config c = config("die-always");
  c.allowOnError = true;
  start(c);
  Decision d = askWait("http://a.test/die");
  EXPECT_EQ(d.kind, Decision::Kind::Continue);
  EXPECT_EQ(metrics_.get(Metric::errors), 1);
  EXPECT_NE(log().find("died twice"), std::string::npos);
  EXPECT_EQ(askWait("http://a.test/fine").kind, Decision::Kind::Continue);
}

TEST_F(HelperPoolTest, ChildKilledFromOutsideMidRequest) {
  Config c = config("hang");
  c.timeout = 8000ms;
  c.allowOnError = true;
  start(c);
  ASSERT_TRUE(waitFor([&] { return pool_->childPids().size() == 1; }));
  auto f = ask("http://a.test/hang");
  std::this_thread::sleep_for(200ms);
  for (pid_t p : pool_->childPids())
    ::kill(p, SIGKILL);
  // Retried once on another child, which hangs as well and is killed again → on_error, long
  // before the 8 s timeout.
  ASSERT_TRUE(waitFor([&] { return metrics_.get(Metric::respawns) >= 1; }));
  auto until = std::chrono::steady_clock::now() + 5s;
  while (f.wait_for(100ms) != std::future_status::ready && std::chrono::steady_clock::now() < until)
    for (pid_t p : pool_->childPids())
      ::kill(p, SIGKILL);
  ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
  Decision d = f.get();
  EXPECT_EQ(d.kind, Decision::Kind::Continue);
  EXPECT_FALSE(d.timedOut);
  EXPECT_NE(log().find("died twice"), std::string::npos);
}

TEST_F(HelperPoolTest, HangingHelperTimesOutAndIsReplaced) {
  Config c = config("hang");
  c.timeout = 500ms;
  c.allowOnTimeout = false;
  start(c);
  auto t0 = std::chrono::steady_clock::now();
  Decision d = askWait("http://a.test/hang");
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(d.kind, Decision::Kind::Deny);
  EXPECT_TRUE(d.timedOut);
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 3000ms);
  EXPECT_EQ(metrics_.get(Metric::timeouts), 1);
  // A one-at-a-time child that hangs is killed (its late answer would be misattributed).
  EXPECT_TRUE(waitFor([&] { return metrics_.get(Metric::respawns) == 1; }));
  Decision next = askWait("http://a.test/next");
  EXPECT_EQ(next.kind, Decision::Kind::Redirect);
  EXPECT_EQ(next.location, "http://answered.test/");
}

TEST_F(HelperPoolTest, HangingConcurrentRequestTimesOutOthersProceed) {
  Config c = config("hang", 4);
  c.children = 1;
  c.timeout = 500ms;
  c.allowOnTimeout = true;
  start(c);
  auto hung = ask("http://a.test/hang");
  Decision ok = askWait("http://a.test/fine");
  EXPECT_EQ(ok.kind, Decision::Kind::Redirect);
  ASSERT_EQ(hung.wait_for(3s), std::future_status::ready);
  Decision d = hung.get();
  EXPECT_EQ(d.kind, Decision::Kind::Continue);
  EXPECT_TRUE(d.timedOut);
  EXPECT_EQ(metrics_.get(Metric::respawns), 0);
}

TEST_F(HelperPoolTest, CanaryCatchesAFailOpenHelper) {
  Config c = config("pass");
  c.canary = "http://canary.test/";
  c.canaryInterval = 200ms;
  c.allowOnError = false;
  start(c);
  ASSERT_TRUE(waitFor([&] { return metrics_.get(Metric::canary_failures) >= 1; }));
  Decision d = askWait("http://a.test/");
  EXPECT_EQ(d.kind, Decision::Kind::Deny);
  EXPECT_NE(d.reason.find("canary"), std::string::npos);
  EXPECT_NE(log().find("emergency mode"), std::string::npos);
  EXPECT_NE(pool_->statusJson().find("\"canary\":\"failing\""), std::string::npos);
  // It keeps re-checking.
  EXPECT_TRUE(waitFor([&] { return metrics_.get(Metric::canary_failures) >= 3; }));
}

TEST_F(HelperPoolTest, CanaryPassesForAWorkingHelper) {
  Config c = config("canary-then-pass");
  c.canary = "http://canary.test/";
  start(c);
  ASSERT_TRUE(waitFor([&] { return metrics_.get(Metric::canary_checks) >= 1; }));
  EXPECT_EQ(metrics_.get(Metric::canary_failures), 0);
  EXPECT_EQ(askWait("http://a.test/").kind, Decision::Kind::Continue);
  EXPECT_NE(pool_->statusJson().find("\"canary\":\"ok\""), std::string::npos);
}

TEST_F(HelperPoolTest, BypassWhenAllBusy) {
  Config c = config("slow");
  c.children = 1;
  c.bypass = true;
  start(c);
  ASSERT_TRUE(waitFor([&] { return pool_->childPids().size() == 1; }));
  auto first = ask("http://a.test/1");
  std::this_thread::sleep_for(50ms);
  Decision d = askWait("http://a.test/2", 200ms);
  EXPECT_EQ(d.kind, Decision::Kind::Continue);
  EXPECT_EQ(metrics_.get(Metric::bypassed), 1);
  first.wait();
}

TEST_F(HelperPoolTest, QueueOverflowGetsOnError) {
  Config c = config("slow");
  c.children = 1;
  c.queueSize = 1;
  c.allowOnError = false;
  start(c);
  ASSERT_TRUE(waitFor([&] { return pool_->childPids().size() == 1; }));
  auto a = ask("http://a.test/1");
  std::this_thread::sleep_for(50ms);
  auto b = ask("http://a.test/2"); // queued
  std::this_thread::sleep_for(50ms);
  Decision d = askWait("http://a.test/3", 200ms); // over the queue
  EXPECT_EQ(d.kind, Decision::Kind::Deny);
  EXPECT_EQ(metrics_.get(Metric::overloaded), 1);
  EXPECT_EQ(a.get().kind, Decision::Kind::Continue);
  EXPECT_EQ(b.get().kind, Decision::Kind::Continue);
}

TEST_F(HelperPoolTest, StderrGoesToTheLog) {
  start(config("stderr"));
  askWait("http://a.test/loud");
  EXPECT_TRUE(waitFor([&] {
    return log().find("stderr: complaint about http://a.test/loud") != std::string::npos;
  }));
}

TEST_F(HelperPoolTest, MissingProgramGivesOnErrorQuickly) {
  Config c = config("rewrite");
  c.program = {"/nonexistent/helper"};
  c.allowOnError = true;
  start(c);
  Decision d = askWait("http://a.test/", 2000ms);
  EXPECT_EQ(d.kind, Decision::Kind::Continue);
  EXPECT_GE(metrics_.get(Metric::spawn_failures), 1);
}

// "!!!" is no answer a Squid helper gives (a urlgroup without its second '!'): the on_error
// policy decides, deny here, allow when the operator chose it.
TEST_F(HelperPoolTest, GarbageAnswerGoesToOnError) {
  Config c = config("garbage");
  c.allowOnError = false;
  start(c);
  Decision d = askWait("http://a.test/");
  EXPECT_EQ(d.kind, Decision::Kind::Deny);
  EXPECT_EQ(d.status, 503);
  EXPECT_NE(d.reason.find("without a scheme: !"), std::string::npos) << d.reason;
  EXPECT_EQ(metrics_.get(Metric::errors), 1);
}

TEST_F(HelperPoolTest, GarbageAnswerWithAllowOnErrorPasses) {
  Config c = config("garbage");
  c.allowOnError = true;
  start(c);
  EXPECT_EQ(askWait("http://a.test/").kind, Decision::Kind::Continue);
  EXPECT_EQ(metrics_.get(Metric::errors), 1);
}

// concurrency > 0 but the helper answers without the channel ID (a helper that does not speak
// concurrency): the request goes to on_error at once, not after the timeout, and the helper is
// replaced.
TEST_F(HelperPoolTest, AnswerWithoutChannelIdGoesToOnErrorAtOnceAndReplacesTheHelper) {
  Config c = config("no-channel", 4);
  c.allowOnError = false;
  c.timeout = 8000ms;
  c.children = 1;
  start(c);
  auto t0 = std::chrono::steady_clock::now();
  Decision d = askWait("http://a.test/");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4000ms) << "waited for the timeout";
  EXPECT_EQ(d.kind, Decision::Kind::Deny);
  EXPECT_NE(d.reason.find("channel"), std::string::npos) << d.reason;
  EXPECT_TRUE(waitFor([&] { return metrics_.get(Metric::respawns) >= 1; })) << log();
  EXPECT_NE(log().find("without a channel ID"), std::string::npos) << log();
}

TEST_F(HelperPoolTest, StopAnswersEverythingQueued) {
  Config c = config("slow");
  c.children = 1;
  start(c);
  std::vector<std::future<Decision>> fs;
  for (int i = 0; i < 4; ++i)
    fs.push_back(ask("http://a.test/" + std::to_string(i)));
  auto pids = pool_->childPids();
  pool_.reset(); // drains: every queued request is answered by the helper before it stops
  for (auto& f : fs) {
    ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
    EXPECT_EQ(f.get().kind, Decision::Kind::Continue);
  }
  for (pid_t p : pids)
    EXPECT_NE(::kill(p, 0), 0) << "helper " << p << " still running";
}

TEST_F(HelperPoolTest, StatusJson) {
  start(config("rewrite"));
  askWait("http://a.test/");
  std::string s = pool_->statusJson();
  EXPECT_NE(s.find("\"protocol\":\"squid\""), std::string::npos) << s;
  EXPECT_NE(s.find("\"rewritten\":1"), std::string::npos) << s;
  EXPECT_NE(s.find("\"canary\":\"off\""), std::string::npos) << s;
}

} // namespace
} // namespace exaproxy::redirector
