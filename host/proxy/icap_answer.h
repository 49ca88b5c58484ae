// The ICAP server's messages (RFC 3507), as bytes: what host/proxy/icap_session.cpp sends back to
// an ICAP client (Squid) for each REQMOD and OPTIONS. Pure functions, no I/O.
//
// A verdict of the plugin chain maps to an ICAP answer:
//   continue, nothing changed      -> 204 No Content (or, when the client did not allow 204 and
//                                     sent no preview, 200 with the request as it came)
//   continue after a REWRITE, ROUTE -> 200 with the edited request head (req-hdr), its body echoed
//   redirect, respond, deny         -> 200 with the answer's HTTP response (res-hdr, res-body)
#pragma once

#include "http/request_parser.h"
#include "http/response_parser.h"

#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::proxy::icapd {

// "ICAP/1.0 100 Continue": the client may send the rest of a previewed body.
std::string continueAnswer();
// "ICAP/1.0 204 No Content": use the request as it is.
std::string noContentAnswer(std::string_view istag);
// An ICAP-level error (400, 404, 405, 413, 500, 501, 503), with Connection: close when `close`.
std::string errorAnswer(int status, std::string_view istag, bool close);
// The answer to OPTIONS for the REQMOD (or the RESPMOD) service: Methods, ISTag, Allow: 204,
// Preview: 0 (a body is only sent when the chain needs it), Max-Connections, Options-TTL.
std::string optionsAnswer(std::string_view istag, size_t maxConnections, bool respmod = false);
// 200 with an HTTP request head (ending in its empty line) and, when given, its body (chunked).
std::string requestAnswer(std::string_view istag, std::string_view httpHead,
                          std::optional<std::string_view> body);
// 200 with an HTTP response: `httpResponse` is the head (ending in its empty line) followed by
// the body, as serializeAnswer() makes it; the body goes chunked (none: null-body).
std::string responseAnswer(std::string_view istag, std::string_view httpResponse);

// 200 with the (edited) HTTP response head and its body: RESPMOD's answer.
std::string adaptedResponseAnswer(std::string_view istag, std::string_view httpHead,
                                  std::string_view body);

// The response head as the ICAP client must send it on: the status line, the fields in order,
// and, when `contentLength` is given, Content-Length set to it and Transfer-Encoding dropped (a
// body whose length the plugins changed).
std::string responseHeadText(const http::ResponseHead& resp,
                             std::optional<uint64_t> contentLength = std::nullopt);

// Whether an ICAP URI names the RESPMOD service: its path ends in "respmod" (icap://h/respmod).
bool isRespmodService(std::string_view icapUri);

// The request head as the ICAP client must send it on: absolute-form request line (authority
// form for CONNECT), the fields in order with Host rebuilt from the (possibly rewritten) target.
std::string requestHeadText(const http::RequestHead& req);

// The ICAP status line's reason for the statuses above.
std::string_view icapReason(int status);

} // namespace exaproxy::proxy::icapd
