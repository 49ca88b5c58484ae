// plugins/common: a helper child with its pipes, and the line framing of helper protocols.
#include "helper_line.h"
#include "helper_process.h"

#include <gtest/gtest.h>

#include <chrono>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace exaproxy::common;

// Moved from the redirector's helper_protocol (takeLine had no test of its own).
TEST(HelperLineTest, TakesWholeLinesAndDropsTheCr) {
  std::string buffer = "one\r\ntwo\nthr";
  std::string line;
  ASSERT_TRUE(takeLine(buffer, line));
  EXPECT_EQ(line, "one");
  ASSERT_TRUE(takeLine(buffer, line));
  EXPECT_EQ(line, "two");
  EXPECT_FALSE(takeLine(buffer, line));
  EXPECT_EQ(buffer, "thr");
  buffer += "\n";
  ASSERT_TRUE(takeLine(buffer, line));
  EXPECT_EQ(line, "thr");
  EXPECT_TRUE(buffer.empty());
}

namespace {

// Reads the child's stdout until a whole line is there (5 s at most).
std::string readLine(HelperProcess& p) {
  std::string buffer, line;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!takeLine(buffer, line) && std::chrono::steady_clock::now() < until) {
    pollfd fd{p.stdoutFd(), POLLIN, 0};
    if (poll(&fd, 1, 100) <= 0)
      continue;
    char chunk[256];
    ssize_t n = read(p.stdoutFd(), chunk, sizeof chunk);
    if (n <= 0)
      break;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  return line;
}

} // namespace

TEST(HelperProcessTest, EchoesALineAndEndsAtEof) {
  HelperProcess p({"cat"});
  ASSERT_TRUE(p.ok()) << p.error();
  ASSERT_EQ(write(p.stdinFd(), "hello 1\n", 8), 8);
  EXPECT_EQ(readLine(p), "hello 1");
  p.closeStdin();
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!p.tryReap() && std::chrono::steady_clock::now() < until)
    usleep(10000);
  ASSERT_NE(p.exitStatus(), -1);
  EXPECT_TRUE(WIFEXITED(p.exitStatus()) && WEXITSTATUS(p.exitStatus()) == 0) << p.describeExit();
}

TEST(HelperProcessTest, AMissingProgramIsReported) {
  HelperProcess p({"/nonexistent/helper"});
  if (p.ok()) { // spawned, then failed to exec: the child exits 127
    p.killAndReap();
    EXPECT_NE(p.exitStatus(), -1);
  } else {
    EXPECT_FALSE(p.error().empty());
  }
  HelperProcess none({});
  EXPECT_FALSE(none.ok());
  EXPECT_EQ(none.error(), "empty command line");
}
