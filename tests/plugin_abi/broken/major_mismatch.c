/* Fault: built for the next ABI major. */
#include "common.h"
EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static exaproxy_plugin d = {TEST_DESCRIPTOR("major_mismatch")};
  d.abi_major = EXAPROXY_ABI_MAJOR + 1;
  return &d;
}
