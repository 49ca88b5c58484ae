// The ICAP client's own parts without a service: its settings (the service URI, each key's
// refusal naming the setting, the rules that choose a service) and the HTTP heads it
// encapsulates and reads back.
#include "config_problem.h"
#include "icap_config.h"
#include "icap_http.h"

#include <gtest/gtest.h>

namespace exaproxy::icap {
namespace {

using sdk::Setting;

std::vector<Setting> settings(const std::vector<std::array<std::string, 3>>& lines) {
  std::vector<Setting> out;
  for (const auto& [section, key, value] : lines)
    out.push_back(Setting{out.size(), "40-icap.conf", static_cast<uint32_t>(out.size() + 2),
                          section, key, value});
  return out;
}

std::string refusal(const std::vector<std::array<std::string, 3>>& lines) {
  try {
    parseClientConfig(settings(lines));
  } catch (const common::ConfigFailure& f) {
    return f.what();
  }
  return "";
}

TEST(IcapServiceUri, ReadsHostPortAndPath) {
  auto u = parseServiceUri("icap://127.0.0.1:13440/reqmod?mode=x");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 13440);
  EXPECT_EQ(u->path, "/reqmod?mode=x");
  auto d = parseServiceUri("ICAP://scanner.example");
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->port, 1344) << "the default port";
  EXPECT_EQ(d->path, "/");
  auto v6 = parseServiceUri("icap://[::1]:1345/echo");
  ASSERT_TRUE(v6) << v6.error();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 1345);
}

TEST(IcapServiceUri, RefusesWhatIsNotAnIcapUri) {
  for (const char* bad :
       {"http://127.0.0.1/x", "icap://", "icap://:1344/x", "icap://h:0/x", "icap://h:70000/x",
        "icap://h:12a/x", "icap://[::1/x", "icap://[::1]x/y", "icap://h/a b", "icap://h%20/x"})
    EXPECT_FALSE(parseServiceUri(bad)) << bad;
}

TEST(IcapClientConfig, ReadsTheGlobalAndServiceSections) {
  auto cfg = parseClientConfig(settings({{"icap", "timeout", "2s"},
                                         {"icap", "send_user", "off"},
                                         {"icap av", "uri", "icap://127.0.0.1/avscan"},
                                         {"icap av", "method", "reqmod_precache"},
                                         {"icap av", "bypass", "on"},
                                         {"icap av", "failure_limit", "3"},
                                         {"icap av", "methods", "post, put"},
                                         {"icap filter", "uri", "icap://127.0.0.1/url"},
                                         {"icap filter", "hosts", "example.com"},
                                         {"icap filter", "preview", "off"},
                                         {"icap scan", "uri", "icap://127.0.0.1/scan"},
                                         {"icap scan", "method", "respmod"}}));
  EXPECT_EQ(cfg->timeout.count(), 2000);
  EXPECT_FALSE(cfg->sendUser);
  EXPECT_TRUE(cfg->sendClientIp);
  ASSERT_EQ(cfg->services.size(), 3u);
  EXPECT_EQ(cfg->services[0].name, "av");
  EXPECT_TRUE(cfg->services[0].bypass);
  EXPECT_EQ(cfg->services[0].failureLimit, 3u);
  EXPECT_EQ(cfg->services[0].methods, (std::vector<std::string>{"POST", "PUT"}));
  EXPECT_FALSE(cfg->services[1].bypass) << "fail closed by default";
  EXPECT_TRUE(cfg->services[0].preview) << "the service's Preview is honoured by default";
  EXPECT_FALSE(cfg->services[1].preview);

  // The first service whose rules take the request.
  EXPECT_EQ(chooseService(*cfg, Method::Reqmod, "POST", "a.test"), &cfg->services[0]);
  EXPECT_EQ(chooseService(*cfg, Method::Reqmod, "GET", "www.Example.com"), &cfg->services[1]);
  EXPECT_EQ(chooseService(*cfg, Method::Reqmod, "GET", "a.test"), nullptr);
  EXPECT_EQ(chooseService(*cfg, Method::Respmod, "POST", "a.test"), &cfg->services[2]);
}

