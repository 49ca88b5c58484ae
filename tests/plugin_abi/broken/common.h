/* Shared boilerplate of the broken test plugins: each file has exactly one fault. */
#include <exaproxy/abi.h>

#include <stdlib.h>

static void* ok_create(const exaproxy_host_api* api, exaproxy_host* host) {
  (void)api;
  (void)host;
  return malloc(1);
}
static void ok_destroy(void* instance) { free(instance); }

#define TEST_DESCRIPTOR(NAME)                                                                      \
  .size = sizeof(exaproxy_plugin), .abi_major = EXAPROXY_ABI_MAJOR,                                \
  .abi_minor = EXAPROXY_ABI_MINOR, .name = NAME, .version = "0", .vendor = "tests",                \
  .create = ok_create, .destroy = ok_destroy
