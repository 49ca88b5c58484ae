// The addresses a request may connect to, tried in order: a connect that fails at once, is
// refused or times out moves on to the next one; the last error is kept for the 502 page.
#pragma once

#include "core/ip_address.h"
#include "net/socket.h"

#include <optional>
#include <string>
#include <vector>

namespace exaproxy::net {

class Connector {
public:
  // A fresh list (keeps the vector's capacity for the next request of the loop).
  void reset(const std::vector<IpAddress>& addresses, uint16_t port);
  void clear();
  // Back to the first address (a stale pooled connection is replaced by a fresh one).
  void rewind() { next_ = 0; }

  const std::vector<Endpoint>& candidates() const { return candidates_; }
  bool exhausted() const { return next_ >= candidates_.size(); }

  struct Started {
    Fd fd;
    Endpoint to;
  };
  // Starts a non-blocking connect to the next address that accepts one (its socket becomes
  // writable when done); nullopt when none is left. `failures` counts the addresses that failed
  // at once on the way.
  std::optional<Started> startNext(const std::optional<IpAddress>& bind4,
                                   const std::optional<IpAddress>& bind6, size_t& failures);

  // Why the last attempt failed ("connect timeout (1.2.3.4:80)", "Connection refused (...)").
  void failed(std::string why) { error_ = std::move(why); }
  const std::string& lastError() const { return error_; }

private:
  std::vector<Endpoint> candidates_;
  size_t next_ = 0;
  std::string error_;
};

} // namespace exaproxy::net
