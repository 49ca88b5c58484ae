// Replacing a loaded plugin's file under load (issue #13, defect 1): while a client sends a few
// hundred requests through the real binary, the test rewrites the conf.d .so in place (`cp` over
// it, with the same bytes and with another build), truncates it, moves it away and back and
// deletes it. The proxy runs a private copy, so nothing of that reaches the running code: zero
// failed requests, no crash, and the plugin's decisions keep applying.
#include "itest.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef DENY_HOSTS_PLUGIN
#error "DENY_HOSTS_PLUGIN and OTHER_PLUGIN must name test plugins"
#endif

using namespace itest;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What `cp SRC DST` does to an existing DST: open it with O_TRUNC and write, same inode.
void cpOver(const std::string& bytes, const fs::path& to) {
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string get(const std::string& host, uint16_t port) {
  std::string authority = host + ":" + std::to_string(port);
  return requestHead("GET", "http://" + authority + "/", authority, {"Connection: close"});
}

} // namespace

TEST(PluginReplaceTest, RewritingTruncatingMovingDeletingTheLoadedFileChangesNothing) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  ProxyOptions o;
  o.extraFiles = {{"40-deny.conf", "[deny_hosts]\nhosts = 127.0.0.2\n"}};
  ProxyProcess proxy(o);
  const fs::path so = proxy.confDir() + "/40-deny.so";
  const std::string deny = slurp(DENY_HOSTS_PLUGIN), other = slurp(OTHER_PLUGIN);
  ASSERT_FALSE(deny.empty());
  ASSERT_FALSE(other.empty());
  cpOver(deny, so);
  ASSERT_TRUE(proxy.start());

  std::atomic<bool> done{false};
  std::atomic<int> rounds{0};
  std::thread churn([&] {
    const fs::path moved = so.string() + ".away";
    while (!done) {
      cpOver(deny, so);  // the same bytes, rewritten in place
      cpOver(other, so); // another build
      fs::resize_file(so, 0);
      cpOver(deny, so);
      fs::rename(so, moved);
      fs::rename(moved, so);
      fs::remove(so);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      cpOver(other, so);
      ++rounds;
    }
    cpOver(deny, so);
  });

  int failures = 0, allowed = 0, denied = 0;
  std::string firstFailure;
  for (int i = 0; i < 300 && proxy.alive(); ++i) {
    const bool deniedHost = i % 3 == 2;
    auto r =
        rawExchange(proxy.endpoint(), get(deniedHost ? "127.0.0.2" : "127.0.0.1", origin.port()));
    int want = deniedHost ? 403 : 200;
    if (!r || r->status != want) {
      if (failures++ == 0)
        firstFailure = "request " + std::to_string(i) + ": " +
                       (r ? "status " + std::to_string(r->status) : std::string("no answer"));
      continue;
    }
    (deniedHost ? denied : allowed)++;
  }
  done = true;
  churn.join();

  EXPECT_TRUE(proxy.alive()) << "the proxy died:\n" << proxy.stderrText();
  EXPECT_EQ(failures, 0) << firstFailure << "\n" << proxy.stderrText();
  EXPECT_EQ(allowed, 200);
  EXPECT_EQ(denied, 100) << "the plugin's decisions keep applying";
  EXPECT_GT(rounds.load(), 5) << "the file was replaced while requests ran";
  EXPECT_EQ(proxy.stop(), 0) << proxy.stderrText();
}
