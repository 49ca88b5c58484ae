#include "cookie_editor.h"

#include "headers_config.h"

#include <functional>

namespace exaproxy::headers {
namespace {

bool isWs(char c) { return c == ' ' || c == '\t'; }

bool hasControl(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return true;
  return false;
}

// Rebuilds `header` with each pair named `name` passed through `edit`: a new "name=value" text,
// or nullopt to drop the pair. Separators and untouched pairs are copied from the original.
CookieEdit rewrite(std::string_view header, const std::vector<CookiePair>& pairs,
                   std::string_view name,
                   const std::function<std::optional<std::string>(const CookiePair&)>& edit) {
  CookieEdit out;
  if (pairs.empty()) {
    out.value = std::string(header);
    return out;
  }
  std::string result(header.substr(0, pairs.front().begin));
  bool anyKept = false;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const CookiePair& p = pairs[i];
    std::optional<std::string> text = std::string(header.substr(p.begin, p.end - p.begin));
    if (p.name == name) {
      out.found = true;
      text = edit(p);
      if (!text || *text != header.substr(p.begin, p.end - p.begin))
        out.changed = true;
    }
    if (!text)
      continue;
    // The separator that preceded this pair in the original, unless it is now the first one.
    if (anyKept)
      result.append(header.substr(pairs[i - 1].end, p.begin - pairs[i - 1].end));
    result.append(*text);
    anyKept = true;
  }
  if (anyKept)
    result.append(header.substr(pairs.back().end));
  out.value = anyKept ? result : std::string();
  return out;
}

std::string appendPair(std::string_view header, std::string_view pair) {
  std::string_view kept = header;
  while (!kept.empty() && (isWs(kept.back()) || kept.back() == ';'))
    kept.remove_suffix(1);
  std::string r(kept);
  if (!r.empty())
    r += "; ";
  r += pair;
  return r;
}

} // namespace

std::optional<std::vector<CookiePair>> parseCookieHeader(std::string_view header) {
  std::vector<CookiePair> pairs;
  if (hasControl(header))
    return std::nullopt;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t semi = header.find(';', pos);
    if (semi == std::string_view::npos)
      semi = header.size();
    size_t b = pos, e = semi;
    while (b < e && isWs(header[b]))
      ++b;
    while (e > b && isWs(header[e - 1]))
      --e;
    if (b < e) {
      std::string_view seg = header.substr(b, e - b);
      size_t eq = seg.find('=');
      if (eq == std::string_view::npos || !isToken(seg.substr(0, eq)))
        return std::nullopt;
      pairs.push_back(CookiePair{seg.substr(0, eq), seg.substr(eq + 1), b, e});
    }
    pos = semi + 1;
  }
  return pairs;
}

CookieEdit cookieSet(std::string_view header, const std::vector<CookiePair>& pairs,
                     std::string_view name, std::string_view value, bool addIfAbsent) {
  std::string pair = std::string(name) + "=" + std::string(value);
  CookieEdit out = rewrite(header, pairs, name,
                           [&](const CookiePair&) -> std::optional<std::string> { return pair; });
  if (!out.found && addIfAbsent) {
    out.value = appendPair(header, pair);
    out.changed = true;
  }
  return out;
}

CookieEdit cookieRemove(std::string_view header, const std::vector<CookiePair>& pairs,
                        std::string_view name) {
  return rewrite(header, pairs, name,
                 [](const CookiePair&) -> std::optional<std::string> { return std::nullopt; });
}

CookieEdit cookieParam(std::string_view header, const std::vector<CookiePair>& pairs,
                       std::string_view name, std::string_view key, std::string_view value,
                       char separator, bool addIfAbsent) {
  CookieEdit out =
      rewrite(header, pairs, name, [&](const CookiePair& p) -> std::optional<std::string> {
        return std::string(p.name) + "=" + paramSet(p.value, key, value, separator);
      });
  if (!out.found && addIfAbsent) {
    out.value =
        appendPair(header, std::string(name) + "=" + std::string(key) + "=" + std::string(value));
    out.changed = true;
  }
  return out;
}

std::string paramSet(std::string_view cookieValue, std::string_view key, std::string_view value,
                     char separator) {
  bool quoted = cookieValue.size() >= 2 && cookieValue.front() == '"' && cookieValue.back() == '"';
  std::string_view inner = quoted ? cookieValue.substr(1, cookieValue.size() - 2) : cookieValue;
  std::string item = std::string(key) + "=" + std::string(value);
  std::string result;
  bool done = false, first = true;
  size_t pos = 0;
  while (!inner.empty() && pos <= inner.size()) {
    size_t sep = inner.find(separator, pos);
    if (sep == std::string_view::npos)
      sep = inner.size();
    std::string_view it = inner.substr(pos, sep - pos);
    size_t eq = it.find('=');
    bool same = eq != std::string_view::npos && it.substr(0, eq) == key;
    if (!same || !done) {
      if (!first)
        result += separator;
      result += same ? std::string_view(item) : it;
      first = false;
      done = done || same;
    }
    pos = sep + 1;
  }
  if (!done) {
    if (!result.empty() && result.back() != separator)
      result += separator;
    result += item;
  }
  return quoted ? "\"" + result + "\"" : result;
}

std::optional<SetCookie> parseSetCookie(std::string_view header) {
  if (hasControl(header))
    return std::nullopt;
  size_t semi = header.find(';');
  std::string_view pair = sdk::trim(header.substr(0, semi));
  size_t eq = pair.find('=');
  if (eq == std::string_view::npos || !isToken(pair.substr(0, eq)))
    return std::nullopt;
  SetCookie sc;
  sc.name = pair.substr(0, eq);
  sc.value = pair.substr(eq + 1);
  if (semi != std::string_view::npos)
    sc.attributes = header.substr(semi);
  return sc;
}

} // namespace exaproxy::headers
