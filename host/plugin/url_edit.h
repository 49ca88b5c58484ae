// Validated edits of a parsed request's target, for the req_set_* host functions. No sockets, no
// plugin types: plain functions over http::RequestHead, testable alone.
#pragma once

#include "http/request_parser.h"

#include <cstdint>
#include <string_view>

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

} // namespace exaproxy::plugin
