#include "external_acl_config.h"

#include "helper_program.h"
#include "setting_values.h"

#include <sstream>

namespace exaproxy::external_acl {

namespace {

using common::parseCount;
using common::parseDuration;

bool validName(const std::string& n) {
  if (n.empty() || n.size() > 48)
    return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

} // namespace

Config parseConfig(const std::vector<sdk::Setting>& settings) {
  Config c;
  std::string why;
  auto login = AclFormat::parse("%LOGIN", why);
  c.format = *login;
  for (const auto& e : settings) {
    const std::string& k = e.key;
    const std::string& v = e.value;
    if (k == "name") {
      if (!validName(v))
        throw sdk::ConfigError(e.index, "expected a name of letters, digits, '_' and '-'");
      c.name = v;
    } else if (k == "program") {
      if (!common::splitCommandLine(v, c.program))
        throw sdk::ConfigError(e.index, "unterminated quote");
      if (c.program.empty())
        throw sdk::ConfigError(e.index, "empty command line");
      c.programSetting = e.index;
    } else if (k == "format") {
      auto f = AclFormat::parse(v, why);
      if (!f)
        throw sdk::ConfigError(e.index, why);
      c.format = *f;
    } else if (k == "data") {
      std::istringstream in(v);
      c.data.clear();
      for (std::string w; in >> w;)
        c.data.push_back(w);
    } else if (k == "children") {
      if (!parseCount(v, c.children) || c.children == 0 || c.children > 1000)
        throw sdk::ConfigError(e.index, "expected a number of processes from 1 to 1000");
    } else if (k == "startup" || k == "idle" || k == "queue_size" || k == "cache_size") {
      size_t& out = k == "startup"      ? c.startup
                    : k == "idle"       ? c.idle
                    : k == "queue_size" ? c.queueSize
                                        : c.cacheSize;
      if (!parseCount(v, out))
        throw sdk::ConfigError(e.index, "expected a number");
    } else if (k == "concurrency") {
      if (!parseCount(v, c.concurrency) || c.concurrency > 10000)
        throw sdk::ConfigError(e.index, "expected a number from 0 to 10000");
    } else if (k == "timeout") {
      if (!parseDuration(v, c.timeout) || c.timeout.count() <= 0)
        throw sdk::ConfigError(e.index, "expected a duration such as 5s or 500ms");
    } else if (k == "ttl" || k == "negative_ttl") {
      if (!parseDuration(v, k == "ttl" ? c.ttl : c.negativeTtl))
        throw sdk::ConfigError(e.index,
                               "expected a duration such as 1h or 30s (0: ask every time)");
    } else if (k == "on_err") {
      if (v != "continue" && v != "deny")
        throw sdk::ConfigError(e.index, "expected continue (leave it to acl rules) or deny");
      c.denyOnErr = v == "deny";
    } else {
      throw sdk::ConfigError(e.index,
                             "unknown key (known: name, program, format, data, children, startup, "
                             "idle, concurrency, queue_size, timeout, ttl, negative_ttl, "
                             "cache_size, on_err)");
    }
  }
  if (c.name.empty())
    throw sdk::ConfigError("`name` is required (the ACL's name, for acl's `external` rules)");
  if (c.program.empty())
    throw sdk::ConfigError("`program` is required (as Squid's external_acl_type program)");
  c.startup = std::min(c.startup, c.children);
  c.idle = std::min(c.idle, c.children);
  return c;
}

void checkOnDisk(const Config& config) {
  if (auto problem = common::helperProgramProblem(config.program.front()))
    throw sdk::ConfigError(config.programSetting, "the helper cannot be started: " + *problem);
}

common::HelperPoolSettings poolSettings(const Config& c) {
  common::HelperPoolSettings s;
  s.name = "external ACL '" + c.name + "' helpers";
  s.program = c.program;
  s.children = c.children;
  s.startup = c.startup;
  s.idle = c.idle;
  s.concurrency = c.concurrency;
  s.queueSize = c.queueSize;
  s.timeout = c.timeout;
  return s;
}

std::string resultNote(const Config& config) { return "external." + config.name; }

} // namespace exaproxy::external_acl
