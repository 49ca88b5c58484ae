// libFuzzer target for the Squid helper dialect: the line framing with channel IDs, the 3.4+
// answer grammar (OK/ERR/BH, key=value notes, quoted or %-encoded) and what the redirector makes
// of an answer.
// Run: squid_reply_fuzz -dict=tests/fuzz/dict/squid_reply.dict tests/fuzz/corpus/squid_reply
// Properties: framing always shortens the buffer and never returns a line end; the cheap result
// word agrees with the full parse; BH is what broken() reports; every note value survives the
// request-line %-encoding; every Decision is well-formed for its kind.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "helper_reply_util.h"
#include "squid_protocol.h"

using namespace exaproxy;
using namespace exaproxy::redirector;
using exaproxy::fuzz::Input;

namespace {

void checkEncoding(std::string_view value) {
  std::string encoded = percentEncodeField(value);
  for (char c : encoded) {
    auto u = static_cast<unsigned char>(c);
    FUZZ_CHECK(u > 0x20 && u < 0x7f);
  }
  FUZZ_CHECK(percentDecode(encoded) == value);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input input(data, size);
  const uint8_t options = input.byte();
  const bool concurrent = (options & 1) != 0;
  const RequestInfo req = exaproxy::fuzz::sampleRequest(options >> 1);

  static const SquidProtocol protocol;
  common::FrameStatus last = common::FrameStatus::NeedMore;
  auto replies = exaproxy::fuzz::extractAll(protocol, std::string(input.rest()), concurrent, last);
  if (last == common::FrameStatus::Malformed) {
    FUZZ_CHECK(input.rest().size() > common::SquidLineCodec::kMaxAnswer);
  }
  for (const RawReply& reply : replies) {
    FUZZ_CHECK(reply.text.find('\n') == std::string::npos);
    if (!concurrent) {
      FUZZ_CHECK(!reply.channel);
    }
    SquidReply parsed = parseSquidReply(reply.text);
    FUZZ_CHECK(parsed.result == common::squidResult(reply.text));
    FUZZ_CHECK(protocol.broken(reply.text).has_value() ==
               (parsed.result == SquidReply::Result::BrokenHelper));
    if (parsed.result != SquidReply::Result::Unknown) {
      FUZZ_CHECK(parsed.legacy.empty());
    }
    for (const auto& [key, value] : parsed.notes) {
      FUZZ_CHECK(!key.empty());
      checkEncoding(value);
      FUZZ_CHECK(parsed.note(key) != nullptr);
    }
    checkEncoding(reply.text);
    Decision d = protocol.decide(reply, req);
    exaproxy::fuzz::checkDecision(d);
    if (parsed.result == SquidReply::Result::BrokenHelper) {
      FUZZ_CHECK(d.kind == Decision::Kind::Broken);
    }
  }
  return 0;
}
