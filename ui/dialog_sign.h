/*
 * dialog_sign.h: the e-signature dialogs, and the signing of one action.
 *
 * A sign flow is the console's part of one signed action (writing a
 * setpoint, setting a device clock, applying the config dir,
 * acknowledging alarms, a batch command, announcing a maintenance
 * window): it shows what is being signed, asks
 * each signer the policy wants (one, or two for 4-eyes) for user id,
 * password, meaning and reason, and hands the app a command with every
 * signer in it to push; then it shows "Signing..." until the engine's
 * answer arrives in the snapshot (signing_done_id), and the reason when the
 * engine refused.  The state machine is at the top of dialog_sign.c.
 *
 * Passwords are typed straight into sodium_malloc'ed buffers
 * (command_password_dup) and move, without a copy, into the command: once
 * the app has pushed it, the engine wipes them after use; when the action
 * is cancelled or the push fails they are wiped here (sign_flow_reset).
 * A password is never drawn (one bullet per character) and never kept in
 * the snapshot.
 */
#ifndef JOPE_UI_DIALOG_SIGN_H
#define JOPE_UI_DIALOG_SIGN_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cmdq.h"
#include "core/state.h"
#include "ui/layout.h"

enum sign_stage {
	SIGN_NONE,
	SIGN_FORM,              /* a signer fills the dialog */
	SIGN_WAIT,              /* pushed: "Signing..." until the result */
	SIGN_REFUSED            /* the engine said no: why, until a key */
};

/* What a key did, for the app. */
enum sign_event {
	SIGN_EV_NONE,
	SIGN_EV_SUBMIT,         /* push flow.cmd (signers and passwords) */
	SIGN_EV_CANCEL          /* push sign_flow_cancel_command */
};

enum sign_field { SIGN_USER, SIGN_PASSWORD, SIGN_MEANING, SIGN_REASON,
	SIGN_FIELDS };

struct sign_flow {
	enum sign_stage stage;
	struct command cmd;     /* what is signed; signers added as they sign */
	int need;               /* signatures the policy wants: 1 or 2 */
	int index;              /* the signer asked now: 0 or 1 */
	/* What is shown as signed (translated, copied when the flow began). */
	char action[128], object[512], change[512];
	char operator_name[COMMAND_USER_MAX];
	/* The form of the signer asked now. */
	enum sign_field focus;
	char user[COMMAND_USER_MAX];
	char *password;         /* COMMAND_PASSWORD_MAX bytes, sodium memory */
	size_t password_len;
	int meaning;            /* enum esig_meaning */
	char reason[COMMAND_REASON_MAX];
	bool reason_skip;       /* a character that did not fit (field.h) */
	char error[256];        /* why Enter was refused, "" none */
	/* SIGN_WAIT and SIGN_REFUSED */
	char result[192];
};

/*
 * Begin signing a write of value to point (of snap's model), with the
 * value snap shows now as the old one, or a clock set of device.  need
 * comes from the model's policy.  id names the command (state's
 * signing_done_id); operator prefills the first signer's user id.
 */
void sign_flow_begin_write(struct sign_flow *f, const struct snapshot *snap,
    size_t point, double value, const char *operator_name, uint64_t id);
void sign_flow_begin_clock(struct sign_flow *f, const struct snapshot *snap,
    size_t device, const char *operator_name, uint64_t id);
/*
 * Begin signing the apply of the config dir shown in the apply view
 * (dialog.h DIALOG_APPLY, whose copies d->apply_* are passed): token names
 * the difference the signers saw, need comes from the version in use.
 */
struct sign_config {
	const char *dir, *token;
	int old_version, new_version, need;
	size_t differences;
	const char *first;      /* the difference when it is one, or "" */
};
void sign_flow_begin_config(struct sign_flow *f, const struct snapshot *snap,
    const struct sign_config *sc, const char *operator_name, uint64_t id);

/*
 * Begin signing an alarm acknowledgement (CMD_ALARM_ACK, ACT_ALARM_ACK):
 * with alarm (an alarm_row key of snap->alarms) that alarm; with alarm
 * NULL or "" every unacknowledged alarm whose key or name contains filter
 * ("" all), count of them as the alarm list shows (the dialog says how
 * many; the engine acknowledges what matches when it carries it out).
 */
void sign_flow_begin_alarm_ack(struct sign_flow *f,
    const struct snapshot *snap, const char *alarm, const char *filter,
    size_t count, const char *operator_name, uint64_t id);

/*
 * Begin signing a batch command (CMD_BATCH, ACT_BATCH_*): event is an
 * enum batch_event (start, hold, resume, stop, abort).  START is of snap's
 * proposed batch (batch.next_id) with recipe (an index into snap's
 * model.recipes); the others are of the current batch.  The dialog shows
 * the batch, and what the command does: the recipe a start runs, that a
 * stop lets the current run finish, that an abort ends it at once.
 */
void sign_flow_begin_batch(struct sign_flow *f, const struct snapshot *snap,
    int event, size_t recipe, const char *operator_name, uint64_t id);
/*
 * Begin signing the announcement of the maintenance window [start_us,
 * end_us) (real time µs UTC) for reason (CMD_MAINT_ANNOUNCE,
 * ACT_MAINTENANCE_ANNOUNCE: two signatures by default).
 */
void sign_flow_begin_maint(struct sign_flow *f, const struct snapshot *snap,
    int64_t start_us, int64_t end_us, const char *reason,
    const char *operator_name, uint64_t id);

enum sign_event sign_flow_key(struct sign_flow *f, int key);
/*
 * After SIGN_EV_SUBMIT: pushed says whether the queue took f->cmd.  Its
 * passwords now belong to the engine (pushed) or are wiped (not pushed).
 */
void sign_flow_submitted(struct sign_flow *f, bool pushed);
/* The CMD_SIGN_CANCELLED for this flow (no password in it). */
void sign_flow_cancel_command(const struct sign_flow *f, struct command *c);
/* Wipe every password and forget the flow. */
void sign_flow_reset(struct sign_flow *f);
/*
 * A new snapshot: ends SIGN_WAIT when the answer is there.  True when
 * the flow's form is about a model the snapshot no longer has (a reload):
 * the app then cancels it.
 */
bool sign_flow_snapshot(struct sign_flow *f, const struct snapshot *snap);

void sign_flow_draw(const struct sign_flow *f, WINDOW *win,
    const struct rect *screen);

#endif
