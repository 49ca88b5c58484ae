/* bench: the least a body plugin (ABI 1.7) can be. It asks for the response body of every
 * request and passes each piece as it is (CONTINUE), so that a run with it against one without
 * measures what the host's body path costs, not a plugin's work. Built by hand for the A/B run
 * of bench/README.md ("Issue 18"):
 *   cc -O2 -shared -fPIC -fvisibility=hidden -Isdk/include bench/lib/pass_body.c -o pass_body.so
 */
#include <exaproxy/abi.h>

#include <stdlib.h>

static const exaproxy_host_api* api;

static void* pass_create(const exaproxy_host_api* a, exaproxy_host* host) {
  (void)host;
  api = a;
  return malloc(1);
}

static void pass_destroy(void* instance) { free(instance); }

static int32_t pass_request(void* instance, exaproxy_txn* txn, exaproxy_verdict* v) {
  (void)instance;
  (void)v;
  api->body_want(txn, EXAPROXY_RESPONSE, 0);
  return EXAPROXY_CONTINUE;
}

static int32_t pass_body(void* instance, exaproxy_txn* txn, int32_t which, exaproxy_str data,
                         uint32_t flags, exaproxy_verdict* v) {
  (void)instance;
  (void)txn;
  (void)which;
  (void)data;
  (void)flags;
  (void)v;
  return EXAPROXY_CONTINUE;
}

EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static exaproxy_plugin d = {.size = EXAPROXY_PLUGIN_SIZE,
                              .abi_major = EXAPROXY_ABI_MAJOR,
                              .abi_minor = EXAPROXY_TARGET_ABI_MINOR,
                              .name = "pass_body",
                              .version = "1",
                              .vendor = "ExaProxy bench",
                              .create = pass_create,
                              .destroy = pass_destroy};
  d.on_request_head = pass_request;
  d.on_body = pass_body;
  return &d;
}
