// The ICAP client's settings: the plugin's own section ([icap]) and one section per service
// ([icap NAME]), in the words of Squid's icap_service where they exist. Parsed once per
// (re)configuration; the result is immutable and shared by the worker threads.
#pragma once

#include "domain_list.h"
#include "icap_request.h"

#include <exaproxy/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace exaproxy::icap {

struct ServiceConfig {
  std::string name; // the section's name: [icap NAME]
  Method method = Method::Reqmod;
  ServiceUri uri;
  bool bypass = false;        // a failing service is skipped (on) or the request refused (off)
  uint32_t failureLimit = 10; // consecutive failures before the service is suspended
  std::chrono::milliseconds revivalDelay{30000}; // how long it stays suspended
  // preview = on: a body goes with the Preview the service's OPTIONS ask for (and its rest only
  // after 100 Continue); off: always whole (Squid's icap_preview_enable).
  bool preview = true;
  // Which requests go to it: every one unless these say otherwise.
  std::vector<std::string> methods;          // upper case; empty = any method
  std::shared_ptr<common::DomainList> hosts; // null = any host
  // The body's media type: "type/subtype" or "type/*", lower case; empty = any (and none).
  std::vector<std::string> contentTypes;
  // A body announced longer than this (Content-Length) is not sent; unknown lengths are.
  std::optional<uint64_t> maxSize;
};

// What the rules know of the body that would go: its media type (lower case, parameters
// dropped; "" when the message has no Content-Type) and its announced length (nullopt: unknown).
struct BodyFacts {
  std::string contentType;
  std::optional<uint64_t> length;
};

struct ClientConfig {
  std::chrono::milliseconds timeout{4000}; // connecting and one whole exchange with a service
  bool sendClientIp = true;                // X-Client-IP
  bool sendUser = true;                    // X-Client-Username (the request's user, if any)
  size_t maxReplyBody = 16 * 1024 * 1024;  // a longer encapsulated body is a service failure
  // A body whose Content-Length is at most this is held to its end and sent whole (one round
  // trip, Allow: 204 outside a preview); longer ones and those of unknown length stream.
  size_t holdMax = 256 * 1024;
  std::vector<ServiceConfig> services; // in configuration order: the first that matches
};

// "icap://host[:port]/path" (the host a name, an IPv4 address or a bracketed IPv6 literal).
Result<ServiceUri> parseServiceUri(std::string_view text);

// Reads the plugin's settings; throws common::ConfigFailure naming the setting at fault.
std::shared_ptr<const ClientConfig> parseClientConfig(const std::vector<sdk::Setting>& settings);

// The first service of `method` that takes a request with this method and host, and a body as
// `body` says (REQMOD: the request's; RESPMOD: the response's), or null.
const ServiceConfig* chooseService(const ClientConfig& cfg, Method method,
                                   std::string_view requestMethod, std::string_view host,
                                   const BodyFacts& body = {});

} // namespace exaproxy::icap
