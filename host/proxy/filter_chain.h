// The seam where plugins plug in. A transaction asks the chain for a verdict on each request head
// (and CONNECT); the plugin runtime (SDK issue) replaces this with the loaded chain. Today the
// chain is empty and always answers Continue.
#pragma once

#include "http/request_parser.h"

namespace exaproxy::proxy {

enum class Verdict { Continue };

class FilterChain {
public:
  // Loop thread. The request may be edited in place by a REWRITE verdict (later).
  Verdict onRequestHead(http::RequestHead& /*request*/) { return Verdict::Continue; }
};

} // namespace exaproxy::proxy
