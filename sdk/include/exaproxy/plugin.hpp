// ExaProxy C++ plugin layer: header-only, on top of the C ABI (exaproxy/abi.h).
//
// A C++ plugin derives from exaproxy::sdk::Plugin, overrides the hooks it needs and exports itself
// with one macro:
//
//   class MyFilter : public exaproxy::sdk::Plugin {
//   public:
//     explicit MyFilter(exaproxy::sdk::Host& host) : Plugin(host) { /* read host.settings() */ }
//     exaproxy::sdk::Verdict onRequest(exaproxy::sdk::Txn& tx) override {
//       if (tx.host() == "blocked.example") return exaproxy::sdk::Verdict::deny("listed");
//       return exaproxy::sdk::Verdict::next();
//     }
//   };
//   EXAPROXY_PLUGIN(MyFilter, "my_filter", "1.0.0", "Example Corp", "blocks one host")
//
// The descriptor registers only the hooks the class overrides (a plugin without onAccept costs
// nothing per connection), and reconfigure() when the class overrides it. It declares
// EXAPROXY_TARGET_ABI_MINOR (abi.h: the headers' minor unless defined, e.g. by
// exaproxy_add_plugin(... ABI 1.0)), and nothing here calls a host entry the host lacks.
//
// Every exception thrown by plugin code is caught here, logged through the host and turned into
// EXAPROXY_ERROR (or a refused create()), so none ever crosses the C boundary. Nothing of this file
// is part of the binary ABI: it compiles into the plugin.
#pragma once

#include "exaproxy/abi.h"

#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace exaproxy::sdk {

inline std::string_view view(exaproxy_str s) {
  return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}
inline exaproxy_str str(std::string_view s) { return exaproxy_str{s.data(), s.size()}; }

namespace detail {
// The host's table, set by the first create() (it is the same table for every instance).
inline const exaproxy_host_api*& api() {
  static const exaproxy_host_api* table = nullptr;
  return table;
}
// Per-transaction data made by Txn::emplaceData, deleted after onDone.
struct SlotBase {
  virtual ~SlotBase() = default;
};
template <typename T> struct Slot : SlotBase {
  template <typename... Args> explicit Slot(Args&&... args) : value(std::forward<Args>(args)...) {}
  T value;
};
} // namespace detail

enum class Level : int32_t {
  Trace = EXAPROXY_LOG_TRACE,
  Debug = EXAPROXY_LOG_DEBUG,
  Info = EXAPROXY_LOG_INFO,
  Warn = EXAPROXY_LOG_WARN,
  Error = EXAPROXY_LOG_ERROR,
  Critical = EXAPROXY_LOG_CRITICAL
};

enum class Action : int32_t {
  Continue = EXAPROXY_CONTINUE,
  Rewrite = EXAPROXY_REWRITE,
  Route = EXAPROXY_ROUTE,
  Redirect = EXAPROXY_REDIRECT,
  Respond = EXAPROXY_RESPOND,
  Deny = EXAPROXY_DENY,
  Pending = EXAPROXY_PENDING,
  Error = EXAPROXY_ERROR,
  Hold = EXAPROXY_HOLD // onBody only (ABI 1.7)
};

// Whose body (ABI 1.7): Txn::wantBody, Plugin::onBody.
enum class Message : int32_t { Request = EXAPROXY_REQUEST, Response = EXAPROXY_RESPONSE };

// Variables of a page the host renders (Verdict::page): name/value pairs, in order.
using PageVars = std::vector<std::pair<std::string, std::string>>;

// A verdict as a value: built with the static functions, copied into the host's verdict when a
// hook returns (or when complete() is called).
class Verdict {
public:
  static Verdict next() { return Verdict(Action::Continue); }
  static Verdict rewrite() { return Verdict(Action::Rewrite); }
  static Verdict route(std::string host, uint16_t port = 0) {
    Verdict v(Action::Route);
    v.routeHost_ = std::move(host);
    v.routePort_ = port;
    return v;
  }
  static Verdict redirect(std::string location, int status = 302) {
    Verdict v(Action::Redirect);
    v.location_ = std::move(location);
    v.status_ = status;
    return v;
  }
  static Verdict respond(int status, std::string body, std::string contentType = "text/plain") {
    Verdict v(Action::Respond);
    v.status_ = status;
    v.body_ = std::move(body);
    v.contentType_ = std::move(contentType);
    return v;
  }
  static Verdict respondFile(int status, std::string path, std::string contentType) {
    Verdict v(Action::Respond);
    v.status_ = status;
    v.file_ = std::move(path);
    v.contentType_ = std::move(contentType);
    return v;
  }
  static Verdict deny(std::string reason, int status = 403) {
    Verdict v(Action::Deny);
    v.reason_ = std::move(reason);
    v.status_ = status;
    return v;
  }
  // ABI 1.2: answer with the host's template <name>.html (see page()).
  static Verdict respondPage(int status, std::string templateName, PageVars vars = {}) {
    Verdict v(Action::Respond);
    v.status_ = status;
    v.page(std::move(templateName), std::move(vars));
    return v;
  }
  static Verdict denyPage(std::string reason, std::string templateName, PageVars vars = {},
                          int status = 403) {
    Verdict v = deny(std::move(reason), status);
    v.page(std::move(templateName), std::move(vars));
    return v;
  }
  static Verdict pending() { return Verdict(Action::Pending); }
  // ABI 1.7, onBody only (abi.h's on_body says what each verdict does to the body): next() passes
  // what the plugin held and this data on; replaceBody() sends `data` instead of them and then
  // holds `keep` (a tail it has not finished with); hold() keeps this data too (Txn::bodyHeld)
  // and sends nothing. deny(), respond...() and redirect() replace the whole response while none
  // of it reached the client.
  static Verdict replaceBody(std::string data, std::string keep = {}) {
    Verdict v(Action::Rewrite);
    v.body_ = std::move(data);
    v.bodyData_ = true;
    v.held_ = std::move(keep);
    v.hasHeld_ = !v.held_.empty();
    return v;
  }
  static Verdict hold() { return Verdict(Action::Hold); }
  static Verdict error(std::string reason) {
    Verdict v(Action::Error);
    v.reason_ = std::move(reason);
    return v;
  }

