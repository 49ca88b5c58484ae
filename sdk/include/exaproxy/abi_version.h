/* ExaProxy plugin ABI version.
 *
 * The host loads a plugin whose EXAPROXY_ABI_MAJOR equals its own and whose EXAPROXY_ABI_MINOR is
 * not newer than its own. A minor release only APPENDS: new struct fields at the end of a struct,
 * new functions at the end of a function table, new enum values after the last one. Nothing is
 * ever removed, reordered or retyped without a new major.
 *
 * History
 *   1.0  first release.
 *   1.1  exaproxy_plugin.description (one line shown in the UI),
 *        exaproxy_host_api.txn_id (a process-unique transaction number for log correlation).
 */
#ifndef EXAPROXY_ABI_VERSION_H
#define EXAPROXY_ABI_VERSION_H

#define EXAPROXY_ABI_MAJOR 1
#define EXAPROXY_ABI_MINOR 1

#endif /* EXAPROXY_ABI_VERSION_H */
