/* A plugin built twice with different PLUGIN_VERSION values (versioned_1.so, versioned_2.so), so
 * that the platform test can install a new build over an old one. It answers requests for the
 * host "version.test" itself, with its version as the body; everything else CONTINUEs. */
#include <exaproxy/abi.h>

#include <stdlib.h>
#include <string.h>

#ifndef PLUGIN_VERSION
#error "PLUGIN_VERSION must be defined"
#endif

static const exaproxy_host_api* api;

static exaproxy_str str(const char* s) {
  exaproxy_str out = {s, strlen(s)};
  return out;
}

static void* create(const exaproxy_host_api* a, exaproxy_host* host) {
  (void)host;
  api = a;
  return (void*)&api;
}

static void destroy(void* instance) { (void)instance; }

static int32_t on_request_head(void* instance, exaproxy_txn* txn, exaproxy_verdict* v) {
  (void)instance;
  exaproxy_str host = api->req_host(txn);
  if (host.len != strlen("version.test") || memcmp(host.ptr, "version.test", host.len) != 0)
    return EXAPROXY_CONTINUE;
  api->verdict_set_status(v, 200);
  api->verdict_set_body(v, str("version " PLUGIN_VERSION "\n"), str("text/plain"));
  return EXAPROXY_RESPOND;
}

EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static const exaproxy_plugin descriptor = {
      .size = sizeof(exaproxy_plugin),
      .abi_major = EXAPROXY_ABI_MAJOR,
      .abi_minor = EXAPROXY_ABI_MINOR,
      .name = "versioned",
      .version = PLUGIN_VERSION,
      .vendor = "tests",
      .create = create,
      .destroy = destroy,
      .on_request_head = on_request_head,
  };
  return &descriptor;
}
