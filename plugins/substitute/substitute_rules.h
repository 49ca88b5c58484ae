// SubstituteRules: which requested host is served by which substitute (host substitution, the
// way SafeSearch / YouTube restricted mode are enforced: PROTOCOLS.md section 5).
//
// A rule is one `requested = substitute[:port]` entry of the [substitute] section:
//   www.google.com  = forcesafesearch.google.com     exact name
//   *.example.org   = safe.example.net:8443          any name below example.org (not itself)
//   192.0.2.10      = 198.51.100.7                   an IP literal as the requested host
//   www.example.com = [2001:db8::7]:443              an IPv6 substitute (brackets with a port)
// The most specific rule wins: an exact name, then the longest wildcard suffix.
//
// Built once (main thread, create()/reconfigure()), then read-only and shared by every loop
// thread; the per-rule hit counters are relaxed atomics.
#pragma once

#include "config_problem.h"

#include <exaproxy/plugin.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace exaproxy::substitute {

// One configuration entry as the host hands it over (index: for config_error()).
using Setting = sdk::Setting;

// A configuration problem at a setting (index SIZE_MAX: none); describe() "file:line: message".
using common::ConfigProblem;

// Where a substituted request goes.
struct Target {
  std::string host;  // a lowercase name or an IP literal (IPv6 without brackets)
  uint16_t port = 0; // 0: the request's own port
};

// "host:port" with IPv6 literals in brackets (for logs and status).
std::string hostPort(std::string_view host, uint16_t port);

// Syntax checks, exposed for the tests.
bool isIpv4Literal(std::string_view s);
bool isIpv6Literal(std::string_view s);
// A DNS name: dot-separated labels of [a-z0-9_-] (1..63 each), at most 253 characters. Lowercase
// expected; a single trailing dot is not accepted here (normalise first).
bool isHostName(std::string_view s);
// Parses "name", "name:port", "1.2.3.4", "1.2.3.4:port", "[v6]", "[v6]:port" or a bare v6
// literal. False with why set when malformed.
bool parseTarget(std::string_view text, Target& out, std::string& why);

class SubstituteRules {
public:
  struct Rule {
    std::string pattern; // as written (lowercase): "www.google.com" or "*.example.org"
    Target target;
    mutable std::atomic<uint64_t> hits{0};
  };
  struct Match {
    const Rule* rule;
  };

  // Parses every setting (all must be in [substitute]). On any problem, returns null and fills
  // problems (all of them, each at its file:line).
  static std::unique_ptr<const SubstituteRules> parse(const std::vector<Setting>& settings,
                                                      std::vector<ConfigProblem>& problems);

  // The rule for a requested host (lowercase; a trailing dot is ignored), or nullopt.
  // THREAD: any. One hash probe for the exact name, then one per label for wildcards.
  std::optional<Match> find(std::string_view host) const;

  size_t size() const { return rules_.size(); }
  const std::vector<std::unique_ptr<Rule>>& rules() const { return rules_; }

  // JSON object for the UI: the rules with their targets and hit counts.
  std::string statusJson() const;

private:
  std::vector<std::unique_ptr<Rule>> rules_;
  std::unordered_map<std::string, const Rule*> exact_;    // "www.google.com"
  std::unordered_map<std::string, const Rule*> wildcard_; // "example.org" for "*.example.org"
};

} // namespace exaproxy::substitute
