// A C++ plugin built WITHOUT the SDK's flags (no -fno-gnu-unique, no version script, default
// visibility, -rpath '$ORIGIN'): what --verify-plugin must warn about. The inline function's
// static and the template's static member become STB_GNU_UNIQUE symbols, so glibc never unloads it.
#include <exaproxy/abi.h>

#include <string>

namespace {
int dummy;
}

template <typename T> struct Registry { static inline std::string last = "none"; };

inline int& createCount() {
  static int n = 0;
  return n;
}

static void* create(const exaproxy_host_api*, exaproxy_host*) {
  ++createCount();
  Registry<int>::last = "created";
  return &dummy;
}

static void destroy(void*) { Registry<int>::last = "destroyed"; }

extern "C" EXAPROXY_EXPORT const exaproxy_plugin* exaproxy_plugin_entry(void) {
  static const exaproxy_plugin plugin = [] {
    exaproxy_plugin p{};
    p.size = sizeof(exaproxy_plugin);
    p.abi_major = EXAPROXY_ABI_MAJOR;
    p.abi_minor = EXAPROXY_ABI_MINOR;
    p.name = "unique_rpath";
    p.version = "1.0.0";
    p.vendor = "ExaProxy tests";
    p.create = create;
    p.destroy = destroy;
    return p;
  }();
  return &plugin;
}

// Exported on purpose (default visibility): the warning counts symbols besides the entry.
int unique_rpath_extra_export() { return createCount(); }