  Verdict& header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Verdict& reason(std::string why) {
    reason_ = std::move(why);
    return *this;
  }

  // ABI 1.5: a note (key=value) and the user this verdict leaves on the transaction, set by the
  // host when it accepts the verdict (any action but error(); not a verdict it finds malformed),
  // so that Pending::complete() from
  // another thread can leave them too. `log`: the note is also written in the access log. A
  // refused note or user (abi.h's rules) or a host older than 1.5 makes the verdict an ERROR.
  Verdict& note(std::string key, std::string value, bool log = false) {
    notes_.push_back(Note{std::move(key), std::move(value), log});
    return *this;
  }
  Verdict& user(std::string name) {
    user_ = std::move(name);
    hasUser_ = true;
    return *this;
  }

  // ABI 1.2: request edits carried by a rewrite() verdict and applied by the host on the
  // transaction's loop when the verdict is delivered, so that Pending::complete() can rewrite the
  // request from any thread. In call order; ignored with other actions. A URL that does not fit
  // the request (checked when it is applied) triggers the plugin's on_error policy; a refused
  // edit (bad URL or header, a field the host owns) or a host older than 1.2 makes the verdict
  // an ERROR saying why.
  Verdict& url(std::string newUrl) {
    edits_.push_back(Edit{Edit::Url, std::move(newUrl), {}});
    return *this;
  }
  Verdict& setRequestHeader(std::string name, std::string value) {
    edits_.push_back(Edit{EXAPROXY_HEADER_SET, std::move(name), std::move(value)});
    return *this;
  }
  Verdict& addRequestHeader(std::string name, std::string value) {
    edits_.push_back(Edit{EXAPROXY_HEADER_ADD, std::move(name), std::move(value)});
    return *this;
  }
  Verdict& removeRequestHeader(std::string name) {
    edits_.push_back(Edit{EXAPROXY_HEADER_REMOVE, std::move(name), {}});
    return *this;
  }
  // ABI 1.2: the body of a deny() or respond...() answer is the host's template <name>.html
  // ([server] templates; Content-Type text/html), rendered with the host's variables (status,
  // reason, detail, url, host, method, client, user, proxy, time, plugin) and these (which replace
  // the host's of the same name), every value HTML-escaped. On a host older than 1.2 a deny keeps
  // the host's error page and a respond becomes an ERROR.
  Verdict& page(std::string templateName, PageVars vars = {}) {
    page_ = std::move(templateName);
    pageVars_ = std::move(vars);
    return *this;
  }

  Action action() const { return action_; }

  // Copies this verdict's details into the host's builder `v`. Returns the action.
  int32_t fill(exaproxy_verdict* v) const {
    const exaproxy_host_api* a = detail::api();
    if (status_)
      a->verdict_set_status(v, status_);
    if (!reason_.empty())
      a->verdict_set_reason(v, str(reason_));
    if (!routeHost_.empty())
      a->verdict_set_route(v, str(routeHost_), routePort_);
    if (!location_.empty())
      a->verdict_set_location(v, str(location_));
    for (const auto& h : headers_)
      a->verdict_add_header(v, str(h.first), str(h.second));
    if (!file_.empty())
      a->verdict_set_file(v, str(file_), str(contentType_));
    else if ((action_ == Action::Respond && page_.empty()) || bodyData_)
      a->verdict_set_body(v, str(body_), str(contentType_));
    if (hasHeld_ && (!EXAPROXY_HAS_FIELD(a, exaproxy_host_api, verdict_hold_body) ||
                     a->verdict_hold_body(v, str(held_)) != EXAPROXY_OK))
      return EXAPROXY_ERROR;
    if (edits_.empty() && page_.empty() && notes_.empty() && !hasUser_)
      return static_cast<int32_t>(action_);
    std::string problem = fillAbi12(a, v);
    if (problem.empty())
      problem = fillAbi15(a, v);
    if (problem.empty())
      return static_cast<int32_t>(action_);
    a->verdict_set_reason(v, str(problem));
    return EXAPROXY_ERROR;
  }

private:
  struct Edit {
    static constexpr int32_t Url = -1;
    int32_t op; // Url or EXAPROXY_HEADER_*
    std::string name, value;
  };

