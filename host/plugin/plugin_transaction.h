// PluginTransaction: one HTTP request (or CONNECT) going through the plugin chain.
//
// HOW THE SESSION USES THIS (host/proxy/client_session.cpp; everything on the session's loop)
//
//   // at accept (per connection; no request yet):
//   plugin::TxInfo info{peer /* after PROXY protocol */, listenerEndpoint};
//   plugin::Outcome a = runtime.chain()->onAccept(info);
//   if (a.kind == plugin::Outcome::Kind::Deny) { close (optionally answer a.status); return; }
//
//   // per request, in startTransaction() once the host's own checks passed:
//   pluginTx_ = std::make_unique<plugin::PluginTransaction>(runtime.chain(), loop, &workerPool,
//                                                           info);
//   setState(TxState::Filtering);
//   pluginTx_->runRequest(req_, [this](plugin::Outcome o) { onVerdict(std::move(o)); });
//   // onVerdict may run INSIDE runRequest (no plugin answered PENDING) or later from the loop
//   // (mailbox message or timeout timer); never after pluginTx_ is destroyed.
//   //   Continue -> resolveDestination() with req_ (already rewritten in place)
//   //   Route    -> connect to o.routeHost:(o.routePort ?: req_.port), request unchanged
//   //   Redirect -> o.status (3xx) + Location: o.location + o.headers
//   //   Respond  -> o.status + o.headers + (o.file.empty() ? o.body : contents of o.file),
//   //               Content-Type o.contentType when not empty
//   //   Deny     -> error page o.status (403, or 503 when a plugin failed) with o.reason
//
//   // when the origin's response head arrived (before writing it to the client):
//   plugin::Outcome r = pluginTx_->runResponse(resp_);  // synchronous
//   //   Continue -> send resp_ (headers possibly edited); Respond/Redirect/Deny -> drop the
//   //   upstream response (close that upstream connection) and answer r instead.
//
//   // at the end (access log time):
//   pluginTx_->done(plugin::TxSummary{status, bytesIn, bytesOut, duration});
//   accessLog client = pluginTx_->identity().address, user = pluginTx_->identity().user,
//             plugin = outcome.plugin, verdict = toString(outcome.kind)
//   pluginTx_.reset();  // also fine without done(): the destructor calls on_done with status 0
//
// Destroying a PluginTransaction (client gone) cancels a pending verdict: the plugin's later
// complete() is a counted no-op (generation-checked handle), never a dangling access.
#pragma once

#include "plugin/outcome.h"
#include "plugin/pending_verdict.h"
#include "plugin/plugin_chain.h"
#include "plugin/txn_state.h"

#include "net/event_loop.h"

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::http {
struct RequestHead;
struct ResponseHead;
} // namespace exaproxy::http

namespace exaproxy::workers {
class WorkerPool;
}

namespace exaproxy::plugin {

class PluginTransaction final : private PendingWaiter {
public:
  // Takes the Outcome as an rvalue: a callback declared with an Outcome parameter gets it with
  // one move (an Outcome is a dozen strings and vectors).
  using Callback = std::function<void(Outcome&&)>;

  // Loop thread. `pool` may be null (then plugins' submit() with this transaction fails).
  PluginTransaction(ChainPtr chain, net::EventLoop& loop, workers::WorkerPool* pool, TxInfo info);
  ~PluginTransaction();
  PluginTransaction(const PluginTransaction&) = delete;
  PluginTransaction& operator=(const PluginTransaction&) = delete;

  // One is made per request: its memory comes from a small per-thread cache of blocks, so the
  // steady state allocates nothing (the cache is bounded and freed with its thread).
  static void* operator new(std::size_t size);
  static void operator delete(void* p, std::size_t size) noexcept;

  // Runs the request hooks (on_connect for CONNECT when the plugin has one) in chain order until
  // one ends the chain; REWRITEs edit `req` in place. `req` must stay valid until `done` ran.
  // `done` runs exactly once on the loop thread: synchronously inside this call when no plugin
  // answered PENDING, else later; never after this object is destroyed. Call once.
  void runRequest(http::RequestHead& req, Callback done);

  // Runs the response hooks in chain order (synchronous). Continue: `resp` (possibly edited) is
  // to be sent; otherwise the response is replaced by the Outcome.
  Outcome runResponse(http::ResponseHead& resp);

