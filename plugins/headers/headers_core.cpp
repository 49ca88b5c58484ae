#include "headers_core.h"

#include "cookie_editor.h"

#include <optional>

namespace exaproxy::headers {
namespace {

using Kind = HeaderOp::Kind;

// One message being edited: the fields plus what was already counted for it.
class Editor {
public:
  Editor(HeaderAccess& fields, ApplyResult& result) : fields_(fields), result_(result) {}

  void apply(const HeaderOp& op, Direction dir) {
    switch (op.kind) {
    case Kind::Set:
      note(fields_.set(op.name, op.value));
      return;
    case Kind::Add:
      note(fields_.add(op.name, op.value));
      return;
    case Kind::Remove:
      if (fields_.remove(op.name) > 0)
        result_.changed = true;
      return;
    default:
      if (dir == Direction::Request)
        requestCookie(op);
      else
        responseCookie(op);
    }
  }

private:
  void note(bool ok) {
    if (ok)
      result_.changed = true;
    else
      ++result_.refused;
  }

  // Replaces every field `name` by `values` (in order), skipping empty ones.
  void rewriteAll(std::string_view name, const std::vector<std::string>& values) {
    fields_.remove(name);
    for (const auto& v : values)
      if (!v.empty() && !fields_.add(name, v))
        ++result_.refused;
    result_.changed = true;
  }

  // Cookie: one or more fields. If any of them does not parse, none is touched (an edit could
  // otherwise duplicate a cookie hidden in the malformed one).
  void requestCookie(const HeaderOp& op) {
    std::vector<std::string> values = fields_.values("Cookie");
    std::vector<std::vector<CookiePair>> parsed;
    int malformed = 0;
    for (const auto& v : values) {
      auto p = parseCookieHeader(v);
      if (!p)
        ++malformed;
      else
        parsed.push_back(std::move(*p));
    }
    if (malformed > 0) {
      if (!cookieCounted_)
        result_.malformedCookies += malformed;
      cookieCounted_ = true;
      return;
    }
    bool addIfAbsent = op.kind == Kind::CookieSet || op.kind == Kind::CookieParam;
    bool found = false, changed = false;
    for (size_t i = 0; i < values.size(); ++i) {
      CookieEdit e = editOne(op, values[i], parsed[i], false);
      found = found || e.found;
      changed = changed || e.changed;
      values[i] = std::move(e.value);
    }
    if (!found && addIfAbsent) {
      if (values.empty())
        values.emplace_back();
      auto last = parseCookieHeader(values.back());
      CookieEdit e = editOne(op, values.back(), *last, true);
      values.back() = std::move(e.value);
      changed = true;
    }
    if (changed)
      rewriteAll("Cookie", values);
  }

  static CookieEdit editOne(const HeaderOp& op, std::string_view value,
                            const std::vector<CookiePair>& pairs, bool addIfAbsent) {
    switch (op.kind) {
    case Kind::CookieSet:
    case Kind::CookieReplace:
      return cookieSet(value, pairs, op.cookie, op.value, addIfAbsent);
    case Kind::CookieRemove:
      return cookieRemove(value, pairs, op.cookie);
    default:
      return cookieParam(value, pairs, op.cookie, op.key, op.value, op.separator, addIfAbsent);
    }
  }

  // Set-Cookie: one cookie per field; a malformed field is kept as it is.
  void responseCookie(const HeaderOp& op) {
    std::vector<std::string> values = fields_.values("Set-Cookie");
    std::vector<std::string> out;
    bool found = false, changed = false;
    int malformed = 0;
    for (const auto& v : values) {
      auto sc = parseSetCookie(v);
      if (!sc) {
        ++malformed;
        out.push_back(v);
        continue;
      }
      if (sc->name != op.cookie) {
        out.push_back(v);
        continue;
      }
      found = true;
      changed = true;
      if (op.kind == Kind::CookieRemove)
        continue;
      std::string value = op.kind == Kind::CookieParam
                              ? paramSet(sc->value, op.key, op.value, op.separator)
                              : op.value;
      out.push_back(op.cookie + "=" + value + std::string(sc->attributes));
    }
    if (malformed > 0 && !setCookieCounted_)
      result_.malformedCookies += malformed;
    setCookieCounted_ = setCookieCounted_ || malformed > 0;
    if (!found && op.kind == Kind::CookieSet) {
      out.push_back(op.cookie + "=" + op.value + op.attributes);
      changed = true;
    } else if (!found && op.kind == Kind::CookieParam) {
      out.push_back(op.cookie + "=" + op.key + "=" + op.value);
      changed = true;
    }
    if (changed)
      rewriteAll("Set-Cookie", out);
  }

  HeaderAccess& fields_;
  ApplyResult& result_;
  bool cookieCounted_ = false;
  bool setCookieCounted_ = false;
};

} // namespace

ApplyResult applyRules(const HeadersConfig& config, Direction direction, std::string_view host,
                       HeaderAccess& fields) {
  ApplyResult result;
  Editor editor(fields, result);
  for (const auto& rule : config.rules) {
    if (rule.direction != direction || !rule.matchesHost(host))
      continue;
    ++result.rulesApplied;
    for (const auto& op : rule.ops)
      editor.apply(op, direction);
  }
  return result;
}

} // namespace exaproxy::headers
