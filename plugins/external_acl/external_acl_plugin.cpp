// ABI glue of the external_acl plugin: Squid's external_acl_type helpers (ext_ldap_group_acl,
// ext_file_userip_acl, ext_unix_group_acl, your scripts), unchanged, through the helper machinery
// the redirector and auth use (plugins/common/helper_pool.h).
//
// Each request's fields are expanded by `format` into a helper line; the answer (OK or ERR, with
// Squid's user= tag= group= message= log=) is remembered per line for ttl / negative_ttl. The
// result is left as the note "external.<name>" = OK | ERR, which acl's `external` rules match
// ("deny social sites unless the directory says staff"); tag= and group= become the notes "tag"
// and "group", log= the note "log" written in the access log, user= the request's user when no
// plugin before set one. With on_err = deny an ERR is answered 403 here (message= on the page).
// With `grace`, a result in the last grace % of its life is used and asked again meanwhile (the
// answer refreshes the cache; a failed refresh leaves the result until it expires).
// BH, a crash, a timeout or a full queue is an ERROR verdict: the plugin's [plugin] on_error
// policy decides (deny by default: 503).
#include "external_acl_config.h"

#include "helper_log.h"
#include "helper_pool.h"
#include "host_helper_loop.h"
#include "squid_line_codec.h"
#include "squid_reply.h"
#include "ttl_cache.h"

#include <exaproxy/plugin.hpp>

#include <memory>
#include <optional>
#include <string>

namespace sdk = exaproxy::sdk;

namespace exaproxy::external_acl {

namespace {

// A helper's answer as it is remembered.
struct Result {
  bool ok = false;
  std::string user, tag, group, message, log;
};

std::string listenerPart(std::string_view listener, bool port) {
  size_t colon = listener.rfind(':');
  if (colon == std::string_view::npos)
    return port ? "" : std::string(listener);
  if (port)
    return std::string(listener.substr(colon + 1));
  std::string_view ip = listener.substr(0, colon);
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']')
    ip = ip.substr(1, ip.size() - 2);
  return std::string(ip);
}

} // namespace

class ExternalAcl final : public sdk::Plugin {
public:
  explicit ExternalAcl(sdk::Host& host)
      : Plugin(host), config_(parseConfig(host.settings())), note_(resultNote(config_)),
        cache_(config_.cacheSize) {
    checkOnDisk(config_);
    ok_ = host.counter("ok", "requests the helper (or the cache) answered OK");
    err_ = host.counter("err", "requests the helper (or the cache) answered ERR");
    hits_ = host.counter("cache_hits", "requests answered from remembered results");
    errors_ = host.counter("helper_errors", "helper failures (BH, crash, timeout, full queue)");
    if (host.checkMode())
      return;
    loop_ = std::make_unique<common::HostHelperLoop>(host.api(), host.raw());
    pool_ = std::make_unique<common::HelperPool>(
        poolSettings(config_), codec_,
        [this](common::LogLevel level, const std::string& msg) {
          this->host().log(common::sdkLevel(level), msg);
        },
        common::PoolMetricSink{}, loop_.get());
  }

  ~ExternalAcl() override { pool_.reset(); }