  // Bodies (ABI 1.7; host/plugin/body_hooks.cpp). Whether some plugin asked for the body of
  // `which` (EXAPROXY_REQUEST / EXAPROXY_RESPONSE) in its head hook.
  bool wantsBody(int32_t which) const;
  // What the plugins still reading the body of `which` asked: kBodyAsked when any did, plus
  // EXAPROXY_WANT_DECODED when one wants it decoded, EXAPROXY_WANT_PLAIN when one wants it sent
  // on plain (host/proxy/body_codec.h does both).
  static constexpr uint32_t kBodyAsked = 1u << 31;
  uint32_t bodyFlags(int32_t which) const;
  // The body cannot be given decoded as asked (`why`): the on_error policy of each plugin that
  // asked for decoding. The first deny is the answer; `skip`: the others (allow) see no more of
  // this body.
  std::optional<Outcome> decodeRefusal(int32_t which, const std::string& why, bool skip);
  // What feeding a piece of a body through the plugins gave: its data went on (appended to the
  // caller's `out`), or a plugin answers in place of the message (Redirect, Respond or Deny;
  // Deny 503 when a plugin failed under on_error = deny).
  struct BodyStep {
    bool answered = false;
    bool waiting = false;   // a plugin answered PENDING: the rest comes later (takeBody)
    bool unchanged = false; // (runBody with `refer`) the output is `data` itself, not in `out`
    Outcome answer;
  };
  // Runs the on_body hooks that asked for `which`, in chain order, on the next piece of that
  // body (`end`: the last one, exactly once); each plugin's output is the next one's input, and
  // the last one's is appended to `out`. A PENDING verdict stops the walk (waiting): it goes on
  // when the verdict arrives or the plugin's timeout passes, then the resume callback runs and
  // takeBody() has the rest. Not while bodyWaiting().
  // `refer`: when every plugin passed the piece as it is, nothing is appended to `out` and the
  // step says unchanged, so that the caller can send `data` without a copy.
  BodyStep runBody(int32_t which, std::string_view data, bool end, std::string& out,
                   bool refer = false);
  bool bodyWaiting() const { return bodyWait_.active; }
  // After a walk stopped and went on (not while bodyWaiting()): its output, appended to `out`,
  // or the answer a plugin gave.
  BodyStep takeBody(std::string& out);
  // Loop thread: runs when a stopped walk went on. Set once; it may destroy nothing.
  void onBodyResume(std::function<void()> fn) { bodyResume_ = std::move(fn); }

  // Calls every on_done hook once with the summary. Later calls do nothing.
  void done(const TxSummary& summary);

  // The client as the access log should show it (plugins may have changed it).
  const Identity& identity() const { return txn_.identity; }
  void setIdentity(Identity identity) { txn_.identity = std::move(identity); }
  // The notes plugins left (ABI 1.5); those with EXAPROXY_NOTE_LOG go to the access log.
  const Notes& notes() const { return txn_.notes; }
  // The final Outcome of runRequest (Continue until then), for the access log.
  const Outcome& requestOutcome() const { return outcome_; }
  bool waiting() const { return waiting_ != kNone; }
  uint64_t id() const { return txn_.id; }
  const Chain& chain() const { return *chain_; }

  // host_api: a handle for the running hook (loop thread).
  exaproxy_pending allocatePending();

private:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  void step();
  // Applies link i's verdict. True when the chain ended (finish() was called).
  bool apply(size_t i, int32_t action, exaproxy_verdict& v, const std::string& why);
  void finish(Outcome o);
  void onTimeout();
  void onPendingComplete(exaproxy_pending handle, int32_t action,
                         std::shared_ptr<exaproxy_verdict> v) override;
  void releaseHandles();
  struct LinkBody {
    std::string held; // what the plugin holds (HOLD), at most its policy's bodyHoldMax
    bool off = false; // failed under on_error = allow: this body passes it by
  };
  // What one plugin did with a piece: `in` goes on unchanged (Pass), its output is in `next`
  // (Output), it answered (result.answer), or it answered PENDING.
  enum class BodyLink { Pass, Output, Answered, Waiting };
  BodyStep walkBody(int32_t which, size_t from, std::string_view in, bool end, std::string& out,
                    bool refer = false);
  BodyLink bodyCall(size_t i, int32_t which, std::string_view in, bool end, std::string& next,
                    BodyStep& result);
  BodyLink applyBody(size_t i, int32_t which, std::string_view in, bool end, int32_t action,
                     exaproxy_verdict& v, std::string why, std::string& next, BodyStep& result);
  BodyLink failBody(size_t i, LinkBody& state, std::string_view in, bool timeout,
                    const std::string& why, std::string& next, BodyStep& result);
  static BodyLink passHeld(LinkBody& state, std::string_view in, std::string& next);
  void resumeBody(int32_t action, exaproxy_verdict* v, bool timedOut);
  LinkBody& linkBody(int32_t which, size_t i);
  struct BodyWait {
    bool active = false;
    int32_t which = 0;
    size_t link = 0;
    bool end = false;
    std::string input; // the piece the waiting plugin was given
    exaproxy_pending handle = 0;
  };

  ChainPtr chain_;
  net::EventLoop& loop_;
  exaproxy_txn txn_;
  Callback done_;
  Outcome outcome_;
  size_t next_ = 0;        // next link to run
  size_t waiting_ = kNone; // link whose PENDING verdict we wait for
  exaproxy_pending waitHandle_ = 0;
  std::vector<exaproxy_pending> handles_; // every handle taken; released at destruction
  net::Timer timer_;
  bool requestStarted_ = false;
  bool doneCalled_ = false;
  net::Clock::time_point started_;
  std::vector<LinkBody> bodies_[2]; // per chain link, for EXAPROXY_REQUEST and _RESPONSE
  std::string bodyScratch_[2];      // a piece between two plugins (alternating)
  BodyWait bodyWait_;               // a walk stopped at a PENDING on_body verdict
  std::string bodyReady_;           // what the walk produced after it went on
  BodyStep bodyResult_;             // or the answer it ended with
  std::function<void()> bodyResume_;
};

} // namespace exaproxy::plugin
