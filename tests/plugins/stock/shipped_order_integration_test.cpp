// The shipped plugin order through the real binary (issue #13, defect 8): YouTube restricted
// mode both ways, by host substitution (conf.d/examples/safesearch.conf) and by the
// YouTube-Restrict header (the [headers youtube] rule of conf.d/examples/NN-headers.conf),
// enabled exactly as the examples say: each file copied under its shipped number, the headers
// rule uncommented. A route ends the chain, so the header is only added when headers runs
// before the substitution. Every name is answered by the test's own dnsmasq (no upstream):
// restrict.youtube.com -> 127.0.0.74, www.youtube.com -> 127.0.0.75, anything else 127.0.0.76;
// an origin on port 80 of each of the first two records what reaches it.
#include "itest.h"

#include <filesystem>
#include <regex>
#include <sstream>

using namespace itest;

#ifndef EXAPROXY_EXAMPLES
#error "EXAPROXY_EXAMPLES must name conf.d/examples"
#endif

namespace {

namespace fs = std::filesystem;

// The headers example's name in conf.d/examples ("30-headers.conf"): its number is its place.
std::string shippedHeadersName() {
  std::string found;
  for (const auto& e : fs::directory_iterator(EXAPROXY_EXAMPLES)) {
    std::string n = e.path().filename().string();
    if (std::regex_match(n, std::regex("[0-9][0-9]-headers\\.conf")))
      found = n;
  }
  return found;
}

// The name safesearch.conf says to copy it as ("cp .../safesearch.conf .../60-safesearch.conf").
std::string shippedSafesearchName(const std::string& text) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex("conf\\.d/([0-9][0-9]-safesearch\\.conf)")))
    return m[1];
  return {};
}

// The example with its "#[headers youtube]" block uncommented (up to the next blank line), as
// the file tells the operator to do.
std::string withYoutubeRule(const std::string& example) {
  std::string out, line;
  std::istringstream in(example);
  bool inBlock = false;
  while (std::getline(in, line)) {
    if (line == "#[headers youtube]")
      inBlock = true;
    else if (line.empty())
      inBlock = false;
    out += (inBlock && !line.empty() && line[0] == '#' ? line.substr(1) : line) + "\n";
  }
  return out;
}

TEST(ShippedOrder, YoutubeGetsBothTheSubstitutionAndTheRestrictHeader) {
  const std::string headersName = shippedHeadersName();
  const std::string safesearch = readFile(std::string(EXAPROXY_EXAMPLES) + "/safesearch.conf");
  const std::string safesearchName = shippedSafesearchName(safesearch);
  ASSERT_FALSE(headersName.empty()) << "no NN-headers.conf in " << EXAPROXY_EXAMPLES;
  ASSERT_FALSE(safesearchName.empty()) << "safesearch.conf does not say where to copy it";
  const std::string headers =
      withYoutubeRule(readFile(std::string(EXAPROXY_EXAMPLES) + "/" + headersName));
  ASSERT_NE(headers.find("\n[headers youtube]\n"), std::string::npos) << headers;

  Dnsmasq dns(DnsmasqOptions{300,
                             {"--address=/restrict.youtube.com/127.0.0.74",
                              "--address=/www.youtube.com/127.0.0.75", "--address=/#/127.0.0.76"},
                             {},
                             true});
  ASSERT_TRUE(dns.start()) << dns.error();
  OriginServer restricted({"127.0.0.74"}, 80);
  OriginServer youtube({"127.0.0.75"}, 80);
  ASSERT_TRUE(restricted.ok() && youtube.ok()) << "cannot listen on port 80 of 127.0.0.74/75";

  ProxyOptions o;
  o.sets.push_back("dns.servers=" + dns.server());
  o.extraFiles = {{headersName, headers}, {safesearchName, safesearch}};
  ProxyProcess proxy(o);
  ASSERT_TRUE(proxy.start());

  CurlResult r = runCurl({"-x", proxy.proxyArg(), "http://www.youtube.com/"});
  EXPECT_EQ(r.status, 200) << r.describe() << proxy.stderrText();
  EXPECT_EQ(youtube.requestCount(), 0u) << "the request was not substituted";
  ASSERT_EQ(restricted.requestCount(), 1u) << "the substitute got no request\n"
                                           << proxy.accessLog() << proxy.stderrText();
  const RecordedRequest req = restricted.requests().front();
  EXPECT_EQ(req.headers.get("Host").value_or(""), "www.youtube.com"); // the request, unchanged
  EXPECT_EQ(req.headers.get("YouTube-Restrict").value_or("(none)"), "Strict")
      << headersName << " ran after " << safesearchName
      << ": the route ended the chain before the header was added\n"
      << req.rawHead;
}

} // namespace
