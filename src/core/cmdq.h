/*
 * cmdq.h: the command queue from the UI thread to the engine.
 *
 * The UI never calls into the engine's workers directly: it pushes a small
 * command and returns at once; the engine's housekeeping thread pops and
 * carries it out, and the result shows up in the state snapshot.  Pushing
 * never blocks on I/O, so a dead device or database cannot slow a keystroke.
 *
 * Signed commands.  Writing a setpoint and setting a device clock act on the
 * plant, applying the config dir changes what the engine runs; they need
 * electronic signatures (compliance/approval.h): such a
 * command carries one or two signers, each with a user id, the password
 * (in sodium_malloc'ed memory), the meaning and the reason typed into the
 * console's e-signature dialogs.  The engine checks and records the
 * signatures before it carries the command out (src/engine_sign.c).  A
 * command owns its passwords: whoever ends up with it (the engine after
 * cmdq_pop, the UI when cmdq_push refuses it, cmdq_free for what is left in
 * the queue) calls command_wipe, which wipes and frees them.  An e-signature
 * dialog left with Esc becomes CMD_SIGN_CANCELLED, audited as such.
 */
#ifndef JOPE_CMDQ_H
#define JOPE_CMDQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum command_kind {
	CMD_READ_DEVICE_NOW,    /* immediate read of every point of a device */
	CMD_READ_POINT_NOW,     /* immediate read of one point */
	CMD_RELOAD_CONFIG,      /* re-read the applied version (swap it in
	                           when CURRENT moved), compare the config
	                           dir with it; done: state's reload_done_id */
	CMD_SET_CLOCK,          /* set device's clock to the console's time
	                           (signed) */
	CMD_WRITE_POINT,        /* write value to a writable point (signed) */
	CMD_SIGN_CANCELLED,     /* the signing of command `cancelled` was
	                           abandoned: audit it, nothing else */
	CMD_CONFIG_APPLY,       /* make the config dir a new configuration
	                           version (signed): only while it still
	                           differs as `review` says */
	CMD_REPREDICT,          /* re-predict the latest spectrum (inference) */
	CMD_ALARM_ACK,          /* acknowledge alarm `object` (an alarm_row
	                           key), or with object "" every shown alarm
	                           whose key or name contains `review` ("":
	                           all) that is unacknowledged (signed) */
	CMD_BATCH,              /* batch_event on batch `object` (START:
	                           the batch_view's next_id, of recipe
	                           `recipe`) (signed: ACT_BATCH_*) */
	CMD_MAINT_ANNOUNCE      /* announce the maintenance window
	                           [start_us, end_us) for `text` (signed,
	                           ACT_MAINTENANCE_ANNOUNCE); object "" */
};

#define COMMAND_SIGNERS_MAX 2
#define COMMAND_USER_MAX 33             /* as esig.user */
#define COMMAND_REASON_MAX 256          /* as esig.reason */
#define COMMAND_PASSWORD_MAX 256        /* bytes, with the NUL */
#define COMMAND_OBJECT_MAX 96           /* a model id, an alarm key */
#define COMMAND_REVIEW_MAX 33           /* as CONFIG_REVIEW_TOKEN_MAX */
#define COMMAND_TEXT_MAX 256            /* as MAINT_REASON_MAX */

/* One person's signature, as typed: checked by the engine. */
struct command_signer {
	char user[COMMAND_USER_MAX];
	char *password;         /* sodium_malloc'ed, NUL-terminated, or NULL */
	int meaning;            /* enum esig_meaning */
	char reason[COMMAND_REASON_MAX];
};

/*
 * Indices refer to the model of the snapshot the UI acted on; config_gen
 * names that model, so a command that crosses a reload is refused rather
 * than applied to whatever now has that index.
 */
struct command {
	enum command_kind kind;
	size_t device;          /* index into model.devices */
	size_t point;           /* index into model.points */
	double value;           /* CMD_WRITE_POINT, engineering units */
	unsigned config_gen;    /* snapshot.config_generation */
	/* Signed commands (and CMD_SIGN_CANCELLED): */
	uint64_t id;            /* chosen by the UI; state's signing_done_id
	                           (reload_done_id for CMD_RELOAD_CONFIG) */
	enum command_kind cancelled;    /* CMD_SIGN_CANCELLED: of what */
	char object[COMMAND_OBJECT_MAX];  /* the point's or device's id as
	                                     the signers saw it */
	bool has_old;           /* CMD_WRITE_POINT: old_value was shown */
	double old_value;
	/* CMD_CONFIG_APPLY: the config_review.token of the difference the
	   signers were shown */
	char review[COMMAND_REVIEW_MAX];
	/* CMD_ALARM_ACK: the alarm list's activations when the operator
	   began: alarms raised after that are not acknowledged with it */
	uint64_t alarms_seen;
	/* CMD_BATCH: the command (enum batch_event: start, hold, resume,
	   stop or abort) and, for start, the recipe (index into
	   model.recipes of config_gen's model) */
	int batch_event;
	size_t recipe;
	/* CMD_MAINT_ANNOUNCE: the window, real time µs UTC, and its reason */
	int64_t start_us, end_us;
	char text[COMMAND_TEXT_MAX];
	size_t nsigners;
	struct command_signer signer[COMMAND_SIGNERS_MAX];
};

struct cmdq;

struct cmdq *cmdq_new(void);
/* Frees the queue; commands still in it are wiped (command_wipe). */
void cmdq_free(struct cmdq *q);
/*
 * false when the queue is full (the UI tells the operator, nothing blocks);
 * the command, and its passwords, then stay the caller's.
 */
bool cmdq_push(struct cmdq *q, const struct command *c);
/* Wait up to timeout_ms (monotonic, real time) for a command; true if one. */
bool cmdq_pop(struct cmdq *q, struct command *c, int timeout_ms);
/* Wake a waiting cmdq_pop without a command (used at shutdown). */
void cmdq_interrupt(struct cmdq *q);

/*
 * A copy of password (len bytes, not NUL-terminated) in sodium_malloc'ed
 * memory for a command_signer; NULL when memory is short.
 */
char *command_password_dup(const char *password, size_t len);
/* Wipe and free a password of command_password_dup; NULL is allowed. */
void command_password_free(char *password);
/*
 * Wipe and free the passwords of c and forget them.  Takes the command
 * whoever holds it last: the engine once it has used it, the UI when the
 * queue refused it.
 */
void command_wipe(struct command *c);

#endif
