// ErrorPages: the HTML bodies of the proxy's own error responses. Templates are read once by load()
// (never on the data path) and rendered with HTML-escaped placeholder values.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace exaproxy::http {

// Escapes & < > " ' for HTML text and attribute values.
std::string htmlEscape(std::string_view text);

class ErrorPages {
public:
  ErrorPages();

  // Reads <dir>/error.html and every <dir>/<3 digits>.html. Replaces what a previous load() read;
  // on error the previous templates are kept.
  Status load(const std::filesystem::path& dir);

  // <status>.html if loaded, else error.html, else the built-in template. Placeholders: {{status}},
  // {{reason}}, {{detail}}, {{url}}, {{proxy}}; unknown ones are left as they are.
  std::string render(int status, std::string_view detail, std::string_view url,
                     std::string_view proxyName) const;

  static std::string_view builtinTemplate();

private:
  std::string generic_;               // error.html, empty when absent
  std::map<int, std::string> byCode_; // <status>.html
};

} // namespace exaproxy::http
