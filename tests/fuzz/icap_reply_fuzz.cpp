// libFuzzer target for the original ExaProxy ICAP-shaped helper dialect: one ICAP reply (status
// line, headers, Encapsulated offsets into req-hdr/res-hdr sections, an optional chunked body)
// and the Decision it becomes.
// Run: icap_reply_fuzz -dict=tests/fuzz/dict/icap_reply.dict tests/fuzz/corpus/icap_reply
// No `files` directory is configured, so file:// answers are refused without touching the disk.
// Properties: the message parser consumes no more than it is given and the same whole message
// however the bytes arrive (all at once or in two reads; only the optional blank line after the
// last chunk of a body may be taken or not); framing the reply out of a buffer and
// parsing it again gives the same message; the de-chunked body is no larger than its input;
// every Decision is well-formed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "helper_reply_util.h"
#include "icap_protocol.h"

using namespace exaproxy;
using namespace exaproxy::redirector;
using exaproxy::fuzz::Input;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input input(data, size);
  const uint8_t options = input.byte();
  const uint8_t selector = input.byte();
  std::string_view in = input.rest();
  const RequestInfo req = exaproxy::fuzz::sampleRequest(options);

  IcapMessage msg;
  size_t consumed = 0;
  common::FrameStatus st = parseIcapMessage(in, msg, consumed);
  // A prefix of the bytes never completes a different message, and Malformed stays Malformed.
  IcapMessage early;
  size_t earlyConsumed = 0;
  std::string_view prefix = in.substr(0, exaproxy::fuzz::splitPoint(in, selector));
  common::FrameStatus pst = parseIcapMessage(prefix, early, earlyConsumed);
  if (pst == common::FrameStatus::Complete) {
    FUZZ_CHECK(st == common::FrameStatus::Complete && earlyConsumed <= consumed);
    // Only the optional blank line after a body's last chunk may be taken once it has arrived.
    std::string_view extra = in.substr(earlyConsumed, consumed - earlyConsumed);
    FUZZ_CHECK(extra.empty() || extra == "\n" || extra == "\r\n");
  }
  if (st != common::FrameStatus::Complete) {
    return 0;
  }
  FUZZ_CHECK(consumed > 0 && consumed <= in.size());
  FUZZ_CHECK(msg.body.size() <= consumed);
  FUZZ_CHECK(msg.sections.size() <= consumed);
  if (!msg.hasBody) {
    FUZZ_CHECK(msg.body.empty());
  }
  for (size_t i = 1; i < msg.encapsulated.size(); ++i) {
    FUZZ_CHECK(msg.encapsulated[i - 1].second <= msg.encapsulated[i].second);
  }

  // As the pool does it: frame the reply off the buffer, then decide on the framed text.
  static const IcapProtocol protocol{"fuzz", std::filesystem::path()};
  common::FrameStatus last = common::FrameStatus::NeedMore;
  auto replies = exaproxy::fuzz::extractAll(protocol, std::string(in), false, last);
  FUZZ_CHECK(!replies.empty());
  FUZZ_CHECK(replies[0].text == in.substr(0, consumed));
  for (const RawReply& reply : replies) {
    IcapMessage again;
    size_t againConsumed = 0;
    FUZZ_CHECK(parseIcapMessage(reply.text, again, againConsumed) == common::FrameStatus::Complete);
    FUZZ_CHECK(againConsumed == reply.text.size());
    Decision d = protocol.decide(reply, req);
    exaproxy::fuzz::checkDecision(d);
    FUZZ_CHECK(d.kind != Decision::Kind::Broken);
    if (again.code != 200) {
      FUZZ_CHECK(d.kind == Decision::Kind::Continue);
    }
  }
  IcapMessage firstAgain;
  size_t c2 = 0;
  parseIcapMessage(replies[0].text, firstAgain, c2);
  FUZZ_CHECK(firstAgain.code == msg.code && firstAgain.body == msg.body);
  FUZZ_CHECK(firstAgain.sections == msg.sections && firstAgain.encapsulated == msg.encapsulated);
  return 0;
}
