#include "icap_config.h"

#include "config_problem.h"
#include "setting_values.h"

#include <exaproxy/text.hpp>

#include <map>

namespace exaproxy::icap {

using common::ConfigFailure;

Result<ServiceUri> parseServiceUri(std::string_view text) {
  constexpr std::string_view kScheme = "icap://";
  if (text.size() < kScheme.size() || !sdk::equalsIgnoreCase(text.substr(0, 7), kScheme))
    return Result<ServiceUri>::failure("expected icap://host[:port]/path");
  std::string_view rest = text.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  ServiceUri uri;
  uri.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view port;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return Result<ServiceUri>::failure("an IPv6 address without its closing ']'");
    uri.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      return Result<ServiceUri>::failure("unexpected text after the IPv6 address");
    port = after.empty() ? after : after.substr(1);
  } else {
    size_t colon = authority.find(':');
    uri.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos)
      port = authority.substr(colon + 1);
  }
  if (uri.host.empty())
    return Result<ServiceUri>::failure("no host");
  for (char c : uri.host)
    if (!(isTchar(c) || c == ':') || c == '%')
      return Result<ServiceUri>::failure("the host holds a character no host name has");
  if (!port.empty()) {
    auto n = parseDecimal(port, 65535);
    if (!n || *n == 0)
      return Result<ServiceUri>::failure("the port is not a number from 1 to 65535");
    uri.port = static_cast<uint16_t>(*n);
  }
  for (char c : uri.path)
    if (isForbiddenInValue(c) || c == ' ')
      return Result<ServiceUri>::failure("the path holds a space or a control character");
  return uri;
}

namespace {

void globalSetting(ClientConfig& cfg, const sdk::Setting& e) {
  if (e.key == "timeout") {
    if (!common::parseDuration(e.value, cfg.timeout) || cfg.timeout.count() <= 0)
      throw ConfigFailure(e, "expected a duration such as 5s or 500ms");
  } else if (e.key == "send_client_ip") {
    if (!common::parseBool(e.value, cfg.sendClientIp))
      throw ConfigFailure(e, "expected on or off");
  } else if (e.key == "send_user") {
    if (!common::parseBool(e.value, cfg.sendUser))
      throw ConfigFailure(e, "expected on or off");
  } else if (e.key == "max_reply_body") {
    if (!common::parseCount(e.value, cfg.maxReplyBody) || cfg.maxReplyBody == 0)
      throw ConfigFailure(e, "expected a number of bytes");
  } else if (e.key == "hold_max") {
    if (!common::parseCount(e.value, cfg.holdMax))
      throw ConfigFailure(e, "expected a number of bytes");
  } else {
    throw ConfigFailure(e, "unknown setting (known: timeout, send_client_ip, send_user, "
                           "max_reply_body, hold_max; services go in [icap NAME] sections)");
  }
}

void serviceSetting(ServiceConfig& s, bool& haveUri, const sdk::Setting& e) {
  if (e.key == "uri") {
    auto uri = parseServiceUri(e.value);
    if (!uri)
      throw ConfigFailure(e, uri.error());
    s.uri = *uri;
    haveUri = true;
  } else if (e.key == "method") {
    // Squid's vectoring points name the method too: reqmod_precache, respmod_precache.
    std::string v = sdk::lower(e.value);
    if (v == "reqmod" || v == "reqmod_precache")
      s.method = Method::Reqmod;
    else if (v == "respmod" || v == "respmod_precache")
      s.method = Method::Respmod;
    else
      throw ConfigFailure(e, "expected reqmod or respmod");
  } else if (e.key == "bypass") {
    if (!common::parseBool(e.value, s.bypass))
      throw ConfigFailure(e, "expected on or off");
  } else if (e.key == "preview") {
    if (!common::parseBool(e.value, s.preview))
      throw ConfigFailure(e, "expected on or off");
  } else if (e.key == "failure_limit") {
    size_t n = 0;
    if (!common::parseCount(e.value, n) || n > 1000000)
      throw ConfigFailure(e, "expected a number of failures (0: never suspend)");
    s.failureLimit = static_cast<uint32_t>(n);
  } else if (e.key == "revival_delay") {
    if (!common::parseDuration(e.value, s.revivalDelay))
      throw ConfigFailure(e, "expected a duration such as 30s");
  } else if (e.key == "methods") {
    for (auto m : sdk::splitList(e.value)) {
      if (!isToken(m))
        throw ConfigFailure(e, "'" + std::string(m) + "' is not a method name");
      std::string upper(m);
      for (char& c : upper)
        c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
      s.methods.push_back(std::move(upper));
    }
  } else if (e.key == "hosts") {
    if (!s.hosts)
      s.hosts = std::make_shared<common::DomainList>();
    for (auto h : sdk::splitList(e.value)) {
      std::string why;
      if (!s.hosts->add(h, &why))
        throw ConfigFailure(e, "'" + std::string(h) + "': " + why);
    }
  } else if (e.key == "content_types") {
    for (auto t : sdk::splitList(e.value)) {
      std::string type = sdk::lower(t);
      auto slash = type.find('/');
      if (slash == std::string::npos || !isToken(type.substr(0, slash)) ||
          (type.substr(slash + 1) != "*" && !isToken(type.substr(slash + 1))))
        throw ConfigFailure(e, "'" + std::string(t) +
                                   "' is not a media type (type/subtype or type/*)");
      s.contentTypes.push_back(std::move(type));
    }
  } else if (e.key == "max_size") {
    size_t n = 0;
    if (!common::parseCount(e.value, n))
      throw ConfigFailure(e, "expected a number of bytes");
    s.maxSize = n;
  } else {
    throw ConfigFailure(e, "unknown setting (known: uri, method, bypass, preview, "
                           "failure_limit, revival_delay, methods, hosts, content_types, "
                           "max_size)");
  }
}

} // namespace

