// One ICAP service at run time: its OPTIONS (asked before the first request and again when their
// Options-TTL runs out), its persistent connections (pooled, at most Max-Connections open), and
// its health (after failure_limit failures in a row it is suspended for revival_delay). Used
// from the host's worker threads only, with blocking I/O bounded by the client's timeout: never
// from a loop.
#pragma once

#include "icap_config.h"
#include "icap_options.h"
#include "icap_response.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace exaproxy::icap {

// What a service answered: its head, the encapsulated HTTP heads as sent, the body de-chunked.
struct Reply {
  ResponseHead head;
  std::string reqHdr;
  std::string resHdr;
  std::string body;
  bool hasBody = false; // a req-body or res-body came (possibly empty)
};

// Whether the service keeps the connection after this answer (ICAP/1.0 is persistent unless it
// says "Connection: close").
bool keepsConnection(const ResponseHead& head);

class Service {
public:
  using Clock = std::chrono::steady_clock;

  Service(ServiceConfig cfg, std::chrono::milliseconds timeout, size_t maxReplyBody);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  const ServiceConfig& config() const { return cfg_; }

  // One exchange: `spec` names the encapsulated HTTP heads (its method and service are this
  // service's), `body` the whole body if there is one. With preview on and a Preview in the
  // service's OPTIONS (and Transfer-* not saying otherwise for `extension`, the URL path's file
  // extension), only the preview goes first: "0; ieof" when it is the whole body, else the rest
  // follows a 100 Continue, and any other answer (204, 200) ends the exchange without it. A
  // failure (unreachable, timeout, a malformed or unexpected answer, an ICAP error status) names
  // why and counts towards the suspension.
  Result<Reply> call(RequestSpec spec, const std::string* body, std::string_view extension = {});

  // Suspended: failure_limit failures in a row, less than revival_delay ago.
  bool suspended() const;

  // {"name":..,"uri":..,"istag":..,"requests":..,"failures":..,"suspended":..} for the UI.
  std::string statusJson() const;

private:
  friend class Stream; // a streamed body: the same connections, OPTIONS and health

  struct Lease {
    int fd = -1;
    bool reused = false;
  };
  Result<Lease> acquire(Clock::time_point deadline);
  void release(int fd, bool reusable);
  // `rest`: what follows a 100 Continue (the body after a preview); null: 100 is an error.
  Result<Reply> exchange(const Lease& lease, const std::string& request, const std::string* rest,
                         Clock::time_point deadline, bool& stale, bool& clean);
  Result<Reply> callOnce(const std::string& request, Clock::time_point deadline,
                         const std::string* rest = nullptr);
  // The preview size for a body of `size` bytes to this service now (nullopt: send it whole).
  std::optional<size_t> previewFor(size_t size, std::string_view extension);
  std::optional<std::string> ensureOptions(Clock::time_point deadline);
  void failed();
  void succeeded();

  const ServiceConfig cfg_;
  const std::chrono::milliseconds timeout_;
  const size_t maxReplyBody_;

  mutable std::mutex mutex_;
  std::condition_variable slotFree_;
  std::vector<int> idle_;
  size_t open_ = 0; // connections open: idle or in use
  std::optional<ServiceOptions> options_;
  Clock::time_point optionsExpire_{};
  uint32_t failuresInARow_ = 0;
  Clock::time_point suspendedUntil_{};
  std::mutex optionsMutex_; // one OPTIONS exchange at a time

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> previews_{0}; // bodies sent with a preview
  std::atomic<uint64_t> streamed_{0}; // bodies streamed (icap_stream) rather than sent whole
};

} // namespace exaproxy::icap
