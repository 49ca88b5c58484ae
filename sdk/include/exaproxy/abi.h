/* ExaProxy plugin ABI: the only contract between the proxy ("the host") and a plugin (".so").
 *
 * Pure C, standard headers only, so that a plugin built with any compiler (or any language with a
 * C FFI) keeps loading across host releases. Rules (sdk/README.md explains them at length):
 *
 *  - Names: every type is exaproxy_<name>, every macro and enum value EXAPROXY_<NAME>; the plugin
 *    exports exactly one symbol, exaproxy_plugin_entry (EXAPROXY_ENTRY_SYMBOL).
 *  - Growth: every struct starts with `uint32_t size` (sizeof as compiled by whoever filled it);
 *    fields, table entries and enum values are only appended (abi_version.h has the history).
 *    The reader of a struct uses a field only when `size` covers it (EXAPROXY_HAS_FIELD).
 *  - Strings are exaproxy_str views {ptr, len}, not NUL-terminated. OWNERSHIP is written beside
 *    every pointer. "Borrowed" means: valid for the duration of the call that handed it out.
 *    The host never frees plugin memory and the plugin never frees host memory, except where a
 *    function says it takes or gives ownership (verdict_new / complete / verdict_free).
 *  - Threads: THREAD is written beside every hook and host function. Hooks on a transaction run
 *    on that transaction's event-loop thread and must not block: do slow work after answering
 *    EXAPROXY_PENDING (submit() runs it on the host's worker pool).
 *  - No exception and no longjmp may cross this boundary: a plugin that unwinds into the host is
 *    undefined behaviour. plugin.hpp catches every exception for C++ plugins.
 */
#ifndef EXAPROXY_ABI_H
#define EXAPROXY_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "exaproxy/abi_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The one symbol a plugin exports (see exaproxy_plugin_entry at the end of this file). */
#define EXAPROXY_ENTRY_SYMBOL "exaproxy_plugin_entry"

/* True when a struct filled by the other side (its `size` first) is large enough to hold `field`.
 */
#define EXAPROXY_HAS_FIELD(ptr, type, field)                                                       \
  ((ptr)->size >= offsetof(type, field) + sizeof(((type*)0)->field))

#if defined(__GNUC__) || defined(__clang__)
#define EXAPROXY_EXPORT __attribute__((visibility("default")))
#else
#define EXAPROXY_EXPORT
#endif

/* A borrowed, not NUL-terminated string view. ptr may be NULL when len is 0. */
typedef struct exaproxy_str {
  const char* ptr;
  size_t len;
} exaproxy_str;

/* Opaque handles. The host owns all of them; the plugin only passes them back. */
typedef struct exaproxy_host exaproxy_host;       /* one per plugin instance, valid from create()
                                                     until destroy() returns */
typedef struct exaproxy_txn exaproxy_txn;         /* one HTTP request or CONNECT tunnel; valid only
                                                     during a hook call, on its loop thread */
typedef struct exaproxy_verdict exaproxy_verdict; /* what a hook decided: a builder filled through
                                                     the verdict_* functions */

/* A PENDING transaction's handle: safe to keep, copy and use from any thread at any time. It is
 * checked against a generation counter, so using it after the transaction ended (the client
 * left, the plugin timed out) is a harmless no-op. 0 is never a valid handle. */
typedef uint64_t exaproxy_pending;

/* Verdicts (hook return values, int32_t). Append-only. */
enum {
  EXAPROXY_CONTINUE = 0, /* no opinion: the next plugin runs */
  EXAPROXY_REWRITE = 1,  /* URL and/or headers were changed through the host API; the chain
                            CONTINUES with the modified request */
  EXAPROXY_ROUTE = 2,    /* connect to verdict_set_route()'s host:port instead, the request
                            unchanged (host substitution). Ends the chain */
  EXAPROXY_REDIRECT = 3, /* answer 3xx (default 302) with verdict_set_location(). Ends the chain */
  EXAPROXY_RESPOND = 4,  /* answer locally: status (default 200), headers, body or file. Ends it */
  EXAPROXY_DENY = 5,     /* the host's error page (default 403) with verdict_set_reason() in the
                            log and on the page. Ends the chain */
  EXAPROXY_PENDING = 6,  /* the plugin answers later through complete(); take the handle with
                            pending_handle() BEFORE returning this */
  EXAPROXY_ERROR = 7,    /* the plugin failed: the operator's on_error policy applies (allow: the
                            chain continues; deny: the request is denied). Ends the chain */
  EXAPROXY_HOLD = 8      /* on_body only (ABI 1.7): keep this call's data (body_held) and pass on
                            only the verdict's body, if it has one */
};

/* Log levels; they map one to one to the host's levels (spdlog). */
enum {
  EXAPROXY_LOG_TRACE = 0,
  EXAPROXY_LOG_DEBUG = 1,
  EXAPROXY_LOG_INFO = 2,
  EXAPROXY_LOG_WARN = 3,
  EXAPROXY_LOG_ERROR = 4,
  EXAPROXY_LOG_CRITICAL = 5
};

/* Which message a header function works on. */
enum {
  EXAPROXY_REQUEST = 0, /* the client's request (every hook after accept) */
  EXAPROXY_RESPONSE = 1 /* the origin's response (on_response_head only) */
};