  // The 1.2 details; "" when done, else why the verdict cannot be delivered as built.
  std::string fillAbi12(const exaproxy_host_api* a, exaproxy_verdict* v) const {
    if (!edits_.empty()) {
      if (!EXAPROXY_HAS_FIELD(a, exaproxy_host_api, verdict_edit_header))
        return "this host (ABI older than 1.2) cannot carry request edits in a verdict";
      for (const auto& e : edits_) {
        if (e.op == Edit::Url) {
          if (a->verdict_set_url(v, str(e.name)) != EXAPROXY_OK)
            return "verdict_set_url refused '" + e.name + "'";
        } else if (a->verdict_edit_header(v, e.op, str(e.name), str(e.value)) != EXAPROXY_OK) {
          return "verdict_edit_header refused '" + e.name + "'";
        }
      }
    }
    if (!page_.empty()) {
      if (!EXAPROXY_HAS_FIELD(a, exaproxy_host_api, verdict_set_page))
        return action_ == Action::Respond
                   ? "this host (ABI older than 1.2) cannot render page '" + page_ + "'"
                   : "";
      std::vector<exaproxy_str> vars;
      vars.reserve(2 * pageVars_.size());
      for (const auto& [name, value] : pageVars_) {
        vars.push_back(str(name));
        vars.push_back(str(value));
      }
      if (a->verdict_set_page(v, status_, str(page_), vars.data(), pageVars_.size()) != EXAPROXY_OK)
        return "verdict_set_page refused template '" + page_ + "' or its variables";
    }
    return "";
  }

  // The 1.5 details; "" when done, else why the verdict cannot be delivered as built.
  std::string fillAbi15(const exaproxy_host_api* a, exaproxy_verdict* v) const {
    if (notes_.empty() && !hasUser_)
      return "";
    if (!EXAPROXY_HAS_FIELD(a, exaproxy_host_api, verdict_set_user))
      return "this host (ABI older than 1.5) cannot carry notes or a user in a verdict";
    for (const auto& n : notes_)
      if (a->verdict_set_note(v, str(n.key), str(n.value), n.log ? EXAPROXY_NOTE_LOG : 0) !=
          EXAPROXY_OK)
        return "verdict_set_note refused note '" + n.key + "'";
    if (hasUser_ && a->verdict_set_user(v, str(user_)) != EXAPROXY_OK)
      return "verdict_set_user refused the user name";
    return "";
  }

  struct Note {
    std::string key, value;
    bool log;
  };

  explicit Verdict(Action a) : action_(a) {}
  Action action_;
  int status_ = 0;
  std::string reason_, routeHost_, location_, body_, contentType_, file_;
  uint16_t routePort_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<Edit> edits_;
  std::string page_;
  PageVars pageVars_;
  std::vector<Note> notes_;
  std::string user_;
  bool hasUser_ = false;
  bool bodyData_ = false; // body_ is body data (replaceBody), not an answer's body
  std::string held_;      // replaceBody's `keep`
  bool hasHeld_ = false;
};

// A PENDING transaction's handle: copy it anywhere, complete it from any thread, exactly once.
class Pending {
public:
  Pending() = default;
  explicit Pending(exaproxy_pending h) : handle_(h) {}
  bool valid() const { return handle_ != 0; }
  exaproxy_pending handle() const { return handle_; }

  // Any thread. EXAPROXY_OK, EXAPROXY_E_STALE (transaction gone: harmless) or EXAPROXY_E_TWICE.
  int32_t complete(const Verdict& verdict) const {
    const exaproxy_host_api* a = detail::api();
    exaproxy_verdict* v = a->verdict_new();
    int32_t action = verdict.fill(v);
    return a->complete(handle_, action, v); // the host takes v
  }

private:
  exaproxy_pending handle_ = 0;
};

// Headers of the request or the response, during a hook.
class Headers {
public:
  Headers(exaproxy_txn* txn, int32_t which) : txn_(txn), which_(which) {}
  std::optional<std::string_view> get(std::string_view name, size_t nth = 0) const {
    exaproxy_str out{};
    if (detail::api()->header_get(txn_, which_, str(name), nth, &out) != EXAPROXY_OK)
      return std::nullopt;
    return view(out);
  }
  size_t size() const { return detail::api()->header_count(txn_, which_); }
  std::pair<std::string_view, std::string_view> at(size_t i) const {
    exaproxy_str n{}, v{};
    detail::api()->header_at(txn_, which_, i, &n, &v);
    return {view(n), view(v)};
  }
  // False if refused (CR/LF/NUL, bad name, a framing field the host owns).
  bool set(std::string_view name, std::string_view value) {
    return detail::api()->header_set(txn_, which_, str(name), str(value)) == EXAPROXY_OK;
  }
  bool add(std::string_view name, std::string_view value) {
    return detail::api()->header_add(txn_, which_, str(name), str(value)) == EXAPROXY_OK;
  }
  int remove(std::string_view name) {
    return detail::api()->header_remove(txn_, which_, str(name));
  }

private:
  exaproxy_txn* txn_;
  int32_t which_;
};

