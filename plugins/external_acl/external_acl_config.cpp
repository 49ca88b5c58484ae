#include "external_acl_config.h"

#include "helper_settings.h"
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
    } else if (common::parseHelperSetting(k, e, c.pool, c.programSetting)) {
      continue;
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
    } else if (k == "cache_size") {
      if (!parseCount(v, c.cacheSize))
        throw sdk::ConfigError(e.index, "expected a number");
    } else if (k == "ttl" || k == "negative_ttl") {
      if (!parseDuration(v, k == "ttl" ? c.ttl : c.negativeTtl))
        throw sdk::ConfigError(e.index,
                               "expected a duration such as 1h or 30s (0: ask every time)");
    } else if (k == "grace") {
      size_t g = 0;
      if (!parseCount(v, g) || g > 99)
        throw sdk::ConfigError(e.index, "expected a percentage from 0 to 99");
      c.grace = static_cast<unsigned>(g);
    } else if (k == "on_err") {
      if (v != "continue" && v != "deny")
        throw sdk::ConfigError(e.index, "expected continue (leave it to acl rules) or deny");
      c.denyOnErr = v == "deny";
    } else {
      throw sdk::ConfigError(e.index,
                             "unknown key (known: name, program, format, data, children, startup, "
                             "idle, concurrency, queue_size, timeout, ttl, negative_ttl, "
                             "grace, cache_size, on_err)");
    }
  }
  if (c.name.empty())
    throw sdk::ConfigError("`name` is required (the ACL's name, for acl's `external` rules)");
  if (c.pool.program.empty())
    throw sdk::ConfigError("`program` is required (as Squid's external_acl_type program)");
  common::capHelperCounts(c.pool);
  return c;
}

void checkOnDisk(const Config& config) {
  common::checkHelperProgram(config.pool, config.programSetting, "the helper");
}

common::HelperPoolSettings poolSettings(const Config& c) {
  common::HelperPoolSettings s = c.pool;
  s.name = "external ACL '" + c.name + "' helpers";
  return s;
}

std::string resultNote(const Config& config) { return "external." + config.name; }

} // namespace exaproxy::external_acl
