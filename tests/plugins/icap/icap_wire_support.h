// What the icap_core unit tests share: the examples of RFC 3507 (§4.8.3, §4.9.3, §4.10.2) laid
// out with their lengths recounted, and helpers that parse heads and chunked bodies both all at
// once and byte by byte (and check that both agree).
#pragma once

#include "icap_wire.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::icap::test {

// ---- RFC 3507 examples, one line per string so the counts can be checked by eye ----

// §4.8.3, the first REQMOD request: a GET without body (req-hdr=0, null-body=170).
inline const std::string kGetHead = "GET / HTTP/1.1\r\n"
                                    "Host: www.origin-server.com\r\n"
                                    "Accept: text/html, text/plain\r\n"
                                    "Accept-Encoding: compress\r\n"
                                    "Cookie: ff39fk3jur@4ii0e02i\r\n"
                                    "If-None-Match: \"xyzzy\", \"r2d2xxxx\"\r\n"
                                    "\r\n";

// §4.8.3, the server's answer to it: a modified request (req-hdr=0, null-body=231).
inline const std::string kModifiedGetHead =
    "GET /modified-path HTTP/1.1\r\n"
    "Host: www.origin-server.com\r\n"
    "Via: 1.0 icap-server.net (ICAP Example ReqMod Service 1.1)\r\n"
    "Accept: text/html, text/plain, image/gif\r\n"
    "Accept-Encoding: gzip, compress\r\n"
    "If-None-Match: \"xyzzy\", \"r2d2xxxx\"\r\n"
    "\r\n";

inline const std::string kReqmodAnswer = "ICAP/1.0 200 OK\r\n"
                                         "Date: Mon, 10 Jan 2000  09:55:21 GMT\r\n"
                                         "Server: ICAP-Server-Software/1.0\r\n"
                                         "Connection: close\r\n"
                                         "ISTag: \"W3E4R7U9-L2E4-2\"\r\n"
                                         "Encapsulated: req-hdr=0, null-body=231\r\n"
                                         "\r\n";

// §4.8.3, the second REQMOD request: a POST with a body (req-hdr=0, req-body=147).
inline const std::string kPostHead = "POST /origin-resource/form.pl HTTP/1.1\r\n"
                                     "Host: www.origin-server.com\r\n"
                                     "Accept: text/html, text/plain\r\n"
                                     "Accept-Encoding: compress\r\n"
                                     "Pragma: no-cache\r\n"
                                     "\r\n";
inline const std::string kPostBody = "I am posting this information.";

// §4.9.3, the RESPMOD request (req-hdr=0, res-hdr=137, res-body=296).
inline const std::string kOriginRequestHead = "GET /origin-resource HTTP/1.1\r\n"
                                              "Host: www.origin-server.com\r\n"
                                              "Accept: text/html, text/plain, image/gif\r\n"
                                              "Accept-Encoding: gzip, compress\r\n"
                                              "\r\n";
inline const std::string kOriginResponseHead = "HTTP/1.1 200 OK\r\n"
                                               "Date: Mon, 10 Jan 2000 09:52:22 GMT\r\n"
                                               "Server: Apache/1.3.6 (Unix)\r\n"
                                               "ETag: \"63840-1ab7-378d415b\"\r\n"
                                               "Content-Type: text/html\r\n"
                                               "Content-Length: 51\r\n"
                                               "\r\n";
inline const std::string kOriginBody = "This is data that was returned by an origin server.";

// §4.9.3, the server's answer (res-hdr=0, res-body=222).
inline const std::string kAdaptedResponseHead =
    "HTTP/1.1 200 OK\r\n"
    "Date: Mon, 10 Jan 2000  09:55:21 GMT\r\n"
    "Via: 1.0 icap.example.org (ICAP Example RespMod Service 1.1)\r\n"
    "Server: Apache/1.3.6 (Unix)\r\n"
    "ETag: \"63840-1ab7-378d415b\"\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 92\r\n"
    "\r\n";
inline const std::string kRespmodAnswer = "ICAP/1.0 200 OK\r\n"
                                          "Date: Mon, 10 Jan 2000  09:55:21 GMT\r\n"
                                          "Server: ICAP-Server-Software/1.0\r\n"
                                          "Connection: close\r\n"
                                          "ISTag: \"W3E4R7U9-L2E4-2\"\r\n"
                                          "Encapsulated: res-hdr=0, res-body=222\r\n"
                                          "\r\n";
// The RFC prints this chunk's size as "5d" (93), but the text is 92 bytes (0x5c), as its
// Content-Length says: the example miscounts. The corrected size is used here; the test
// RejectsTheRfcMiscountedChunk checks that the printed one is refused, not silently accepted.
inline const std::string kAdaptedBody =
    "This is data that was returned by an origin server, but with\r\n"
    "value added by an ICAP server.";
inline const std::string kAdaptedBodyChunked = "5c\r\n" + kAdaptedBody + "\r\n0\r\n\r\n";

