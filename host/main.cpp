// Wiring only: parse the command line, load conf.d, bind, drop privileges, start the loops, then
// turn signals into reload / reopen / drain.
#include "core/access_log.h"
#include "core/config.h"
#include "core/logging.h"
#include "net/fd_budget.h"
#include "plugin/plugin_runtime.h"
#include "proxy/server.h"
#include "ui/static_files.h"
#include "ui/ui_server.h"
#include "workers/worker_pool.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace exaproxy;

struct Options {
  std::filesystem::path confDir;
  std::vector<std::string> overrides;
  bool check = false;
  bool daemon = false;
  std::string readyFile;
  std::string pidFile;
  std::filesystem::path verifyPlugin;
  std::filesystem::path verifyConf;
};

void usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: exaproxy --conf-dir DIR [--set section.key=value]... [--check]\n"
      "                [--ready-file FILE] [--daemon] [--pidfile FILE] [--version]\n"
      "       exaproxy --verify-plugin FILE.so [--conf FILE.conf]\n"
      "\n"
      "  --conf-dir DIR      read every DIR/*.conf in lexical order (required)\n"
      "  --set S.K=V         override one key, e.g. --set 'listener main.address=127.0.0.1:0'\n"
      "  --check             validate the configuration and every plugin with its settings\n"
      "                      (loaded in check mode: nothing started), then exit\n"
      "                      (0 valid, 1 invalid)\n"
      "  --verify-plugin F   the loader's checks and a check-mode create() of one plugin, each\n"
      "                      step printed (0: it would load); --conf names its settings\n"
      "                      (default: F with .conf beside it)\n"
      "  --ready-file FILE   write the bound addresses, one per line, once serving;\n"
      "                      the web interface's address goes to FILE.ui, the\n"
      "                      [metrics] listener's to FILE.metrics, the ICAP server's to FILE.icap\n"
      "  --daemon            detach from the terminal\n"
      "  --pidfile FILE      write the process id\n"
      "  --version           print the version and exit\n");
}

// Returns -1 to continue, or an exit code.
int parseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "exaproxy: %s needs a value\n", name);
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--version") {
      std::printf("exaproxy %s\n", EXAPROXY_VERSION);
      return 0;
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--check") {
      o.check = true;
    } else if (a == "--daemon") {
      o.daemon = true;
    } else if (a == "--verify-plugin" || a == "--conf") {
      const char* v = value(a.c_str());
      if (!v)
        return 2;
      (a == "--conf" ? o.verifyConf : o.verifyPlugin) = v;
    } else if (a == "--conf-dir" || a == "--set" || a == "--ready-file" || a == "--pidfile") {
      const char* v = value(a.c_str());
      if (!v)
        return 2;
      if (a == "--conf-dir")
        o.confDir = v;
      else if (a == "--set")
        o.overrides.emplace_back(v);
      else if (a == "--ready-file")
        o.readyFile = v;
      else
        o.pidFile = v;
    } else {
      std::fprintf(stderr, "exaproxy: unknown option %s\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (!o.verifyPlugin.empty()) // the loader's checks plus a check-mode create(); no conf dir
    return plugin::PluginRuntime::verifyPlugin(o.verifyPlugin, o.verifyConf);
  if (!o.verifyConf.empty()) {
    std::fprintf(stderr, "exaproxy: --conf goes with --verify-plugin\n");
    return 2;
  }
  if (o.confDir.empty()) {
    std::fprintf(stderr, "exaproxy: --conf-dir is required\n");
    usage(stderr);
    return 2;
  }
  return -1;
}

bool writeFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!(f << text))
      return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// Waits up to `period` for one of `stop` among the blocked `signals` (others that arrive meanwhile
