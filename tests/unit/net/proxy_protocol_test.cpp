// PROXY protocol v1/v2 parser: every vector of PROTOCOLS.md §3.3, each also fed split at every
// byte (a valid header is NeedMore until its last byte; an invalid one is never Done).
#include "net/proxy_protocol.h"

#include "core/config.h"

#include <gtest/gtest.h>

#include <string>

namespace exaproxy::net {
namespace {

using State = ProxyParseState;
using Mode = ProxyProtocolMode;

// "0d0a 21" -> bytes (spaces ignored).
std::string hex(std::string_view text) {
  std::string out, digits;
  for (char c : text)
    if (c != ' ')
      digits += c;
  for (size_t i = 0; i + 1 < digits.size(); i += 2)
    out += static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16));
  return out;
}

const std::string kSig = "0d0a0d0a000d0a515549540a";

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

struct Parsed {
  State state;
  size_t consumed;
  ProxyHeader header;
  std::string error;
};

Parsed parseAll(std::string_view in, Mode mode = Mode::Any) {
  ProxyProtocolParser p(mode);
  State s = p.parse(in);
  return {s, p.consumed(), p.header(), p.error()};
}

// A valid header of `headerLen` bytes at the start of `in`: every shorter prefix is NeedMore, on a
// fresh parser and on one parser fed the growing buffer; the full input gives the same Done.
void expectDoneOnlyAtEnd(const std::string& in, size_t headerLen, Mode mode = Mode::Any) {
  ProxyProtocolParser growing(mode);
  for (size_t n = 0; n < headerLen; ++n) {
    std::string_view prefix(in.data(), n);
    EXPECT_EQ(ProxyProtocolParser(mode).parse(prefix), State::NeedMore)
        << "prefix of " << n << " bytes: " << parseAll(prefix, mode).error;
    EXPECT_EQ(growing.parse(prefix), State::NeedMore) << "growing, " << n << " bytes";
  }
  for (size_t n = headerLen; n <= in.size(); ++n) {
    std::string_view prefix(in.data(), n);
    ProxyProtocolParser fresh(mode);
    ASSERT_EQ(fresh.parse(prefix), State::Done) << n << " bytes: " << fresh.error();
    EXPECT_EQ(fresh.consumed(), headerLen);
  }
  ASSERT_EQ(growing.parse(in), State::Done) << growing.error();
  EXPECT_EQ(growing.consumed(), headerLen);
}

// An invalid header: no prefix is ever Done, and the whole input is an Error.
void expectNeverDone(const std::string& in, Mode mode = Mode::Any) {
  ProxyProtocolParser growing(mode);
  for (size_t n = 0; n <= in.size(); ++n) {
    std::string_view prefix(in.data(), n);
    EXPECT_NE(ProxyProtocolParser(mode).parse(prefix), State::Done) << n << " bytes";
    EXPECT_NE(growing.parse(prefix), State::Done) << "growing, " << n << " bytes";
  }
  auto r = parseAll(in, mode);
  EXPECT_EQ(r.state, State::Error);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(growing.state(), State::Error);
}

// ---- v1 vectors ----

TEST(ProxyProtocolV1Test, Tcp4HeaderThenHttp) {
  std::string header = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
  std::string in = header + "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
  auto r = parseAll(in);
  ASSERT_EQ(r.state, State::Done) << r.error;
  EXPECT_EQ(r.consumed, header.size());
  EXPECT_EQ(in.substr(r.consumed, 3), "GET");
  EXPECT_EQ(r.header.version, 1);
  EXPECT_FALSE(r.header.local);
  EXPECT_EQ(r.header.source, ep("192.168.0.1:56324"));
  EXPECT_EQ(r.header.destination, ep("192.168.0.11:443"));
  expectDoneOnlyAtEnd(in, header.size());
  expectDoneOnlyAtEnd(in, header.size(), Mode::V1);
}

