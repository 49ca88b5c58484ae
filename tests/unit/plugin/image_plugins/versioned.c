/* One small plugin built twice (IMAGE_VERSION "1.0.0" and "1.0.1"): the loader tests tell two
 * builds at one conf.d path apart by the version their descriptor reports. */
#include <exaproxy/abi.h>

#ifndef IMAGE_VERSION
#error "IMAGE_VERSION must be set"
#endif

static int instances;

static void* create(const exaproxy_host_api* api, exaproxy_host* host) {
  (void)api;
  (void)host;
  ++instances;
  return &instances;
}

static void destroy(void* instance) { --*(int*)instance; }

EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static const exaproxy_plugin plugin = {
      .size = sizeof(exaproxy_plugin),
      .abi_major = EXAPROXY_ABI_MAJOR,
      .abi_minor = EXAPROXY_ABI_MINOR,
      .name = "versioned",
      .version = IMAGE_VERSION,
      .vendor = "ExaProxy tests",
      .create = create,
      .destroy = destroy,
  };
  return &plugin;
}
