// ResponseParser: strict, incremental HTTP/1.x response-head parser for what upstream servers send.
// Same buffer contract as RequestParser. Every error is a 502 for the client: a proxy must not
// relay a response it cannot frame exactly (PROTOCOLS.md §4.4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/header_map.h"
#include "http/line_scanner.h"
#include "http/request_parser.h"

namespace exaproxy::http {

struct ResponseHead {
  std::string raw; // owns the head bytes (status line through the empty line); views point into it
  int versionMajor = 1, versionMinor = 1;
  int status = 0;
  std::string_view reason;
  HeaderMap headers;
  Framing framing = Framing::None;
  uint64_t contentLength = 0;
  bool keepAlive = true;

  ResponseHead() = default;
  // Copies and moves keep reason/headers pointing into their own `raw`.
  ResponseHead(const ResponseHead& other);
  ResponseHead& operator=(const ResponseHead& other);
  ResponseHead(ResponseHead&& other) noexcept;
  ResponseHead& operator=(ResponseHead&& other) noexcept;
  ~ResponseHead() = default;

  bool isInterim() const { return status >= 100 && status < 200; }
  // Back to a default-constructed head, keeping the capacity of `raw` and of the header map.
  void clear();
};

class ResponseParser {
public:
  explicit ResponseParser(size_t maxHead = 64 * 1024);

  // `requestMethod` decides bodiless responses (HEAD) and tunnels (2xx to CONNECT).
  ParseState parse(std::string_view buffer, std::string_view requestMethod, ResponseHead& out);
  size_t consumed() const { return consumed_; }
  const ParseError& error() const { return error_; }
  void reset();

private:
  struct FieldOffsets {
    size_t nameBegin, nameLen, valueBegin, valueLen;
  };

  ParseState fail(std::string reason);
  bool parseStatusLine(std::string_view line);
  bool parseFieldLine(std::string_view line, size_t lineBegin);
  ParseState finish(std::string_view buf, size_t headEnd, std::string_view method,
                    ResponseHead& out);
  bool analyzeFraming(std::string_view method, ResponseHead& out);

  size_t maxHead_;
  enum class Phase { Leading, StatusLine, Fields, Done, Failed } phase_ = Phase::Leading;
  size_t headStart_ = 0;
  size_t consumed_ = 0;
  int major_ = 1, minor_ = 1, status_ = 0;
  size_t reasonBegin_ = 0, reasonLen_ = 0;
  std::vector<FieldOffsets> fields_;
  LineScanner scanner_;
  ParseError error_;
};

} // namespace exaproxy::http