class Host;

// One transaction, valid during the hook that received it (loop thread).
class Txn {
public:
  Txn(exaproxy_txn* txn, exaproxy_host* host) : txn_(txn), host_(host) {}

  std::string_view method() const { return view(a()->req_method(txn_)); }
  std::string_view url() const { return view(a()->req_url(txn_)); }
  bool isConnect() const { return a()->req_is_connect(txn_) != 0; }
  std::string_view host() const { return view(a()->req_host(txn_)); }
  uint16_t port() const { return a()->req_port(txn_); }
  std::string_view path() const { return view(a()->req_path(txn_)); }
  bool setUrl(std::string_view url) { return a()->req_set_url(txn_, str(url)) == EXAPROXY_OK; }
  bool setHost(std::string_view host, uint16_t port = 0) {
    return a()->req_set_host(txn_, str(host), port) == EXAPROXY_OK;
  }
  bool setPath(std::string_view path) { return a()->req_set_path(txn_, str(path)) == EXAPROXY_OK; }
  Headers requestHeaders() { return Headers(txn_, EXAPROXY_REQUEST); }
  Headers responseHeaders() { return Headers(txn_, EXAPROXY_RESPONSE); }
  int status() const { return a()->resp_status(txn_); }

  std::string_view clientAddress() const { return view(a()->client_address(txn_)); }
  bool setClientAddress(std::string_view ip) {
    return a()->client_set_address(txn_, str(ip)) == EXAPROXY_OK;
  }
  std::string_view user() const { return view(a()->client_user(txn_)); }
  bool setUser(std::string_view user) {
    return a()->client_set_user(txn_, str(user)) == EXAPROXY_OK;
  }
  std::string_view listenerAddress() const { return view(a()->listener_address(txn_)); }
  // 0 on a host older than ABI 1.1.
  uint64_t id() const {
    return EXAPROXY_HAS_FIELD(a(), exaproxy_host_api, txn_id) ? a()->txn_id(txn_) : 0;
  }

  // ABI 1.6: the client's TCP port (after PROXY protocol); 0 on an older host or when unknown.
  uint16_t clientPort() const {
    return EXAPROXY_HAS_FIELD(a(), exaproxy_host_api, client_port) ? a()->client_port(txn_) : 0;
  }

  // ABI 1.5 (on an older host: connectionId() is 0, note() finds nothing, setNote() fails).
  // The client connection's id, the same for every request of one connection.
  uint64_t connectionId() const {
    return EXAPROXY_HAS_FIELD(a(), exaproxy_host_api, conn_id) ? a()->conn_id(txn_) : 0;
  }
  // A note an earlier plugin (or this one) left; nullopt when unset. The view is valid until the
  // next setNote() of this transaction.
  std::optional<std::string_view> note(std::string_view key) const {
    exaproxy_str out{};
    if (!EXAPROXY_HAS_FIELD(a(), exaproxy_host_api, note_get) ||
        a()->note_get(txn_, str(key), &out) != EXAPROXY_OK)
      return std::nullopt;
    return view(out);
  }
  // Sets a note (abi.h's rules); `log`: also written in the access log.
  bool setNote(std::string_view key, std::string_view value, bool log = false) {
    return EXAPROXY_HAS_FIELD(a(), exaproxy_host_api, note_set) &&
           a()->note_set(txn_, str(key), str(value), log ? EXAPROXY_NOTE_LOG : 0) == EXAPROXY_OK;
  }
  // Every note, in the order first set.
  std::vector<std::pair<std::string_view, std::string_view>> notes() const {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    if (!EXAPROXY_HAS_FIELD(a(), exaproxy_host_api, note_at))
      return out;
    size_t n = a()->note_count(txn_);
    for (size_t i = 0; i < n; ++i) {
      exaproxy_str k{}, v{};
      if (a()->note_at(txn_, i, &k, &v, nullptr) == EXAPROXY_OK)
        out.emplace_back(view(k), view(v));
    }
    return out;
  }

  // ABI 1.7, in onRequest, onConnect or onResponse: this plugin's onBody gets the response body
  // (Message::Response) or, asked in onRequest, the request body (Message::Request) of this
  // transaction (abi.h's body_want); `flags`: EXAPROXY_WANT_DECODED (decoded from its
  // Content-Encoding), | EXAPROXY_WANT_PLAIN (sent on decoded). False when the host cannot give
  // it (older than 1.7, a CONNECT, the request body asked too late, or no onBody).
  bool wantBody(Message which, uint32_t flags = 0) {
    return EXAPROXY_HAS_FIELD(a(), exaproxy_host_api, body_want) &&
           a()->body_want(txn_, static_cast<int32_t>(which), flags) == EXAPROXY_OK;
  }
  // ABI 1.7, in onBody: what this plugin holds of the body (its hold() verdicts' data since it
  // last passed or replaced them), not the current call's data.
  std::string_view bodyHeld() const {
    return EXAPROXY_HAS_FIELD(a(), exaproxy_host_api, body_held) ? view(a()->body_held(txn_))
                                                                 : std::string_view();
  }

