// A plugin that fails under on_error = deny (tests/plugin_abi/broken/throws_in_hook.cpp throws
// "boom" from its hook) through the real binary: the client's 503 page says the request could not
// be filtered and gives an incident id, never the exception's text; the proxy's log line carries
// the same id with the text, and so does the access log's decision field.
#include "itest.h"

#include <regex>
#include <set>

#ifndef THROWS_PLUGIN
#error "THROWS_PLUGIN must name throws_in_hook.so"
#endif

using namespace itest;

namespace {

std::string throwsConf(const std::string& policy) {
  return std::string("[plugin]\npath = ") + THROWS_PLUGIN + "\non_error = " + policy + "\n";
}

TEST(PluginIncident, TheClientSeesAnIncidentIdAndTheLogTheDetails) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  ProxyOptions o;
  o.extraFiles = {{"40-throws.conf", throwsConf("deny")}};
  ProxyProcess proxy(o);
  ASSERT_TRUE(proxy.start());

  std::set<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto r = runCurl({"-x", proxy.proxyArg(), origin.url("/?incident=" + std::to_string(i))});
    ASSERT_EQ(r.status, 503) << r.describe();
    EXPECT_EQ(origin.requestCount(), 0u) << "a failed filter let the request through";
    // Nothing internal on the page: no exception text, no plugin error wording.
    EXPECT_EQ(r.out.find("boom"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("exception"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("could not be filtered"), std::string::npos) << r.out;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex("incident ([0-9a-f]{12})"))) << r.out;
    std::string id = m[1];
    EXPECT_TRUE(ids.insert(id).second) << "the same id twice: " << id;

    // The operator's log line: the same id, and the exception's text.
    std::string line;
    ASSERT_TRUE(waitFor(
        [&] {
          for (const auto& l : splitLines(proxy.stderrText() + proxy.stdoutText()))
            if (l.find("plugin.error") != std::string::npos &&
                l.find("incident=" + id) != std::string::npos)
              line = l;
          return !line.empty();
        },
        Millis(5000)))
        << proxy.stderrText();
    EXPECT_NE(line.find("plugin=40-throws"), std::string::npos) << line;
    EXPECT_NE(line.find("boom"), std::string::npos) << line;
    // The access log names it too (its decision field).
    ASSERT_TRUE(
        waitFor([&] { return proxy.accessLog().find("incident=" + id) != std::string::npos; },
                Millis(5000)))
        << proxy.accessLog();
  }
}

TEST(PluginIncident, FailOpenStillLogsAnIncidentAndServes) {
  OriginServer origin;
  ASSERT_TRUE(origin.ok());
  ProxyOptions o;
  o.extraFiles = {{"40-throws.conf", throwsConf("allow")}};
  ProxyProcess proxy(o);
  ASSERT_TRUE(proxy.start());
  auto r = runCurl({"-x", proxy.proxyArg(), origin.url("/?open")});
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_TRUE(waitFor(
      [&] {
        std::string log = proxy.stderrText() + proxy.stdoutText();
        return std::regex_search(log, std::regex("plugin.error plugin=40-throws policy=allow "
                                                 "incident=[0-9a-f]{12} reason=\"[^\"]*boom"));
      },
      Millis(5000)))
      << proxy.stderrText();
}

} // namespace
