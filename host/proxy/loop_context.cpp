#include "proxy/loop_context.h"

#include "core/logging.h"
#include "net/fd_budget.h"
#include "proxy/client_session.h"
#include "proxy/icap_server.h"

#include <cstring>

namespace exaproxy::proxy {

namespace {
std::shared_ptr<const http::ErrorPages> loadErrorPages(const HostConfig& c) {
  auto pages = std::make_shared<http::ErrorPages>();
  if (!c.templates.empty()) {
    if (auto st = pages->load(c.templates); !st)
      logger("proxy")->warn("templates.failed dir={} error=\"{}\" (using built-in pages)",
                            c.templates.string(), st.error().message);
  }
  return pages;
}
} // namespace

dns::ResolverConfig resolverConfig(const HostConfig& c) {
  dns::ResolverConfig r;
  r.servers = c.dnsServers;
  r.useHostsFile = c.dnsHostsFile;
  r.preferIpv6 = c.preferIpv6;
  r.timeout = c.dnsTimeout;
  r.tries = c.dnsTries;
  r.minTtl = c.dnsMinTtl;
  r.maxTtl = c.dnsMaxTtl;
  r.negativeTtl = c.dnsNegativeTtl;
  r.maxEntries = c.dnsCacheSize;
  return r;
}

LoopContext::LoopContext(net::EventLoop& loop, std::shared_ptr<const HostConfig> config,
                         std::shared_ptr<const LocalHost> localHost, ProxyShared& shared)
    : loop_(loop), config_(std::move(config)),
      localHost_(localHost ? std::move(localHost) : std::make_shared<const LocalHost>()),
      shared_(shared), resolver_(loop, resolverConfig(*config_)), pool_(loop, counters_),
      errorPages_(loadErrorPages(*config_)), resumeTimer_(loop) {
  pool_.setLimits(config_->poolPerDestination, config_->upstreamIdle);
  resumeTimer_.setCallback([this] { resumeListeners(); });
}

LoopContext::~LoopContext() {
  // Sessions first: they hold resolver handles and pool references.
  tearingDown_ = true;
  icap_.reset();
  sessions_.clear();
}

void LoopContext::addIcapServer(net::Fd socket, const Endpoint& bound) {
  icap_ = std::make_unique<IcapServer>(*this, std::move(socket), bound);
}

void LoopContext::addListener(net::Fd socket, const Endpoint& bound, const ListenerConfig& config) {
  listenerConfigs_.push_back(std::make_unique<ListenerConfig>(config));
  const ListenerConfig* lc = listenerConfigs_.back().get();
  listeners_.push_back(std::make_unique<net::Listener>(
      loop_, std::move(socket), bound,
      [this, lc, bound](net::Fd fd, const Endpoint& peer) {
        onAccept(std::move(fd), peer, *lc, bound);
      },
      [this] { return admitMore(); }, [this](int err) { onDescriptorsExhausted(err); }));
}

bool LoopContext::admitMore() {
  if (shared_.connections.load(std::memory_order_relaxed) < config_->maxConnections)
    return true;
  pauseListeners();
  return false;
}

void LoopContext::onAccept(net::Fd fd, const Endpoint& peer, const ListenerConfig& listener,
                           const Endpoint& bound) {
  size_t open = shared_.connections.fetch_add(1, std::memory_order_relaxed) + 1;
  if (open > config_->maxConnections) {
    // Another loop took the last slot between our gate and this accept: never over the limit.
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
    bump(counters_.connections_refused);
    pauseListeners();
    return; // the descriptor closes
  }
  auto session = std::make_unique<ClientSession>(*this, std::move(fd), peer, listener, bound);
  ClientSession* raw = session.get();
  sessions_.emplace(raw, std::move(session));
  raw->start();
  if (open >= config_->maxConnections)
    pauseListeners(); // at the limit: the kernel backlog holds newcomers until a slot frees
}

void LoopContext::pauseListeners() {
  for (auto& l : listeners_)
    l->pause();
  if (!acceptPaused_) {
    acceptPaused_ = true;
    pausedAt_ = loop_.now();
    bump(counters_.accept_paused);
    logger("net")->warn("accept.paused connections={} limit={}",
                        shared_.connections.load(std::memory_order_relaxed),
                        config_->maxConnections);
  }
  // Other loops free slots too, and they cannot wake us: look again shortly.
  resumeTimer_.arm(std::chrono::milliseconds(50));
}

void LoopContext::resumeListeners() {
  if (draining_)
    return;
  size_t open = shared_.connections.load(std::memory_order_relaxed);
  if (open >= config_->maxConnections) {
    resumeTimer_.arm(std::chrono::milliseconds(50));
    return;
  }
  for (auto& l : listeners_)
    if (l->paused())
      l->resume();
  if (acceptPaused_) {
    acceptPaused_ = false;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(loop_.now() - pausedAt_);
    logger("net")->info("accept.resumed connections={} limit={} paused_ms={}", open,
                        config_->maxConnections, ms.count());
  }
}

// Out of descriptors: counted every time, logged at most every 10 s with the count since the last
// line (an attack must not turn into a log flood).
void LoopContext::onDescriptorsExhausted(int err) {
  bump(counters_.descriptors_exhausted);
  ++exhaustedUnlogged_;
  auto now = loop_.now();
  if (exhaustedLog_ != net::Clock::time_point{} && now - exhaustedLog_ < std::chrono::seconds(10))
    return;
  logger("net")->error("accept.descriptors_exhausted reason=\"{}\" connections={} ceiling={} "
                       "events={} (accepting again in 100 ms; logged at most every 10 s)",
                       std::strerror(err), shared_.connections.load(std::memory_order_relaxed),
                       net::descriptorCeiling(), exhaustedUnlogged_);
  exhaustedLog_ = now;
  exhaustedUnlogged_ = 0;
}

void LoopContext::release(ClientSession* session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end())
    return;
  loop_.deferDestroy(std::move(it->second));
  sessions_.erase(it);
  if (draining_ && sessions_.empty() && drained_) {
    auto done = std::move(drained_);
    drained_ = nullptr;
    loop_.post(std::move(done)); // after the session is really gone
  }
}

