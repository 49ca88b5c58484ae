// One side of a proxied connection: the socket, its registration with the loop, what was read
// from it and not yet used, what the proxy made for it, and where its byte stream stands. The
// read and send functions report what happened and never decide: the caller (a stage of the
// request) knows whether a reset means "the end of the body" or "abort the request".
#pragma once

#include "net/buffer.h"
#include "net/event_loop.h"
#include "net/socket.h"

#include <cstddef>
#include <string>

namespace exaproxy::net {

struct Stream {
  Fd fd;
  IoWatch watch;
  Buffer in;            // read from the socket, not yet consumed
  Buffer out;           // bytes the proxy made for this side (heads, local answers)
  bool eof = false;     // the peer ended its stream (or reset it)
  bool blocked = false; // the last send hit EAGAIN: wait for EPOLLOUT
  bool shut = false;    // our side of the stream was shut down (shutdown(SHUT_WR))

  bool valid() const { return fd.valid(); }
};

struct IoResult {
  size_t bytes = 0; // moved by this call
  int error = 0;    // errno of a hard failure (0: none; EAGAIN and EINTR are not failures)
};

// Reads once, at most `chunk` bytes and never past `limit` bytes in `buf`. 0 bytes from the
// socket sets `eof`.
IoResult readSome(int fd, Buffer& buf, size_t limit, size_t chunk, bool& eof);

// Sends `head` then the first `sendable` bytes of `body` in one sendmsg (a head and the first
// body bytes behind it leave in one segment), consuming what went out of each; EAGAIN sets
// `blocked`. `tail` (may be null): bytes that belong right behind those `sendable` bytes (a
// chunk's CR LF, the last chunk): sent in the same call when there are body bytes to send, its
// sent prefix erased.
IoResult sendParts(int fd, Buffer& head, Buffer& body, size_t& sendable, bool& blocked,
                   std::string* tail = nullptr);

} // namespace exaproxy::net
