// ABI 1.7 body hooks end to end through the real binary: the response body goes through a
// plugin's on_body (tests/plugin_abi/plugins/body17.cpp) and reaches the client re-framed —
// chunked to HTTP/1.1 clients (keep-alive kept), with a Content-Length when a plugin held the
// whole body, close-delimited to HTTP/1.0 — or is replaced by a block page when a plugin denies
// before any of it went out; a failing plugin is handled by its on_error policy, a hold beyond
// body_hold_max too, and a block after the response started closes the connection instead of
// passing a truncated body off as complete. Bodies nobody asked for are relayed as they are.
#include "body17_support.h"

using namespace itest;
using namespace itest::body17;

namespace {

class Abi17 : public Body17Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(origin_.ok());
    // /split: "hello origin world" chunked, the word "origin" cut in two by a chunk's end (and
    // a pause between the chunks).
    // /text/N: N bytes of "origin " repeated, with Content-Length.
    origin_.setHandler([](Exchange& ex) {
      const auto& target = ex.request().target;
      if (target.starts_with("/split")) {
        ex.sendHead(200, {{"Content-Type", "text/plain"}, {"Transfer-Encoding", "chunked"}});
        if (ex.isHead())
          return;
        // The pause lets the first piece through the plugin before the rest arrives.
        ex.sendRaw("9\r\nhello ori\r\n");
        ex.sleepFor(Millis(100));
        ex.sendRaw("9\r\ngin world\r\n0\r\n\r\n");
        return;
      }
      if (target.starts_with("/text/")) {
        ex.respond(200, origins(std::stoul(target.substr(6))), {{"Content-Type", "text/plain"}});
        return;
      }
      // /gz/N: N bytes of "origin " gzipped, chunked in two halves with a pause between.
      if (target.starts_with("/gz/")) {
        std::string gz = gzip(origins(std::stoul(target.substr(4))));
        ex.sendHead(200, {{"Content-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}});
        size_t half = gz.size() / 2;
        auto chunk = [&](std::string_view part) {
          char size[20];
          snprintf(size, sizeof size, "%zx\r\n", part.size());
          ex.sendRaw(std::string(size) + std::string(part) + "\r\n");
        };
        chunk(std::string_view(gz).substr(0, half));
        ex.sleepFor(Millis(100));
        chunk(std::string_view(gz).substr(half));
        ex.sendRaw("0\r\n\r\n");
        return;
      }
      if (target.starts_with("/bomb")) { // 50 MB of zeros in about 50 KB
        ex.respond(200, gzip(std::string(50 << 20, '\0')), {{"Content-Encoding", "gzip"}});
        return;
      }
      if (target.starts_with("/identity")) {
        ex.respond(200, "origin identity", {{"Content-Encoding", "identity"}});
        return;
      }
      if (target.starts_with("/br")) {
        ex.respond(200, "not really brotli", {{"Content-Encoding", "br"}});
        return;
      }
      if (target.starts_with("/corrupt")) {
        ex.respond(200, "this is not gzip at all", {{"Content-Encoding", "gzip"}});
        return;
      }
      OriginServer::builtin(ex);
    });
  }

  // One request on its own connection, read with its framing.
  std::optional<HttpResponse> fetch(const std::string& path,
                                    const std::string& version = "HTTP/1.1",
                                    const std::string& method = "GET") {
    RawClient c(proxy_->endpoint());
    if (!c.send(requestHead(method, origin_.url(path), origin_.endpoint().str(), {}, version)))
      return std::nullopt;
    return c.readFinalResponse(Millis(10000), method == "HEAD");
  }
};

TEST_F(Abi17, AWordCutByAChunkBoundaryIsReplacedAndTheConnectionStaysOpen) {
  start(bodyConf({"mode = replace", "from = origin", "to = ORIGIN-REPLACED"}));
  RawClient c(proxy_->endpoint());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(c.send(absoluteGet(origin_, "/split"))) << c.lastError();
    auto r = c.readFinalResponse();
    ASSERT_TRUE(r) << c.lastError() << "\n" << log();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello ORIGIN-REPLACED world");
    EXPECT_TRUE(r->chunked) << "the length changed: chunked to an HTTP/1.1 client";
    EXPECT_FALSE(r->headers.get("Content-Length"));
  }
  EXPECT_EQ(origin_.acceptedConnections(), 1) << "both requests over one upstream connection";
}

TEST_F(Abi17, AContentLengthBodyIsReplacedWithCurl) {
  start(bodyConf({"mode = replace", "from = origin", "to = O"}));
  auto r = runCurl({"-x", proxy_->proxyArg(), origin_.url("/text/70000")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.out.size(), 70000u / 7 * 2) << "every \"origin \" became \"O \"";
  EXPECT_EQ(r.out.find("origin"), std::string::npos);
  EXPECT_EQ(r.out.substr(0, 6), "O O O ");
}

TEST_F(Abi17, AnHttp10ClientGetsTheBodyDelimitedByTheClose) {
  start(bodyConf({"mode = replace", "from = origin", "to = ORIGIN"}));
  auto r = fetch("/split", "HTTP/1.0");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello ORIGIN world");
  EXPECT_FALSE(r->chunked);
  EXPECT_TRUE(r->untilClose);
}

TEST_F(Abi17, AWholeHeldBodyGetsItsNewContentLength) {
  start(bodyConf({"mode = holdall", "to = [appended]"}));
  auto r = fetch("/split");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello origin world[appended]");
  EXPECT_FALSE(r->chunked);
  EXPECT_EQ(r->headers.get("Content-Length").value_or(""), "28");
}

TEST_F(Abi17, ABlockOnTheFirstBytesIsThePagesNotATruncatedResponse) {
  start(bodyConf({"mode = block", "from = origin"}));
  auto blocked = fetch("/text/100000");
  ASSERT_TRUE(blocked) << log();
  EXPECT_EQ(blocked->status, 403);
  EXPECT_NE(blocked->body.find("the body contains origin"), std::string::npos) << blocked->body;
  auto passed = fetch("/bytes/100000");
  ASSERT_TRUE(passed) << log();
  EXPECT_EQ(passed->status, 200);
  EXPECT_EQ(passed->body, patternBytes(0, 100000));
  auto shortOne = runCurl({"-x", proxy_->proxyArg(), origin_.url("/split")});
  EXPECT_EQ(shortOne.status, 403) << "a body shorter than 64 bytes is decided at its end";
}

TEST_F(Abi17, AFailingPluginDeniesUnlessItsPolicyAllows) {
  start(bodyConf({"mode = error"}));
  auto denied = fetch("/text/1000");
  ASSERT_TRUE(denied) << log();
  EXPECT_EQ(denied->status, 503);
  EXPECT_NE(log().find("broken on purpose"), std::string::npos) << log();
}

TEST_F(Abi17, AFailingPluginUnderOnErrorAllowPassesTheBodyUnchanged) {
  start(bodyConf({"mode = throw"}, {"on_error = allow"}));
  auto r = fetch("/text/70000");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 70000u);
  EXPECT_EQ(r->body.substr(0, 14), "origin origin ");
}

TEST_F(Abi17, HoldingMoreThanBodyHoldMaxAppliesOnError) {
  start(bodyConf({"mode = holdforever"}, {"body_hold_max = 4k"}));
  auto r = fetch("/text/100000");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(log().find("body_hold_max"), std::string::npos) << log();
  auto small = fetch("/split");
  ASSERT_TRUE(small) << log();
  EXPECT_EQ(small->status, 503) << "a HOLD on the last call is an error too";
}

TEST_F(Abi17, ABlockAfterTheResponseStartedClosesTheConnection) {
  start(bodyConf({"mode = late"}));
  auto r = runCurl({"-x", proxy_->proxyArg(), origin_.url("/bytes/2000000")});
  EXPECT_NE(r.exitCode, 0) << "a truncated body must not look complete: " << r.describe();
  EXPECT_LT(r.sizeDownload, 2000000u);
  EXPECT_TRUE(
      waitFor([&] { return log().find("plugin.late_answer") != std::string::npos; }, Millis(5000)))
      << log();
}

TEST_F(Abi17, BodiesNobodyAskedForAndHeadResponsesAreRelayedAsTheyAre) {
  start(bodyConf({"mode = replace", "from = origin", "to = X"}));
  auto untouched = fetch("/text/700?nobody");
  ASSERT_TRUE(untouched) << log();
  EXPECT_EQ(untouched->headers.get("Content-Length").value_or(""), "700");
  EXPECT_EQ(untouched->body.substr(0, 7), "origin ");
  auto head = fetch("/text/700", "HTTP/1.1", "HEAD");
  ASSERT_TRUE(head) << log();
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
}

TEST_F(Abi17, ABodyAskedForInTheResponseHookAndAStreamedDownload) {
  start(bodyConf({"mode = pass", "ask = response"}));
  auto r = runCurl({"-x", proxy_->proxyArg(), origin_.url("/chunked/5000000")});
  ASSERT_EQ(r.exitCode, 0) << r.describe();
  EXPECT_EQ(r.out.size(), 5000000u);
  EXPECT_TRUE(r.out == patternBytes(0, 5000000)) << "the same bytes";
}

TEST_F(Abi17, PiecesEveryPluginPassesGoOutWithoutACopyAndStayFramed) {
  start(bodyConf({"mode = pass"}));
  RawClient c(proxy_->endpoint());
  for (uint64_t n : {3000000u, 10u, 0u}) { // many pieces, one, none: then the next request
    ASSERT_TRUE(c.send(absoluteGet(origin_, "/bytes/" + std::to_string(n)))) << c.lastError();
    auto r = c.readFinalResponse();
    ASSERT_TRUE(r) << n << " " << c.lastError() << log();
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->body == patternBytes(0, n)) << n << ": the same bytes";
  }
  auto old = fetch("/bytes/300000", "HTTP/1.0");
  ASSERT_TRUE(old) << log();
  EXPECT_TRUE(old->body == patternBytes(0, 300000));
}