  // The handle for answering later: call, then return Verdict::pending().
  Pending pending() { return Pending(a()->pending_handle(txn_)); }

  // Per-transaction data of this plugin: the C++ layer owns it and deletes it after onDone.
  // data<T>() is null until emplaceData<T>() (or when T differs).
  template <typename T> T* data() const {
    auto* s =
        dynamic_cast<detail::Slot<T>*>(static_cast<detail::SlotBase*>(a()->txn_data(txn_, host_)));
    return s ? &s->value : nullptr;
  }
  template <typename T, typename... Args> T& emplaceData(Args&&... args) {
    delete static_cast<detail::SlotBase*>(a()->txn_data(txn_, host_));
    auto* s = new detail::Slot<T>(std::forward<Args>(args)...);
    a()->txn_set_data(txn_, host_, static_cast<detail::SlotBase*>(s));
    return s->value;
  }

  exaproxy_txn* raw() const { return txn_; }

private:
  static const exaproxy_host_api* a() { return detail::api(); }
  exaproxy_txn* txn_;
  exaproxy_host* host_;
};

// One configuration entry (file:line, section, key, value).
struct Setting {
  size_t index = 0; // for Host::configError
  std::string file;
  uint32_t line = 0;
  std::string section;
  std::string key;
  std::string value;
};

// Thrown from a constructor (or reconfigure) to refuse a configuration at an entry's file:line.
class ConfigError : public std::exception {
public:
  ConfigError(size_t index, std::string message) : index_(index), message_(std::move(message)) {}
  explicit ConfigError(std::string message) : ConfigError(SIZE_MAX, std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }
  size_t index() const { return index_; }

private:
  size_t index_;
  std::string message_;
};

// The host as one plugin instance sees it.
class Host {
public:
  Host(const exaproxy_host_api* api, exaproxy_host* host) : api_(api), host_(host) {}

  void log(Level level, std::string_view message) const {
    api_->log(host_, static_cast<int32_t>(level), str(message));
  }
  // The plugin's settings (during the constructor and reconfigure() only).
  std::vector<Setting> settings() const {
    std::vector<Setting> out;
    size_t n = api_->setting_count(host_);
    for (size_t i = 0; i < n; ++i) {
      exaproxy_setting s{};
      s.size = sizeof s;
      if (api_->setting_get(host_, i, &s) != EXAPROXY_OK)
        continue;
      out.push_back(Setting{i, std::string(view(s.file)), s.line, std::string(view(s.section)),
                            std::string(view(s.key)), std::string(view(s.value))});
    }
    return out;
  }
  void configError(size_t index, std::string_view message) const {
    api_->config_error(host_, index, str(message));
  }
  // During the constructor only. Returns the id for add()/set(), or -1.
  int32_t counter(std::string_view name, std::string_view help) const {
    return api_->metric_define(host_, EXAPROXY_METRIC_COUNTER, str(name), str(help));
  }
  int32_t gauge(std::string_view name, std::string_view help) const {
    return api_->metric_define(host_, EXAPROXY_METRIC_GAUGE, str(name), str(help));
  }
  // ABI 1.2. Whether the host's templates directory has <name>.html (for Verdict::page; "error"
  // always exists). It looks at the disk: call it in the constructor or reconfigure() (or a
  // worker), not in a hook. nullopt when the host cannot tell (exaproxy --verify-plugin, a host
  // older than 1.2); false for a name that is not [A-Za-z0-9_-]+.
  std::optional<bool> templateExists(std::string_view name) const {
    if (!EXAPROXY_HAS_FIELD(api_, exaproxy_host_api, template_exists))
      return std::nullopt;
    int32_t rc = api_->template_exists(host_, str(name));
    if (rc == EXAPROXY_E_UNAVAILABLE)
      return std::nullopt;
    return rc == 1;
  }

  // ABI 1.3. True when the host creates this instance only to validate its configuration
  // (`exaproxy --check`, `--verify-plugin`): read and check everything, report problems with
  // configError(), but start no process, thread or timer and open no socket. False on older hosts.
  bool checkMode() const {
    return EXAPROXY_HAS_FIELD(api_, exaproxy_host_api, check_mode) && api_->check_mode(host_) == 1;
  }

  // ABI 1.3, during the constructor or reconfigure(): EXAPROXY_TRAIT_* bits saying what this
  // instance may do to the chain (ROUTES, EDITS_REQUEST), so that --check can report an order
  // that half-applies a policy. Ignored by older hosts.
  void declareTraits(uint32_t traits) const {
    if (EXAPROXY_HAS_FIELD(api_, exaproxy_host_api, declare_traits))
      api_->declare_traits(host_, traits);
  }