// §4.10.2, the OPTIONS answer.
inline const std::string kOptionsAnswer = "ICAP/1.0 200 OK\r\n"
                                          "Date: Mon, 10 Jan 2000  09:55:21 GMT\r\n"
                                          "Methods: RESPMOD\r\n"
                                          "Service: FOO Tech Server 1.0\r\n"
                                          "ISTag: \"W3E4R7U9-L2E4-2\"\r\n"
                                          "Encapsulated: null-body=0\r\n"
                                          "Max-Connections: 1000\r\n"
                                          "Options-TTL: 7200\r\n"
                                          "Allow: 204\r\n"
                                          "Preview: 2048\r\n"
                                          "Transfer-Complete: asp, bat, exe, com\r\n"
                                          "Transfer-Ignore: html\r\n"
                                          "Transfer-Preview: *\r\n"
                                          "\r\n";

// ---- helpers ----

struct HeadOutcome {
  ParseStatus status = ParseStatus::NeedMore;
  size_t consumed = 0;
  std::string error;
  ResponseHead head;
};

inline HeadOutcome parseHeadAtOnce(std::string_view bytes, HeadLimits limits = {}) {
  ResponseHeadParser p(limits);
  Progress pr = p.feed(bytes);
  return {pr.status, pr.consumed, p.error(), p.head()};
}

inline HeadOutcome parseHeadByteByByte(std::string_view bytes, HeadLimits limits = {}) {
  ResponseHeadParser p(limits);
  size_t consumed = 0;
  for (size_t i = 0; i < bytes.size() && p.status() == ParseStatus::NeedMore; ++i)
    consumed += p.feed(bytes.substr(i, 1)).consumed;
  return {p.status(), consumed, p.error(), p.head()};
}

// Parses `bytes` both ways, checks they agree, returns the all-at-once outcome.
inline HeadOutcome parseHead(std::string_view bytes, HeadLimits limits = {}) {
  HeadOutcome once = parseHeadAtOnce(bytes, limits);
  HeadOutcome bytewise = parseHeadByteByByte(bytes, limits);
  EXPECT_EQ(once.status, bytewise.status);
  EXPECT_EQ(once.consumed, bytewise.consumed);
  EXPECT_EQ(once.error, bytewise.error);
  EXPECT_EQ(once.head.status, bytewise.head.status);
  EXPECT_EQ(once.head.fields, bytewise.head.fields);
  EXPECT_EQ(once.head.encapsulated, bytewise.head.encapsulated);
  return once;
}

inline std::string headError(std::string_view bytes, HeadLimits limits = {}) {
  HeadOutcome o = parseHead(bytes, limits);
  EXPECT_EQ(o.status, ParseStatus::Error) << bytes;
  return o.error;
}

struct ChunkOutcome {
  ParseStatus status = ParseStatus::NeedMore;
  size_t consumed = 0;
  std::string data;
  bool ieof = false;
  std::string error;
};

inline ChunkOutcome decodeAtOnce(std::string_view bytes, ChunkedLimits limits = {}) {
  ChunkedDecoder d(limits);
  ChunkOutcome o;
  Progress p = d.feed(bytes, o.data);
  o.status = p.status;
  o.consumed = p.consumed;
  o.ieof = d.ieof();
  o.error = d.error();
  return o;
}

inline ChunkOutcome decodeByteByByte(std::string_view bytes, ChunkedLimits limits = {}) {
  ChunkedDecoder d(limits);
  ChunkOutcome o;
  for (size_t i = 0; i < bytes.size() && d.status() == ParseStatus::NeedMore; ++i)
    o.consumed += d.feed(bytes.substr(i, 1), o.data).consumed;
  o.status = d.status();
  o.ieof = d.ieof();
  o.error = d.error();
  return o;
}

inline ChunkOutcome decode(std::string_view bytes, ChunkedLimits limits = {}) {
  ChunkOutcome once = decodeAtOnce(bytes, limits);
  ChunkOutcome bytewise = decodeByteByByte(bytes, limits);
  EXPECT_EQ(once.status, bytewise.status);
  EXPECT_EQ(once.consumed, bytewise.consumed);
  EXPECT_EQ(once.data, bytewise.data);
  EXPECT_EQ(once.ieof, bytewise.ieof);
  EXPECT_EQ(once.error, bytewise.error);
  return once;
}

inline std::string chunkError(std::string_view bytes, ChunkedLimits limits = {}) {
  ChunkOutcome o = decode(bytes, limits);
  EXPECT_EQ(o.status, ParseStatus::Error) << bytes;
  return o.error;
}

inline std::string encapsulatedError(std::string_view value) {
  Result<Encapsulated> r = parseEncapsulated(value);
  EXPECT_FALSE(r.ok()) << value;
  return r ? std::string() : r.error();
}

inline bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

} // namespace exaproxy::icap::test