TEST_F(Abi17, PendingBodyVerdictsFromThePluginsOwnThread) {
  start(bodyConf({"mode = pending", "from = origin", "to = O"}));
  auto r = runCurl({"-x", proxy_->proxyArg(), origin_.url("/text/700000")});
  ASSERT_EQ(r.exitCode, 0) << r.describe() << log();
  EXPECT_EQ(r.status, 200);
  // Pieces end anywhere, so a word cut in two stays as it is: count what was replaced.
  EXPECT_GT(r.out.size(), 190000u);
  EXPECT_LT(r.out.size(), 201000u);
  EXPECT_EQ(r.out.substr(0, 6), "O O O ");
  auto again = fetch("/split");
  ASSERT_TRUE(again) << log();
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(again->body, "hello origin world") << "neither piece holds the whole word";
}

// A PENDING verdict that drops its piece leaves no output to send; meanwhile the origin filled
// the proxy's buffer, so nothing but the verdict itself can wake the transaction: it must step on
// (it once waited for good there).
TEST_F(Abi17, PendingVerdictsWithoutOutputGoOnWhileTheSenderFilledTheBuffer) {
  start(bodyConf({"mode = pendingdrop"}));
  auto r = runCurl({"-x", proxy_->proxyArg(), origin_.url("/text/3000000")});
  ASSERT_EQ(r.exitCode, 0) << r.describe() << log();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.out, "dropped 3000000");
}

