/* abi12: a test plugin using the ABI 1.2 entries, built for 1.2 hosts (exaproxy_add_plugin(...
 * ABI 1.2): it declares 1.2 whatever the headers' minor. Driven by its settings (any section):
 *   when = pending | sync   pending (default): the verdict is built and completed on a worker
 *                           thread of the host's pool; sync: the hook returns it
 *   delay_ms = 20           pending: how long the worker waits first
 *   action = rewrite | deny | respond | continue   the verdict's action (default rewrite)
 *   url = ...               verdict_set_url
 *   set = Name: value       verdict_edit_header(EXAPROXY_HEADER_SET); add = ... (ADD);
 *   remove = Name           (REMOVE); repeatable, applied in file order with url
 *   template = blocked      verdict_set_page(status, template, vars)
 *   status = 451            the page's status (0: the action's default)
 *   var = name=value        a page variable (repeatable)
 *   reason = ...            verdict_set_reason
 *   require_template = x    create() refuses unless template_exists(x) == 1
 * Metrics: "rc" (gauge) keeps the last nonzero result of a 1.2 call (0: all accepted),
 * "template_rc" what template_exists answered in create(). */
#include <exaproxy/abi.h>

#include "settings_text.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXE 16

typedef struct {
  int op; /* -1: url, else EXAPROXY_HEADER_* */
  char name[MAXS], value[MAXS];
} edit;

typedef struct {
  const exaproxy_host_api* api;
  exaproxy_host* host;
  int pending, delay_ms, status;
  int32_t action;
  char template_name[MAXS], reason[MAXS];
  edit edits[MAXE];
  size_t nedits;
  char var_names[MAXE][MAXS], var_values[MAXE][MAXS];
  size_t nvars;
  int32_t rc_metric, template_metric;
} abi12;

typedef struct {
  abi12* self;
  exaproxy_pending handle;
} job;

static int32_t parse_action(const char* a) {
  if (!strcmp(a, "deny"))
    return EXAPROXY_DENY;
  if (!strcmp(a, "respond"))
    return EXAPROXY_RESPOND;
  if (!strcmp(a, "continue"))
    return EXAPROXY_CONTINUE;
  return EXAPROXY_REWRITE;
}

static void note(abi12* s, int32_t rc) {
  if (rc != EXAPROXY_OK)
    s->api->metric_set(s->host, s->rc_metric, rc);
}

static void* create(const exaproxy_host_api* api, exaproxy_host* host) {
  if (!EXAPROXY_HAS_FIELD(api, exaproxy_host_api, verdict_set_page)) {
    api->config_error(host, SIZE_MAX, S("this host is older than ABI 1.2"));
    return NULL;
  }
  abi12* s = calloc(1, sizeof *s);
  s->api = api;
  s->host = host;
  s->pending = 1;
  s->delay_ms = 20;
  s->action = EXAPROXY_REWRITE;
  s->rc_metric = api->metric_define(host, EXAPROXY_METRIC_GAUGE, S("rc"), S("last 1.2 error"));
  s->template_metric =
      api->metric_define(host, EXAPROXY_METRIC_GAUGE, S("template_rc"), S("template_exists"));
  for (size_t i = 0; i < api->setting_count(host); ++i) {
    exaproxy_setting e = {sizeof e};
    api->setting_get(host, i, &e);
    char value[MAXS];
    copy(value, e.value.ptr, e.value.len);
    if (keyis(e.key, "when")) {
      s->pending = strcmp(value, "sync") != 0;
    } else if (keyis(e.key, "delay_ms")) {
      s->delay_ms = atoi(value);
    } else if (keyis(e.key, "action")) {
      s->action = parse_action(value);
    } else if (keyis(e.key, "status")) {
      s->status = atoi(value);
    } else if (keyis(e.key, "template")) {
      strcpy(s->template_name, value);
    } else if (keyis(e.key, "reason")) {
      strcpy(s->reason, value);
    } else if ((keyis(e.key, "url") || keyis(e.key, "set") || keyis(e.key, "add") ||
                keyis(e.key, "remove")) &&
               s->nedits < MAXE) {
      edit* ed = &s->edits[s->nedits++];
      if (keyis(e.key, "url")) {
        ed->op = -1;
        strcpy(ed->name, value);
      } else if (keyis(e.key, "remove")) {
        ed->op = EXAPROXY_HEADER_REMOVE;
        strcpy(ed->name, value);
      } else {
        ed->op = keyis(e.key, "set") ? EXAPROXY_HEADER_SET : EXAPROXY_HEADER_ADD;
        split(value, ':', ed->name, ed->value);
      }
    } else if (keyis(e.key, "var") && s->nvars < MAXE) {
      split(value, '=', s->var_names[s->nvars], s->var_values[s->nvars]);
      ++s->nvars;
    } else if (keyis(e.key, "require_template")) {
      int32_t rc = api->template_exists(host, S(value));
      api->metric_set(host, s->template_metric, rc);
      if (rc != 1) {
        api->config_error(host, i, S("no such template"));
        free(s);
        return NULL;
      }
    } else {
      api->config_error(host, i, S("unknown key"));
      free(s);
      return NULL;
    }
  }
  return s;
}

static void destroy(void* instance) { free(instance); }

/* Builds the verdict's 1.2 details; any thread. */
static void fill(abi12* s, exaproxy_verdict* v) {
  const exaproxy_host_api* a = s->api;
  if (*s->reason)
    a->verdict_set_reason(v, S(s->reason));
  for (size_t i = 0; i < s->nedits; ++i) {
    const edit* ed = &s->edits[i];
    note(s, ed->op < 0 ? a->verdict_set_url(v, S(ed->name))
                       : a->verdict_edit_header(v, ed->op, S(ed->name), S(ed->value)));
  }
  if (*s->template_name) {
    exaproxy_str vars[2 * MAXE];
    for (size_t i = 0; i < s->nvars; ++i) {
      vars[2 * i] = S(s->var_names[i]);
      vars[2 * i + 1] = S(s->var_values[i]);
    }
    note(s,
         a->verdict_set_page(v, s->status, S(s->template_name), s->nvars ? vars : NULL, s->nvars));
  }
}

static void work(void* arg) {
  job* j = arg;
  abi12* s = j->self;
  struct timespec ts = {s->delay_ms / 1000, (long)(s->delay_ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  exaproxy_verdict* v = s->api->verdict_new();
  fill(s, v);
  note(s, s->api->complete(j->handle, s->action, v));
}

static int32_t on_request(void* instance, exaproxy_txn* txn, exaproxy_verdict* v) {
  abi12* s = instance;
  const exaproxy_host_api* a = s->api;
  if (!s->pending) {
    fill(s, v);
    return s->action;
  }
  job* j = malloc(sizeof *j);
  j->self = s;
  j->handle = a->pending_handle(txn);
  /* No `done` on the loop: the worker completes, the job is freed there (done = free). */
  if (a->submit(s->host, NULL, work, free, j) != EXAPROXY_OK) {
    free(j);
    return EXAPROXY_ERROR;
  }
  return EXAPROXY_PENDING;
}

EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static const exaproxy_plugin d = {
      .size = EXAPROXY_PLUGIN_SIZE,
      .abi_major = EXAPROXY_ABI_MAJOR,
      .abi_minor = EXAPROXY_TARGET_ABI_MINOR, /* 1.2: built with ABI 1.2 (CMakeLists.txt) */
      .name = "abi12",
      .version = "1.0",
      .vendor = "tests",
      .create = create,
      .destroy = destroy,
      .on_request_head = on_request,
      .description = "test plugin using the ABI 1.2 entries",
  };
  return &d;
}
