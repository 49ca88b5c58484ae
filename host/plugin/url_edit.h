// Validated edits of a parsed request's target, for the req_set_* host functions. No sockets, no
// plugin types: plain functions over http::RequestHead, testable alone.
#pragma once

#include "http/request_parser.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::plugin {

// "http://host[:port][/path?query]", "/path?query" (path only; not for CONNECT) or, for CONNECT
// only, "host:port". Updates host, port, explicitPort and pathAndQuery (the serializer rebuilds the
// Host header from them). False, changing nothing, if malformed.
bool setRequestUrl(http::RequestHead& req, std::string_view url);
// Host is a DNS name (letters, digits, '-', '.', '_') or an IP literal (IPv6 with or without
// brackets); port 0 keeps the current port.
bool setRequestHost(http::RequestHead& req, std::string_view host, uint16_t port);
// Origin-form "/path?query" without spaces or control characters; not for CONNECT.
bool setRequestPath(http::RequestHead& req, std::string_view pathAndQuery);

// Header rules shared by every header setter: a token name, a value without CR, LF or NUL.
bool validHeaderName(std::string_view name);
bool validHeaderValue(std::string_view value);

// One request edit a verdict carries (ABI 1.2 verdict_set_url / verdict_edit_header), recorded
// on any thread and applied on the loop.
struct RequestEdit {
  enum class Kind { Url, HeaderSet, HeaderAdd, HeaderRemove };
  Kind kind = Kind::Url;
  std::string name;  // Url: the URL; headers: the field name
  std::string value; // HeaderSet / HeaderAdd
};

// Whether `url` has one of setRequestUrl's forms for some request (absolute http URL, "/path" or
// "host:port"): the check verdict_set_url can make before it knows the request.
bool plausibleRequestUrl(std::string_view url);

// Applies `edits` in order, all or none: the URL edits are tried on a copy of the request's target
// first; if one does not fit this request, nothing is changed and `problem` says why. Header edits
// are not checked again (the setter validated them).
bool applyRequestEdits(http::RequestHead& req, const std::vector<RequestEdit>& edits,
                       std::string& problem);

} // namespace exaproxy::plugin
