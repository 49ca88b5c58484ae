/* Fault: built for a newer minor than the host has. */
#include "common.h"
EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static exaproxy_plugin d = {TEST_DESCRIPTOR("newer_minor")};
  d.abi_minor = EXAPROXY_ABI_MINOR + 1;
  return &d;
}
