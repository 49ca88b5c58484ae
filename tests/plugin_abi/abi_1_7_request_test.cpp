// ABI 1.7 request bodies end to end through the real binary: an upload goes through a plugin's
// on_body (tests/plugin_abi/plugins/body17.cpp with `body = request`) before the origin sees it.
// The origin gets the head with the plugins' first output, re-framed (its length when the whole
// body was known first, else chunked); a block decided on the body's first bytes means the origin
// never gets the request and the client gets the plugin's page; a client that expects
// 100-continue gets it from the proxy (the origin sees no Expect); PENDING verdicts and the
// on_error policy work as for responses; a body nobody changed goes through byte for byte.
#include "body17_support.h"

#include <fstream>

using namespace itest;
using namespace itest::body17;

namespace {

std::string replaced(const std::string& text, const std::string& from, const std::string& to) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, from.size(), from) == 0) {
      out += to;
      i += from.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

class Abi17Request : public Body17Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(origin_.ok());
    // /mirror: the request body back (Content-Length); anything else: the built-in routes.
    origin_.setHandler([](Exchange& ex) {
      if (ex.request().target.starts_with("/mirror")) {
        ex.respond(200, ex.request().body, {{"Content-Type", "text/plain"}});
        return;
      }
      OriginServer::builtin(ex);
    });
  }


  // POSTs `body` to the origin's /upload on a connection of its own, with a Content-Length or
  // chunked in pieces of `piece` bytes; reads the final response.
  std::optional<HttpResponse> post(const std::string& body, size_t piece = 0,
                                   const std::string& path = "/upload") {
    RawClient c(proxy_->endpoint());
    std::vector<std::string> extra{"Content-Type: text/plain"};
    extra.push_back(piece ? "Transfer-Encoding: chunked"
                          : "Content-Length: " + std::to_string(body.size()));
    if (!c.send(absoluteGet(origin_, path, extra, "POST")))
      return std::nullopt;
    if (!piece) {
      c.send(body);
    } else {
      for (size_t at = 0; at < body.size(); at += piece) {
        std::string part = body.substr(at, piece);
        char size[20];
        snprintf(size, sizeof size, "%zx\r\n", part.size());
        if (!c.send(size + part + "\r\n"))
          break;
      }
      c.send("0\r\n\r\n");
    }
    return c.readFinalResponse(Millis(15000));
  }

  // The body the origin received with its last complete request (nullopt: none arrived).
  std::optional<RecordedRequest> received() const {
    auto all = origin_.requests();
    for (auto it = all.rbegin(); it != all.rend(); ++it)
      if (it->complete)
        return *it;
    return std::nullopt;
  }

};

TEST_F(Abi17Request, AnUploadIsRewrittenAndReachesTheOriginChunked) {
  start(bodyConf({"body = request", "mode = replace", "from = origin", "to = O"}));
  auto r = post(origins(200000));
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  auto got = received();
  ASSERT_TRUE(got) << log();
  EXPECT_TRUE(got->chunked) << "the length changed while the body went: chunked to the origin";
  EXPECT_FALSE(got->headers.get("Content-Length"));
  EXPECT_EQ(got->body, replaced(origins(200000), "origin", "O"));
  EXPECT_EQ(r->body, "received " + std::to_string(got->bodySize) + "\n");
}

TEST_F(Abi17Request, AChunkedUploadIsRewrittenWordsCutByChunksIncluded) {
  start(bodyConf({"body = request", "mode = replace", "from = origin", "to = ORIGIN"}));
  auto r = post(origins(7000), 10); // pieces of 10 bytes: most words are cut
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  auto got = received();
  ASSERT_TRUE(got) << log();
  EXPECT_EQ(got->body, replaced(origins(7000), "origin", "ORIGIN"));
}

TEST_F(Abi17Request, AWholeHeldUploadGetsItsNewContentLength) {
  start(bodyConf({"body = request", "mode = holdall", "to = [appended]"}));
  auto r = post("hello origin", 5);
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  auto got = received();
  ASSERT_TRUE(got) << log();
  EXPECT_FALSE(got->chunked);
  EXPECT_EQ(got->headers.get("Content-Length").value_or(""), "22");
  EXPECT_EQ(got->body, "hello origin[appended]");
}

