/*
 * engine_audit.h: the console's view of its own audit trail.
 *
 * A thread of the engine watches the head of the trail in the spool; when
 * it moves (and at least once a minute, but never more often than once a
 * second) it walks the trail from the spool's base, checks every link with
 * audit_verify_next (the console's key and the users' keys from the
 * keystore), and publishes into the state the last AUDIT_RECENT_MAX events
 * and the outcome of the check.  The UI shows both and never reads the
 * spool itself.
 */
#ifndef JOPE_ENGINE_AUDIT_H
#define JOPE_ENGINE_AUDIT_H

#include "compliance/console_key.h"
#include "core/state.h"
#include "store/spool.h"

struct audit_watch;

/* Start the thread (signals blocked in it); NULL when it cannot start. */
struct audit_watch *audit_watch_start(struct spool *sp,
    const struct console_key *key, const char *state_dir, struct state *st);
/* Look again soon: an event was appended. */
void audit_watch_nudge(struct audit_watch *w);
/* Stop and join the thread; before the spool closes.  NULL is allowed. */
void audit_watch_stop(struct audit_watch *w);

#endif
