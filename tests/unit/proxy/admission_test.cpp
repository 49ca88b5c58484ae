#include "proxy/admission.h"

#include <gtest/gtest.h>

namespace exaproxy::proxy {
namespace {

http::RequestHead parse(const std::string& head) {
  http::RequestParser p(http::Limits{});
  http::RequestHead h;
  EXPECT_EQ(p.parse(head, h), http::ParseState::Complete) << p.error().reason;
  return h;
}

struct AdmissionTest : ::testing::Test {
  HostConfig cfg;
  LocalHost host;
  Endpoint client{*IpAddress::parse("127.0.0.1"), 40000};
  bool routeByHost = true;

  AdmissionTest() {
    cfg.allowClients = CidrSet({*Cidr::parse("127.0.0.0/8")});
    host.listeners = {*Endpoint::parse("127.0.0.1:3128")};
  }
  Admission admitted(const std::string& head) {
    return admit(parse(head), cfg, Origin{client, host, routeByHost});
  }
};

TEST_F(AdmissionTest, AnOrdinaryRequestGoesToTheFilters) {
  auto a = admitted("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n");
  EXPECT_EQ(a.next, Admission::Next::Filter);
  EXPECT_FALSE(a.selfTarget);
  EXPECT_TRUE(a.event.empty());
}

TEST_F(AdmissionTest, AClientOutsideAllowClientsIsRefusedAndLogged) {
  client = Endpoint{*IpAddress::parse("10.0.0.1"), 40000};
  auto a = admitted("POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\n");
  ASSERT_EQ(a.next, Admission::Next::Answer);
  EXPECT_EQ(a.answer.status, 403);
  EXPECT_EQ(a.answer.resultCode, "TCP_DENIED");
  EXPECT_EQ(a.event, "client.denied");
  EXPECT_TRUE(a.answer.close) << "a body follows the head: the connection cannot be reused";
}

TEST_F(AdmissionTest, OurNameInViaIsALoop) {
  auto a = admitted("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nVia: 1.1 exaproxy\r\n\r\n");
  ASSERT_EQ(a.next, Admission::Next::Answer);
  EXPECT_EQ(a.event, "request.loop");
  EXPECT_FALSE(a.answer.close);
}

TEST_F(AdmissionTest, BodyLimit) {
  cfg.maxRequestBody = 10;
  auto a = admitted("PUT http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 11\r\n\r\n");
  ASSERT_EQ(a.next, Admission::Next::Answer);
  EXPECT_EQ(a.answer.status, 413);
  EXPECT_EQ(
      admitted("PUT http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 10\r\n\r\n").next,
      Admission::Next::Filter);
}

TEST_F(AdmissionTest, TraceAndOptionsWithMaxForwardsZero) {
  auto trace = admitted("TRACE http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n");
  ASSERT_EQ(trace.next, Admission::Next::Answer);
  EXPECT_EQ(trace.answer.status, 405);
  ASSERT_EQ(trace.answer.headers.size(), 1u);
  EXPECT_EQ(trace.answer.headers[0].first, "Allow");

  cfg.allowTrace = true;
  auto head = parse("TRACE http://a.test/ HTTP/1.1\r\nHost: a.test\r\nMax-Forwards: 0\r\n\r\n");
  auto echo = admit(head, cfg, Origin{client, host, routeByHost});
  ASSERT_EQ(echo.next, Admission::Next::Answer);
  EXPECT_EQ(echo.answer.status, 200);
  EXPECT_FALSE(echo.answer.errorPage);
  EXPECT_EQ(echo.answer.contentType, "message/http");
  EXPECT_EQ(echo.answer.body, head.raw);

  auto options =
      admitted("OPTIONS http://a.test/ HTTP/1.1\r\nHost: a.test\r\nMax-Forwards: 0\r\n\r\n");
  ASSERT_EQ(options.next, Admission::Next::Answer);
  EXPECT_EQ(options.answer.status, 200);
  EXPECT_TRUE(options.answer.body.empty());
  EXPECT_EQ(
      admitted("OPTIONS http://a.test/ HTTP/1.1\r\nHost: a.test\r\nMax-Forwards: 1\r\n\r\n").next,
      Admission::Next::Filter);
}

TEST_F(AdmissionTest, TheProxysOwnPages) {
  EXPECT_EQ(admitted("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:3128\r\n\r\n").next,
            Admission::Next::ProxyPage);
  auto pac = admitted("GET /proxy.pac HTTP/1.1\r\nHost: exaproxy\r\n\r\n");
  EXPECT_EQ(pac.next, Admission::Next::Filter);
  EXPECT_TRUE(pac.selfTarget);
  EXPECT_TRUE(admitted("GET / HTTP/1.1\r\nHost: localhost:3128\r\n\r\n").selfTarget);
  EXPECT_TRUE(admitted("GET / HTTP/1.0\r\n\r\n").selfTarget);
  EXPECT_FALSE(admitted("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n").selfTarget);
  EXPECT_FALSE(admitted("GET http://127.0.0.1:3128/ HTTP/1.1\r\nHost: x\r\n\r\n").selfTarget)
      << "absolute-form is a request to forward (refused later as a loop)";
}

TEST_F(AdmissionTest, TargetForms) {
  routeByHost = false;
  auto a = admitted("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
  ASSERT_EQ(a.next, Admission::Next::Answer);
  EXPECT_EQ(a.answer.status, 400);
  EXPECT_EQ(a.answer.resultCode, "NONE_NONE");
  EXPECT_EQ(admitted("GET / HTTP/1.1\r\nHost: exaproxy\r\n\r\n").next, Admission::Next::Filter);
  auto star = admitted("OPTIONS * HTTP/1.1\r\nHost: a.test\r\n\r\n");
  ASSERT_EQ(star.next, Admission::Next::Answer);
  EXPECT_EQ(star.answer.status, 400);
}

TEST_F(AdmissionTest, Ports) {
  auto smtp = admitted("GET http://a.test:25/ HTTP/1.1\r\nHost: a.test\r\n\r\n");
  ASSERT_EQ(smtp.next, Admission::Next::Answer);
  EXPECT_EQ(smtp.answer.status, 403);
  EXPECT_EQ(smtp.reason, "port not in http_ports");
  auto connect = admitted("CONNECT a.test:8443 HTTP/1.1\r\nHost: a.test:8443\r\n\r\n");
  ASSERT_EQ(connect.next, Admission::Next::Answer);
  EXPECT_EQ(connect.reason, "port not in connect_ports");
  EXPECT_TRUE(connect.answer.close) << "tunnel bytes may follow a refused CONNECT's head";
  EXPECT_FALSE(smtp.answer.close);
  EXPECT_EQ(admitted("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n").next,
            Admission::Next::Filter);
  cfg.connectPorts = *PortSet::parse("443 8000-9000", nullptr);
  EXPECT_EQ(admitted("CONNECT a.test:8443 HTTP/1.1\r\nHost: a.test:8443\r\n\r\n").next,
            Admission::Next::Filter);
}

} // namespace
} // namespace exaproxy::proxy
