// Shared by the three helper-reply targets (squid, exaproxy-url, exaproxy-icap): the requests a
// reply is decided for, the loop that frames every reply out of a helper's output, and the
// properties every Decision must have whatever the dialect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "helper_protocol.h"

namespace exaproxy::fuzz {

// A plain GET, a GET on a non-default port, and a CONNECT, all with a couple of headers.
inline redirector::RequestInfo sampleRequest(uint8_t which) {
  redirector::RequestInfo r;
  r.client = "192.0.2.7";
  r.listenerIp = "127.0.0.1";
  r.listenerPort = 3128;
  r.headers = {{"Host", "www.example.com"}, {"User-Agent", "fuzz"}, {"Accept", "*/*"}};
  switch (which % 3) {
  case 0:
    r.method = "GET";
    r.host = "www.example.com";
    r.port = 80;
    r.path = "/index.html?q=1";
    r.url = "http://www.example.com/index.html?q=1";
    break;
  case 1:
    r.method = "POST";
    r.host = "2001:db8::1";
    r.port = 8080;
    r.path = "/";
    r.url = "http://[2001:db8::1]:8080/";
    r.user = "alice";
    break;
  default:
    r.method = "CONNECT";
    r.host = "secure.example.com";
    r.port = 443;
    r.url = "secure.example.com:443";
    r.isConnect = true;
    break;
  }
  return r;
}

// What any dialect's answer may turn into.
inline void checkDecision(const redirector::Decision& d) {
  using Kind = redirector::Decision::Kind;
  switch (d.kind) {
  case Kind::Continue:
    FUZZ_CHECK(d.url.empty() && d.headerOps.empty());
    break;
  case Kind::Rewrite:
    FUZZ_CHECK(!d.url.empty() || !d.headerOps.empty());
    break;
  case Kind::Route:
    FUZZ_CHECK(!d.routeHost.empty());
    break;
  case Kind::Redirect:
    FUZZ_CHECK(d.status >= 300 && d.status <= 399);
    FUZZ_CHECK(!d.location.empty());
    break;
  case Kind::Respond:
    FUZZ_CHECK(d.status >= 100 && d.status <= 599);
    break;
  case Kind::Deny:
    FUZZ_CHECK(d.status >= 400 && d.status <= 599);
    FUZZ_CHECK(!d.reason.empty());
    break;
  case Kind::Broken:
  case Kind::Error:
    FUZZ_CHECK(!d.reason.empty());
    break;
  }
  FUZZ_CHECK(redirector::toString(d.kind) != nullptr);
}

// Takes every reply off `output` as the pool does; each Complete shortens the buffer.
inline std::vector<redirector::RawReply> extractAll(const redirector::HelperProtocol& protocol,
                                                    std::string output, bool concurrent,
                                                    common::FrameStatus& last) {
  std::vector<redirector::RawReply> replies;
  while (true) {
    size_t before = output.size();
    redirector::RawReply reply;
    last = protocol.extract(output, concurrent, reply);
    if (last != common::FrameStatus::Complete) {
      FUZZ_CHECK(output.size() == before); // NeedMore and Malformed leave the buffer alone
      return replies;
    }
    FUZZ_CHECK(output.size() < before);
    FUZZ_CHECK(reply.text.size() <= before);
    replies.push_back(std::move(reply));
  }
}

} // namespace exaproxy::fuzz
