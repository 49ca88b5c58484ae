// ABI glue of the auth plugin: proxy authentication with Squid's own Basic helpers
// (basic_ncsa_auth, basic_ldap_auth, basic_pam_auth, ...), run unchanged through the helper
// machinery the redirector uses (plugins/common/helper_pool.h).
//
// A request from a client or to a destination that is open passes untouched. Any other request
// without valid credentials is answered 407 with one Proxy-Authenticate per offered scheme, on a
// connection that stays open. Credentials a helper accepted are remembered for
// basic_credentials_ttl (credentials_cache.h: keyed by an HMAC, never the password); a miss asks
// a helper and answers PENDING. OK sets the user (the helper's user= when it names one) for the
// later plugins, the helpers and the access log, and its group= as the note "group"; ERR
// answers 407 again; BH, a crash, a timeout or a full queue is an ERROR verdict, which the
// plugin's [plugin] on_error policy decides (deny, the default: 503; the request never passes
// unauthenticated by accident).
//
// Check mode: the settings are parsed and the program checked on disk, no helper is started.
#include "auth_config.h"
#include "basic_credentials.h"
#include "credentials_cache.h"

#include "helper_log.h"
#include "helper_pool.h"
#include "host_helper_loop.h"
#include "squid_line_codec.h"
#include "squid_reply.h"

#include <exaproxy/plugin.hpp>

#include <memory>
#include <string>

namespace sdk = exaproxy::sdk;

namespace exaproxy::auth {

namespace {

std::string lowercase(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

} // namespace

class Auth final : public sdk::Plugin {
public:
  explicit Auth(sdk::Host& host) : Plugin(host), config_(parseConfig(host.settings())) {
    checkOnDisk(config_);
    challenges_ = host.counter("challenges", "requests answered 407 (no or refused credentials)");
    accepted_ = host.counter("accepted", "requests whose credentials a helper accepted");
    cacheHits_ = host.counter("cache_hits", "requests accepted from remembered credentials");
    rejected_ = host.counter("rejected", "credentials a helper refused (ERR)");
    errors_ = host.counter("helper_errors", "helper failures (BH, crash, timeout, full queue)");
    if (host.checkMode())
      return; // validation only: no helper process
    cache_ = std::make_unique<CredentialsCache>(config_.basic.credentialsTtl, config_.cacheSize);
    loop_ = std::make_unique<common::HostHelperLoop>(host.api(), host.raw());
    pool_ = std::make_unique<common::HelperPool>(
        config_.basic.pool, codec_,
        [this](common::LogLevel level, const std::string& msg) {
          this->host().log(common::sdkLevel(level), msg);
        },
        common::PoolMetricSink{}, loop_.get());
  }

  ~Auth() override { pool_.reset(); } // drains and stops the helpers first

  sdk::Verdict onRequest(sdk::Txn& tx) override {
    if (!pool_)
      return sdk::Verdict::deny("the auth plugin has no helpers (check mode)", 503);
    if (open(tx))
      return sdk::Verdict::next();
    auto header = tx.requestHeaders().get("Proxy-Authorization");
    if (!header)
      return challenge("");
    auto creds = parseBasic(*header);
    if (!creds)
      return challenge("");
    if (!config_.basic.caseSensitive)
      creds->user = lowercase(std::move(creds->user));
    auto key = cache_->keyOf(creds->user, creds->password);
    if (auto login = cache_->find(key)) {
      host().add(cacheHits_);
      tx.setUser(login->user);
      if (!login->group.empty())
        tx.setNote("group", login->group);
      return sdk::Verdict::next();
    }
    sdk::Pending pending = tx.pending();
    std::string user = creds->user;
    pool_->submit(common::HelperRequest{basicHelperLine(*creds), user},
                  [this, pending, key, user](common::HelperReply r) {
                    pending.complete(onAnswer(key, user, r));
                  });
    return sdk::Verdict::pending();
  }

private:
  bool open(sdk::Txn& tx) const {
    if (!config_.openClients->empty() && config_.openClients->contains(tx.clientAddress()))
      return true;
    return config_.openDestinations->size() > 0 && config_.openDestinations->contains(tx.host());
  }

  sdk::Verdict challenge(const std::string& message) const {
    host().add(challenges_);
    std::string body = "Proxy authentication required.\n";
    if (!message.empty())
      body += message + "\n";
    auto v = sdk::Verdict::respond(407, body, "text/plain; charset=utf-8");
    for (Scheme s : config_.schemes)
      if (s == Scheme::Basic)
        v.header("Proxy-Authenticate", "Basic realm=\"" + config_.basic.realm + "\"");
    return v;
  }

  // The helpers' thread (the host's loop 0, or the pool's own).
  sdk::Verdict onAnswer(const CredentialsCache::Digest& key, const std::string& user,
                        const common::HelperReply& r) {
    using Status = common::HelperReply::Status;
    if (r.status != Status::Answered) {
      host().add(errors_);
      return sdk::Verdict::error("the Basic helper did not answer for '" + user +
                                 "': " + (r.reason.empty() ? "no reason" : r.reason));
    }
    auto reply = common::parseSquidReply(r.answer);
    switch (reply.result) {
    case common::SquidReply::Result::Ok: {
      CredentialsCache::Login login;
      const std::string* named = reply.note("user");
      login.user = named && !named->empty() ? *named : user;
      if (const std::string* group = reply.note("group"))
        login.group = *group;
      cache_->remember(key, login);
      host().add(accepted_);
      auto v = sdk::Verdict::next().user(login.user);
      if (!login.group.empty())
        v.note("group", login.group);
      return v;
    }
    case common::SquidReply::Result::Err: {
      host().add(rejected_);
      const std::string* message = reply.note("message");
      return challenge(message ? *message : "");
    }
    default:
      host().add(errors_);
      return sdk::Verdict::error(reply.result == common::SquidReply::Result::BrokenHelper
                                     ? "the Basic " + common::brokenReason(reply)
                                     : "the Basic helper answered neither OK nor ERR: " +
                                           r.answer.substr(0, 80));
    }
  }

  const Config config_;
  const common::SquidLineCodec codec_;
  int32_t challenges_ = -1, accepted_ = -1, cacheHits_ = -1, rejected_ = -1, errors_ = -1;
  std::unique_ptr<CredentialsCache> cache_;
  std::unique_ptr<common::HostHelperLoop> loop_; // outlives the pool
  std::unique_ptr<common::HelperPool> pool_;
};

} // namespace exaproxy::auth

EXAPROXY_PLUGIN(
    exaproxy::auth::Auth, "auth", "0.1.0", "ExaProxy",
    "proxy authentication with Squid's Basic helpers (basic_ncsa_auth, basic_ldap_auth...)")
