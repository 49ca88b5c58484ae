/* Fault: completes 100 ms later, after the client left. complete()'s return code is kept in
 * metric "late_rc" for the test (expected: EXAPROXY_E_STALE). */
#include "common.h"
#include <time.h>
static const exaproxy_host_api* g_api;
static exaproxy_host* g_host;
static int32_t g_rc;
static void* keep_api(const exaproxy_host_api* api, exaproxy_host* host) {
  g_api = api;
  g_host = host;
  exaproxy_str name = {"late_rc", 7}, help = {"", 0};
  g_rc = api->metric_define(host, EXAPROXY_METRIC_GAUGE, name, help);
  return ok_create(api, host);
}
static void work(void* arg) {
  struct timespec ts = {0, 100 * 1000 * 1000};
  nanosleep(&ts, NULL);
  g_api->metric_set(g_host, g_rc, g_api->complete(*(exaproxy_pending*)arg, EXAPROXY_DENY, NULL));
}
static int32_t late(void* instance, exaproxy_txn* txn, exaproxy_verdict* v) {
  (void)instance;
  (void)v;
  exaproxy_pending* h = malloc(sizeof *h);
  *h = g_api->pending_handle(txn);
  g_api->submit(g_host, NULL, work, free, h); /* no txn: done runs on the worker */
  return EXAPROXY_PENDING;
}
EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static exaproxy_plugin d = {TEST_DESCRIPTOR("completes_late")};
  d.create = keep_api;
  d.on_request_head = late;
  return &d;
}