  sdk::Verdict onRequest(sdk::Txn& tx) override {
    if (!pool_)
      return sdk::Verdict::deny("the external ACL has no helpers (check mode)", 503);
    RequestFields f;
    f.client = tx.clientAddress();
    f.clientPort = tx.clientPort();
    f.login = tx.user();
    f.host = tx.host();
    f.port = tx.port();
    f.path = tx.path();
    f.method = tx.method();
    f.url = tx.url();
    std::string listener(tx.listenerAddress());
    std::string myAddr = listenerPart(listener, false), myPort = listenerPart(listener, true);
    f.myAddr = myAddr;
    f.myPort = myPort;
    auto headers = tx.requestHeaders();
    f.header = [&headers](std::string_view name) { return headers.get(name); };
    std::string line = config_.format.expand(f, config_.data);
    bool hasUser = !tx.user().empty();
    if (auto known = cache_.findWithGrace(line, config_.grace)) {
      host().add(hits_);
      if (known->refresh)
        pool_->submit(common::HelperRequest{line + "\n", config_.name},
                      [this, line](common::HelperReply r) { readAnswer(line, r); });
      return verdictFor(known->value, hasUser);
    }
    sdk::Pending pending = tx.pending();
    pool_->submit(common::HelperRequest{line + "\n", config_.name},
                  [this, pending, line, hasUser](common::HelperReply r) {
                    pending.complete(onAnswer(line, hasUser, r));
                  });
    return sdk::Verdict::pending();
  }

private:
  // The helpers' thread.
  sdk::Verdict onAnswer(const std::string& line, bool hasUser, const common::HelperReply& r) {
    std::string why;
    std::optional<Result> result = readAnswer(line, r, &why);
    if (!result)
      return sdk::Verdict::error(why);
    return verdictFor(*result, hasUser);
  }

  // An answer, remembered for its ttl; nothing (and why) when the helper failed.
  std::optional<Result> readAnswer(const std::string& line, const common::HelperReply& r,
                                   std::string* why = nullptr) {
    using Status = common::HelperReply::Status;
    if (r.status != Status::Answered) {
      host().add(errors_);
      if (why)
        *why = "external ACL '" + config_.name +
               "' did not answer: " + (r.reason.empty() ? "no reason" : r.reason);
      return std::nullopt;
    }
    auto reply = common::parseSquidReply(r.answer);
    if (reply.result != common::SquidReply::Result::Ok &&
        reply.result != common::SquidReply::Result::Err) {
      host().add(errors_);
      if (why)
        *why = reply.result == common::SquidReply::Result::BrokenHelper
                   ? "external ACL '" + config_.name + "': " + common::brokenReason(reply)
                   : "external ACL '" + config_.name +
                         "' answered neither OK nor ERR: " + r.answer.substr(0, 80);
      return std::nullopt;
    }
    Result result;
    result.ok = reply.result == common::SquidReply::Result::Ok;
    auto take = [&reply](const char* key, std::string& out) {
      if (const std::string* v = reply.note(key))
        out = *v;
    };
    take("user", result.user);
    take("tag", result.tag);
    take("group", result.group);
    take("message", result.message);
    take("log", result.log);
    cache_.remember(line, result, result.ok ? config_.ttl : config_.negativeTtl);
    return result;
  }

  sdk::Verdict verdictFor(const Result& r, bool hasUser) const {
    host().add(r.ok ? ok_ : err_);
    sdk::Verdict v =
        !r.ok && config_.denyOnErr
            ? sdk::Verdict::deny(r.message.empty() ? "denied by external ACL " + config_.name
                                                   : r.message)
            : sdk::Verdict::next();
    v.note(note_, r.ok ? "OK" : "ERR");
    if (!r.tag.empty())
      v.note("tag", r.tag);
    if (!r.group.empty())
      v.note("group", r.group);
    if (!r.log.empty())
      v.note("log", r.log, true);
    if (!r.user.empty() && !hasUser)
      v.user(r.user);
    return v;
  }

  const Config config_;
  const std::string note_;
  const common::SquidLineCodec codec_;
  common::TtlCache<std::string, Result> cache_;
  int32_t ok_ = -1, err_ = -1, hits_ = -1, errors_ = -1;
  std::unique_ptr<common::HostHelperLoop> loop_; // outlives the pool
  std::unique_ptr<common::HelperPool> pool_;
};

} // namespace exaproxy::external_acl

EXAPROXY_PLUGIN(exaproxy::external_acl::ExternalAcl, "external_acl", "0.1.0", "ExaProxy",
                "Squid's external_acl_type helpers (ext_ldap_group_acl, ...): results as notes")