std::shared_ptr<const ClientConfig> parseClientConfig(const std::vector<sdk::Setting>& settings) {
  auto cfg = std::make_shared<ClientConfig>();
  std::map<std::string, size_t> bySection;
  std::vector<bool> haveUri;
  std::vector<const sdk::Setting*> first;
  for (const auto& e : settings) {
    if (e.section == "icap") {
      globalSetting(*cfg, e);
      continue;
    }
    if (e.section.rfind("icap ", 0) != 0)
      throw ConfigFailure(e, "unknown section (the plugin reads [icap] and [icap NAME])");
    auto [it, fresh] = bySection.emplace(e.section, cfg->services.size());
    if (fresh) {
      cfg->services.emplace_back().name = e.section.substr(5);
      haveUri.push_back(false);
      first.push_back(&e);
    }
    bool have = haveUri[it->second];
    serviceSetting(cfg->services[it->second], have, e);
    haveUri[it->second] = have;
  }
  for (size_t i = 0; i < cfg->services.size(); ++i) {
    if (!haveUri[i])
      throw ConfigFailure(*first[i], "the service has no uri (icap://host:port/path)");
    if (cfg->services[i].hosts)
      cfg->services[i].hosts->build();
  }
  return cfg;
}

namespace {

bool typeListed(const std::vector<std::string>& types, std::string_view type) {
  for (const auto& t : types) {
    if (t == type)
      return true;
    if (t.ends_with("/*") && type.size() > t.size() - 1 &&
        type.substr(0, t.size() - 1) == std::string_view(t).substr(0, t.size() - 1))
      return true;
  }
  return false;
}

} // namespace

const ServiceConfig* chooseService(const ClientConfig& cfg, Method method,
                                   std::string_view requestMethod, std::string_view host,
                                   const BodyFacts& body) {
  for (const auto& s : cfg.services) {
    if (s.method != method)
      continue;
    if (!s.methods.empty()) {
      bool listed = false;
      for (const auto& m : s.methods)
        listed = listed || m == requestMethod;
      if (!listed)
        continue;
    }
    if (s.hosts && !s.hosts->contains(sdk::lower(host)))
      continue;
    if (!s.contentTypes.empty() && !typeListed(s.contentTypes, body.contentType))
      continue;
    if (s.maxSize && body.length && *body.length > *s.maxSize)
      continue;
    return &s;
  }
  return nullptr;
}

} // namespace exaproxy::icap