TEST_F(Abi17Request, ABlockOnTheFirstBytesNeverReachesTheOrigin) {
  start(bodyConf({"body = request", "mode = block", "from = secret"}));
  std::string leak = "top secret: " + std::string(100000, 'x');
  auto blocked = post(leak);
  ASSERT_TRUE(blocked) << log();
  EXPECT_EQ(blocked->status, 403);
  EXPECT_NE(blocked->body.find("the body contains secret"), std::string::npos) << blocked->body;
  EXPECT_EQ(origin_.requestCount(), 0u) << "the head waits for the plugin's first output";

  std::string fine = std::string(100000, 'y');
  auto passed = post(fine);
  ASSERT_TRUE(passed) << log();
  EXPECT_EQ(passed->status, 200);
  auto got = received();
  ASSERT_TRUE(got) << log();
  EXPECT_EQ(got->body, fine);
}

TEST_F(Abi17Request, ABlockAfterTheHeadWentStillAnswersTheClient) {
  // The first piece passes (the head and it go to the origin), the second is refused: the
  // origin's connection is cut in the middle of a chunked body it cannot take for complete, and
  // the client, which got nothing yet, gets the page.
  start(bodyConf({"body = request", "mode = late"}));
  auto r = post(std::string(300000, 'z'), 100000);
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->body.find("too late to block"), std::string::npos) << r->body;
  EXPECT_FALSE(received()) << "the origin never has the whole body";
}

TEST_F(Abi17Request, CurlExpecting100ContinueGetsItFromTheProxy) {
  start(bodyConf({"body = request", "mode = replace", "from = origin", "to = O"}));
  std::string dir = makeTempDir("exaproxy-upload-");
  std::string file = dir + "/body";
  std::ofstream(file) << origins(70000);
  // Without the proxy's own 100, curl would wait the whole --expect100-timeout (30 s) and the
  // run would hit --max-time (20 s).
  auto r = runCurl({"-x", proxy_->proxyArg(), "-H", "Expect: 100-continue", "--expect100-timeout",
                    "30", "--data-binary", "@" + file, origin_.url("/upload")});
  std::remove(file.c_str());
  ::rmdir(dir.c_str());
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  auto got = received();
  ASSERT_TRUE(got) << log();
  EXPECT_FALSE(got->headers.get("Expect")) << "the proxy answered the expectation itself";
  EXPECT_EQ(got->bodySize, 70000u / 7 * 2);
}

TEST_F(Abi17Request, APendingVerdictFromThePluginsThreadCompletesTheUpload) {
  start(bodyConf({"body = request", "mode = pending", "from = origin", "to = X"}));
  auto r = post(origins(700), 70); // ten pieces, each word whole
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  auto got = received();
  ASSERT_TRUE(got) << log();
  EXPECT_EQ(got->body, replaced(origins(700), "origin", "X"));
}

TEST_F(Abi17Request, AFailingPluginDeniesTheUploadUnlessItsPolicyAllows) {
  start(bodyConf({"body = request", "mode = error"}));
  auto denied = post(origins(1000));
  ASSERT_TRUE(denied) << log();
  EXPECT_EQ(denied->status, 503);
  EXPECT_EQ(origin_.requestCount(), 0u);
  proxy_.reset();

  start(bodyConf({"body = request", "mode = throw"}, {"on_error = allow"}));
  auto passed = post(origins(1000));
  ASSERT_TRUE(passed) << log();
  EXPECT_EQ(passed->status, 200);
  auto got = received();
  ASSERT_TRUE(got) << log();
  EXPECT_EQ(got->body, origins(1000));
}

TEST_F(Abi17Request, AnUnchangedUploadGoesThroughByteForByte) {
  start(bodyConf({"body = request", "mode = pass"}));
  std::string body = patternBytes(0, 3000000);
  auto r = post(body);
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  auto got = received();
  ASSERT_TRUE(got) << log();
  EXPECT_EQ(got->bodySize, body.size());
  ASSERT_GT(got->body.size(), 0u);
  EXPECT_EQ(got->body, body.substr(0, got->body.size())) << "the origin keeps the first MiB";
}

TEST_F(Abi17Request, BothBodiesOfOneTransactionGoThroughThePlugin) {
  // Each "origin" doubles on the way up, and again on the way back from the mirror.
  start(bodyConf({"body = both", "mode = replace", "from = origin", "to = origin-origin"}));
  auto r = post(origins(7000), 0, "/mirror");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  auto got = received();
  ASSERT_TRUE(got) << log();
  std::string once = replaced(origins(7000), "origin", "origin-origin");
  EXPECT_EQ(got->body, once);
  EXPECT_EQ(r->body, replaced(once, "origin", "origin-origin"));
}

} // namespace
