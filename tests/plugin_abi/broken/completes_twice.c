/* Fault: completes the same PENDING transaction twice (from a worker). The second return code
 * is kept in metric "second_rc" for the test. */
#include "common.h"
static const exaproxy_host_api* g_api;
static exaproxy_host* g_host;
static int32_t g_rc;
static void* keep_api(const exaproxy_host_api* api, exaproxy_host* host) {
  g_api = api;
  g_host = host;
  exaproxy_str name = {"second_rc", 9}, help = {"", 0};
  g_rc = api->metric_define(host, EXAPROXY_METRIC_GAUGE, name, help);
  return ok_create(api, host);
}
static void work(void* arg) {
  exaproxy_pending h = *(exaproxy_pending*)arg;
  g_api->complete(h, EXAPROXY_CONTINUE, NULL);
  g_api->metric_set(g_host, g_rc, g_api->complete(h, EXAPROXY_DENY, NULL));
}
static int32_t twice(void* instance, exaproxy_txn* txn, exaproxy_verdict* v) {
  (void)instance;
  (void)v;
  exaproxy_pending* h = malloc(sizeof *h);
  *h = g_api->pending_handle(txn);
  g_api->submit(g_host, txn, work, free, h);
  return EXAPROXY_PENDING;
}
EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static exaproxy_plugin d = {TEST_DESCRIPTOR("completes_twice")};
  d.create = keep_api;
  d.on_request_head = twice;
  return &d;
}
