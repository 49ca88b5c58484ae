#include "auth_config.h"

#include "helper_settings.h"
#include "setting_values.h"

#include <algorithm>
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
    Scheme s;
    if (w == "basic")
      s = Scheme::Basic;
    else if (w == "negotiate")
      s = Scheme::Negotiate;
    else if (w == "ntlm")
      s = Scheme::Ntlm;
    else
      throw sdk::ConfigError(e.index, "unknown scheme '" + w + "' (known: basic, negotiate, ntlm)");
    if (c.offers(s))
      throw sdk::ConfigError(e.index, "scheme '" + w + "' named twice");
    c.schemes.push_back(s);
  }
  if (c.schemes.empty())
    throw sdk::ConfigError(e.index, "name at least one scheme");
}

// A negotiate_* or ntlm_* key; false when `k` is not one.
bool parseHandshake(const std::string& k, const sdk::Setting& e, HandshakeConfig& h) {
  if (k == "concurrency") {
    size_t n = 0;
    if (!parseCount(e.value, n) || n != 0)
      throw sdk::ConfigError(e.index, "these helpers are stateful: concurrency must be 0");
    return true;
  }
  return common::parseHelperSetting(k, e, h.pool, h.programSetting);
}

// What a scheme the configuration offers needs, and what it names for one it does not.
void checkSchemes(const std::vector<sdk::Setting>& settings, const Config& c) {
  struct Need {
    Scheme scheme;
    const char* prefix;
    bool hasProgram;
    const char* example;
  };
  const Need needs[] = {
      {Scheme::Basic, "basic_", !c.basic.pool.program.empty(),
       "the Basic helper's command line, as Squid's auth_param basic program"},
      {Scheme::Negotiate, "negotiate_", !c.negotiate.pool.program.empty(),
       "e.g. /usr/lib/squid/negotiate_kerberos_auth -s HTTP/proxy.example.com@EXAMPLE.COM"},
      {Scheme::Ntlm, "ntlm_", !c.ntlm.pool.program.empty(),
       "e.g. /usr/bin/ntlm_auth --helper-protocol=squid-2.5-ntlmssp"},
  };
  for (const Need& n : needs)
    if (c.offers(n.scheme) && !n.hasProgram)
      throw sdk::ConfigError(std::string("`") + n.prefix + "program` is required when `schemes` " +
                             "offers " + schemeName(n.scheme) + " (" + n.example + ")");
  for (const Need& n : needs)
    for (const auto& e : settings)
      if (!c.offers(n.scheme) && e.key.rfind(n.prefix, 0) == 0)
        throw sdk::ConfigError(e.index, std::string("`schemes` does not offer ") +
                                            schemeName(n.scheme) + " (schemes = ...)");
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
    } else if (k.rfind("negotiate_", 0) == 0 && parseHandshake(k.substr(10), e, c.negotiate)) {
      continue;
    } else if (k.rfind("ntlm_", 0) == 0 && parseHandshake(k.substr(5), e, c.ntlm)) {
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
                   "basic_credentials_ttl, basic_casesensitive, negotiate_program, "
                   "negotiate_children, negotiate_startup, negotiate_idle, negotiate_queue_size, "
                   "negotiate_timeout, ntlm_program, ntlm_children, ntlm_startup, ntlm_idle, "
                   "ntlm_queue_size, ntlm_timeout, open_clients, open_destinations, cache_size)");
    }
  }
  checkSchemes(settings, c);
  common::capHelperCounts(c.basic.pool);
  common::capHelperCounts(c.negotiate.pool);
  common::capHelperCounts(c.ntlm.pool);
  destinations->build();
  c.openClients = std::move(clients);
  c.openDestinations = std::move(destinations);
  return c;
}

void checkOnDisk(const Config& config) {
  common::checkHelperProgram(config.basic.pool, config.basic.programSetting, "the Basic helper");
  common::checkHelperProgram(config.negotiate.pool, config.negotiate.programSetting,
                             "the Negotiate helper");
  common::checkHelperProgram(config.ntlm.pool, config.ntlm.programSetting, "the NTLM helper");
}

const char* schemeName(Scheme s) {
  switch (s) {
  case Scheme::Basic:
    return "Basic";
  case Scheme::Negotiate:
    return "Negotiate";
  case Scheme::Ntlm:
    return "NTLM";
  }
  return "?";
}

bool Config::offers(Scheme s) const {
  return std::find(schemes.begin(), schemes.end(), s) != schemes.end();
}

} // namespace exaproxy::auth
