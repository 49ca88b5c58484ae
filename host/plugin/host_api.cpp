// Every exaproxy_host_api function. They are called by plugin code, so each one checks its
// arguments (a NULL handle or a bad value answers an error code, never a crash) and none throws:
// a C caller cannot catch. Functions documented "THREAD: loop, during a hook" trust that the
// plugin keeps that rule: they touch loop-owned state without locks.
#include "plugin/host_api.h"

#include "core/config.h"
#include "core/ip_address.h"
#include "core/safe_text.h"
#include "http/error_pages.h"
#include "http/header_map.h"
#include "http/request_parser.h"
#include "http/response_parser.h"
#include "plugin/body_hooks.h"
#include "plugin/loaded_plugin.h"
#include "plugin/pending_verdict.h"
#include "plugin/plugin_chain.h"
#include "plugin/plugin_loop.h"
#include "plugin/plugin_transaction.h"
#include "plugin/txn_state.h"
#include "plugin/url_edit.h"
#include "workers/worker_pool.h"

#include <spdlog/logger.h>

#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace exaproxy::plugin {

namespace {

std::string_view sv(exaproxy_str s) {
  return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}
exaproxy_str str(std::string_view s) { return exaproxy_str{s.data(), s.size()}; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) { return http::iequals(a, b); }

// ---- logging, configuration, metrics -----------------------------------------------------------

void hostLog(exaproxy_host* host, int32_t level, exaproxy_str message) {
  if (!host || !host->log)
    return;
  int l = level < EXAPROXY_LOG_TRACE ? EXAPROXY_LOG_TRACE : level;
  l = l > EXAPROXY_LOG_CRITICAL ? EXAPROXY_LOG_CRITICAL : l;
  try {
    // A plugin's message may carry a helper's output: one log line, no terminal control.
    host->log->log(static_cast<spdlog::level::level_enum>(l), "plugin={} {}", host->name,
                   safeText(sv(message)));
  } catch (...) { // formatting or sink failure: never into plugin code
  }
}

size_t hostSettingCount(exaproxy_host* host) {
  return host && host->settings ? host->settings->size() : 0;
}

int32_t hostSettingGet(exaproxy_host* host, size_t index, exaproxy_setting* out) {
  if (!host || !out || out->size < sizeof(uint32_t))
    return EXAPROXY_E_INVALID;
  if (!host->settings || index >= host->settings->size())
    return EXAPROXY_E_NOT_FOUND;
  const ConfigEntry& e = (*host->settings)[index];
  // Write only what the plugin's struct has room for (it may be an older, smaller one).
  exaproxy_setting full{};
  full.size = out->size;
  full.line = static_cast<uint32_t>(e.line);
  full.file = str(e.file);
  full.section = str(e.section);
  full.key = str(e.key);
  full.value = str(e.value);
  size_t n = out->size < sizeof full ? out->size : sizeof full;
  std::memcpy(static_cast<void*>(out), &full, n);
  return EXAPROXY_OK;
}

void hostConfigError(exaproxy_host* host, size_t index, exaproxy_str message) {
  if (!host)
    return;
  ConfigError err;
  if (host->settings && index < host->settings->size()) {
    const ConfigEntry& e = (*host->settings)[index];
    err = ConfigError{e.file, e.line, e.section, e.key, std::string(sv(message))};
  } else {
    err.file = host->name;
    err.message = std::string(sv(message));
  }
  host->configErrors.push_back(err.toString());
}

bool validMetricName(std::string_view n) {
  if (n.empty() || n.size() > 64)
    return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

int32_t hostMetricDefine(exaproxy_host* host, int32_t kind, exaproxy_str name, exaproxy_str help) {
  if (!host || !host->defining || !validMetricName(sv(name)) ||
      (kind != EXAPROXY_METRIC_COUNTER && kind != EXAPROXY_METRIC_GAUGE))
    return EXAPROXY_E_INVALID;
  for (const auto& m : host->metrics)
    if (m->name == sv(name))
      return EXAPROXY_E_INVALID;
  auto m = std::make_unique<PluginMetric>();
  m->name = std::string(sv(name));
  m->help = std::string(sv(help));
  m->kind = kind;
  host->metrics.push_back(std::move(m));
  return static_cast<int32_t>(host->metrics.size() - 1);
}

PluginMetric* metricById(exaproxy_host* host, int32_t id) {
  if (!host || id < 0 || static_cast<size_t>(id) >= host->metrics.size())
    return nullptr;
  return host->metrics[static_cast<size_t>(id)].get();
}

void hostMetricAdd(exaproxy_host* host, int32_t id, int64_t delta) {
  if (auto* m = metricById(host, id))
    m->value.fetch_add(delta, std::memory_order_relaxed);
}

void hostMetricSet(exaproxy_host* host, int32_t id, int64_t value) {
  if (auto* m = metricById(host, id))
    m->value.store(value, std::memory_order_relaxed);
}

// ---- request ------------------------------------------------------------------------------------

exaproxy_str reqMethod(exaproxy_txn* t) { return t && t->req ? str(t->req->method) : str({}); }

exaproxy_str reqUrl(exaproxy_txn* t) {
  if (!t || !t->req)
    return str({});
  t->urlCache.clear(); // keeps its capacity: a plugin asking again costs no allocation
  t->req->appendUrl(t->urlCache);
  return str(t->urlCache);
}

int32_t reqIsConnect(exaproxy_txn* t) { return t && t->req && t->req->isConnect() ? 1 : 0; }
exaproxy_str reqHost(exaproxy_txn* t) { return t && t->req ? str(t->req->host) : str({}); }
uint16_t reqPort(exaproxy_txn* t) { return t && t->req ? t->req->port : 0; }
exaproxy_str reqPath(exaproxy_txn* t) {
  return t && t->req && !t->req->isConnect() ? str(t->req->pathAndQuery) : str({});
}

// Request edits are refused once the request is on its way (response hook).
bool requestEditable(exaproxy_txn* t) { return t && t->req && !t->resp; }

int32_t reqSetUrl(exaproxy_txn* t, exaproxy_str url) {
  if (!requestEditable(t))
    return EXAPROXY_E_UNAVAILABLE;
  if (!setRequestUrl(*t->req, sv(url)))
    return EXAPROXY_E_INVALID;
  t->rewritten = true;
  markChange(*t, kChangedUrl);
  return EXAPROXY_OK;
}

int32_t reqSetHost(exaproxy_txn* t, exaproxy_str host, uint16_t port) {
  if (!requestEditable(t))
    return EXAPROXY_E_UNAVAILABLE;
  if (!setRequestHost(*t->req, sv(host), port))
    return EXAPROXY_E_INVALID;
  t->rewritten = true;
  markChange(*t, kChangedUrl);
  return EXAPROXY_OK;
}

int32_t reqSetPath(exaproxy_txn* t, exaproxy_str path) {
  if (!requestEditable(t))
    return EXAPROXY_E_UNAVAILABLE;
  if (!setRequestPath(*t->req, sv(path)))
    return EXAPROXY_E_INVALID;
  t->rewritten = true;
  markChange(*t, kChangedUrl);
  return EXAPROXY_OK;
}

// ---- headers ------------------------------------------------------------------------------------

http::HeaderMap* headersOf(exaproxy_txn* t, int32_t which) {
  if (!t)
    return nullptr;
  if (which == EXAPROXY_REQUEST)
    return t->req ? &t->req->headers : nullptr;
  if (which == EXAPROXY_RESPONSE)
    return t->resp ? &t->resp->headers : nullptr;
  return nullptr;
}

// Fields whose framing or routing meaning the host owns: editing them could desynchronise the
// proxy and the origin (request smuggling) or bypass the host's routing.
bool hostOwnedField(int32_t which, std::string_view name) {
  if (equalsIgnoreCase(name, "content-length") || equalsIgnoreCase(name, "transfer-encoding"))
    return true;
  return which == EXAPROXY_REQUEST && equalsIgnoreCase(name, "host");
}

int32_t headerGet(exaproxy_txn* t, int32_t which, exaproxy_str name, size_t nth,
                  exaproxy_str* out) {
  auto* h = headersOf(t, which);
  if (!h)
    return EXAPROXY_E_UNAVAILABLE;
  size_t seen = 0;
  for (const auto& f : h->fields()) {
    if (!equalsIgnoreCase(f.name, sv(name)))
      continue;
    if (seen++ == nth) {
      if (out)
        *out = str(f.value);
      return EXAPROXY_OK;
    }
  }
  return EXAPROXY_E_NOT_FOUND;
}

size_t headerCount(exaproxy_txn* t, int32_t which) {
  auto* h = headersOf(t, which);
  return h ? h->size() : 0;
}

int32_t headerAt(exaproxy_txn* t, int32_t which, size_t index, exaproxy_str* name,
                 exaproxy_str* value) {
  auto* h = headersOf(t, which);
  if (!h)
    return EXAPROXY_E_UNAVAILABLE;
  if (index >= h->size())
    return EXAPROXY_E_NOT_FOUND;
  const auto& f = h->fields()[index];
  if (name)
    *name = str(f.name);
  if (value)
    *value = str(f.value);
  return EXAPROXY_OK;
}

// A request header changed (`n` fields): the request is rewritten, by this link.
void noteRequestHeaderEdit(exaproxy_txn* t, int32_t which, std::string_view name, int32_t n) {
  if (which != EXAPROXY_REQUEST || n <= 0)
    return;
  t->rewritten = true;
  markHeaderChange(*t, name);
}

int32_t checkHeaderEdit(exaproxy_txn* t, int32_t which, std::string_view name,
                        std::string_view value) {
  if (!headersOf(t, which) || (which == EXAPROXY_REQUEST && t->resp))
    return EXAPROXY_E_UNAVAILABLE;
  if (!validHeaderName(name) || !validHeaderValue(value) || hostOwnedField(which, name))
    return EXAPROXY_E_INVALID;
  return EXAPROXY_OK;
}

int32_t headerSet(exaproxy_txn* t, int32_t which, exaproxy_str name, exaproxy_str value) {
  if (int32_t rc = checkHeaderEdit(t, which, sv(name), sv(value)); rc != EXAPROXY_OK)
    return rc;
  headersOf(t, which)->set(sv(name), sv(value));
  noteRequestHeaderEdit(t, which, sv(name), 1);
  return EXAPROXY_OK;
}

int32_t headerAdd(exaproxy_txn* t, int32_t which, exaproxy_str name, exaproxy_str value) {
  if (int32_t rc = checkHeaderEdit(t, which, sv(name), sv(value)); rc != EXAPROXY_OK)
    return rc;
  headersOf(t, which)->add(sv(name), sv(value));
  noteRequestHeaderEdit(t, which, sv(name), 1);
  return EXAPROXY_OK;
}

int32_t headerRemove(exaproxy_txn* t, int32_t which, exaproxy_str name) {
  if (int32_t rc = checkHeaderEdit(t, which, sv(name), {}); rc != EXAPROXY_OK)
    return rc;
  auto* h = headersOf(t, which);
  auto n = static_cast<int32_t>(h->count(sv(name)));
  h->remove(sv(name));
  noteRequestHeaderEdit(t, which, sv(name), n);
  return n;
}

int32_t respStatus(exaproxy_txn* t) { return t && t->resp ? t->resp->status : 0; }

// ---- identity, slot -----------------------------------------------------------------------------

exaproxy_str clientAddress(exaproxy_txn* t) { return t ? str(t->identity.address) : str({}); }

int32_t clientSetAddress(exaproxy_txn* t, exaproxy_str ip) {
  if (!t)
    return EXAPROXY_E_INVALID;
  auto parsed = IpAddress::parse(sv(ip));
  if (!parsed)
    return EXAPROXY_E_INVALID;
  t->identity.address = parsed->toString();
  markChange(*t, kSetIdentity);
  return EXAPROXY_OK;
}

exaproxy_str clientUser(exaproxy_txn* t) { return t ? str(t->identity.user) : str({}); }

bool validUser(std::string_view u) {
  return u.size() <= 256 &&
         u.find_first_of(std::string_view("\r\n\0 \t", 5)) == std::string_view::npos;
}

int32_t clientSetUser(exaproxy_txn* t, exaproxy_str user) {
  if (!t)
    return EXAPROXY_E_INVALID;
  auto u = sv(user);
  if (!validUser(u))
    return EXAPROXY_E_INVALID;
  t->identity.user = std::string(u);
  markChange(*t, kSetIdentity);
  return EXAPROXY_OK;
}

exaproxy_str listenerAddress(exaproxy_txn* t) {
  if (!t)
    return str({});
  if (t->listener.empty()) { // formatted once, when a plugin asks (most never do)
    try {
      t->listener = t->listenerEndpoint.toString();
    } catch (...) {
      return str({});
    }
  }
  return str(t->listener);
}

size_t linkIndex(exaproxy_txn* t, exaproxy_host* host) {
  if (!t || !t->chain || !host)
    return SIZE_MAX;
  const auto& links = t->chain->links();
  for (size_t i = 0; i < links.size(); ++i)
    if (links[i].plugin->host() == host)
      return i;
  return SIZE_MAX;
}

void* txnData(exaproxy_txn* t, exaproxy_host* host) {
  size_t i = linkIndex(t, host);
  return i < t->data.size() ? t->data[i] : nullptr;
}

void txnSetData(exaproxy_txn* t, exaproxy_host* host, void* data) {
  size_t i = linkIndex(t, host);
  if (i == SIZE_MAX)
    return;
  if (t->data.size() <= i && !data)
    return; // a missing slot already reads as null: nothing to allocate
  if (t->data.size() <= i)
    t->data.resize(t->chain->links().size(), nullptr);
  t->data[i] = data;
}

// ---- verdicts -----------------------------------------------------------------------------------

void verdictSetStatus(exaproxy_verdict* v, int32_t status) {
  if (v && status >= 100 && status <= 599)
    v->outcome.status = status;
}
void verdictSetReason(exaproxy_verdict* v, exaproxy_str reason) {
  if (v)
    v->outcome.reason = safeText(sv(reason)); // shown in logs and on the deny page
}
void verdictSetRoute(exaproxy_verdict* v, exaproxy_str host, uint16_t port) {
  if (!v)
    return;
  v->outcome.routeHost = std::string(sv(host));
  v->outcome.routePort = port;
}
void verdictSetLocation(exaproxy_verdict* v, exaproxy_str location) {
  if (v)
    v->outcome.location = std::string(sv(location));
}
int32_t verdictAddHeader(exaproxy_verdict* v, exaproxy_str name, exaproxy_str value) {
  if (!v || !validHeaderName(sv(name)) || !validHeaderValue(sv(value)) ||
      hostOwnedField(EXAPROXY_RESPONSE, sv(name)))
    return EXAPROXY_E_INVALID;
  try {
    v->outcome.headers.emplace_back(std::string(sv(name)), std::string(sv(value)));
  } catch (...) {
    return EXAPROXY_E_INVALID;
  }
  return EXAPROXY_OK;
}
void verdictSetBody(exaproxy_verdict* v, exaproxy_str body, exaproxy_str contentType) {
  if (!v)
    return;
  v->outcome.body = std::string(sv(body));
  v->outcome.contentType = std::string(sv(contentType));
  v->outcome.file.clear();
}
void verdictSetFile(exaproxy_verdict* v, exaproxy_str path, exaproxy_str contentType) {
  if (!v)
    return;
  v->outcome.file = std::string(sv(path));
  v->outcome.contentType = std::string(sv(contentType));
  v->outcome.body.clear();
}
exaproxy_verdict* verdictNew() { return new (std::nothrow) exaproxy_verdict(); }
void verdictFree(exaproxy_verdict* v) { delete v; }

// ---- async --------------------------------------------------------------------------------------

exaproxy_pending pendingHandle(exaproxy_txn* t) {
  if (!t || !t->owner || !t->allowPending)
    return 0;
  if (t->taken == 0)
    t->taken = t->owner->allocatePending();
  return t->taken;
}

int32_t complete(exaproxy_pending handle, int32_t action, exaproxy_verdict* v) {
  std::shared_ptr<exaproxy_verdict> owned(v); // ours whatever happens
  return PendingTable::instance().complete(handle, action, std::move(owned));
}

int32_t submit(exaproxy_host* host, exaproxy_txn* txn, void (*work)(void*), void (*done)(void*),
               void* arg) {
  if (!host || !host->plugin || !work)
    return EXAPROXY_E_INVALID;
  workers::WorkerPool* pool = txn && txn->pool ? txn->pool : host->pool;
  if (!pool)
    return EXAPROXY_E_UNAVAILABLE;
  try {
    // The job keeps the plugin (and its library) alive until `done` returned.
    std::shared_ptr<LoadedPlugin> keep = host->plugin->shared_from_this();
    if (txn && txn->loop) {
      pool->submit([work, arg] { work(arg); }, *txn->loop,
                   [keep, done, arg] {
                     if (done)
                       done(arg);
                   });
    } else {
      pool->submit([keep, work, done, arg] {
        work(arg);
        if (done)
          done(arg);
      });
    }
  } catch (const std::exception&) {
    return EXAPROXY_E_UNAVAILABLE;
  }
  return EXAPROXY_OK;
}

uint64_t txnId(exaproxy_txn* t) { return t ? t->id : 0; }

// ---- 1.2: request edits in a verdict, pages ----------------------------------------------------

int32_t verdictSetUrl(exaproxy_verdict* v, exaproxy_str url) {
  if (!v)
    return EXAPROXY_E_INVALID;
  try {
    if (!plausibleRequestUrl(sv(url)))
      return EXAPROXY_E_INVALID;
    v->edits.push_back(RequestEdit{RequestEdit::Kind::Url, std::string(sv(url)), {}});
  } catch (...) {
    return EXAPROXY_E_INVALID;
  }
  return EXAPROXY_OK;
}

int32_t verdictEditHeader(exaproxy_verdict* v, int32_t op, exaproxy_str name, exaproxy_str value) {
  RequestEdit::Kind kind;
  switch (op) {
  case EXAPROXY_HEADER_SET:
    kind = RequestEdit::Kind::HeaderSet;
    break;
  case EXAPROXY_HEADER_ADD:
    kind = RequestEdit::Kind::HeaderAdd;
    break;
  case EXAPROXY_HEADER_REMOVE:
    kind = RequestEdit::Kind::HeaderRemove;
    value = exaproxy_str{nullptr, 0};
    break;
  default:
    return EXAPROXY_E_INVALID;
  }
  if (!v || !validHeaderName(sv(name)) || !validHeaderValue(sv(value)) ||
      hostOwnedField(EXAPROXY_REQUEST, sv(name)))
    return EXAPROXY_E_INVALID;
  try {
    v->edits.push_back(RequestEdit{kind, std::string(sv(name)), std::string(sv(value))});
  } catch (...) {
    return EXAPROXY_E_INVALID;
  }
  return EXAPROXY_OK;
}

int32_t checkMode(exaproxy_host* host) { return host && host->checkMode ? 1 : 0; }

void declareTraits(exaproxy_host* host, uint32_t traits) {
  if (!host || !host->settings) // only during create()/reconfigure()
    return;
  host->traits.store(traits & (EXAPROXY_TRAIT_ROUTES | EXAPROXY_TRAIT_EDITS_REQUEST),
                     std::memory_order_relaxed);
}

// ---- 1.4: the instance's event loop (plugin_loop.h) -------------------------------------------
// A plugin callback that throws would unwind into the loop: the binding calls plain C pointers,
// and plugin.hpp's wrappers catch.

LoopBinding* binding(exaproxy_host* host) { return host ? host->loop.get() : nullptr; }

int32_t loopPost(exaproxy_host* host, exaproxy_loop_fn fn, void* arg) {
  LoopBinding* b = binding(host);
  if (!b)
    return host ? EXAPROXY_E_UNAVAILABLE : EXAPROXY_E_INVALID;
  try {
    return b->post(fn, arg);
  } catch (...) {
    return EXAPROXY_E_UNAVAILABLE;
  }
}

int32_t loopIsCurrent(exaproxy_host* host) {
  LoopBinding* b = binding(host);
  return b && b->current() ? 1 : 0;
}

int64_t watchAdd(exaproxy_host* host, int fd, uint32_t events, exaproxy_watch_fn fn, void* arg) {
  LoopBinding* b = binding(host);
  if (!b)
    return host ? EXAPROXY_E_UNAVAILABLE : EXAPROXY_E_INVALID;
  try {
    return b->addWatch(fd, events, fn, arg);
  } catch (...) {
    return EXAPROXY_E_UNAVAILABLE;
  }
}

int32_t watchSet(exaproxy_host* host, int64_t watch, uint32_t events) {
  LoopBinding* b = binding(host);
  return b ? b->setWatch(watch, events) : EXAPROXY_E_UNAVAILABLE;
}

int32_t watchRemove(exaproxy_host* host, int64_t watch) {
  LoopBinding* b = binding(host);
  return b ? b->removeWatch(watch) : EXAPROXY_E_UNAVAILABLE;
}

int64_t timerStart(exaproxy_host* host, uint64_t delayUs, exaproxy_loop_fn fn, void* arg) {
  LoopBinding* b = binding(host);
  if (!b)
    return host ? EXAPROXY_E_UNAVAILABLE : EXAPROXY_E_INVALID;
  try {
    return b->startTimer(delayUs, fn, arg);
  } catch (...) {
    return EXAPROXY_E_UNAVAILABLE;
  }
}

int32_t timerCancel(exaproxy_host* host, int64_t timer) {
  LoopBinding* b = binding(host);
  return b ? b->cancelTimer(timer) : EXAPROXY_E_UNAVAILABLE;
}

int32_t templateExists(exaproxy_host* host, exaproxy_str name) {
  if (!host || !http::validTemplateName(sv(name)))
    return EXAPROXY_E_INVALID;
  if (sv(name) == "error")
    return 1; // error.html, or the built-in page
  try {
    std::optional<std::filesystem::path> dir;
    {
      std::lock_guard lock(host->templatesMutex);
      dir = host->templates;
    }
    if (!dir)
      return EXAPROXY_E_UNAVAILABLE;
    if (dir->empty())
      return 0;
    std::error_code ec;
    return std::filesystem::is_regular_file(*dir / (std::string(sv(name)) + ".html"), ec) ? 1 : 0;
  } catch (...) {
    return EXAPROXY_E_UNAVAILABLE;
  }
}

bool validVariableName(std::string_view n) {
  if (n.empty() || n.size() > 64)
    return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-'))
      return false;
  return true;
}

constexpr size_t kMaxPageVariables = 256;

int32_t verdictSetPage(exaproxy_verdict* v, int32_t status, exaproxy_str templateName,
                       const exaproxy_str* vars, size_t nvars) {
  if (!v || !http::validTemplateName(sv(templateName)) ||
      (status != 0 && (status < 100 || status > 599)) || (nvars > 0 && !vars) ||
      nvars > kMaxPageVariables)
    return EXAPROXY_E_INVALID;
  try {
    Page page;
    page.name = std::string(sv(templateName));
    page.vars.reserve(nvars);
    for (size_t i = 0; i < nvars; ++i) {
      std::string_view n = sv(vars[2 * i]);
      if (!validVariableName(n))
        return EXAPROXY_E_INVALID;
      page.vars.emplace_back(std::string(n), std::string(sv(vars[2 * i + 1])));
    }
    v->outcome.page = std::move(page);
    if (status != 0)
      v->outcome.status = status;
  } catch (...) {
    return EXAPROXY_E_INVALID;
  }
  return EXAPROXY_OK;
}

// ---- 1.5: connections, notes, the user from any thread ------------------------------------------

uint64_t connId(exaproxy_txn* t) { return t ? t->connection : 0; }

// ---- 1.6 ---------------------------------------------------------------------------------------

uint16_t clientPort(exaproxy_txn* t) { return t ? t->clientPort : 0; }

int32_t noteSet(exaproxy_txn* t, exaproxy_str key, exaproxy_str value, uint32_t flags) {
  if (!t)
    return EXAPROXY_E_INVALID;
  try {
    return setNote(t->notes, sv(key), sv(value), flags) ? EXAPROXY_OK : EXAPROXY_E_INVALID;
  } catch (...) {
    return EXAPROXY_E_INVALID;
  }
}

int32_t noteGet(exaproxy_txn* t, exaproxy_str key, exaproxy_str* value) {
  const Note* n = t ? findNote(t->notes, sv(key)) : nullptr;
  if (!n)
    return EXAPROXY_E_NOT_FOUND;
  if (value)
    *value = str(n->value);
  return EXAPROXY_OK;
}

size_t noteCount(exaproxy_txn* t) { return t ? t->notes.size() : 0; }

int32_t noteAt(exaproxy_txn* t, size_t index, exaproxy_str* key, exaproxy_str* value,
               uint32_t* flags) {
  if (!t || index >= t->notes.size())
    return EXAPROXY_E_NOT_FOUND;
  const Note& n = t->notes[index];
  if (key)
    *key = str(n.key);
  if (value)
    *value = str(n.value);
  if (flags)
    *flags = n.flags;
  return EXAPROXY_OK;
}

int32_t verdictSetNote(exaproxy_verdict* v, exaproxy_str key, exaproxy_str value, uint32_t flags) {
  if (!v)
    return EXAPROXY_E_INVALID;
  try {
    return setNote(v->notes, sv(key), sv(value), flags) ? EXAPROXY_OK : EXAPROXY_E_INVALID;
  } catch (...) {
    return EXAPROXY_E_INVALID;
  }
}

int32_t verdictSetUser(exaproxy_verdict* v, exaproxy_str user) {
  if (!v || !validUser(sv(user)))
    return EXAPROXY_E_INVALID;
  try {
    v->user = std::string(sv(user));
  } catch (...) {
    return EXAPROXY_E_INVALID;
  }
  return EXAPROXY_OK;
}

const exaproxy_host_api kApi = {
    sizeof(exaproxy_host_api),
    EXAPROXY_ABI_MAJOR,
    EXAPROXY_ABI_MINOR,
    hostLog,
    hostSettingCount,
    hostSettingGet,
    hostConfigError,
    hostMetricDefine,
    hostMetricAdd,
    hostMetricSet,
    reqMethod,
    reqUrl,
    reqIsConnect,
    reqHost,
    reqPort,
    reqPath,
    reqSetUrl,
    reqSetHost,
    reqSetPath,
    headerGet,
    headerCount,
    headerAt,
    headerSet,
    headerAdd,
    headerRemove,
    respStatus,
    clientAddress,
    clientSetAddress,
    clientUser,
    clientSetUser,
    listenerAddress,
    txnData,
    txnSetData,
    verdictSetStatus,
    verdictSetReason,
    verdictSetRoute,
    verdictSetLocation,
    verdictAddHeader,
    verdictSetBody,
    verdictSetFile,
    verdictNew,
    verdictFree,
    pendingHandle,
    complete,
    submit,
    txnId,
    verdictSetUrl,
    verdictEditHeader,
    templateExists,
    verdictSetPage,
    checkMode,
    declareTraits,
    loopPost,
    loopIsCurrent,
    watchAdd,
    watchSet,
    watchRemove,
    timerStart,
    timerCancel,
    connId,
    noteSet,
    noteGet,
    noteCount,
    noteAt,
    verdictSetNote,
    verdictSetUser,
    clientPort,
    bodyWant,
    bodyHeld,
    verdictHoldBody,
};

} // namespace

const exaproxy_host_api* hostApi() { return &kApi; }

} // namespace exaproxy::plugin
