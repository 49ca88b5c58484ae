// ABI glue of the auth plugin: proxy authentication with Squid's own helpers, run unchanged through
// the helper machinery the redirector uses (plugins/common/helper_pool.h): Basic
// (basic_ncsa_auth, basic_ldap_auth, basic_pam_auth, ...), Negotiate (negotiate_kerberos_auth)
// and NTLM (ntlm_auth --helper-protocol=squid-2.5-ntlmssp).
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
// Negotiate and NTLM authenticate a connection (handshake.h): its first token starts a handshake
// on a helper reserved for the connection (YR), a TT answer goes back in a 407 on the open
// connection, the client's next token continues on the same helper (KK), and once the helper says
// who it is, that connection's later requests carry that user without Proxy-Authorization. The
// reservation and the login end with the connection (on_connection_close, ABI 1.5).
//
// Check mode: the settings are parsed and the program checked on disk, no helper is started.
#include "auth_config.h"
#include "basic_credentials.h"
#include "credentials_cache.h"
#include "handshake.h"

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
    rejected_ = host.counter("rejected", "credentials a helper refused (ERR, NA)");
    handshakes_ = host.counter("handshakes", "Negotiate/NTLM handshake steps asked of a helper");
    errors_ = host.counter("helper_errors", "helper failures (BH, crash, timeout, full queue)");
    if (host.checkMode())
      return; // validation only: no helper process
    cache_ = std::make_unique<CredentialsCache>(config_.basic.credentialsTtl, config_.cacheSize);
    loop_ = std::make_unique<common::HostHelperLoop>(host.api(), host.raw());
    auto log = [this](common::LogLevel level, const std::string& msg) {
      this->host().log(common::sdkLevel(level), msg);
    };
    // The pools share the host's loop: each gets its own HostHelperLoop.
    if (config_.offers(Scheme::Basic))
      pool_ = std::make_unique<common::HelperPool>(config_.basic.pool, codec_, log,
                                                   common::PoolMetricSink{}, loop_.get());
    if (config_.offers(Scheme::Negotiate)) {
      negotiateLoop_ = std::make_unique<common::HostHelperLoop>(host.api(), host.raw());
      negotiate_ =
          std::make_unique<common::HelperPool>(config_.negotiate.pool, handshakeCodec_, log,
                                               common::PoolMetricSink{}, negotiateLoop_.get());
    }
    if (config_.offers(Scheme::Ntlm)) {
      ntlmLoop_ = std::make_unique<common::HostHelperLoop>(host.api(), host.raw());
      ntlm_ = std::make_unique<common::HelperPool>(config_.ntlm.pool, handshakeCodec_, log,
                                                   common::PoolMetricSink{}, ntlmLoop_.get());
    }
  }

  ~Auth() override { // drain and stop the helpers first
    pool_.reset();
    negotiate_.reset();
    ntlm_.reset();
  }

  sdk::Verdict onRequest(sdk::Txn& tx) override {
    if (!loop_)
      return sdk::Verdict::deny("the auth plugin has no helpers (check mode)", 503);
    if (open(tx))
      return sdk::Verdict::next();
    auto header = tx.requestHeaders().get("Proxy-Authorization");
    const uint64_t conn = tx.connectionId();
    if (!header) {
      // A connection Negotiate or NTLM authenticated: its requests carry no credentials.
      auto login = statefulOffered() ? logins_.login(conn) : std::nullopt;
      if (login && conn != 0) {
        tx.setUser(login->user);
        if (!login->group.empty())
          tx.setNote("group", login->group);
        return sdk::Verdict::next();
      }
      return challenge("");
    }
    for (Scheme s : {Scheme::Negotiate, Scheme::Ntlm})
      if (config_.offers(s) && usesScheme(*header, schemeName(s)))
        return handshake(tx, s, *header);
    auto creds = pool_ ? parseBasic(*header) : std::nullopt;
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

  void onConnectionClose(uint64_t connection) override {
    if (!statefulOffered())
      return; // Basic only: nothing is kept per connection
    logins_.forget(connection);
    if (negotiate_)
      negotiate_->release(connection);
    if (ntlm_)
      ntlm_->release(connection);
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
      v.header("Proxy-Authenticate", s == Scheme::Basic
                                         ? "Basic realm=\"" + config_.basic.realm + "\""
                                         : std::string(schemeName(s)));
    return v;
  }

  // A Negotiate or NTLM token: the first (YR) or next (KK) step of the connection's handshake.
  sdk::Verdict handshake(sdk::Txn& tx, Scheme scheme, std::string_view header) {
    const uint64_t conn = tx.connectionId();
    auto token = schemeToken(header, schemeName(scheme));
    if (!token || conn == 0) // no token, or a host without connection ids (ABI < 1.5)
      return challenge("");
    const bool continues = logins_.challenged(conn) == scheme;
    common::HelperRequest request{handshakeLine(*token, continues),
                                  std::string(schemeName(scheme)) + " handshake of connection " +
                                      std::to_string(conn)};
    request.conversation = conn;
    request.continues = continues;
    host().add(handshakes_);
    sdk::Pending pending = tx.pending();
    poolOf(scheme).submit(std::move(request), [this, pending, scheme, conn](common::HelperReply r) {
      pending.complete(onHandshake(scheme, conn, r));
    });
    return sdk::Verdict::pending();
  }

  bool statefulOffered() const { return negotiate_ || ntlm_; }

  common::HelperPool& poolOf(Scheme scheme) {
    return scheme == Scheme::Ntlm ? *ntlm_ : *negotiate_;
  }

  // The helpers' thread.
  sdk::Verdict onHandshake(Scheme scheme, uint64_t conn, const common::HelperReply& r) {
    using Kind = HandshakeAnswer::Kind;
    const std::string name = schemeName(scheme);
    if (r.status != common::HelperReply::Status::Answered) {
      logins_.forget(conn);
      poolOf(scheme).release(conn);
      host().add(errors_);
      return sdk::Verdict::error(
          "the " + name + " helper did not answer: " + (r.reason.empty() ? "no reason" : r.reason));
    }
    HandshakeAnswer a = parseHandshakeAnswer(r.answer, scheme);
    switch (a.kind) {
    case Kind::Continue: {
      logins_.setChallenged(conn, scheme);
      host().add(challenges_);
      auto v = sdk::Verdict::respond(407, "Proxy authentication in progress.\n",
                                     "text/plain; charset=utf-8");
      v.header("Proxy-Authenticate", name + " " + a.token);
      return v;
    }
    case Kind::Done: {
      poolOf(scheme).release(conn);
      logins_.setLogin(conn, {a.user, a.group});
      host().add(accepted_);
      auto v = sdk::Verdict::next().user(a.user);
      if (!a.group.empty())
        v.note("group", a.group);
      return v;
    }
    case Kind::Refused:
      poolOf(scheme).release(conn);
      logins_.forget(conn);
      host().add(rejected_);
      return challenge(a.message);
    case Kind::Broken:
      break;
    }
    poolOf(scheme).release(conn);
    logins_.forget(conn);
    host().add(errors_);
    return sdk::Verdict::error("the " + name + " " + a.message);
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
  const common::SquidLineCodec handshakeCodec_{common::SquidLineCodec::kMaxHandshakeRequest};
  int32_t challenges_ = -1, accepted_ = -1, cacheHits_ = -1, rejected_ = -1, errors_ = -1,
          handshakes_ = -1;
  std::unique_ptr<CredentialsCache> cache_;
  ConnectionLogins logins_;
  // Each loop outlives its pool. The Basic pool (none when basic is not offered), then the
  // stateful ones.
  std::unique_ptr<common::HostHelperLoop> loop_, negotiateLoop_, ntlmLoop_;
  std::unique_ptr<common::HelperPool> pool_, negotiate_, ntlm_;
};

} // namespace exaproxy::auth

EXAPROXY_PLUGIN(exaproxy::auth::Auth, "auth", "0.1.0", "ExaProxy",
                "proxy authentication with Squid's helpers: Basic, Negotiate (Kerberos), NTLM")
