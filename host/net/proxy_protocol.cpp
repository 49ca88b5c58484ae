#include "net/proxy_protocol.h"

#include "core/config.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <vector>

namespace exaproxy::net {

namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::array<uint8_t, 12> kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                  0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view kV1Protocols[] = {"TCP4 ", "TCP6 ", "UNKNOWN"};

// v2 byte 14: family (high nibble) and transport (low nibble). The spec lists the valid values and
// says every other one "must be rejected as invalid by receivers".
constexpr uint8_t kUnspec = 0x00;
constexpr uint8_t kTcp4 = 0x11, kUdp4 = 0x12;
constexpr uint8_t kTcp6 = 0x21, kUdp6 = 0x22;
constexpr uint8_t kUnixStream = 0x31, kUnixDgram = 0x32;
constexpr size_t kInetBlock = 12;  // 4 + 4 + 2 + 2
constexpr size_t kInet6Block = 36; // 16 + 16 + 2 + 2
constexpr size_t kUnixBlock = 216; // 108 + 108
constexpr uint8_t kTlvAuthority = 0x02;

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// True when `in` (possibly short) agrees with `expected` on their common length.
bool prefixAgrees(std::string_view in, std::string_view expected) {
  size_t n = std::min(in.size(), expected.size());
  return in.substr(0, n) == expected.substr(0, n);
}

bool v2SignatureAgrees(std::string_view in) {
  size_t n = std::min(in.size(), kV2Signature.size());
  return std::memcmp(in.data(), kV2Signature.data(), n) == 0;
}

// Decimal without leading zeros ("0" itself is fine), at most `maxDigits` digits, <= max.
std::optional<uint32_t> strictNumber(std::string_view s, size_t maxDigits, uint32_t max) {
  if (s.empty() || s.size() > maxDigits || (s.size() > 1 && s[0] == '0'))
    return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (!isDigit(c))
      return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > max)
    return std::nullopt;
  return v;
}

// Dotted quad only: four decimal parts 0-255 without leading zeros (no "1.2.3", no "0x7f.1").
std::optional<IpAddress> strictIpv4(std::string_view s) {
  std::array<uint8_t, 4> octets{};
  size_t part = 0;
  while (true) {
    size_t dot = s.find('.');
    auto n = strictNumber(s.substr(0, dot), 3, 255);
    if (!n || part >= 4)
      return std::nullopt;
    octets[part++] = static_cast<uint8_t>(*n);
    if (dot == std::string_view::npos)
      break;
    s.remove_prefix(dot + 1);
  }
  if (part != 4)
    return std::nullopt;
  in_addr a{};
  std::memcpy(&a.s_addr, octets.data(), 4);
  return IpAddress::v4(a);
}

