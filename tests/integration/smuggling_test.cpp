// Every row of the anti-smuggling table (PROTOCOLS.md §4.4), sent as raw bytes through the real
// proxy: the status the row names, the connection closed after the rejection, and, for vectors
// carrying a second (smuggled) request, the origin never sees it.
#include "itest.h"

#include <algorithm>
#include <chrono>

using namespace itest;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

struct Vector {
  const char* name;
  std::string bytes; // "{U}" = origin URL, "{H}" = origin authority, "{S}" = smuggled request
  std::vector<int> statuses; // accepted statuses (one unless the table itself is ambiguous)
};

// The second request a desynchronised proxy would forward.
const char* kSmuggled = "GET {U}/smuggled HTTP/1.1\r\nHost: {H}\r\n\r\n";

std::string post(const std::string& framing, const std::string& body) {
  return "POST {U}/upload HTTP/1.1\r\nHost: {H}\r\n" + framing + "\r\n" + body + "{S}";
}

std::string chunked(const std::string& body) {
  return post("Transfer-Encoding: chunked\r\n", body);
}

std::string withHeader(const std::string& line) {
  return "GET {U}/echo HTTP/1.1\r\nHost: {H}\r\n" + line + "\r\n\r\n{S}";
}

std::vector<Vector> vectors() {
  return {
      // both Transfer-Encoding and Content-Length
      {"ClAndTe", post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), {400}},
      {"TeAndCl", post("Transfer-Encoding: chunked\r\nContent-Length: 40\r\n", "0\r\n\r\n"), {400}},
      // TE whose final coding is not chunked. gzip is also a coding we do not support, so the
      // table's 501 row applies as well: either status is a correct refusal.
      {"TeFinalNotChunked", post("Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"), {400, 501}},
      // unknown transfer-codings
      {"TePigeons", post("Transfer-Encoding: pigeons\r\n", "0\r\n\r\n"), {501}},
      {"TeGzipChunked", post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), {501}},
      // TE on an HTTP/1.0 request
      {"TeOnHttp10",
       "POST {U}/upload HTTP/1.0\r\nHost: {H}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{S}",
       {400}},
      // malformed Transfer-Encoding values
      {"TeEmpty", post("Transfer-Encoding:\r\n", "0\r\n\r\n"), {400}},
      {"TeChunkedChunked", post("Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n"), {400}},
      {"TeTwice",
       post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
       {400}},
      {"TeXchunked", post("Transfer-Encoding: xchunked\r\n", "0\r\n\r\n"), {400}},
      {"TeChunkedVtab", post("Transfer-Encoding: chunked\x0b\r\n", "0\r\n\r\n"), {400}},
      // Content-Length not all DIGIT
      {"ClPlus", post("Content-Length: +5\r\n", "hello"), {400}},
      {"ClMinus", post("Content-Length: -1\r\n", "hello"), {400}},
      {"ClHex", post("Content-Length: 0x10\r\n", "hello"), {400}},
      {"ClSpaceInside", post("Content-Length: 5 5\r\n", "hello"), {400}},
      {"ClCommaList", post("Content-Length: 5,6\r\n", "hello"), {400}},
      {"ClUnderscore", post("Content-Length: 1_0\r\n", "hello"), {400}},
      {"ClEmpty", post("Content-Length:\r\n", "hello"), {400}},
      // two Content-Length differing / identical (strict: both rejected)
      {"ClTwoDiffering", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello"), {400}},
      {"ClListDiffering", post("Content-Length: 5, 6\r\n", "hello"), {400}},
      {"ClTwoIdentical", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), {400}},
      {"ClListIdentical", post("Content-Length: 5, 5\r\n", "hello"), {400}},
      // huge Content-Length (no body limit configured: 400)
      {"ClOverflow", post("Content-Length: 99999999999999999999999\r\n", "hello"), {400}},
      // whitespace between field name and colon
      {"SpaceBeforeColon", post("Content-Length : 5\r\n", "hello"), {400}},
      {"TabBeforeColon", post("Transfer-Encoding\t: chunked\r\n", "0\r\n\r\n"), {400}},
      // obs-fold
      {"ObsFold", withHeader("X-A: b\r\n  c"), {400}},
      {"ObsFoldOfTe", post("X-A: b\r\n Transfer-Encoding: chunked\r\n", "0\r\n\r\n"), {400}},
      // whitespace before the first header line
      {"SpaceBeforeFirstHeader", "GET {U}/echo HTTP/1.1\r\n Host: {H}\r\n\r\n{S}", {400}},
      // bare CR
      {"BareCrInHeader", withHeader("X-A: b\rc"), {400}},
      {"BareCrInRequestLine", "GET {U}/echo\rx HTTP/1.1\r\nHost: {H}\r\n\r\n{S}", {400}},
      // bare LF as the line end
      {"BareLfLineEnds", "GET {U}/echo HTTP/1.1\nHost: {H}\n\n{S}", {400}},
      {"BareLfOneHeader", "GET {U}/echo HTTP/1.1\r\nHost: {H}\nX-A: b\r\n\r\n{S}", {400}},
      // NUL / CTL in a value, non-token character in a name
      {"NulInValue", withHeader("X-A: a\0b"s), {400}},
      {"CtlInValue", withHeader("X-A: a\x01z"), {400}},
      {"HighByteInName",
       withHeader("X\xff"
                  "A: 1"),
       {400}},
      {"AtInName", withHeader("X@A: 1"), {400}},
      {"SpaceInName", withHeader("X A: 1"), {400}},
      // chunk sizes
      {"ChunkSize0x", chunked("0x5\r\nhello\r\n0\r\n\r\n"), {400}},
      {"ChunkSizePlus", chunked("+5\r\nhello\r\n0\r\n\r\n"), {400}},
      {"ChunkSizeTrailingSpace", chunked("5 \r\nhello\r\n0\r\n\r\n"), {400}},
      {"ChunkSizeLeadingSpace", chunked(" 5\r\nhello\r\n0\r\n\r\n"), {400}},
      {"ChunkSizeMinus", chunked("-1\r\nhello\r\n0\r\n\r\n"), {400}},
      {"ChunkSizeUnderscore", chunked("0_2e\r\nhello\r\n0\r\n\r\n"), {400}},
      {"ChunkSizeOverflow", chunked("1ffffffffffffffff0\r\nhello\r\n0\r\n\r\n"), {400}},
      {"ChunkMissingCrlfAfterData", chunked("5\r\nhelloXX0\r\n\r\n"), {400}},
      {"ChunkLineBareLf", chunked("5\nhello\r\n0\r\n\r\n"), {400}},
      {"ChunkLineBareCr", chunked("5\rhello\r\n0\r\n\r\n"), {400}},
      {"ChunkExtCr", chunked("5;a\r=b\r\nhello\r\n0\r\n\r\n"), {400}},
      {"ChunkExtInvalid", chunked("5;=\r\nhello\r\n0\r\n\r\n"), {400}},
      // request line
      {"RequestLineTwoSpaces", "GET  {U}/echo HTTP/1.1\r\nHost: {H}\r\n\r\n{S}", {400}},
      {"RequestLineTab", "GET\t{U}/echo HTTP/1.1\r\nHost: {H}\r\n\r\n{S}", {400}},
      {"RequestLineBareLf", "GET {U}/echo\nHTTP/1.1\r\nHost: {H}\r\n\r\n{S}", {400}},
      // versions
      {"VersionOneThirtyTwo", "GET {U}/echo HTTP/1.32\r\nHost: {H}\r\n\r\n{S}", {400}},
      {"VersionTrailingGarbage", "GET {U}/echo HTTP/1.1x\r\nHost: {H}\r\n\r\n{S}", {400}},
      {"Version20", "GET {U}/echo HTTP/2.0\r\nHost: {H}\r\n\r\n{S}", {505}},
      {"Version30", "GET {U}/echo HTTP/3.0\r\nHost: {H}\r\n\r\n{S}", {505}},
      {"Http09", "GET /\r\n\r\n{S}", {400}},
      // limits
      {"HeadTooBig", withHeader("X-Big: " + std::string(70000, 'x')), {431}},
      {"MethodTooLong",
       std::string(10000, 'M') + " {U}/echo HTTP/1.1\r\nHost: {H}\r\n\r\n{S}",
       {400}},
      {"UriTooLong",
       "GET {U}/" + std::string(9000, 'u') + " HTTP/1.1\r\nHost: {H}\r\n\r\n{S}",
       {414}},
      // Host rules and method tokens (the 400 row)
      {"NoHost", "GET {U}/echo HTTP/1.1\r\n\r\n{S}", {400}},
      {"TwoHosts", "GET {U}/echo HTTP/1.1\r\nHost: {H}\r\nHost: {H}\r\n\r\n{S}", {400}},
      {"InvalidHost", "GET {U}/echo HTTP/1.1\r\nHost: a b\r\n\r\n{S}", {400}},
      {"NonTokenMethod", "GE(T {U}/echo HTTP/1.1\r\nHost: {H}\r\n\r\n{S}", {400}},
  };
}

