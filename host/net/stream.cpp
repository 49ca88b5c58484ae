#include "net/stream.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

namespace exaproxy::net {

IoResult readSome(int fd, Buffer& buf, size_t limit, size_t chunk, bool& eof) {
  if (buf.size() >= limit)
    return {};
  size_t want = std::min(chunk, limit - buf.size());
  ssize_t n = ::recv(fd, buf.prepare(want), want, 0);
  if (n > 0) {
    buf.commit(static_cast<size_t>(n));
    return {static_cast<size_t>(n), 0};
  }
  if (n == 0) {
    eof = true;
    return {};
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    return {};
  return {0, errno};
}

IoResult sendParts(int fd, Buffer& head, Buffer& body, size_t& sendable, bool& blocked) {
  size_t headLen = head.size();
  size_t len = headLen + sendable;
  IoResult r;
  while (r.bytes < len) {
    iovec iov[2];
    int parts = 0;
    if (r.bytes < headLen)
      iov[parts++] = {const_cast<char*>(head.data() + r.bytes), headLen - r.bytes};
    size_t bodyDone = r.bytes > headLen ? r.bytes - headLen : 0;
    if (sendable > bodyDone)
      iov[parts++] = {const_cast<char*>(body.data() + bodyDone), sendable - bodyDone};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(parts);
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n > 0) {
      r.bytes += static_cast<size_t>(n);
      continue;
    }
    if (n == -1 && errno == EINTR)
      continue;
    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
      blocked = true;
    else
      r.error = n == -1 ? errno : EPIPE;
    break;
  }
  size_t fromHead = std::min(r.bytes, headLen);
  head.consume(fromHead);
  body.consume(r.bytes - fromHead);
  sendable -= r.bytes - fromHead;
  return r;
}

} // namespace exaproxy::net
