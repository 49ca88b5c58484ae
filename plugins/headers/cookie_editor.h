// Cookie editing that leaves every other cookie byte for byte as the client (or origin) sent it:
// a Cookie header is parsed into spans, and only the span of the edited cookie is rewritten,
// removed (with one separator) or appended. A header that does not parse is never edited.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::headers {

// One "name=value" of a Cookie header; [begin, end) is its span in the header value.
struct CookiePair {
  std::string_view name;
  std::string_view value;
  size_t begin = 0;
  size_t end = 0;
};

// Parses a Cookie header value ("a=1; b=2"). Empty segments (";;", a trailing ";") are tolerated.
// nullopt when malformed: a segment without '=', a name that is not a token, a control character.
std::optional<std::vector<CookiePair>> parseCookieHeader(std::string_view header);

// The result of one edit of one Cookie header value.
struct CookieEdit {
  std::string value;  // the new header value (empty: every cookie is gone, remove the header)
  bool found = false; // the cookie was in the header
  bool changed = false;
};

// Every occurrence of `name` gets `value`. When absent: appended if `addIfAbsent`.
CookieEdit cookieSet(std::string_view header, const std::vector<CookiePair>& pairs,
                     std::string_view name, std::string_view value, bool addIfAbsent);
// Every occurrence of `name` is removed, with the separator before (or after) it.
CookieEdit cookieRemove(std::string_view header, const std::vector<CookiePair>& pairs,
                        std::string_view name);
// In every occurrence of `name`, key=value is set inside the cookie's value (see paramSet).
// When the cookie is absent: "name=key=value" is appended if `addIfAbsent`.
CookieEdit cookieParam(std::string_view header, const std::vector<CookiePair>& pairs,
                       std::string_view name, std::string_view key, std::string_view value,
                       char separator, bool addIfAbsent);

// Sets key=value in a value made of `separator`-separated items ("f1=50000000&hl=en"): the first
// item with that key is replaced and later ones dropped, or the item is appended. A value in
// double quotes is edited inside them. Items without '=' are kept as they are.
std::string paramSet(std::string_view cookieValue, std::string_view key, std::string_view value,
                     char separator);

// A Set-Cookie header: "name=value" then the attributes from the first ';' on (kept verbatim).
struct SetCookie {
  std::string_view name;
  std::string_view value;
  std::string_view attributes; // "; Path=/; HttpOnly" or empty
};
// nullopt when malformed (no '=' before the first ';', a name that is not a token, a CTL).
std::optional<SetCookie> parseSetCookie(std::string_view header);

} // namespace exaproxy::headers
