// Built-in content, generated without touching the disk: a proxy auto-config file (proxy.pac /
// wpad.dat) and a small JSON status document.
#pragma once

#include "local_answer.h"
#include "local_config.h"

#include <string>

namespace exaproxy::local {

// The "host:port" browsers are told to use: pac_proxy if set, else the listener the request came
// in on (unless it is a wildcard address), else the host:port the request named.
std::string pacProxyAddress(const LocalConfig& config, const LocalRequest& req);

// FindProxyForURL(): DIRECT for dotless names (pac_plain_direct) and the pac_direct names,
// "PROXY <address>" (then "; DIRECT" with pac_fallback = direct) for everything else.
std::string pacScript(const LocalConfig& config, const std::string& proxyAddress);

// Counters the status document shows.
struct StatusCounts {
  uint64_t files = 0, notModified = 0, pages = 0, generated = 0, denied = 0, traversal = 0,
           notFound = 0;
};

// {"status":"ok","proxy":...,"plugin":"local","time":...,"client":...,"user":...,"rules":N,
//  "counters":{...}}
std::string statusJson(const LocalConfig& config, const LocalRequest& req, const std::string& time,
                       const StatusCounts& counts);

// A JSON string literal (quotes included) with the control characters escaped.
using sdk::jsonString;

} // namespace exaproxy::local
