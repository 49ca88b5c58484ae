// The local plugin's configuration: rules parsed once (template names checked, roots resolved)
// into an immutable LocalConfig shared by every hook and worker job (STYLE.md convention 3). No ABI
// here.
#pragma once

#include "config_problem.h"

#include <exaproxy/plugin.hpp>
#include <exaproxy/text.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::local {

// One setting as the host hands it over (index: for config_error()).
using ConfigEntry = sdk::Setting;

// A refused setting: what() "file:line: [section] key: message", message() the bare reason.
using common::ConfigFailure;

// "name" (exactly), "*.domain" (names below it), "*" (any), "@listener" (the request names the
// address:port it reached the proxy on: the proxy's own host, e.g. GET /proxy.pac).
class HostPattern {
public:
  static bool parse(std::string_view text, HostPattern& out);
  // host lower case (as req_host gives it); hostPort "host:port" of the request; listener the
  // "ip:port" the request came in on.
  bool matches(std::string_view host, std::string_view hostPort, std::string_view listener) const;

private:
  bool listener_ = false;
  sdk::HostPattern name_; // when not listener_
};

enum class RuleAction {
  File,      // one file, whatever the path
  Directory, // a tree: the path below the matched prefix names the file
  Template,  // a page the host renders from its templates directory (block page)
  Generate,  // built-in content: PAC file or JSON status
  Deny,      // the host's own error page (it owns its look) with this reason
};

enum class Generator { Pac, Status };

struct LocalRule {
  std::string name;  // [local NAME]
  std::string where; // "file:line" of its first entry
  // Matching: every criterion given must match; at least one is required.
  std::vector<HostPattern> hosts;
  std::string prefix; // "/path" (path prefix) or "http://host/path" (URL prefix)
  bool prefixIsUrl = false;
  bool hasRegex = false;
  std::regex regex; // searched in the full URL
  std::string regexText;
  // What it answers.
  RuleAction action = RuleAction::Deny;
  std::string root; // File: the file; Directory: the tree (both canonical, real paths)
  std::string index = "index.html";
  std::string templateName; // Template: NAME of <[server] templates>/NAME.html (the host renders)
  Generator generator = Generator::Pac;
  int status = 0;          // 0: the action's default (200; 403 for Template and Deny)
  std::string reason;      // Template {{detail}}, Deny reason
  std::string contentType; // overrides the type by extension (File, Directory)
};

struct LocalConfig {
  std::string proxyName = "ExaProxy"; // the status document's "proxy"
  bool proxyNameSet = false; // `name` given: it also replaces the host's {{proxy}} on pages
  std::string pacProxy;      // "host:port" named in the PAC; empty: the listener's
  std::vector<std::string> pacDirect; // names ("a.test", "*.corp.test") the PAC sends DIRECT
  bool pacPlainDirect = true;         // dotless names DIRECT
  bool pacFallbackDirect = true;      // "PROXY p; DIRECT" rather than "PROXY p"
  std::vector<LocalRule> rules;       // in file order; the first match answers
  std::vector<std::string> warnings;  // accepted but worth a log line (deprecated keys...)
};
using LocalConfigPtr = std::shared_ptr<const LocalConfig>;

// Whether the host's templates directory has NAME.html (ABI 1.2 template_exists); nullopt when
// the host cannot tell. An empty function checks nothing.
using TemplateCheck = std::function<std::optional<bool>(std::string_view name)>;

// [local] holds the global keys (name, pac_proxy, pac_direct, pac_plain_direct, pac_fallback; the
// deprecated `templates` is accepted, ignored and warned about); each [local NAME] one rule
// (README.md). Relative paths are relative to the directory of the file they appear in. Checks
// roots and, through `templateExists`, template names: call at configuration time only. Throws
// ConfigFailure naming the entry.
LocalConfigPtr parseLocalConfig(const std::vector<ConfigEntry>& entries,
                                const TemplateCheck& templateExists = {});

} // namespace exaproxy::local
