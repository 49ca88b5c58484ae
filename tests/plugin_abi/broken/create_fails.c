/* Fault: create() refuses (and says why). */
#include "common.h"
static void* failing_create(const exaproxy_host_api* api, exaproxy_host* host) {
  exaproxy_str msg = {"license key missing", 19};
  api->config_error(host, SIZE_MAX, msg);
  return NULL;
}
EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static exaproxy_plugin d = {TEST_DESCRIPTOR("create_fails")};
  d.create = failing_create;
  return &d;
}
