/*
 * engine_sign.h: the engine's side of the console's e-signature dialogs.
 *
 * A signed command (CMD_WRITE_POINT, CMD_SET_CLOCK, CMD_ALARM_ACK,
 * CMD_BATCH, CMD_MAINT_ANNOUNCE) is carried out only
 * after every signature it needs has been checked and recorded in the
 * audit trail; CMD_SIGN_CANCELLED records an abandoned attempt.
 * CMD_CONFIG_APPLY is the console's `jope-smb config apply`: prepared,
 * signed and committed here (compliance/config_change.h), after which the
 * housekeeper takes the new version into use as it does for the command
 * line.  Called by the engine's housekeeping thread (run_command), where
 * the Argon2id unlock of each signer's key (about half a second) never
 * holds up the UI.
 *
 * The same thread keeps the console's view of the config dir up to date
 * (engine_review_config): what applying it would change, or why it
 * cannot be applied, published as the snapshot's config_review.
 */
#ifndef JOPE_ENGINE_SIGN_H
#define JOPE_ENGINE_SIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "compliance/config_store.h"
#include "compliance/console_key.h"
#include "config/model.h"
#include "core/cmdq.h"
#include "core/state.h"
#include "plant/maintenance.h"
#include "engine_audit.h"
#include "store/spool.h"

/*
 * When the config dir was last compared with the version in use (zeroed
 * by the engine at start; no memory of its own).  The comparison runs at
 * most every ENGINE_REVIEW_MS, and only when the config dir's files (their
 * stat) or the version in use changed, or a minute went by.
 */
#define ENGINE_REVIEW_MS 2000

struct engine_review_stamp {
	bool exists;
	uint64_t dev, ino;
	int64_t size, mtime_ns, ctime_ns;
};

struct engine_review {
	int64_t next_ms;                /* monotonic: the next look */
	int64_t compared_ms;            /* the last full comparison */
	bool compared;                  /* the fields below mean something */
	int version;                    /* compared with */
	struct engine_review_stamp files[2];    /* app.json, devices.json */
	char shown[CONFIG_REVIEW_TOKEN_MAX];    /* digest of what is
	                                           published, "" none */
};

/*
 * Compare config_dir with version (in use) when it is time, and publish
 * the outcome in st when it differs from what is published.
 */
void engine_review_config(struct engine_review *rv, struct config_store *cs,
    int version, const char *config_dir, struct state *st, int64_t now_ms);
/* Compare again at the next call, whatever the stamps say. */
void engine_review_again(struct engine_review *rv);
/*
 * The answer to the console's R (CMD_RELOAD_CONFIG id, after the reload):
 * compare now, publish, and say that id is done (state_set_reload_done).
 */
void engine_review_answer(struct engine_review *rv, struct config_store *cs,
    int version, const char *config_dir, struct state *st, uint64_t id);

/* What signing needs of the engine. */
struct engine_sign_env {
	const struct model *m;          /* the running model */
	unsigned generation;            /* its config generation */
	const char *state_dir;          /* keystore.json */
	struct spool *spool;
	const struct console_key *key;
	struct state *state;
	struct audit_watch *watch;      /* told of new events; may be NULL */
	/* CMD_CONFIG_APPLY: */
	struct config_store *store;     /* the applied versions */
	const char *config_dir;         /* what is applied */
	struct engine_review *review;   /* compared again after; may be NULL */
	const char *console;            /* app.json console_id */
};

/* True for the kinds engine_sign_command deals with. */
bool engine_sign_applies(const struct command *c);

/*
 * Check and record c's signatures (signing.h), or record its cancellation.
 * True when c may now be carried out (*audit_seq, when not NULL, is then
 * the event that holds its signatures); false when it is done with (refused,
 * cancelled, an error, or a CMD_CONFIG_APPLY, which is carried out here),
 * the outcome published for the operator through
 * state_set_signing_result.  c's passwords are wiped on every path.
 */
bool engine_sign_command(const struct engine_sign_env *env,
    const struct command *c, int64_t *audit_seq);

/*
 * The window CMD_MAINT_ANNOUNCE c announces: its id ("m-" and 16 hex
 * digits) a digest of the command, the console and the first signer, so
 * the window signed and the window stored are the same.
 */
void engine_maint_window(const struct command *c, const char *console,
    struct maint_window *w);

#endif
