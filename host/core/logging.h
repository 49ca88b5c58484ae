// Diagnostic logging: one named spdlog logger per module, all writing through one shared sink so
// that a reconfiguration (SIGHUP) or a log rotation (SIGUSR1) reaches loggers that modules have
// already cached. The access log is separate (core/access_log.h).
//
// None of these functions is async-signal-safe: call them from the loop that reads the signal
// (signalfd), never from a signal handler.
#pragma once

#include <sys/types.h>

#include "core/config.h"

#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy {

// The loggers every module uses; logger() also creates others on demand.
inline constexpr std::string_view kLogModules[] = {"main",  "net",    "http",    "dns",
                                                   "proxy", "plugin", "workers", "ui"};

// Points every logger at stderr or the [log] file (a single shared sink), sets the level and
// the pattern, and makes "main" spdlog's default logger. May be called again on SIGHUP. If the
// file cannot be opened the output goes to stderr, the failure is logged there and returned
// ("path: reason"; empty on success): at start the caller stops on it.
std::string setupLogging(const HostConfig& config);

// Why the process cannot write the log file `path` (it exists and is not writable, or it does not
// and its directory is not), or empty. For --check, which runs as the service user.
std::string logFileProblem(const std::string& path);

// Gives the open [log] file and access log file to uid:gid (fchown), so that the [server] user
// still reopens them after a rotation once root's privileges are dropped. Returns the failures.
std::string chownLogFiles(uid_t uid, gid_t gid);

// The named logger, created on first use with the current sink and level. Safe from any thread;
// it takes a mutex, so keep the returned pointer rather than calling it per message.
std::shared_ptr<spdlog::logger> logger(std::string_view module);

// Closes and reopens the [log] file (after logrotate moved it) and the access log file.
void reopenLogFiles();

// Sets the level of every logger (and of loggers created later). Returns false, changing
// nothing, for a name other than trace debug info warn error critical off.
bool applyLogLevel(std::string_view level);

// One line kept in memory for the web interface's log page.
struct LogRecord {
  int64_t unixMs = 0;
  std::string level; // spdlog's names: "info", "warning", "error", "critical"
  std::string logger;
  std::string message;
};

// How many lines the in-memory log keeps (the oldest go first).
inline constexpr size_t kRecentLogCapacity = 400;
// ...and, in a ring of their own, the last lifecycle lines (start, reload, plugin events).
inline constexpr size_t kPinnedLogCapacity = 200;

// The last kRecentLogCapacity warnings and errors of every logger, merged (oldest first) with
// the last kPinnedLogCapacity lifecycle lines: info and above of the "main" logger (started,
// reload.start/done, logs.reopened) and the host's "plugin.*" events (refusals, reloads), which
// a flood of other warnings cannot push out. Filled by a sink beside the stderr/file one, whatever
// the [log] destination; lines below a logger's level never reach it. Safe from any thread.
std::vector<LogRecord> recentLogRecords();

} // namespace exaproxy
