// icap_core: the ICAP request head the host's ICAP server reads (RequestHeadParser): the request
// line "METHOD URI ICAP/1.0" strictly, the same field rules as the response head, byte by byte
// against all at once.
#include "icap_wire_support.h"

namespace exaproxy::icap::test {
namespace {

struct RequestOutcome {
  ParseStatus status = ParseStatus::NeedMore;
  size_t consumed = 0;
  std::string error;
  RequestHead head;
};

RequestOutcome parseRequest(std::string_view bytes) {
  RequestHeadParser once;
  Progress p = once.feed(bytes);
  RequestHeadParser bytewise;
  size_t consumed = 0;
  for (size_t i = 0; i < bytes.size() && bytewise.status() == ParseStatus::NeedMore; ++i)
    consumed += bytewise.feed(bytes.substr(i, 1)).consumed;
  EXPECT_EQ(p.status, bytewise.status()) << bytes;
  EXPECT_EQ(p.consumed, consumed) << bytes;
  EXPECT_EQ(once.error(), bytewise.error()) << bytes;
  EXPECT_EQ(once.head().method, bytewise.head().method);
  EXPECT_EQ(once.head().fields, bytewise.head().fields);
  return {p.status, p.consumed, once.error(), once.head()};
}

TEST(IcapRequestHeadTest, ParsesSquidsReqmodHead) {
  std::string head = "REQMOD icap://127.0.0.1:1344/reqmod ICAP/1.0\r\n"
                     "Host: 127.0.0.1:1344\r\n"
                     "Date: Mon, 07 Dec 2026 21:00:00 GMT\r\n"
                     "Encapsulated: req-hdr=0, null-body=75\r\n"
                     "Preview: 0\r\n"
                     "Allow: 204, trailers\r\n"
                     "X-Client-IP: 10.1.2.3\r\n\r\n";
  RequestOutcome o = parseRequest(head + "GET http://a.example/ HTTP/1.1\r\n");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.consumed, head.size());
  EXPECT_EQ(o.head.method, "REQMOD");
  EXPECT_EQ(o.head.uri, "icap://127.0.0.1:1344/reqmod");
  ASSERT_TRUE(o.head.encapsulated);
  EXPECT_EQ(o.head.encapsulated->reqHdr, 0u);
  EXPECT_EQ(o.head.encapsulated->nullBody, 75u);
  ASSERT_NE(o.head.field("x-client-ip"), nullptr);
  EXPECT_EQ(*o.head.field("X-Client-IP"), "10.1.2.3");
  EXPECT_EQ(o.head.count("Preview"), 1u);
}

TEST(IcapRequestHeadTest, OptionsWithoutEncapsulated) {
  RequestOutcome o = parseRequest("OPTIONS icap://h/reqmod ICAP/1.0\r\nHost: h\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.head.method, "OPTIONS");
  EXPECT_FALSE(o.head.encapsulated);
}

TEST(IcapRequestHeadTest, RefusesEveryMalformedRequestLine) {
  struct Case {
    std::string line;
    std::string error;
  } cases[] = {
      {"REQMOD icap://h/ ICAP/1.1", "request line does not end with \"ICAP/1.0\""},
      {"REQMOD icap://h/ HTTP/1.0", "request line does not end with \"ICAP/1.0\""},
      {"REQMOD  icap://h/ ICAP/1.0", "request line is not \"METHOD URI ICAP/1.0\""},
      {"REQMOD icap://h/ ICAP/1.0 ", "request line is not \"METHOD URI ICAP/1.0\""},
      {"REQMOD icap://h/", "request line is not \"METHOD URI ICAP/1.0\""},
      {"REQ(MOD icap://h/ ICAP/1.0", "invalid method 'REQ(MOD'"},
      {"REQMOD icap://h/\x01 ICAP/1.0", "control character in the ICAP URI"},
      {"REQMOD icap://h/\tx ICAP/1.0", "control character in the ICAP URI"},
  };
  for (const auto& k : cases) {
    RequestOutcome o = parseRequest(k.line + "\r\nHost: h\r\n\r\n");
    EXPECT_EQ(o.status, ParseStatus::Error) << k.line;
    EXPECT_EQ(o.error, k.error) << k.line;
  }
}

TEST(IcapRequestHeadTest, SameFieldRulesAsTheResponseHead) {
  EXPECT_EQ(parseRequest("REQMOD i ICAP/1.0\nHost: h\r\n\r\n").error,
            "line ends in a bare LF (CR LF required)");
  EXPECT_EQ(parseRequest("REQMOD i ICAP/1.0\r\nHost: h\r\n x\r\n\r\n").error,
            "folded header line (obs-fold) refused");
  EXPECT_EQ(parseRequest("REQMOD i ICAP/1.0\r\nEncapsulated: null-body=0\r\n"
                         "Encapsulated: null-body=0\r\n\r\n")
                .error,
            "Encapsulated given more than once");
  EXPECT_EQ(
      parseRequest("REQMOD i ICAP/1.0\r\nEncapsulated: req-hdr=5, null-body=9\r\n\r\n").status,
      ParseStatus::Error);
}

} // namespace
} // namespace exaproxy::icap::test
