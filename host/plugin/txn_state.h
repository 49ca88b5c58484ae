// The host-side structs behind the C ABI's opaque exaproxy_txn and exaproxy_verdict (global
// namespace because abi.h declares them there). Only host/plugin uses them.
#pragma once

#include "core/ip_address.h"
#include "exaproxy/abi.h"
#include "plugin/outcome.h"
#include "plugin/txn_notes.h"
#include "plugin/url_edit.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::http {
struct RequestHead;
struct ResponseHead;
} // namespace exaproxy::http
namespace exaproxy::net {
class EventLoop;
}
namespace exaproxy::workers {
class WorkerPool;
}
namespace exaproxy::plugin {
class Chain;
class PluginTransaction;
} // namespace exaproxy::plugin

// One transaction as plugins see it. Owned by its PluginTransaction (or by Chain::onAccept for the
// accept hook); used only on the loop thread.
struct exaproxy_txn {
  uint64_t id = 0;
  uint64_t connection = 0; // conn_id(): the client connection's id (ABI 1.5)
  uint16_t clientPort = 0; // client_port() (ABI 1.6)
  const exaproxy::plugin::Chain* chain = nullptr;
  exaproxy::plugin::PluginTransaction* owner = nullptr; // null during on_accept
  exaproxy::net::EventLoop* loop = nullptr;
  exaproxy::workers::WorkerPool* pool = nullptr;
  exaproxy::http::RequestHead* req = nullptr;   // set from runRequest on
  exaproxy::http::ResponseHead* resp = nullptr; // set during runResponse only
  exaproxy::plugin::Identity identity;
  exaproxy::Endpoint listenerEndpoint; // the local address the transaction came in on
  std::string listener;                // "ip:port", formatted on the first listener_address() call
  std::string urlCache;                // backs req_url()'s view
  size_t current = SIZE_MAX;           // index of the chain link whose hook is running
  exaproxy_pending taken = 0;          // pending_handle() of the running hook, 0 if none
  bool allowPending = false;           // the running hook may answer PENDING
  bool rewritten = false;
  std::vector<void*> data;       // txn_data slot per chain link
  std::vector<uint8_t> changes;  // kChanged* bits per chain link: what each changed in the request
  exaproxy::plugin::Notes notes; // note_set / verdict_set_note (ABI 1.5)
  // Bodies (ABI 1.7): per chain link, the bodies it asked for and how (kWants* bits; sized by
  // the first body_want), and what body_want and body_held may see of the hook running now.
  std::vector<uint8_t> bodyWants;
  bool inHeadHook = false; // on_request_head, on_connect or on_response_head runs
  exaproxy_str held{};     // body_held() during on_body
};

namespace exaproxy::plugin {
// For the response body; each bit shifted left by one for the request body (body_hooks.cpp).
constexpr uint8_t kWantsResponseBody = 1; // body_want(EXAPROXY_RESPONSE)
constexpr uint8_t kWantsDecoded = 4;      // ... with EXAPROXY_WANT_DECODED
constexpr uint8_t kWantsPlain = 16;       // ... with EXAPROXY_WANT_PLAIN

// What a plugin changed in the request, for the access log's decision field (rewrittenBy()).
constexpr uint8_t kChangedUrl = 1;             // URL, host or path
constexpr uint8_t kChangedHeaders = 2;         // a request header other than the identity ones
constexpr uint8_t kChangedIdentityHeaders = 4; // X-Forwarded-For, Forwarded, X-Real-IP, Via
constexpr uint8_t kSetIdentity = 8;            // the client's address or user

// Records `bits` for the link whose hook is running (nothing during on_accept).
void markChange(exaproxy_txn& t, uint8_t bits);
// Records the change a request header edit of `name` makes.
void markHeaderChange(exaproxy_txn& t, std::string_view name);
// The plugins that rewrote the request, comma-separated in chain order: a URL change always
// counts, a header change unless it only kept the client's identity (forwarding headers, or any
// header edit by a plugin that set the identity in this transaction). Empty: none.
std::string rewrittenBy(const exaproxy_txn& t);
} // namespace exaproxy::plugin

// A verdict's details, filled through the verdict_* functions.
struct exaproxy_verdict {
  exaproxy::plugin::Outcome outcome;
  // Request edits (verdict_set_url / verdict_edit_header, ABI 1.2), in call order; applied on the
  // loop when the verdict is delivered as REWRITE.
  std::vector<exaproxy::plugin::RequestEdit> edits;
  // Notes and the user a verdict carries (ABI 1.5), applied on the loop with the verdict.
  exaproxy::plugin::Notes notes;
  std::optional<std::string> user;
  // on_body (ABI 1.7): what the plugin holds after the call (verdict_hold_body), if it said.
  std::optional<std::string> heldBody;
};

namespace exaproxy::plugin {
// What a verdict of chain link `link` carries besides its action (ABI 1.5): its notes are set on
// the transaction and its user becomes the client's (recorded as that link's identity change).
void applyCarried(exaproxy_txn& t, size_t link, const exaproxy_verdict& v);
} // namespace exaproxy::plugin