// are taken and ignored): the signal, or 0 when the period ran out.
int waitForSignal(const sigset_t& signals, std::chrono::milliseconds period,
                  std::initializer_list<int> stop) {
  auto deadline = std::chrono::steady_clock::now() + period;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return 0;
    timespec ts{static_cast<time_t>(left.count() / 1'000'000'000),
                static_cast<long>(left.count() % 1'000'000'000)};
    int sig = ::sigtimedwait(&signals, nullptr, &ts);
    for (int s : stop)
      if (sig == s)
        return sig;
  }
}

// The log files opened as root are given to the user first: after a rotation it reopens (and
// creates) them itself.
bool dropPrivileges(const std::string& user, const std::string& logFile,
                    const std::string& accessLog) {
  auto log = logger("main");
  passwd* pw = ::getpwnam(user.c_str());
  if (!pw) {
    log->critical("privileges.failed user={} reason=\"no such user\"", user);
    return false;
  }
  if (std::string failed = chownLogFiles(pw->pw_uid, pw->pw_gid); !failed.empty())
    log->warn("privileges.log_owner user={} reason=\"{}\" (a reopen after rotation may fail)", user,
              failed);
  else if (!logFile.empty() || (accessLog != "-" && accessLog != "off"))
    log->info("privileges.log_owner user={} (the log files now belong to it)", user);
  if (::setgroups(1, &pw->pw_gid) == -1 || ::setgid(pw->pw_gid) == -1 ||
      ::setuid(pw->pw_uid) == -1) {
    log->critical("privileges.failed user={} reason=\"{}\"", user, std::strerror(errno));
    return false;
  }
  log->info("privileges.dropped user={} uid={} gid={}", user, pw->pw_uid, pw->pw_gid);
  return true;
}

// Enough descriptors for max_connections (each may hold descriptorsPerConnection()) and for the
// rest (listeners, helpers, DNS, files): the soft RLIMIT_NOFILE is raised up to the hard one. The
// last descriptors are kept free for the UI and the logs (net/fd_budget.h).
void raiseDescriptorLimit(const HostConfig& config) {
  auto log = logger("main");
  size_t wanted = config.maxConnections * net::descriptorsPerConnection(config.splice) + 1024;
  auto nofile = net::raiseNofileLimit(wanted);
  if (nofile.soft < wanted)
    log->warn("limits.nofile soft={} hard={} wanted={} max_connections={} reason=\"cannot raise "
              "the descriptor limit{}{}: connections may fail before max_connections (raise "
              "LimitNOFILE or ulimit -n, or lower max_connections)\"",
              nofile.soft, nofile.hard, wanted, config.maxConnections,
              nofile.error.empty() ? "" : ": ", nofile.error);
  else if (nofile.raised)
    log->info("limits.nofile soft={} hard={} (raised for max_connections={})", nofile.soft,
              nofile.hard, config.maxConnections);
  size_t reserve = net::descriptorReserve(nofile.soft);
  net::setDescriptorCeiling(nofile.soft > 2 * reserve ? nofile.soft - reserve : 0); // 0: none
}

// --check: each log file the configuration names must be writable by this process.
size_t checkLogFiles(const HostConfig& config, std::ostream& report) {
  size_t errors = 0;
  auto check = [&](const char* key, const std::string& path) {
    if (std::string problem = logFileProblem(path); !problem.empty()) {
      report << "[log] " << key << ": " << problem << "\n";
      ++errors;
    }
  };
  if (!config.logFile.empty())
    check("file", config.logFile);
  if (config.accessLog != "-" && config.accessLog != "off")
    check("access_log", config.accessLog);
  return errors;
}

bool daemonize() {
  pid_t pid = ::fork();
  if (pid == -1)
    return false;
  if (pid > 0)
    ::_exit(0);
  ::setsid();
  pid = ::fork();
  if (pid == -1)
    return false;
  if (pid > 0)
    ::_exit(0);
  int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::close(null);
  }
  return true;
}

ConfigLoad load(const Options& o) { return loadConfig(o.confDir, o.overrides); }

void printErrors(const std::vector<ConfigError>& errors) {
  for (const auto& e : errors)
    std::fprintf(stderr, "%s\n", e.toString().c_str());
}

std::vector<ui::PluginInfo> pluginsForUi(const plugin::PluginRuntime& runtime) {
  std::vector<ui::PluginInfo> out;
  for (const auto& p : runtime.plugins()) {
    ui::PluginInfo u;
    u.name = p.name;
    u.file = p.file.string();
    u.version = p.version;
    u.vendor = p.vendor;
    u.abi = p.abi;
    u.description = p.description;
    u.state = plugin::toString(p.state);
    u.reason = p.reason;
    u.change = p.change;
    u.required = p.required;
    u.counters = p.counters;
    u.pluginName = p.pluginName;
    for (const auto& m : p.metrics)
      u.metrics.push_back({m.name, m.help, m.gauge, m.value});
    u.statusJson = p.statusJson;
    out.push_back(std::move(u));
  }
  return out;
}

// The web interface reads the proxy through these.
ui::UiSources uiSources(const proxy::Server& server, const plugin::PluginRuntime& runtime,
                        const workers::WorkerPool& pool) {
  ui::UiSources s;
  s.counters = [&server] { return ui::countersFrom(server.counters()); };
  s.firstByteLatency = [&server] { return ui::histogramFrom(server.firstByteLatency()); };
  s.totalLatency = [&server] { return ui::histogramFrom(server.totalLatency()); };
  s.connections = [&server] { return ui::connectionsFrom(server.sessions()); };
  s.dns = [&server] { return ui::dnsFrom(server.dns()); };
  s.config = [&server] { return server.config(); };
  s.log = [] { return recentLogRecords(); };
  s.loops = [&server] { return server.loopCount(); };
  s.draining = [&server] { return server.draining(); };
  s.plugins = [&runtime] { return pluginsForUi(runtime); };
  s.workers = [&pool] { return std::optional(ui::workersFrom(pool.stats())); };
  // Exactly what the operator's SIGHUP does: main's sigwait loop below picks it up.
  s.reload = [] { ::kill(::getpid(), SIGHUP); };
  return s;
}

} // namespace

