#include "redirector_config.h"

#include "exaproxy_url_protocol.h"
#include "helper_program.h"
#include "icap_protocol.h"
#include "setting_values.h"
#include "squid_protocol.h"

namespace exaproxy::redirector {

using common::parseBool;
using common::parseCount;
using common::parseDuration;
using common::parsePolicy;

const char* toString(ProtocolKind p) {
  switch (p) {
  case ProtocolKind::Squid:
    return "squid";
  case ProtocolKind::ExaproxyUrl:
    return "exaproxy-url";
  case ProtocolKind::ExaproxyIcap:
    return "exaproxy-icap";
  }
  return "?";
}

Config parseConfig(const std::vector<sdk::Setting>& settings) {
  Config c;
  size_t concurrencyIndex = SIZE_MAX;
  for (const auto& e : settings) {
    const std::string& k = e.key;
    const std::string& v = e.value;
    if (k == "program") {
      if (!splitCommandLine(v, c.program))
        throw sdk::ConfigError(e.index, "unterminated quote");
      if (c.program.empty())
        throw sdk::ConfigError(e.index, "empty command line");
      c.programSetting = e.index;
    } else if (k == "protocol") {
      if (v == "squid")
        c.protocol = ProtocolKind::Squid;
      else if (v == "exaproxy-url" || v == "url")
        c.protocol = ProtocolKind::ExaproxyUrl;
      else if (v == "exaproxy-icap" || v == "icap")
        c.protocol = ProtocolKind::ExaproxyIcap;
      else
        throw sdk::ConfigError(e.index, "expected squid, exaproxy-url or exaproxy-icap");
    } else if (k == "children") {
      if (!parseCount(v, c.children) || c.children == 0 || c.children > 1000)
        throw sdk::ConfigError(e.index, "expected a number of processes from 1 to 1000");
    } else if (k == "startup") {
      if (!parseCount(v, c.startup))
        throw sdk::ConfigError(e.index, "expected a number");
    } else if (k == "idle") {
      if (!parseCount(v, c.idle))
        throw sdk::ConfigError(e.index, "expected a number");
    } else if (k == "concurrency") {
      if (!parseCount(v, c.concurrency) || c.concurrency > 10000)
        throw sdk::ConfigError(e.index, "expected a number from 0 to 10000");
      concurrencyIndex = e.index;
    } else if (k == "queue_size") {
      if (!parseCount(v, c.queueSize))
        throw sdk::ConfigError(e.index, "expected a number");
    } else if (k == "timeout") {
      if (!parseDuration(v, c.timeout) || c.timeout.count() <= 0)
        throw sdk::ConfigError(e.index, "expected a duration such as 3s or 500ms");
    } else if (k == "on_timeout") {
      if (!parsePolicy(v, c.allowOnTimeout))
        throw sdk::ConfigError(e.index, "expected allow or deny");
    } else if (k == "on_error") {
      if (!parsePolicy(v, c.allowOnError))
        throw sdk::ConfigError(e.index, "expected allow or deny");
    } else if (k == "bypass") {
      if (!parseBool(v, c.bypass))
        throw sdk::ConfigError(e.index, "expected on or off");
    } else if (k == "canary") {
      if (v.find_first_of(" \t\r\n") != std::string::npos)
        throw sdk::ConfigError(e.index, "a URL may not contain white space");
      c.canary = v;
    } else if (k == "canary_client") {
      if (v.empty() || v.find_first_of(" \t\r\n") != std::string::npos)
        throw sdk::ConfigError(e.index, "expected an address");
      c.canaryClient = v;
    } else if (k == "canary_interval") {
      if (!parseDuration(v, c.canaryInterval) || c.canaryInterval.count() <= 0)
        throw sdk::ConfigError(e.index, "expected a duration");
    } else if (k == "files") {
      c.files = v;
      c.filesSetting = e.index;
    } else if (k == "icap_service") {
      if (v.empty() || v.find_first_of(" \t\r\n/") != std::string::npos)
        throw sdk::ConfigError(e.index, "expected a name without spaces or '/'");
      c.icapService = v;
    } else {
      throw sdk::ConfigError(
          e.index, "unknown key (known: program, protocol, children, startup, idle, "
                   "concurrency, queue_size, timeout, on_timeout, on_error, bypass, canary, "
                   "canary_client, canary_interval, files, icap_service)");
    }
  }
  if (c.program.empty())
    throw sdk::ConfigError("`program` is required (the helper's command line)");
  if (c.concurrency > 0 && c.protocol != ProtocolKind::Squid)
    throw sdk::ConfigError(concurrencyIndex,
                           "only the squid protocol has channel IDs: use concurrency = 0");
  if (c.startup > c.children)
    c.startup = c.children;
  if (c.idle > c.children)
    c.idle = c.children;
  return c;
}

void checkOnDisk(const Config& config) {
  if (!config.program.empty())
    if (auto problem = common::helperProgramProblem(config.program.front()))
      throw sdk::ConfigError(config.programSetting, "the helper cannot be started: " + *problem);
  std::error_code ec;
  if (!config.files.empty() && !std::filesystem::is_directory(config.files, ec))
    throw sdk::ConfigError(config.filesSetting,
                           "'" + config.files.string() + "' is not a directory");
}

HelperProtocolPtr makeProtocol(const Config& config) {
  switch (config.protocol) {
  case ProtocolKind::Squid:
    return std::make_unique<SquidProtocol>();
  case ProtocolKind::ExaproxyUrl:
    return std::make_unique<ExaproxyUrlProtocol>(config.files);
  case ProtocolKind::ExaproxyIcap:
    return std::make_unique<IcapProtocol>(config.icapService, config.files);
  }
  return std::make_unique<SquidProtocol>();
}

} // namespace exaproxy::redirector
