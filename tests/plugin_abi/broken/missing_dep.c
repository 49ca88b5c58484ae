/* Fault: needs a shared library the loader cannot find (built without an RPATH to it). */
#include "common.h"
int missing_dep_helper(void);
static void* dep_create(const exaproxy_host_api* api, exaproxy_host* host) {
  (void)api;
  (void)host;
  return missing_dep_helper() ? malloc(1) : NULL;
}
EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static exaproxy_plugin d = {TEST_DESCRIPTOR("missing_dep")};
  d.create = dep_create;
  return &d;
}
