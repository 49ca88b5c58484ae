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
 *   1.2  verdicts that carry request edits (exaproxy_host_api.verdict_set_url,
 *        verdict_edit_header; EXAPROXY_HEADER_SET/ADD/REMOVE), so a PENDING verdict completed
 *        from any thread can rewrite the request; pages rendered by the host from its templates
 *        directory (template_exists, verdict_set_page).
 *   1.3  exaproxy_host_api.check_mode: the host creates a plugin only to validate its
 *        configuration (`exaproxy --check`, `--verify-plugin`), so it starts nothing;
 *        exaproxy_host_api.declare_traits and EXAPROXY_TRAIT_ROUTES / _EDITS_REQUEST: what a
 *        plugin may do to the chain, so that --check reports an order that half-applies a
 *        policy (a request editor after a router).
 *   1.4  the instance's event loop: exaproxy_host_api.loop_post, loop_is_current, watch_add,
 *        watch_set, watch_remove, timer_start, timer_cancel; EXAPROXY_WATCH_READ / _WRITE,
 *        exaproxy_loop_fn, exaproxy_watch_fn. A plugin drives its own descriptors (a helper's
 *        pipes) on a host loop instead of a thread of its own.
 *   1.5  connections and notes (issue #16, authentication): exaproxy_host_api.conn_id,
 *        note_set, note_get, note_count, note_at, verdict_set_note, verdict_set_user;
 *        exaproxy_plugin.on_connection_close; EXAPROXY_NOTE_LOG and the note bounds.
 *   1.6  exaproxy_host_api.client_port (issue #16: the client's port, Squid's %SRCPORT for
 *        external ACL helpers).
 *   1.7  bodies (issue #18): exaproxy_plugin.on_body, exaproxy_host_api.body_want and
 *        body_held, EXAPROXY_HOLD, EXAPROXY_BODY_END. A plugin asks for a transaction's
 *        response body, or request body, in its head hook and passes, replaces, holds or blocks
 *        it piece by piece.
 */
#ifndef EXAPROXY_ABI_VERSION_H
#define EXAPROXY_ABI_VERSION_H

#define EXAPROXY_ABI_MAJOR 1
#define EXAPROXY_ABI_MINOR 7

#endif /* EXAPROXY_ABI_VERSION_H */
