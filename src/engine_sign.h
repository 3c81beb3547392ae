/*
 * engine_sign.h: the engine's side of the console's e-signature dialogs.
 *
 * A signed command (CMD_WRITE_POINT, CMD_SET_CLOCK) is carried out only
 * after every signature it needs has been checked and recorded in the
 * audit trail; CMD_SIGN_CANCELLED records an abandoned attempt.  Called by
 * the engine's housekeeping thread (run_command), where the Argon2id unlock
 * of each signer's key (about half a second) never holds up the UI.
 */
#ifndef JOPE_ENGINE_SIGN_H
#define JOPE_ENGINE_SIGN_H

#include <stdbool.h>

#include "compliance/console_key.h"
#include "config/model.h"
#include "core/cmdq.h"
#include "core/state.h"
#include "engine_audit.h"
#include "store/spool.h"

/* What signing needs of the engine. */
struct engine_sign_env {
	const struct model *m;          /* the running model */
	unsigned generation;            /* its config generation */
	const char *state_dir;          /* keystore.json */
	struct spool *spool;
	const struct console_key *key;
	struct state *state;
	struct audit_watch *watch;      /* told of new events; may be NULL */
};

/* True for the kinds engine_sign_command deals with. */
bool engine_sign_applies(const struct command *c);

/*
 * Check and record c's signatures (signing.h), or record its cancellation.
 * True when c may now be carried out; false when it is done with (refused,
 * cancelled, or an error), the reason published for the operator through
 * state_set_signing_result.  c's passwords are wiped on every path.
 */
bool engine_sign_command(const struct engine_sign_env *env,
    const struct command *c);

#endif
