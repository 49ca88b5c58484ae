#include "proxy/server.h"

#include "core/access_log.h"
#include "core/config_schema.h"
#include "core/logging.h"
#include "plugin/plugin_runtime.h"
#include "proxy/denial_log.h"
#include "proxy/icap_server.h"

#include <condition_variable>
#include <cstring>
#include <mutex>

namespace exaproxy::proxy {

namespace {
// How long an access-log line may wait in its loop's batch before it is written.
constexpr std::chrono::milliseconds kAccessLogFlush{20};

// The host's interface addresses, refused as destinations. A failure is logged loudly: loopback
// stays refused, but an interface address the proxy does not know is not.
std::optional<std::vector<IpAddress>> readInterfaceAddresses() {
  auto addresses = interfaceAddresses();
  if (!addresses)
    logger("proxy")->error("interfaces.unknown reason=\"getifaddrs: {}\" (destinations on this "
                           "host's interface addresses are not refused; loopback still is; under "
                           "systemd, RestrictAddressFamilies needs AF_NETLINK)",
                           std::strerror(errno));
  return addresses;
}

// Waits for N loops to acknowledge something posted to them.
class Latch {
public:
  explicit Latch(size_t n) : n_(n) {}
  void countDown() {
    std::lock_guard lock(m_);
    if (n_ > 0 && --n_ == 0)
      cv_.notify_all();
  }
  template <typename Duration> bool waitFor(Duration d) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, d, [this] { return n_ == 0; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  size_t n_;
};
} // namespace

Server::Server(std::shared_ptr<const HostConfig> config) : config_(std::move(config)) {
  loopCount_ = config_->loops ? config_->loops : std::max(1u, std::thread::hardware_concurrency());
}

Server::~Server() {
  stop();
  release();
  loops_.clear();
}

Status Server::bind() {
  sockets_.clear();
  sockets_.resize(loopCount_);
  shared_.listenEndpoints.clear();
  for (const auto& l : config_->listeners) {
    // The first socket may bind port 0; the others join whatever port it got.
    Endpoint at = l.address;
    for (unsigned i = 0; i < loopCount_; ++i) {
      auto fd = net::listenTcp(at, /*reusePort=*/true);
      if (!fd)
        return makeError(1, "listener " + l.name + " (" + l.source + "): " + fd.error().message);
      if (i == 0) {
        auto bound = net::localEndpoint(fd->get());
        if (!bound)
          return makeError(1, "listener " + l.name + ": getsockname failed");
        at = *bound;
        shared_.listenEndpoints.push_back(at);
      }
      sockets_[i].push_back(std::move(*fd));
    }
  }
  if (config_->icapServerEnabled) {
    auto fd = net::listenTcp(config_->icapServerListen, /*reusePort=*/false, 128);
    if (!fd)
      return makeError(1, "[icap_server] listen " + config_->icapServerListen.toString() + ": " +
                              fd.error().message);
    icapEndpoint_ = net::localEndpoint(fd->get());
    if (!icapEndpoint_)
      return makeError(1, "[icap_server]: getsockname failed");
    icapSocket_ = std::move(*fd);
  }
  auto host = std::make_shared<LocalHost>();
  host->addresses = readInterfaceAddresses().value_or(std::vector<IpAddress>{});
  host->listeners = shared_.listenEndpoints;
  // The interface's configured address is protected before it even binds (port 0: once bound,
  // protectUi()).
  if (config_->uiEnabled && config_->uiListen.port != 0)
    host->ui.push_back(config_->uiListen);
  if (icapEndpoint_) // like the interface: never a destination, whatever allow_local says
    host->ui.push_back(*icapEndpoint_);
  localHost_ = std::move(host);
  return Ok{};
}

std::vector<Endpoint> Server::start() {
  Latch up(loopCount_);
  for (unsigned i = 0; i < loopCount_; ++i) {
    Loop l;
    l.loop = std::make_unique<net::EventLoop>();
    l.ctx = std::make_unique<LoopContext>(*l.loop, config_, localHost_, shared_);
    for (size_t j = 0; j < sockets_[i].size(); ++j)
      l.ctx->addListener(std::move(sockets_[i][j]), shared_.listenEndpoints[j],
                         config_->listeners[j]);
    l.loop->post([&up] { up.countDown(); });
    net::EventLoop* loop = l.loop.get();
    loop->setCoalesceWindow(std::chrono::microseconds(config_->coalesceUs));
    // Access-log lines go out in one write(2) per kAccessLogFlush (or per 64 KiB): writing at the
    // end of every loop iteration was 0.85 write(2) per request under load.
    l.logFlush = std::make_unique<net::Timer>(*loop, [] { AccessLog::instance().flushThread(); });
    if (i == 0 && icapSocket_.valid())
      l.ctx->addIcapServer(std::move(icapSocket_), *icapEndpoint_);
    if (i == 0) {
      // Plugins' own descriptors and timers (ABI 1.4) live on loop 0.
      if (shared_.runtime)
        shared_.runtime->pluginLoop().attach(*loop);
      l.denials = std::make_unique<net::Timer>(*loop);
      l.denials->setCallback([t = l.denials.get()] {
        DenialSummary::instance().flushIfDue();
        t->arm(std::chrono::seconds(1));
      });
      l.denials->arm(std::chrono::seconds(1));
    }
    loop->setIterationHook([flush = l.logFlush.get()] {
      if (!flush->armed() && AccessLog::threadPendingBytes() > 0)
        flush->arm(kAccessLogFlush);
    });
    plugin::PluginLoop* plugins =
        i == 0 && shared_.runtime ? &shared_.runtime->pluginLoop() : nullptr;
    l.thread = std::thread([loop, i, plugins] {
      pthread_setname_np(pthread_self(), ("exaproxy-loop" + std::to_string(i)).c_str());
      AccessLog::instance().setThreadBatching(true);
      loop->run();
      // Loop 0 has ended: its thread still owns it, so the plugins' watches go here and now. A
      // close() on another loop that waits for loop 0 (the last transaction of an old instance,
      // during shutdown) is released before Server::stop() joins that loop.
      if (plugins)
        plugins->detach();
      AccessLog::instance().setThreadBatching(false); // flushes what is left
    });
    loops_.push_back(std::move(l));
  }
  sockets_.clear();
  up.waitFor(std::chrono::seconds(30));
  return shared_.listenEndpoints;
}

std::vector<std::string> Server::reload(std::shared_ptr<const HostConfig> config) {
  auto restart = restartOnlyChanges(*config_, *config);
  {
    std::lock_guard lock(configMutex_);
    config_ = config;
  }
  // The host's addresses may have changed since start (an interface came up, DHCP).
  auto host = std::make_shared<LocalHost>(*localHost_);
  if (auto addresses = readInterfaceAddresses())
    host->addresses = std::move(*addresses); // else: keep the addresses known so far
  localHost_ = host;
  Latch applied(loops_.size());
  for (auto& l : loops_) {
    LoopContext* ctx = l.ctx.get();
    net::EventLoop* loop = l.loop.get();
    l.loop->post([ctx, loop, config, host, &applied] {
      loop->setCoalesceWindow(std::chrono::microseconds(config->coalesceUs));
      ctx->applyConfig(config);
      ctx->setLocalHost(host);
      applied.countDown();
    });
  }
  applied.waitFor(std::chrono::seconds(10));
  return restart;
}

void Server::protectUi(const Endpoint& ui) {
  auto host = std::make_shared<LocalHost>(*localHost_);
  host->ui.push_back(ui);
  localHost_ = host;
  Latch applied(loops_.size());
  for (auto& l : loops_) {
    LoopContext* ctx = l.ctx.get();
    l.loop->post([ctx, host, &applied] {
      ctx->setLocalHost(host);
      applied.countDown();
    });
  }
  applied.waitFor(std::chrono::seconds(10));
}

void Server::announceDrain() {
  shared_.draining.store(true); // /healthz answers 503 from now on
  for (auto& l : loops_) {
    LoopContext* ctx = l.ctx.get();
    l.loop->post([ctx] { ctx->announceDrain(); });
  }
}

bool Server::drain() {
  shared_.draining.store(true);
  auto done = std::make_shared<Latch>(loops_.size());
  for (auto& l : loops_) {
    LoopContext* ctx = l.ctx.get();
    l.loop->post([ctx, done] { ctx->startDrain([done] { done->countDown(); }); });
  }
  return done->waitFor(config_->drain);
}

std::shared_ptr<const HostConfig> Server::config() const {
  std::lock_guard lock(configMutex_);
  return config_;
}

CounterTotals Server::counters() const {
  CounterTotals t;
  for (const auto& l : loops_) {
    const Counters& c = l.ctx->counters();
#define EXAPROXY_SUM_FIELD(name, kind, help) t.name += c.name.load(std::memory_order_relaxed);
    EXAPROXY_COUNTERS(EXAPROXY_SUM_FIELD)
#undef EXAPROXY_SUM_FIELD
  }
  return t;
}

namespace {
void addHistogram(HistogramTotals& t, const LatencyHistogram& h) {
  for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i)
    t.buckets[i] += h.buckets[i].load(std::memory_order_relaxed);
  t.count += h.count.load(std::memory_order_relaxed);
  t.sumMs += h.sumMs.load(std::memory_order_relaxed);
}
} // namespace

HistogramTotals Server::firstByteLatency() const {
  HistogramTotals t;
  for (const auto& l : loops_)
    addHistogram(t, l.ctx->firstByteLatency());
  return t;
}

HistogramTotals Server::totalLatency() const {
  HistogramTotals t;
  for (const auto& l : loops_)
    addHistogram(t, l.ctx->totalLatency());
  return t;
}

// Runs fn(LoopContext&) -> T on every loop and collects the answers that arrive within `wait`.
// The shared state outlives a late answer, so a slow loop can never write into freed memory.
template <typename T, typename Fn>
std::vector<T> Server::askLoops(Fn fn, std::chrono::milliseconds wait) const {
  struct State {
    std::mutex m;
    std::condition_variable cv;
    std::vector<T> answers;
    size_t pending = 0;
  };
  auto state = std::make_shared<State>();
  state->pending = loops_.size();
  for (const auto& l : loops_) {
    LoopContext* ctx = l.ctx.get();
    l.loop->post([state, ctx, fn] {
      T answer = fn(*ctx);
      std::lock_guard lock(state->m);
      state->answers.push_back(std::move(answer));
      if (--state->pending == 0)
        state->cv.notify_all();
    });
  }
  std::unique_lock lock(state->m);
  state->cv.wait_for(lock, wait, [&] { return state->pending == 0; });
  return state->answers;
}

std::vector<SessionInfo> Server::sessions(std::chrono::milliseconds wait) const {
  auto perLoop =
      askLoops<std::vector<SessionInfo>>([](LoopContext& ctx) { return ctx.sessions(); }, wait);
  std::vector<SessionInfo> all;
  for (auto& v : perLoop)
    all.insert(all.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
  return all;
}

DnsSnapshot Server::dns(std::chrono::milliseconds wait) const {
  auto perLoop = askLoops<DnsSnapshot>(
      [](LoopContext& ctx) {
        DnsSnapshot d;
        auto st = ctx.resolver().stats();
        d.queries = st.queries;
        d.cacheHits = st.cacheHits;
        d.cacheMisses = st.cacheMisses;
        d.failures = st.failures;
        d.inflight = st.inflight;
        d.cacheSize = st.cacheSize;
        d.entries = ctx.resolver().cache().snapshot(ctx.loop().now());
        return d;
      },
      wait);
  DnsSnapshot total;
  for (auto& d : perLoop) {
    total.queries += d.queries;
    total.cacheHits += d.cacheHits;
    total.cacheMisses += d.cacheMisses;
    total.failures += d.failures;
    total.inflight += d.inflight;
    total.cacheSize += d.cacheSize;
    total.entries.insert(total.entries.end(), std::make_move_iterator(d.entries.begin()),
                         std::make_move_iterator(d.entries.end()));
  }
  return total;
}

void Server::stop() {
  for (auto& l : loops_)
    l.loop->stop();
  for (auto& l : loops_)
    if (l.thread.joinable())
      l.thread.join();
  // Loop 0 has stopped for good: the plugins' watches and timers on it go now, while it exists.
  if (shared_.runtime && !loops_.empty())
    shared_.runtime->pluginLoop().detach();
}

void Server::release() {
  // The loop threads are gone: this thread owns the loops now. Completions posted by worker jobs
  // that finished during shutdown run first, while their sessions still exist (a completion for
  // a transaction that is gone is a no-op by design), then the sessions go, then anything their
  // destruction posted.
  for (auto& l : loops_) {
    if (!l.ctx)
      continue;
    l.loop->runPosted();
    l.ctx.reset();
    l.loop->runPosted();
  }
}

} // namespace exaproxy::proxy
