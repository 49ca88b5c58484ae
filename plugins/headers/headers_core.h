// The headers plugin's logic, without the ABI: applies the matching rules of a HeadersConfig to a
// message's fields through HeaderAccess (the glue wraps the host's header_* functions; the tests
// use a vector). Stateless: safe to call from every event loop at once.
#pragma once

#include "headers_config.h"

#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::headers {

// The fields of one message (the request or the response), as the host exposes them.
class HeaderAccess {
public:
  virtual ~HeaderAccess() = default;
  // Every value of `name` (case-insensitive), in order.
  virtual std::vector<std::string> values(std::string_view name) const = 0;
  // False when refused (the host refuses bad names/values and the fields it owns).
  virtual bool set(std::string_view name, std::string_view value) = 0;
  virtual bool add(std::string_view name, std::string_view value) = 0;
  // Number of fields removed.
  virtual int remove(std::string_view name) = 0;
};

// What one apply() did, for the counters and the verdict.
struct ApplyResult {
  bool changed = false;     // some field was set, added or removed: answer REWRITE
  int rulesApplied = 0;     // matching rules
  int malformedCookies = 0; // Cookie / Set-Cookie fields left untouched because they do not parse
  int refused = 0;          // edits the host refused
};

// Applies, in file order, every rule of `direction` whose host patterns match `host`.
ApplyResult applyRules(const HeadersConfig& config, Direction direction, std::string_view host,
                       HeaderAccess& fields);

} // namespace exaproxy::headers
