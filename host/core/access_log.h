// The access log, one line per transaction in Squid's native format (PROTOCOLS.md section 7) so
// that Squid's log tools (calamaris, sarg, ...) read it unchanged.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace exaproxy {

// Every view must outlive the write() / formatSquid() call it is passed to (the session's own
// strings, or literals): building a record allocates nothing.
struct AccessRecord {
  std::chrono::system_clock::time_point end; // when the transaction ended
  std::chrono::milliseconds elapsed{0};
  std::string_view client;      // identity address text (after XFF / PROXY)
  std::string_view resultCode;  // TCP_MISS, TCP_TUNNEL, TCP_DENIED, TCP_REDIRECT, NONE_NONE, ...
  int status = 0;               // HTTP status sent to the client; 0 = none (logged as 000)
  uint64_t bytesSent = 0;       // headers + body sent to the client
  std::string_view method;      // usually a static method name
  std::string_view url;         // host:port for CONNECT
  std::string_view user;        // empty -> "-"
  std::string_view hierarchy;   // HIER_DIRECT, HIER_NONE
  std::string_view upstream;    // address or "-"
  std::string_view contentType; // empty -> "-"
  std::string_view note;        // the plugins' decision; the 11th field ("-" when empty)
};

// `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt` then one more field, the note
// (the plugins' decision), without a newline. Every line has the same 11 fields: calamaris takes
// the layout from the first line and rejects lines whose field count differs, and Squid's tools
// read the 10 leading fields. Log tools split on whitespace, so whitespace and control bytes
// inside a field are written as %XX (a URL with a raw space is invalid anyway). An empty field
// is written as "-" (an empty result code as NONE_NONE, an empty hierarchy as HIER_NONE, status
// 0 as 000, as Squid does).
std::string formatSquid(const AccessRecord& record);
// The same line appended to `out` (the writer formats straight into its batch buffer).
void appendSquid(std::string& out, const AccessRecord& record);

// Process-wide access log writer, used from every event loop thread.
//
// Writing: the line is formatted before any lock, then written with a single write(2) on an
// O_APPEND descriptor (stdout for "-"). The only lock guards the copy of a shared pointer to the
// current descriptor, so loops never wait for each other's disk writes, and the descriptor
// stays open until the last writer that picked it up is done (reopen cannot close a descriptor
// under a writer, whose number could otherwise be reused by an unrelated file). A single
// write(2) per line keeps lines whole for regular files and for pipes up to PIPE_BUF; nothing is
// buffered in user space, so nothing is lost on a crash.
class AccessLog {
public:
  static AccessLog& instance();

  // "-" (stdout), "off", or a file path. Returns false (and keeps the previous target) if the
  // file cannot be opened; the reason is logged.
  bool configure(const std::string& target);
  void write(const AccessRecord& record);
  // Event-loop threads batch their lines: write() then only appends to a per-thread buffer (which
  // goes out by itself once it holds 64 KiB), and flushThread() writes it with one write(2); the
  // loop calls it on a short timer (proxy/server.cpp), so a busy loop does not pay a write(2) per
  // request. Other threads write each line at once.
  void setThreadBatching(bool on);
  void flushThread();
  // Bytes of lines this thread batched and has not written yet.
  static size_t threadPendingBytes();
  // Reopens the file after rotation; a no-op for stdout and off. On failure the old file stays.
  void reopen();
  // fchown of the open file (see chownLogFiles); an error text, empty on success or no file.
  std::string chownTo(uid_t uid, gid_t gid);

  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  uint64_t linesWritten() const { return written_.load(std::memory_order_relaxed); }
  uint64_t linesLost() const { return lost_.load(std::memory_order_relaxed); } // write errors

  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

private:
  struct Target;
  AccessLog();
  void writeLines(const std::string& text, uint64_t lines);
  ~AccessLog();
  std::shared_ptr<const Target> current() const;

  mutable std::mutex mutex_; // guards target_ (the pointer, not the writes)
  std::shared_ptr<const Target> target_;
  std::atomic<bool> enabled_{true};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> lost_{0};
};

} // namespace exaproxy
