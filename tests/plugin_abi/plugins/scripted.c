/* scripted: a test plugin whose behaviour comes from its settings, so that one .so can play every
 * role in a chain test. Keys (any section):
 *   label = a            appended to request header X-Chain on every request (ordering checks)
 *   action = continue | rewrite | route | redirect | respond | deny | error | bad | pending
 *   url = ...            rewrite: req_set_url
 *   header = X-Name      rewrite: header_set(X-Name, "set-by-<label>")
 *   route = host         route target host, port from `port`
 *   port = 8080
 *   location = ...       redirect
 *   status = 200
 *   body = ...           respond
 *   reason = ...         deny / error
 *   delay_ms = 10        pending: completes from the worker pool after this long with `then`
 *   then = continue | deny | pending
 *   response_header = X-Name   on_response_head sets X-Name: <label>
 *   response_action = continue | respond | route
 * Metric "done" counts on_done calls; "complete_rc" keeps the last complete() result. */
#include <exaproxy/abi.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXS 128

typedef struct {
  const exaproxy_host_api* api;
  exaproxy_host* host;
  char label[MAXS], action[MAXS], url[MAXS], header[MAXS], route[MAXS], location[MAXS], body[MAXS],
      reason[MAXS], then_action[MAXS], response_header[MAXS], response_action[MAXS];
  int port, status, delay_ms;
  int32_t done_metric, rc_metric;
} scripted;

typedef struct {
  scripted* self;
  exaproxy_pending handle;
} job;

static exaproxy_str S(const char* s) {
  exaproxy_str r = {s, strlen(s)};
  return r;
}

static void copy(char* dst, exaproxy_str v) {
  size_t n = v.len < MAXS - 1 ? v.len : MAXS - 1;
  memcpy(dst, v.ptr, n);
  dst[n] = '\0';
}

static int keyis(exaproxy_str k, const char* name) {
  return k.len == strlen(name) && memcmp(k.ptr, name, k.len) == 0;
}

static void* create(const exaproxy_host_api* api, exaproxy_host* host) {
  scripted* s = calloc(1, sizeof *s);
  s->api = api;
  s->host = host;
  strcpy(s->action, "continue");
  strcpy(s->then_action, "continue");
  for (size_t i = 0; i < api->setting_count(host); ++i) {
    exaproxy_setting e = {sizeof e};
    api->setting_get(host, i, &e);
    char value[MAXS];
    copy(value, e.value);
    if (keyis(e.key, "label"))
      strcpy(s->label, value);
    else if (keyis(e.key, "action"))
      strcpy(s->action, value);
    else if (keyis(e.key, "url"))
      strcpy(s->url, value);
    else if (keyis(e.key, "header"))
      strcpy(s->header, value);
    else if (keyis(e.key, "route"))
      strcpy(s->route, value);
    else if (keyis(e.key, "port"))
      s->port = atoi(value);
    else if (keyis(e.key, "location"))
      strcpy(s->location, value);
    else if (keyis(e.key, "status"))
      s->status = atoi(value);
    else if (keyis(e.key, "body"))
      strcpy(s->body, value);
    else if (keyis(e.key, "reason"))
      strcpy(s->reason, value);
    else if (keyis(e.key, "delay_ms"))
      s->delay_ms = atoi(value);
    else if (keyis(e.key, "then"))
      strcpy(s->then_action, value);
    else if (keyis(e.key, "response_header"))
      strcpy(s->response_header, value);
    else if (keyis(e.key, "response_action"))
      strcpy(s->response_action, value);
    else {
      api->config_error(host, i, S("unknown key"));
      free(s);
      return NULL;
    }
  }
  s->done_metric = api->metric_define(host, EXAPROXY_METRIC_COUNTER, S("done"), S("on_done"));
  s->rc_metric = api->metric_define(host, EXAPROXY_METRIC_GAUGE, S("complete_rc"), S("rc"));
  return s;
}

static void destroy(void* instance) { free(instance); }

