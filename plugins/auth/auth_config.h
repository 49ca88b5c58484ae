// The auth plugin's settings (every key of its .conf section, README.md documents each), parsed
// once per instance into an immutable Config.
#pragma once

#include "cidr_set.h"
#include "domain_list.h"
#include "helper_pool_settings.h"

#include <exaproxy/plugin.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace exaproxy::auth {

enum class Scheme { Basic, Negotiate, Ntlm };

// The scheme's name as it appears in Proxy-Authenticate / Proxy-Authorization.
const char* schemeName(Scheme s);

struct BasicConfig {
  // basic_program (basic_ncsa_auth, basic_ldap_auth, ...), basic_children ... basic_timeout
  common::HelperPoolSettings pool = defaultPool();
  std::string realm = "ExaProxy";                    // shown by the browser's login prompt
  std::chrono::milliseconds credentialsTtl{3600000}; // a helper's OK is reused this long
  bool caseSensitive = false; // off (Squid's default): the user name is lowercased first
  size_t programSetting = SIZE_MAX;

  static common::HelperPoolSettings defaultPool() {
    common::HelperPoolSettings s;
    s.name = "Basic authentication helpers";
    s.timeout = std::chrono::milliseconds(5000);
    return s;
  }
};

// Negotiate (negotiate_*) and NTLM (ntlm_*): connection-oriented handshakes with a stateful
// helper (negotiate_kerberos_auth, Samba's ntlm_auth), one child reserved per connection while
// its handshake runs. No concurrency: these helpers take one handshake at a time.
struct HandshakeConfig {
  common::HelperPoolSettings pool;
  size_t programSetting = SIZE_MAX;

  static HandshakeConfig named(const std::string& name) {
    HandshakeConfig h;
    h.pool.name = name;
    h.pool.timeout = std::chrono::milliseconds(5000);
    return h;
  }
};

struct Config {
  std::vector<Scheme> schemes{Scheme::Basic}; // offered in this order
  BasicConfig basic;
  HandshakeConfig negotiate = HandshakeConfig::named("Negotiate authentication helpers");
  HandshakeConfig ntlm = HandshakeConfig::named("NTLM authentication helpers");
  // Who is never asked: these client networks, and requests to these domains (and below).
  std::shared_ptr<const common::CidrSet> openClients;
  std::shared_ptr<const common::DomainList> openDestinations;
  size_t cacheSize = 100000; // most credentials remembered at once

  bool offers(Scheme s) const;
};

// Parses the plugin's settings. Throws sdk::ConfigError naming the first bad setting.
Config parseConfig(const std::vector<sdk::Setting>& settings);

// What the configuration names on disk (the helper program), checked without running it.
void checkOnDisk(const Config& config);

} // namespace exaproxy::auth
