// Check mode (ABI 1.3, `exaproxy --check` / `--verify-plugin`): every stock plugin, created
// through the host's loader from its real .so, validates what it validates when serving and
// reports the same errors (file:line), but starts no thread and no child process.
#include "stock_test_support.h"

#include <gtest/gtest.h>

#include <chrono>
#include <sys/stat.h>
#include <thread>

namespace exaproxy::plugin::stock {
namespace {

using namespace std::chrono_literals;

struct Case {
  std::string plugin;
  std::string good;     // a configuration that loads (lists, files, helpers included)
  std::string bad;      // the same with one bad value
  std::string expected; // in the refusal of `bad`, both modes (with file:line)
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.plugin; }

// @DIR@ is replaced by the test's temporary directory.
std::vector<Case> cases() {
  return {
      {"acl",
       "[acl_lists]\nblocked = @DIR@/good.txt\n[acl_rule r]\nlists = blocked\naction = deny\n",
       "[acl_lists]\nblocked = @DIR@/bad.txt\n[acl_rule r]\nlists = blocked\naction = deny\n",
       "bad.txt:2: "},
      {"auth", "[auth]\nbasic_program = /bin/cat\nbasic_startup = 2\n",
       "[auth]\nbasic_program = @DIR@/no-such-helper\nbasic_startup = 2\n", "50-auth.conf:2: "},
      {"external_acl", "[external_acl]\nname = staff\nprogram = /bin/cat\nstartup = 2\n",
       "[external_acl]\nname = staff\nprogram = @DIR@/no-such-helper\nstartup = 2\n",
       "50-external_acl.conf:3: "},
      {"headers", "[headers yt]\nhost = youtube.com\nyoutube_restrict = strict\n",
       "[headers yt]\nhost = youtube.com\ncolour = blue\n", "50-headers.conf:3: "},
      {"icap", "[icap echo]\nuri = icap://127.0.0.1:1344/echo\nbypass = on\n",
       "[icap echo]\nuri = icap://127.0.0.1:1344/echo\nbypass = sometimes\n", "50-icap.conf:3: "},
      {"local", "[local docs]\nhost = docs.test\ndirectory = @DIR@\n",
       "[local docs]\nhost = docs.test\ndirectory = @DIR@/missing\n", "50-local.conf:3: "},
      {"redirector", "[redirector]\nprogram = /bin/cat\nstartup = 2\n",
       "[redirector]\nprogram = @DIR@/no-such-helper\nstartup = 2\n", "50-redirector.conf:2: "},
      {"substitute", "[substitute]\nwww.example.test = safe.example.test\n",
       "[substitute]\nwww.example.test = safe.example.test\nbad.example.test = not a host\n",
       "50-substitute.conf:3: "},
      {"xff", "[xff]\ntrusted = 10.0.0.0/8\n", "[xff]\ntrusted = 10.0.0.0/8 lb.example\n",
       "50-xff.conf:2: "},
  };
}

class StockCheckMode : public ::testing::TestWithParam<Case> {
protected:
  void SetUp() override {
    dir_.write("good.txt", "ads.example\ntracker.example\n");
    dir_.write("bad.txt", "ads.example\nb@d\n");
  }
  std::string conf(const std::string& text) const {
    std::string out = text;
    for (size_t at; (at = out.find("@DIR@")) != std::string::npos;)
      out.replace(at, 5, dir_.path().string());
    return out;
  }
  TempDir dir_;
};

TEST_P(StockCheckMode, StartsNoThreadAndNoProcess) {
  const Case& c = GetParam();
  const size_t threads = threadCount();
  const size_t children = childProcesses().size();
  auto loaded = loadStock(c.plugin, conf(c.good), true);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_TRUE((*loaded)->host()->checkMode);
  // A helper pool starts its manager thread and children at once; give it the time it would take.
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(threadCount(), threads) << c.plugin << " started a thread in check mode";
  EXPECT_EQ(childProcesses().size(), children) << c.plugin << " started a process in check mode";
  loaded->reset(); // destroy(), as --check does right away
  EXPECT_EQ(threadCount(), threads);
}

TEST_P(StockCheckMode, ReportsTheSameErrorsAsWhenServing) {
  const Case& c = GetParam();
  auto checked = loadStock(c.plugin, conf(c.bad), true);
  auto served = loadStock(c.plugin, conf(c.bad), false);
  ASSERT_FALSE(checked) << c.plugin << " accepted a bad value in check mode";
  ASSERT_FALSE(served) << c.plugin << " accepted a bad value";
  EXPECT_EQ(checked.error().message, served.error().message);
  EXPECT_NE(checked.error().message.find(c.expected), std::string::npos) << checked.error().message;
}

INSTANTIATE_TEST_SUITE_P(Plugins, StockCheckMode, ::testing::ValuesIn(cases()),
                         [](const auto& p) { return p.param.plugin; });

// The probe sees what serving starts: the redirector's pool (a manager thread, `startup` helper
// processes), which check mode does not start.
TEST(StockCheckModeProbe, ServingTheRedirectorStartsItsHelpers) {
  const size_t threads = threadCount();
  const size_t children = childProcesses().size();
  auto loaded = loadStock("redirector", "[redirector]\nprogram = /bin/cat\nstartup = 2\n", false);
  ASSERT_TRUE(loaded) << loaded.error().message;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (childProcesses().size() < children + 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(childProcesses().size(), children + 2);
  EXPECT_GT(threadCount(), threads);
  loaded->reset(); // drains and stops the helpers
  deadline = std::chrono::steady_clock::now() + 5s;
  while (childProcesses().size() > children && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(childProcesses().size(), children);
}

// What the redirector checks about its program without running it, in both modes.
class RedirectorProgram : public ::testing::TestWithParam<bool> {
protected:
  Result<LoadedPluginPtr> load(const std::string& program) {
    return loadStock("redirector", "[redirector]\nprogram = " + program + " -u\n", GetParam());
  }
  TempDir dir_;
};

TEST_P(RedirectorProgram, AMissingProgramIsRefusedNamingTheLine) {
  auto r = load((dir_.path() / "missing-helper").string());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("50-redirector.conf:2: "), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("missing-helper': no such file"), std::string::npos)
      << r.error().message;
}

TEST_P(RedirectorProgram, ANonExecutableProgramIsRefused) {
  std::string p = dir_.write("helper.sh", "#!/bin/sh\ncat\n");
  ::chmod(p.c_str(), 0644);
  auto r = load(p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not executable"), std::string::npos) << r.error().message;
  ::chmod(p.c_str(), 0755);
  auto ok = load(p);
  EXPECT_TRUE(ok) << ok.error().message;
}

TEST_P(RedirectorProgram, ABareNameIsLookedUpInPath) {
  auto found = load("cat");
  EXPECT_TRUE(found) << found.error().message;
  auto missing = load("exaproxy-no-such-helper-program");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("not found in PATH"), std::string::npos)
      << missing.error().message;
}

TEST_P(RedirectorProgram, AFilesSettingThatIsNotADirectoryIsRefused) {
  auto r = loadStock("redirector",
                     "[redirector]\nprogram = /bin/cat\nprotocol = exaproxy-url\nfiles = " +
                         (dir_.path() / "nothing").string() + "\n",
                     GetParam());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("50-redirector.conf:4: "), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("is not a directory"), std::string::npos) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(Modes, RedirectorProgram, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "check" : "serving"; });

} // namespace
} // namespace exaproxy::plugin::stock