static int32_t parse_action(const char* a) {
  if (!strcmp(a, "rewrite"))
    return EXAPROXY_REWRITE;
  if (!strcmp(a, "route"))
    return EXAPROXY_ROUTE;
  if (!strcmp(a, "redirect"))
    return EXAPROXY_REDIRECT;
  if (!strcmp(a, "respond"))
    return EXAPROXY_RESPOND;
  if (!strcmp(a, "deny"))
    return EXAPROXY_DENY;
  if (!strcmp(a, "error"))
    return EXAPROXY_ERROR;
  if (!strcmp(a, "bad"))
    return 99;
  if (!strcmp(a, "pending"))
    return EXAPROXY_PENDING;
  return EXAPROXY_CONTINUE;
}

static void fill(scripted* s, exaproxy_verdict* v) {
  const exaproxy_host_api* a = s->api;
  if (s->status)
    a->verdict_set_status(v, s->status);
  if (*s->reason)
    a->verdict_set_reason(v, S(s->reason));
  if (*s->route)
    a->verdict_set_route(v, S(s->route), (uint16_t)s->port);
  if (*s->location)
    a->verdict_set_location(v, S(s->location));
  if (*s->body)
    a->verdict_set_body(v, S(s->body), S("text/plain"));
}

static void work(void* arg) {
  job* j = arg;
  scripted* s = j->self;
  struct timespec ts = {s->delay_ms / 1000, (long)(s->delay_ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  exaproxy_verdict* v = s->api->verdict_new();
  fill(s, v);
  int32_t rc = s->api->complete(j->handle, parse_action(s->then_action), v);
  s->api->metric_set(s->host, s->rc_metric, rc);
}

static int32_t on_request(void* instance, exaproxy_txn* txn, exaproxy_verdict* v) {
  scripted* s = instance;
  const exaproxy_host_api* a = s->api;
  if (*s->label)
    a->header_add(txn, EXAPROXY_REQUEST, S("X-Chain"), S(s->label));
  int32_t action = parse_action(s->action);
  if (action == EXAPROXY_REWRITE) {
    if (*s->url)
      a->req_set_url(txn, S(s->url));
    if (*s->header)
      a->header_set(txn, EXAPROXY_REQUEST, S(s->header), S(s->label));
  } else if (action == EXAPROXY_PENDING) {
    job* j = malloc(sizeof *j);
    j->self = s;
    j->handle = a->pending_handle(txn);
    if (a->submit(s->host, txn, work, free, j) != EXAPROXY_OK) {
      free(j);
      return EXAPROXY_ERROR;
    }
  } else {
    fill(s, v);
  }
  return action;
}

static int32_t on_response(void* instance, exaproxy_txn* txn, exaproxy_verdict* v) {
  scripted* s = instance;
  if (*s->response_header)
    s->api->header_set(txn, EXAPROXY_RESPONSE, S(s->response_header), S(s->label));
  if (*s->response_action) {
    fill(s, v);
    return parse_action(s->response_action);
  }
  return EXAPROXY_CONTINUE;
}

static void on_done(void* instance, exaproxy_txn* txn, const exaproxy_summary* summary) {
  scripted* s = instance;
  (void)txn;
  (void)summary;
  s->api->metric_add(s->host, s->done_metric, 1);
}

static size_t status(void* instance, char* buf, size_t len) {
  scripted* s = instance;
  const char* json = "{\"scripted\":true}";
  (void)s;
  size_t n = strlen(json);
  if (len > n)
    memcpy(buf, json, n + 1);
  return n;
}

EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static const exaproxy_plugin d = {
      .size = sizeof(exaproxy_plugin),
      .abi_major = EXAPROXY_ABI_MAJOR,
      /* The newest ABI it needs (1.1: description), not the headers' 1.2: so every chain test
       * also shows a 1.1 plugin running on this host. abi12.c uses the 1.2 entries. */
      .abi_minor = 1,
      .name = "scripted",
      .version = "1.0",
      .vendor = "tests",
      .create = create,
      .destroy = destroy,
      .on_request_head = on_request,
      .on_response_head = on_response,
      .on_done = on_done,
      .status = status,
      .description = "test plugin driven by its settings",
  };
  return &d;
}
