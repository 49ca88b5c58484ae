// ABI glue of the headers plugin: settings in, HeaderAccess over the host's header functions,
// counters out. The logic is in headers_core (tested without a host). Creating it starts nothing,
// so check mode (`exaproxy --check`) needs no special case.
#include "headers_core.h"

#include <exaproxy/plugin.hpp>

#include <atomic>
#include <memory>

namespace sdk = exaproxy::sdk;

namespace exaproxy::headers {
namespace {

// The message's fields through the host API (loop thread, during the hook).
class HostFields : public HeaderAccess {
public:
  explicit HostFields(sdk::Headers h) : h_(h) {}
  std::vector<std::string> values(std::string_view name) const override {
    std::vector<std::string> out;
    for (size_t i = 0;; ++i) {
      auto v = h_.get(name, i);
      if (!v)
        return out;
      out.emplace_back(*v);
    }
  }
  bool set(std::string_view name, std::string_view value) override { return h_.set(name, value); }
  bool add(std::string_view name, std::string_view value) override { return h_.add(name, value); }
  int remove(std::string_view name) override {
    int n = h_.remove(name);
    return n > 0 ? n : 0;
  }

private:
  mutable sdk::Headers h_;
};

HeadersConfigPtr readConfig(const sdk::Host& host) {
  try {
    return parseHeadersConfig(host.settings());
  } catch (const ConfigFailure& f) {
    throw sdk::ConfigError(f.index(), f.message()); // the host prefixes file:line itself
  }
}

class HeadersPlugin : public sdk::Plugin {
public:
  explicit HeadersPlugin(sdk::Host& host) : Plugin(host), config_(readConfig(host)) {
    declareTraits(*config_.load());
    requestsEdited_ = host.counter("requests_edited", "requests whose headers a rule changed");
    responsesEdited_ = host.counter("responses_edited", "responses whose headers a rule changed");
    malformed_ = host.counter("malformed_cookies",
                              "Cookie/Set-Cookie fields passed through untouched: unparsable");
    refused_ = host.counter("refused_edits", "header edits the proxy refused");
  }

  // Loop thread.
  sdk::Verdict onRequest(sdk::Txn& tx) override {
    if (tx.isConnect())
      return sdk::Verdict::next(); // a tunnel has no HTTP headers of its own to edit
    return edit(tx, Direction::Request, tx.requestHeaders(), requestsEdited_);
  }
  sdk::Verdict onResponse(sdk::Txn& tx) override {
    return edit(tx, Direction::Response, tx.responseHeaders(), responsesEdited_);
  }

  bool canReconfigure() const override { return true; }
  // Main thread, while hooks run: the new rules replace the old ones in one atomic store.
  void reconfigure() override {
    HeadersConfigPtr next = readConfig(host());
    declareTraits(*next);
    config_.store(std::move(next));
  }

  std::string status() const override {
    auto cfg = config_.load();
    auto n = [](const std::atomic<uint64_t>& a) { return std::to_string(a.load()); };
    return "{\"rules\":" + std::to_string(cfg->rules.size()) +
           ",\"requests_edited\":" + n(stats_.requests) +
           ",\"responses_edited\":" + n(stats_.responses) +
           ",\"malformed_cookies\":" + n(stats_.malformed) +
           ",\"refused_edits\":" + n(stats_.refused) + "}";
  }

private:
  // Request rules edit the request, so this plugin must run before any that routes it (ROUTE
  // ends the chain); response rules alone do not care where it sits.
  void declareTraits(const HeadersConfig& cfg) const {
    host().declareTraits(editsRequests(cfg) ? uint32_t{EXAPROXY_TRAIT_EDITS_REQUEST} : 0u);
  }

  sdk::Verdict edit(sdk::Txn& tx, Direction dir, sdk::Headers headers, int32_t editedId) {
    HeadersConfigPtr cfg = config_.load();
    HostFields fields(headers);
    ApplyResult r = applyRules(*cfg, dir, tx.host(), fields);
    if (r.malformedCookies > 0) {
      host().add(malformed_, r.malformedCookies);
      stats_.malformed += static_cast<uint64_t>(r.malformedCookies);
    }
    if (r.refused > 0) {
      host().add(refused_, r.refused);
      stats_.refused += static_cast<uint64_t>(r.refused);
    }
    if (!r.changed)
      return sdk::Verdict::next();
    host().add(editedId);
    (dir == Direction::Request ? stats_.requests : stats_.responses) += 1;
    return sdk::Verdict::rewrite();
  }

  std::atomic<HeadersConfigPtr> config_;
  struct {
    std::atomic<uint64_t> requests{0}, responses{0}, malformed{0}, refused{0};
  } stats_;
  int32_t requestsEdited_ = -1, responsesEdited_ = -1, malformed_ = -1, refused_ = -1;
};

} // namespace
} // namespace exaproxy::headers

EXAPROXY_PLUGIN_EX(exaproxy::headers::HeadersPlugin, "headers", "1.0.0", "ExaProxy",
                   "sets, adds and removes headers and edits cookies by host and direction", true)
