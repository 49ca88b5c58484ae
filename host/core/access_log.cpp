#include "core/access_log.h"

#include "core/logging.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace exaproxy {

namespace {

// Appends a field, '-' if empty; bytes that would split or break the line become %XX.
void appendField(std::string& out, std::string_view field) {
  if (field.empty()) {
    out += '-';
    return;
  }
  // The usual field has no byte to escape: one pass without early exit (vectorisable), one append.
  unsigned escape = 0;
  for (char c : field) {
    auto u = static_cast<unsigned char>(c);
    escape |= static_cast<unsigned>((u <= 0x20) | (u == 0x7f));
  }
  if (escape == 0) {
    out.append(field);
    return;
  }
  // Runs of plain bytes are appended at once; the rare byte that would split the line is %XX.
  size_t run = 0;
  for (size_t i = 0; i < field.size(); ++i) {
    auto u = static_cast<unsigned char>(field[i]);
    if (u > 0x20 && u != 0x7f)
      continue;
    out.append(field.data() + run, i - run);
    static constexpr char kHex[] = "0123456789ABCDEF";
    char esc[3] = {'%', kHex[u >> 4], kHex[u & 0xf]};
    out.append(esc, 3);
    run = i + 1;
  }
  out.append(field.data() + run, field.size() - run);
}

} // namespace

namespace {

template <typename T> void appendNumber(std::string& out, T value, size_t minDigits = 0) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec; // 24 bytes hold any 64-bit integer
  auto len = static_cast<size_t>(end - buf);
  if (len < minDigits)
    out.append(minDigits - len, '0');
  out.append(buf, len);
}

} // namespace

void appendSquid(std::string& out, const AccessRecord& r) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(r.end.time_since_epoch()).count();
  if (ms < 0)
    ms = 0;
  auto elapsed = r.elapsed.count() < 0 ? 0 : r.elapsed.count();
  int status = r.status < 0 ? 0 : r.status;

  appendNumber(out, ms / 1000);
  out += '.';
  appendNumber(out, ms % 1000, 3);
  out += ' ';
  char buf[24];
  auto width = static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, elapsed).ptr - buf);
  if (width < 6)
    out.append(6 - width, ' '); // %6tr: right-aligned in 6 columns, never truncated
  out.append(buf, width);
  out += ' ';
  appendField(out, r.client);
  out += ' ';
  appendField(out, r.resultCode.empty() ? std::string_view("NONE_NONE") : r.resultCode);
  out += '/';
  appendNumber(out, status, 3);
  out += ' ';
  appendNumber(out, r.bytesSent);
  out += ' ';
  appendField(out, r.method);
  out += ' ';
  appendField(out, r.url);
  out += ' ';
  appendField(out, r.user);
  out += ' ';
  appendField(out, r.hierarchy.empty() ? std::string_view("HIER_NONE") : r.hierarchy);
  out += '/';
  appendField(out, r.upstream);
  out += ' ';
  appendField(out, r.contentType);
  // An 11th field on every line: the plugins' decision (one token, '-' when none). calamaris
  // decides the layout from the first line, so the field count must never vary between lines;
  // the 10 leading fields stay Squid's.
  out += ' ';
  appendField(out, r.note);
}

std::string formatSquid(const AccessRecord& r) {
  std::string out;
  out.reserve(160 + r.url.size());
  appendSquid(out, r);
  return out;
}

struct AccessLog::Target {
  int fd = -1;        // -1: off
  bool owned = false; // we opened it (not stdout)
  std::string path;   // empty unless a file
  ~Target() {
    if (owned && fd >= 0)
      ::close(fd);
  }
};

AccessLog::AccessLog() {
  auto stdoutTarget = std::make_shared<Target>();
  stdoutTarget->fd = STDOUT_FILENO;
  target_ = stdoutTarget;
}

AccessLog::~AccessLog() = default;

AccessLog& AccessLog::instance() {
  static AccessLog log;
  return log;
}

std::shared_ptr<const AccessLog::Target> AccessLog::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return target_;
}

bool AccessLog::configure(const std::string& target) {
  auto next = std::make_shared<Target>();
  if (target == "-") {
    next->fd = STDOUT_FILENO;
  } else if (target != "off") {
    next->fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (next->fd < 0) {
      int err = errno;
      logger("main")->error("cannot open the access log {}: {}", target, std::strerror(err));
      errno = err; // for the caller's message
      return false;
    }
    next->owned = true;
    next->path = target;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    target_ = next;
  }
  enabled_.store(next->fd >= 0, std::memory_order_relaxed);
  return true;
}

void AccessLog::reopen() {
  auto old = current();
  if (old->path.empty())
    return;
  auto next = std::make_shared<Target>();
  next->fd = ::open(old->path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (next->fd < 0) {
    logger("main")->error("cannot reopen the access log {}, still writing the old file: {}",
                          old->path, std::strerror(errno));
    return;
  }
  next->owned = true;
  next->path = old->path;
  std::lock_guard<std::mutex> lock(mutex_);
  // A configure() that ran meanwhile wins: its target is newer than our reopen.
  if (target_ == old)
    target_ = next;
}

std::string AccessLog::chownTo(uid_t uid, gid_t gid) {
  auto t = current();
  if (!t->owned || t->fd < 0)
    return "";
  if (::fchown(t->fd, uid, gid) == -1)
    return t->path + ": " + std::strerror(errno);
  return "";
}

namespace {
struct ThreadBatch {
  bool on = false;
  std::string pending;
  uint64_t lines = 0;
};
thread_local ThreadBatch tlsBatch;
constexpr size_t kBatchFlushBytes = 64 * 1024;
} // namespace

void AccessLog::setThreadBatching(bool on) {
  if (!on)
    flushThread();
  tlsBatch.on = on;
}

size_t AccessLog::threadPendingBytes() { return tlsBatch.pending.size(); }

void AccessLog::flushThread() {
  if (tlsBatch.pending.empty())
    return;
  std::string out;
  out.swap(tlsBatch.pending);
  uint64_t lines = tlsBatch.lines;
  tlsBatch.lines = 0;
  writeLines(out, lines);
  out.clear();
  if (tlsBatch.pending.capacity() < kBatchFlushBytes)
    tlsBatch.pending.swap(out); // keep the capacity for the next batch
}

void AccessLog::write(const AccessRecord& record) {
  if (!enabled())
    return;
  if (tlsBatch.on) {
    appendSquid(tlsBatch.pending, record);
    tlsBatch.pending += '\n';
    ++tlsBatch.lines;
    if (tlsBatch.pending.size() >= kBatchFlushBytes)
      flushThread();
    return;
  }
  std::string line = formatSquid(record);
  line += '\n';
  writeLines(line, 1);
}

void AccessLog::writeLines(const std::string& text, uint64_t lines) {
  auto target = current();
  if (target->fd < 0)
    return;
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(target->fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      // Disk full or a closed stdout: the proxy keeps serving; the UI shows the count.
      lost_.fetch_add(lines, std::memory_order_relaxed);
      return;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  written_.fetch_add(lines, std::memory_order_relaxed);
}

} // namespace exaproxy
