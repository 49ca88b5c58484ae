// The HTTP side with a fake proxy: routing, methods, the reload guard, static files, and a source
// that throws answering 500 without taking the server down.
#include "ui/ui_server.h"

#include "fake_sources.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

namespace exaproxy::ui {
namespace {

namespace fs = std::filesystem;

struct Reply {
  int status = 0;
  std::string body;
  std::string contentType;
  std::string allow;
};

class UiServerTest : public ::testing::Test {
protected:
  void SetUp() override {
    www = fs::temp_directory_path() / ("exaproxy-ui-test-" + std::to_string(::getpid()));
    fs::create_directories(www);
    std::ofstream(www / "index.html") << "<!doctype html><title>ExaProxy</title>";
    UiOptions o = uiOptions(*Endpoint::parse("127.0.0.1:0"), 2, www, nowUnixMs());
    server = std::make_unique<UiServer>(o, fake.sources());
    auto bound = server->start();
    ASSERT_TRUE(bound) << bound.error().message;
    port = bound->port;
    ASSERT_NE(port, 0);
  }
  void TearDown() override {
    server.reset();
    fs::remove_all(www);
  }

  Reply request(const std::string& method, const std::string& path,
                const std::map<std::string, std::string>& headers = {}) {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : headers)
      req.set(k, v);
    if (method == "POST")
      req.setContentLength(0);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    auto& in = session.receiveResponse(resp);
    Reply r;
    r.status = resp.getStatus();
    r.contentType = resp.getContentType();
    r.allow = resp.get("Allow", "");
    Poco::StreamCopier::copyToString(in, r.body);
    return r;
  }

  test::FakeProxy fake;
  fs::path www;
  std::unique_ptr<UiServer> server;
  uint16_t port = 0;
};

TEST_F(UiServerTest, EveryEndpointAnswersJson) {
  for (const char* name :
       {"stats", "connections", "plugins", "dns", "workers", "config", "log", "history"}) {
    auto r = request("GET", std::string("/api/v1/") + name);
    EXPECT_EQ(r.status, 200) << name << ": " << r.body;
    EXPECT_EQ(r.contentType, "application/json") << name;
    EXPECT_FALSE(nlohmann::json::parse(r.body, nullptr, false).is_discarded()) << name;
  }
  EXPECT_EQ(request("GET", "/api/v1/nope").status, 404);
}

TEST_F(UiServerTest, ConnectionsArePaginatedByQuery) {
  auto r = request("GET", "/api/v1/connections?offset=1&limit=1");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["total"], 3);
  EXPECT_EQ(j["connections"].size(), 1u);
  auto bad = nlohmann::json::parse(request("GET", "/api/v1/connections?limit=zz").body);
  EXPECT_EQ(bad["limit"], 100) << "a malformed number falls back to the default";
}

TEST_F(UiServerTest, MetricsAreTextFormat) {
  auto r = request("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("exaproxy_requests_total 42\n"), std::string::npos) << r.body;
}

TEST_F(UiServerTest, ServesThePageAndRefusesTraversal) {
  auto r = request("GET", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("ExaProxy"), std::string::npos);
  EXPECT_EQ(request("GET", "/../../etc/passwd").status, 404);
  EXPECT_EQ(request("GET", "/%2e%2e/%2e%2e/etc/passwd").status, 404);
  EXPECT_EQ(request("HEAD", "/").status, 200);
}

TEST_F(UiServerTest, ReloadIsPostOnlyAndGuarded) {
  auto get = request("GET", "/api/v1/reload");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.allow, "POST");
  EXPECT_EQ(request("POST", "/api/v1/reload").status, 403) << "no custom header";
  EXPECT_EQ(request("POST", "/api/v1/reload",
                    {{"X-ExaProxy-CSRF", "1"}, {"Origin", "http://evil.example"}})
                .status,
            403);
  EXPECT_EQ(fake.reloads.load(), 0);
  auto ok =
      request("POST", "/api/v1/reload",
              {{"X-ExaProxy-CSRF", "1"}, {"Origin", "http://127.0.0.1:" + std::to_string(port)}});
  EXPECT_EQ(ok.status, 202) << ok.body;
  EXPECT_EQ(fake.reloads.load(), 1);
}

TEST_F(UiServerTest, OtherMethodsAreRefused) {
  auto r = request("POST", "/api/v1/stats", {{"X-ExaProxy-CSRF", "1"}});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET, HEAD");
  EXPECT_EQ(request("DELETE", "/").status, 405);
}

TEST_F(UiServerTest, AThrowingSourceAnswers500AndTheServerCarriesOn) {
  fake.throwOnConnections = true;
  auto r = request("GET", "/api/v1/connections");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("loop snapshot failed"), std::string::npos);
  EXPECT_EQ(request("GET", "/api/v1/stats").status, 200);
}

TEST_F(UiServerTest, InvalidUtf8IsReplacedNotFatal) {
  fake.connections[0].target = "http://example.test/\xff\xfe";
  auto r = request("GET", "/api/v1/connections");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(nlohmann::json::parse(r.body, nullptr, false).is_discarded());
}

TEST(UiServerBind, AnAddressInUseIsAnErrorNotACrash) {
  test::FakeProxy fake;
  UiServer first(uiOptions(*Endpoint::parse("127.0.0.1:0"), 1, "/nonexistent", 0), fake.sources());
  auto a = first.start();
  ASSERT_TRUE(a);
  UiServer second(uiOptions(*a, 1, "/nonexistent", 0), fake.sources());
  auto b = second.start();
  EXPECT_FALSE(b);
}

} // namespace
} // namespace exaproxy::ui
