// Server: the proxy's process-level lifecycle — bind the listeners (one SO_REUSEPORT socket per
// loop), start the loops on their threads, reload, drain and stop. main.cpp only wires this to
// the command line and to signals.
#pragma once

#include "core/config.h"
#include "core/result.h"
#include "proxy/loop_context.h"
#include "proxy/proxy_shared.h"

#include <memory>
#include <thread>
#include <vector>

namespace exaproxy::proxy {

class Server {
public:
  explicit Server(std::shared_ptr<const HostConfig> config);
  ~Server();

  // Binds every listener for every loop. Run before dropping privileges.
  Status bind();
  // Starts the loops; returns once every loop is running. Returns the bound addresses.
  std::vector<Endpoint> start();
  // SIGHUP: applies a validated configuration to every loop (live settings only) and returns
  // what needs a restart to change.
  std::vector<std::string> reload(std::shared_ptr<const HostConfig> config);
  // SIGTERM: stops accepting and waits up to the drain time for in-flight transactions.
  // Returns true if everything finished in time.
  bool drain();
  // Stops the loops now and joins their threads.
  void stop();

  const std::vector<Endpoint>& endpoints() const { return shared_.listenEndpoints; }

private:
  struct Loop {
    std::unique_ptr<net::EventLoop> loop;
    std::unique_ptr<LoopContext> ctx;
    std::thread thread;
  };

  std::shared_ptr<const HostConfig> config_;
  ProxyShared shared_;
  unsigned loopCount_ = 1;
  std::vector<std::vector<net::Fd>> sockets_; // [loop][listener]
  std::vector<Loop> loops_;
};

} // namespace exaproxy::proxy
