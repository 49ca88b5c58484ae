#include "core/access_log.h"

#include "temp_dir.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <sstream>
#include <thread>
#include <vector>

using namespace exaproxy;
using namespace std::chrono_literals;

namespace {

std::chrono::system_clock::time_point at(int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

AccessRecord missRecord() {
  AccessRecord r;
  r.end = at(1795742842231);
  r.elapsed = 156ms;
  r.client = "127.0.0.1";
  r.resultCode = "TCP_MISS";
  r.status = 200;
  r.bytesSent = 1532;
  r.method = "GET";
  r.url = "http://a.test/x";
  r.hierarchy = "HIER_DIRECT";
  r.upstream = "127.0.0.2";
  r.contentType = "text/html";
  return r;
}

std::vector<std::string> splitWhitespace(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> fields;
  for (std::string f; in >> f;)
    fields.push_back(f);
  return fields;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

} // namespace

// The two example lines of PROTOCOLS.md section 7, byte for byte.
TEST(AccessLogFormat, MatchesProtocolExamples) {
  EXPECT_EQ(formatSquid(missRecord()), "1795742842.231    156 127.0.0.1 TCP_MISS/200 1532 GET "
                                       "http://a.test/x - HIER_DIRECT/127.0.0.2 text/html -");
  AccessRecord t;
  t.end = at(1795742843002);
  t.elapsed = 5012ms;
  t.client = "127.0.0.1";
  t.resultCode = "TCP_TUNNEL";
  t.status = 200;
  t.bytesSent = 81234;
  t.method = "CONNECT";
  t.url = "a.test:443";
  t.hierarchy = "HIER_DIRECT";
  t.upstream = "127.0.0.2";
  EXPECT_EQ(formatSquid(t), "1795742843.002   5012 127.0.0.1 TCP_TUNNEL/200 81234 CONNECT "
                            "a.test:443 - HIER_DIRECT/127.0.0.2 - -");
}

TEST(AccessLogFormat, PaddingAndEmptyFields) {
  AccessRecord r;
  r.end = at(5);
  r.elapsed = 1234567ms; // wider than 6 columns: not truncated
  r.resultCode = "NONE_NONE";
  r.status = 0;
  EXPECT_EQ(formatSquid(r), "0.005 1234567 - NONE_NONE/000 0 - - - HIER_NONE/- - -");
  r.status = 4;
  r.elapsed = 0ms;
  EXPECT_EQ(formatSquid(r), "0.005      0 - NONE_NONE/004 0 - - - HIER_NONE/- - -");
}

TEST(AccessLogFormat, WhitespaceNeverSplitsFields) {
  auto r = missRecord();
  r.url = "http://a.test/a b\tc\nd";
  r.user = "John Smith";
  r.contentType = "text/html; charset=utf-8";
  r.note = "denied by acl: rule 3\n";
  auto line = formatSquid(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto fields = splitWhitespace(line);
  ASSERT_GE(fields.size(), 10u);
  EXPECT_EQ(fields[6], "http://a.test/a%20b%09c%0Ad");
  EXPECT_EQ(fields[7], "John%20Smith");
  EXPECT_EQ(fields[9], "text/html;%20charset=utf-8");
  // The note follows the 10 fields and keeps its spaces.
  EXPECT_NE(line.find(" text/html;%20charset=utf-8 denied%20by%20acl:%20rule%203%0A"),
            std::string::npos);
  EXPECT_EQ(fields.size(), 11u);
}

TEST(AccessLogFormat, NoteIsTheEleventhField) {
  auto r = missRecord();
  r.note = "plugin=acl";
  auto fields = splitWhitespace(formatSquid(r));
  ASSERT_EQ(fields.size(), 11u);
  EXPECT_EQ(fields[10], "plugin=acl");
  r.note = "a [b] c";
  EXPECT_NE(formatSquid(r).find(" text/html a%20[b]%20c"), std::string::npos);
  r.note = {}; // no decision: still 11 fields, so calamaris sees one layout
  EXPECT_EQ(splitWhitespace(formatSquid(r)).size(), 11u);
}

TEST(AccessLogWriter, WritesReopensAndTurnsOff) {
  test::TempDir dir;
  auto path = (dir.path() / "access.log").string();
  auto& log = AccessLog::instance();
  ASSERT_TRUE(log.configure(path));
  EXPECT_TRUE(log.enabled());
  log.write(missRecord());
  log.write(missRecord());
  EXPECT_EQ(lines(dir.read("access.log")).size(), 2u);

  // logrotate: move the file, then reopen: new lines go to a new file.
  std::filesystem::rename(path, dir.path() / "access.log.1");
  log.write(missRecord()); // still the old (moved) file
  log.reopen();
  log.write(missRecord());
  EXPECT_EQ(lines(dir.read("access.log.1")).size(), 3u);
  auto fresh = lines(dir.read("access.log"));
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0], formatSquid(missRecord()));

  ASSERT_TRUE(log.configure("off"));
  EXPECT_FALSE(log.enabled());
  log.write(missRecord());
  EXPECT_EQ(lines(dir.read("access.log")).size(), 1u);

  EXPECT_FALSE(log.configure((dir.path() / "no/such/dir/a.log").string()));
  EXPECT_FALSE(log.enabled()); // a failed configure keeps the previous target
  ASSERT_TRUE(log.configure("-"));
}

TEST(AccessLogWriter, ConcurrentWritersKeepLinesWhole) {
  test::TempDir dir;
  auto& log = AccessLog::instance();
  ASSERT_TRUE(log.configure((dir.path() / "access.log").string()));
  constexpr int kThreads = 4;
  constexpr int kLines = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&log, t] {
      for (int i = 0; i < kLines; ++i) {
        auto r = missRecord();
        std::string url = "http://a.test/" + std::to_string(t) + "/" + std::to_string(i) +
                          std::string(static_cast<size_t>(i % 7) * 40, 'x');
        r.url = url; // the record holds views: the string lives until write() returned
        log.write(r);
        if (t == 0 && i % 100 == 0)
          log.reopen(); // rotation racing with writers must not lose or tear lines
      }
    });
  for (auto& th : threads)
    th.join();
  ASSERT_TRUE(log.configure("-"));
  auto all = lines(dir.read("access.log"));
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kLines));
  for (const auto& l : all)
    ASSERT_EQ(splitWhitespace(l).size(), 11u) << l;
}

