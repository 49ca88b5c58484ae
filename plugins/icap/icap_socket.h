// Blocking socket I/O for the ICAP client's worker threads, every call bounded by a deadline:
// connect to a service, send all of a buffer, read what is there. Non-blocking descriptors and
// poll(), so a silent or slow service costs at most the client's timeout.
#pragma once

#include "icap_common.h"
#include "icap_request.h"

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace exaproxy::icap {

using Deadline = std::chrono::steady_clock::time_point;

// A connected TCP socket to the service (each of its addresses in turn), or why not.
Result<int> dial(const ServiceUri& uri, Deadline deadline);

// Writes all of `data`; false with `why` on an error, a reset or the deadline.
bool sendAll(int fd, std::string_view data, Deadline deadline, std::string& why);

// Appends what arrives (at least one byte) to `out`. 0: the peer closed; -1: an error or the
// deadline, with `why`.
long readSome(int fd, std::string& out, Deadline deadline, std::string& why);

// True when the connection is idle and still open (no byte and no end of stream waiting): a
// pooled connection the service closed is not reused.
bool stillOpen(int fd);

} // namespace exaproxy::icap
