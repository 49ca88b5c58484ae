#include "acl_policy.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>

namespace exaproxy::acl {

namespace {

// Concatenation without `"literal" + std::string&&`, which g++ 12 -O3 flags with a false
// -Wrestrict warning (GCC bug 105329).
template <typename... Parts> std::string cat(const Parts&... parts) {
  std::string out;
  out.reserve((std::string_view(parts).size() + ...));
  (out.append(std::string_view(parts)), ...);
  return out;
}

std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string toUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// Items separated by spaces and/or commas (the conf.d list syntax).
std::vector<std::string> splitList(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
      ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != ',')
      ++i;
    if (i > start)
      out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

template <typename T> bool parseNumber(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

std::optional<bool> parseBool(std::string_view s) {
  auto v = toLower(s);
  if (v == "yes" || v == "true" || v == "on" || v == "1")
    return true;
  if (v == "no" || v == "false" || v == "off" || v == "0")
    return false;
  return std::nullopt;
}

std::optional<Action> parseAction(std::string_view s) {
  auto v = toLower(s);
  if (v == "allow")
    return Action::Allow;
  if (v == "deny")
    return Action::Deny;
  if (v == "redirect")
    return Action::Redirect;
  return std::nullopt;
}

int parseDay(std::string_view s) {
  static const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  auto v = toLower(s);
  for (int d = 0; d < 7; ++d)
    if (v == names[d])
      return d;
  return -1;
}

// "HH:MM" → minutes; 24:00 only when allow24.
int parseClock(std::string_view s, bool allow24) {
  auto colon = s.find(':');
  int h = 0, m = 0;
  if (colon == std::string_view::npos || !parseNumber(s.substr(0, colon), h) ||
      !parseNumber(s.substr(colon + 1), m) || s.size() - colon != 3 || m < 0 || m > 59 || h < 0)
    return -1;
  if (h == 24 && m == 0 && allow24)
    return 24 * 60;
  if (h > 23)
    return -1;
  return h * 60 + m;
}

std::string directoryOf(const std::string& file, const LoadOptions& options) {
  if (file.empty() || file == "--set")
    return options.baseDir;
  auto slash = file.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : file.substr(0, slash);
}

std::string jsonString(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

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

// The parse state of one [acl_rule NAME] section: its last value of each key (later wins, as
// everywhere in conf.d, so --set can override a key).
struct RuleSection {
  std::string name;
  const Setting* first = nullptr;
  std::map<std::string, const Setting*> keys;
};

} // namespace

std::string ConfigProblem::describe() const {
  if (file.empty())
    return message;
  return cat(file, ":", std::to_string(line), ": ", message);
}

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

std::unique_ptr<const AclPolicy> AclPolicy::load(const std::vector<Setting>& settings,
                                                 std::vector<ConfigProblem>& problems,
                                                 const LoadOptions& options) {
  auto policy = std::unique_ptr<AclPolicy>(new AclPolicy());
  size_t before = problems.size();
  auto fail = [&](const Setting& s, std::string message) {
    problems.push_back(ConfigProblem{s.index, s.file, s.line, std::move(message)});
  };

  // 1. Sort the entries by section, keeping the order in which rules first appear.
  std::vector<RuleSection> ruleSections;
  std::map<std::string, const Setting*> listEntries; // later wins
  std::vector<std::string> listOrder;
  for (const auto& s : settings) {
    if (s.section == "acl_policy") {
      if (s.key == "default") {
        auto a = parseAction(s.value);
        if (!a || *a == Action::Redirect)
          fail(s, "expected allow or deny");
        else
          policy->defaultAction_ = *a;
      } else if (s.key == "default_reason") {
        policy->defaultReason_ = s.value;
      } else if (s.key == "default_status") {
        int st = 0;
        if (!parseNumber(std::string_view(s.value), st) || st < 400 || st > 599)
          fail(s, "expected an error status, 400-599");
        else
          policy->defaultStatus_ = st;
      } else {
        fail(s, "unknown key (known: default, default_reason, default_status)");
      }
    } else if (s.section == "acl_lists") {
      if (!listEntries.count(s.key))
        listOrder.push_back(s.key);
      listEntries[s.key] = &s;
    } else if (s.section.rfind("acl_rule", 0) == 0 &&
               (s.section.size() == 8 || s.section[8] == ' ')) {
      if (s.section.size() <= 9) {
        fail(s, "a rule needs a name: [acl_rule NAME]");
        continue;
      }
      std::string name = s.section.substr(9);
      auto it = std::find_if(ruleSections.begin(), ruleSections.end(),
                             [&](const RuleSection& r) { return r.name == name; });
      if (it == ruleSections.end()) {
        ruleSections.push_back(RuleSection{name, &s, {}});
        it = ruleSections.end() - 1;
      }
      it->keys[s.key] = &s;
    } else {
      fail(s, "unknown section [" + s.section +
                  "] (this plugin reads [acl_policy], [acl_lists] and [acl_rule NAME])");
    }
  }

  // 2. Load the domain lists (the slow part: timed for the status page).
  auto started = std::chrono::steady_clock::now();
  for (const auto& name : listOrder) {
    const Setting& s = *listEntries[name];
    auto list = std::make_unique<NamedList>();
    list->name = name;
    list->files = splitList(s.value);
    if (list->files.empty()) {
      fail(s, "expected one or more list files");
      continue;
    }
    bool ok = true;
    for (auto& f : list->files) {
      if (f.front() != '/')
        f = directoryOf(s.file, options) + "/" + f;
      std::string error;
      if (!list->domains.loadFile(f, error)) {
        fail(s, error);
        ok = false;
        break;
      }
    }
    if (!ok)
      continue;
    list->domains.build();
    policy->lists_.push_back(std::move(list));
  }
  policy->loadMillis_ = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  std::chrono::steady_clock::now() - started)
                                                  .count());
  auto findList = [&](const std::string& name) -> const NamedList* {
    for (const auto& l : policy->lists_)
      if (l->name == name)
        return l.get();
    return nullptr;
  };