TEST(IcapClientConfig, ContentTypesAndSizesChooseWhichBodiesGo) {
  auto cfg = parseClientConfig(settings({{"icap pages", "uri", "icap://127.0.0.1/pages"},
                                         {"icap pages", "method", "respmod"},
                                         {"icap pages", "content_types", "Text/HTML image/*"},
                                         {"icap pages", "max_size", "1000"},
                                         {"icap rest", "uri", "icap://127.0.0.1/rest"},
                                         {"icap rest", "method", "respmod"}}));
  ASSERT_EQ(cfg->services.size(), 2u);
  EXPECT_EQ(cfg->services[0].contentTypes, (std::vector<std::string>{"text/html", "image/*"}));
  auto pick = [&](std::string type, std::optional<uint64_t> length) {
    return chooseService(*cfg, Method::Respmod, "GET", "a.test", BodyFacts{type, length});
  };
  EXPECT_EQ(pick("text/html", 10), &cfg->services[0]);
  EXPECT_EQ(pick("image/png", std::nullopt), &cfg->services[0]) << "an unknown length goes";
  EXPECT_EQ(pick("text/html", 1001), &cfg->services[1]) << "longer than max_size";
  EXPECT_EQ(pick("text/plain", 10), &cfg->services[1]);
  EXPECT_EQ(pick("image", 10), &cfg->services[1]) << "image/* needs a subtype";
  EXPECT_EQ(pick("", 10), &cfg->services[1]) << "no Content-Type matches no list";

  EXPECT_NE(refusal({{"icap x", "uri", "icap://h/"}, {"icap x", "content_types", "html"}})
                .find("[icap x] content_types: 'html' is not a media type"),
            std::string::npos);
  EXPECT_NE(refusal({{"icap x", "uri", "icap://h/"}, {"icap x", "max_size", "1m"}})
                .find("[icap x] max_size: expected a number of bytes"),
            std::string::npos);
}

TEST(IcapClientConfig, RefusalsNameTheFileLineAndKey) {
  EXPECT_EQ(refusal({{"icap x", "uri", "http://h/"}}).rfind("40-icap.conf:2: [icap x] uri: ", 0),
            0u)
      << refusal({{"icap x", "uri", "http://h/"}});
  EXPECT_NE(refusal({{"icap x", "bypass", "sometimes"}}).find("bypass"), std::string::npos);
  EXPECT_NE(refusal({{"icap x", "preview", "128"}}).find("[icap x] preview: expected on or off"),
            std::string::npos);
  EXPECT_NE(refusal({{"icap x", "uri", "icap://h/"}, {"icap x", "method", "premod"}})
                .find("expected reqmod or respmod"),
            std::string::npos);
  EXPECT_NE(refusal({{"icap x", "colour", "blue"}}).find("unknown setting"), std::string::npos);
  EXPECT_NE(refusal({{"icap", "timeout", "soon"}}).find("duration"), std::string::npos);
  EXPECT_NE(refusal({{"icapx", "uri", "icap://h/"}}).find("unknown section"), std::string::npos);
  EXPECT_NE(refusal({{"icap x", "bypass", "on"}}).find("has no uri"), std::string::npos);
  EXPECT_NE(refusal({{"icap x", "uri", "icap://h/"}, {"icap x", "hosts", "a..b"}}).find("a..b"),
            std::string::npos);
  EXPECT_EQ(refusal({}), "") << "no service: the plugin loads and sends nothing";
}

TEST(IcapHttpHeads, EncapsulatesTheRequestHeadWithItsAbsoluteUrl) {
  EXPECT_EQ(encapsulatedRequestHead("GET", "http://a.test/x", {{"Host", "a.test"}, {"X", "1"}}),
            "GET http://a.test/x HTTP/1.1\r\nHost: a.test\r\nX: 1\r\n\r\n");
}

TEST(IcapHttpHeads, ReadsRequestAndResponseHeads) {
  auto req =
      parseHttpHead("GET http://a.test/y HTTP/1.1\r\nHost: a.test\r\nX-A:  v \r\n\r\n", false);
  ASSERT_TRUE(req) << req.error();
  EXPECT_EQ(req->method, "GET");
  EXPECT_EQ(req->target, "http://a.test/y");
  ASSERT_EQ(req->fields.size(), 2u);
  EXPECT_EQ(*req->field("x-a"), "v");
  auto resp = parseHttpHead("HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\n\r\n", true);
  ASSERT_TRUE(resp) << resp.error();
  EXPECT_EQ(resp->status, 403);
  EXPECT_EQ(resp->reason, "Forbidden");
}

TEST(IcapHttpHeads, RefusesMalformedHeads) {
  EXPECT_FALSE(parseHttpHead("GET / HTTP/1.1\r\nHost: a\r\n", false)) << "no empty line";
  EXPECT_FALSE(parseHttpHead("GET / HTTP/1.1\r\nBad Name: a\r\n\r\n", false));
  EXPECT_FALSE(parseHttpHead("GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n", false)) << "bare LF";
  EXPECT_FALSE(parseHttpHead("HTTP/1.1 99 Low\r\n\r\n", true));
  EXPECT_FALSE(parseHttpHead("HTTP/2 200 OK\r\n\r\n", true));
  EXPECT_FALSE(parseHttpHead("GET /\r\n\r\n", false)) << "no version";
  EXPECT_FALSE(parseHttpHead("\r\n\r\n", false));
}

} // namespace
} // namespace exaproxy::icap
