#include "core/logging.h"

#include "core/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace exaproxy {

namespace {

constexpr const char* kPattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v";

// An append-only file sink that can reopen its file. spdlog's basic_file_sink cannot, and
// logrotate's default (move, then SIGUSR1) needs it. Each message is one write(2) on an O_APPEND
// descriptor: nothing sits in a user-space buffer when the process dies, and lines from other
// writers of the same file do not interleave.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  explicit ReopenableFileSink(std::string path) : path_(std::move(path)) {}
  ~ReopenableFileSink() override {
    if (fd_ >= 0)
      ::close(fd_);
  }

  // Returns an error text, empty on success. On failure the previous file stays in use.
  std::string open() {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
      return path_ + ": " + std::strerror(errno);
    std::lock_guard<std::mutex> lock(mutex_);
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
    return "";
  }

  const std::string& path() const { return path_; }

  // fchown of the open descriptor; an error text, empty on success.
  std::string chownTo(uid_t uid, gid_t gid) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fd_ >= 0 && ::fchown(fd_, uid, gid) == -1)
      return path_ + ": " + std::strerror(errno);
    return "";
  }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    const char* p = formatted.data();
    size_t left = formatted.size();
    while (fd_ >= 0 && left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break; // a full disk must not stop the proxy; the line is lost
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  void flush_() override {} // nothing is buffered

private:
  std::string path_;
  int fd_ = -1;
};

// Keeps the last lines an operator should see (warnings, errors, and the main logger's lifecycle
// lines) for the web interface. Bounded, so a flood of warnings costs memory once.
class RecentLinesSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  std::vector<LogRecord> records() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<LogRecord> all;
    all.reserve(pinned_.size() + lines_.size());
    std::merge(pinned_.begin(), pinned_.end(), lines_.begin(), lines_.end(),
               std::back_inserter(all),
               [](const LogRecord& a, const LogRecord& b) { return a.unixMs < b.unixMs; });
    return all;
  }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    bool lifecycle = msg.level >= spdlog::level::info && pinned(msg);
    if (msg.level < spdlog::level::warn && !lifecycle)
      return;
    LogRecord r;
    r.unixMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    auto level = spdlog::level::to_string_view(msg.level);
    r.level.assign(level.data(), level.size());
    r.logger.assign(msg.logger_name.data(), msg.logger_name.size());
    r.message.assign(msg.payload.data(), msg.payload.size());
    // Lifecycle lines have their own ring: a flood of warnings cannot push exaproxy.started or a
    // plugin's refusal out of what the interface shows.
    auto& ring = lifecycle ? pinned_ : lines_;
    if (ring.size() >= (lifecycle ? kPinnedLogCapacity : kRecentLogCapacity))
      ring.pop_front();
    ring.push_back(std::move(r));
  }

  // Start, reload and stop (the main logger), and the host's plugin events ("plugin.refused",
  // "plugin.reload_done"...; not a plugin's own messages, "plugin=<name> ...", nor the per-request
  // failure lines "plugin.error" / "plugin.timeout").
  static bool pinned(const spdlog::details::log_msg& msg) {
    if (msg.logger_name == "main")
      return true;
    if (msg.logger_name != "plugin")
      return false;
    std::string_view p(msg.payload.data(), msg.payload.size());
    return p.starts_with("plugin.") && !p.starts_with("plugin.error") &&
           !p.starts_with("plugin.timeout");
  }
  void flush_() override {}

private:
  std::deque<LogRecord> lines_;  // guarded by base_sink's mutex_
  std::deque<LogRecord> pinned_; // lifecycle lines, the same
};

struct State {
  std::mutex mutex;
  std::shared_ptr<RecentLinesSink> recent = std::make_shared<RecentLinesSink>();
  // Every logger's only sink; its children are swapped by setupLogging.
  std::shared_ptr<spdlog::sinks::dist_sink_mt> shared = makeShared();
  std::shared_ptr<ReopenableFileSink> file; // null when logging to stderr
  spdlog::level::level_enum level = spdlog::level::info;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;

  std::shared_ptr<spdlog::sinks::dist_sink_mt> makeShared() {
    auto dist = std::make_shared<spdlog::sinks::dist_sink_mt>();
    dist->set_sinks({stderrSink(), recent});
    return dist;
  }
  static spdlog::sink_ptr stderrSink() {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    sink->set_pattern(kPattern);
    return sink;
  }

  std::shared_ptr<spdlog::logger> getLocked(std::string_view module) {
    auto it = loggers.find(module);
    if (it != loggers.end())
      return it->second;
    auto created = std::make_shared<spdlog::logger>(std::string(module), shared);
    created->set_level(level);
    loggers.emplace(std::string(module), created);
    return created;
  }
};

State& state() {
  static State s;
  return s;
}

std::optional<spdlog::level::level_enum> parseLevel(std::string_view name) {
  static const std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off}};
  for (const auto& [text, level] : kLevels)
    if (text == name)
      return level;
  return std::nullopt;
}

} // namespace

std::string setupLogging(const HostConfig& config) {
  auto& s = state();
  std::string failure;
  std::shared_ptr<spdlog::logger> mainLogger;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    spdlog::sink_ptr target;
    std::shared_ptr<ReopenableFileSink> file;
    if (!config.logFile.empty()) {
      file = std::make_shared<ReopenableFileSink>(config.logFile);
      failure = file->open();
      if (failure.empty()) {
        file->set_pattern(kPattern);
        target = file;
      } else {
        file.reset();
      }
    }
    if (!target)
      target = State::stderrSink();
    s.file = file;
    s.shared->set_sinks({target, s.recent});
    s.level = parseLevel(config.logLevel).value_or(spdlog::level::info);
    for (auto& named : s.loggers)
      named.second->set_level(s.level);
    for (auto module : kLogModules)
      s.getLocked(module);
    mainLogger = s.getLocked("main");
  }
  spdlog::set_default_logger(mainLogger);
  if (!failure.empty())
    mainLogger->error("cannot open the log file, logging to stderr: {}", failure);
  return failure;
}

std::string logFileProblem(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(path, ec)) {
    if (::access(path.c_str(), W_OK) == -1)
      return path + ": " + std::strerror(errno);
    return "";
  }
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty())
    dir = ".";
  if (::access(dir.c_str(), W_OK | X_OK) == -1)
    return path + ": cannot be created in " + dir.string() + ": " + std::strerror(errno);
  return "";
}

std::string chownLogFiles(uid_t uid, gid_t gid) {
  std::shared_ptr<ReopenableFileSink> file;
  {
    auto& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    file = s.file;
  }
  std::string failures = file ? file->chownTo(uid, gid) : std::string();
  std::string access = AccessLog::instance().chownTo(uid, gid);
  if (!access.empty())
    failures += (failures.empty() ? "" : "; ") + access;
  return failures;
}

std::shared_ptr<spdlog::logger> logger(std::string_view module) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.getLocked(module);
}

void reopenLogFiles() {
  auto& s = state();
  std::shared_ptr<ReopenableFileSink> file;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    file = s.file;
  }
  if (file) {
    auto failure = file->open();
    if (!failure.empty())
      logger("main")->error("cannot reopen the log file, still writing the old one: {}", failure);
  }
  AccessLog::instance().reopen();
}

bool applyLogLevel(std::string_view level) {
  auto parsed = parseLevel(level);
  if (!parsed)
    return false;
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.level = *parsed;
  for (auto& named : s.loggers)
    named.second->set_level(s.level);
  return true;
}

std::vector<LogRecord> recentLogRecords() { return state().recent->records(); }

} // namespace exaproxy