TEST_F(Abi17, APendingBodyVerdictThatNeverComesTimesOut) {
  start(bodyConf({"mode = pendingforever"}, {"timeout = 300ms"}));
  auto r = fetch("/text/1000");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(log().find("no body verdict after 300ms"), std::string::npos) << log();
}

TEST_F(Abi17, PendingWithoutAHandleIsAnError) {
  start(bodyConf({"mode = nohandle"}, {"on_error = deny"}));
  auto r = fetch("/text/100");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(log().find("PENDING without pending_handle()"), std::string::npos) << log();
}

TEST_F(Abi17, AChunkedGzipBodyIsDecodedReplacedAndEncodedAgain) {
  start(bodyConf({"mode = replace", "from = origin", "to = O", "decoded = on"}));
  auto curl = runCurl({"-x", proxy_->proxyArg(), "--compressed", origin_.url("/gz/70000")});
  ASSERT_EQ(curl.exitCode, 0) << "valid gzip for a browser-like client: " << curl.describe();
  EXPECT_EQ(curl.out.size(), 20000u);
  EXPECT_EQ(curl.out.find("origin"), std::string::npos);
  // What went over the wire: gzip still, decoding to the replaced text.
  RawClient c(proxy_->endpoint());
  ASSERT_TRUE(c.send(absoluteGet(origin_, "/gz/70000", {"Accept-Encoding: br, gzip;q=0.8"})));
  auto r = c.readFinalResponse();
  ASSERT_TRUE(r) << c.lastError() << log();
  EXPECT_EQ(r->headers.get("Content-Encoding").value_or(""), "gzip");
  EXPECT_EQ(gunzip(r->body), curl.out);
  auto seen = origin_.requests().back().headers.get("Accept-Encoding");
  EXPECT_EQ(seen.value_or("(none)"), "gzip;q=0.8") << "br narrowed away: the host cannot decode it";
}

