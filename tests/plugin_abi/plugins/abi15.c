/* abi15: a test plugin using the ABI 1.5 entries (connections, notes, the user from a verdict).
 * Built twice: for 1.5 hosts, and declaring 1.4 (abi15_as_1_4) with the same code, so that a
 * host must not call the on_connection_close its descriptor's size does not cover. Driven by its
 * settings (any section):
 *   when = sync | pending     pending: the verdict is built with verdict_new() and completed on a
 *                             worker thread of the host's pool; sync (default): the hook returns it
 *   action = continue | deny | respond | error | redirect   the verdict's action (default
 *                             continue; redirect has no location: malformed, the host's ERROR)
 *   status = 407              deny / respond: the status
 *   header = Name: value      respond: verdict_add_header (repeatable, in order)
 *   note = key=value          verdict_set_note (repeatable); log_note = key=value: with
 *                             EXAPROXY_NOTE_LOG
 *   txn_note = key=value      note_set in the hook, on the loop (repeatable)
 *   user = name               verdict_set_user
 *   echo = on                 request headers for the origin: X-Conn-Id (conn_id), X-User
 *                             (client_user), X-Notes ("k=v;k=v", every note through note_at) and
 *                             X-Note-Found (note_get of the first txn_note key: its value or "-")
 * On each connection close it logs "connection <id> closed" (info) and counts "closes". Metric
 * "rc" keeps the last nonzero result of a 1.5 call (0: all accepted). */
#include <exaproxy/abi.h>

#include "settings_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 8

typedef struct {
  char key[MAXS], value[MAXS];
  uint32_t flags;
} kv;

typedef struct {
  const exaproxy_host_api* api;
  exaproxy_host* host;
  int pending, status, echo;
  int32_t action;
  char headers[MAXN][2][MAXS];
  size_t nheaders;
  kv notes[MAXN], txn_notes[MAXN];
  size_t nnotes, ntxn_notes;
  char user[MAXS];
  int32_t rc_metric, closes_metric;
} abi15;

typedef struct {
  abi15* self;
  exaproxy_pending handle;
} job;

static void check(abi15* s, int32_t rc) {
  if (rc != EXAPROXY_OK)
    s->api->metric_set(s->host, s->rc_metric, rc);
}

static void* create(const exaproxy_host_api* api, exaproxy_host* host) {
  if (!EXAPROXY_HAS_FIELD(api, exaproxy_host_api, verdict_set_user)) {
    api->config_error(host, SIZE_MAX, S("this host is older than ABI 1.5"));
    return NULL;
  }
  abi15* s = calloc(1, sizeof *s);
  s->api = api;
  s->host = host;
  s->action = EXAPROXY_CONTINUE;
  s->rc_metric = api->metric_define(host, EXAPROXY_METRIC_GAUGE, S("rc"), S("last 1.5 error"));
  s->closes_metric =
      api->metric_define(host, EXAPROXY_METRIC_COUNTER, S("closes"), S("connections closed"));
  for (size_t i = 0; i < api->setting_count(host); ++i) {
    exaproxy_setting e = {sizeof e};
    api->setting_get(host, i, &e);
    char value[MAXS];
    copy(value, e.value.ptr, e.value.len);
    if (keyis(e.key, "when")) {
      s->pending = strcmp(value, "pending") == 0;
    } else if (keyis(e.key, "action")) {
      s->action = !strcmp(value, "deny")       ? EXAPROXY_DENY
                  : !strcmp(value, "respond")  ? EXAPROXY_RESPOND
                  : !strcmp(value, "error")    ? EXAPROXY_ERROR
                  : !strcmp(value, "redirect") ? EXAPROXY_REDIRECT
                                               : EXAPROXY_CONTINUE;
    } else if (keyis(e.key, "status")) {
      s->status = atoi(value);
    } else if (keyis(e.key, "header") && s->nheaders < MAXN) {
      split(value, ':', s->headers[s->nheaders][0], s->headers[s->nheaders][1]);
      ++s->nheaders;
    } else if ((keyis(e.key, "note") || keyis(e.key, "log_note")) && s->nnotes < MAXN) {
      kv* n = &s->notes[s->nnotes++];
      split(value, '=', n->key, n->value);
      n->flags = keyis(e.key, "log_note") ? EXAPROXY_NOTE_LOG : 0;
    } else if (keyis(e.key, "txn_note") && s->ntxn_notes < MAXN) {
      kv* n = &s->txn_notes[s->ntxn_notes++];
      split(value, '=', n->key, n->value);
    } else if (keyis(e.key, "user")) {
      strcpy(s->user, value);
    } else if (keyis(e.key, "echo")) {
      s->echo = strcmp(value, "on") == 0;
    } else {
      api->config_error(host, i, S("unknown key"));
      free(s);
      return NULL;
    }
  }
  return s;
}