  void add(int32_t id, int64_t delta = 1) const { api_->metric_add(host_, id, delta); }
  void set(int32_t id, int64_t value) const { api_->metric_set(host_, id, value); }

  // Runs work on the host's worker pool, then done on the transaction's loop (or on the worker
  // when tx is null). Exceptions in either are caught and logged. False if there is no pool.
  bool submit(Txn* tx, std::function<void()> work, std::function<void()> done = {}) const {
    struct Job {
      const Host* host;
      std::function<void()> work, done;
    };
    auto* job = new (std::nothrow) Job{this, std::move(work), std::move(done)};
    if (!job)
      return false;
    auto run = [](void* arg) {
      auto* j = static_cast<Job*>(arg);
      j->host->guard([&] { j->work(); });
    };
    auto finish = [](void* arg) {
      std::unique_ptr<Job> j(static_cast<Job*>(arg));
      if (j->done)
        j->host->guard([&] { j->done(); });
    };
    if (api_->submit(host_, tx ? tx->raw() : nullptr, run, finish, job) != EXAPROXY_OK) {
      delete job;
      return false;
    }
    return true;
  }

  // Runs fn, logging and swallowing any exception. True if it did not throw.
  template <typename Fn> bool guard(Fn&& fn) const noexcept {
    try {
      fn();
      return true;
    } catch (const std::exception& e) {
      logNoThrow(std::string("exception: ") + e.what());
    } catch (...) {
      logNoThrow("exception of unknown type");
    }
    return false;
  }

  const exaproxy_host_api* api() const { return api_; }
  exaproxy_host* raw() const { return host_; }

private:
  void logNoThrow(const std::string& m) const noexcept {
    try {
      log(Level::Error, m);
    } catch (...) {
    }
  }
  const exaproxy_host_api* api_;
  exaproxy_host* host_;
};

struct Summary {
  int status = 0;
  Action action = Action::Continue;
  uint64_t bytesIn = 0, bytesOut = 0, durationUs = 0;
  std::string_view decidedBy;
};

// Base class of a C++ plugin. Hooks run on the transaction's loop thread and must not block.
class Plugin {
public:
  explicit Plugin(Host& host) : host_(host) {}
  virtual ~Plugin() = default;
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  virtual Verdict onAccept(Txn&) { return Verdict::next(); }
  virtual Verdict onRequest(Txn&) { return Verdict::next(); }
  // Default: CONNECT requests go to onRequest (url() is "host:port").
  virtual Verdict onConnect(Txn& tx) { return onRequest(tx); }
  virtual Verdict onResponse(Txn&) { return Verdict::next(); }
  // ABI 1.7: the next piece of a body this plugin asked for (Txn::wantBody); `end` on the last
  // call. Registered only when overridden (and read only by hosts of 1.7 and later).
  virtual Verdict onBody(Txn&, Message /*which*/, std::string_view /*data*/, bool /*end*/) {
    return Verdict::next();
  }
  virtual void onDone(Txn&, const Summary&) {}
  // ABI 1.5, the connection's loop thread: client connection `connectionId` (Txn::connectionId)
  // closed, after its last onDone: forget what was kept for it. Registered only when overridden
  // (and read only by hosts of 1.5 and later).
  virtual void onConnectionClose(uint64_t /*connectionId*/) {}
  // Main thread, while hooks run: re-read host().settings(). Throw ConfigError to refuse. A class
  // that overrides it is reconfigured in place on SIGHUP; one that does not is replaced by a new
  // instance when its settings change.
  virtual void reconfigure() { throw ConfigError("this plugin cannot be reconfigured in place"); }
  virtual bool canReconfigure() const { return false; } // not used by the descriptor
  // Any thread: JSON for the UI.
  virtual std::string status() const { return ""; }

  Host& host() const { return host_; }

private:
  Host& host_;
};

