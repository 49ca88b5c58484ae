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

IoResult sendParts(int fd, Buffer& head, Buffer& body, size_t& sendable, bool& blocked,
                   std::string* tail) {
  size_t headLen = head.size();
  size_t tailLen = tail && sendable > 0 ? tail->size() : 0;
  size_t len = headLen + sendable + tailLen;
  IoResult r;
  while (r.bytes < len) {
    iovec iov[3];
    int parts = 0;
    if (r.bytes < headLen)
      iov[parts++] = {const_cast<char*>(head.data() + r.bytes), headLen - r.bytes};
    size_t bodyDone = r.bytes > headLen ? r.bytes - headLen : 0;
    if (sendable > bodyDone)
      iov[parts++] = {const_cast<char*>(body.data() + bodyDone), sendable - bodyDone};
    size_t tailDone = r.bytes > headLen + sendable ? r.bytes - headLen - sendable : 0;
    if (tailLen > tailDone)
      iov[parts++] = {tail->data() + tailDone, tailLen - tailDone};
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
  size_t fromBody = std::min(r.bytes - fromHead, sendable);
  head.consume(fromHead);
  body.consume(fromBody);
  sendable -= fromBody;
  if (tailLen > 0)
    tail->erase(0, r.bytes - fromHead - fromBody);
  return r;
}

} // namespace exaproxy::net
