// Blocking socket I/O for the ICAP client's worker threads, every call bounded by a deadline:
// connect to a service, send all of a buffer, read what is there. Non-blocking descriptors and
// poll(), so a silent or slow service costs at most the client's timeout.
#pragma once

#include "icap_common.h"
#include "icap_request.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
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

// Appends what has already arrived to `out` (at most about `max` bytes), never waiting: the
// bytes read (0 when none were there), or -1 on an error (`why`). `closed` is set when the
// peer's end was read.
long readNow(int fd, std::string& out, bool& closed, std::string& why, size_t max = SIZE_MAX);

// Writes all of `data` while appending what the peer sends meanwhile to `in`: a peer that answers
// as it reads (an ICAP echo) never stalls against a full socket both ways. `enough` is asked
// after each read: true stops the sending early (the peer's answer no longer needs the rest).
// False with `why` on an error, a reset, the peer's end or the deadline.
template <typename Enough>
bool sendWhileReading(int fd, std::string_view data, Deadline deadline, std::string& in,
                      Enough&& enough, std::string& why);

// True when the connection is idle and still open (no byte and no end of stream waiting): a
// pooled connection the service closed is not reused.
bool stillOpen(int fd);

// One step of sendWhileReading: waits (up to the deadline) until fd is writable or readable,
// then writes what it can of `data` (removing it) and reads one buffer of what arrived into
// `in` (enough to keep the peer going; the rest waits in the kernel, not in our memory). False with
// `why` on an error, the peer's end or the deadline.
bool sendOrRead(int fd, std::string_view& data, Deadline deadline, std::string& in,
                std::string& why);

template <typename Enough>
bool sendWhileReading(int fd, std::string_view data, Deadline deadline, std::string& in,
                      Enough&& enough, std::string& why) {
  while (!data.empty()) {
    if (!sendOrRead(fd, data, deadline, in, why))
      return false;
    if (enough())
      return true;
  }
  return true;
}

} // namespace exaproxy::icap