TEST_F(Abi17, DecodedAndSentOnPlain) {
  start(bodyConf({"mode = replace", "from = origin", "to = O", "decoded = plain"}));
  auto r = fetch("/gz/7000");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->headers.get("Content-Encoding")) << "plain: the coding is dropped";
  EXPECT_EQ(r->body.size(), 2000u);
}

TEST_F(Abi17, ACompressionBombIsStoppedByTheBound) {
  // 50 MB of zeros in 50 KB: beyond the 100:1 ratio once 1 MiB is decoded. A plugin that passes
  // the data on has started the response by then: the connection is cut, never completed.
  start(bodyConf({"mode = pass", "decoded = on"}));
  auto r = runCurl({"-x", proxy_->proxyArg(), "--compressed", origin_.url("/bomb")});
  EXPECT_NE(r.exitCode, 0) << r.describe();
  EXPECT_LT(r.sizeDownload, 50u << 20);
  EXPECT_NE(log().find("100 times its size"), std::string::npos) << log();
  // One that holds the data first (here: all of it) is refused with the error page instead.
  start(bodyConf({"mode = holdall", "decoded = on"}, {"body_hold_max = 100m"}));
  auto held = fetch("/bomb");
  ASSERT_TRUE(held) << log();
  EXPECT_EQ(held->status, 503);
}

TEST_F(Abi17, AContentEncodingTheHostCannotDecodeFollowsOnError) {
  start(bodyConf({"mode = replace", "decoded = on"}));
  auto denied = fetch("/br");
  ASSERT_TRUE(denied) << log();
  EXPECT_EQ(denied->status, 503);
  EXPECT_NE(log().find("cannot decode Content-Encoding: br"), std::string::npos) << log();
  auto identity = fetch("/identity");
  ASSERT_TRUE(identity) << log();
  EXPECT_EQ(identity->status, 200) << "identity is no coding: nothing to decode";
  EXPECT_EQ(identity->body, "ORIGIN identity");
  auto corrupt = fetch("/corrupt");
  ASSERT_TRUE(corrupt) << log();
  EXPECT_EQ(corrupt->status, 502) << "the origin's fault";
}

TEST_F(Abi17, UnderOnErrorAllowAnUndecodableBodyPassesUnread) {
  start(bodyConf({"mode = replace", "decoded = on"}, {"on_error = allow"}));
  auto r = fetch("/br");
  ASSERT_TRUE(r) << log();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "not really brotli");
  EXPECT_EQ(r->headers.get("Content-Encoding").value_or(""), "br");
}

} // namespace