std::string expand(std::string text, const OriginServer& origin) {
  auto replaceAll = [&](const std::string& from, const std::string& to) {
    for (size_t p = 0; (p = text.find(from, p)) != std::string::npos; p += to.size())
      text.replace(p, from.size(), to);
  };
  replaceAll("{S}", kSmuggled);
  replaceAll("{U}", origin.endpoint().url());
  replaceAll("{H}", origin.endpoint().str());
  return text;
}

class SmugglingTest : public testing::TestWithParam<Vector> {
protected:
  void SetUp() override {
    ASSERT_TRUE(origin.ok());
    ASSERT_TRUE(proxy.start());
  }
  OriginServer origin;
  ProxyProcess proxy;
};

} // namespace

TEST_P(SmugglingTest, RejectedAndNeverSmuggled) {
  const Vector& v = GetParam();
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(expand(v.bytes, origin)));
  auto r = c.readFinalResponse(10s);
  ASSERT_TRUE(r) << "no response: " << c.lastError();
  EXPECT_TRUE(std::find(v.statuses.begin(), v.statuses.end(), r->status) != v.statuses.end())
      << "status " << r->status << "\n"
      << r->rawHead;
  EXPECT_TRUE(c.waitClosed(3s)) << "the connection stayed open after a rejected request; got: "
                                << c.buffered();
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(origin.sawTarget("/smuggled")) << "the smuggled request reached the origin";
  for (const auto& req : origin.requests())
    EXPECT_FALSE(req.complete) << "a rejected request reached the origin whole: " << req.rawHead;
}

