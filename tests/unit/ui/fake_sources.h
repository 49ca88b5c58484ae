// A UiSources filled with fixed, known values (and switches to make sources absent or throw), for
// the UI's unit tests. Not thread-safe beyond what the tests need: counters are plain fields the
// test sets before calling.
#pragma once

#include "ui/ui_sources.h"

#include <atomic>
#include <stdexcept>

namespace exaproxy::ui::test {

struct FakeProxy {
  CounterValues counters;
  HistogramValues firstByte;
  HistogramValues total;
  std::vector<ConnectionInfo> connections;
  DnsInfo dns;
  std::shared_ptr<HostConfig> config = std::make_shared<HostConfig>();
  std::vector<LogRecord> log;
  std::vector<PluginInfo> plugins;
  WorkerPoolInfo workers;
  std::atomic<int> reloads{0};
  bool throwOnConnections = false;

  FakeProxy() {
    counters.requests = 42;
    counters.responses_2xx = 40;
    counters.responses_5xx = 2;
    counters.connections_active = 3;
    counters.connections_accepted = 10;
    counters.bytes_from_clients = 1000;
    counters.bytes_to_clients = 50000;
    firstByte.buckets[0] = 5;                              // <= 1 ms
    firstByte.buckets[3] = 5;                              // <= 10 ms
    firstByte.buckets[LatencyHistogram::kBuckets - 1] = 1; // +Inf
    firstByte.count = 11;
    firstByte.sumMs = 60000;
    connections = {
        {"127.0.0.1:5000", "", "Idle", "", "", "", 10, 20, 3.5},
        {"127.0.0.1:5001", "alice", "Relaying", "GET", "http://example.test/big", "192.0.2.1:80",
         100, 200000, 12.0},
        {"[::1]:5002", "", "ReadingHead", "", "", "", 0, 0, 0.5},
    };
    dns.queries = 8;
    dns.cacheHits = 6;
    dns.cacheMisses = 2;
    dns.cacheSize = 2;
    dns.entries = {{"b.example.test", "ok", {"192.0.2.2"}, 100},
                   {"a.example.test", "nxdomain", {}, 20}};
    config->entries = {
        {"/etc/exaproxy/00-exaproxy.conf", 3, "server", "loops", "auto"},
        {"/etc/exaproxy/00-exaproxy.conf", 9, "listener main", "address", "127.0.0.1:3128"},
        {"--set", 1, "server", "loops", "2"}};
    log = {{1000, "warning", "proxy", "something odd"},
           {2000, "info", "main", "reload.done"},
           {3000, "error", "dns", "server unreachable"}};
    plugins = {{"10-xff",
                "/lib/10-xff.so",
                "1.2.0",
                "Exa",
                "1.0",
                "XFF",
                "loaded",
                "",
                {{"calls", 7}, {"denies", 2}},
                R"({"trusted":2})",
                "xff",
                {{"forwarded", "requests with a trusted X-Forwarded-For", false, 5},
                 {"trusted_hops", "trusted proxies configured", true, 2}},
                "upgraded 1.1.0 -> 1.2.0",
                true},
               {"20-bad",
                "/lib/20-bad.so",
                "",
                "",
                "2.0",
                "",
                "refused",
                "ABI major 2 != 1",
                {},
                "not json",
                "",
                {},
                "refused",
                false}};
    workers = {4, 2, 16, 1, 0, 100, 99, 2, 0, 0.1, 0.5, 2.0, 99, 49.5};
  }

  // Sources for the fake; withOptional=false leaves plugins and workers absent.
  UiSources sources(bool withOptional = true) {
    UiSources s;
    s.counters = [this] { return counters; };
    s.firstByteLatency = [this] { return firstByte; };
    s.totalLatency = [this] { return total; };
    s.connections = [this] {
      if (throwOnConnections)
        throw std::runtime_error("loop snapshot failed");
      return connections;
    };
    s.dns = [this] { return dns; };
    s.config = [this] { return std::shared_ptr<const HostConfig>(config); };
    s.log = [this] { return log; };
    s.loops = [] { return 2u; };
    s.draining = [] { return false; };
    s.reload = [this] { ++reloads; };
    if (withOptional) {
      s.plugins = [this] { return plugins; };
      s.workers = [this] { return std::optional<WorkerPoolInfo>(workers); };
    }
    return s;
  }
};

} // namespace exaproxy::ui::test
