/*
 * signing.h: one person's electronic signature on an action, start to end.
 *
 * The same steps wherever a signature is asked for (a CLI command, the
 * console's e-signature dialog through the engine): the policy says whether
 * this user may sign in this place (4-eyes: never the first signer again),
 * the keystore checks the password (each failure and each lock-out is an
 * audit event, and the counters are saved at once), the user's key signs
 * the action, and the secret key is wiped.  signing_record then puts the
 * action with all its signatures into the audit trail as one event.
 */
#ifndef JOPE_SIGNING_H
#define JOPE_SIGNING_H

#include <stddef.h>
#include <stdint.h>

#include "compliance/approval.h"
#include "compliance/console_key.h"
#include "compliance/esign.h"
#include "store/spool.h"

struct signing_env {
	const char *state_dir;          /* keystore.json and its lock */
	struct spool *spool;            /* the audit trail */
	const struct console_key *key;
	const struct approval_policy *policy;
	int max_failures;
	int64_t lockout_us;
};

/*
 * Sign action a (action_json: a JSON object) as signer number index (0 the
 * first, 1 the second; first is the first signature when index is 1).
 * 0 with *out filled; -1 with a message for the person in msg, and nothing
 * signed.  password is not kept.
 */
int signing_sign(const struct signing_env *env, enum approval_action a,
    int index, const struct esig *first, const char *action_json,
    const char *user, const char *password, enum esig_meaning meaning,
    const char *reason, struct esig *out, char *msg, size_t msglen);

/*
 * The signed action as one audit event of kind, {"action": ...,
 * "signatures": [...]}, after approval_complete() agrees with the set.
 * Returns the event's seq, or -1 with msg.
 */
int64_t signing_record(const struct signing_env *env, enum approval_action a,
    const char *kind, const char *action_json, const struct esig *sigs,
    size_t n, char *msg, size_t msglen);

/* An attempt abandoned (Esc in a dialog, Ctrl-C): an audit event too. */
void signing_cancelled(const struct signing_env *env, enum approval_action a,
    const char *user, const char *action_json);

#endif
