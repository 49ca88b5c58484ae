// The original ExaProxy's ICAP-shaped dialect on the helper's stdin/stdout (EXAPROXY.md §2b).
// Request: "REQMOD icap://<service> ICAP/1.0", Host, Pragma: key=value lines, Encapsulated (last),
// a blank line, then the request head. Replies (lines may end in LF or CRLF):
//   ICAP/1.0 204 ...                      allow unchanged
//   200 + req-hdr (null-body)             replace the request head (URL, headers; Host follows)
//   200 + req-hdr "CONNECT host:port ..." connect there instead (request unchanged)
//   200 + req-hdr "GET file://name ..."   answer with a file of the `files` directory
//   200 + res-hdr [+ res-body, chunked]   send that response to the client
//   any other status                      allow (as the original did)
// The encapsulated part is always read whole (last Encapsulated offset, then the chunked body),
// so an answer that is ignored never desynchronises the stream.
#pragma once

#include "helper_protocol.h"

#include <filesystem>
#include <string_view>
#include <vector>

namespace exaproxy::redirector {

// One parsed ICAP reply.
struct IcapMessage {
  int code = 0;
  HeaderList headers;
  std::vector<std::pair<std::string, size_t>> encapsulated; // Encapsulated elements in order
  std::string sections; // the encapsulated header bytes (offsets index into this)
  std::string body;     // the de-chunked body (res-body / req-body), if any
  bool hasBody = false;
};

// Parses one ICAP reply at the front of buf. Complete: msg filled, consumed = its length
// (leading blank lines included).
FrameStatus parseIcapMessage(std::string_view buf, IcapMessage& msg, size_t& consumed);

// The header edits that turn `from` into `to` (names compared case-insensitively; Host,
// Content-Length and Transfer-Encoding are the host's and never edited).
std::vector<HeaderOp> diffHeaders(const HeaderList& from, const HeaderList& to);

class IcapProtocol final : public HelperProtocol {
public:
  IcapProtocol(std::string service, std::filesystem::path files)
      : service_(std::move(service)), files_(std::move(files)) {}

  std::string encode(const RequestInfo& req, std::optional<uint64_t> channel) const override;
  FrameStatus frame(std::string& buffer, std::string& answer) const override;
  Decision decide(const RawReply& reply, const RequestInfo& req) const override;

  Decision decideMessage(const IcapMessage& msg, const RequestInfo& req) const;

private:
  std::string service_;
  std::filesystem::path files_;
};

} // namespace exaproxy::redirector
