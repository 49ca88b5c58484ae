// RequestParser: strict, incremental HTTP/1.x request-head parser for a forward proxy
// (RFC 9112 + the anti-smuggling rules of docs PROTOCOLS.md §4.4). It knows no sockets: the caller
// hands it every unconsumed byte received so far and drops consumed() bytes once a head is
// Complete.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/header_map.h"
#include "http/line_scanner.h"

namespace exaproxy::http {

// The longest method accepted: four times the longest registered one (UPDATEREDIRECTREF, 17).
// A longer token is refused (400) as soon as it is seen, like an over-long target (414).
constexpr size_t kMaxMethod = 64;

struct Limits {
  size_t maxHead = 64 * 1024;
  size_t maxUri = 8 * 1024;
};

enum class Framing { None, ContentLength, Chunked, UntilClose };
enum class TargetForm { Origin, Absolute, Authority, Asterisk };

struct RequestHead {
  std::string raw; // owns the head bytes (request line through the empty line); views point into it
  std::string_view method, target; // as received
  int versionMajor = 1, versionMinor = 1;
  HeaderMap headers;
  TargetForm form = TargetForm::Origin;
  std::string scheme; // lowercase; "http" for absolute-form http URLs, empty otherwise
  std::string host;   // lowercase; IPv6 literal without brackets
  uint16_t port = 0;  // explicit port, or 80 for http absolute-form / Host without port
  bool explicitPort = false;
  std::string pathAndQuery; // origin-form for upstream; "*" for asterisk-form; empty for CONNECT
  Framing framing = Framing::None; // None, ContentLength or Chunked
  uint64_t contentLength = 0;
  bool keepAlive = true;
  bool expectContinue = false;
  std::optional<int64_t> maxForwards;
  bool upgradeWebsocket = false;

  RequestHead() = default;
  // Copies and moves keep method/target/headers pointing into their own `raw`.
  RequestHead(const RequestHead& other);
  RequestHead& operator=(const RequestHead& other);
  RequestHead(RequestHead&& other) noexcept;
  RequestHead& operator=(RequestHead&& other) noexcept;
  ~RequestHead() = default;

  bool isConnect() const;
  bool isHead() const;
  bool isHttp11() const { return versionMajor == 1 && versionMinor == 1; }
  // For logs: "http://host[:port]/path" or "host:port" (CONNECT); brackets around IPv6.
  std::string url() const;
  // "host" or "[v6]", plus ":port" unless the port is 80 (or omitDefault is false): the upstream
  // Host value.
  std::string hostPort(bool omitDefault = true) const;
  // The same texts appended to `out` (no temporary string).
  void appendUrl(std::string& out) const;
  void appendHostPort(std::string& out, bool omitDefault = true) const;
  // Back to a default-constructed head, keeping the capacity of its strings and header map (a
  // recycled transaction parses its next request into it without allocating).
  void clear();
};

struct ParseError {
  int status = 0;     // 400, 414, 417, 431, 501, 505 (502 for responses)
  std::string reason; // short, log-friendly
};

enum class ParseState { NeedMore, Complete, Error };

class RequestParser {
public:
  explicit RequestParser(Limits limits = {});

  // `buffer` is all unconsumed bytes received so far (it grows between calls; scanning resumes
  // where it stopped, so repeated calls are O(n) overall). On Complete `out` is filled and
  // consumed() bytes (leading empty lines + head) may be dropped from the buffer. After Error,
  // error() says why; the parser stays in Error until reset().
  ParseState parse(std::string_view buffer, RequestHead& out);
  size_t consumed() const { return consumed_; }
  const ParseError& error() const { return error_; }
  void reset();
  // reset() with new limits (a recycled parser after a configuration change).
  void reset(Limits limits) {
    limits_ = limits;
    reset();
  }

private:
  struct FieldOffsets {
    size_t nameBegin, nameLen, valueBegin, valueLen;
  };

  ParseState fail(int status, std::string reason);
  bool parseRequestLine(std::string_view line, size_t lineBegin);
  bool parseFieldLine(std::string_view line, size_t lineBegin);
  bool tooLongMethod(std::string_view buf) const;
  bool tooLongTarget(std::string_view buffer);
  ParseState finish(std::string_view buffer, size_t headEnd, RequestHead& out);
  bool analyze(RequestHead& out);
  bool analyzeTarget(RequestHead& out);
  bool unambiguousHost(const RequestHead& out);
  bool analyzeFraming(RequestHead& out);

  Limits limits_;
  enum class Phase { Leading, RequestLine, Fields, Done, Failed } phase_ = Phase::Leading;
  size_t headStart_ = 0;
  size_t consumed_ = 0;
  // Request-line pieces, as offsets into the caller's buffer.
  size_t methodBegin_ = 0, methodLen_ = 0, targetBegin_ = 0, targetLen_ = 0;
  int major_ = 1, minor_ = 1;
  // Used only while the request line is incomplete, for the early 414.
  size_t firstSpace_ = std::string_view::npos;
  size_t spaceScan_ = 0;
  bool badMethod_ = false;
  std::vector<FieldOffsets> fields_; // capacity reused across requests
  LineScanner scanner_;
  ParseError error_;
};

} // namespace exaproxy::http
