/* A plugin built against the FROZEN 1.0 headers (never the live ones): on every request it sets
 * X-Abi: 1.0, moves the path under /v1 and answers PENDING, completing CONTINUE from the worker
 * pool. The compatibility test loads it on the current host and checks all of that still works. */
#include <exaproxy/abi.h>

#include <stdlib.h>
#include <string.h>

#if EXAPROXY_ABI_MAJOR != 1 || EXAPROXY_ABI_MINOR != 0
#error "must be built against the frozen 1.0 headers"
#endif

static const exaproxy_host_api* g_api;

static exaproxy_str S(const char* s) {
  exaproxy_str r = {s, strlen(s)};
  return r;
}

/* The instance is the host handle itself: this plugin keeps no other state. */
static void* create(const exaproxy_host_api* api, exaproxy_host* host) {
  g_api = api;
  return host;
}

static void destroy(void* instance) { (void)instance; }

static void work(void* arg) { g_api->complete(*(exaproxy_pending*)arg, EXAPROXY_CONTINUE, NULL); }

static int32_t on_request(void* instance, exaproxy_txn* txn, exaproxy_verdict* v) {
  (void)v;
  exaproxy_host* host = instance; /* create() returns the host handle as the instance */
  g_api->header_set(txn, EXAPROXY_REQUEST, S("X-Abi"), S("1.0"));
  exaproxy_str path = g_api->req_path(txn);
  char buf[512] = "/v1";
  if (path.len < sizeof buf - 4) {
    memcpy(buf + 3, path.ptr, path.len);
    buf[3 + path.len] = '\0';
    g_api->req_set_path(txn, S(buf));
  }
  exaproxy_pending* h = malloc(sizeof *h);
  *h = g_api->pending_handle(txn);
  if (g_api->submit(host, txn, work, free, h) != EXAPROXY_OK) {
    free(h);
    return EXAPROXY_REWRITE;
  }
  return EXAPROXY_PENDING;
}

EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static const exaproxy_plugin d = {
      .size = sizeof(exaproxy_plugin),
      .abi_major = EXAPROXY_ABI_MAJOR,
      .abi_minor = EXAPROXY_ABI_MINOR,
      .name = "frozen_1_0",
      .version = "1.0",
      .vendor = "tests",
      .create = create,
      .destroy = destroy,
      .on_request_head = on_request,
  };
  return &d;
}
