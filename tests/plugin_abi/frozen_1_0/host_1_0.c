/* host_1_0: a host that only knows ABI 1.0 (compiled against the FROZEN 1.0 headers, never the
 * live ones), to test that plugins built with the current SDK for 1.0 (exaproxy_add_plugin(...
 * ABI 1.0), EXAPROXY_TARGET_ABI_MINOR=0) load on such a host.
 *
 *   host_1_0 PLUGIN.so...
 *
 * For each plugin: dlopen it, check its descriptor (ABI 1.0, size == the 1.0 sizeof), create it
 * with a 1.0-sized host API table ending at a PROT_NONE page (any read of an entry newer than
 * 1.0 faults) and the setting `hosts = bad.example`, run on_request_head for bad.example (must
 * DENY) and good.example (must CONTINUE), on_done if it has one, status, destroy. Exit 0 if all
 * of that held, 1 (with the reasons) if not. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <exaproxy/abi.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if EXAPROXY_ABI_MAJOR != 1 || EXAPROXY_ABI_MINOR != 0
#error "must be built against the frozen 1.0 headers"
#endif

static int failures;

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                         \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fputc('\n', stderr);                                                                         \
      ++failures;                                                                                  \
    }                                                                                              \
  } while (0)

struct exaproxy_txn {
  const char* host;
  void* data;
};
struct exaproxy_verdict {
  int32_t status;
  char reason[256];
};
struct exaproxy_host {
  char log[512]; /* the plugin's last log line */
  int config_errors;
};

static exaproxy_str S(const char* s) {
  exaproxy_str r = {s, strlen(s)};
  return r;
}
static void copy(char* dst, size_t cap, exaproxy_str s) {
  size_t n = s.len < cap - 1 ? s.len : cap - 1;
  memcpy(dst, s.ptr, n);
  dst[n] = '\0';
}