INSTANTIATE_TEST_SUITE_P(Table, SmugglingTest, testing::ValuesIn(vectors()),
                         [](const testing::TestParamInfo<Vector>& p) { return p.param.name; });

// The control: the same pipelined pair with valid framing reaches the origin as two requests,
// so the assertions above are able to see a forwarded request.
TEST(SmugglingControl, ValidPairIsForwarded) {
  OriginServer origin;
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start());
  RawClient c(proxy.endpoint());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(expand(post("Content-Length: 5\r\n", "hello"), origin)));
  auto r1 = c.readResponse();
  ASSERT_TRUE(r1) << c.lastError();
  EXPECT_EQ(r1->body, "received 5\n");
  auto r2 = c.readResponse();
  ASSERT_TRUE(r2) << c.lastError();
  EXPECT_EQ(r2->status, 404);
  EXPECT_TRUE(origin.sawTarget("/smuggled"));
}

// Upstream responses that break the framing rules become 502 and are never relayed.
class UpstreamFramingTest : public testing::Test {
protected:
  void SetUp() override {
    origin.setHandler([](Exchange& ex) {
      const std::string& t = ex.request().target;
      if (t == "/fold")
        ex.sendRaw("HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\nContent-Length: 2\r\n\r\nhi");
      else if (t == "/two-cl")
        ex.sendRaw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi!");
      else if (t == "/space-colon")
        ex.sendRaw("HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nhi");
      else if (t == "/bad-cl")
        ex.sendRaw("HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nhi");
      else
        OriginServer::builtin(ex);
      ex.closeAfter();
    });
    ASSERT_TRUE(proxy.start());
  }
  OriginServer origin;
  ProxyProcess proxy;
};

TEST_F(UpstreamFramingTest, InvalidResponsesAre502) {
  for (const char* path :
       {"/fold", "/two-cl", "/space-colon", "/bad-cl", "/invalid/cl-te", "/invalid/status-line"}) {
    auto r = rawExchange(proxy.endpoint(), absoluteGet(origin, path));
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 502) << path << "\n" << r->rawHead;
  }
}
