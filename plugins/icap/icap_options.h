// What an OPTIONS answer says about a service (RFC 3507 §4.10.2), read once per Options-TTL and
// shared read-only by the transactions that use the service.
#pragma once

#include "icap_common.h"
#include "icap_response.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::icap {

// How a message whose URL path ends in a given file extension is sent to the service.
enum class Transfer {
  Preview,  // a preview first (when the service asked for one), the rest if it says 100 Continue
  Ignore,   // not sent to the service at all
  Complete, // sent whole, without a preview
};

inline constexpr size_t kMaxIsTagLength = 32;                  // RFC 3507 §4.7
inline constexpr uint64_t kMaxPreviewBytes = 16 * 1024 * 1024; // beyond it the answer is refused

// Every field defaults to what its absence means.
struct ServiceOptions {
  bool reqmod = false;  // Methods lists REQMOD (Methods is required and must list one of the two)
  bool respmod = false; // Methods lists RESPMOD
  std::string istag;    // ISTag without its quotes (required; 1..kMaxIsTagLength bytes)
  std::string service;  // Service: a description for the status page; "" when absent
  // Preview: how many body bytes to send first; nullopt = the service wants no preview.
  std::optional<size_t> preview;
  // Transfer-Preview / -Ignore / -Complete: lower-case file extensions; "*" marks the list that
  // applies to every extension named in none of them. No extension (or "*") is in two lists.
  std::vector<std::string> transferPreview;
  std::vector<std::string> transferIgnore;
  std::vector<std::string> transferComplete;
  // Max-Connections: nullopt = no limit announced.
  std::optional<uint32_t> maxConnections;
  // Options-TTL in seconds: nullopt = this answer does not expire.
  std::optional<uint32_t> optionsTtl;
  bool allow204 = false; // Allow lists 204: the service may answer 204 outside a preview

  // The treatment of `extension` (any case, without the dot): the list naming it, else the list
  // holding "*", else Complete (RFC 3507: no preview unless asked for).
  Transfer transferFor(std::string_view extension) const;
};

// Reads the answer to an OPTIONS request. Fails on a status other than 200, a missing or invalid
// Methods or ISTag, a field given twice, a number that is not decimal or out of range, or
// Transfer-* lists that contradict each other. Unknown fields are ignored.
Result<ServiceOptions> interpretOptions(const ResponseHead& head);

} // namespace exaproxy::icap
