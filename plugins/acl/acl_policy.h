// AclPolicy: the access rules of plugins/acl, parsed from the plugin's settings, and the decision
// for one request. Rules are tried in the order their [acl_rule NAME] sections first appear; the
// first rule whose every condition holds decides; when none does, [acl_policy] default decides.
//
//   [acl_policy]   default = allow|deny, default_reason, default_status
//   [acl_lists]    NAME = file [file...]          domain lists (one name a line)
//   [acl_rule N]   clients users lists domains url_regex methods ports connect days time
//                  action = allow|deny|redirect, reason, status, location
//
// Built on the main thread (create()/reconfigure()); immutable afterwards and shared by the loop
// threads through a shared_ptr; the hit counters are relaxed atomics.
#pragma once

#include "cidr_set.h"
#include "domain_list.h"

#include "config_problem.h"

#include <exaproxy/plugin.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <regex.h>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::acl {

// One configuration entry as the host hands it over (index: for config_error()).
using Setting = sdk::Setting;
// Networks and domain lists are shared with other plugins (plugins/common).
using common::CidrSet;
using common::DomainList;

// A configuration problem at a setting (index SIZE_MAX: none); describe() "file:line: message".
using common::ConfigProblem;

// The request as the rules see it (views valid during decide()).
struct RequestInfo {
  std::string_view client; // identity address (after xff / PROXY protocol)
  std::string_view user;   // empty: anonymous
  std::string_view groups; // the note "group" (an auth or external-ACL helper's group=): names
                           // separated by commas or spaces; empty: none
  // The transaction's notes by key (ABI 1.5), for `external` rules; null: none.
  std::function<std::optional<std::string_view>(std::string_view key)> note;
  std::string_view method;
  std::string_view url; // "http://host[:port]/path?query", or "host:port" for CONNECT
  std::string_view host;
  uint16_t port = 0;
  bool connect = false;
  int weekday = 0;     // 0 = Sunday .. 6 = Saturday, local time
  int minuteOfDay = 0; // 0 .. 1439, local time
};

enum class Action { Allow, Deny, Redirect };
const char* toString(Action a);

// A compiled POSIX extended regular expression (case-insensitive), matched anywhere in the text.
class UrlRegex {
public:
  static std::unique_ptr<UrlRegex> compile(const std::string& pattern, std::string& why);
  ~UrlRegex();
  UrlRegex(const UrlRegex&) = delete;
  UrlRegex& operator=(const UrlRegex&) = delete;
  // THREAD: any (regexec on a shared regex_t is thread-safe).
  bool search(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

private:
  UrlRegex() = default;
  regex_t re_{};
  bool compiled_ = false;
  std::string pattern_;
};

// Days and times of day; a range whose start is after its end wraps past midnight.
struct TimeWindow {
  uint8_t days = 0x7f;                     // bit d set: weekday d (0 = Sunday)
  std::vector<std::pair<int, int>> ranges; // [start, end) in minutes; empty: all day
  bool matches(int weekday, int minuteOfDay) const;
};

struct NamedList {
  std::string name;
  std::vector<std::string> files;
  DomainList domains;
};

struct Rule {
  std::string name;
  std::string file; // where its section starts (for the status page)
  uint32_t line = 0;
  // Conditions: an absent one always holds; a list holds when any of its items does.
  std::optional<CidrSet> clients;
  std::vector<std::string> users;
  std::vector<std::string> groups; // any of them in RequestInfo::groups
  // external = name !other: the external_acl plugin named `name` answered OK (`!`: did not).
  std::vector<std::pair<std::string, bool>> externals; // note key "external.<name>", wants OK
  std::vector<const NamedList*> lists;
  std::optional<DomainList> domains;
  std::unique_ptr<UrlRegex> urlRegex;
  std::vector<std::string> methods;
  std::vector<std::pair<uint16_t, uint16_t>> ports; // inclusive ranges
  std::optional<bool> connect;
  std::optional<TimeWindow> time;
  // What it does.
  Action action = Action::Allow;
  std::string reason;
  std::string location; // redirect: may hold {url} {host} {client} {rule}
  int status = 0;       // 0: 403 for deny, 302 for redirect
  mutable std::atomic<uint64_t> hits{0};

  bool matches(const RequestInfo& r) const;
};

// What a request gets.
struct Decision {
  Action action = Action::Allow;
  const Rule* rule = nullptr; // null: the default
  std::string reason;
  std::string location; // redirect, placeholders expanded
  int status = 0;
};

struct LoadOptions {
  // Base directory of relative list paths for settings that do not come from a file (--set);
  // otherwise a relative path is relative to the directory of the .conf that names it.
  std::string baseDir = ".";
};

class AclPolicy {
public:
  // Parses and loads everything (list files included). On any problem returns null and fills
  // problems, each at the file:line of its setting.
  static std::unique_ptr<const AclPolicy> load(const std::vector<Setting>& settings,
                                               std::vector<ConfigProblem>& problems,
                                               const LoadOptions& options = {});

  // THREAD: any.
  Decision decide(const RequestInfo& request) const;

  const std::vector<std::unique_ptr<Rule>>& rules() const { return rules_; }
  const std::vector<std::unique_ptr<NamedList>>& lists() const { return lists_; }
  Action defaultAction() const { return defaultAction_; }
  // Whether some rule looks at the time (the glue then computes local time per request).
  bool usesTime() const { return usesTime_; }
  // Milliseconds spent loading the lists.
  uint64_t loadMillis() const { return loadMillis_; }
  mutable std::atomic<uint64_t> defaultHits{0};

  std::string statusJson() const;

private:
  friend class PolicyLoader; // acl_policy_load.cpp
  std::vector<std::unique_ptr<NamedList>> lists_;
  std::vector<std::unique_ptr<Rule>> rules_;
  Action defaultAction_ = Action::Allow;
  std::string defaultReason_;
  int defaultStatus_ = 0;
  bool usesTime_ = false;
  uint64_t loadMillis_ = 0;
};

// {url} {host} {client} {rule} in a redirect location, each value percent-encoded.
std::string expandLocation(std::string_view location, const RequestInfo& r,
                           std::string_view ruleName);

} // namespace exaproxy::acl
