#include "acl_policy.h"

#include <algorithm>

#include <exaproxy/text.hpp>

namespace exaproxy::acl {

namespace {

using sdk::concat;
using sdk::jsonString;

std::string percentEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

} // namespace

const char* toString(Action a) {
  switch (a) {
  case Action::Allow:
    return "allow";
  case Action::Deny:
    return "deny";
  case Action::Redirect:
    return "redirect";
  }
  return "?";
}

std::unique_ptr<UrlRegex> UrlRegex::compile(const std::string& pattern, std::string& why) {
  std::unique_ptr<UrlRegex> r(new UrlRegex());
  int rc = regcomp(&r->re_, pattern.c_str(), REG_EXTENDED | REG_ICASE | REG_NOSUB);
  if (rc != 0) {
    char buf[256];
    regerror(rc, &r->re_, buf, sizeof buf);
    why = "bad regular expression '" + pattern + "': " + buf;
    return nullptr; // compiled_ is false: nothing to regfree
  }
  r->compiled_ = true;
  r->pattern_ = pattern;
  return r;
}

UrlRegex::~UrlRegex() {
  if (compiled_)
    regfree(&re_);
}

bool UrlRegex::search(std::string_view text) const {
  // REG_STARTEND: the text need not be NUL-terminated (glibc, BSDs).
  regmatch_t range[1];
  range[0].rm_so = 0;
  range[0].rm_eo = static_cast<regoff_t>(text.size());
  static const char empty[] = "";
  return regexec(&re_, text.empty() ? empty : text.data(), 1, range, REG_STARTEND) == 0;
}

bool TimeWindow::matches(int weekday, int minuteOfDay) const {
  if (weekday < 0 || weekday > 6 || !(days & (1u << weekday)))
    return false;
  if (ranges.empty())
    return true;
  for (auto [start, end] : ranges) {
    if (start < end ? (minuteOfDay >= start && minuteOfDay < end)
                    : (minuteOfDay >= start || minuteOfDay < end))
      return true;
  }
  return false;
}

namespace {

// Whether one of `wanted` is among the names of `have` (separated by commas or spaces).
bool inGroups(const std::vector<std::string>& wanted, std::string_view have) {
  while (!have.empty()) {
    size_t start = have.find_first_not_of(", ");
    if (start == std::string_view::npos)
      return false;
    have.remove_prefix(start);
    size_t end = have.find_first_of(", ");
    std::string_view name = have.substr(0, end);
    if (std::find(wanted.begin(), wanted.end(), name) != wanted.end())
      return true;
    have.remove_prefix(end == std::string_view::npos ? have.size() : end);
  }
  return false;
}

} // namespace

bool Rule::matches(const RequestInfo& r) const {
  if (connect && *connect != r.connect)
    return false;
  if (!methods.empty() && std::find(methods.begin(), methods.end(), r.method) == methods.end())
    return false;
  if (!ports.empty() && std::none_of(ports.begin(), ports.end(), [&](auto range) {
        return r.port >= range.first && r.port <= range.second;
      }))
    return false;
  if (time && !time->matches(r.weekday, r.minuteOfDay))
    return false;
  if (clients && !clients->contains(r.client))
    return false;
  if (!users.empty() && std::find(users.begin(), users.end(), r.user) == users.end())
    return false;
  if (!groups.empty() && !inGroups(groups, r.groups))
    return false;
  if (!externals.empty() && std::none_of(externals.begin(), externals.end(), [&r](const auto& e) {
        auto v = r.note ? r.note(e.first) : std::nullopt;
        return (v && *v == "OK") == e.second;
      }))
    return false;
  if (domains || !lists.empty()) {
    bool listed = domains && domains->contains(r.host);
    for (size_t i = 0; !listed && i < lists.size(); ++i)
      listed = lists[i]->domains.contains(r.host);
    if (!listed)
      return false;
  }
  if (urlRegex && !urlRegex->search(r.url))
    return false;
  return true;
}

std::string expandLocation(std::string_view location, const RequestInfo& r,
                           std::string_view ruleName) {
  std::string out;
  size_t i = 0;
  while (i < location.size()) {
    if (location[i] == '{') {
      auto close = location.find('}', i);
      if (close != std::string_view::npos) {
        auto name = location.substr(i + 1, close - i - 1);
        const std::string_view* value = nullptr;
        if (name == "url")
          value = &r.url;
        else if (name == "host")
          value = &r.host;
        else if (name == "client")
          value = &r.client;
        else if (name == "rule")
          value = &ruleName;
        if (value) {
          out += percentEncode(*value);
          i = close + 1;
          continue;
        }
      }
    }
    out += location[i++];
  }
  return out;
}

Decision AclPolicy::decide(const RequestInfo& request) const {
  Decision d;
  for (const auto& rule : rules_) {
    if (!rule->matches(request))
      continue;
    rule->hits.fetch_add(1, std::memory_order_relaxed);
    d.action = rule->action;
    d.rule = rule.get();
    switch (rule->action) {
    case Action::Allow:
      d.reason = rule->reason;
      break;
    case Action::Deny:
      d.reason = rule->reason.empty() ? "access denied by rule " + rule->name : rule->reason;
      d.status = rule->status ? rule->status : 403;
      break;
    case Action::Redirect:
      d.reason = rule->reason.empty() ? "redirected by rule " + rule->name : rule->reason;
      d.location = expandLocation(rule->location, request, rule->name);
      d.status = rule->status ? rule->status : 302;
      break;
    }
    return d;
  }
  defaultHits.fetch_add(1, std::memory_order_relaxed);
  d.action = defaultAction_;
  if (defaultAction_ == Action::Deny) {
    d.reason = defaultReason_.empty() ? "access denied by the default policy" : defaultReason_;
    d.status = defaultStatus_ ? defaultStatus_ : 403;
  }
  return d;
}

std::string AclPolicy::statusJson() const {
  std::string out = "{\"default\":";
  out += jsonString(toString(defaultAction_));
  out += concat(",\"default_hits\":", std::to_string(defaultHits.load(std::memory_order_relaxed)),
                ",\"lists_load_ms\":", std::to_string(loadMillis_), ",\"lists\":[");
  for (size_t i = 0; i < lists_.size(); ++i) {
    const auto& l = *lists_[i];
    if (i)
      out += ',';
    out +=
        concat("{\"name\":", jsonString(l.name), ",\"domains\":", std::to_string(l.domains.size()),
               ",\"memory_bytes\":", std::to_string(l.domains.memoryBytes()), ",\"files\":[");
    for (size_t f = 0; f < l.files.size(); ++f)
      out += concat(f ? "," : "", jsonString(l.files[f]));
    out += "]}";
  }
  out += "],\"rules\":[";
  for (size_t i = 0; i < rules_.size(); ++i) {
    const auto& r = *rules_[i];
    if (i)
      out += ',';
    out += concat("{\"name\":", jsonString(r.name), ",\"action\":", jsonString(toString(r.action)),
                  ",\"hits\":", std::to_string(r.hits.load(std::memory_order_relaxed)), "}");
  }
  out += "]}";
  return out;
}

} // namespace exaproxy::acl
