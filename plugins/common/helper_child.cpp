#include "helper_child.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <unistd.h>

namespace exaproxy::common {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxStderrLine = 1000;

} // namespace

std::string HelperChild::flush() {
  while (!toWrite.empty() && !dead) {
    ssize_t n = ::write(proc->stdinFd(), toWrite.data(), toWrite.size());
    if (n > 0) {
      toWrite.erase(0, static_cast<size_t>(n));
      continue;
    }
    int error = errno;
    if (n == -1 && error == EINTR)
      continue;
    if (n == -1 && (error == EAGAIN || error == EWOULDBLOCK))
      return ""; // the pool polls for POLLOUT
    if (n == -1 && error == EPIPE) {
      // Clear the SIGPIPE this thread has pending (the pool's thread blocks it).
      sigset_t pipeSet;
      sigemptyset(&pipeSet);
      sigaddset(&pipeSet, SIGPIPE);
      timespec zero{0, 0};
      sigtimedwait(&pipeSet, nullptr, &zero);
    }
    dead = true;
    return std::strerror(error);
  }
  return "";
}

bool HelperChild::readStdout() {
  char buf[kReadChunk];
  for (int round = 0; round < 4; ++round) {
    ssize_t n = ::read(proc->stdoutFd(), buf, sizeof buf);
    if (n > 0) {
      fromOut.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf)
        return false;
      continue;
    }
    if (n == -1 && errno == EINTR)
      continue;
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }
  return false;
}

std::vector<std::string> HelperChild::readStderr(bool eof) {
  char buf[4096];
  while (proc->stderrFd() >= 0 && !errEof) {
    ssize_t n = ::read(proc->stderrFd(), buf, sizeof buf);
    if (n > 0) {
      fromErr.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == -1 && errno == EINTR)
      continue;
    if (n == 0)
      errEof = true; // the helper closed stderr; stdout decides whether it lives
    break;
  }
  std::vector<std::string> lines;
  size_t lf;
  while ((lf = fromErr.find('\n')) != std::string::npos || fromErr.size() > kMaxStderrLine ||
         (eof && !fromErr.empty())) {
    size_t end = lf == std::string::npos ? std::min(fromErr.size(), kMaxStderrLine) : lf;
    std::string line = fromErr.substr(0, std::min(end, kMaxStderrLine));
    fromErr.erase(0, lf == std::string::npos ? end : lf + 1);
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!line.empty())
      lines.push_back(std::move(line));
  }
  return lines;
}

} // namespace exaproxy::common