namespace {

// Writes the records through AccessLog into a file, runs calamaris on it and returns the numbers
// of its summary: lines parsed, invalid lines, total requests.
std::vector<std::string> calamarisCounts(const std::vector<AccessRecord>& records,
                                         const std::string& options) {
  test::TempDir dir;
  auto path = (dir.path() / "access.log").string();
  auto& log = AccessLog::instance();
  EXPECT_TRUE(log.configure(path));
  for (const auto& r : records)
    log.write(r);
  EXPECT_TRUE(log.configure("-"));

  auto report = (dir.path() / "report.txt").string();
  auto command = "/usr/bin/calamaris " + options + " < " + path + " > " + report + " 2>&1";
  int status = std::system(command.c_str());
  auto text = dir.read("report.txt");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  std::vector<std::string> counts;
  for (std::string label : {"lines parsed:", "invalid lines:", "Total amount:"}) {
    std::string found = "missing";
    for (const auto& l : lines(text))
      if (l.rfind(label, 0) == 0)
        found = splitWhitespace(l).back();
    counts.push_back(found);
  }
  return counts;
}

std::vector<AccessRecord> threeRecords() {
  auto miss = missRecord();
  AccessRecord tunnel = miss;
  tunnel.resultCode = "TCP_TUNNEL";
  tunnel.method = "CONNECT";
  tunnel.url = "a.test:443";
  tunnel.contentType = {};
  tunnel.end += 1s;
  AccessRecord denied = miss;
  denied.resultCode = "TCP_DENIED";
  denied.status = 403;
  denied.hierarchy = "HIER_NONE";
  denied.upstream = {};
  denied.url = "http://b.test/with space";
  denied.end += 2s;
  return {miss, tunnel, denied};
}

} // namespace

TEST(AccessLogCalamaris, ParsesOurLines) {
  if (::access("/usr/bin/calamaris", X_OK) != 0)
    GTEST_SKIP() << "calamaris is not installed";
  EXPECT_EQ(calamarisCounts(threeRecords(), ""), (std::vector<std::string>{"3", "0", "3"}));
}

TEST(AccessLogCalamaris, ParsesLinesWithNotesAsSquidExtended) {
  if (::access("/usr/bin/calamaris", X_OK) != 0)
    GTEST_SKIP() << "calamaris is not installed";
  auto records = threeRecords();
  records[2].note = "denied by [acl] rule 3";
  EXPECT_EQ(calamarisCounts(records, "-f squid-extended"),
            (std::vector<std::string>{"3", "0", "3"}));
}