/* Metric kinds for metric_define(). */
enum {
  EXAPROXY_METRIC_COUNTER = 0, /* monotonic: metric_add() with delta >= 0 */
  EXAPROXY_METRIC_GAUGE = 1    /* metric_set() or metric_add() with any delta */
};

/* Header edits a verdict carries (verdict_edit_header, ABI 1.2). */
enum {
  EXAPROXY_HEADER_SET = 0,   /* replace every field of that name by one (added if absent) */
  EXAPROXY_HEADER_ADD = 1,   /* append one more field */
  EXAPROXY_HEADER_REMOVE = 2 /* remove every field of that name (the value is ignored) */
};

/* What a plugin may do to the chain (declare_traits, ABI 1.3), so that the host can warn about an
 * order that half-applies a policy (`exaproxy --check`). Bits; append-only. */
enum {
  EXAPROXY_TRAIT_ROUTES = 1u << 0,       /* may answer EXAPROXY_ROUTE: the request is forwarded
                                            and the plugins after it do not run */
  EXAPROXY_TRAIT_EDITS_REQUEST = 1u << 1 /* edits the request (URL or headers) and so must run
                                            before any plugin that routes it */
};

/* What a descriptor watch waits for and reports (watch_add, watch_set; ABI 1.4). Bits. */
enum {
  EXAPROXY_WATCH_READ = 1u << 0, /* readable: data, the peer's end (EOF), or an error */
  EXAPROXY_WATCH_WRITE = 1u << 1 /* writable, or an error (a write then says which) */
};

/* Flags of a transaction note (note_set, verdict_set_note; ABI 1.5). Bits; append-only. */
enum {
  EXAPROXY_NOTE_LOG = 1u << 0 /* also written in the access log's last field, as key=value */
};

/* Flags of an on_body call (ABI 1.7). Bits; append-only. */
enum {
  EXAPROXY_BODY_END = 1u << 0 /* the body's last call: no data follows (data may be empty) */
};

/* Flags of body_want (ABI 1.7). Bits; append-only. */
enum {
  EXAPROXY_WANT_DECODED = 1u << 0, /* the data decoded from its Content-Encoding (gzip, x-gzip,
                                      deflate), re-encoded the same way for the client */
  EXAPROXY_WANT_PLAIN = 1u << 1    /* with DECODED: the client gets the output plain, without
                                      Content-Encoding */
};

/* Bounds of notes (ABI 1.5): longer keys or values, or more notes, are refused. */
#define EXAPROXY_NOTE_KEY_MAX 64
#define EXAPROXY_NOTE_VALUE_MAX 1024
#define EXAPROXY_NOTES_MAX 64

/* Callbacks on the instance's event loop (ABI 1.4). THREAD: that loop. They must not block and
 * must not unwind (no exception, no longjmp). */
typedef void (*exaproxy_loop_fn)(void* arg);
typedef void (*exaproxy_watch_fn)(void* arg, int fd, uint32_t events);

/* Return codes of host functions that can fail. */
enum {
  EXAPROXY_OK = 0,
  EXAPROXY_E_INVALID = -1,     /* bad argument (CR/LF/NUL in a value, bad URL, unknown id...) */
  EXAPROXY_E_UNAVAILABLE = -2, /* not available here (response headers at request time...) */
  EXAPROXY_E_NOT_FOUND = -3,   /* no such header / setting index */
  EXAPROXY_E_STALE = -4,       /* complete(): the transaction is gone or timed out (no-op) */
  EXAPROXY_E_TWICE = -5        /* complete(): already completed (ignored, counted) */
};

/* One configuration entry of the plugin's .conf (DESIGN.md "conf.d"), or of a --set override
 * (file "--set", line = the option's position). Filled by the host through setting_get(). */
typedef struct exaproxy_setting {
  uint32_t size;     /* set by the PLUGIN to sizeof(exaproxy_setting) before setting_get() */
  uint32_t line;     /* 1-based line in file */
  exaproxy_str file; /* OWNERSHIP: host; valid until create()/reconfigure() returns */
  exaproxy_str section;
  exaproxy_str key;
  exaproxy_str value;
} exaproxy_setting;

/* What happened to a transaction, given to on_done(). Filled by the host (size = host's sizeof). */
typedef struct exaproxy_summary {
  uint32_t size;
  int32_t status;          /* status sent to the client, 0 if none (client left) */
  int32_t action;          /* the final verdict of the chain (EXAPROXY_CONTINUE if none) */
  uint32_t reserved;       /* alignment; always 0 */
  uint64_t bytes_in;       /* bytes received from the client (head and body) */
  uint64_t bytes_out;      /* bytes sent to the client */
  uint64_t duration_us;    /* from request head to the end */
  exaproxy_str decided_by; /* OWNERSHIP: host, borrowed: name of the plugin that ended the chain */
} exaproxy_summary;

/* The host's services. OWNERSHIP: host; the table is valid from create() until destroy()
 * returns and never changes. A plugin built against an older minor simply sees a shorter table;
 * one built against a newer minor must check `size` (EXAPROXY_HAS_FIELD) before calling an entry
 * newer than the host it runs on (abi_minor). */
