// libFuzzer target for the original ExaProxy "url" helper dialect: one reply line ("", file://,
// redirect://, intercept://, http(s)://, anything else) and the Decision it becomes.
// Run: exaproxy_url_reply_fuzz -dict=tests/fuzz/dict/exaproxy_url_reply.dict
//        tests/fuzz/corpus/exaproxy_url_reply
// No `files` directory is configured, so file:// answers are refused without touching the disk.
// Properties: framing always shortens the buffer and never returns a line end; a reply is decided
// the same with or without its CR and surrounding blanks; every Decision is well-formed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exaproxy_url_protocol.h"
#include "fuzz_util.h"
#include "helper_reply_util.h"

using namespace exaproxy;
using namespace exaproxy::redirector;
using exaproxy::fuzz::Input;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input input(data, size);
  const uint8_t options = input.byte();
  const bool concurrent = (options & 1) != 0;
  const RequestInfo req = exaproxy::fuzz::sampleRequest(options >> 1);

  static const ExaproxyUrlProtocol protocol{std::filesystem::path()};
  common::FrameStatus last = common::FrameStatus::NeedMore;
  auto replies = exaproxy::fuzz::extractAll(protocol, std::string(input.rest()), concurrent, last);
  for (const RawReply& reply : replies) {
    FUZZ_CHECK(reply.text.find('\n') == std::string::npos);
    Decision d = protocol.decide(reply, req);
    exaproxy::fuzz::checkDecision(d);
    if (d.kind == Decision::Kind::Respond) {
      FUZZ_CHECK(false); // file:// needs a files directory, and none is configured
    }
    RawReply padded = reply;
    padded.text = " \t" + reply.text + " \r";
    Decision same = protocol.decide(padded, req);
    FUZZ_CHECK(same.kind == d.kind && same.url == d.url && same.status == d.status);
    FUZZ_CHECK(same.routeHost == d.routeHost && same.routePort == d.routePort);
    FUZZ_CHECK(same.location == d.location);
  }
  return 0;
}