namespace detail {

// One instance: the Host wrapper and the user's object.
struct Instance {
  Host host;
  std::unique_ptr<Plugin> plugin;
};

template <typename T> void* create(const exaproxy_host_api* a, exaproxy_host* h) noexcept {
  api() = a;
  auto* inst = new (std::nothrow) Instance{Host(a, h), nullptr};
  if (!inst)
    return nullptr;
  try {
    inst->plugin = std::make_unique<T>(inst->host);
    return inst;
  } catch (const ConfigError& e) {
    a->config_error(h, e.index(), str(e.what()));
  } catch (const std::exception& e) {
    a->config_error(h, SIZE_MAX, str(std::string("constructor threw: ") + e.what()));
  } catch (...) {
    a->config_error(h, SIZE_MAX, str("constructor threw"));
  }
  delete inst;
  return nullptr;
}

inline int32_t reconfigure(void* instance) noexcept {
  auto* inst = static_cast<Instance*>(instance);
  try {
    inst->plugin->reconfigure();
    return 0;
  } catch (const ConfigError& e) {
    api()->config_error(inst->host.raw(), e.index(), str(e.what()));
  } catch (const std::exception& e) {
    api()->config_error(inst->host.raw(), SIZE_MAX, str(e.what()));
  } catch (...) {
    api()->config_error(inst->host.raw(), SIZE_MAX, str("reconfigure threw"));
  }
  return 1;
}

inline void destroy(void* instance) noexcept {
  auto* inst = static_cast<Instance*>(instance);
  try {
    inst->plugin.reset();
  } catch (...) {
  }
  delete inst;
}

// Runs fn() (a hook of the user's class, returning its filled verdict's action); an exception
// becomes an ERROR verdict saying what was thrown.
template <typename Fn> int32_t guarded(exaproxy_verdict* v, Fn&& fn) noexcept {
  std::string why;
  try {
    return fn();
  } catch (const std::exception& e) {
    why = e.what();
  } catch (...) {
    why = "unknown";
  }
  // The host logs the reason with the plugin's name and applies the on_error policy.
  try {
    api()->verdict_set_reason(v, str("exception: " + why));
  } catch (...) {
  }
  return EXAPROXY_ERROR;
}

inline int32_t runHook(Instance* inst, Verdict (Plugin::*member)(Txn&), exaproxy_txn* txn,
                       exaproxy_verdict* v) noexcept {
  return guarded(v, [&] {
    Txn tx(txn, inst->host.raw());
    return ((*inst->plugin).*member)(tx).fill(v);
  });
}

// Deletes the per-transaction data this layer created (Txn::emplaceData).
inline void dropData(Instance* inst, exaproxy_txn* txn) noexcept {
  auto* slot = static_cast<SlotBase*>(api()->txn_data(txn, inst->host.raw()));
  if (!slot)
    return;
  api()->txn_set_data(txn, inst->host.raw(), nullptr);
  delete slot;
}

// DropData: no on_done is registered and this is the plugin's only transaction hook, so nothing
// can read the transaction's data after it: delete it before returning.
template <Verdict (Plugin::*Hook)(Txn&), bool DropData>
int32_t hook(void* instance, exaproxy_txn* txn, exaproxy_verdict* v) noexcept {
  auto* inst = static_cast<Instance*>(instance);
  int32_t action = runHook(inst, Hook, txn, v);
  if constexpr (DropData)
    dropData(inst, txn);
  return action;
}

inline int32_t body(void* instance, exaproxy_txn* txn, int32_t which, exaproxy_str data,
                    uint32_t flags, exaproxy_verdict* v) noexcept {
  auto* inst = static_cast<Instance*>(instance);
  return guarded(v, [&] {
    Txn tx(txn, inst->host.raw());
    return inst->plugin
        ->onBody(tx, static_cast<Message>(which), view(data), (flags & EXAPROXY_BODY_END) != 0)
        .fill(v);
  });
}

inline void done(void* instance, exaproxy_txn* txn, const exaproxy_summary* s) noexcept {
  auto* inst = static_cast<Instance*>(instance);
  Txn tx(txn, inst->host.raw());
  inst->host.guard([&] {
    Summary sum;
    sum.status = s->status;
    sum.action = static_cast<Action>(s->action);
    sum.bytesIn = s->bytes_in;
    sum.bytesOut = s->bytes_out;
    sum.durationUs = s->duration_us;
    if (EXAPROXY_HAS_FIELD(s, exaproxy_summary, decided_by))
      sum.decidedBy = view(s->decided_by);
    inst->plugin->onDone(tx, sum);
  });
  // The per-transaction data this layer created is freed here, after onDone saw it.
  dropData(inst, txn);
}

inline void connectionClosed(void* instance, uint64_t connectionId) noexcept {
  auto* inst = static_cast<Instance*>(instance);
  inst->host.guard([&] { inst->plugin->onConnectionClose(connectionId); });
}

inline size_t status(void* instance, char* buf, size_t len) noexcept {
  auto* inst = static_cast<Instance*>(instance);
  std::string s;
  inst->host.guard([&] { s = inst->plugin->status(); });
  if (len > 0) {
    size_t n = s.size() < len - 1 ? s.size() : len - 1;
    std::memcpy(buf, s.data(), n);
    buf[n] = '\0';
  }
  return s.size();
}

// overrides_<member><T>: whether T (or a base between it and Plugin) declares its own <member>,
// i.e. &T::member is not Plugin's. A name that cannot be inspected (overloaded, private) counts as
// overridden, so its hook is registered as it always was.
#define EXAPROXY_SDK_OVERRIDES(member)                                                             \
  template <typename T, typename = void> struct overrides_##member : std::true_type {};            \
  template <typename T>                                                                            \
  struct overrides_##member<T, std::void_t<decltype(&T::member)>>                                  \
      : std::bool_constant<!std::is_same_v<decltype(&T::member), decltype(&Plugin::member)>> {};
EXAPROXY_SDK_OVERRIDES(onAccept)
EXAPROXY_SDK_OVERRIDES(onRequest)
EXAPROXY_SDK_OVERRIDES(onConnect)
EXAPROXY_SDK_OVERRIDES(onResponse)
EXAPROXY_SDK_OVERRIDES(onDone)
EXAPROXY_SDK_OVERRIDES(onConnectionClose)
EXAPROXY_SDK_OVERRIDES(onBody)
EXAPROXY_SDK_OVERRIDES(reconfigure)
#undef EXAPROXY_SDK_OVERRIDES

// How the descriptor's reconfigure is chosen: Auto (EXAPROXY_PLUGIN) registers it when T overrides
// reconfigure(); EXAPROXY_PLUGIN_EX says it explicitly.
enum Reconfigurable : int { ReconfigureNo = 0, ReconfigureYes = 1, ReconfigureAuto = 2 };

// The descriptor of plugin class T: only the hooks T overrides. CONNECT requests reach
// onConnect when T overrides it, else onRequest (the host's rule when on_connect is NULL, and
// Plugin::onConnect's default). on_done runs when T overrides onDone or has more than one
// transaction hook (data kept with Txn::emplaceData may travel between them and is freed there);
// with a single hook, the hook frees it.
template <typename T, int Reconf>
constexpr exaproxy_plugin describe(const char* name, const char* version, const char* vendor,
                                   const char* description) {
  static_assert(std::is_base_of_v<Plugin, T>,
                "EXAPROXY_PLUGIN: T must derive from exaproxy::sdk::Plugin");
  constexpr bool withAccept = overrides_onAccept<T>::value;
  constexpr bool withRequest = overrides_onRequest<T>::value;
  constexpr bool withConnect = overrides_onConnect<T>::value;
  constexpr bool withResponse = overrides_onResponse<T>::value;
  constexpr bool withBody = overrides_onBody<T>::value;
  constexpr bool severalHooks =
      int(withAccept) + int(withRequest) + int(withConnect) + int(withResponse) + int(withBody) > 1;
  constexpr bool withDone = overrides_onDone<T>::value || severalHooks;
  constexpr bool drop = !withDone;
  constexpr bool reconf =
      Reconf == ReconfigureAuto ? overrides_reconfigure<T>::value : Reconf == ReconfigureYes;
  exaproxy_plugin d{};
  d.size = EXAPROXY_PLUGIN_SIZE;
  d.abi_major = EXAPROXY_ABI_MAJOR;
  d.abi_minor = EXAPROXY_TARGET_ABI_MINOR;
  d.name = name;
  d.version = version;
  d.vendor = vendor;
  d.create = &create<T>;
  d.reconfigure = reconf ? &reconfigure : nullptr;
  d.destroy = &destroy;
  d.on_accept = withAccept ? &hook<&Plugin::onAccept, drop> : nullptr;
  d.on_request_head = withRequest ? &hook<&Plugin::onRequest, drop> : nullptr;
  d.on_connect = withConnect ? &hook<&Plugin::onConnect, drop> : nullptr;
  d.on_response_head = withResponse ? &hook<&Plugin::onResponse, drop> : nullptr;
  d.on_done = withDone ? &done : nullptr;
  d.status = &status;
  d.description = description; // read only by hosts of 1.1 and later (size)
  // Read only by hosts of 1.5 and later, and only when the plugin targets 1.5 (size).
  d.on_connection_close = overrides_onConnectionClose<T>::value ? &connectionClosed : nullptr;
  // Read only by hosts of 1.7 and later, and only when the plugin targets 1.7 (size).
  d.on_body = withBody ? &body : nullptr;
  return d;
}

} // namespace detail
} // namespace exaproxy::sdk