// IPv6 text as RFC 4291 writes it (IpAddress::parse), and nothing that is an IPv4 address.
std::optional<IpAddress> strictIpv6(std::string_view s) {
  if (s.find(':') == std::string_view::npos)
    return std::nullopt;
  for (char c : s)
    if (!(isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
      return std::nullopt;
  return IpAddress::parse(s);
}

std::vector<std::string_view> splitSpaces(std::string_view line) {
  std::vector<std::string_view> fields;
  while (true) {
    size_t sp = line.find(' ');
    fields.push_back(line.substr(0, sp));
    if (sp == std::string_view::npos)
      return fields;
    line.remove_prefix(sp + 1);
  }
}

uint16_t be16(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}

} // namespace

ProxyProtocolMode proxyProtocolMode(ProxyProtocol configured) {
  switch (configured) {
  case ProxyProtocol::V1:
    return ProxyProtocolMode::V1;
  case ProxyProtocol::V2:
    return ProxyProtocolMode::V2;
  case ProxyProtocol::Any:
    return ProxyProtocolMode::Any;
  case ProxyProtocol::Off:
    break;
  }
  return ProxyProtocolMode::Off;
}

ProxyParseState ProxyProtocolParser::fail(std::string why) {
  error_ = std::move(why);
  state_ = ProxyParseState::Error;
  return state_;
}

ProxyParseState ProxyProtocolParser::done(size_t n) {
  consumed_ = n;
  state_ = ProxyParseState::Done;
  return state_;
}

ProxyParseState ProxyProtocolParser::parse(std::string_view in) {
  if (state_ != ProxyParseState::NeedMore)
    return state_;
  if (in.empty())
    return state_;
  bool v1 = mode_ == ProxyProtocolMode::V1 || mode_ == ProxyProtocolMode::Any;
  bool v2 = mode_ == ProxyProtocolMode::V2 || mode_ == ProxyProtocolMode::Any;
  // The first byte decides: 'P' can only start v1, CR only v2 (the signature starts "\r\n\r\n").
  if (v2 && static_cast<uint8_t>(in[0]) == kV2Signature[0])
    return parseV2(in);
  if (v1 && in[0] == kV1Prefix[0])
    return parseV1(in);
  switch (mode_) {
  case ProxyProtocolMode::V1:
    return fail("not a PROXY protocol v1 header (expected \"PROXY \")");
  case ProxyProtocolMode::V2:
    return fail("not a PROXY protocol v2 header (expected its 12-byte signature)");
  case ProxyProtocolMode::Any:
    return fail("not a PROXY protocol header (neither v1 \"PROXY \" nor the v2 signature)");
  case ProxyProtocolMode::Off:
    break;
  }
  return fail("PROXY protocol is off on this listener");
}

ProxyParseState ProxyProtocolParser::parseV1(std::string_view in) {
  if (!prefixAgrees(in, kV1Prefix))
    return fail("not a PROXY protocol v1 header (expected \"PROXY \")");
  if (in.size() > kV1Prefix.size()) {
    // The protocol field must be one of the three; reject "PROXY GET..." on its first odd byte.
    std::string_view proto = in.substr(kV1Prefix.size());
    bool any = false;
    for (auto p : kV1Protocols)
      any = any || prefixAgrees(proto, p);
    if (!any)
      return fail("v1: protocol must be TCP4, TCP6 or UNKNOWN");
  }
  // Find the line end within the 107-byte limit; a lone CR or LF is invalid, and so is any byte
  // that no v1 header contains (binary, tabs, other controls).
  size_t limit = std::min(in.size(), kMaxV1);
  size_t end = std::string_view::npos;
  for (size_t i = 0; i < limit; ++i) {
    char c = in[i];
    if (c == '\n')
      return fail("v1: LF without CR");
    if (c == '\r') {
      if (i + 1 >= kMaxV1)
        return fail("v1: no CRLF within 107 bytes");
      if (i + 1 >= in.size())
        return ProxyParseState::NeedMore;
      if (in[i + 1] != '\n')
        return fail("v1: CR not followed by LF");
      end = i;
      break;
    }
    if (c < 0x20 || c > 0x7e)
      return fail("v1: invalid byte in the header line");
  }
  if (end == std::string_view::npos) {
    if (in.size() >= kMaxV1)
      return fail("v1: no CRLF within 107 bytes");
    return ProxyParseState::NeedMore;
  }

  auto fields = splitSpaces(in.substr(0, end));
  header_ = ProxyHeader{};
  header_.version = 1;
  if (fields.size() >= 2 && fields[1] == "UNKNOWN") {
    // "the receiver must ignore anything presented before the CRLF is found"
    header_.local = true;
    return done(end + 2);
  }
  if (fields.size() != 6)
    return fail("v1: expected PROXY TCP4|TCP6 <src> <dst> <sport> <dport>");
  bool tcp4 = fields[1] == "TCP4";
  if (!tcp4 && fields[1] != "TCP6")
    return fail("v1: protocol must be TCP4, TCP6 or UNKNOWN");
  auto src = tcp4 ? strictIpv4(fields[2]) : strictIpv6(fields[2]);
  auto dst = tcp4 ? strictIpv4(fields[3]) : strictIpv6(fields[3]);
  if (!src || !dst)
    return fail(tcp4 ? "v1: TCP4 addresses must be dotted quads without leading zeros"
                     : "v1: TCP6 addresses must be IPv6 addresses");
  auto sport = strictNumber(fields[4], 5, 65535);
  auto dport = strictNumber(fields[5], 5, 65535);
  if (!sport || !dport)
    return fail("v1: ports must be 0-65535 without leading zeros");
  header_.source = Endpoint{*src, static_cast<uint16_t>(*sport)};
  header_.destination = Endpoint{*dst, static_cast<uint16_t>(*dport)};
  return done(end + 2);
}

ProxyParseState ProxyProtocolParser::parseV2(std::string_view in) {
  if (!v2SignatureAgrees(in))
    return fail("not a PROXY protocol v2 header (signature mismatch)");
  if (in.size() > 12) {
    auto verCmd = static_cast<uint8_t>(in[12]);
    if ((verCmd >> 4) != 2)
      return fail("v2: version " + std::to_string(verCmd >> 4) + " (only 2 is defined)");
    if ((verCmd & 0x0F) > 1)
      return fail("v2: command " + std::to_string(verCmd & 0x0F) + " (only LOCAL and PROXY)");
  }
  if (in.size() > 13) {
    auto fam = static_cast<uint8_t>(in[13]);
    bool known = fam == kUnspec || fam == kTcp4 || fam == kUdp4 || fam == kTcp6 || fam == kUdp6 ||
                 fam == kUnixStream || fam == kUnixDgram;
    // LOCAL skips the block whatever it says, so only PROXY needs a valid family byte.
    if (!known && (static_cast<uint8_t>(in[12]) & 0x0F) == 1)
      return fail("v2: invalid family/transport byte");
  }
  if (in.size() < kV2Fixed)
    return ProxyParseState::NeedMore;
  size_t len = be16(in.data() + 14);
  if (kV2Fixed + len > kMaxV2)
    return fail("v2: header length " + std::to_string(len) + " is over our limit of " +
                std::to_string(kMaxV2 - kV2Fixed));
  auto fam = static_cast<uint8_t>(in[13]);
  bool local = (static_cast<uint8_t>(in[12]) & 0x0F) == 0;
  // Length bounds are known before the body arrives: reject a short block at once.
  if (!local) {
    size_t need = fam == kTcp4 || fam == kUdp4              ? kInetBlock
                  : fam == kTcp6 || fam == kUdp6            ? kInet6Block
                  : fam == kUnixStream || fam == kUnixDgram ? kUnixBlock
                                                            : 0;
    if (len < need)
      return fail("v2: length " + std::to_string(len) + " is shorter than the address block (" +
                  std::to_string(need) + ")");
  }
  if (in.size() < kV2Fixed + len)
    return ProxyParseState::NeedMore;

  header_ = ProxyHeader{};
  header_.version = 2;
  if (local) {
    // LOCAL (a health check by the sender): always skip len bytes, whatever they contain.
    header_.local = true;
    return done(kV2Fixed + len);
  }
  auto st = v2Addresses(in.substr(kV2Fixed, len), fam);
  if (st == ProxyParseState::Error)
    return st;
  return done(kV2Fixed + len);
}

ProxyParseState ProxyProtocolParser::v2Addresses(std::string_view body, uint8_t fam) {
  const char* p = body.data();
  size_t block = 0;
  switch (fam) {
  case kTcp4: {
    in_addr s{}, d{};
    std::memcpy(&s.s_addr, p, 4);
    std::memcpy(&d.s_addr, p + 4, 4);
    header_.source = Endpoint{IpAddress::v4(s), be16(p + 8)};
    header_.destination = Endpoint{IpAddress::v4(d), be16(p + 10)};
    block = kInetBlock;
    break;
  }
  case kTcp6: {
    in6_addr s{}, d{};
    std::memcpy(s.s6_addr, p, 16);
    std::memcpy(d.s6_addr, p + 16, 16);
    header_.source = Endpoint{IpAddress::v6(s), be16(p + 32)};
    header_.destination = Endpoint{IpAddress::v6(d), be16(p + 34)};
    block = kInet6Block;
    break;
  }
  case kUdp4:
  case kUdp6:
    return fail("v2: a datagram (UDP) header on a stream connection");
  case kUnixStream:
  case kUnixDgram:
    // A unix-socket client has no IP address: keep the socket's addresses, as for LOCAL.
    header_.local = true;
    block = kUnixBlock;
    break;
  default: // UNSPEC: "the receiver should ignore address information"
    header_.local = true;
    return ProxyParseState::Done;
  }
  return v2Tlvs(body.substr(block));
}

ProxyParseState ProxyProtocolParser::v2Tlvs(std::string_view tlvs) {
  while (!tlvs.empty()) {
    if (tlvs.size() < 3)
      return fail("v2: truncated TLV");
    auto type = static_cast<uint8_t>(tlvs[0]);
    size_t len = be16(tlvs.data() + 1);
    if (tlvs.size() < 3 + len)
      return fail("v2: TLV length past the end of the header");
    std::string_view value = tlvs.substr(3, len);
    if (type == kTlvAuthority) {
      // A host name (UTF-8). Controls would end up in logs and the UI: refuse them.
      for (char c : value)
        if (static_cast<uint8_t>(c) < 0x20 || c == 0x7f)
          return fail("v2: control character in the AUTHORITY TLV");
      header_.authority.assign(value);
    }
    // ALPN, CRC32C (not verified), NOOP, UNIQUE_ID, SSL, NETNS and unknown types are skipped.
    tlvs.remove_prefix(3 + len);
  }
  return ProxyParseState::Done;
}

} // namespace exaproxy::net
