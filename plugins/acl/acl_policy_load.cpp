// AclPolicy::load: the settings, section by section, into an AclPolicy. One small function per
// section and one row per [acl_rule NAME] key (kRuleKeys); every problem is collected at the
// file:line of its setting, so the operator sees them all at once.
#include "acl_policy.h"

#include <exaproxy/text.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>

namespace exaproxy::acl {

namespace {

using sdk::concat;
using sdk::lower;
using sdk::splitListCopy;

std::string toUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return out;
}

template <typename T> bool parseNumber(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

std::optional<Action> parseAction(std::string_view s) {
  auto v = lower(s);
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
  auto v = lower(s);
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

bool isRuleSection(const std::string& section) {
  return section.rfind("acl_rule", 0) == 0 && (section.size() == 8 || section[8] == ' ');
}

bool isRedirectStatus(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The parse state of one [acl_rule NAME] section: its last value of each key (later wins, as
// everywhere in conf.d, so --set can override a key).
struct RuleSection {
  std::string name;
  const Setting* first = nullptr;
  std::map<std::string, const Setting*> keys;
};

} // namespace

// One load: the policy being built and what the settings said so far.
class PolicyLoader {
public:
  PolicyLoader(AclPolicy& policy, std::vector<ConfigProblem>& problems, const LoadOptions& options)
      : policy_(policy), problems_(problems), options_(options) {}

  void sort(const std::vector<Setting>& settings);
  void loadLists();
  void buildRules();

private:
  // The rule being built from one section, as the key handlers see it.
  struct RuleBuild {
    PolicyLoader& loader;
    Rule& rule;
    bool haveAction = false;
    void fail(const Setting& s, std::string message) { loader.fail(s, std::move(message)); }
  };
  using KeyHandler = void (*)(RuleBuild&, const Setting&);
  struct RuleKey {
    std::string_view name;
    KeyHandler parse;
  };
  static const RuleKey kRuleKeys[];

  void fail(const Setting& s, std::string message) {
    problems_.push_back(ConfigProblem{s.index, s.file, s.line, std::move(message)});
  }
  void policyKey(const Setting& s);
  void ruleKey(const Setting& s);
  std::unique_ptr<NamedList> loadList(const std::string& name);
  const NamedList* findList(const std::string& name) const;
  std::unique_ptr<Rule> buildRule(const RuleSection& section);
  void checkRule(const RuleSection& section, const Rule& rule, bool haveAction);

  static void clients(RuleBuild& b, const Setting& s);
  static void users(RuleBuild& b, const Setting& s);
  static void groups(RuleBuild& b, const Setting& s);
  static void externals(RuleBuild& b, const Setting& s);
  static void lists(RuleBuild& b, const Setting& s);
  static void domains(RuleBuild& b, const Setting& s);
  static void urlRegex(RuleBuild& b, const Setting& s);
  static void methods(RuleBuild& b, const Setting& s);
  static void ports(RuleBuild& b, const Setting& s);
  static void connect(RuleBuild& b, const Setting& s);
  // The items of a list-valued key; `whenEmpty` is reported when there are none.
  static std::vector<std::string> items(RuleBuild& b, const Setting& s, const char* whenEmpty);
  // days and time share the rule's TimeWindow; either makes the policy read the clock.
  static std::vector<std::string> timeItems(RuleBuild& b, const Setting& s, const char* whenEmpty);
  static void days(RuleBuild& b, const Setting& s);
  static void times(RuleBuild& b, const Setting& s);
  static void action(RuleBuild& b, const Setting& s);
  static void reason(RuleBuild& b, const Setting& s) { b.rule.reason = s.value; }
  static void location(RuleBuild& b, const Setting& s) { b.rule.location = s.value; }
  static void status(RuleBuild& b, const Setting& s);

  AclPolicy& policy_;
  std::vector<ConfigProblem>& problems_;
  const LoadOptions& options_;
  std::vector<RuleSection> ruleSections_;             // in order of first appearance
  std::map<std::string, const Setting*> listEntries_; // later wins
  std::vector<std::string> listOrder_;
};

const PolicyLoader::RuleKey PolicyLoader::kRuleKeys[] = {
    {"clients", &PolicyLoader::clients},    {"users", &PolicyLoader::users},
    {"groups", &PolicyLoader::groups},      {"external", &PolicyLoader::externals},
    {"lists", &PolicyLoader::lists},        {"domains", &PolicyLoader::domains},
    {"url_regex", &PolicyLoader::urlRegex}, {"methods", &PolicyLoader::methods},
    {"ports", &PolicyLoader::ports},        {"connect", &PolicyLoader::connect},
    {"days", &PolicyLoader::days},          {"time", &PolicyLoader::times},
    {"action", &PolicyLoader::action},      {"reason", &PolicyLoader::reason},
    {"location", &PolicyLoader::location},  {"status", &PolicyLoader::status},
};

// 1. Sorts the entries by section, keeping the order in which rules first appear.
void PolicyLoader::sort(const std::vector<Setting>& settings) {
  for (const auto& s : settings) {
    if (s.section == "acl_policy") {
      policyKey(s);
    } else if (s.section == "acl_lists") {
      if (!listEntries_.count(s.key))
        listOrder_.push_back(s.key);
      listEntries_[s.key] = &s;
    } else if (isRuleSection(s.section)) {
      ruleKey(s);
    } else {
      fail(s, "unknown section [" + s.section +
                  "] (this plugin reads [acl_policy], [acl_lists] and [acl_rule NAME])");
    }
  }
}

void PolicyLoader::policyKey(const Setting& s) {
  if (s.key == "default") {
    auto a = parseAction(s.value);
    if (!a || *a == Action::Redirect)
      fail(s, "expected allow or deny");
    else
      policy_.defaultAction_ = *a;
  } else if (s.key == "default_reason") {
    policy_.defaultReason_ = s.value;
  } else if (s.key == "default_status") {
    int st = 0;
    if (!parseNumber(std::string_view(s.value), st) || st < 400 || st > 599)
      fail(s, "expected an error status, 400-599");
    else
      policy_.defaultStatus_ = st;
  } else {
    fail(s, "unknown key (known: default, default_reason, default_status)");
  }
}

void PolicyLoader::ruleKey(const Setting& s) {
  if (s.section.size() <= 9) {
    fail(s, "a rule needs a name: [acl_rule NAME]");
    return;
  }
  std::string name = s.section.substr(9);
  auto it = std::find_if(ruleSections_.begin(), ruleSections_.end(),
                         [&](const RuleSection& r) { return r.name == name; });
  if (it == ruleSections_.end()) {
    ruleSections_.push_back(RuleSection{name, &s, {}});
    it = ruleSections_.end() - 1;
  }
  it->keys[s.key] = &s;
}

// 2. Loads the domain lists (the slow part: timed for the status page).
void PolicyLoader::loadLists() {
  auto started = std::chrono::steady_clock::now();
  for (const auto& name : listOrder_)
    if (auto list = loadList(name))
      policy_.lists_.push_back(std::move(list));
  policy_.loadMillis_ = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  std::chrono::steady_clock::now() - started)
                                                  .count());
}

std::unique_ptr<NamedList> PolicyLoader::loadList(const std::string& name) {
  const Setting& s = *listEntries_[name];
  auto list = std::make_unique<NamedList>();
  list->name = name;
  list->files = splitListCopy(s.value);
  if (list->files.empty()) {
    fail(s, "expected one or more list files");
    return nullptr;
  }
  for (auto& f : list->files) {
    if (f.front() != '/')
      f = directoryOf(s.file, options_) + "/" + f;
    std::string error;
    if (!list->domains.loadFile(f, error)) {
      fail(s, error);
      return nullptr;
    }
  }
  list->domains.build();
  return list;
}

const NamedList* PolicyLoader::findList(const std::string& name) const {
  for (const auto& l : policy_.lists_)
    if (l->name == name)
      return l.get();
  return nullptr;
}

// 3. The rules.
void PolicyLoader::buildRules() {
  for (const auto& section : ruleSections_)
    policy_.rules_.push_back(buildRule(section));
}

std::unique_ptr<Rule> PolicyLoader::buildRule(const RuleSection& section) {
  auto rule = std::make_unique<Rule>();
  rule->name = section.name;
  rule->file = section.first->file;
  rule->line = section.first->line;
  RuleBuild build{*this, *rule};
  for (const auto& [key, s] : section.keys) {
    auto row = std::find_if(std::begin(kRuleKeys), std::end(kRuleKeys),
                            [&name = key](const RuleKey& k) { return k.name == name; });
    if (row != std::end(kRuleKeys))
      row->parse(build, *s);
    else
      fail(
          *s,
          "unknown key (known: clients users groups external lists domains url_regex methods ports "
          "connect days time action reason location status)");
  }
  checkRule(section, *rule, build.haveAction);
  return rule;
}

// Whole-rule checks, reported at the rule's first line (or the key concerned).
void PolicyLoader::checkRule(const RuleSection& section, const Rule& rule, bool haveAction) {
  auto at = [&](const char* key) -> const Setting& {
    auto it = section.keys.find(key);
    return it != section.keys.end() ? *it->second : *section.first;
  };
  if (!haveAction)
    fail(*section.first, "rule '" + rule.name + "' has no action = allow|deny|redirect");
  if (rule.action == Action::Redirect && rule.location.empty() && haveAction)
    fail(at("action"), "a redirect needs location = URL");
  if (rule.action != Action::Redirect && !rule.location.empty())
    fail(at("location"), "location is only for action = redirect");
  if (rule.status == 0)
    return;
  bool ok = rule.action == Action::Redirect
                ? isRedirectStatus(rule.status)
                : rule.action == Action::Deny && rule.status >= 400 && rule.status <= 599;
  if (!ok)
    fail(at("status"),
         rule.action == Action::Allow
             ? "status is only for deny (400-599) and redirect (3xx)"
             : (rule.action == Action::Deny ? "expected an error status, 400-599"
                                            : "expected a redirect status: 301 302 303 307 308"));
}

void PolicyLoader::clients(RuleBuild& b, const Setting& s) {
  CidrSet set;
  std::string why;
  for (const auto& item : items(b, s, "expected addresses or networks"))
    if (!set.add(item, why))
      b.fail(s, why);
  b.rule.clients = std::move(set);
}

void PolicyLoader::users(RuleBuild& b, const Setting& s) {
  b.rule.users = splitListCopy(s.value);
  if (b.rule.users.empty())
    b.fail(s, "expected one or more user names");
}

void PolicyLoader::groups(RuleBuild& b, const Setting& s) {
  b.rule.groups = splitListCopy(s.value);
  if (b.rule.groups.empty())
    b.fail(s, "expected one or more group names");
}

void PolicyLoader::externals(RuleBuild& b, const Setting& s) {
  for (const auto& item : items(b, s, "expected one or more external ACL names")) {
    bool negated = item.front() == '!';
    std::string name = negated ? item.substr(1) : item;
    if (name.empty())
      b.fail(s, "'!' needs a name after it");
    else
      b.rule.externals.emplace_back("external." + name, !negated);
  }
}

void PolicyLoader::lists(RuleBuild& b, const Setting& s) {
  for (const auto& n : items(b, s, "expected one or more list names from [acl_lists]")) {
    if (const NamedList* l = b.loader.findList(n))
      b.rule.lists.push_back(l);
    else if (!b.loader.listEntries_.count(n))
      b.fail(s, "no list '" + n + "' in [acl_lists]");
    // A list that failed to load was reported at its own line already.
  }
}

void PolicyLoader::domains(RuleBuild& b, const Setting& s) {
  DomainList d;
  std::string why;
  for (const auto& n : items(b, s, "expected one or more domain names"))
    if (!d.add(n, &why))
      b.fail(s, why);
  d.build();
  b.rule.domains = std::move(d);
}

void PolicyLoader::urlRegex(RuleBuild& b, const Setting& s) {
  std::string why;
  b.rule.urlRegex = UrlRegex::compile(s.value, why);
  if (!b.rule.urlRegex)
    b.fail(s, why);
}

void PolicyLoader::methods(RuleBuild& b, const Setting& s) {
  for (const auto& m : splitListCopy(s.value))
    b.rule.methods.push_back(toUpper(m));
  if (b.rule.methods.empty())
    b.fail(s, "expected one or more methods");
}

void PolicyLoader::ports(RuleBuild& b, const Setting& s) {
  for (const auto& item : items(b, s, "expected ports or ranges (80 443 8000-8100)")) {
    auto dash = item.find('-');
    uint16_t lo = 0, hi = 0;
    bool ok = dash == std::string::npos
                  ? parseNumber(std::string_view(item), lo) && (hi = lo, true)
                  : parseNumber(std::string_view(item).substr(0, dash), lo) &&
                        parseNumber(std::string_view(item).substr(dash + 1), hi);
    if (!ok || lo == 0 || hi < lo)
      b.fail(s, "'" + item + "' is not a port or a range (1-65535, low-high)");
    else
      b.rule.ports.emplace_back(lo, hi);
  }
}

void PolicyLoader::connect(RuleBuild& b, const Setting& s) {
  b.rule.connect = sdk::parseBool(s.value);
  if (!b.rule.connect)
    b.fail(s, "expected yes or no");
}

std::vector<std::string> PolicyLoader::items(RuleBuild& b, const Setting& s,
                                             const char* whenEmpty) {
  auto list = splitListCopy(s.value);
  if (list.empty())
    b.fail(s, whenEmpty);
  return list;
}

std::vector<std::string> PolicyLoader::timeItems(RuleBuild& b, const Setting& s,
                                                 const char* whenEmpty) {
  if (!b.rule.time)
    b.rule.time = TimeWindow{};
  b.loader.policy_.usesTime_ = true;
  return items(b, s, whenEmpty);
}

void PolicyLoader::days(RuleBuild& b, const Setting& s) {
  auto list = timeItems(b, s, "expected days (mon tue, mon-fri)");
  b.rule.time->days = 0;
  for (const auto& item : list) {
    auto dash = item.find('-');
    int from = parseDay(item.substr(0, dash));
    int to = dash == std::string::npos ? from : parseDay(item.substr(dash + 1));
    if (from < 0 || to < 0) {
      b.fail(s, "'" + item + "' is not a day or a range of days (sun mon ... sat)");
      continue;
    }
    for (int d = from;; d = (d + 1) % 7) {
      b.rule.time->days = static_cast<uint8_t>(b.rule.time->days | (1u << d));
      if (d == to)
        break;
    }
  }
}

void PolicyLoader::times(RuleBuild& b, const Setting& s) {
  for (const auto& item : timeItems(b, s, "expected HH:MM-HH:MM")) {
    auto dash = item.find('-');
    int from = dash == std::string::npos ? -1 : parseClock(item.substr(0, dash), false);
    int to = dash == std::string::npos ? -1 : parseClock(item.substr(dash + 1), true);
    if (from < 0 || to < 0 || from == to)
      b.fail(s, "'" + item + "' is not a time range HH:MM-HH:MM (start != end)");
    else
      b.rule.time->ranges.emplace_back(from, to);
  }
}

void PolicyLoader::action(RuleBuild& b, const Setting& s) {
  auto a = parseAction(s.value);
  if (!a)
    b.fail(s, "expected allow, deny or redirect");
  else
    b.rule.action = *a;
  b.haveAction = true;
}

void PolicyLoader::status(RuleBuild& b, const Setting& s) {
  if (!parseNumber(std::string_view(s.value), b.rule.status))
    b.rule.status = -1;
}

std::unique_ptr<const AclPolicy> AclPolicy::load(const std::vector<Setting>& settings,
                                                 std::vector<ConfigProblem>& problems,
                                                 const LoadOptions& options) {
  auto policy = std::unique_ptr<AclPolicy>(new AclPolicy());
  size_t before = problems.size();
  PolicyLoader loader(*policy, problems, options);
  loader.sort(settings);
  loader.loadLists();
  loader.buildRules();
  if (problems.size() != before)
    return nullptr;
  return policy;
}

} // namespace exaproxy::acl
