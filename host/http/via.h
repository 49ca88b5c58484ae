// The Via header field (RFC 9110 §7.6.3) as a loop detector: whether a request already went
// through a proxy that calls itself by our name.
#pragma once

#include "http/header_map.h"

#include <string_view>

namespace exaproxy::http {

// True when an element of any Via field names `pseudonym` as its received-by (the second word;
// a ":port" after it is ignored; comments are not names). Case-insensitive.
//   Via: 1.1 exaproxy, 1.0 other (comment)  -> names "exaproxy" and "other"
bool viaNames(const HeaderMap& headers, std::string_view pseudonym);

} // namespace exaproxy::http
