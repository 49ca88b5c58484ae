// Diagnostic logging: one named spdlog logger per module, all writing through one shared sink so
// that a reconfiguration (SIGHUP) or a log rotation (SIGUSR1) reaches loggers that modules have
// already cached. The access log is separate (core/access_log.h).
//
// None of these functions is async-signal-safe: call them from the loop that reads the signal
// (signalfd), never from a signal handler.
#pragma once

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
// file cannot be opened the output goes to stderr and the failure is logged there.
void setupLogging(const HostConfig& config);

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

// The last kRecentLogCapacity warnings and errors of every logger, plus the lifecycle lines
// (info and above) of the "main" logger (started, reload.start/done, logs.reopened), oldest
// first. Filled by a sink beside the stderr/file one, whatever the [log] destination; lines
// below a logger's level never reach it. Safe from any thread.
std::vector<LogRecord> recentLogRecords();

} // namespace exaproxy
