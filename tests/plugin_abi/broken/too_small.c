/* Fault: claims a descriptor smaller than ABI 1.0's. */
#include "common.h"
EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static exaproxy_plugin d = {TEST_DESCRIPTOR("too_small")};
  d.size = 16;
  return &d;
}
