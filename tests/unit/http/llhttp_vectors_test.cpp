// Vectors derived from the nodejs/llhttp test fixtures (test/request/*.md, test/response/*.md; MIT,
// Copyright Fedor Indutny): each fixture's bytes as a literal, llhttp's verdict on the first
// message
// ('A' completed, 'R' error, 'I' waiting for more), and ours. HTTP/1.1 fixtures without Host got a
// "Host: h.test" line (+Host in the name) since Host is mandatory here. Where ours differs from
// llhttp's, `note` says why; fixtures from lenient-* modes list what we must not allow.
#include <gtest/gtest.h>

#include <span>
#include <string>
#include <string_view>

#include "http/chunked.h"
#include "http/request_parser.h"
#include "http/response_parser.h"

namespace exaproxy::http {
namespace {

#define SV(s) std::string_view(s, sizeof(s) - 1)

struct Vector {
  const char* name;
  std::string_view input;
  char llhttp;      // 'A', 'R', 'I'
  bool lenient;     // from an llhttp lenient mode
  int expected;     // 0 accepted, -1 needs more, else the error status
  const char* note; // why we differ from llhttp, if we do
};

const Vector kRequests[] = {
    {"connection.md: Setting flag (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"connection.md: Restarting when keep-alive is explicitly (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"
        "PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"connection.md: No restart when keep-alive is off (1.0) (+Host)",
     SV("PUT /url HTTP/1.0\r\n"
        "\r\n"
        "PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"connection.md: Resetting flags when keep-alive is off (1.0, lenient) (+Host)",
     SV("PUT /url HTTP/1.0\r\n"
        "Content-Length: 0\r\n"
        "\r\n"
        "PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"),
     'A', true, 0, "leniency concerns connection reuse after the message, not its parsing"},
    {"connection.md: CRLF between requests, implicit `keep-alive`",
     SV("POST / HTTP/1.1\r\n"
        "Host: www.example.com\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 4\r\n"
        "\r\n"
        "q=42\r\n"
        "\r\n"
        "GET / HTTP/1.1"),
     'A', false, 0, ""},
    {"connection.md: Not treating `\\r` as `-` (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: keep\ralive\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"connection.md: Setting flag on `close` (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: close\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"connection.md: Setting flag on `close` followed by tab (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: close\t\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"connection.md: CRLF between requests, explicit `close`",
     SV("POST / HTTP/1.1\r\n"
        "Host: www.example.com\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 4\r\n"
        "Connection: close\r\n"
        "\r\n"
        "q=42\r\n"
        "\r\n"
        "GET / HTTP/1.1"),
     'A', false, 0, ""},
    {"connection.md: CRLF between requests, explicit `close` followed by tab",
     SV("POST / HTTP/1.1\r\n"
        "Host: www.example.com\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 4\r\n"
        "Connection: close\t\r\n"
        "\r\n"
        "q=42\r\n"
        "\r\n"
        "GET / HTTP/1.1"),
     'A', false, 0, ""},
    {"connection.md: CRLF between requests, explicit `close` (lenient)",
     SV("POST / HTTP/1.1\r\n"
        "Host: www.example.com\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 4\r\n"
        "Connection: close\r\n"
        "\r\n"
        "q=42\r\n"
        "\r\n"
        "GET / HTTP/1.1"),
     'A', true, 0, "leniency concerns connection reuse after the message, not its parsing"},
    {"connection.md: Sample (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: close, token, upgrade, token, keep-alive\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"connection.md: Multiple tokens with folding",
     SV("GET /demo HTTP/1.1\r\n"
        "Host: example.com\r\n"
        "Connection: Something,\r\n"
        " Upgrade, ,Keep-Alive\r\n"
        "Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n"
        "Sec-WebSocket-Protocol: sample\r\n"
        "Upgrade: WebSocket\r\n"
        "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
        "Origin: http://example.com\r\n"
        "\r\n"
        "Hot diggity dogg"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"connection.md: Multiple tokens with folding and LWS (+Host)",
     SV("GET /demo HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: keep-alive, upgrade\r\n"
        "Upgrade: WebSocket\r\n"
        "\r\n"
        "Hot diggity dogg"),
     'A', false, 0, ""},
    {"connection.md: Multiple tokens with folding, LWS, and CRLF (+Host)",
     SV("GET /demo HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: keep-alive, \r\n"
        " upgrade\r\n"
        "Upgrade: WebSocket\r\n"
        "\r\n"
        "Hot diggity dogg"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"connection.md: Invalid whitespace token with `Connection` header field (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection : upgrade\r\n"
        "Content-Length: 4\r\n"
        "Upgrade: ws\r\n"
        "\r\n"
        "abcdefgh"),
     'R', false, 400, ""},
    {"connection.md: Invalid whitespace token with `Connection` header field (lenient) (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection : upgrade\r\n"
        "Content-Length: 4\r\n"
        "Upgrade: ws\r\n"
        "\r\n"
        "abcdefgh"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"connection.md: Setting a flag and pausing (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: upgrade\r\n"
        "Upgrade: ws\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"connection.md: Emitting part of body and pausing (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: upgrade\r\n"
        "Content-Length: 4\r\n"
        "Upgrade: ws\r\n"
        "\r\n"
        "abcdefgh"),
     'A', false, 0, ""},
    {"connection.md: Upgrade GET request",
     SV("GET /demo HTTP/1.1\r\n"
        "Host: example.com\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n"
        "Sec-WebSocket-Protocol: sample\r\n"
        "Upgrade: WebSocket\r\n"
        "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
        "Origin: http://example.com\r\n"
        "\r\n"
        "Hot diggity dogg"),
     'A', false, 0, ""},
    {"connection.md: Upgrade POST request",
     SV("POST /demo HTTP/1.1\r\n"
        "Host: example.com\r\n"
        "Connection: Upgrade\r\n"
        "Upgrade: HTTP/2.0\r\n"
        "Content-Length: 15\r\n"
        "\r\n"
        "sweet post bodyHot diggity dogg"),
     'A', false, 0, ""},
    {"content-length.md: `Content-Length` with zeroes (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 003\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"content-length.md: `Content-Length` with follow-up headers (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 003\r\n"
        "Ohai: world\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"content-length.md: Error on `Content-Length` overflow (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 1000000000000000000000\r\n"),
     'R', false, -1, "rejected once the head ends (see the completed variant)"},
    {"content-length.md: Error on `Content-Length` overflow (+Host) (completed)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 1000000000000000000000\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"content-length.md: Error on duplicate `Content-Length` (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 1\r\n"
        "Content-Length: 2\r\n"),
     'R', false, -1, "rejected once the head ends (see the completed variant)"},
    {"content-length.md: Error on duplicate `Content-Length` (+Host) (completed)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 1\r\n"
        "Content-Length: 2\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"content-length.md: Error on simultaneous `Content-Length` and `Transfer-Encoding: identity` "
     "(+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 1\r\n"
        "Transfer-Encoding: identity\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"content-length.md: Invalid whitespace token with `Content-Length` header field (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: upgrade\r\n"
        "Content-Length : 4\r\n"
        "Upgrade: ws\r\n"
        "\r\n"
        "abcdefgh"),
     'R', false, 400, ""},
    {"content-length.md: Invalid whitespace token with `Content-Length` header field (lenient) "
     "(+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Connection: upgrade\r\n"
        "Content-Length : 4\r\n"
        "Upgrade: ws\r\n"
        "\r\n"
        "abcdefgh"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"content-length.md: No error on simultaneous `Content-Length` and `Transfer-Encoding: "
     "identity` (lenient) (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 1\r\n"
        "Transfer-Encoding: identity\r\n"
        "\r\n"),
     'I', true, 400, "lenient in llhttp: refused here"},
    {"content-length.md: Funky `Content-Length` with body",
     SV("GET /get_funky_content_length_body_hello HTTP/1.0\r\n"
        "conTENT-Length: 5\r\n"
        "\r\n"
        "HELLO"),
     'A', false, 0, ""},
    {"content-length.md: Spaces in `Content-Length` (surrounding) (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length:  42 \r\n"
        "\r\n"),
     'I', false, -1, ""},
    {"content-length.md: Tabs in `Content-Length` (surrounding) (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length:\t42\t  \r\n"
        "\r\n"),
     'I', false, -1, ""},
    {"content-length.md: Spaces in `Content-Length` #2 (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 4 2\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"content-length.md: Spaces in `Content-Length` #3 (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 13 37\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"content-length.md: Empty `Content-Length` (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length:\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"content-length.md: `Content-Length` with CR instead of dash (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content\rLength: 003\r\n"
        "\r\n"
        "abc"),
     'R', false, 400, ""},
    {"content-length.md: Content-Length reset when no body is received (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 123\r\n"
        "\r\n"
        "POST /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 456\r\n"
        "\r\n"),
     'A', false, -1, "the second request is the first one's body: waits for 123 bytes"},
    {"content-length.md: Missing CRLF-CRLF before body (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 3\r\n"
        "\rabc"),
     'R', false, 400, ""},
    {"content-length.md: Missing CRLF-CRLF before body (lenient) (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 3\r\n"
        "\rabc"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"finish.md: It should be safe to finish after GET request (+Host)",
     SV("GET / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"finish.md: It should be unsafe to finish after incomplete PUT request (+Host)",
     SV("PUT / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 100\r\n"),
     'I', false, -1, ""},
    {"finish.md: It should be unsafe to finish inside of the header (+Host)",
     SV("PUT / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Leng"),
     'I', false, -1, ""},
    {"invalid.md: ICE protocol and GET method",
     SV("GET /music/sweet/music ICE/1.0\r\n"
        "Host: example.com\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"invalid.md: ICE protocol, but not really",
     SV("GET /music/sweet/music IHTTP/1.0\r\n"
        "Host: example.com\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"invalid.md: RTSP protocol and PUT method",
     SV("PUT /music/sweet/music RTSP/1.0\r\n"
        "Host: example.com\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"invalid.md: HTTP protocol and ANNOUNCE method",
     SV("ANNOUNCE /music/sweet/music HTTP/1.0\r\n"
        "Host: example.com\r\n"
        "\r\n"),
     'R', false, 0, "methods are extensible: any token is accepted"},
    {"invalid.md: Headers separated by CR (+Host)",
     SV("GET / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Foo: 1\rBar: 2\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Headers separated by LF",
     SV("POST / HTTP/1.1\r\n"
        "Host: localhost:5000\r\n"
        "x:x\nTransfer-Encoding: chunked\r\n"
        "\r\n"
        "1\r\n"
        "A\r\n"
        "0\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Headers separated by dummy characters",
     SV("GET / HTTP/1.1\r\n"
        "Connection: close\r\n"
        "Host: a\r\n"
        "\rZGET /evil: HTTP/1.1\r\n"
        "Host: a\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Headers separated by dummy characters (lenient)",
     SV("GET / HTTP/1.1\r\n"
        "Connection: close\r\n"
        "Host: a\r\n"
        "\rZGET /evil: HTTP/1.1\r\n"
        "Host: a\r\n"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"invalid.md: Empty headers separated by CR",
     SV("POST / HTTP/1.1\r\n"
        "Connection: Close\r\n"
        "Host: localhost:5000\r\n"
        "x:\rTransfer-Encoding: chunked\r\n"
        "\r\n"
        "1\r\n"
        "A\r\n"
        "0\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Empty headers separated by LF",
     SV("POST / HTTP/1.1\r\n"
        "Host: localhost:5000\r\n"
        "x:\nTransfer-Encoding: chunked\r\n"
        "\r\n"
        "1\r\n"
        "A\r\n"
        "0\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Invalid header token #1 (+Host)",
     SV("GET / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Fo@: Failure\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Invalid header token #2 (+Host)",
     SV("GET / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Foo\\01\test: Bar\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Invalid header token #3 (+Host)",
     SV("GET / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        ": Bar\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Invalid method (+Host)",
     SV("MKCOLA / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'R', false, 0, "methods are extensible: any token is accepted"},
    {"invalid.md: Illegal header field name line folding (+Host)",
     SV("GET / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "name\r\n"
        " : value\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Corrupted Connection header",
     SV("GET / HTTP/1.1\r\n"
        "Host: www.example.com\r\n"
        "Connection\r\\033\\065\\325eep-Alive\r\n"
        "Accept-Encoding: gzip\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Corrupted header name",
     SV("GET / HTTP/1.1\r\n"
        "Host: www.example.com\r\n"
        "X-Some-Header\r\\033\\065\\325eep-Alive\r\n"
        "Accept-Encoding: gzip\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Missing CR between headers",
     SV("GET / HTTP/1.1\r\n"
        "Host: localhost\r\n"
        "Dummy: x\nContent-Length: 23\r\n"
        "\r\n"
        "GET / HTTP/1.1\r\n"
        "Dummy: GET /admin HTTP/1.1\r\n"
        "Host: localhost\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Invalid HTTP version", SV("GET / HTTP/5.6"), 'R', false, -1,
     "rejected once the request line ends (see the completed variant)"},
    {"invalid.md: Invalid HTTP version (completed)",
     SV("GET / HTTP/5.6\r\n"
        "\r\n"),
     'R', false, 505, ""},
    {"invalid.md: Invalid space after start line (+Host)",
     SV("GET / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        " Host: foo"),
     'R', false, 400, ""},
    {"invalid.md: Only LFs present",
     SV("POST / HTTP/1.1\nTransfer-Encoding: chunked\nTrailer: Baz\r\n"
        "Foo: abc\nBar: def\n\n1\nA\n1;abc\nB\n1;def=ghi\nC\n1;jkl=\"mno\"\nD\n0\n\nBaz: "
        "ghi\n\n\\"),
     'R', false, 400, ""},
    {"invalid.md: Only LFs present (lenient)",
     SV("POST / HTTP/1.1\nTransfer-Encoding: chunked\nTrailer: Baz\r\n"
        "Foo: abc\nBar: def\n\n1\nA\n1;abc\nB\n1;def=ghi\nC\n1;jkl=\"mno\"\nD\n0\n\nBaz: ghi\n\n"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"invalid.md: Spaces before headers",
     SV("POST /hello HTTP/1.1\r\n"
        "Host: localhost\r\n"
        "Foo: bar\r\n"
        " Content-Length: 38\r\n"
        "\r\n"
        "GET /bye HTTP/1.1\r\n"
        "Host: localhost\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"invalid.md: Spaces before headers (lenient)",
     SV("POST /hello HTTP/1.1\r\n"
        "Host: localhost\r\n"
        "Foo: bar\r\n"
        " Content-Length: 38\r\n"
        "\r\n"
        "GET /bye HTTP/1.1\r\n"
        "Host: localhost\r\n"
        "\r\n"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"lenient-header-value-relaxed.md: Control char in header value (relaxed) (+Host)",
     SV("GET /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Header1: hello\014world\r\n"
        "\r\n"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"lenient-header-value-relaxed.md: Control char in header value (strict) (+Host)",
     SV("GET /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Header1: hello\014world\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"lenient-header-value-relaxed.md: LF in header value should be rejected even with relaxed "
     "flag",
     SV("POST / HTTP/1.1\r\n"
        "Host: localhost:5000\r\n"
        "x:\nTransfer-Encoding: chunked\r\n"
        "\r\n"
        "1\r\n"
        "A\r\n"
        "0\r\n"),
     'R', true, 400, ""},
    {"lenient-header-value-relaxed.md: CR without LF in header value should be rejected even with "
     "relaxed flag",
     SV("POST / HTTP/1.1\r\n"
        "Host: localhost:5000\r\n"
        "x:\rTransfer-Encoding: chunked\r\n"
        "\r\n"
        "1\r\n"
        "A\r\n"
        "0\r\n"),
     'R', true, 400, ""},
    {"lenient-header-value-relaxed.md: Space after start line must still fail (+Host)",
     SV("GET /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        " Header1: value\r\n"),
     'R', true, 400, ""},
    {"lenient-headers.md: Header value (lenient) (+Host)",
     SV("GET /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Header1: \014\r\n"
        "\r\n"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"lenient-headers.md: Second request header value (lenient) (+Host)",
     SV("GET /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Header1: Okay\r\n"
        "\r\n"
        "\r\n"
        "GET /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Header1: \014\r\n"
        "\r\n"),
     'A', true, 0, "leniency concerns connection reuse after the message, not its parsing"},
    {"lenient-headers.md: Header value (+Host)",
     SV("GET /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Header1: \014\r\n"
        "\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"lenient-headers.md: Empty headers separated by CR (lenient)",
     SV("POST / HTTP/1.1\r\n"
        "Connection: Close\r\n"
        "Host: localhost:5000\r\n"
        "x:\rTransfer-Encoding: chunked\r\n"
        "\r\n"
        "1\r\n"
        "A\r\n"
        "0\r\n"),
     'I', true, 400, "lenient in llhttp: refused here"},
    {"lenient-version.md: Invalid HTTP version (lenient)",
     SV("GET / HTTP/5.6\r\n"
        "\r\n"),
     'A', true, 505, "lenient in llhttp: refused here"},
    {"method.md: REPORT request (+Host)",
     SV("REPORT /test HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"method.md: CONNECT request",
     SV("CONNECT 0-home0.netscape.com:443 HTTP/1.0\r\n"
        "User-agent: Mozilla/1.1N\r\n"
        "Proxy-authorization: basic aGVsbG86d29ybGQ=\r\n"
        "\r\n"
        "some data\r\n"
        "and yet even more data"),
     'A', false, 0, ""},
    {"method.md: CONNECT request with CAPS",
     SV("CONNECT HOME0.NETSCAPE.COM:443 HTTP/1.0\r\n"
        "User-agent: Mozilla/1.1N\r\n"
        "Proxy-authorization: basic aGVsbG86d29ybGQ=\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"method.md: CONNECT with body",
     SV("CONNECT foo.bar.com:443 HTTP/1.0\r\n"
        "User-agent: Mozilla/1.1N\r\n"
        "Proxy-authorization: basic aGVsbG86d29ybGQ=\r\n"
        "Content-Length: 10\r\n"
        "\r\n"
        "blarfcicle\""),
     'A', false, 400, "PROTOCOLS 4.1: a CONNECT request has no content"},
    {"method.md: M-SEARCH request",
     SV("M-SEARCH * HTTP/1.1\r\n"
        "HOST: 239.255.255.250:1900\r\n"
        "MAN: \"ssdp:discover\"\r\n"
        "ST: \"ssdp:all\"\r\n"
        "\r\n"),
     'A', false, 400, "asterisk-form is only for OPTIONS"},
    {"method.md: PATCH request",
     SV("PATCH /file.txt HTTP/1.1\r\n"
        "Host: www.example.com\r\n"
        "Content-Type: application/example\r\n"
        "If-Match: \"e0023aa4e\"\r\n"
        "Content-Length: 10\r\n"
        "\r\n"
        "cccccccccc"),
     'A', false, 0, ""},
    {"method.md: PURGE request",
     SV("PURGE /file.txt HTTP/1.1\r\n"
        "Host: www.example.com\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"method.md: SEARCH request",
     SV("SEARCH / HTTP/1.1\r\n"
        "Host: www.example.com\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"method.md: LINK request",
     SV("LINK /images/my_dog.jpg HTTP/1.1\r\n"
        "Host: example.com\r\n"
        "Link: <http://example.com/profiles/joe>; rel=\"tag\"\r\n"
        "Link: <http://example.com/profiles/sally>; rel=\"tag\"\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"method.md: LINK request",
     SV("UNLINK /images/my_dog.jpg HTTP/1.1\r\n"
        "Host: example.com\r\n"
        "Link: <http://example.com/profiles/sally>; rel=\"tag\"\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"method.md: SOURCE request",
     SV("SOURCE /music/sweet/music HTTP/1.1\r\n"
        "Host: example.com\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"method.md: SOURCE request with ICE",
     SV("SOURCE /music/sweet/music ICE/1.0\r\n"
        "Host: example.com\r\n"
        "\r\n"),
     'A', false, 400, "only HTTP/1.x request lines"},
    {"method.md: OPTIONS request with RTSP",
     SV("OPTIONS /music/sweet/music RTSP/1.0\r\n"
        "Host: example.com\r\n"
        "\r\n"),
     'A', false, 400, "only HTTP/1.x request lines"},
    {"method.md: ANNOUNCE request with RTSP",
     SV("ANNOUNCE /music/sweet/music RTSP/1.0\r\n"
        "Host: example.com\r\n"
        "\r\n"),
     'A', false, 400, "only HTTP/1.x request lines"},
    {"method.md: PRI request HTTP2 (+Host)",
     SV("PRI * HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"
        "SM\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"method.md: QUERY request",
     SV("QUERY /contacts HTTP/1.1\r\n"
        "Host: example.org\r\n"
        "Content-Type: example/query\r\n"
        "Accept: text/csv\r\n"
        "Content-Length: 41\r\n"
        "\r\n"
        "select surname, givenname, email limit 10"),
     'A', false, 0, ""},
    {"pausing.md: on_message_begin (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_message_complete (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_protocol_complete (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_method_complete (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_url_complete (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_version_complete (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_header_field_complete (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_header_value_complete (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_headers_complete (+Host)",
     SV("POST / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_chunk_header (+Host)",
     SV("PUT / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "a\r\n"
        "0123456789\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"pausing.md: on_chunk_extension_name (+Host)",
     SV("PUT / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "a;foo=bar\r\n"
        "0123456789\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"pausing.md: on_chunk_extension_value (+Host)",
     SV("PUT / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "a;foo=bar\r\n"
        "0123456789\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"pausing.md: on_chunk_complete (+Host)",
     SV("PUT / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "a\r\n"
        "0123456789\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"pipelining.md: Should parse multiple events (+Host)",
     SV("POST /aaa HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "AAA\r\n"
        "PUT /bbb HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 4\r\n"
        "\r\n"
        "BBBB\r\n"
        "PATCH /ccc HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Content-Length: 5\r\n"
        "\r\n"
        "CCCC"),
     'A', false, 0, ""},
    {"sample.md: Simple request (+Host)",
     SV("OPTIONS /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Header1: Value1\r\n"
        "Header2:\t Value2\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: Request with method starting with `H` (+Host)",
     SV("HEAD /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: curl GET",
     SV("GET /test HTTP/1.1\r\n"
        "User-Agent: curl/7.18.0 (i486-pc-linux-gnu) libcurl/7.18.0 OpenSSL/0.9.8g zlib/1.2.3.3 "
        "libidn/1.1\r\n"
        "Host: 0.0.0.0=5000\r\n"
        "Accept: */*\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: Firefox GET",
     SV("GET /favicon.ico HTTP/1.1\r\n"
        "Host: 0.0.0.0=5000\r\n"
        "User-Agent: Mozilla/5.0 (X11; U; Linux i686; en-US; rv:1.9) Gecko/2008061015 "
        "Firefox/3.0\r\n"
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
        "Accept-Language: en-us,en;q=0.5\r\n"
        "Accept-Encoding: gzip,deflate\r\n"
        "Accept-Charset: ISO-8859-1,utf-8;q=0.7,*;q=0.7\r\n"
        "Keep-Alive: 300\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: DUMBPACK (+Host)",
     SV("GET /dumbpack HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "aaaaaaaaaaaaa:++++++++++\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: No headers and no body (+Host)",
     SV("GET /get_no_headers_no_body/world HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: One header and no body (+Host)",
     SV("GET /get_one_header_no_body HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Accept: */*\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: Apache bench GET",
     SV("GET /test HTTP/1.0\r\n"
        "Host: 0.0.0.0:5000\r\n"
        "User-Agent: ApacheBench/2.3\r\n"
        "Accept: */*\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: Prefix newline (+Host)",
     SV("\r\n"
        "GET /test HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: No HTTP version",
     SV("GET /\r\n"
        "\r\n"),
     'A', false, 400, "HTTP/0.9 is not supported"},
    {"sample.md: Line folding in header value with CRLF (+Host)",
     SV("GET / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Line1:   abc\r\n"
        "\tdef\r\n"
        " ghi\r\n"
        "\t\tjkl\r\n"
        "  mno \r\n"
        "\t \tqrs\r\n"
        "Line2: \t line2\t\r\n"
        "Line3:\r\n"
        " line3\r\n"
        "Line4: \r\n"
        " \r\n"
        "Connection:\r\n"
        " close\r\n"
        "\r\n"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"sample.md: Line folding in header value with LF (+Host)",
     SV("GET / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Line1:   abc\n\tdef\n ghi\n\t\tjkl\n  mno \n\t \tqrs\nLine2: \t line2\t\nLine3:\n "
        "line3\nLine4: \n \nConnection:\n close\n\n"),
     'R', false, 400, ""},
    {"sample.md: No LF after CR", SV("GET / HTTP/1.1\rLine: 1\r\n"), 'R', false, 400, ""},
    {"sample.md: No LF after CR (lenient)", SV("GET / HTTP/1.1\rLine: 1\r\n"), 'I', true, 400,
     "lenient in llhttp: refused here"},
    {"sample.md: Request starting with CRLF (+Host)",
     SV("\r\n"
        "GET /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Header1: Value1\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: Extended Characters (+Host)",
     SV("GET / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Test: D\303\274sseldorf\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: 255 ASCII in header value (+Host)",
     SV("OPTIONS /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Header1: Value1\r\n"
        "Header2: \377Value2\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: X-SSL-Nonsense (+Host)",
     SV("GET / HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "X-SSL-Nonsense:   -----BEGIN CERTIFICATE-----\r\n"
        "\tMIIFbTCCBFWgAwIBAgICH4cwDQYJKoZIhvcNAQEFBQAwcDELMAkGA1UEBhMCVUsx\r\n"
        "\tETAPBgNVBAoTCGVTY2llbmNlMRIwEAYDVQQLEwlBdXRob3JpdHkxCzAJBgNVBAMT\r\n"
        "\tAkNBMS0wKwYJKoZIhvcNAQkBFh5jYS1vcGVyYXRvckBncmlkLXN1cHBvcnQuYWMu\r\n"
        "\tdWswHhcNMDYwNzI3MTQxMzI4WhcNMDcwNzI3MTQxMzI4WjBbMQswCQYDVQQGEwJV\r\n"
        "\tSzERMA8GA1UEChMIZVNjaWVuY2UxEzARBgNVBAsTCk1hbmNoZXN0ZXIxCzAJBgNV\r\n"
        "\tBAcTmrsogriqMWLAk1DMRcwFQYDVQQDEw5taWNoYWVsIHBhcmQYJKoZIhvcNAQEB\r\n"
        "\tBQADggEPADCCAQoCggEBANPEQBgl1IaKdSS1TbhF3hEXSl72G9J+WC/1R64fAcEF\r\n"
        "\tW51rEyFYiIeZGx/BVzwXbeBoNUK41OK65sxGuflMo5gLflbwJtHBRIEKAfVVp3YR\r\n"
        "\tgW7cMA/s/XKgL1GEC7rQw8lIZT8RApukCGqOVHSi/F1SiFlPDxuDfmdiNzL31+sL\r\n"
        "\t0iwHDdNkGjy5pyBSB8Y79dsSJtCW/iaLB0/n8Sj7HgvvZJ7x0fr+RQjYOUUfrePP\r\n"
        "\tu2MSpFyf+9BbC/aXgaZuiCvSR+8Snv3xApQY+fULK/xY8h8Ua51iXoQ5jrgu2SqR\r\n"
        "\twgA7BUi3G8LFzMBl8FRCDYGUDy7M6QaHXx1ZWIPWNKsCAwEAAaOCAiQwggIgMAwG\r\n"
        "\tA1UdEwEB/wQCMAAwEQYJYIZIAYb4QgHTTPAQDAgWgMA4GA1UdDwEB/wQEAwID6DAs\r\n"
        "\tBglghkgBhvhCAQ0EHxYdVUsgZS1TY2llbmNlIFVzZXIgQ2VydGlmaWNhdGUwHQYD\r\n"
        "\tVR0OBBYEFDTt/sf9PeMaZDHkUIldrDYMNTBZMIGaBgNVHSMEgZIwgY+AFAI4qxGj\r\n"
        "\tloCLDdMVKwiljjDastqooXSkcjBwMQswCQYDVQQGEwJVSzERMA8GA1UEChMIZVNj\r\n"
        "\taWVuY2UxEjAQBgNVBAsTCUF1dGhvcml0eTELMAkGA1UEAxMCQ0ExLTArBgkqhkiG\r\n"
        "\t9w0BCQEWHmNhLW9wZXJhdG9yQGdyaWQtc3VwcG9ydC5hYy51a4IBADApBgNVHRIE\r\n"
        "\tIjAggR5jYS1vcGVyYXRvckBncmlkLXN1cHBvcnQuYWMudWswGQYDVR0gBBIwEDAO\r\n"
        "\tBgwrBgEEAdkvAQEBAQYwPQYJYIZIAYb4QgEEBDAWLmh0dHA6Ly9jYS5ncmlkLXN1\r\n"
        "\tcHBvcnQuYWMudmT4sopwqlBWsvcHViL2NybC9jYWNybC5jcmwwPQYJYIZIAYb4QgEDBDAWLmh0\r\n"
        "\tdHA6Ly9jYS5ncmlkLXN1cHBvcnQuYWMudWsvcHViL2NybC9jYWNybC5jcmwwPwYD\r\n"
        "\tVR0fBDgwNjA0oDKgMIYuaHR0cDovL2NhLmdyaWQt5hYy51ay9wdWIv\r\n"
        "\tY3JsL2NhY3JsLmNybDANBgkqhkiG9w0BAQUFAAOCAQEAS/U4iiooBENGW/Hwmmd3\r\n"
        "\tXCy6Zrt08YjKCzGNjorT98g8uGsqYjSxv/hmi0qlnlHs+k/3Iobc3LjS5AMYr5L8\r\n"
        "\tUO7OSkgFFlLHQyC9JzPfmLCAugvzEbyv4Olnsr8hbxF1MbKZoQxUZtMVu29wjfXk\r\n"
        "\thTeApBv7eaKCWpSp7MCbvgzm74izKhu3vlDk9w6qVrxePfGgpKPqfHiOoGhFnbTK\r\n"
        "\twTC6o2xq5y0qZ03JonF7OJspEd3I5zKY3E+ov7/ZhW6DqT8UFvsAdjvQbXyhV8Eu\r\n"
        "\tYhixw1aKEPzNjNowuIseVogKOLXxWI5vAi5HgXdS0/ES5gDGsABo4fqovUKlgop3\r\n"
        "\tRA==\r\n"
        "\t-----END CERTIFICATE-----\r\n"
        "\r\n"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"transfer-encoding.md: Parsing and setting flag (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"),
     'I', false, -1, ""},
    {"transfer-encoding.md: Parse chunks with lowercase size (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "a\r\n"
        "0123456789\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"transfer-encoding.md: Parse chunks with uppercase size (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "A\r\n"
        "0123456789\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"transfer-encoding.md: POST with `Transfer-Encoding: chunked` (+Host)",
     SV("POST /post_chunked_all_your_base HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "1e\r\n"
        "all your base are belong to us\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"transfer-encoding.md: Two chunks and triple zero prefixed end chunk (+Host)",
     SV("POST /two_chunks_mult_zero_end HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "5\r\n"
        "hello\r\n"
        "6\r\n"
        " world\r\n"
        "000\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"transfer-encoding.md: Trailing headers (+Host)",
     SV("POST /chunked_w_trailing_headers HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "5\r\n"
        "hello\r\n"
        "6\r\n"
        " world\r\n"
        "0\r\n"
        "Vary: *\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"transfer-encoding.md: Chunk extensions (+Host)",
     SV("POST /chunked_w_unicorns_after_length HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "5;ilovew3;somuchlove=aretheseparametersfor;another=withvalue\r\n"
        "hello\r\n"
        "6;blahblah;blah\r\n"
        " world\r\n"
        "0\r\n"),
     'I', false, -1, ""},
    {"transfer-encoding.md: No semicolon before chunk extensions",
     SV("POST /chunked_w_unicorns_after_length HTTP/1.1\r\n"
        "Host: localhost\r\n"
        "Transfer-encoding: chunked\r\n"
        "\r\n"
        "2 erfrferferf\r\n"
        "aa\r\n"
        "0 rrrr\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"transfer-encoding.md: No extension after semicolon",
     SV("POST /chunked_w_unicorns_after_length HTTP/1.1\r\n"
        "Host: localhost\r\n"
        "Transfer-encoding: chunked\r\n"
        "\r\n"
        "2;\r\n"
        "aa\r\n"
        "0\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"transfer-encoding.md: Chunk extensions quoting (+Host)",
     SV("POST /chunked_w_unicorns_after_length HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "5;ilovew3=\"I \\\"love\\\"; "
        "\\\\extensions\\\\\";somuchlove=\"aretheseparametersfor\";blah;foo=bar\r\n"
        "hello\r\n"
        "6;blahblah;blah\r\n"
        " world\r\n"
        "0\r\n"),
     'I', false, -1, ""},
    {"transfer-encoding.md: Unbalanced chunk extensions quoting (+Host)",
     SV("POST /chunked_w_unicorns_after_length HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "5;ilovew3=\"abc\";somuchlove=\"def; ghi\r\n"
        "hello\r\n"
        "6;blahblah;blah\r\n"
        " world\r\n"
        "0\r\n"),
     'R', false, 400, ""},
    {"transfer-encoding.md: Ignoring `pigeons` (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: pigeons\r\n"
        "\r\n"),
     'R', false, 501, ""},
    {"transfer-encoding.md: POST with `Transfer-Encoding` and `Content-Length` (+Host)",
     SV("POST /post_identity_body_world?q=search#hey HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: identity\r\n"
        "Content-Length: 5\r\n"
        "\r\n"
        "World"),
     'R', false, 400, ""},
    {"transfer-encoding.md: POST with `Transfer-Encoding` and `Content-Length` (lenient) (+Host)",
     SV("POST /post_identity_body_world?q=search#hey HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: identity\r\n"
        "Content-Length: 1\r\n"
        "\r\n"
        "World"),
     'I', true, 400, "lenient in llhttp: refused here"},
    {"transfer-encoding.md: POST with empty `Transfer-Encoding` and `Content-Length` (lenient)",
     SV("POST / HTTP/1.1\r\n"
        "Host: foo\r\n"
        "Content-Length: 10\r\n"
        "Transfer-Encoding:\r\n"
        "Transfer-Encoding:\r\n"
        "Transfer-Encoding:\r\n"
        "\r\n"
        "2\r\n"
        "AA\r\n"
        "0"),
     'R', false, 400, ""},
    {"transfer-encoding.md: POST with `chunked` before other transfer coding names (+Host)",
     SV("POST /post_identity_body_world?q=search#hey HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: chunked, deflate\r\n"
        "\r\n"
        "World"),
     'R', false, 400, ""},
    {"transfer-encoding.md: POST with `chunked` and duplicate transfer-encoding (+Host)",
     SV("POST /post_identity_body_world?q=search#hey HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Transfer-Encoding: deflate\r\n"
        "\r\n"
        "World"),
     'R', false, 400, ""},
    {"transfer-encoding.md: POST with `chunked` before other transfer-coding (lenient) (+Host)",
     SV("POST /post_identity_body_world?q=search#hey HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: chunked, deflate\r\n"
        "\r\n"
        "World"),
     'I', true, 400, "lenient in llhttp: refused here"},
    {"transfer-encoding.md: POST with `chunked` and duplicate transfer-encoding (lenient) (+Host)",
     SV("POST /post_identity_body_world?q=search#hey HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Transfer-Encoding: deflate\r\n"
        "\r\n"
        "World"),
     'I', true, 400, "lenient in llhttp: refused here"},
    {"transfer-encoding.md: POST with `chunked` as last transfer-encoding (+Host)",
     SV("POST /post_identity_body_world?q=search#hey HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: deflate, chunked\r\n"
        "\r\n"
        "5\r\n"
        "World\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 400, "fragment in the target is refused"},
    {"transfer-encoding.md: POST with `chunked` as last transfer-encoding (multiple headers) "
     "(+Host)",
     SV("POST /post_identity_body_world?q=search#hey HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: deflate\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "5\r\n"
        "World\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 400, "fragment in the target is refused"},
    {"transfer-encoding.md: POST with `chunkedchunked` as transfer-encoding (+Host)",
     SV("POST /post_identity_body_world?q=search#hey HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: chunkedchunked\r\n"
        "\r\n"
        "5\r\n"
        "World\r\n"
        "0\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"transfer-encoding.md: Missing last-chunk (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "3\r\n"
        "foo\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"transfer-encoding.md: Validate chunk parameters (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "3 \n  \r\n"
        "foo\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"transfer-encoding.md: Invalid OBS fold after chunked value (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "  abc\r\n"
        "\r\n"
        "5\r\n"
        "World\r\n"
        "0\r\n"
        "\r\n"),
     'R', true, 400, ""},
    {"transfer-encoding.md: Chunk header not terminated by CRLF",
     SV("GET / HTTP/1.1\r\n"
        "Host: a\r\n"
        "Connection: close \r\n"
        "Transfer-Encoding: chunked \r\n"
        "\r\n"
        "5\r\r;ABCD\r\n"
        "34\r\n"
        "E\r\n"
        "0\r\n"
        "\r\n"
        "GET / HTTP/1.1 \r\n"
        "Host: a\r\n"
        "Content-Length: 5\r\n"
        "\r\n"
        "0\r\n"),
     'R', false, 400, ""},
    {"transfer-encoding.md: Chunk header not terminated by CRLF (lenient)",
     SV("GET / HTTP/1.1\r\n"
        "Host: a\r\n"
        "Connection: close \r\n"
        "Transfer-Encoding: chunked \r\n"
        "\r\n"
        "6\r\r;ABCD\r\n"
        "33\r\n"
        "E\r\n"
        "0\r\n"
        "\r\n"
        "GET / HTTP/1.1 \r\n"
        "Host: a\r\n"
        "Content-Length: 5\r\n"
        "0\r\n"
        "\r\n"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"transfer-encoding.md: Chunk data not terminated by CRLF",
     SV("GET / HTTP/1.1\r\n"
        "Host: a\r\n"
        "Connection: close \r\n"
        "Transfer-Encoding: chunked \r\n"
        "\r\n"
        "5\r\n"
        "ABCDE0\r\n"),
     'R', false, 400, ""},
    {"transfer-encoding.md: Chunk data not terminated by CRLF (lenient)",
     SV("GET / HTTP/1.1\r\n"
        "Host: a\r\n"
        "Connection: close \r\n"
        "Transfer-Encoding: chunked \r\n"
        "\r\n"
        "5\r\n"
        "ABCDE0\r\n"),
     'I', true, 400, "lenient in llhttp: refused here"},
    {"transfer-encoding.md: Space after chunk header (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "a \r\n"
        "0123456789\r\n"
        "0\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"transfer-encoding.md: Space after chunk header (lenient) (+Host)",
     SV("PUT /url HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "a \r\n"
        "0123456789\r\n"
        "0\r\n"
        "\r\n"),
     'A', true, 400, "lenient in llhttp: refused here"},
    {"uri.md: Quotes in URI (+Host)",
     SV("GET /with_\"lovely\"_quotes?foo=\\\"bar\\\" HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"uri.md: Query URL with question mark (+Host)",
     SV("GET /test.cgi?foo=bar?baz HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"uri.md: Host terminated by a query string (+Host)",
     SV("GET http://hypnotoad.org?hail=all HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"uri.md: `host:port` terminated by a query string (+Host)",
     SV("GET http://hypnotoad.org:1234?hail=all HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"uri.md: Query URL with vertical bar character (+Host)",
     SV("GET /test.cgi?query=| HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"uri.md: `host:port` terminated by a space (+Host)",
     SV("GET http://hypnotoad.org:1234 HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"uri.md: Disallow UTF-8 in URI path in strict mode",
     SV("GET /\316\264\302\266/\316\264t/pope?q=1#narf HTTP/1.1\r\n"
        "Host: github.com\r\n"
        "\r\n"),
     'R', false, 400, ""},
    {"uri.md: Fragment in URI (+Host)",
     SV("GET /forums/1/topics/2375?page=1#posts-17408 HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 400, "fragment in the target is refused"},
    {"uri.md: Underscore in hostname",
     SV("CONNECT home_0.netscape.com:443 HTTP/1.0\r\n"
        "User-agent: Mozilla/1.1N\r\n"
        "Proxy-authorization: basic aGVsbG86d29ybGQ=\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"uri.md: `host:port` and basic auth (+Host)",
     SV("GET http://a%12:b!&*$@hypnotoad.org:1234/toto HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'A', false, 400, "userinfo in the URI is refused"},
    {"uri.md: Space in URI (+Host)",
     SV("GET /foo bar/ HTTP/1.1\r\n"
        "Host: h.test\r\n"
        "\r\n"),
     'R', false, 400, ""},
};

const Vector kResponses[] = {
    {"connection.md: Proxy-Connection",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Type: text/html; charset=UTF-8\r\n"
        "Content-Length: 11\r\n"
        "Proxy-Connection: close\r\n"
        "Date: Thu, 31 Dec 2009 20:55:48 +0000\r\n"
        "\r\n"
        "hello world"),
     'A', false, 0, ""},
    {"connection.md: HTTP/1.0 with keep-alive and EOF-terminated 200 status",
     SV("HTTP/1.0 200 OK\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"
        "HTTP/1.0 200 OK"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"connection.md: HTTP/1.0 with keep-alive and 204 status",
     SV("HTTP/1.0 204 No content\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"
        "HTTP/1.0 200 OK"),
     'A', false, 0, ""},
    {"connection.md: HTTP/1.1 with EOF-terminated 200 status",
     SV("HTTP/1.1 200 OK\r\n"
        "\r\n"
        "HTTP/1.1 200 OK"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"connection.md: HTTP/1.1 with 204 status",
     SV("HTTP/1.1 204 No content\r\n"
        "\r\n"
        "HTTP/1.1 200 OK"),
     'A', false, 0, ""},
    {"connection.md: HTTP/1.1 with keep-alive disabled and 204 status",
     SV("HTTP/1.1 204 No content\r\n"
        "Connection: close\r\n"
        "\r\n"
        "HTTP/1.1 200 OK"),
     'A', false, 0, ""},
    {"connection.md: HTTP/1.1 with keep-alive disabled, content-length (lenient)",
     SV("HTTP/1.1 200 No content\r\n"
        "Content-Length: 5\r\n"
        "Connection: close\r\n"
        "\r\n"
        "2ad731e3-4dcd-4f70-b871-0ad284b29ffc"),
     'A', true, 0, "leniency concerns connection reuse after the message, not its parsing"},
    {"connection.md: HTTP/1.1 with keep-alive disabled, content-length",
     SV("HTTP/1.1 200 No content\r\n"
        "Content-Length: 5\r\n"
        "Connection: close\r\n"
        "\r\n"
        "2ad731e3-4dcd-4f70-b871-0ad284b29ffc"),
     'A', false, 0, ""},
    {"connection.md: HTTP/1.1 with keep-alive disabled and 204 status (lenient)",
     SV("HTTP/1.1 204 No content\r\n"
        "Connection: close\r\n"
        "\r\n"
        "HTTP/1.1 200 OK"),
     'A', true, 0, "leniency concerns connection reuse after the message, not its parsing"},
    {"connection.md: HTTP 101 response with Upgrade and Content-Length header",
     SV("HTTP/1.1 101 Switching Protocols\r\n"
        "Connection: upgrade\r\n"
        "Upgrade: h2c\r\n"
        "Content-Length: 4\r\n"
        "\r\n"
        "bodyproto"),
     'A', false, 0, ""},
    {"connection.md: HTTP 101 response with Upgrade and Transfer-Encoding header",
     SV("HTTP/1.1 101 Switching Protocols\r\n"
        "Connection: upgrade\r\n"
        "Upgrade: h2c\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "2\r\n"
        "bo\r\n"
        "2\r\n"
        "dy\r\n"
        "0\r\n"
        "\r\n"
        "proto"),
     'A', false, 0, ""},
    {"connection.md: HTTP 200 response with Upgrade header",
     SV("HTTP/1.1 200 OK\r\n"
        "Connection: upgrade\r\n"
        "Upgrade: h2c\r\n"
        "\r\n"
        "body"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"connection.md: HTTP 200 response with Upgrade header and Content-Length",
     SV("HTTP/1.1 200 OK\r\n"
        "Connection: upgrade\r\n"
        "Upgrade: h2c\r\n"
        "Content-Length: 4\r\n"
        "\r\n"
        "body"),
     'A', false, 0, ""},
    {"connection.md: HTTP 200 response with Upgrade header and Transfer-Encoding",
     SV("HTTP/1.1 200 OK\r\n"
        "Connection: upgrade\r\n"
        "Upgrade: h2c\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "2\r\n"
        "bo\r\n"
        "2\r\n"
        "dy\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"connection.md: HTTP 304 with Content-Length",
     SV("HTTP/1.1 304 Not Modified\r\n"
        "Content-Length: 10\r\n"
        "\r\n"
        "\r\n"
        "HTTP/1.1 200 OK\r\n"
        "Content-Length: 5\r\n"
        "\r\n"
        "hello"),
     'A', false, 0, ""},
    {"connection.md: HTTP 304 with Transfer-Encoding",
     SV("HTTP/1.1 304 Not Modified\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "HTTP/1.1 200 OK\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "5\r\n"
        "hello\r\n"
        "0\r\n"),
     'A', false, 0, ""},
    {"connection.md: HTTP 100 first, then 400",
     SV("HTTP/1.1 100 Continue\r\n"
        "\r\n"
        "\r\n"
        "HTTP/1.1 404 Not Found\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 14\r\n"
        "Date: Fri, 15 Sep 2023 19:47:23 GMT\r\n"
        "Server: Python/3.10 aiohttp/4.0.0a2.dev0\r\n"
        "\r\n"
        "404: Not Found"),
     'A', false, 0, ""},
    {"connection.md: HTTP 103 first, then 200",
     SV("HTTP/1.1 103 Early Hints\r\n"
        "Link: </styles.css>; rel=preload; as=style\r\n"
        "\r\n"
        "HTTP/1.1 200 OK\r\n"
        "Date: Wed, 13 Sep 2023 11:09:41 GMT\r\n"
        "Connection: keep-alive\r\n"
        "Keep-Alive: timeout=5\r\n"
        "Content-Length: 17\r\n"
        "\r\n"
        "response content"),
     'A', false, 0, ""},
    {"content-length.md: Response without `Content-Length`, but with body",
     SV("HTTP/1.1 200 OK\r\n"
        "Date: Tue, 04 Aug 2009 07:59:32 GMT\r\n"
        "Server: Apache\r\n"
        "X-Powered-By: Servlet/2.5 JSP/2.1\r\n"
        "Content-Type: text/xml; charset=utf-8\r\n"
        "Connection: close\r\n"
        "\r\n"
        "<?xml version=\\\"1.0\\\" encoding=\\\"UTF-8\\\"?>\n<SOAP-ENV:Envelope "
        "xmlns:SOAP-ENV=\\\"http://schemas.xmlsoap.org/soap/envelope/\\\">\n  <SOAP-ENV:Body>\n    "
        "<SOAP-ENV:Fault>\n       <faultcode>SOAP-ENV:Client</faultcode>\n       "
        "<faultstring>Client Error</faultstring>\n    </SOAP-ENV:Fault>\n  "
        "</SOAP-ENV:Body>\n</SOAP-ENV:Envelope>"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"content-length.md: Content-Length-X",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Length-X: 0\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "2\r\n"
        "OK\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"content-length.md: Content-Length reset when no body is received",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Length: 123\r\n"
        "\r\n"
        "HTTP/1.1 200 OK\r\n"
        "Content-Length: 456\r\n"
        "\r\n"),
     'A', false, -1, "the second response is the first one's body: waits for 123 bytes"},
    {"content-length.md: Tabs in `Content-Length` (surrounding)",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Length:\t42\t\r\n"
        "\r\n"),
     'I', false, -1, ""},
    {"finish.md: It should be safe to finish with cb after empty response",
     SV("HTTP/1.1 200 OK\r\n"
        "\r\n"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"invalid.md: Incomplete HTTP protocol",
     SV("HTP/1.1 200 OK\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"invalid.md: Extra digit in HTTP major version",
     SV("HTTP/01.1 200 OK\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"invalid.md: Extra digit in HTTP major version #2",
     SV("HTTP/11.1 200 OK\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"invalid.md: Extra digit in HTTP minor version",
     SV("HTTP/1.01 200 OK\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"invalid.md: Tab after HTTP version",
     SV("HTTP/1.1\t200 OK\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"invalid.md: CR before response and tab after HTTP version",
     SV("\rHTTP/1.1\t200 OK\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"invalid.md: Headers separated by CR",
     SV("HTTP/1.1 200 OK\r\n"
        "Foo: 1\rBar: 2\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"invalid.md: Bare CR after response line",
     SV("HTTP/1.1 200 OK\rContent-Length: 0\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"invalid.md: Bare CR after response line (lenient)",
     SV("HTTP/1.1 200 OK\rContent-Length: 0\r\n"
        "\r\n"),
     'A', true, 502, "lenient in llhttp: refused here"},
    {"invalid.md: Bare CR followed by CR after response line",
     SV("HTTP/1.1 200 OK\r\rContent-Length: 4\r\n"
        "\r\n"
        "Evil"),
     'R', false, 502, ""},
    {"invalid.md: Invalid HTTP version",
     SV("HTTP/5.6 200 OK\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"invalid.md: Invalid space after start line",
     SV("HTTP/1.1 200 OK\r\n"
        " Host: foo"),
     'R', false, 502, ""},
    {"invalid.md: Extra space between HTTP version and status code",
     SV("HTTP/1.1  200 OK\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"invalid.md: Extra space between status code and reason",
     SV("HTTP/1.1 200  OK\r\n"
        "\r\n"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"invalid.md: One-digit status code",
     SV("HTTP/1.1 2 OK\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"invalid.md: Only LFs present and no body", SV("HTTP/1.1 200 OK\nContent-Length: 0\n\n"), 'R',
     false, 502, ""},
    {"invalid.md: Only LFs present and no body (lenient)",
     SV("HTTP/1.1 200 OK\nContent-Length: 0\n\n"), 'A', true, 502,
     "lenient in llhttp: refused here"},
    {"invalid.md: Only LFs present", SV("HTTP/1.1 200 OK\nFoo: abc\nBar: def\n\nBODY\n\\"), 'R',
     false, 502, ""},
    {"invalid.md: Only LFs present (lenient)",
     SV("HTTP/1.1 200 OK\nFoo: abc\nBar: def\n\nBODY\n\\"), 'I', true, 502,
     "lenient in llhttp: refused here"},
    {"lenient-version.md: Invalid HTTP version (lenient)",
     SV("HTTP/5.6 200 OK\r\n"
        "\r\n"),
     'I', true, 502, "lenient in llhttp: refused here"},
    {"pausing.md: on_message_begin",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_message_complete",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_version_complete",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_status_complete",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_header_field_complete",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_header_value_complete",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_headers_complete",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "abc"),
     'A', false, 0, ""},
    {"pausing.md: on_chunk_header",
     SV("HTTP/1.1 200 OK\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "a\r\n"
        "0123456789\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"pausing.md: on_chunk_extension_name",
     SV("HTTP/1.1 200 OK\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "a;foo=bar\r\n"
        "0123456789\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"pausing.md: on_chunk_extension_value",
     SV("HTTP/1.1 200 OK\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "a;foo=bar\r\n"
        "0123456789\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"pausing.md: on_chunk_complete",
     SV("HTTP/1.1 200 OK\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "a\r\n"
        "0123456789\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"pipelining.md: Should parse multiple events",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "AAA\r\n"
        "HTTP/1.1 201 Created\r\n"
        "Content-Length: 4\r\n"
        "\r\n"
        "BBBB\r\n"
        "HTTP/1.1 202 Accepted\r\n"
        "Content-Length: 5\r\n"
        "\r\n"
        "CCCC"),
     'A', false, 0, ""},
    {"sample.md: Simple response",
     SV("HTTP/1.1 200 OK\r\n"
        "Header1: Value1\r\n"
        "Header2:\t Value2\r\n"
        "Content-Length: 0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: RTSP response",
     SV("RTSP/1.1 200 OK\r\n"
        "\r\n"),
     'I', false, 502, "only HTTP/1.x status lines"},
    {"sample.md: ICE response",
     SV("ICE/1.1 200 OK\r\n"
        "\r\n"),
     'I', false, 502, "only HTTP/1.x status lines"},
    {"sample.md: Error on invalid response start",
     SV("HTTPER/1.1 200 OK\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"sample.md: Empty body should not trigger spurious span callbacks",
     SV("HTTP/1.1 200 OK\r\n"
        "\r\n"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"sample.md: Google 301",
     SV("HTTP/1.1 301 Moved Permanently\r\n"
        "Location: http://www.google.com/\r\n"
        "Content-Type: text/html; charset=UTF-8\r\n"
        "Date: Sun, 26 Apr 2009 11:11:49 GMT\r\n"
        "Expires: Tue, 26 May 2009 11:11:49 GMT\r\n"
        "X-$PrototypeBI-Version: 1.6.0.3\r\n"
        "Cache-Control: public, max-age=2592000\r\n"
        "Server: gws\r\n"
        "Content-Length:  219  \r\n"
        "\r\n"
        "<HTML><HEAD><meta http-equiv=content-type content=text/html;charset=utf-8>\n<TITLE>301 "
        "Moved</TITLE></HEAD><BODY>\n<H1>301 Moved</H1>\nThe document has moved\n<A "
        "HREF=\"http://www.google.com/\">here</A>.\r\n"
        "</BODY></HTML>"),
     'I', false, -1, ""},
    {"sample.md: amazon.com",
     SV("HTTP/1.1 301 MovedPermanently\r\n"
        "Date: Wed, 15 May 2013 17:06:33 GMT\r\n"
        "Server: Server\r\n"
        "x-amz-id-1: 0GPHKXSJQ826RK7GZEB2\r\n"
        "p3p: policyref=\"http://www.amazon.com/w3c/p3p.xml\",CP=\"CAO DSP LAW CUR ADM IVAo IVDo "
        "CONo OTPo OUR DELi PUBi OTRi BUS PHY ONL UNI PUR FIN COM NAV INT DEM CNT STA HEA PRE LOC "
        "GOV OTC \"\r\n"
        "x-amz-id-2: STN69VZxIFSz9YJLbz1GDbxpbjG6Qjmmq5E3DxRhOUw+Et0p4hr7c/Q8qNcx4oAD\r\n"
        "Location: "
        "http://www.amazon.com/Dan-Brown/e/B000AP9DSU/"
        "ref=s9_pop_gw_al1?_encoding=UTF8&refinementId=618073011&pf_rd_m=ATVPDKIKX0DER&pf_rd_s="
        "center-2&pf_rd_r=0SHYY5BZXN3KR20BNFAY&pf_rd_t=101&pf_rd_p=1263340922&pf_rd_i=507846\r\n"
        "Vary: Accept-Encoding,User-Agent\r\n"
        "Content-Type: text/html; charset=ISO-8859-1\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "1\r\n"
        "\n\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: No headers and no body",
     SV("HTTP/1.1 404 Not Found\r\n"
        "\r\n"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"sample.md: No reason phrase",
     SV("HTTP/1.1 301\r\n"
        "\r\n"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"sample.md: Empty reason phrase after space",
     SV("HTTP/1.1 200 \r\n"
        "\r\n"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"sample.md: No carriage ret",
     SV("HTTP/1.1 200 OK\nContent-Type: text/html; charset=utf-8\nConnection: close\n\nthese "
        "headers are from http://news.ycombinator.com/"),
     'R', false, 502, ""},
    {"sample.md: No carriage ret (lenient)",
     SV("HTTP/1.1 200 OK\nContent-Type: text/html; charset=utf-8\nConnection: close\n\nthese "
        "headers are from http://news.ycombinator.com/"),
     'I', true, 502, "lenient in llhttp: refused here"},
    {"sample.md: Underscore in header key",
     SV("HTTP/1.1 200 OK\r\n"
        "Server: DCLK-AdSvr\r\n"
        "Content-Type: text/xml\r\n"
        "Content-Length: 0\r\n"
        "DCLK_imp: "
        "v7;x;114750856;0-0;0;17820020;0/0;21603567/21621457/1;;~okv=;dcmt=text/xml;;~cs=o\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: bonjourmadame.fr",
     SV("HTTP/1.0 301 Moved Permanently\r\n"
        "Date: Thu, 03 Jun 2010 09:56:32 GMT\r\n"
        "Server: Apache/2.2.3 (Red Hat)\r\n"
        "Cache-Control: public\r\n"
        "Pragma: \r\n"
        "Location: http://www.bonjourmadame.fr/\r\n"
        "Vary: Accept-Encoding\r\n"
        "Content-Length: 0\r\n"
        "Content-Type: text/html; charset=UTF-8\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: Spaces in header value",
     SV("HTTP/1.1 200 OK\r\n"
        "Date: Tue, 28 Sep 2010 01:14:13 GMT\r\n"
        "Server: Apache\r\n"
        "Cache-Control: no-cache, must-revalidate\r\n"
        "Expires: Mon, 26 Jul 1997 05:00:00 GMT\r\n"
        ".et-Cookie: PlaxoCS=1274804622353690521; path=/; domain=.plaxo.com\r\n"
        "Vary: Accept-Encoding\r\n"
        "_eep-Alive: timeout=45\r\n"
        "_onnection: Keep-Alive\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Content-Type: text/html\r\n"
        "Connection: close\r\n"
        "\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: Spaces in header name",
     SV("HTTP/1.1 200 OK\r\n"
        "Server: Microsoft-IIS/6.0\r\n"
        "X-Powered-By: ASP.NET\r\n"
        "en-US Content-Type: text/xml\r\n"
        "Content-Type: text/xml\r\n"
        "Content-Length: 16\r\n"
        "Date: Fri, 23 Jul 2010 18:45:38 GMT\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"
        "<xml>hello</xml>"),
     'R', false, 502, ""},
    {"sample.md: Non ASCII in status line",
     SV("HTTP/1.1 500 Ori\303\253ntatieprobleem\r\n"
        "Date: Fri, 5 Nov 2010 23:07:12 GMT+2\r\n"
        "Content-Length: 0\r\n"
        "Connection: close\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"sample.md: HTTP version 0.9",
     SV("HTTP/0.9 200 OK\r\n"
        "\r\n"),
     'I', false, 502, "only HTTP/1.x status lines"},
    {"sample.md: No Content-Length, no Transfer-Encoding",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "hello world"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"sample.md: Response starting with CRLF",
     SV("\r\n"
        "HTTP/1.1 200 OK\r\n"
        "Header1: Value1\r\n"
        "Header2:\t Value2\r\n"
        "Content-Length: 0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"transfer-encoding.md: Trailing space on chunked body",
     SV("HTTP/1.1 200 OK\r\n"
        "Content-Type: text/plain\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "25  \r\n"
        "This is the data in the first chunk\r\n"
        "\r\n"
        "1C\r\n"
        "and this is the second one\r\n"
        "\r\n"
        "0  \r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"transfer-encoding.md: `chunked` before other transfer-encoding",
     SV("HTTP/1.1 200 OK\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: chunked, deflate\r\n"
        "\r\n"
        "World"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"transfer-encoding.md: multiple transfer-encoding where chunked is not the last one",
     SV("HTTP/1.1 200 OK\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Transfer-Encoding: identity\r\n"
        "\r\n"
        "World"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"transfer-encoding.md: `chunkedchunked` transfer-encoding does not enable chunked enconding",
     SV("HTTP/1.1 200 OK\r\n"
        "Accept: */*\r\n"
        "Transfer-Encoding: chunkedchunked\r\n"
        "\r\n"
        "2\r\n"
        "OK\r\n"
        "0\r\n"
        "\r\n"),
     'I', false, 0, "read-until-close body: the head is complete, the body ends at EOF"},
    {"transfer-encoding.md: Chunk extensions",
     SV("HTTP/1.1 200 OK\r\n"
        "Host: localhost\r\n"
        "Transfer-encoding: chunked\r\n"
        "\r\n"
        "5;ilovew3;somuchlove=aretheseparametersfor\r\n"
        "hello\r\n"
        "6;blahblah;blah\r\n"
        " world\r\n"
        "0\r\n"
        "\r\n"),
     'A', false, 0, ""},
    {"transfer-encoding.md: No semicolon before chunk extensions",
     SV("HTTP/1.1 200 OK\r\n"
        "Host: localhost\r\n"
        "Transfer-encoding: chunked\r\n"
        "\r\n"
        "2 erfrferferf\r\n"
        "aa\r\n"
        "0 rrrr\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"transfer-encoding.md: No extension after semicolon",
     SV("HTTP/1.1 200 OK\r\n"
        "Host: localhost\r\n"
        "Transfer-encoding: chunked\r\n"
        "\r\n"
        "2;\r\n"
        "aa\r\n"
        "0\r\n"
        "\r\n"),
     'R', false, 502, ""},
    {"transfer-encoding.md: Chunk extensions quoting",
     SV("HTTP/1.1 200 OK\r\n"
        "Host: localhost\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "5;ilovew3=\"I love; extensions\";somuchlove=\"aretheseparametersfor\";blah;foo=bar\r\n"
        "hello\r\n"
        "6;blahblah;blah\r\n"
        " world\r\n"
        "0\r\n"),
     'I', false, -1, ""},
    {"transfer-encoding.md: Unbalanced chunk extensions quoting",
     SV("HTTP/1.1 200 OK\r\n"
        "Host: localhost\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "5;ilovew3=\"abc\";somuchlove=\"def; ghi\r\n"
        "hello\r\n"
        "6;blahblah;blah\r\n"
        " world\r\n"
        "0\r\n"),
     'R', false, 502, ""},
    {"transfer-encoding.md: Invalid OBS fold after chunked value",
     SV("HTTP/1.1 200 OK\r\n"
        "Transfer-Encoding: chunked\r\n"
        "  abc\r\n"
        "\r\n"
        "5\r\n"
        "World\r\n"
        "0\r\n"
        "\r\n"),
     'I', true, 502, "lenient in llhttp: refused here"},
};

// Verdict on the first message: head, then its body when framed (CONNECT/Upgrade/101 end the HTTP
// part).
int classifyRequest(std::string_view in, size_t split) {
  RequestParser p;
  RequestHead h;
  ParseState s = split < in.size() ? p.parse(in.substr(0, split), h) : ParseState::NeedMore;
  if (s == ParseState::NeedMore) {
    s = p.parse(in, h);
  }
  if (s == ParseState::Error) {
    return p.error().status;
  }
  if (s == ParseState::NeedMore) {
    return -1;
  }
  if (h.isConnect() || h.upgradeWebsocket) {
    return 0;
  }
  std::string_view body = in.substr(p.consumed());
  if (h.framing == Framing::ContentLength) {
    return body.size() < h.contentLength ? -1 : 0;
  }
  if (h.framing == Framing::Chunked) {
    ChunkedDecoder d;
    Result<size_t> r = d.feed(body);
    if (!r.ok()) {
      return r.error().code;
    }
    return d.done() ? 0 : -1;
  }
  return 0;
}

int classifyResponse(std::string_view in, size_t split) {
  ResponseParser p;
  ResponseHead h;
  ParseState s = split < in.size() ? p.parse(in.substr(0, split), "GET", h) : ParseState::NeedMore;
  if (s == ParseState::NeedMore) {
    s = p.parse(in, "GET", h);
  }
  if (s == ParseState::Error) {
    return p.error().status;
  }
  if (s == ParseState::NeedMore) {
    return -1;
  }
  if (h.status == 101) {
    return 0;
  }
  std::string_view body = in.substr(p.consumed());
  if (h.framing == Framing::ContentLength) {
    return body.size() < h.contentLength ? -1 : 0;
  }
  if (h.framing == Framing::Chunked) {
    ChunkedDecoder d;
    Result<size_t> r = d.feed(body);
    if (!r.ok()) {
      return 502; // the caller maps chunked errors on responses to 502
    }
    return d.done() ? 0 : -1;
  }
  return 0;
}

TEST(LlhttpVectorsTest, RequestFixturesGiveTheExpectedVerdict) {
  for (const Vector& v : kRequests) {
    EXPECT_EQ(classifyRequest(v.input, v.input.size()), v.expected) << v.name;
  }
}

TEST(LlhttpVectorsTest, ResponseFixturesGiveTheExpectedVerdict) {
  for (const Vector& v : kResponses) {
    EXPECT_EQ(classifyResponse(v.input, v.input.size()), v.expected) << v.name;
  }
}

TEST(LlhttpVectorsTest, VerdictDoesNotDependOnWhereTheInputIsSplit) {
  for (const Vector& v : kRequests) {
    for (size_t split = 0; split <= v.input.size(); ++split) {
      ASSERT_EQ(classifyRequest(v.input, split), v.expected) << v.name << " split " << split;
    }
  }
  for (const Vector& v : kResponses) {
    for (size_t split = 0; split <= v.input.size(); ++split) {
      ASSERT_EQ(classifyResponse(v.input, split), v.expected) << v.name << " split " << split;
    }
  }
}

// Both tables with the parser that classifies them.
struct Table {
  std::span<const Vector> vectors;
  int (*classify)(std::string_view, size_t);
};
const Table kTables[] = {{std::span<const Vector>(kRequests), classifyRequest},
                         {std::span<const Vector>(kResponses), classifyResponse}};

// Strict llhttp accepting means we accept too, unless a documented rule of ours says otherwise;
// strict llhttp rejecting means we never accept, unless documented (extensible methods). "Ours" is
// what the parser says now, not what the table expects.
TEST(LlhttpVectorsTest, AgreesWithStrictLlhttpOrSaysWhy) {
  for (const Table& table : kTables) {
    for (const Vector& v : table.vectors) {
      if (v.lenient) {
        continue;
      }
      int verdict = table.classify(v.input, v.input.size());
      int ours = verdict == 0 ? 'A' : verdict == -1 ? 'I' : 'R';
      if (ours != v.llhttp) {
        EXPECT_STRNE(v.note, "") << v.name << ": llhttp says " << static_cast<char>(v.llhttp)
                                 << ", the parser " << static_cast<char>(ours);
      }
    }
  }
}

// What llhttp only allows in a lenient mode is refused here (leniencies about reusing the
// connection after the message are not parsing questions and are noted): the parser's verdict on
// each lenient fixture is not "accepted" unless a note says why.
TEST(LlhttpVectorsTest, LenientFixturesAreRefused) {
  int lenient = 0;
  for (const Table& table : kTables) {
    for (const Vector& v : table.vectors) {
      if (!v.lenient) {
        continue;
      }
      ++lenient;
      int verdict = table.classify(v.input, v.input.size());
      if (verdict == 0) {
        EXPECT_STRNE(v.note, "") << v.name << ": accepted without a note";
      }
    }
  }
  EXPECT_GT(lenient, 0);
}

#undef SV

} // namespace
} // namespace exaproxy::http
