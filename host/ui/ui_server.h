// UiServer: the operator's web interface — a Poco HTTPServer with its own small thread pool,
// serving the JSON API (/api/v1/...), /metrics and the single-page app from www/. It reads the
// proxy only through UiSources, on its own threads: a stalled browser or a flood of requests
// occupies the UI's threads, never a loop's.
//
// Lifecycle (main thread): construct, start() once after the proxy's loops run, stop() (or the
// destructor) before the proxy stops, because the sources read the running loops.
#pragma once

#include "core/ip_address.h"
#include "core/result.h"
#include "ui/ui_sources.h"

#include <cstdint>
#include <filesystem>
#include <memory>

namespace exaproxy::ui {

struct UiOptions {
  Endpoint listen;           // port 0 = ephemeral (tests): see address()
  unsigned threads = 4;      // HTTP handler threads
  std::filesystem::path www; // resolved static directory (resolveWwwDir)
  int64_t startedUnixMs = 0; // process start, for uptime
  // The [metrics] listener: /metrics and /healthz (503 while draining) only, for the clients of
  // allowClients (403 for others); no API, no page, no reload, no history sampling.
  bool metricsOnly = false;
  CidrSet allowClients;
};

// The interface's options (metricsOnly off).
inline UiOptions uiOptions(Endpoint listen, unsigned threads, std::filesystem::path www,
                           int64_t startedUnixMs) {
  UiOptions o;
  o.listen = listen;
  o.threads = threads;
  o.www = std::move(www);
  o.startedUnixMs = startedUnixMs;
  return o;
}

class UiServer {
public:
  UiServer(UiOptions options, UiSources sources);
  ~UiServer();
  UiServer(const UiServer&) = delete;
  UiServer& operator=(const UiServer&) = delete;

  // Binds and starts serving; returns the bound address. An error (address in use, bad address)
  // leaves nothing running: the caller logs it and the proxy carries on without its interface.
  Result<Endpoint> start();
  // Stops accepting, aborts the connections in progress, joins the sampler. Idempotent.
  void stop();

  Endpoint address() const { return bound_; }

  struct Impl; // the Poco side, kept out of this header

private:
  std::unique_ptr<Impl> impl_;
  Endpoint bound_;
};

} // namespace exaproxy::ui
