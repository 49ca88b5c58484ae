// The HTTP side of ICAP: the request head the client encapsulates (absolute URL, as Squid sends
// it), and the HTTP heads a service sends back, read into their parts. Strict like the rest of
// icap_core: CR LF line ends, token names, no control characters in values.
#pragma once

#include "icap_common.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace exaproxy::icap {

struct HttpHead {
  // A request: method and target; a response: status and reason.
  std::string method;
  std::string target;
  int status = 0;
  std::string reason;
  std::vector<HeaderField> fields;

  const std::string* field(std::string_view name) const;
};

// "METHOD URL HTTP/1.1" CR LF, each field, CR LF.
std::string encapsulatedRequestHead(std::string_view method, std::string_view url,
                                    const std::vector<HeaderField>& fields);

// "HTTP/1.1 STATUS REASON" CR LF, each field, CR LF.
std::string encapsulatedResponseHead(int status, const std::vector<HeaderField>& fields);

// Reads an encapsulated HTTP head (ending with its empty line): a request head, or a response
// head when `response`.
Result<HttpHead> parseHttpHead(std::string_view raw, bool response);

} // namespace exaproxy::icap