/* ---- the 1.0 host API: what this test needs, the rest answers "not here" ---- */
static void h_log(exaproxy_host* h, int32_t level, exaproxy_str m) {
  (void)level;
  copy(h->log, sizeof h->log, m);
  printf("   plugin log: %s\n", h->log);
}
static size_t h_setting_count(exaproxy_host* h) {
  (void)h;
  return 1;
}
static int32_t h_setting_get(exaproxy_host* h, size_t i, exaproxy_setting* out) {
  (void)h;
  if (i != 0)
    return EXAPROXY_E_NOT_FOUND;
  CHECK(out->size >= sizeof(exaproxy_setting), "setting size %u", out->size);
  out->line = 2;
  out->file = S("test.conf");
  out->section = S("test");
  out->key = S("hosts");
  out->value = S("bad.example");
  return EXAPROXY_OK;
}
static void h_config_error(exaproxy_host* h, size_t i, exaproxy_str m) {
  char buf[256];
  copy(buf, sizeof buf, m);
  fprintf(stderr, "   config error at %zu: %s\n", i, buf);
  ++h->config_errors;
}
static int32_t h_metric_define(exaproxy_host* h, int32_t k, exaproxy_str n, exaproxy_str help) {
  (void)h, (void)k, (void)n, (void)help;
  return 0;
}
static void h_metric(exaproxy_host* h, int32_t id, int64_t v) { (void)h, (void)id, (void)v; }
static exaproxy_str h_txn_str(exaproxy_txn* t) {
  (void)t;
  return S("");
}
static exaproxy_str h_req_method(exaproxy_txn* t) {
  (void)t;
  return S("GET");
}
static exaproxy_str h_req_host(exaproxy_txn* t) { return S(t->host); }
static int32_t h_txn_int(exaproxy_txn* t) {
  (void)t;
  return 0;
}
static uint16_t h_req_port(exaproxy_txn* t) {
  (void)t;
  return 80;
}
static int32_t h_set_str(exaproxy_txn* t, exaproxy_str s) {
  (void)t, (void)s;
  return EXAPROXY_E_UNAVAILABLE;
}
static int32_t h_set_host(exaproxy_txn* t, exaproxy_str s, uint16_t p) {
  (void)t, (void)s, (void)p;
  return EXAPROXY_E_UNAVAILABLE;
}
static int32_t h_header_get(exaproxy_txn* t, int32_t w, exaproxy_str n, size_t nth,
                            exaproxy_str* out) {
  (void)t, (void)w, (void)n, (void)nth, (void)out;
  return EXAPROXY_E_NOT_FOUND;
}
static size_t h_header_count(exaproxy_txn* t, int32_t w) {
  (void)t, (void)w;
  return 0;
}
static int32_t h_header_at(exaproxy_txn* t, int32_t w, size_t i, exaproxy_str* n, exaproxy_str* v) {
  (void)t, (void)w, (void)i, (void)n, (void)v;
  return EXAPROXY_E_NOT_FOUND;
}
static int32_t h_header_edit(exaproxy_txn* t, int32_t w, exaproxy_str n, exaproxy_str v) {
  (void)t, (void)w, (void)n, (void)v;
  return EXAPROXY_E_UNAVAILABLE;
}
static int32_t h_header_remove(exaproxy_txn* t, int32_t w, exaproxy_str n) {
  (void)t, (void)w, (void)n;
  return 0;
}
static void* h_txn_data(exaproxy_txn* t, exaproxy_host* h) {
  (void)h;
  return t->data;
}
static void h_txn_set_data(exaproxy_txn* t, exaproxy_host* h, void* d) {
  (void)h;
  t->data = d;
}
static void h_v_status(exaproxy_verdict* v, int32_t s) { v->status = s; }
static void h_v_reason(exaproxy_verdict* v, exaproxy_str r) {
  copy(v->reason, sizeof v->reason, r);
}
static void h_v_route(exaproxy_verdict* v, exaproxy_str h, uint16_t p) {
  (void)v, (void)h, (void)p;
}
static void h_v_str(exaproxy_verdict* v, exaproxy_str s) { (void)v, (void)s; }
static int32_t h_v_header(exaproxy_verdict* v, exaproxy_str n, exaproxy_str val) {
  (void)v, (void)n, (void)val;
  return EXAPROXY_OK;
}
static void h_v_body(exaproxy_verdict* v, exaproxy_str b, exaproxy_str ct) {
  (void)v, (void)b, (void)ct;
}
static exaproxy_verdict* h_v_new(void) { return calloc(1, sizeof(exaproxy_verdict)); }
static void h_v_free(exaproxy_verdict* v) { free(v); }
static exaproxy_pending h_pending(exaproxy_txn* t) {
  (void)t;
  return 0;
}
static int32_t h_complete(exaproxy_pending p, int32_t a, exaproxy_verdict* v) {
  (void)p, (void)a;
  free(v);
  return EXAPROXY_E_STALE;
}
static int32_t h_submit(exaproxy_host* h, exaproxy_txn* t, void (*w)(void*), void (*d)(void*),
                        void* a) {
  (void)h, (void)t, (void)w, (void)d, (void)a;
  return EXAPROXY_E_UNAVAILABLE;
}

static const exaproxy_host_api kApi = {
    .size = sizeof(exaproxy_host_api),
    .abi_major = 1,
    .abi_minor = 0,
    .log = h_log,
    .setting_count = h_setting_count,
    .setting_get = h_setting_get,
    .config_error = h_config_error,
    .metric_define = h_metric_define,
    .metric_add = h_metric,
    .metric_set = h_metric,
    .req_method = h_req_method,
    .req_url = h_txn_str,
    .req_is_connect = h_txn_int,
    .req_host = h_req_host,
    .req_port = h_req_port,
    .req_path = h_txn_str,
    .req_set_url = h_set_str,
    .req_set_host = h_set_host,
    .req_set_path = h_set_str,
    .header_get = h_header_get,
    .header_count = h_header_count,
    .header_at = h_header_at,
    .header_set = h_header_edit,
    .header_add = h_header_edit,
    .header_remove = h_header_remove,
    .resp_status = h_txn_int,
    .client_address = h_txn_str,
    .client_set_address = h_set_str,
    .client_user = h_txn_str,
    .client_set_user = h_set_str,
    .listener_address = h_txn_str,
    .txn_data = h_txn_data,
    .txn_set_data = h_txn_set_data,
    .verdict_set_status = h_v_status,
    .verdict_set_reason = h_v_reason,
    .verdict_set_route = h_v_route,
    .verdict_set_location = h_v_str,
    .verdict_add_header = h_v_header,
    .verdict_set_body = h_v_body,
    .verdict_set_file = h_v_body,
    .verdict_new = h_v_new,
    .verdict_free = h_v_free,
    .pending_handle = h_pending,
    .complete = h_complete,
    .submit = h_submit,
};