TEST(ProxyProtocolV1Test, Tcp6) {
  std::string in = "PROXY TCP6 2001:db8::1 2001:db8::2 12345 443\r\n";
  auto r = parseAll(in);
  ASSERT_EQ(r.state, State::Done) << r.error;
  EXPECT_EQ(r.header.source, ep("[2001:db8::1]:12345"));
  EXPECT_EQ(r.header.destination, ep("[2001:db8::2]:443"));
  expectDoneOnlyAtEnd(in, in.size());
}

TEST(ProxyProtocolV1Test, UnknownUsesSocketAddresses) {
  for (std::string in : {std::string("PROXY UNKNOWN\r\n"),
                         std::string("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                                     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n")}) {
    SCOPED_TRACE(in);
    auto r = parseAll(in + "GET");
    ASSERT_EQ(r.state, State::Done) << r.error;
    EXPECT_TRUE(r.header.local);
    EXPECT_FALSE(r.header.source);
    EXPECT_FALSE(r.header.destination);
    EXPECT_EQ(r.consumed, in.size());
    expectDoneOnlyAtEnd(in + "GET", in.size());
  }
}

TEST(ProxyProtocolV1Test, LongestLegalLineIs107Bytes) {
  std::string worst = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
  ASSERT_EQ(worst.size(), 107u);
  EXPECT_EQ(parseAll(worst).state, State::Done);
  std::string tooLong = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 655355\r\n";
  ASSERT_EQ(tooLong.size(), 108u);
  expectNeverDone(tooLong);
}

TEST(ProxyProtocolV1Test, RejectsLeadingZeroInAddress) {
  expectNeverDone("PROXY TCP4 192.168.0.01 192.168.0.11 56324 443\r\n");
}

TEST(ProxyProtocolV1Test, RejectsPortAbove65535) {
  expectNeverDone("PROXY TCP4 1.2.3.4 5.6.7.8 65536 80\r\n");
}

TEST(ProxyProtocolV1Test, RejectsLoneLf) {
  expectNeverDone("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\nGET / HTTP/1.1\r\n");
}

TEST(ProxyProtocolV1Test, RejectsLoneCr) {
  expectNeverDone("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\rGET / HTTP/1.1\r\n");
}

TEST(ProxyProtocolV1Test, RejectsNoCrlfWithin107Bytes) {
  std::string in = "PROXY UNKNOWN " + std::string(200, 'a') + "\r\n";
  expectNeverDone(in);
  // The decision comes at byte 107, not later.
  EXPECT_EQ(parseAll(in.substr(0, 107)).state, State::Error);
  EXPECT_EQ(parseAll(in.substr(0, 106)).state, State::NeedMore);
}

TEST(ProxyProtocolV1Test, RejectsIpv6AddressInTcp4) {
  expectNeverDone("PROXY TCP4 ::1 ::1 1234 80\r\n");
}

TEST(ProxyProtocolV1Test, RejectsIpv4AddressInTcp6) {
  expectNeverDone("PROXY TCP6 1.2.3.4 5.6.7.8 1234 80\r\n");
}

TEST(ProxyProtocolV1Test, RejectsMalformedLines) {
  for (const char* in : {
           "PROXY TCP4 1.2.3.4 5.6.7.8 1234\r\n",         // a field missing
           "PROXY TCP4 1.2.3.4 5.6.7.8 1234 80 9\r\n",    // a field too many
           "PROXY TCP4  1.2.3.4 5.6.7.8 1234 80\r\n",     // double space
           "PROXY TCP4 1.2.3.4 5.6.7.8 01234 80\r\n",     // leading zero in a port
           "PROXY TCP4 1.2.3 5.6.7.8 1234 80\r\n",        // three parts
           "PROXY TCP4 1.2.3.256 5.6.7.8 1234 80\r\n",    // octet too large
           "PROXY TCP4 1.2.3.4 5.6.7.8 -1 80\r\n",        // sign
           "PROXY TCP5 1.2.3.4 5.6.7.8 1234 80\r\n",      // protocol
           "PROXY tcp4 1.2.3.4 5.6.7.8 1234 80\r\n",      // case matters
           "PROXY TCP4 1.2.3.4\t5.6.7.8 1234 80\r\n",     // tab
           "PROXY TCP6 2001:db8::1%eth0 ::2 1234 80\r\n", // zone id
           "PROXY\r\n",                                   // nothing
       }) {
    SCOPED_TRACE(in);
    expectNeverDone(in);
  }
}

