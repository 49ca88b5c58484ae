// 200 MB through the proxy in each direction: the sizes are right and the proxy's RSS stays flat
// (bodies are streamed, never buffered whole). Plain build only: sanitizers inflate memory.
#include "itest.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace itest;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kSize = 200ull << 20;
constexpr long kSlackKb = 32 * 1024;

class StreamingTest : public testing::Test {
protected:
  void SetUp() override {
    if (sanitizedBuild())
      GTEST_SKIP() << "RSS assertions run only in the plain build";
    ASSERT_TRUE(origin.ok());
    ASSERT_TRUE(proxy.start());
    // Warm up (first connection, first upstream connection, log buffers), then measure idle.
    auto warm = runCurl({"-x", proxy.proxyArg(), origin.url("/bytes/100000")});
    ASSERT_EQ(warm.exitCode, 0) << warm.describe();
    std::this_thread::sleep_for(200ms);
    idleKb = proxy.rssKb();
    ASSERT_GT(idleKb, 0);
  }

  // Samples the proxy's RSS until done is set; returns the peak.
  long samplePeak(const std::atomic<bool>& done) {
    long peak = proxy.rssKb();
    while (!done.load()) {
      peak = std::max(peak, proxy.rssKb());
      std::this_thread::sleep_for(20ms);
    }
    return std::max(peak, proxy.rssKb());
  }

  OriginServer origin;
  ProxyProcess proxy;
  long idleKb = 0;
};

} // namespace

TEST_F(StreamingTest, Download200MegabytesWithFlatRss) {
  std::atomic<bool> done{false};
  CurlResult result;
  std::thread client([&] {
    result = runCurl(
        {"-x", proxy.proxyArg(), "-o", "/dev/null", origin.url("/bytes/" + std::to_string(kSize))},
        120);
    done = true;
  });
  long peak = samplePeak(done);
  client.join();
  ASSERT_EQ(result.exitCode, 0) << result.describe();
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.sizeDownload, kSize);
  EXPECT_LT(peak, idleKb + kSlackKb) << "idle " << idleKb << " kB, peak " << peak << " kB";
}

TEST_F(StreamingTest, Upload200MegabytesWithFlatRss) {
  std::atomic<bool> done{false};
  std::optional<HttpResponse> response;
  std::string error;
  std::thread client([&] {
    RawClient c(proxy.endpoint());
    bool ok = c.send(absoluteGet(
        origin, "/upload",
        {"Content-Length: " + std::to_string(kSize), "Content-Type: application/octet-stream"},
        "POST"));
    const std::string block = patternBytes(0, 1 << 20);
    for (uint64_t sent = 0; ok && sent < kSize; sent += block.size())
      ok = c.send(block, 60s);
    if (ok)
      response = c.readFinalResponse(60s);
    else
      error = "send failed after a partial upload";
    if (!response && error.empty())
      error = c.lastError();
    done = true;
  });
  long peak = samplePeak(done);
  client.join();
  ASSERT_TRUE(response) << error;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "received " + std::to_string(kSize) + "\n");
  auto reqs = origin.requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs.back().bodySize, kSize);
  EXPECT_LT(peak, idleKb + kSlackKb) << "idle " << idleKb << " kB, peak " << peak << " kB";
}

TEST_F(StreamingTest, ChunkedUpload200MegabytesWithCurl) {
  // curl streams a file chunked (-T with Transfer-Encoding: chunked): the other framing.
  std::string file = proxy.dir() + "/upload.bin";
  {
    std::string block = patternBytes(0, 1 << 20);
    FILE* f = std::fopen(file.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    for (uint64_t i = 0; i < kSize / block.size(); ++i)
      ASSERT_EQ(std::fwrite(block.data(), 1, block.size(), f), block.size());
    std::fclose(f);
  }
  std::atomic<bool> done{false};
  CurlResult result;
  std::thread client([&] {
    result = runCurl({"-x", proxy.proxyArg(), "-T", file, "-H", "Transfer-Encoding: chunked",
                      origin.url("/upload")},
                     120);
    done = true;
  });
  long peak = samplePeak(done);
  client.join();
  removeTree(file);
  ASSERT_EQ(result.exitCode, 0) << result.describe();
  EXPECT_EQ(result.out, "received " + std::to_string(kSize) + "\n");
  EXPECT_LT(peak, idleKb + kSlackKb) << "idle " << idleKb << " kB, peak " << peak << " kB";
}
