#include "redirector_pool.h"

#include <exaproxy/text.hpp>

namespace exaproxy::redirector {

namespace {

// A RequestInfo for the canary URL ("http://..." or "host:port").
RequestInfo canaryRequest(const Config& c) {
  RequestInfo r;
  if (c.canary.empty())
    return r;
  r.url = c.canary;
  r.client = c.canaryClient;
  r.listenerIp = "127.0.0.1";
  size_t scheme = c.canary.find("://");
  if (scheme == std::string::npos) {
    r.method = "CONNECT";
    r.isConnect = true;
    splitAuthority(c.canary, r.host, r.port);
    return r;
  }
  r.method = "GET";
  std::string rest = c.canary.substr(scheme + 3);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  r.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!splitAuthority(authority, r.host, r.port)) {
    r.host = authority;
    r.port = 80;
  }
  r.headers.emplace_back("Host", authority);
  return r;
}

Metric metricFor(Decision::Kind k) {
  switch (k) {
  case Decision::Kind::Rewrite:
    return Metric::rewritten;
  case Decision::Kind::Route:
    return Metric::routed;
  case Decision::Kind::Redirect:
    return Metric::redirected;
  case Decision::Kind::Respond:
    return Metric::responded;
  case Decision::Kind::Deny:
    return Metric::denied;
  default:
    return Metric::allowed;
  }
}

// A helper "rewrote" the canary when it did anything but let it through or fail.
bool rewritten(const Decision& d) {
  return d.kind != Decision::Kind::Continue && d.kind != Decision::Kind::Broken &&
         d.kind != Decision::Kind::Error;
}

} // namespace

RedirectorPool::RedirectorPool(Config config, Log log, Metrics& metrics, common::HelperLoop* loop)
    : config_(std::move(config)), protocol_(makeProtocol(config_)), canary_(canaryRequest(config_)),
      log_(std::move(log)), metrics_(metrics) {
  auto sink = [this](common::PoolMetric m, int64_t value) {
    Metric mine = fromPool(m);
    if (kMetrics[static_cast<size_t>(mine)].gauge)
      metrics_.set(mine, value);
    else
      metrics_.add(mine, value);
  };
  pool_ = std::make_unique<common::HelperPool>(settings(), *protocol_, log_, sink, loop);
}

common::HelperPoolSettings RedirectorPool::settings() const {
  common::HelperPoolSettings s;
  s.name = "redirector";
  s.program = config_.program;
  s.children = config_.children;
  s.startup = config_.startup;
  s.idle = config_.idle;
  s.concurrency = config_.concurrency;
  s.queueSize = config_.queueSize;
  s.timeout = config_.timeout;
  s.bypass = config_.bypass;
  if (config_.canary.empty())
    return s;
  common::HelperCanary canary;
  canary.request = protocol_->encode(canary_, std::nullopt);
  canary.holds = [this](const std::string& answer) {
    return rewritten(protocol_->decide(RawReply{std::nullopt, answer}, canary_));
  };
  canary.name = config_.canary;
  canary.failed = "was not rewritten";
  canary.resumed = "is rewritten again";
  canary.meaning = "the helper lets everything through (squidGuard emergency mode after a "
                   "configuration error?); requests get the on_error policy until it is fixed";
  canary.interval = config_.canaryInterval;
  s.canary = std::move(canary);
  return s;
}

void RedirectorPool::submit(RequestInfo request, Done done) {
  common::HelperRequest encoded{protocol_->encode(request, std::nullopt), request.url};
  pool_->submit(std::move(encoded), [this, info = std::move(request),
                                     done = std::move(done)](common::HelperReply reply) {
    Decision d = decide(info, std::move(reply));
    if (done)
      done(std::move(d));
  });
}

// Manager thread: what the pool's reply means for the request (the pool counted it already).
Decision RedirectorPool::decide(const RequestInfo& info, common::HelperReply reply) {
  using Status = common::HelperReply::Status;
  switch (reply.status) {
  case Status::Answered: {
    Decision d = protocol_->decide(RawReply{std::nullopt, std::move(reply.answer)}, info);
    if (!d.warning.empty())
      logHelper(LogLevel::Warn, reply.pid, d.warning + " (for " + info.url + ")");
    if (d.kind == Decision::Kind::Error || d.kind == Decision::Kind::Broken) {
      // Broken does not come here (the pool retries BH answers itself).
      logHelper(LogLevel::Warn, reply.pid, d.reason);
      metrics_.add(Metric::errors);
      return applyPolicy(info, d.reason, false);
    }
    metrics_.add(metricFor(d.kind));
    return d;
  }
  case Status::TooLong: {
    Decision d = Decision::make(Decision::Kind::Deny);
    d.status = 414;
    d.reason = "request too long for the redirector's helper";
    metrics_.add(metricFor(d.kind));
    return d;
  }
  case Status::Bypassed:
    metrics_.add(metricFor(Decision::Kind::Continue));
    return Decision::pass();
  case Status::Failed:
    return applyPolicy(info, reply.reason, false);
  case Status::TimedOut:
    return applyPolicy(info, reply.reason, true);
  }
  return applyPolicy(info, "unknown helper reply", false);
}

Decision RedirectorPool::applyPolicy(const RequestInfo& info, const std::string& why,
                                     bool timeout) {
  bool allow = timeout ? config_.allowOnTimeout : config_.allowOnError;
  log_(LogLevel::Warn, std::string(timeout ? "timeout" : "error") + " for " + info.url + ": " +
                           why + " -> " + (allow ? "allow" : "deny"));
  Decision d;
  if (!allow) {
    d = Decision::make(Decision::Kind::Deny);
    d.status = 503;
    d.reason = "redirector: " + why;
  }
  d.timedOut = timeout;
  return d;
}

std::string RedirectorPool::statusJson() const {
  auto g = [this](Metric m) { return std::to_string(metrics_.get(m)); };
  int64_t replies = metrics_.get(Metric::replies);
  int64_t avgUs = replies ? metrics_.get(Metric::latency_us) / replies : 0;
  std::string s = "{\"protocol\":\"" + std::string(toString(config_.protocol)) + "\"";
  s += ",\"program\":" + sdk::jsonString(config_.program.empty() ? "" : config_.program[0]);
  s += ",\"children\":{\"running\":" + g(Metric::children) + ",\"busy\":" + g(Metric::busy) +
       ",\"idle\":" + g(Metric::idle) + ",\"max\":" + std::to_string(config_.children) +
       ",\"concurrency\":" + std::to_string(config_.concurrency) + "}";
  s += ",\"queue\":" + g(Metric::queue) + ",\"in_flight\":" + g(Metric::in_flight);
  s += ",\"latency_avg_ms\":" + std::to_string(static_cast<double>(avgUs) / 1000.0);
  s += ",\"canary\":\"" + pool_->canaryState() + "\"";
  s += ",\"counters\":{";
  bool first = true;
  for (size_t i = 0; i < kMetrics.size(); ++i) {
    if (kMetrics[i].gauge)
      continue;
    if (!first)
      s += ',';
    first = false;
    s += "\"" + std::string(kMetrics[i].name) + "\":" + g(static_cast<Metric>(i));
  }
  s += "}}";
  return s;
}

void RedirectorPool::logHelper(LogLevel level, pid_t pid, const std::string& what) {
  std::string program = config_.program.empty() ? std::string("(none)") : config_.program[0];
  log_(level, "helper " + program + " pid=" + std::to_string(pid) + ": " + what);
}

} // namespace exaproxy::redirector
