/* The few string helpers the scriptable test plugins (abi12.c, abi15.c) share for reading their
 * settings: fixed-size buffers, no allocation. */
#ifndef EXAPROXY_TEST_SETTINGS_TEXT_H
#define EXAPROXY_TEST_SETTINGS_TEXT_H

#include <exaproxy/abi.h>

#include <string.h>

#define MAXS 256

static inline exaproxy_str S(const char* s) {
  exaproxy_str r = {s, strlen(s)};
  return r;
}

/* Copies len bytes of src into dst (MAXS bytes), truncating, NUL-terminated. */
static inline void copy(char* dst, const char* src, size_t len) {
  size_t n = len < MAXS - 1 ? len : MAXS - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static inline int keyis(exaproxy_str k, const char* name) {
  return k.len == strlen(name) && memcmp(k.ptr, name, k.len) == 0;
}

/* "name<sep>value" -> name, value (the spaces after the separator skipped). */
static inline void split(const char* text, char sep, char* name, char* value) {
  const char* at = strchr(text, sep);
  if (!at) {
    copy(name, text, strlen(text));
    value[0] = '\0';
    return;
  }
  copy(name, text, (size_t)(at - text));
  ++at;
  while (*at == ' ')
    ++at;
  copy(value, at, strlen(at));
}

#endif
