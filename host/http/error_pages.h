// ErrorPages: the HTML pages the proxy renders itself — its own error responses, and the pages
// plugins ask for by name (ABI 1.2 verdict_set_page: block pages...). Templates are read once by
// load() (never on the data path) and rendered with HTML-escaped placeholder values, so an
// operator restyles every page in one place: the [server] templates directory.
#pragma once

#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace exaproxy::http {

// Placeholder values, in order; a later entry replaces an earlier one of the same name.
using PageVars = std::vector<std::pair<std::string, std::string>>;

// Escapes & < > " ' for HTML text and attribute values.
std::string htmlEscape(std::string_view text);

// One pass over `tpl`: {{name}} (spaces inside the braces allowed) becomes the HTML-escaped value
// of the last `vars` entry with that name. An unknown name is left as it is (its opening braces
// are kept and the text after them scanned again, so "{{a {{url}}" still expands {{url}}).
// Substituted text is never expanded again.
std::string renderTemplate(std::string_view tpl, const PageVars& vars);

// A template name: [A-Za-z0-9_-]+, at most 64 characters (NAME.html in the directory).
bool validTemplateName(std::string_view name);

// An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the {{time}} of pages.
std::string httpDate(std::time_t t);

class ErrorPages {
public:
  ErrorPages();

  // Reads every <dir>/NAME.html whose NAME is a template name (validTemplateName): error.html,
  // the <status>.html pages (403.html...) and the pages plugins name. Replaces what a previous
  // load() read; on error the previous templates are kept.
  Status load(const std::filesystem::path& dir);

  // <status>.html if loaded, else error.html, else the built-in template. Placeholders: {{status}},
  // {{reason}}, {{detail}}, {{url}}, {{proxy}}; unknown ones are left as they are.
  std::string render(int status, std::string_view detail, std::string_view url,
                     std::string_view proxyName) const;
  // The same page with any variables: {{status}} and {{reason}} (the status phrase) first, then
  // `vars`.
  std::string renderStatus(int status, const PageVars& vars) const;
  // <name>.html if loaded, else error.html, else the built-in template (`found`, when given, says
  // whether <name>.html was there), with {{status}}, {{reason}} and then `vars`.
  std::string renderNamed(std::string_view name, int status, const PageVars& vars,
                          bool* found = nullptr) const;

  // Whether <name>.html was loaded.
  bool has(std::string_view name) const;
  // Every loaded template name, sorted.
  std::vector<std::string> names() const;

  static std::string_view builtinTemplate();

private:
  std::string_view pageFor(std::string_view name, bool* found) const;
  std::string renderWith(std::string_view tpl, int status, const PageVars& vars) const;

  std::map<std::string, std::string, std::less<>> pages_; // NAME -> content of NAME.html
};

} // namespace exaproxy::http