  // 3. The rules.
  for (const auto& section : ruleSections) {
    auto rule = std::make_unique<Rule>();
    rule->name = section.name;
    rule->file = section.first->file;
    rule->line = section.first->line;
    bool haveAction = false;
    for (const auto& [key, sp] : section.keys) {
      const Setting& s = *sp;
      const std::string& v = s.value;
      if (key == "clients") {
        CidrSet set;
        std::string why;
        auto items = splitList(v);
        if (items.empty())
          fail(s, "expected addresses or networks");
        for (const auto& item : items)
          if (!set.add(item, why))
            fail(s, why);
        rule->clients = std::move(set);
      } else if (key == "users") {
        rule->users = splitList(v);
        if (rule->users.empty())
          fail(s, "expected one or more user names");
      } else if (key == "lists") {
        auto names = splitList(v);
        if (names.empty())
          fail(s, "expected one or more list names from [acl_lists]");
        for (const auto& n : names) {
          if (const NamedList* l = findList(n))
            rule->lists.push_back(l);
          else if (!listEntries.count(n))
            fail(s, "no list '" + n + "' in [acl_lists]");
          // A list that failed to load was reported at its own line already.
        }
      } else if (key == "domains") {
        DomainList d;
        std::string why;
        auto names = splitList(v);
        if (names.empty())
          fail(s, "expected one or more domain names");
        for (const auto& n : names)
          if (!d.add(n, &why))
            fail(s, why);
        d.build();
        rule->domains = std::move(d);
      } else if (key == "url_regex") {
        std::string why;
        rule->urlRegex = UrlRegex::compile(v, why);
        if (!rule->urlRegex)
          fail(s, why);
      } else if (key == "methods") {
        for (const auto& m : splitList(v))
          rule->methods.push_back(toUpper(m));
        if (rule->methods.empty())
          fail(s, "expected one or more methods");
      } else if (key == "ports") {
        auto items = splitList(v);
        if (items.empty())
          fail(s, "expected ports or ranges (80 443 8000-8100)");
        for (const auto& item : items) {
          auto dash = item.find('-');
          uint16_t lo = 0, hi = 0;
          bool ok = dash == std::string::npos
                        ? parseNumber(std::string_view(item), lo) && (hi = lo, true)
                        : parseNumber(std::string_view(item).substr(0, dash), lo) &&
                              parseNumber(std::string_view(item).substr(dash + 1), hi);
          if (!ok || lo == 0 || hi < lo)
            fail(s, "'" + item + "' is not a port or a range (1-65535, low-high)");
          else
            rule->ports.emplace_back(lo, hi);
        }
      } else if (key == "connect") {
        rule->connect = parseBool(v);
        if (!rule->connect)
          fail(s, "expected yes or no");
      } else if (key == "days" || key == "time") {
        if (!rule->time)
          rule->time = TimeWindow{};
        policy->usesTime_ = true;
        auto items = splitList(v);
        if (items.empty())
          fail(s, key == "days" ? "expected days (mon tue, mon-fri)" : "expected HH:MM-HH:MM");
        if (key == "days") {
          rule->time->days = 0;
          for (const auto& item : items) {
            auto dash = item.find('-');
            int from = parseDay(item.substr(0, dash));
            int to = dash == std::string::npos ? from : parseDay(item.substr(dash + 1));
            if (from < 0 || to < 0) {
              fail(s, "'" + item + "' is not a day or a range of days (sun mon ... sat)");
              continue;
            }
            for (int d = from;; d = (d + 1) % 7) {
              rule->time->days = static_cast<uint8_t>(rule->time->days | (1u << d));
              if (d == to)
                break;
            }
          }
        } else {
          for (const auto& item : items) {
            auto dash = item.find('-');
            int from = dash == std::string::npos ? -1 : parseClock(item.substr(0, dash), false);
            int to = dash == std::string::npos ? -1 : parseClock(item.substr(dash + 1), true);
            if (from < 0 || to < 0 || from == to)
              fail(s, "'" + item + "' is not a time range HH:MM-HH:MM (start != end)");
            else
              rule->time->ranges.emplace_back(from, to);
          }
        }
      } else if (key == "action") {
        auto a = parseAction(v);
        if (!a)
          fail(s, "expected allow, deny or redirect");
        else
          rule->action = *a;
        haveAction = true;
      } else if (key == "reason") {
        rule->reason = v;
      } else if (key == "location") {
        rule->location = v;
      } else if (key == "status") {
        if (!parseNumber(std::string_view(v), rule->status))
          rule->status = -1;
      } else {
        fail(s, "unknown key (known: clients users lists domains url_regex methods ports "
                "connect days time action reason location status)");
      }
    }
    // Whole-rule checks, reported at the rule's first line (or the key concerned).
    auto at = [&](const char* key) -> const Setting& {
      auto it = section.keys.find(key);
      return it != section.keys.end() ? *it->second : *section.first;
    };
    if (!haveAction)
      fail(*section.first, "rule '" + rule->name + "' has no action = allow|deny|redirect");
    if (rule->action == Action::Redirect && rule->location.empty() && haveAction)
      fail(at("action"), "a redirect needs location = URL");
    if (rule->action != Action::Redirect && !rule->location.empty())
      fail(at("location"), "location is only for action = redirect");
    if (rule->status != 0) {
      bool ok = rule->action == Action::Redirect
                    ? (rule->status == 301 || rule->status == 302 || rule->status == 303 ||
                       rule->status == 307 || rule->status == 308)
                    : rule->action == Action::Deny && rule->status >= 400 && rule->status <= 599;
      if (!ok)
        fail(at("status"), rule->action == Action::Allow
                               ? "status is only for deny (400-599) and redirect (3xx)"
                               : (rule->action == Action::Deny
                                      ? "expected an error status, 400-599"
                                      : "expected a redirect status: 301 302 303 307 308"));
    }
    policy->rules_.push_back(std::move(rule));
  }

  if (problems.size() != before)
    return nullptr;
  return policy;
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
  out += cat(",\"default_hits\":", std::to_string(defaultHits.load(std::memory_order_relaxed)),
             ",\"lists_load_ms\":", std::to_string(loadMillis_), ",\"lists\":[");
  for (size_t i = 0; i < lists_.size(); ++i) {
    const auto& l = *lists_[i];
    if (i)
      out += ',';
    out += cat("{\"name\":", jsonString(l.name), ",\"domains\":", std::to_string(l.domains.size()),
               ",\"memory_bytes\":", std::to_string(l.domains.memoryBytes()), ",\"files\":[");
    for (size_t f = 0; f < l.files.size(); ++f)
      out += cat(f ? "," : "", jsonString(l.files[f]));
    out += "]}";
  }
  out += "],\"rules\":[";
  for (size_t i = 0; i < rules_.size(); ++i) {
    const auto& r = *rules_[i];
    if (i)
      out += ',';
    out += cat("{\"name\":", jsonString(r.name), ",\"action\":", jsonString(toString(r.action)),
               ",\"hits\":", std::to_string(r.hits.load(std::memory_order_relaxed)), "}");
  }
  out += "]}";
  return out;
}

} // namespace exaproxy::acl