// Exports plugin class T (constructible from exaproxy::sdk::Host&) as this library's plugin, with
// the hooks it overrides, and reconfigure() in place when it overrides reconfigure().
#define EXAPROXY_PLUGIN(T, NAME, VERSION, VENDOR, DESCRIPTION)                                     \
  EXAPROXY_PLUGIN_DESCRIBE_(T, NAME, VERSION, VENDOR, DESCRIPTION,                                 \
                            ::exaproxy::sdk::detail::ReconfigureAuto)

// The same, saying whether reconfigure() is registered (older code; EXAPROXY_PLUGIN detects it).
#define EXAPROXY_PLUGIN_EX(T, NAME, VERSION, VENDOR, DESCRIPTION, RECONFIGURABLE)                  \
  EXAPROXY_PLUGIN_DESCRIBE_(T, NAME, VERSION, VENDOR, DESCRIPTION,                                 \
                            (RECONFIGURABLE) ? ::exaproxy::sdk::detail::ReconfigureYes             \
                                             : ::exaproxy::sdk::detail::ReconfigureNo)

// The descriptor is a constant in the entry function (not in an inline function: no symbol the
// dynamic loader would have to keep unique).
#define EXAPROXY_PLUGIN_DESCRIBE_(T, NAME, VERSION, VENDOR, DESCRIPTION, RECONF)                   \
  extern "C" EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {                  \
    static constexpr exaproxy_plugin descriptor =                                                  \
        ::exaproxy::sdk::detail::describe<T, (RECONF)>(NAME, VERSION, VENDOR, DESCRIPTION);        \
    return &descriptor;                                                                            \
  }
