// Page templates with {{name}} placeholders, rendered with HTML-escaped values: the same syntax and
// placeholders as the host's error pages (www/templates/error.html: {{status}} {{reason}}
// {{detail}} {{url}} {{proxy}}), plus the local plugin's own ({{host}} {{client}} {{user}}
// {{plugin}} {{rule}} {{time}} {{method}}).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace exaproxy::local {

// Escapes & < > " ' for HTML text and attribute values.
std::string htmlEscape(std::string_view text);

// One pass over the template: {{name}} (spaces inside the braces allowed) becomes the escaped
// value; an unknown name is left as it is. Substituted text is never expanded again.
std::string renderTemplate(std::string_view tpl, const std::map<std::string, std::string>& vars);

// Used for `template = error` when no templates directory is configured.
std::string_view builtinTemplate();

// "Forbidden" for 403; "" for codes it does not know.
std::string_view reasonPhrase(int status);

} // namespace exaproxy::local