int main(int argc, char** argv) {
  const int64_t startedUnixMs = ui::nowUnixMs();
  Options opts;
  if (int rc = parseArgs(argc, argv, opts); rc >= 0)
    return rc;

  auto loaded = load(opts);
  if (!loaded.errors.empty()) {
    printErrors(loaded.errors);
    std::fprintf(stderr, "exaproxy: configuration in %s has %zu error(s)\n", opts.confDir.c_str(),
                 loaded.errors.size());
    return 1;
  }
  if (opts.check) {
    // Plugins too: each loaded from a private copy and created in check mode, then unloaded.
    std::ostringstream report;
    size_t errors = plugin::PluginRuntime::checkPlugins(*loaded.config, report);
    // The log files, as the user running --check (the unit's ExecStartPre runs it as the service
    // user): a file it cannot write would stop the start.
    errors += checkLogFiles(*loaded.config, report);
    std::fputs(report.str().c_str(), errors ? stderr : stdout);
    if (errors) {
      std::fprintf(stderr, "exaproxy: configuration in %s has %zu error(s)\n", opts.confDir.c_str(),
                   errors);
      return 1;
    }
    std::printf("exaproxy: configuration in %s is valid (%zu plugin(s) checked)\n",
                opts.confDir.c_str(), loaded.config->plugins.size());
    return 0;
  }
  auto config = loaded.config;
  auto log = logger("main");
  // A log that cannot be opened stops the start: running without the access log would hide
  // every request from the operator (the reason names the path and errno).
  if (std::string failure = setupLogging(*config); !failure.empty()) {
    logger("main")->critical("startup.failed reason=\"cannot open the log file {}\"", failure);
    return 1;
  }
  log = logger("main");
  if (!AccessLog::instance().configure(config->accessLog)) {
    log->critical("startup.failed reason=\"cannot open the access log {}: {}\"", config->accessLog,
                  std::strerror(errno));
    return 1;
  }

  raiseDescriptorLimit(*config);

  // Signals are taken synchronously by this thread (sigwait); every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1})
    sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // Declared before the server so that they outlive it: loops hold chain snapshots and post
  // completions until they stop. Created after --daemon's fork (threads do not survive a fork).
  std::unique_ptr<workers::WorkerPool> pool;
  std::unique_ptr<plugin::PluginRuntime> runtime;
  proxy::Server server(config);
  if (auto st = server.bind(); !st) {
    log->critical("startup.failed reason=\"{}\"", st.error().message);
    return 1;
  }
  if (!config->user.empty()) {
    if (::geteuid() == 0 && !dropPrivileges(config->user, config->logFile, config->accessLog))
      return 1;
  } else if (::geteuid() == 0) {
    log->warn("privileges.root reason=\"running as root: set [server] user to drop privileges\"");
  }
  if (opts.daemon && !daemonize()) {
    log->critical("startup.failed reason=\"cannot daemonize: {}\"", std::strerror(errno));
    return 1;
  }
  if (!opts.pidFile.empty() &&
      !writeFileAtomically(opts.pidFile, std::to_string(::getpid()) + "\n"))
    log->warn("pidfile.failed file={} reason=\"{}\"", opts.pidFile, std::strerror(errno));

  pool = std::make_unique<workers::WorkerPool>(workers::poolOptionsFrom(*config));
  runtime = std::make_unique<plugin::PluginRuntime>(pool.get());
  // Fail closed: a required plugin that cannot load stops the proxy before it serves; a refused
  // `required = no` one is logged and listed, and the proxy serves without it.
  if (auto report = runtime->load(*config); report.rejected) {
    for (const auto& why : report.failed)
      log->critical("startup.failed plugin=\"{}\"", why);
    log->critical("startup.failed reason=\"{} required plugin(s) could not load\"",
                  report.failed.size());
    return 1;
  }
  server.attach(runtime.get(), pool.get());
  auto bound = server.start();
  std::unique_ptr<ui::UiServer> webUi;
  if (config->uiEnabled) {
    auto www = ui::resolveWwwDir(config->uiWww);
    webUi = std::make_unique<ui::UiServer>(
        ui::uiOptions(config->uiListen, config->uiThreads, www, startedUnixMs),
        uiSources(server, *runtime, *pool));
    // The interface is not the data plane: if it cannot bind, the proxy serves without it.
    if (auto addr = webUi->start(); !addr) {
      log->error("ui.failed reason=\"{}\"", addr.error().message);
      webUi.reset();
    } else {
      server.protectUi(*addr); // never reachable through the proxy (port 0: known only now)
      log->info("ui.ready address={} www={}", addr->toString(), www.string());
      if (!opts.readyFile.empty() &&
          !writeFileAtomically(opts.readyFile + ".ui", addr->toString() + "\n"))
        log->error("readyfile.failed file={}.ui reason=\"{}\"", opts.readyFile,
                   std::strerror(errno));
    }
  }
  std::unique_ptr<ui::UiServer> metricsListener;
  if (config->metricsEnabled) {
    ui::UiOptions mo = ui::uiOptions(config->metricsListen, 2, {}, startedUnixMs);
    mo.metricsOnly = true;
    mo.allowClients = config->metricsClients;
    metricsListener =
        std::make_unique<ui::UiServer>(std::move(mo), uiSources(server, *runtime, *pool));
    // Like the interface: not the data plane, and never a destination through the proxy.
    if (auto addr = metricsListener->start(); !addr) {
      log->error("metrics.failed reason=\"{}\"", addr.error().message);
      metricsListener.reset();
    } else {
      server.protectUi(*addr);
      log->info("metrics.ready address={}", addr->toString());
      if (!opts.readyFile.empty() &&
          !writeFileAtomically(opts.readyFile + ".metrics", addr->toString() + "\n"))
        log->error("readyfile.failed file={}.metrics reason=\"{}\"", opts.readyFile,
                   std::strerror(errno));
    }
  }
  if (const auto& icap = server.icapEndpoint()) {
    log->info("icap_server.ready address={} service=icap://{}/reqmod", icap->toString(),
              icap->toString());
    if (!opts.readyFile.empty() &&
        !writeFileAtomically(opts.readyFile + ".icap", icap->toString() + "\n"))
      log->error("readyfile.failed file={}.icap reason=\"{}\"", opts.readyFile,
                 std::strerror(errno));
  }
  std::string ready;
  for (const auto& ep : bound) {
    log->info("listener.ready address={}", ep.toString());
    ready += ep.toString() + "\n";
  }
  if (!opts.readyFile.empty() && !writeFileAtomically(opts.readyFile, ready))
    log->error("readyfile.failed file={} reason=\"{}\"", opts.readyFile, std::strerror(errno));
  log->info("exaproxy.started version={} pid={} conf_hash={}", EXAPROXY_VERSION, ::getpid(),
            config->confHash);

  int exitCode = 0;
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0)
      continue;
    if (sig == SIGHUP) {
      log->info("reload.start conf_dir={}", opts.confDir.string());
      auto next = load(opts);
      if (!next.errors.empty()) {
        for (const auto& e : next.errors)
          log->error("reload.invalid {}", e.toString());
        log->error("reload.rejected errors={} (the running configuration is unchanged)",
                   next.errors.size());
        continue;
      }
      // Plugins first: a required one that cannot load rejects the whole reload (atomic).
      auto plugins = runtime->reload(*next.config);
      if (plugins.rejected) {
        for (const auto& why : plugins.failed)
          log->error("reload.invalid plugin=\"{}\"", why);
        log->error("reload.rejected errors={} (the running configuration is unchanged)",
                   plugins.failed.size());
        continue;
      }
      setupLogging(*next.config); // level and log file may have changed
      if (next.config->accessLog != config->accessLog)
        AccessLog::instance().configure(next.config->accessLog);
      pool->setOptions(workers::poolOptionsFrom(*next.config));
      for (const auto& what : server.reload(next.config))
        log->warn("reload.needs_restart setting={} (kept the running value)", what);
      config = next.config;
      log->info("reload.done conf_hash={}", config->confHash);
    } else if (sig == SIGUSR1) {
      reopenLogFiles(); // the daemon log and the access log
      log->info("logs.reopened");
    } else {
      log->info("shutdown.start signal={} drain={}ms", strsignal(sig), config->drain.count());
      if (config->drainAnnounce.count() > 0) {
        server.announceDrain();
        log->info("shutdown.announce for={}ms (still accepting; /healthz answers 503)",
                  config->drainAnnounce.count());
        // A second SIGTERM/SIGINT cuts the announcement short.
        if (int again = waitForSignal(signals, config->drainAnnounce, {SIGTERM, SIGINT}))
          log->info("shutdown.announce_cut signal={}", strsignal(again));
      }
      bool drained = server.drain();
      if (!drained)
        log->warn("shutdown.drain_timeout (closing what is left)");
      break;
    }
  }
  if (webUi)
    webUi->stop(); // before the loops go: its sources read them
  if (metricsListener)
    metricsListener->stop();
  server.stop();
  // Join the workers while the loops they post completions to still exist, then run those
  // completions (a plugin job finishing during shutdown frees its memory there).
  pool.reset();
  server.release();
  log->info("exaproxy.stopped");
  if (!opts.pidFile.empty())
    ::unlink(opts.pidFile.c_str());
  spdlog::shutdown();
  return exitCode;
}