/* The table copied to the end of a page followed by an inaccessible one. */
static const exaproxy_host_api* guarded_api(void) {
  long page = sysconf(_SC_PAGESIZE);
  char* mem =
      mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED || mprotect(mem + page, (size_t)page, PROT_NONE) != 0) {
    perror("mmap");
    exit(2);
  }
  exaproxy_host_api* api = (exaproxy_host_api*)(mem + page - sizeof kApi);
  memcpy(api, &kApi, sizeof kApi);
  return api;
}

static int32_t request(const exaproxy_plugin* d, void* instance, const char* host,
                       exaproxy_verdict* v) {
  exaproxy_txn txn = {host, NULL};
  memset(v, 0, sizeof *v);
  int32_t action = d->on_request_head(instance, &txn, v);
  if (d->on_done) {
    exaproxy_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.size = sizeof sum;
    sum.status = action == EXAPROXY_DENY ? 403 : 200;
    sum.action = action;
    d->on_done(instance, &txn, &sum);
  }
  CHECK(txn.data == NULL, "%s: txn_data left set after the transaction", d->name);
  return action;
}

static void run(const char* file, const exaproxy_host_api* api) {
  printf("== %s\n", file);
  int before = failures;
  void* lib = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    CHECK(0, "dlopen: %s", dlerror());
    return;
  }
  exaproxy_plugin_entry_fn entry;
  *(void**)&entry = dlsym(lib, EXAPROXY_ENTRY_SYMBOL); /* POSIX's way around ISO C's cast rule */
  CHECK(entry != NULL, "no %s", EXAPROXY_ENTRY_SYMBOL);
  const exaproxy_plugin* d = entry ? entry() : NULL;
  if (!d) {
    dlclose(lib);
    return;
  }
  printf("   descriptor: %s abi %u.%u size %u\n", d->name, d->abi_major, d->abi_minor, d->size);
  CHECK(d->abi_major == 1 && d->abi_minor == 0, "%s declares ABI %u.%u, not 1.0", d->name,
        d->abi_major, d->abi_minor);
  CHECK(d->size == sizeof(exaproxy_plugin), "%s: descriptor size %u, the 1.0 size is %zu", d->name,
        d->size, sizeof(exaproxy_plugin));
  CHECK(d->create && d->destroy && d->on_request_head, "%s: create/destroy/on_request_head",
        d->name);
  if (failures != before || !d->create || !d->destroy || !d->on_request_head) {
    dlclose(lib);
    return;
  }
  exaproxy_host host;
  memset(&host, 0, sizeof host);
  void* instance = d->create(api, &host);
  CHECK(instance != NULL && host.config_errors == 0, "%s: create refused", d->name);
  if (instance) {
    exaproxy_verdict v;
    int32_t action = request(d, instance, "bad.example", &v);
    CHECK(action == EXAPROXY_DENY, "%s: bad.example -> %d, expected DENY", d->name, action);
    printf("   bad.example: %d (%s)\n", action, v.reason);
    if (strcmp(d->name, "target_1_0") == 0) /* plugin.hpp: Txn::id() is 0 before 1.1 */
      CHECK(strcmp(v.reason, "listed (txn 0)") == 0, "target_1_0 reason '%s'", v.reason);
    action = request(d, instance, "good.example", &v);
    CHECK(action == EXAPROXY_CONTINUE, "%s: good.example -> %d, expected CONTINUE", d->name,
          action);
    if (d->status) {
      char buf[256];
      d->status(instance, buf, sizeof buf);
    }
    d->destroy(instance);
  }
  if (strcmp(d->name, "target_1_0") == 0) {
    /* plugin.hpp on a 1.0 host: no check mode (1.3), no templates (1.2). */
    CHECK(strcmp(host.log, "check_mode=0 template=unknown") == 0, "target_1_0 logged '%s'",
          host.log);
  }
  dlclose(lib);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PLUGIN.so...\n", argv[0]);
    return 2;
  }
  const exaproxy_host_api* api = guarded_api();
  for (int i = 1; i < argc; ++i)
    run(argv[i], api);
  printf(failures ? "host_1_0: FAIL (%d)\n" : "host_1_0: PASS\n", failures);
  return failures ? 1 : 0;
}
