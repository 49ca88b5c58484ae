/* Fault: answers PENDING and never calls complete(). */
#include "common.h"
static const exaproxy_host_api* g_api;
static void* keep_api(const exaproxy_host_api* api, exaproxy_host* host) {
  g_api = api;
  return ok_create(api, host);
}
static int32_t forget(void* instance, exaproxy_txn* txn, exaproxy_verdict* v) {
  (void)instance;
  (void)v;
  g_api->pending_handle(txn);
  return EXAPROXY_PENDING;
}
EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static exaproxy_plugin d = {TEST_DESCRIPTOR("never_completes")};
  d.create = keep_api;
  d.on_request_head = forget;
  return &d;
}
