/* deny_hosts: refuses requests (and CONNECTs) to the hosts listed in its configuration.
 *
 *   conf.d/30-deny_hosts.so   + conf.d/30-deny_hosts.conf:
 *     [deny_hosts]
 *     hosts = ads.example tracker.example
 */
#include <exaproxy/abi.h>

#include <stdlib.h>
#include <string.h>

typedef struct {
  const exaproxy_host_api* api;
  exaproxy_host* host;
  char* hosts; /* " a b c " : space-delimited, so a lookup is one strstr */
  int32_t denied;
} deny_hosts;

static void* create(const exaproxy_host_api* api, exaproxy_host* host) {
  deny_hosts* self = calloc(1, sizeof *self);
  if (!self)
    return NULL;
  self->api = api;
  self->host = host;
  self->hosts = calloc(1, 2);
  self->hosts[0] = ' ';
  for (size_t i = 0; i < api->setting_count(host); ++i) {
    exaproxy_setting s = {sizeof s};
    api->setting_get(host, i, &s);
    if (s.key.len != 5 || memcmp(s.key.ptr, "hosts", 5) != 0) {
      exaproxy_str msg = {"unknown key (known: hosts)", 26};
      api->config_error(host, i, msg);
      free(self->hosts);
      free(self);
      return NULL;
    }
    size_t used = strlen(self->hosts);
    self->hosts = realloc(self->hosts, used + s.value.len + 2);
    for (size_t j = 0; j < s.value.len; ++j) /* commas separate too */
      self->hosts[used + j] = s.value.ptr[j] == ',' ? ' ' : s.value.ptr[j];
    strcpy(self->hosts + used + s.value.len, " ");
  }
  exaproxy_str name = {"denied", 6}, help = {"requests denied", 15};
  self->denied = api->metric_define(host, EXAPROXY_METRIC_COUNTER, name, help);
  return self;
}

static void destroy(void* instance) {
  deny_hosts* self = instance;
  free(self->hosts);
  free(self);
}

static int32_t on_request(void* instance, exaproxy_txn* txn, exaproxy_verdict* v) {
  deny_hosts* self = instance;
  exaproxy_str host = self->api->req_host(txn);
  char needle[260];
  if (host.len == 0 || host.len > 256)
    return EXAPROXY_CONTINUE;
  needle[0] = ' ';
  memcpy(needle + 1, host.ptr, host.len);
  needle[host.len + 1] = ' ';
  needle[host.len + 2] = '\0';
  if (!strstr(self->hosts, needle))
    return EXAPROXY_CONTINUE;
  exaproxy_str reason = {"host is on the deny list", 24};
  self->api->verdict_set_reason(v, reason);
  self->api->metric_add(self->host, self->denied, 1);
  return EXAPROXY_DENY;
}

EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static const exaproxy_plugin plugin = {
      .size = EXAPROXY_PLUGIN_SIZE, /* as of the minor below */
      .abi_major = EXAPROXY_ABI_MAJOR,
      .abi_minor = EXAPROXY_TARGET_ABI_MINOR, /* the SDK's minor, or exaproxy_add_plugin's ABI */
      .name = "deny_hosts",
      .version = "1.0.0",
      .vendor = "ExaProxy examples",
      .create = create,
      .destroy = destroy,
      .on_request_head = on_request,                    /* CONNECT too: no on_connect */
      .description = "denies requests to listed hosts", /* 1.1: a 1.0 host does not read it */
  };
  return &plugin;
}