TEST(ProxyProtocolV1Test, RejectsANonProxySpeakerOnItsFirstByte) {
  EXPECT_EQ(parseAll("G").state, State::Error);
  EXPECT_EQ(parseAll("GET / HTTP/1.1\r\n").state, State::Error);
  EXPECT_EQ(parseAll("\x16\x03\x01").state, State::Error); // a TLS ClientHello
  EXPECT_EQ(parseAll("PRI * HTTP/2.0").state, State::Error);
  // "PROXY G": the protocol field cannot start with G.
  EXPECT_EQ(parseAll("PROXY G").state, State::Error);
  EXPECT_EQ(parseAll("PROXY T").state, State::NeedMore);
}

// ---- v2 vectors ----

TEST(ProxyProtocolV2Test, ProxyTcp4) {
  std::string in = hex(kSig + "21 11 000c c0a80001 c0a8000b dc04 01bb");
  ASSERT_EQ(in.size(), 28u);
  auto r = parseAll(in + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(r.state, State::Done) << r.error;
  EXPECT_EQ(r.consumed, 28u);
  EXPECT_EQ(r.header.version, 2);
  EXPECT_FALSE(r.header.local);
  EXPECT_EQ(r.header.source, ep("192.168.0.1:56324"));
  EXPECT_EQ(r.header.destination, ep("192.168.0.11:443"));
  EXPECT_TRUE(r.header.authority.empty());
  expectDoneOnlyAtEnd(in + "GET", 28);
  expectDoneOnlyAtEnd(in, 28, Mode::V2);
}

TEST(ProxyProtocolV2Test, AsHaproxy26SendsIt) {
  // Captured from haproxy 2.6.12 (`server ... send-proxy-v2`, mode tcp), client 127.0.0.2.
  std::string in = hex(kSig + "2111000c 7f000002 7f000001 ddc8 98c8") + "GET http://example.test/";
  auto r = parseAll(in, Mode::V2);
  ASSERT_EQ(r.state, State::Done) << r.error;
  EXPECT_EQ(r.consumed, 28u);
  EXPECT_EQ(r.header.source, ep("127.0.0.2:56776"));
  EXPECT_EQ(r.header.destination, ep("127.0.0.1:39112"));
}

TEST(ProxyProtocolV2Test, LocalUsesSocketAddresses) {
  std::string in = hex(kSig + "20 00 0000");
  auto r = parseAll(in);
  ASSERT_EQ(r.state, State::Done) << r.error;
  EXPECT_TRUE(r.header.local);
  EXPECT_FALSE(r.header.source);
  EXPECT_EQ(r.consumed, 16u);
  expectDoneOnlyAtEnd(in, 16);
}

TEST(ProxyProtocolV2Test, LocalSkipsItsBlockWhateverItHolds) {
  // LOCAL with a family byte and a body that would be invalid for PROXY: skipped unread.
  std::string in = hex(kSig + "20 ff 0005 0102030405");
  auto r = parseAll(in + "GET");
  ASSERT_EQ(r.state, State::Done) << r.error;
  EXPECT_TRUE(r.header.local);
  EXPECT_EQ(r.consumed, 21u);
  expectDoneOnlyAtEnd(in + "GET", 21);
}

TEST(ProxyProtocolV2Test, ProxyTcp6) {
  std::string in = hex(kSig + "21 21 0024 20010db8000000000000000000000001 "
                              "20010db8000000000000000000000002 3039 01bb");
  auto r = parseAll(in);
  ASSERT_EQ(r.state, State::Done) << r.error;
  EXPECT_EQ(r.consumed, 52u);
  EXPECT_EQ(r.header.source, ep("[2001:db8::1]:12345"));
  EXPECT_EQ(r.header.destination, ep("[2001:db8::2]:443"));
  expectDoneOnlyAtEnd(in, 52);
}

TEST(ProxyProtocolV2Test, AuthorityTlvIsKept) {
  std::string in =
      hex(kSig + "21 11 001a c0a80001 c0a8000b dc04 01bb 02 000b 6578616d706c652e636f6d");
  auto r = parseAll(in);
  ASSERT_EQ(r.state, State::Done) << r.error;
  EXPECT_EQ(r.consumed, 16u + 0x1a);
  EXPECT_EQ(r.header.source, ep("192.168.0.1:56324"));
  EXPECT_EQ(r.header.authority, "example.com");
  expectDoneOnlyAtEnd(in, in.size());
}

TEST(ProxyProtocolV2Test, OtherTlvsAreSkipped) {
  // NOOP (04, 3 bytes), ALPN (01, "h2"), an unknown type (e0, empty), then AUTHORITY.
  std::string tlvs = "04 0003 000000 01 0002 6832 e0 0000 02 0001 61";
  std::string in = hex(kSig + "21 11 001e c0a80001 c0a8000b dc04 01bb " + tlvs);
  auto r = parseAll(in);
  ASSERT_EQ(r.state, State::Done) << r.error;
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_EQ(r.header.authority, "a");
}

TEST(ProxyProtocolV2Test, RejectsVersion3) {
  expectNeverDone(hex(kSig + "31 11 000c c0a80001 c0a8000b dc04 01bb"));
  EXPECT_EQ(parseAll(hex(kSig + "31")).state, State::Error); // at its 13th byte
}

TEST(ProxyProtocolV2Test, RejectsCommand2) {
  expectNeverDone(hex(kSig + "22 11 000c c0a80001 c0a8000b dc04 01bb"));
  EXPECT_EQ(parseAll(hex(kSig + "22")).state, State::Error);
}

TEST(ProxyProtocolV2Test, RejectsFamily4) {
  expectNeverDone(hex(kSig + "21 41 000c c0a80001 c0a8000b dc04 01bb"));
  EXPECT_EQ(parseAll(hex(kSig + "21 41")).state, State::Error);
}

TEST(ProxyProtocolV2Test, RejectsLengthShorterThanTheAddressBlock) {
  expectNeverDone(hex(kSig + "21 11 0008 c0a80001 c0a8000b"));
  expectNeverDone(hex(kSig + "21 21 000c c0a80001 c0a8000b dc04 01bb"));
  // Known from the fixed part alone: no need to wait for the body.
  EXPECT_EQ(parseAll(hex(kSig + "21 11 0008")).state, State::Error);
}

TEST(ProxyProtocolV2Test, RejectsOversizedLength) {
  EXPECT_EQ(parseAll(hex(kSig + "21 11 ffff")).state, State::Error);
}

TEST(ProxyProtocolV2Test, RejectsUnlistedFamilyTransportPairs) {
  for (const char* fam : {"10", "20", "01", "13", "23", "33"}) {
    SCOPED_TRACE(fam);
    EXPECT_EQ(parseAll(hex(kSig + "21 " + fam)).state, State::Error);
  }
}

TEST(ProxyProtocolV2Test, RejectsDatagramOnAStreamConnection) {
  expectNeverDone(hex(kSig + "21 12 000c c0a80001 c0a8000b dc04 01bb"));
}

TEST(ProxyProtocolV2Test, RejectsTruncatedTlvs) {
  expectNeverDone(hex(kSig + "21 11 000e c0a80001 c0a8000b dc04 01bb 02 00"));
  expectNeverDone(hex(kSig + "21 11 0010 c0a80001 c0a8000b dc04 01bb 02 0005 61"));
}

TEST(ProxyProtocolV2Test, RejectsControlCharactersInAuthority) {
  expectNeverDone(hex(kSig + "21 11 0011 c0a80001 c0a8000b dc04 01bb 02 0002 610a"));
}

TEST(ProxyProtocolV2Test, UnixAndUnspecAreLocal) {
  std::string unix = hex(kSig + "21 31 00d8") + std::string(216, '\0');
  auto r = parseAll(unix);
  ASSERT_EQ(r.state, State::Done) << r.error;
  EXPECT_TRUE(r.header.local);
  EXPECT_EQ(r.consumed, 16u + 216);
  expectNeverDone(hex(kSig + "21 31 0010") + std::string(16, '\0')); // shorter than 216

  auto u = parseAll(hex(kSig + "21 00 0004 01020304"));
  ASSERT_EQ(u.state, State::Done) << u.error;
  EXPECT_TRUE(u.header.local);
  EXPECT_EQ(u.consumed, 20u);
}

TEST(ProxyProtocolV2Test, RejectsAGarbledSignatureAtTheFirstWrongByte) {
  std::string sig = hex(kSig);
  for (size_t i = 1; i < sig.size(); ++i) {
    std::string bad = sig.substr(0, i + 1);
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    EXPECT_EQ(parseAll(bad).state, State::Error) << "byte " << i;
    EXPECT_EQ(parseAll(sig.substr(0, i)).state, State::NeedMore) << "byte " << i;
  }
}

// ---- modes ----

TEST(ProxyProtocolModeTest, V1ListenerRefusesV2AndViceVersa) {
  std::string v1 = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
  std::string v2 = hex(kSig + "21 11 000c c0a80001 c0a8000b dc04 01bb");
  EXPECT_EQ(parseAll(v1, Mode::V1).state, State::Done);
  EXPECT_EQ(parseAll(v2, Mode::V1).state, State::Error);
  EXPECT_EQ(parseAll(v2, Mode::V2).state, State::Done);
  EXPECT_EQ(parseAll(v1, Mode::V2).state, State::Error);
  EXPECT_EQ(parseAll(v1, Mode::Any).state, State::Done);
  EXPECT_EQ(parseAll(v2, Mode::Any).state, State::Done);
  EXPECT_EQ(parseAll(v1, Mode::Off).state, State::Error);
  // The rejection comes on the first byte.
  EXPECT_EQ(parseAll("P", Mode::V2).state, State::Error);
  EXPECT_EQ(parseAll("\r", Mode::V1).state, State::Error);
}

TEST(ProxyProtocolModeTest, MapsTheListenerSetting) {
  EXPECT_EQ(proxyProtocolMode(ProxyProtocol::Off), Mode::Off);
  EXPECT_EQ(proxyProtocolMode(ProxyProtocol::V1), Mode::V1);
  EXPECT_EQ(proxyProtocolMode(ProxyProtocol::V2), Mode::V2);
  EXPECT_EQ(proxyProtocolMode(ProxyProtocol::Any), Mode::Any);
}

TEST(ProxyProtocolModeTest, EmptyInputNeedsMore) { EXPECT_EQ(parseAll("").state, State::NeedMore); }

TEST(ProxyProtocolModeTest, StateIsStickyAfterDoneOrError) {
  ProxyProtocolParser p(Mode::Any);
  ASSERT_EQ(p.parse("PROXY UNKNOWN\r\n"), State::Done);
  EXPECT_EQ(p.parse("garbage"), State::Done);
  EXPECT_EQ(p.consumed(), 15u);
  ProxyProtocolParser q(Mode::Any);
  ASSERT_EQ(q.parse("X"), State::Error);
  EXPECT_EQ(q.parse("PROXY UNKNOWN\r\n"), State::Error);
}

} // namespace
} // namespace exaproxy::net
