/* FROZEN COPY of the ABI 1.0 headers, as shipped. Never edit: tests/plugin_abi builds a plugin
 * against it to prove that 1.0 plugins keep loading on newer hosts.
 *
 * ExaProxy plugin ABI version.
 *
 * The host loads a plugin whose EXAPROXY_ABI_MAJOR equals its own and whose EXAPROXY_ABI_MINOR is
 * not newer than its own. A minor release only APPENDS: new struct fields at the end of a struct,
 * new functions at the end of a function table, new enum values after the last one. Nothing is
 * ever removed, reordered or retyped without a new major.
 *
 * History
 *   1.0  first release.
 */
#ifndef EXAPROXY_ABI_VERSION_H
#define EXAPROXY_ABI_VERSION_H

#define EXAPROXY_ABI_MAJOR 1
#define EXAPROXY_ABI_MINOR 0

#endif /* EXAPROXY_ABI_VERSION_H */