typedef struct exaproxy_host_api {
  uint32_t size;
  uint16_t abi_major; /* the host's ABI */
  uint16_t abi_minor;

  /* ---- logging. THREAD: any. The host adds plugin=<name> to every line. ---- */
  void (*log)(exaproxy_host* host, int32_t level, exaproxy_str message);

  /* ---- configuration. THREAD: the thread running create()/reconfigure(), during that call. ----
   */
  /* Number of entries in the plugin's configuration (everything of its .conf except [plugin]). */
  size_t (*setting_count)(exaproxy_host* host);
  /* Fills *out (out->size set by the plugin) with entry `index`. EXAPROXY_E_NOT_FOUND past the end.
   */
  int32_t (*setting_get)(exaproxy_host* host, size_t index, exaproxy_setting* out);
  /* Reports a configuration problem at the entry's file:line (index = SIZE_MAX: no entry). The
   * operator sees "file:line: [section] key: message"; create() must then return NULL
   * (reconfigure() nonzero). */
  void (*config_error)(exaproxy_host* host, size_t index, exaproxy_str message);

  /* ---- metrics, shown in the UI by name and in /metrics as the family
   * exaproxy_plugin_<name>_<metric> (<name> the descriptor's, a counter with _total appended
   * once) labelled plugin="<conf.d entry>", with the kind and help given here. ---- */
  /* THREAD: during create() only. Returns an id >= 0, or EXAPROXY_E_INVALID. Name: [a-z0-9_]+. */
  int32_t (*metric_define)(exaproxy_host* host, int32_t kind, exaproxy_str name, exaproxy_str help);
  /* THREAD: any; lock-free. Unknown ids are ignored. */
  void (*metric_add)(exaproxy_host* host, int32_t id, int64_t delta);
  void (*metric_set)(exaproxy_host* host, int32_t id, int64_t value);

  /* ---- the request. THREAD: the transaction's loop, during a hook. Returned views are
   * OWNERSHIP host, valid until the hook returns or until the plugin changes that same item. ----
   */
  exaproxy_str (*req_method)(exaproxy_txn* txn);
  /* "http://host[:port]/path?query", or "host:port" for CONNECT. */
  exaproxy_str (*req_url)(exaproxy_txn* txn);
  int32_t (*req_is_connect)(exaproxy_txn* txn);
  exaproxy_str (*req_host)(exaproxy_txn* txn); /* lowercase; IPv6 without brackets */
  uint16_t (*req_port)(exaproxy_txn* txn);
  exaproxy_str (*req_path)(exaproxy_txn* txn); /* path and query; empty for CONNECT */
  /* Replace the URL (same forms as req_url; a bare "/path" changes only the path). The Host header
   * sent upstream follows. Return EXAPROXY_REWRITE afterwards. EXAPROXY_E_INVALID if malformed. */
  int32_t (*req_set_url)(exaproxy_txn* txn, exaproxy_str url);
  int32_t (*req_set_host)(exaproxy_txn* txn, exaproxy_str host, uint16_t port);
  int32_t (*req_set_path)(exaproxy_txn* txn, exaproxy_str path_and_query); /* not for CONNECT */

  /* ---- headers of `which` (EXAPROXY_REQUEST / EXAPROXY_RESPONSE). THREAD: loop, during a hook.
   * Names are case-insensitive. Setters copy; they refuse (EXAPROXY_E_INVALID) names that are not
   * tokens, values with CR, LF or NUL, and framing fields the host owns (Host, Content-Length,
   * Transfer-Encoding: use req_set_url / req_set_host instead). ---- */
  int32_t (*header_get)(exaproxy_txn* txn, int32_t which, exaproxy_str name, size_t nth,
                        exaproxy_str* value_out);
  size_t (*header_count)(exaproxy_txn* txn, int32_t which);
  int32_t (*header_at)(exaproxy_txn* txn, int32_t which, size_t index, exaproxy_str* name_out,
                       exaproxy_str* value_out);
  int32_t (*header_set)(exaproxy_txn* txn, int32_t which, exaproxy_str name, exaproxy_str value);
  int32_t (*header_add)(exaproxy_txn* txn, int32_t which, exaproxy_str name, exaproxy_str value);
  /* Returns the number of fields removed (>= 0) or an error. */
  int32_t (*header_remove)(exaproxy_txn* txn, int32_t which, exaproxy_str name);
  /* The origin's status (on_response_head), else 0. */
  int32_t (*resp_status)(exaproxy_txn* txn);

  /* ---- identity: the client as later plugins and the access log see it. THREAD: loop, during
   * a hook. Starts as the TCP peer (or the PROXY protocol source). ---- */
  exaproxy_str (*client_address)(exaproxy_txn* txn);                 /* textual IP, no port */
  int32_t (*client_set_address)(exaproxy_txn* txn, exaproxy_str ip); /* must parse as an IP */
  exaproxy_str (*client_user)(exaproxy_txn* txn);                    /* empty: anonymous */
  int32_t (*client_set_user)(exaproxy_txn* txn, exaproxy_str user);  /* no CR/LF/NUL/space */
  exaproxy_str (*listener_address)(exaproxy_txn* txn);               /* "ip:port" it came in on */

  /* ---- per-transaction slot for this plugin's own data. THREAD: loop, during a hook.
   * OWNERSHIP: the plugin's; free it in on_done(), which always runs once per transaction. ---- */
  void* (*txn_data)(exaproxy_txn* txn, exaproxy_host* host);
  void (*txn_set_data)(exaproxy_txn* txn, exaproxy_host* host, void* data);

  /* ---- verdict details. THREAD: loop for the verdict a hook received; any thread for one from
   * verdict_new(). Strings are copied. ---- */
  void (*verdict_set_status)(exaproxy_verdict* v, int32_t status);
  void (*verdict_set_reason)(exaproxy_verdict* v, exaproxy_str reason); /* log + DENY page */
  void (*verdict_set_route)(exaproxy_verdict* v, exaproxy_str host, uint16_t port);
  void (*verdict_set_location)(exaproxy_verdict* v, exaproxy_str location);
  /* Extra response header for RESPOND / REDIRECT. EXAPROXY_E_INVALID for CR/LF/NUL. */
  int32_t (*verdict_add_header)(exaproxy_verdict* v, exaproxy_str name, exaproxy_str value);
  void (*verdict_set_body)(exaproxy_verdict* v, exaproxy_str body, exaproxy_str content_type);
  /* RESPOND with the contents of a file (read by the host when it answers). */
  void (*verdict_set_file)(exaproxy_verdict* v, exaproxy_str path, exaproxy_str content_type);
  /* OWNERSHIP: the caller owns the result until it passes it to complete() or verdict_free(). */
  exaproxy_verdict* (*verdict_new)(void);
  void (*verdict_free)(exaproxy_verdict* v);

  /* ---- asynchronous verdicts. ---- */
  /* THREAD: loop, during on_request_head / on_connect. The handle to complete() later; return
   * EXAPROXY_PENDING from the hook. The host waits at most the plugin's `timeout`, then applies
   * the operator's on_timeout policy. */
  exaproxy_pending (*pending_handle)(exaproxy_txn* txn);
  /* THREAD: ANY. Delivers the verdict (any value but PENDING) to the transaction's loop.
   * OWNERSHIP: `v` (may be NULL) is taken by the host whatever the result. Returns EXAPROXY_OK,
   * EXAPROXY_E_STALE (the transaction is gone or timed out: a harmless no-op) or EXAPROXY_E_TWICE
   * (a second complete(): ignored and counted). */
  int32_t (*complete)(exaproxy_pending handle, int32_t action, exaproxy_verdict* v);
  /* THREAD: any. Runs work(arg) on the host's worker pool (blocking allowed), then done(arg)
   * exactly once: on txn's loop thread when txn is given (THREAD: loop, during a hook; done runs
   * even if the transaction ended meanwhile, so arg can be freed), else on the worker thread.
   * done may be NULL. The plugin stays loaded until done returned. EXAPROXY_E_UNAVAILABLE
   * without a pool (then neither function runs). */
  int32_t (*submit)(exaproxy_host* host, exaproxy_txn* txn, void (*work)(void* arg),
                    void (*done)(void* arg), void* arg);

  /* ---- 1.1 ---- */
  /* THREAD: loop, during a hook. Process-unique, increasing; the access log shows it. */
  uint64_t (*txn_id)(exaproxy_txn* txn);

  /* ---- 1.2 ---- */
  /* Request edits carried by a verdict, so that a verdict completed from any thread can rewrite
   * the request. THREAD: any (a verdict is used by one thread at a time: the hook's own on the
   * loop during the hook, one from verdict_new() by whoever holds it). Strings are copied. The
   * edits are kept in call order and applied by the host on the transaction's loop when the
   * verdict is delivered with EXAPROXY_REWRITE, whether a request hook returned it or complete()
   * delivered it; then the chain continues as for any REWRITE. With any other action (and in
   * on_response_head / on_accept) they are ignored. */
  /* Replace the URL: the same forms as req_set_url ("http://host[:port]/path?query", a bare
   * "/path?query", "host:port" for CONNECT); the Host header follows. EXAPROXY_E_INVALID when the
   * URL fits no form. A URL that does not fit the request it is applied to (a "/path" for a
   * CONNECT...) is found at apply time: the plugin's on_error policy then applies (logged), and
   * none of the verdict's edits is made. */
  int32_t (*verdict_set_url)(exaproxy_verdict* v, exaproxy_str url);
  /* Edit a REQUEST header: op is EXAPROXY_HEADER_SET, _ADD or _REMOVE (value ignored). The same
   * rules as header_set: EXAPROXY_E_INVALID for a name that is not a token, a value with CR, LF
   * or NUL, a field the host owns (Host, Content-Length, Transfer-Encoding) or an unknown op. */
  int32_t (*verdict_edit_header)(exaproxy_verdict* v, int32_t op, exaproxy_str name,
                                 exaproxy_str value);

  /* Pages rendered by the host from its templates directory ([server] templates), so that the
   * operator styles every page in one place. */
  /* THREAD: any; it looks at the disk, so call it from create()/reconfigure() (to validate a
   * configuration) or a worker, not from a hook. 1 if <templates>/<name>.html exists ("error"
   * always does: error.html or the built-in page), 0 if not, EXAPROXY_E_INVALID for a name that
   * is not [A-Za-z0-9_-]+ (64 characters at most), EXAPROXY_E_UNAVAILABLE when the host has no
   * configuration to tell (exaproxy --verify-plugin). */
  int32_t (*template_exists)(exaproxy_host* host, exaproxy_str name);
  /* THREAD: as verdict_set_status. With EXAPROXY_DENY or EXAPROXY_RESPOND, the answer's body is
   * <templates>/<template_name>.html rendered by the host when it answers, Content-Type
   * "text/html; charset=utf-8" (a template missing then is logged and error.html, else the
   * built-in page, is used). status: 0 keeps the verdict's status (DENY 403, RESPOND 200), else
   * 100-599, as verdict_set_status (a DENY below 400 still becomes 403). vars: `nvars` (at most
   * 256) name/value PAIRS, i.e. 2 * nvars strings (name0, value0, name1, value1, ...), copied;
   * OWNERSHIP caller, borrowed for the call; may be NULL when nvars is 0. Names are
   * [A-Za-z0-9_.-]+ (64 characters at most). The host adds its own variables first: status,
   * reason (the status phrase), detail (verdict_set_reason), url, host, method, client, user,
   * proxy, time (an HTTP date), plugin (the descriptor's name); a plugin variable of the same name
   * replaces the host's. Every value is HTML-escaped; {{unknown}} placeholders stay as they are.
   * EXAPROXY_E_INVALID (nothing changed) for a bad status, name or variable name, or too many
   * variables. The last call wins. */
  int32_t (*verdict_set_page)(exaproxy_verdict* v, int32_t status, exaproxy_str template_name,
                              const exaproxy_str* vars, size_t nvars);

  /* ---- 1.3 ---- */
  /* THREAD: any. 1 when the host created this instance only to validate its configuration
   * (`exaproxy --check`, `exaproxy --verify-plugin`), 0 when it serves traffic. In check mode,
   * create() reads and validates everything it would use (settings, lists, rules, templates) and
   * reports each problem through config_error() exactly as when serving, but starts no process,
   * thread or timer, opens no socket, writes no file and loads nothing large it does not need to
   * validate; no hook is called and destroy() follows at once. A plugin built for an older minor
   * cannot see this: the host creates and destroys it as usual (it may then start what it
   * starts). */
  int32_t (*check_mode)(exaproxy_host* host);
  /* THREAD: the thread running create()/reconfigure(), during that call. What this instance may
   * do with its current configuration: EXAPROXY_TRAIT_* bits, replacing any earlier call (a
   * headers plugin without request rules declares none). The host only uses them to check the
   * chain's order (a request-editing plugin after a router is reported by --check and logged at
   * start and on SIGHUP); the verdicts a plugin returns are never limited by them. Unknown bits
   * are ignored. */
  void (*declare_traits)(exaproxy_host* host, uint32_t traits);

  /* ---- 1.4: the instance's event loop ----
   * One of the host's event-loop threads is this instance's for its whole life. There it may
   * watch its own descriptors (a helper's pipes, a socket to a service) and run timers, instead
   * of running a thread of its own, so that its I/O costs no thread hop and no context switch.
   * Callbacks run on that loop, between transactions' events, and must not block any more than
   * a hook may. Ids are > 0 and never reused by the instance. Before destroy() the host removes
   * every watch and timer the instance still has and drops the functions it posted and that have
   * not run yet (they never run: free nothing in them), so destroy() may close the descriptors.
   * In check mode, and on a host without loops (--verify-plugin), every entry answers
   * EXAPROXY_E_UNAVAILABLE: keep a fallback (a thread) or refuse. */
  /* THREAD: any. Runs fn(arg) on the instance's loop, soon, in call order. Before the loops
   * start (create() at start-up) it is kept and runs once they do. EXAPROXY_OK, or
   * EXAPROXY_E_UNAVAILABLE (fn will never run), EXAPROXY_E_INVALID for a NULL fn. */
  int32_t (*loop_post)(exaproxy_host* host, exaproxy_loop_fn fn, void* arg);
  /* THREAD: any. 1 when called on the instance's loop, else 0. */
  int32_t (*loop_is_current)(exaproxy_host* host);
  /* THREAD: the instance's loop (EXAPROXY_E_UNAVAILABLE elsewhere). Watches fd, level-triggered:
   * fn(arg, fd, ready) runs while fd is ready for any of `events` (EXAPROXY_WATCH_* bits; 0 keeps
   * the watch registered but quiet). An error or hang-up is reported as whichever of READ and
   * WRITE is watched. The fd stays the plugin's: the host never reads, writes or closes it. Remove
   * the watch BEFORE closing the fd. Returns the watch id (> 0), or EXAPROXY_E_INVALID (a bad or
   * already watched fd, unknown bits, NULL fn). */
  int64_t (*watch_add)(exaproxy_host* host, int fd, uint32_t events, exaproxy_watch_fn fn,
                       void* arg);
  /* THREAD: the instance's loop. Changes what a watch waits for (no system call when
   * unchanged). EXAPROXY_OK, EXAPROXY_E_NOT_FOUND, EXAPROXY_E_INVALID (unknown bits, or the fd
   * was closed under the watch: nothing changed; remove the watch). */
  int32_t (*watch_set)(exaproxy_host* host, int64_t watch, uint32_t events);
  /* THREAD: the instance's loop; also from the watch's own callback. After it returns, fn is not
   * called again for this watch. EXAPROXY_OK or EXAPROXY_E_NOT_FOUND. */
  int32_t (*watch_remove)(exaproxy_host* host, int64_t watch);
  /* THREAD: the instance's loop. A one-shot timer: fn(arg) runs on the loop once delay_us (in
   * microseconds, rounded up to the loop's millisecond clock) has passed. Returns its id (> 0),
   * EXAPROXY_E_INVALID for a NULL fn. */
  int64_t (*timer_start)(exaproxy_host* host, uint64_t delay_us, exaproxy_loop_fn fn, void* arg);
  /* THREAD: the instance's loop. A timer not yet run never runs. EXAPROXY_OK, or
   * EXAPROXY_E_NOT_FOUND (it ran already, or no such timer). */
  int32_t (*timer_cancel)(exaproxy_host* host, int64_t timer);

  /* ---- 1.5: connections, notes, the user from any thread ----
   * Client connections have ids, so that a plugin can keep state for one connection across its
   * requests (an NTLM or Negotiate handshake is bound to its connection) and drop it when the
   * connection closes (exaproxy_plugin.on_connection_close). Notes are key=value strings a
   * plugin attaches to a transaction: later plugins read them (an external ACL's group or tag
   * reaching an ACL), and those set with EXAPROXY_NOTE_LOG are written in the access log. */
  /* THREAD: the transaction's loop. The client connection's id: nonzero, unique in the process,
   * the same for every transaction of one connection (and for its on_accept). */
  uint64_t (*conn_id)(exaproxy_txn* txn);
  /* THREAD: the transaction's loop, during a hook. Sets note `key` (replacing its value and flags
   * if it is set; a new key is added after the others). Key: 1 to EXAPROXY_NOTE_KEY_MAX bytes of
   * [A-Za-z0-9_.-]; value: at most EXAPROXY_NOTE_VALUE_MAX bytes, no control byte. At most
   * EXAPROXY_NOTES_MAX notes. EXAPROXY_OK or EXAPROXY_E_INVALID. */
  int32_t (*note_set)(exaproxy_txn* txn, exaproxy_str key, exaproxy_str value, uint32_t flags);
  /* THREAD: the transaction's loop. *value_out (OWNERSHIP: host, borrowed until the next note_set
   * of this transaction) gets note `key` (exact, case-sensitive). EXAPROXY_OK or
   * EXAPROXY_E_NOT_FOUND. */
  int32_t (*note_get)(exaproxy_txn* txn, exaproxy_str key, exaproxy_str* value_out);
  /* THREAD: the transaction's loop. How many notes the transaction has, and note `index` in the
   * order they were first set (EXAPROXY_E_NOT_FOUND past the end); outputs borrowed as above.
   * flags_out may be NULL. */
  size_t (*note_count)(exaproxy_txn* txn);
  int32_t (*note_at)(exaproxy_txn* txn, size_t index, exaproxy_str* key_out,
                     exaproxy_str* value_out, uint32_t* flags_out);
  /* THREAD: as the verdict's other setters (any thread for one from verdict_new). A note the
   * verdict carries: set (as note_set) when the host applies the verdict on the loop, whatever
   * its action but EXAPROXY_ERROR (and not when the host refuses the verdict itself: edits that
   * do not fit, a REDIRECT without a location), so that a PENDING verdict completed from another
   * thread can leave notes. Same rules as note_set; EXAPROXY_OK or EXAPROXY_E_INVALID. */
  int32_t (*verdict_set_note)(exaproxy_verdict* v, exaproxy_str key, exaproxy_str value,
                              uint32_t flags);
  /* THREAD: as above. The user the verdict establishes (as client_set_user when applied: the
   * user later plugins, helpers and the access log see). No CR/LF/NUL/space, at most 256 bytes;
   * EXAPROXY_OK or EXAPROXY_E_INVALID. */
  int32_t (*verdict_set_user)(exaproxy_verdict* v, exaproxy_str user);

  /* ---- 1.6: the client's port ---- */
  /* THREAD: the transaction's loop. The client's TCP source port, as the client address is
   * (client_address: after PROXY protocol, the port its header carries); what Squid's external
   * ACL format calls %SRCPORT. 0 when none is known (a PROXY header of kind LOCAL). */
  uint16_t (*client_port)(exaproxy_txn* txn);

  /* ---- 1.7: bodies (issue #18) ----
   * A plugin with an on_body hook may ask, per transaction, for the response body and for the
   * request body (an upload): its on_body then sees that body's data in order, after the
   * transfer framing is removed (chunk sizes, trailers) but with any Content-Encoding kept as the
   * sender sent it (gzip stays gzip). Bodies nobody asked for cost nothing. The plugins that
   * asked see the body one after the other in chain order, each one the previous one's output.
   * A body whose plugins may change it is sent on re-framed, its head held back until the first
   * output: the sender's Content-Length is dropped, and the receiver gets chunked framing (the
   * origin, an HTTP/1.1 client), the length when the whole body was known before its first byte
   * went out (a plugin held all of it), or the end of the connection (an HTTP/1.0 client). A
   * client's "Expect: 100-continue" is answered by the host when the request body is read.
   * Messages without a body (HEAD responses, 1xx, 204, 304) and CONNECT tunnels (their bytes are
   * encrypted) never reach on_body. */
  /* THREAD: the transaction's loop, during on_request_head, on_connect (nothing: tunnels have no
   * body) or on_response_head. Asks for the body of `which`: EXAPROXY_RESPONSE (the origin's
   * response to this request) or EXAPROXY_REQUEST (the client's, in on_request_head only: later
   * it has gone). `flags`: EXAPROXY_WANT_* bits, per body. With EXAPROXY_WANT_DECODED, every
   * plugin that asked for this body sees it decoded (one decoding per body), bounded by the
   * host's [limits] max_decoded_body and max_decode_ratio (beyond them, the on_error policy of
   * each plugin that asked for decoding: deny refuses the response, allow lifts the bound); a
   * Content-Encoding the host cannot decode (br, several codings) is an on_error case too.
   * Asked in on_request_head, it also narrows the request's Accept-Encoding to what the host
   * decodes (for EXAPROXY_RESPONSE). EXAPROXY_OK; EXAPROXY_E_UNAVAILABLE when the plugin has no
   * on_body hook, for a CONNECT, or for EXAPROXY_REQUEST outside on_request_head;
   * EXAPROXY_E_INVALID for another `which` or unknown flags. Asking twice adds the flags. */
  int32_t (*body_want)(exaproxy_txn* txn, int32_t which, uint32_t flags);
  /* THREAD: the transaction's loop, during on_body. What this plugin holds of the body so far
   * (the data of its calls answered EXAPROXY_HOLD since it last passed or replaced them; not the
   * current call's data). OWNERSHIP: host, borrowed until the hook returns. Empty elsewhere. */
  exaproxy_str (*body_held)(exaproxy_txn* txn);
  /* THREAD: as the verdict's other setters. For on_body's REWRITE and HOLD: what the plugin holds
   * after this call, instead of nothing (REWRITE) or what it held and this data (HOLD); copied.
   * So a plugin can send what it has processed and keep a tail (a word cut in two by a piece's
   * end). Ignored with other verdicts. EXAPROXY_OK or EXAPROXY_E_INVALID. */
  int32_t (*verdict_hold_body)(exaproxy_verdict* v, exaproxy_str data);
} exaproxy_host_api;