static void destroy(void* instance) { free(instance); }

/* The verdict's details; any thread. */
static void fill(abi15* s, exaproxy_verdict* v) {
  const exaproxy_host_api* a = s->api;
  if (s->status)
    a->verdict_set_status(v, s->status);
  if (s->action == EXAPROXY_DENY)
    a->verdict_set_reason(v, S("abi15 says no"));
  for (size_t i = 0; i < s->nheaders; ++i)
    check(s, a->verdict_add_header(v, S(s->headers[i][0]), S(s->headers[i][1])));
  if (s->action == EXAPROXY_RESPOND)
    a->verdict_set_body(v, S("answered by abi15\n"), S("text/plain"));
  for (size_t i = 0; i < s->nnotes; ++i)
    check(s, a->verdict_set_note(v, S(s->notes[i].key), S(s->notes[i].value), s->notes[i].flags));
  if (*s->user)
    check(s, a->verdict_set_user(v, S(s->user)));
}

static void work(void* arg) {
  job* j = arg;
  exaproxy_verdict* v = j->self->api->verdict_new();
  fill(j->self, v);
  check(j->self, j->self->api->complete(j->handle, j->self->action, v));
}

static void echo(abi15* s, exaproxy_txn* txn) {
  const exaproxy_host_api* a = s->api;
  char buf[4 * MAXS];
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)a->conn_id(txn));
  check(s, a->header_set(txn, EXAPROXY_REQUEST, S("X-Conn-Id"), S(buf)));
  exaproxy_str user = a->client_user(txn);
  snprintf(buf, sizeof buf, "%.*s", (int)user.len, user.len ? user.ptr : "");
  check(s, a->header_set(txn, EXAPROXY_REQUEST, S("X-User"), S(*buf ? buf : "-")));
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < a->note_count(txn); ++i) {
    exaproxy_str k, v;
    if (a->note_at(txn, i, &k, &v, NULL) != EXAPROXY_OK)
      continue;
    used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%.*s=%.*s", used ? ";" : "",
                             (int)k.len, k.ptr, (int)v.len, v.ptr);
    if (used >= sizeof buf)
      break;
  }
  check(s, a->header_set(txn, EXAPROXY_REQUEST, S("X-Notes"), S(*buf ? buf : "-")));
  if (s->ntxn_notes) {
    exaproxy_str found;
    int32_t rc = a->note_get(txn, S(s->txn_notes[0].key), &found);
    snprintf(buf, sizeof buf, "%.*s", (int)found.len, found.ptr);
    check(s, a->header_set(txn, EXAPROXY_REQUEST, S("X-Note-Found"),
                           rc == EXAPROXY_OK ? S(buf) : S("-")));
  }
}

static int32_t on_request(void* instance, exaproxy_txn* txn, exaproxy_verdict* v) {
  abi15* s = instance;
  const exaproxy_host_api* a = s->api;
  for (size_t i = 0; i < s->ntxn_notes; ++i)
    check(s, a->note_set(txn, S(s->txn_notes[i].key), S(s->txn_notes[i].value), 0));
  if (s->echo)
    echo(s, txn);
  if (!s->pending) {
    fill(s, v);
    return s->action;
  }
  job* j = malloc(sizeof *j);
  j->self = s;
  j->handle = a->pending_handle(txn);
  if (a->submit(s->host, NULL, work, free, j) != EXAPROXY_OK) {
    free(j);
    return EXAPROXY_ERROR;
  }
  return EXAPROXY_PENDING;
}

static void on_connection_close(void* instance, uint64_t conn) {
  abi15* s = instance;
  char line[64];
  snprintf(line, sizeof line, "connection %llu closed", (unsigned long long)conn);
  s->api->log(s->host, EXAPROXY_LOG_INFO, S(line));
  s->api->metric_add(s->host, s->closes_metric, 1);
}

EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static const exaproxy_plugin d = {
      .size = EXAPROXY_PLUGIN_SIZE,
      .abi_major = EXAPROXY_ABI_MAJOR,
      .abi_minor = EXAPROXY_TARGET_ABI_MINOR,
      .name = "abi15",
      .version = "1.0",
      .vendor = "tests",
      .create = create,
      .destroy = destroy,
      .on_request_head = on_request,
      .description = "test plugin using the ABI 1.5 entries",
      /* Set in both builds; a host reads it only when .size covers it (the 1.5 build). */
      .on_connection_close = on_connection_close,
  };
  return &d;
}
