// libFuzzer target for the PROXY protocol v1/v2 header parser (the first bytes of a connection on
// a listener with proxy_protocol on).
// Run: proxy_protocol_fuzz -dict=tests/fuzz/dict/proxy_protocol.dict
// tests/fuzz/corpus/proxy_protocol Properties: every shorter prefix of an accepted header is
// NeedMore (never an early Error), the verdict is the same when the bytes arrive in two reads;
// consumed() stays within the version's limit; a header written back from what was parsed (v1 text
// or v2 binary) parses to the same addresses; a parser restricted to one version agrees with the
// one that takes both.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "net/proxy_protocol.h"

using namespace exaproxy;
using namespace exaproxy::net;
using exaproxy::fuzz::Input;

namespace {

constexpr char kV2Signature[] = "\r\n\r\n\0\r\nQUIT\n";

std::string v6Text(const IpAddress& a) {
  // A v4 address in a TCP6 header is written in its IPv4-mapped form.
  return a.isV4() ? "::ffff:" + a.toString() : a.toString();
}

std::string writeV1(const ProxyHeader& h) {
  if (h.local) {
    return "PROXY UNKNOWN\r\n";
  }
  bool v4 = h.source->address.isV4() && h.destination->address.isV4();
  std::string out = v4 ? "PROXY TCP4 " : "PROXY TCP6 ";
  out += v4 ? h.source->address.toString() : v6Text(h.source->address);
  out += ' ';
  out += v4 ? h.destination->address.toString() : v6Text(h.destination->address);
  out += ' ' + std::to_string(h.source->port) + ' ' + std::to_string(h.destination->port) + "\r\n";
  return out;
}

void putBytes(std::string& out, const IpAddress& a, bool v4) {
  if (v4 || a.isV6()) {
    out.append(reinterpret_cast<const char*>(a.bytes()), v4 ? 4 : 16);
  } else {
    out.append(10, '\0');
    out.append(2, '\xff');
    out.append(reinterpret_cast<const char*>(a.bytes()), 4);
  }
}

void putPort(std::string& out, uint16_t port) {
  out += static_cast<char>(port >> 8);
  out += static_cast<char>(port & 0xff);
}

std::string writeV2(const ProxyHeader& h) {
  std::string body;
  uint8_t family = 0x00;
  if (!h.local) {
    bool v4 = h.source->address.isV4() && h.destination->address.isV4();
    family = v4 ? 0x11 : 0x21;
    putBytes(body, h.source->address, v4);
    putBytes(body, h.destination->address, v4);
    putPort(body, h.source->port);
    putPort(body, h.destination->port);
    if (!h.authority.empty()) {
      body += '\x02';
      putPort(body, static_cast<uint16_t>(h.authority.size()));
      body += h.authority;
    }
  }
  std::string out(kV2Signature, 12);
  out += static_cast<char>(h.local ? 0x20 : 0x21);
  out += static_cast<char>(family);
  putPort(out, static_cast<uint16_t>(body.size()));
  return out + body;
}

void checkSame(const ProxyHeader& a, const ProxyHeader& b, bool withAuthority) {
  FUZZ_CHECK(a.local == b.local);
  FUZZ_CHECK(a.source == b.source);
  FUZZ_CHECK(a.destination == b.destination);
  if (withAuthority) {
    FUZZ_CHECK(a.authority == b.authority);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input input(data, size);
  const uint8_t selector = input.byte();
  std::string_view in = input.rest();

  ProxyProtocolParser whole(ProxyProtocolMode::Any);
  ProxyParseState st = whole.parse(in);
  FUZZ_CHECK(whole.parse(in) == st); // idempotent once decided

  // The same bytes in two reads.
  ProxyProtocolParser twice(ProxyProtocolMode::Any);
  size_t split = exaproxy::fuzz::splitPoint(in, selector);
  ProxyParseState first = twice.parse(in.substr(0, split));
  if (first == ProxyParseState::NeedMore) {
    FUZZ_CHECK(twice.parse(in) == st);
  } else {
    // Decided on a prefix: the whole input must be decided the same way.
    FUZZ_CHECK(first == st);
  }
  if (st == ProxyParseState::Error) {
    FUZZ_CHECK(!whole.error().empty());
    return 0;
  }
  if (st == ProxyParseState::NeedMore) {
    FUZZ_CHECK(in.size() < ProxyProtocolParser::kMaxV2);
    return 0;
  }

  const ProxyHeader& h = whole.header();
  const size_t used = whole.consumed();
  FUZZ_CHECK(used > 0 && used <= in.size());
  FUZZ_CHECK(twice.consumed() == used);
  checkSame(h, twice.header(), true);
  FUZZ_CHECK(h.version == 1 || h.version == 2);
  FUZZ_CHECK(used <= (h.version == 1 ? ProxyProtocolParser::kMaxV1 : ProxyProtocolParser::kMaxV2));
  FUZZ_CHECK(h.local == (!h.source && !h.destination));
  FUZZ_CHECK(h.source.has_value() == h.destination.has_value());
  if (h.version == 1) {
    FUZZ_CHECK(h.authority.empty());
  }

  // No early verdict: every strict prefix of the header asks for more.
  ProxyProtocolParser growing(ProxyProtocolMode::Any);
  size_t step = used > 256 ? used / 64 : 1;
  for (size_t k = 1; k < used; k += step) {
    ProxyProtocolParser fresh(ProxyProtocolMode::Any);
    FUZZ_CHECK(fresh.parse(in.substr(0, k)) == ProxyParseState::NeedMore);
    FUZZ_CHECK(growing.parse(in.substr(0, k)) == ProxyParseState::NeedMore);
  }
  FUZZ_CHECK(growing.parse(in.substr(0, used)) == ProxyParseState::Done);
  FUZZ_CHECK(growing.consumed() == used);

  // A listener that takes only this version says the same; one that takes only the other refuses.
  ProxyProtocolParser only(h.version == 1 ? ProxyProtocolMode::V1 : ProxyProtocolMode::V2);
  FUZZ_CHECK(only.parse(in) == ProxyParseState::Done && only.consumed() == used);
  ProxyProtocolParser other(h.version == 1 ? ProxyProtocolMode::V2 : ProxyProtocolMode::V1);
  FUZZ_CHECK(other.parse(in) == ProxyParseState::Error);

  // Written back in either version, the header says the same.
  std::string v1 = writeV1(h);
  ProxyProtocolParser p1(ProxyProtocolMode::Any);
  FUZZ_CHECK(p1.parse(v1) == ProxyParseState::Done && p1.consumed() == v1.size());
  checkSame(h, p1.header(), false);
  std::string v2 = writeV2(h);
  ProxyProtocolParser p2(ProxyProtocolMode::Any);
  FUZZ_CHECK(p2.parse(v2) == ProxyParseState::Done && p2.consumed() == v2.size());
  checkSame(h, p2.header(), !h.local);
  return 0;
}
