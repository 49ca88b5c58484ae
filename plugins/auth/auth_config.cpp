#include "auth_config.h"

#include "helper_settings.h"
#include "setting_values.h"

#include <sstream>

namespace exaproxy::auth {

namespace {

using common::parseBool;
using common::parseCount;
using common::parseDuration;

std::vector<std::string> words(const std::string& v) {
  std::istringstream in(v);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

void parseSchemes(const sdk::Setting& e, Config& c) {
  c.schemes.clear();
  for (const auto& w : words(e.value)) {
    if (w == "basic")
      c.schemes.push_back(Scheme::Basic);
    else if (w == "negotiate" || w == "ntlm")
      throw sdk::ConfigError(e.index,
                             "scheme '" + w + "' is not available in this version (only basic)");
    else
      throw sdk::ConfigError(e.index, "unknown scheme '" + w + "' (known: basic)");
  }
  if (c.schemes.empty())
    throw sdk::ConfigError(e.index, "name at least one scheme");
}

// A basic_* key; false when `k` is not one.
bool parseBasic(const std::string& k, const sdk::Setting& e, BasicConfig& b) {
  const std::string& v = e.value;
  if (common::parseHelperSetting(k, e, b.pool, b.programSetting)) {
    return true;
  } else if (k == "realm") {
    if (v.empty() || v.find_first_of("\"\\\r\n") != std::string::npos)
      throw sdk::ConfigError(e.index, "expected a realm without quotes or backslashes");
    b.realm = v;
  } else if (k == "credentials_ttl") {
    if (!parseDuration(v, b.credentialsTtl))
      throw sdk::ConfigError(e.index, "expected a duration such as 1h or 10m (0: ask every time)");
  } else if (k == "casesensitive") {
    if (!parseBool(v, b.caseSensitive))
      throw sdk::ConfigError(e.index, "expected on or off");
  } else {
    return false;
  }
  return true;
}

} // namespace

Config parseConfig(const std::vector<sdk::Setting>& settings) {
  Config c;
  auto clients = std::make_shared<common::CidrSet>();
  auto destinations = std::make_shared<common::DomainList>();
  for (const auto& e : settings) {
    const std::string& k = e.key;
    std::string why;
    if (k == "schemes") {
      parseSchemes(e, c);
    } else if (k.rfind("basic_", 0) == 0 && parseBasic(k.substr(6), e, c.basic)) {
      continue;
    } else if (k == "open_clients") {
      for (const auto& w : words(e.value))
        if (!clients->add(w, why))
          throw sdk::ConfigError(e.index, "'" + w + "': " + why);
    } else if (k == "open_destinations") {
      for (const auto& w : words(e.value))
        if (!destinations->add(w, &why))
          throw sdk::ConfigError(e.index, "'" + w + "': " + why);
    } else if (k == "cache_size") {
      if (!parseCount(e.value, c.cacheSize))
        throw sdk::ConfigError(e.index, "expected a number");
    } else {
      throw sdk::ConfigError(
          e.index, "unknown key (known: schemes, basic_program, basic_children, basic_startup, "
                   "basic_idle, basic_concurrency, basic_queue_size, basic_timeout, basic_realm, "
                   "basic_credentials_ttl, basic_casesensitive, open_clients, "
                   "open_destinations, cache_size)");
    }
  }
  if (c.basic.pool.program.empty())
    throw sdk::ConfigError("`basic_program` is required (the Basic helper's command line, as "
                           "Squid's auth_param basic program)");
  common::capHelperCounts(c.basic.pool);
  destinations->build();
  c.openClients = std::move(clients);
  c.openDestinations = std::move(destinations);
  return c;
}

void checkOnDisk(const Config& config) {
  common::checkHelperProgram(config.basic.pool, config.basic.programSetting, "the Basic helper");
}

} // namespace exaproxy::auth
