#include "local_core.h"

#include "file_server.h"
#include "http_date.h"
#include "mime_types.h"

#include <algorithm>

namespace exaproxy::local {
namespace {

// Whether `path` (path and query) is under the path prefix `prefix`: equal, or continued by '/',
// '?' (or the prefix itself ends with '/'), so "/docs" matches "/docs/a" but not "/docsx".
bool underPrefix(std::string_view path, std::string_view prefix) {
  if (path.substr(0, prefix.size()) != prefix)
    return false;
  if (path.size() == prefix.size() || prefix.back() == '/')
    return true;
  char next = path[prefix.size()];
  return next == '/' || next == '?';
}

std::string hostPort(const LocalRequest& req) {
  std::string h = req.host.find(':') != std::string::npos ? "[" + req.host + "]" : req.host;
  return h + ":" + std::to_string(req.port);
}

} // namespace

StatusCounts LocalStats::snapshot() const {
  return StatusCounts{files.load(),  notModified.load(), pages.load(),   generated.load(),
                      denied.load(), traversal.load(),   notFound.load()};
}

void LocalStats::bump(std::atomic<uint64_t> LocalStats::*counter) {
  (this->*counter).fetch_add(1, std::memory_order_relaxed);
  if (!observer)
    return;
  static const std::pair<std::atomic<uint64_t> LocalStats::*, std::string_view> kNames[] = {
      {&LocalStats::files, "files"},       {&LocalStats::notModified, "not_modified"},
      {&LocalStats::pages, "pages"},       {&LocalStats::generated, "generated"},
      {&LocalStats::denied, "denied"},     {&LocalStats::traversal, "traversal_refused"},
      {&LocalStats::notFound, "not_found"}};
  for (const auto& [member, name] : kNames)
    if (member == counter)
      observer(name);
}

LocalCore::LocalCore(LocalConfigPtr config, std::shared_ptr<LocalStats> stats, Clock clock)
    : config_(std::move(config)), stats_(std::move(stats)), clock_(std::move(clock)) {
  if (!clock_)
    clock_ = [] { return std::chrono::system_clock::now(); };
}

const LocalRule* LocalCore::match(const LocalRequest& req) const {
  if (req.connect)
    return nullptr;
  std::string hp = hostPort(req);
  for (const auto& rule : config_->rules) {
    if (!rule.hosts.empty() &&
        std::none_of(rule.hosts.begin(), rule.hosts.end(),
                     [&](const HostPattern& p) { return p.matches(req.host, hp, req.listener); }))
      continue;
    if (!rule.prefix.empty()) {
      if (rule.prefixIsUrl ? !underPrefix(req.url, rule.prefix)
                           : !underPrefix(req.path, rule.prefix))
        continue;
    }
    if (rule.hasRegex && !std::regex_search(req.url, rule.regex))
      continue;
    return &rule;
  }
  return nullptr;
}

std::string_view LocalCore::remainder(const LocalRule& rule, const LocalRequest& req) {
  if (rule.prefix.empty())
    return req.path;
  std::string_view full = rule.prefixIsUrl ? std::string_view(req.url) : std::string_view(req.path);
  return full.substr(rule.prefix.size());
}

std::vector<std::pair<std::string, std::string>>
LocalCore::pageVariables(const LocalRule& rule) const {
  std::vector<std::pair<std::string, std::string>> vars{{"rule", rule.name}};
  if (config_->proxyNameSet)
    vars.emplace_back("proxy", config_->proxyName);
  return vars;
}

LocalAnswer LocalCore::generate(const LocalRule& rule, const LocalRequest& req) const {
  LocalAnswer a;
  a.kind = LocalAnswer::Kind::Respond;
  a.status = rule.status ? rule.status : 200;
  a.headers.emplace_back("Cache-Control", "no-cache");
  if (rule.generator == Generator::Pac) {
    a.contentType = std::string(kPacType);
    a.body = pacScript(*config_, pacProxyAddress(*config_, req));
  } else {
    a.contentType = "application/json";
    std::time_t now = std::chrono::system_clock::to_time_t(clock_());
    a.body = statusJson(*config_, req, formatHttpDate(now), stats_->snapshot());
  }
  if (!rule.contentType.empty())
    a.contentType = rule.contentType;
  return a;
}

LocalAnswer LocalCore::answer(const LocalRule& rule, const LocalRequest& req) const {
  LocalAnswer a;
  switch (rule.action) {
  case RuleAction::File:
    a = serveFile(rule.root, req, rule.contentType);
    break;
  case RuleAction::Directory: {
    bool traversal = false;
    a = serveTree(rule.root, remainder(rule, req), req, rule.index, rule.contentType, traversal);
    if (traversal)
      stats_->bump(&LocalStats::traversal);
    break;
  }
  case RuleAction::Template: {
    // The host renders the page from its templates (ABI 1.2 verdict_set_page), with its own
    // variables; rule.reason becomes {{detail}}.
    a.kind = LocalAnswer::Kind::Respond;
    a.status = rule.status ? rule.status : 403;
    a.contentType = "text/html; charset=utf-8";
    a.page = rule.templateName;
    a.pageVars = pageVariables(rule);
    a.headers.emplace_back("Cache-Control", "no-store");
    a.reason = rule.reason;
    break;
  }
  case RuleAction::Generate:
    a = generate(rule, req);
    break;
  case RuleAction::Deny:
    a.kind = LocalAnswer::Kind::Deny;
    a.status = rule.status ? rule.status : 403;
    a.reason = rule.reason.empty() ? "Refused by rule " + rule.name : rule.reason;
    break;
  }
  count(a);
  if (rule.action == RuleAction::Template)
    stats_->bump(&LocalStats::pages);
  if (rule.action == RuleAction::Generate)
    stats_->bump(&LocalStats::generated);
  return a;
}

void LocalCore::count(const LocalAnswer& a) const {
  if (a.kind == LocalAnswer::Kind::Deny) {
    stats_->bump(&LocalStats::denied);
    if (a.status == 404)
      stats_->bump(&LocalStats::notFound);
  } else if (a.kind == LocalAnswer::Kind::Respond && a.status == 304) {
    stats_->bump(&LocalStats::notModified);
  } else if (a.kind == LocalAnswer::Kind::Respond && !a.file.empty()) {
    stats_->bump(&LocalStats::files);
  }
}

} // namespace exaproxy::local