void LoopContext::applyConfig(std::shared_ptr<const HostConfig> config) {
  bool dnsChanged =
      resolverConfig(*config).servers != resolverConfig(*config_).servers ||
      config->dnsHostsFile != config_->dnsHostsFile || config->preferIpv6 != config_->preferIpv6 ||
      config->dnsTimeout != config_->dnsTimeout || config->dnsTries != config_->dnsTries ||
      config->dnsMinTtl != config_->dnsMinTtl || config->dnsMaxTtl != config_->dnsMaxTtl ||
      config->dnsNegativeTtl != config_->dnsNegativeTtl;
  if (dnsChanged)
    resolver_.reconfigure(resolverConfig(*config));
  // Every reload re-reads the templates, as plugins re-read their files: an operator who edits
  // or adds a page in the same directory and sends SIGHUP sees it.
  errorPages_ = loadErrorPages(*config);
  pool_.setLimits(config->poolPerDestination, config->upstreamIdle);
  config_ = std::move(config);
  resumeListeners();
}

void LoopContext::startDrain(std::function<void()> done) {
  draining_ = true;
  resumeTimer_.cancel();
  for (auto& l : listeners_)
    l->close();
  if (icap_)
    icap_->close();
  pool_.clear();
  drained_ = std::move(done);
  // drain() may end sessions (idle ones): iterate over a copy of the keys.
  std::vector<ClientSession*> all;
  all.reserve(sessions_.size());
  for (auto& [raw, owned] : sessions_)
    all.push_back(raw);
  for (auto* s : all)
    if (sessions_.count(s))
      s->drain();
  if (sessions_.empty() && drained_) {
    auto cb = std::move(drained_);
    drained_ = nullptr;
    loop_.post(std::move(cb));
  }
}

std::vector<SessionInfo> LoopContext::sessions() const {
  std::vector<SessionInfo> out;
  out.reserve(sessions_.size());
  for (const auto& [raw, owned] : sessions_)
    out.push_back(raw->info());
  return out;
}

} // namespace exaproxy::proxy
