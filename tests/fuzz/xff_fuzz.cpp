// libFuzzer target for the X-Forwarded-For / Forwarded hop lists and the trust walk over them.
// Run: xff_fuzz -dict=tests/fuzz/dict/xff.dict tests/fuzz/corpus/xff
// Input: an option byte (which header, which proxies are trusted), then field lines separated by
// LF. Properties: several field lines are one list (the same hops as the lines joined by commas);
// every address hop, written back as each header writes a node, parses to the same address; the
// walk never uses more hops than there are, names an untrusted client when it says Found, and its
// identity is the peer or one of the hops.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "xff_hops.h"
#include "xff_identity.h"

using namespace exaproxy::xff;
using exaproxy::fuzz::Input;

namespace {

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl - start));
    if (nl == std::string_view::npos) {
      return lines;
    }
    start = nl + 1;
  }
}

const CidrList& trustedList(uint8_t which) {
  static const CidrList none;
  static const CidrList privateNets = [] {
    std::vector<Cidr> c;
    for (const char* t : {"10.0.0.0/8", "192.168.0.0/16", "fd00::/8", "2001:db8::/32"}) {
      c.push_back(*Cidr::parse(t));
    }
    return CidrList(std::move(c));
  }();
  static const CidrList everything = [] {
    std::vector<Cidr> c{*Cidr::parse("0.0.0.0/0"), *Cidr::parse("::/0")};
    return CidrList(std::move(c));
  }();
  switch (which % 3) {
  case 0:
    return none;
  case 1:
    return privateNets;
  default:
    return everything;
  }
}

void checkHops(const std::vector<Hop>& hops) {
  for (const Hop& hop : hops) {
    FUZZ_CHECK(!hop.text.empty());
    if (hop.kind != HopKind::Address) {
      continue;
    }
    // The address as text: a bare XFF element, and a Forwarded for= value.
    std::string text = hop.address.toString();
    FUZZ_CHECK(Address::parse(text) == hop.address);
    Hop again = parseNode(text, false);
    FUZZ_CHECK(again.kind == HopKind::Address && again.address == hop.address);
    std::string element = "for=" + forwardedNode(hop.address);
    std::vector<std::string_view> line{element};
    std::vector<Hop> back = parseForwarded(line);
    FUZZ_CHECK(back.size() == 1 && back[0].kind == HopKind::Address);
    FUZZ_CHECK(back[0].address == hop.address);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input input(data, size);
  const uint8_t options = input.byte();
  std::string_view text = input.rest();
  const bool forwarded = (options & 1) != 0;

  std::vector<std::string_view> lines = splitLines(text);
  std::vector<Hop> hops = forwarded ? parseForwarded(lines) : parseXForwardedFor(lines);

  // Several lines are one list.
  std::string joined;
  for (size_t i = 0; i < lines.size(); ++i) {
    joined.append(i ? "," : "").append(lines[i]);
  }
  std::vector<std::string_view> one{joined};
  std::vector<Hop> same = forwarded ? parseForwarded(one) : parseXForwardedFor(one);
  FUZZ_CHECK(same.size() == hops.size());
  for (size_t i = 0; i < hops.size(); ++i) {
    FUZZ_CHECK(same[i].kind == hops[i].kind && same[i].text == hops[i].text);
    FUZZ_CHECK(hops[i].kind != HopKind::Address || same[i].address == hops[i].address);
  }
  FUZZ_CHECK(hops.size() <= text.size() + 1);
  checkHops(hops);

  // The walk, from a peer that is trusted or not.
  const CidrList& trusted = trustedList(options >> 1);
  const Address peer = *Address::parse((options & 0x40) ? "10.1.2.3" : "203.0.113.9");
  Resolution r = resolveIdentity(peer, hops, trusted);
  FUZZ_CHECK(r.hopsUsed <= hops.size());
  switch (r.outcome) {
  case Outcome::PeerUntrusted:
    FUZZ_CHECK(!trusted.contains(peer) && r.identity == peer && r.hopsUsed == 0);
    break;
  case Outcome::NoHeader:
    FUZZ_CHECK(hops.empty() && r.identity == peer);
    break;
  case Outcome::Found:
    FUZZ_CHECK(!trusted.contains(r.identity));
    FUZZ_CHECK(r.hopsUsed >= 1);
    FUZZ_CHECK(hops[hops.size() - r.hopsUsed].kind == HopKind::Address);
    FUZZ_CHECK(hops[hops.size() - r.hopsUsed].address == r.identity);
    break;
  case Outcome::AllTrusted:
    FUZZ_CHECK(!hops.empty() && r.hopsUsed == hops.size());
    FUZZ_CHECK(hops.front().address == r.identity);
    break;
  case Outcome::StoppedUnknown:
  case Outcome::StoppedInvalid: {
    FUZZ_CHECK(r.hopsUsed < hops.size());
    const Hop& stop = hops[hops.size() - 1 - r.hopsUsed];
    FUZZ_CHECK(stop.kind != HopKind::Address);
    FUZZ_CHECK(r.stoppedAt == stop.text);
    FUZZ_CHECK((r.outcome == Outcome::StoppedInvalid) == (stop.kind == HopKind::Invalid));
    break;
  }
  }
  if (r.outcome != Outcome::PeerUntrusted && r.outcome != Outcome::NoHeader && r.hopsUsed == 0) {
    FUZZ_CHECK(r.identity == peer);
  }
  return 0;
}
