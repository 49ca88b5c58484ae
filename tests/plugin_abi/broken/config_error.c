/* Fault: its configuration has a bad key; it reports it at that entry's file:line. */
#include "common.h"
#include <string.h>
static void* checking_create(const exaproxy_host_api* api, exaproxy_host* host) {
  for (size_t i = 0; i < api->setting_count(host); ++i) {
    exaproxy_setting s = {sizeof s};
    api->setting_get(host, i, &s);
    if (s.key.len == 3 && memcmp(s.key.ptr, "bad", 3) == 0) {
      exaproxy_str msg = {"expected a number", 17};
      api->config_error(host, i, msg);
      return NULL;
    }
  }
  return malloc(1);
}
EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static exaproxy_plugin d = {TEST_DESCRIPTOR("config_error")};
  d.create = checking_create;
  return &d;
}