/* What the plugin exports. OWNERSHIP: the plugin; static storage, valid while it is loaded. */
typedef struct exaproxy_plugin {
  uint32_t size;       /* EXAPROXY_PLUGIN_SIZE: sizeof(exaproxy_plugin) as of abi_minor */
  uint16_t abi_major;  /* EXAPROXY_ABI_MAJOR as the plugin was compiled */
  uint16_t abi_minor;  /* EXAPROXY_TARGET_ABI_MINOR (default: the headers' EXAPROXY_ABI_MINOR) */
  const char* name;    /* NUL-terminated, static: "deny_hosts" */
  const char* version; /* "1.2.0" */
  const char* vendor;  /* "Example Corp" */

  /* THREAD: the host's main thread (startup, SIGHUP). Returns the instance, or NULL after
   * config_error()/log() said why (the plugin is then refused and the proxy keeps running).
   * `api` and `host` stay valid until destroy() returns. Required. */
  void* (*create)(const exaproxy_host_api* api, exaproxy_host* host);
  /* THREAD: main, WHILE hooks run on loop threads: swap your configuration atomically. New
   * settings are read through setting_get() during the call. Returns 0, or nonzero after
   * config_error() (the instance must keep its old configuration). Optional: when NULL, the host
   * creates a new instance and destroys the old one after its last transaction. */
  int32_t (*reconfigure)(void* instance);
  /* THREAD: any (whichever drops the last reference), once, after every hook, submit() job and
   * on_done() of this instance has returned. Join your own threads here. Required. */
  void (*destroy)(void* instance);

  /* Hooks; each optional (NULL: not called). THREAD: the transaction's loop. Must not block. */
  /* A connection was accepted (no request yet: only client/listener addresses and the verdict
   * are usable). CONTINUE, or DENY to close it. Synchronous only. */
  int32_t (*on_accept)(void* instance, exaproxy_txn* txn, exaproxy_verdict* v);
  /* A request head (CONNECT included when on_connect is NULL). Any verdict. */
  int32_t (*on_request_head)(void* instance, exaproxy_txn* txn, exaproxy_verdict* v);
  /* A CONNECT request: req_url is "host:port". Any verdict. */
  int32_t (*on_connect)(void* instance, exaproxy_txn* txn, exaproxy_verdict* v);
  /* The origin's response head: edit EXAPROXY_RESPONSE headers and return CONTINUE/REWRITE, or
   * RESPOND / REDIRECT / DENY to replace the response. Synchronous only (no PENDING, no ROUTE). */
  int32_t (*on_response_head)(void* instance, exaproxy_txn* txn, exaproxy_verdict* v);
  /* The transaction ended (always called once per transaction that reached a request hook,
   * whatever happened): account, free txn_data. `summary` OWNERSHIP host, borrowed. */
  void (*on_done)(void* instance, exaproxy_txn* txn, const exaproxy_summary* summary);
  /* THREAD: any (the UI). Writes a JSON value (NUL-terminated if it fits) into buf and returns its
   * length, like snprintf; the host calls again with a larger buffer if needed. Optional. */
  size_t (*status)(void* instance, char* buf, size_t len);

  /* ---- 1.1 ---- */
  const char* description; /* one line for the UI; may be NULL */

  /* ---- 1.5 ---- */
  /* THREAD: the connection's loop. A client connection that reached the plugins (its accept hooks
   * ran) has closed: forget what was kept for conn_id. Called once per connection and instance
   * serving then, after the on_done of the connection's last transaction. Optional. */
  void (*on_connection_close)(void* instance, uint64_t conn_id);

  /* ---- 1.7 ---- */
  /* THREAD: the transaction's loop. Data of a body this plugin asked for (body_want): `which`
   * says whose, `data` (OWNERSHIP host, borrowed for the call) is the next piece, `flags` has
   * EXAPROXY_BODY_END on the last call (exactly one per body; its data may be empty). What goes
   * on to the next plugin (and finally to the receiver) depends on the verdict:
   *   CONTINUE  what the plugin held, then this data, unchanged;
   *   REWRITE   the verdict's body (verdict_set_body; its content type is ignored) instead of
   *             what was held and this data: any length, empty drops them. The plugin then
   *             holds nothing, or what verdict_hold_body gave;
   *   HOLD      nothing but the verdict's body, if set; the plugin holds what it held and this
   *             data (body_held), or what verdict_hold_body gave instead.
   * The host keeps at most the plugin's [plugin] body_hold_max bytes (default 1 MiB) held and
   * then applies its on_error policy; on the last call (EXAPROXY_BODY_END) nothing may stay
   * held (nothing is left to wait for: a HOLD there is an ERROR);
   *   RESPOND, REDIRECT, DENY  the whole response is replaced by this answer when no byte of it
   *             has reached the client yet (so a plugin that holds the data can still block on
   *             what it sees; a request body's origin, which has at most part of it, has its
   *             connection cut); later, the client's connection is closed, so a truncated body
   *             is never taken for a complete one;
   *   ERROR     the on_error policy: allow passes what was held and this data on, and this
   *             plugin sees no more of this body; deny answers 503 as above.
   *   PENDING   (pending_handle() first) the verdict comes later through complete(), from any
   *             thread, and does then what it would have done returned here; meanwhile the host
   *             reads no further than its buffers hold. [plugin] timeout and on_timeout apply.
   *             Use verdict_set_body / verdict_hold_body on the verdict, not body_held (which
   *             is the loop's).
   * Must not block. Optional. */
  int32_t (*on_body)(void* instance, exaproxy_txn* txn, int32_t which, exaproxy_str data,
                     uint32_t flags, exaproxy_verdict* v);
} exaproxy_plugin;

