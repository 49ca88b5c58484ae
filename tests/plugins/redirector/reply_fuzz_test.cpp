// Robustness of the reply parsers: random and mutated input must never crash, hang or read out
// of bounds (run under the asan preset for the latter); framing must always make progress.
#include "exaproxy_url_protocol.h"
#include "icap_protocol.h"
#include "squid_protocol.h"

#include <gtest/gtest.h>

#include <random>

namespace exaproxy::redirector {
namespace {

const std::vector<std::string> kSeeds = {
    "OK rewrite-url=\"http://o.test/x\"\n",
    "7 OK status=301 url=\"http://e.test/\"\n",
    "BH message=\"x\"\n",
    "302:http://e.test/\n",
    "!g!http://o.test/\n",
    "OK url=http%3A%2F%2Fe.test\n",
    "file://deny.html\n",
    "intercept://[::1]:80\n",
    "ICAP/1.0 200 OK\nEncapsulated: res-hdr=0, res-body=19\n\nHTTP/1.1 200 OK\n\n\n5\nhello\n0\n\n",
    "ICAP/1.0 200 OK\nEncapsulated: req-hdr=0, null-body=38\n\nCONNECT a.test:443 HTTP/1.1\nHost: "
    "a\n\n",
    "ICAP/1.0 204 OK\n\n",
};

std::string mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> op(0, 4);
  std::uniform_int_distribution<int> byte(0, 255);
  int rounds = 1 + static_cast<int>(rng() % 8);
  for (int i = 0; i < rounds; ++i) {
    size_t pos = s.empty() ? 0 : rng() % s.size();
    switch (op(rng)) {
    case 0:
      if (!s.empty())
        s[pos] = static_cast<char>(byte(rng));
      break;
    case 1:
      s.insert(pos, 1, static_cast<char>(byte(rng)));
      break;
    case 2:
      if (!s.empty())
        s.erase(pos, 1 + rng() % 4);
      break;
    case 3: {
      static const std::string kSpecial = "\"=%\n\r:;, 0123456789abcdef";
      s.insert(pos, 1, kSpecial[rng() % kSpecial.size()]);
      break;
    }
    default:
      s += kSeeds[rng() % kSeeds.size()];
    }
  }
  return s;
}

RequestInfo request(bool connect) {
  RequestInfo r;
  r.method = connect ? "CONNECT" : "GET";
  r.isConnect = connect;
  r.url = connect ? "a.test:443" : "http://a.test/x";
  r.host = "a.test";
  r.port = connect ? 443 : 80;
  r.path = connect ? "" : "/x";
  r.headers = {{"Host", "a.test"}, {"Accept", "*/*"}};
  return r;
}

// Feeds `input` through the framing (in random pieces) and decides every frame.
void drive(const HelperProtocol& p, const std::string& input, bool concurrent, std::mt19937& rng) {
  std::string buf;
  size_t at = 0;
  int frames = 0;
  while (at < input.size()) {
    size_t n = 1 + rng() % 64;
    buf.append(input, at, n);
    at += n;
    while (true) {
      size_t before = buf.size();
      RawReply r;
      FrameStatus st = p.extract(buf, concurrent, r);
      if (st != FrameStatus::Complete)
        break;
      ASSERT_LT(buf.size(), before) << "a complete frame must consume bytes";
      (void)p.decide(r, request(rng() % 2 == 0));
      ASSERT_LT(++frames, 100000);
    }
    if (buf.size() > (1u << 20))
      break;
  }
}

TEST(ReplyFuzz, ParsersSurviveMutatedInput) {
  std::mt19937 rng(20261127);
  SquidProtocol squid;
  ExaproxyUrlProtocol url({});
  IcapProtocol icap("x", {});
  for (int i = 0; i < 20000; ++i) {
    std::string input = mutate(kSeeds[rng() % kSeeds.size()], rng);
    drive(squid, input, i % 2 == 0, rng);
    drive(url, input, false, rng);
    drive(icap, input, false, rng);
    (void)parseSquidReply(input);
    IcapMessage m;
    size_t consumed = 0;
    if (parseIcapMessage(input, m, consumed) == FrameStatus::Complete) {
      ASSERT_LE(consumed, input.size());
      (void)icap.decideMessage(m, request(false));
    }
  }
}

TEST(ReplyFuzz, RandomBytes) {
  std::mt19937 rng(7);
  SquidProtocol squid;
  IcapProtocol icap("x", {});
  for (int i = 0; i < 5000; ++i) {
    std::string input(rng() % 300, '\0');
    for (auto& c : input)
      c = static_cast<char>(rng() % 256);
    if (i % 3 == 0)
      input = "ICAP/1.0 200 OK\nEncapsulated: res-hdr=0, res-body=" + std::to_string(rng() % 40) +
              "\n\n" + input;
    drive(squid, input, true, rng);
    drive(icap, input, false, rng);
  }
}

} // namespace
} // namespace exaproxy::redirector
