// PROXY protocol v1 (text) and v2 (binary) header parser (haproxy doc/proxy-protocol.txt;
// PROTOCOLS.md §3.3). Pure: it reads bytes the session already buffered and owns no socket. The
// session feeds it the whole unconsumed input after each read until it says Done or Error; on Done
// the first consumed() bytes are the header and HTTP starts right after them.
//
// Rejection is early: as soon as the bytes seen cannot begin a valid header for the configured
// mode, parse() says Error, so a client that does not speak PROXY is closed at once instead of
// waiting for a timeout.
#pragma once

#include "core/ip_address.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace exaproxy {
enum class ProxyProtocol; // core/config.h: the listener's proxy_protocol key
}

namespace exaproxy::net {

// Which header versions a listener accepts. Off never reaches the parser (the session skips it);
// a parser made with Off rejects everything.
enum class ProxyProtocolMode { Off, V1, V2, Any };

// The listener's configured mode (ListenerConfig::proxyProtocol) as the parser's.
ProxyProtocolMode proxyProtocolMode(ProxyProtocol configured);

struct ProxyHeader {
  // v2 LOCAL, v2 UNSPEC/UNIX family, or v1 UNKNOWN: the sender speaks for itself (a health check)
  // and the socket's own addresses apply; source/destination are then empty.
  bool local = false;
  std::optional<Endpoint> source;      // the client as the sender saw it
  std::optional<Endpoint> destination; // the address the client connected to
  std::string authority;               // v2 TLV 0x02 (SNI or Host), empty if absent
  int version = 0;                     // 1 or 2 once Done
};

enum class ProxyParseState {
  NeedMore, // a valid prefix so far: read more and call parse() again with the longer input
  Done,     // header() is complete; consumed() bytes belong to it
  Error     // error() says why; close the connection
};

class ProxyProtocolParser {
public:
  // The v1 limit, CRLF included ("a 108-byte buffer holds it" with its NUL).
  static constexpr size_t kMaxV1 = 107;
  // The v2 fixed part: 12-byte signature, version/command, family/transport, 2-byte length.
  static constexpr size_t kV2Fixed = 16;
  // The largest v2 header we accept: fixed part + UNIX addresses (216) + TLVs. The length field
  // allows 64 KiB; a real sender with TLVs (SSL, unique id, authority) stays far below this.
  static constexpr size_t kMaxV2 = 4096;

  explicit ProxyProtocolParser(ProxyProtocolMode mode) : mode_(mode) {}

  // `buffered` is the whole unconsumed input from the start of the connection (it may grow
  // between calls; earlier bytes must not change). Idempotent once Done or Error.
  ProxyParseState parse(std::string_view buffered);

  size_t consumed() const { return consumed_; }
  const ProxyHeader& header() const { return header_; }
  const std::string& error() const { return error_; }
  ProxyParseState state() const { return state_; }

private:
  ProxyParseState parseV1(std::string_view in);
  ProxyParseState parseV2(std::string_view in);
  ProxyParseState v2Addresses(std::string_view body, uint8_t family);
  ProxyParseState v2Tlvs(std::string_view tlvs);
  ProxyParseState fail(std::string why);
  ProxyParseState done(size_t n);

  ProxyProtocolMode mode_;
  ProxyParseState state_ = ProxyParseState::NeedMore;
  size_t consumed_ = 0;
  ProxyHeader header_;
  std::string error_;
};

} // namespace exaproxy::net
