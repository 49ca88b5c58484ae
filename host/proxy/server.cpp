#include "proxy/server.h"

#include "core/logging.h"

#include <ifaddrs.h>

#include <condition_variable>
#include <mutex>

namespace exaproxy::proxy {

namespace {
std::vector<IpAddress> interfaceAddresses() {
  std::vector<IpAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == -1)
    return out;
  for (ifaddrs* i = list; i; i = i->ifa_next)
    if (i->ifa_addr)
      if (auto ep = Endpoint::fromSockaddr(i->ifa_addr))
        out.push_back(ep->address);
  ::freeifaddrs(list);
  return out;
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

Server::~Server() { stop(); }

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
  shared_.localAddresses = interfaceAddresses();
  return Ok{};
}

std::vector<Endpoint> Server::start() {
  Latch up(loopCount_);
  for (unsigned i = 0; i < loopCount_; ++i) {
    Loop l;
    l.loop = std::make_unique<net::EventLoop>();
    l.ctx = std::make_unique<LoopContext>(*l.loop, config_, shared_);
    for (size_t j = 0; j < sockets_[i].size(); ++j)
      l.ctx->addListener(std::move(sockets_[i][j]), shared_.listenEndpoints[j],
                         config_->listeners[j]);
    l.loop->post([&up] { up.countDown(); });
    net::EventLoop* loop = l.loop.get();
    l.thread = std::thread([loop, i] {
      pthread_setname_np(pthread_self(), ("exaproxy-loop" + std::to_string(i)).c_str());
      loop->run();
    });
    loops_.push_back(std::move(l));
  }
  sockets_.clear();
  up.waitFor(std::chrono::seconds(30));
  return shared_.listenEndpoints;
}

std::vector<std::string> Server::reload(std::shared_ptr<const HostConfig> config) {
  std::vector<std::string> restart;
  auto sameListeners = [&] {
    if (config->listeners.size() != config_->listeners.size())
      return false;
    for (size_t i = 0; i < config->listeners.size(); ++i) {
      const auto& a = config->listeners[i];
      const auto& b = config_->listeners[i];
      if (a.name != b.name || a.address != b.address || a.routeByHost != b.routeByHost)
        return false;
    }
    return true;
  };
  if (!sameListeners())
    restart.push_back("listeners");
  if (config->loops != config_->loops)
    restart.push_back("server.loops");
  if (config->user != config_->user)
    restart.push_back("server.user");
  config_ = config;
  Latch applied(loops_.size());
  for (auto& l : loops_) {
    LoopContext* ctx = l.ctx.get();
    l.loop->post([ctx, config, &applied] {
      ctx->applyConfig(config);
      applied.countDown();
    });
  }
  applied.waitFor(std::chrono::seconds(10));
  return restart;
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

void Server::stop() {
  for (auto& l : loops_)
    l.loop->stop();
  for (auto& l : loops_)
    if (l.thread.joinable())
      l.thread.join();
  // Contexts before loops: sessions unregister from their loop as they go.
  for (auto& l : loops_)
    l.ctx.reset();
  loops_.clear();
}

} // namespace exaproxy::proxy