/* The entry symbol. THREAD: main. Called once after loading; returns static data. */
typedef const exaproxy_plugin* (*exaproxy_plugin_entry_fn)(void);
EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void);

/* ---- Targeting an older host ----
 * A descriptor declares the minor its plugin needs; a host loads it when that minor is not newer
 * than its own. By default a plugin declares the minor of the headers it was built with
 * (EXAPROXY_ABI_MINOR), so it loads only on hosts at least that new. To run on older hosts as
 * well, define EXAPROXY_TARGET_ABI_MINOR (exaproxy_add_plugin(... ABI 1.<minor>) does it) and
 * fill the descriptor's first fields with EXAPROXY_PLUGIN_SIZE and EXAPROXY_TARGET_ABI_MINOR:
 *   .size = EXAPROXY_PLUGIN_SIZE, .abi_major = EXAPROXY_ABI_MAJOR,
 *   .abi_minor = EXAPROXY_TARGET_ABI_MINOR, ...
 * The descriptor then has the size it had in that minor (its later fields are not read), and the
 * plugin must check EXAPROXY_HAS_FIELD(api, exaproxy_host_api, entry) before calling a host
 * entry newer than the target (plugin.hpp does so for C++ plugins). */
#ifndef EXAPROXY_TARGET_ABI_MINOR
#define EXAPROXY_TARGET_ABI_MINOR EXAPROXY_ABI_MINOR
#endif
#if EXAPROXY_TARGET_ABI_MINOR > EXAPROXY_ABI_MINOR || EXAPROXY_TARGET_ABI_MINOR < 0
#error "EXAPROXY_TARGET_ABI_MINOR must be a minor of these headers (0 to EXAPROXY_ABI_MINOR)"
#endif
/* sizeof(exaproxy_plugin) as of ABI 1.<minor>: 1.0 ended before `description` (1.1), 1.1 to 1.4
 * before `on_connection_close` (1.5), 1.5 and 1.6 before `on_body` (1.7). */
#define EXAPROXY_PLUGIN_SIZE_AS_OF(minor)                                                          \
  ((minor) >= 7   ? (uint32_t)sizeof(exaproxy_plugin)                                              \
   : (minor) >= 5 ? (uint32_t)offsetof(exaproxy_plugin, on_body)                                   \
   : (minor) >= 1 ? (uint32_t)offsetof(exaproxy_plugin, on_connection_close)                       \
                  : (uint32_t)offsetof(exaproxy_plugin, description))
#define EXAPROXY_PLUGIN_SIZE EXAPROXY_PLUGIN_SIZE_AS_OF(EXAPROXY_TARGET_ABI_MINOR)

#ifdef __cplusplus
}
#endif

#endif /* EXAPROXY_ABI_H */
