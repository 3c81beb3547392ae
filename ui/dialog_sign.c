/*
 * dialog_sign.c: the e-signature dialogs and the flow of one signed action
 * (see dialog_sign.h).
 *
 * The flow, one row per transition (the unit of each row is the function
 * named at its end):
 *
 *   stage      event                          next       what
 *   ---------  -----------------------------  ---------  ------------------
 *   NONE       w confirmed, c, Enter in the   FORM(0)    show the action,
 *              apply view (R), a or A on the
 *              alarm list, a batch command
 *              (F8/F9/F11/F12 or s/h/u/t/x;
 *              a start after the recipe), or
 *              the maintenance form's Enter
 *                                                        prefill the user
 *                                                        (sign_flow_begin_*)
 *   FORM(i)    Tab/Down, Shift-Tab/Up         FORM(i)    next/previous field
 *                                                        (Tab goes round);
 *                                                        leaving the user id
 *                                                        of the first signer
 *                                                        in FORM(1) is
 *                                                        refused (field_move)
 *   FORM(i)    Left/Right/Space on meaning    FORM(i)    cycle the meaning
 *   FORM(i)    Enter, a field empty or the    FORM(i)    the reason in the
 *              first signer again in FORM(1)             dialog (form_check)
 *   FORM(0)    Enter, two signatures needed   FORM(1)    signer 0 kept with
 *                                                        its password in
 *                                                        sodium memory
 *                                                        (form_enter)
 *   FORM(last) Enter                          WAIT       SUBMIT: the app
 *                                                        pushes the command
 *                                                        (form_enter,
 *                                                        sign_flow_submitted)
 *   FORM(i)    Esc (or Ctrl-C), or a reload   NONE       CANCEL: passwords
 *              of the configuration                      wiped, the app
 *                                                        pushes
 *                                                        CMD_SIGN_CANCELLED
 *   WAIT       the engine's answer, signed    NONE       (the bar says so)
 *   WAIT       the engine's answer, refused   REFUSED    show why
 *                                                        (sign_flow_snapshot)
 *   WAIT       Esc                            NONE       the engine goes on;
 *                                                        its answer shows in
 *                                                        the bar
 *   REFUSED    any key                        NONE
 *
 * The form has four fields: user id (the characters of a keystore name,
 * lower-cased), password (any printable character, UTF-8 too, shown as one
 * bullet each), meaning (performed, reviewed, approved, verified) and
 * reason (free text, UTF-8, required).  Backspace erases a character,
 * Ctrl-U the whole field.  The second signer's meaning starts at
 * "approved", the first's at "performed".  Widths are display columns
 * (text.h), so a Chinese reason or label keeps the frame straight.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "compliance/approval.h"
#include "compliance/esign.h"
#include "core/alarm_view.h"
#include "core/i18n.h"
#include "core/util.h"
#include "plant/alarm.h"
#include "plant/batch.h"
#include "ui/dialog.h"
#include "ui/dialog_sign.h"
#include "ui/draw.h"
#include "ui/field.h"
#include "ui/pointval.h"
#include "ui/text.h"
#include "ui/theme.h"

#define SIGN_TEXT_COLS 60       /* inner width when the screen allows */
#define SIGN_MAX_COLS 100       /* at most, for a long change */



static size_t
char_count(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (!utf8_cont((unsigned char)s[i]))
			n++;
	return n;
}

static void
password_clear(struct sign_flow *f)
{
	if (f->password != NULL)
		sodium_memzero(f->password, COMMAND_PASSWORD_MAX);
	f->password_len = 0;
}

static void
form_open(struct sign_flow *f, int index)
{
	f->stage = SIGN_FORM;
	f->index = index;
	f->error[0] = '\0';
	f->reason[0] = '\0';
	f->reason_skip = false;
	f->meaning = index == 0 ? ESIG_PERFORMED : ESIG_APPROVED;
	if (index == 0)
		str_copy(f->user, f->operator_name, sizeof f->user);
	else
		f->user[0] = '\0';
	if (f->password == NULL)
		f->password = command_password_dup("", 0);
	password_clear(f);
	/* A prefilled user goes straight to the password. */
	f->focus = f->user[0] != '\0' ? SIGN_PASSWORD : SIGN_USER;
	if (f->password == NULL)
		str_copy(f->error, _("No locked memory for a password; the "
		    "action cannot be signed."), sizeof f->error);
}

/* An operator name that is not a valid user id is not prefilled. */
static void
set_operator(struct sign_flow *f, const char *name)
{
	size_t i;

	f->operator_name[0] = '\0';
	if (name == NULL)
		return;
	for (i = 0; name[i] != '\0' && i + 1 < sizeof f->operator_name; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!(islower(c) || isdigit(c) || c == '_' || c == '.' ||
		    c == '-'))
			return;
	}
	if (name[i] == '\0')
		str_copy(f->operator_name, name, sizeof f->operator_name);
}

/* The action a batch command is signed as. */
static enum approval_action
batch_action(int ev)
{
	switch (ev) {
	case BATCH_EV_START:
		return ACT_BATCH_START;
	case BATCH_EV_HOLD:
		return ACT_BATCH_HOLD;
	case BATCH_EV_RESUME:
		return ACT_BATCH_RESUME;
	case BATCH_EV_STOP:
		return ACT_BATCH_STOP;
	default:
		return ACT_BATCH_ABORT;
	}
}

/* need < 0: what the running model's policy says for action a. */
static void
flow_begin(struct sign_flow *f, const struct snapshot *snap,
    enum command_kind kind, enum approval_action a, int need,
    const char *operator_name, uint64_t id)
{
	sign_flow_reset(f);
	f->cmd.kind = kind;
	f->cmd.id = id;
	f->cmd.config_gen = snap->config_generation;
	f->need = need >= 0 ? need : snap->model != NULL ?
	    snap->model->app.signatures.rule[a].signatures : 1;
	if (f->need < 1 || f->need > COMMAND_SIGNERS_MAX)
		f->need = f->need < 1 ? 1 : COMMAND_SIGNERS_MAX;
	str_copy(f->action, approval_action_label(a), sizeof f->action);
	set_operator(f, operator_name);
	form_open(f, 0);
}

void
sign_flow_begin_write(struct sign_flow *f, const struct snapshot *snap,
    size_t point, double value, const char *operator_name, uint64_t id)
{
	const struct point *p = NULL;
	char old[64], new[64];

	flow_begin(f, snap, CMD_WRITE_POINT, ACT_WRITE_SETPOINT, -1,
	    operator_name, id);
	if (snap->model != NULL && point < snap->model->npoints)
		p = &snap->model->points[point];
	f->cmd.point = point;
	f->cmd.value = value;
	if (p != NULL) {
		f->cmd.device = p->device;
		str_copy(f->cmd.object, p->id, sizeof f->cmd.object);
	}
	if (p != NULL && point < snap->npoints && snap->points[point].has_value) {
		f->cmd.has_old = true;
		f->cmd.old_value = snap->points[point].value;
	}
	str_copy(f->object, f->cmd.object, sizeof f->object);
	pointval_format_exact(new, sizeof new, value);
	if (f->cmd.has_old)
		pointval_format_exact(old, sizeof old, f->cmd.old_value);
	else
		str_copy(old, text_utf8() ? "\xe2\x80\x94" : "-", sizeof old);
	snprintf(f->change, sizeof f->change, "%s %s %s%s%s", old,
	    text_utf8() ? "\xe2\x86\x92" : "->", new,
	    p != NULL && p->unit[0] != '\0' ? " " : "",
	    p != NULL ? p->unit : "");
}

void
sign_flow_begin_clock(struct sign_flow *f, const struct snapshot *snap,
    size_t device, const char *operator_name, uint64_t id)
{
	flow_begin(f, snap, CMD_SET_CLOCK, ACT_SET_CLOCK, -1, operator_name,
	    id);
	f->cmd.device = device;
	if (snap->model != NULL && device < snap->model->ndevices)
		str_copy(f->cmd.object, snap->model->devices[device].id,
		    sizeof f->cmd.object);
	str_copy(f->object, f->cmd.object, sizeof f->object);
	str_copy(f->change, _("the device's clock to the console's time"),
	    sizeof f->change);
}

void
sign_flow_begin_config(struct sign_flow *f, const struct snapshot *snap,
    const struct sign_config *sc, const char *operator_name, uint64_t id)
{
	const char *arrow = text_utf8() ? "\xe2\x86\x92" : "->";

	flow_begin(f, snap, CMD_CONFIG_APPLY, ACT_CONFIG_APPLY, sc->need,
	    operator_name, id);
	str_copy(f->cmd.review, sc->token, sizeof f->cmd.review);
	/* The engine logs the object; the dialog shows the whole dir. */
	str_copy(f->cmd.object, sc->dir, sizeof f->cmd.object);
	str_copy(f->object, sc->dir, sizeof f->object);
	if (sc->differences == 1 && sc->first != NULL && sc->first[0] != '\0')
		/* TRANSLATORS: old version, arrow, new version, the change. */
		snprintf(f->change, sizeof f->change, _("version %d %s %d: %s"),
		    sc->old_version, arrow, sc->new_version, sc->first);
	else
		/* TRANSLATORS: old version, arrow, new version, differences. */
		snprintf(f->change, sizeof f->change, ngettext("version %d %s "
		    "%d: %zu difference (listed before)", "version %d %s %d: "
		    "%zu differences (listed before)",
		    (unsigned long)sc->differences), sc->old_version, arrow,
		    sc->new_version, sc->differences);
	utf8_trim_partial(f->change);
}

static const struct alarm_row *
alarm_find(const struct alarm_view *l, const char *key)
{
	for (size_t i = 0; l != NULL && i < l->n; i++)
		if (strcmp(l->rows[i].key, key) == 0)
			return &l->rows[i];
	return NULL;
}

void
sign_flow_begin_alarm_ack(struct sign_flow *f, const struct snapshot *snap,
    const char *alarm, const char *filter, size_t count,
    const char *operator_name, uint64_t id)
{
	const char *arrow = text_utf8() ? "\xe2\x86\x92" : "->";
	const struct alarm_row *r;

	flow_begin(f, snap, CMD_ALARM_ACK, ACT_ALARM_ACK, -1, operator_name,
	    id);
	/* Only the activations on screen now: a later one needs its own. */
	f->cmd.alarms_seen = snap->alarms != NULL ?
	    snap->alarms->activations : 0;
	if (alarm != NULL && alarm[0] != '\0') {
		str_copy(f->cmd.object, alarm, sizeof f->cmd.object);
		r = alarm_find(snap->alarms, alarm);
		if (r != NULL && r->name[0] != '\0' &&
		    strcmp(r->name, r->source) != 0)
			snprintf(f->object, sizeof f->object, "%s (%s)", alarm,
			    r->level == ALARM_SYSTEM ? _(r->name) : r->name);
		else
			str_copy(f->object, alarm, sizeof f->object);
		/* The state it leaves and the one it reaches (alarm.c). */
		if (r != NULL && (r->state == ALARM_UNACK_ACTIVE ||
		    r->state == ALARM_UNACK_CLEARED))
			snprintf(f->change, sizeof f->change, "%s %s %s",
			    alarm_state_label((enum alarm_state)r->state), arrow,
			    alarm_state_label(r->state == ALARM_UNACK_ACTIVE ?
			    ALARM_ACK_ACTIVE : ALARM_NORMAL));
		utf8_trim_partial(f->object);
		return;
	}
	if (filter == NULL)
		filter = "";
	/* The engine acknowledges what matches review when it gets it. */
	f->cmd.object[0] = '\0';
	str_copy(f->cmd.review, filter, sizeof f->cmd.review);
	str_copy(f->action, _("acknowledge alarms"), sizeof f->action);
	if (filter[0] == '\0')
		str_copy(f->object, _("every unacknowledged alarm"),
		    sizeof f->object);
	else
		/* TRANSLATORS: the alarms acknowledged: the filter of the
		 * alarm list (the change line says how many). */
		snprintf(f->object, sizeof f->object, _("key or name contains "
		    "\"%s\""), filter);
	/* TRANSLATORS: how many alarms, an arrow. */
	snprintf(f->change, sizeof f->change, ngettext("%zu alarm: "
	    "unacknowledged %s acknowledged", "%zu alarms: unacknowledged %s "
	    "acknowledged", (unsigned long)count), count, arrow);
	utf8_trim_partial(f->object);
}

void
sign_flow_begin_batch(struct sign_flow *f, const struct snapshot *snap,
    int event, size_t recipe, const char *operator_name, uint64_t id)
{
	const char *arrow = text_utf8() ? "\xe2\x86\x92" : "->";
	const struct batch_view *b = &snap->batch;
	const struct recipe *r = NULL;

	flow_begin(f, snap, CMD_BATCH, batch_action(event), -1, operator_name,
	    id);
	f->cmd.batch_event = event;
	if (event == BATCH_EV_START) {
		f->cmd.recipe = recipe;
		if (snap->model != NULL && recipe < snap->model->nrecipes)
			r = &snap->model->recipes[recipe];
		str_copy(f->cmd.object, b->next_id, sizeof f->cmd.object);
		str_copy(f->object, b->next_id, sizeof f->object);
		if (r != NULL)
			/* TRANSLATORS: recipe name, version, id. */
			snprintf(f->change, sizeof f->change, _("a new batch of "
			    "recipe %s v%s (%s)"), r->name, r->version, r->id);
		utf8_trim_partial(f->change);
		return;
	}
	str_copy(f->cmd.object, b->current.id, sizeof f->cmd.object);
	/* TRANSLATORS: batch id, recipe name, recipe version. */
	snprintf(f->object, sizeof f->object, _("%s (%s v%s)"), b->current.id,
	    b->current.recipe_name, b->current.recipe_version);
	utf8_trim_partial(f->object);
	switch (event) {
	case BATCH_EV_HOLD:
		/* TRANSLATORS: an arrow. */
		snprintf(f->change, sizeof f->change, _("running %s held: the "
		    "runs pause until it is resumed"), arrow);
		break;
	case BATCH_EV_RESUME:
		/* TRANSLATORS: an arrow. */
		snprintf(f->change, sizeof f->change, _("held %s running: the "
		    "runs go on"), arrow);
		break;
	case BATCH_EV_STOP:
		/* TRANSLATORS: the run in progress. */
		snprintf(f->change, sizeof f->change, _("graceful stop: run "
		    "%lld finishes, then the batch is complete"),
		    (long long)b->progress.run);
		break;
	default:
		str_copy(f->change, _("abort: the batch ends at once, its run "
		    "does not finish"), sizeof f->change);
		break;
	}
}

/* "2026-11-21 14:00" in UTC. */
static void
format_utc(char *buf, size_t len, int64_t us)
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, len, "?");
}

void
sign_flow_begin_maint(struct sign_flow *f, const struct snapshot *snap,
    int64_t start_us, int64_t end_us, const char *reason,
    const char *operator_name, uint64_t id)
{
	char start[64], end[64];

	flow_begin(f, snap, CMD_MAINT_ANNOUNCE, ACT_MAINTENANCE_ANNOUNCE, -1,
	    operator_name, id);
	f->cmd.start_us = start_us;
	f->cmd.end_us = end_us;
	str_copy(f->cmd.text, reason, sizeof f->cmd.text);
	f->cmd.object[0] = '\0';
	format_utc(start, sizeof start, start_us);
	format_utc(end, sizeof end, end_us);
	/* TRANSLATORS: start, end (UTC), the length in hours. */
	snprintf(f->object, sizeof f->object, _("%s to %s UTC (%.4g h)"),
	    start, end, (double)(end_us - start_us) / 3600e6);
	/* TRANSLATORS: the reason typed for the window. */
	snprintf(f->change, sizeof f->change, _("no new batch may start in "
	    "it; reason: %s"), reason);
	utf8_trim_partial(f->change);
}

void
sign_flow_reset(struct sign_flow *f)
{
	command_wipe(&f->cmd);
	command_password_free(f->password);
	memset(f, 0, sizeof *f);
}

void
sign_flow_cancel_command(const struct sign_flow *f, struct command *c)
{
	memset(c, 0, sizeof *c);
	c->kind = CMD_SIGN_CANCELLED;
	c->cancelled = f->cmd.kind;
	c->id = f->cmd.id;
	c->device = f->cmd.device;
	c->point = f->cmd.point;
	c->value = f->cmd.value;
	c->has_old = f->cmd.has_old;
	c->old_value = f->cmd.old_value;
	c->config_gen = f->cmd.config_gen;
	str_copy(c->object, f->cmd.object, sizeof c->object);
	str_copy(c->review, f->cmd.review, sizeof c->review);
	c->batch_event = f->cmd.batch_event;
	c->recipe = f->cmd.recipe;
	c->start_us = f->cmd.start_us;
	c->end_us = f->cmd.end_us;
	str_copy(c->text, f->cmd.text, sizeof c->text);
	/* Who walked away: the user id typed, else the first signer's. */
	str_copy(c->signer[0].user, f->user[0] != '\0' ? f->user :
	    f->index > 0 ? f->cmd.signer[0].user : f->operator_name,
	    sizeof c->signer[0].user);
}

void
sign_flow_submitted(struct sign_flow *f, bool pushed)
{
	if (pushed) {
		/* The passwords went with the command: forget, do not wipe. */
		for (size_t i = 0; i < COMMAND_SIGNERS_MAX; i++)
			f->cmd.signer[i].password = NULL;
		f->stage = SIGN_WAIT;
		str_copy(f->result, "", sizeof f->result);
	} else {
		sign_flow_reset(f);
	}
}

bool
sign_flow_snapshot(struct sign_flow *f, const struct snapshot *snap)
{
	if (f->stage == SIGN_WAIT && snap->signing_done_id == f->cmd.id) {
		if (snap->signing_ok) {
			sign_flow_reset(f);
		} else {
			str_copy(f->result, snap->command_text,
			    sizeof f->result);
			f->stage = SIGN_REFUSED;
		}
		return false;
	}
	return f->stage == SIGN_FORM &&
	    f->cmd.config_gen != snap->config_generation;
}

/* Is the user id the one that already signed in the first place? */
static bool
first_again(const struct sign_flow *f)
{
	return f->index > 0 && strcmp(f->user, f->cmd.signer[0].user) == 0;
}

static void
say_first_again(struct sign_flow *f)
{
	/* TRANSLATORS: a user id. */
	snprintf(f->error, sizeof f->error, _("%s already signed first; the "
	    "second signature must be by another person."), f->user);
}

/* Tab and Shift-Tab go round; Up and Down stop at the first and last. */
static void
field_move(struct sign_flow *f, int step, bool wrap)
{
	int to = (int)f->focus + step;

	if (f->focus == SIGN_USER && first_again(f)) {
		say_first_again(f);
		return;
	}
	if (wrap)
		to = (to + SIGN_FIELDS) % SIGN_FIELDS;
	else if (to < 0 || to >= SIGN_FIELDS)
		return;
	f->focus = (enum sign_field)to;
}

static bool
blank(const char *s)
{
	while (*s == ' ')
		s++;
	return *s == '\0';
}

/* 0 when the form may be signed; otherwise the reason is in f->error. */
static int
form_check(struct sign_flow *f)
{
	const char *why = NULL;
	enum sign_field at = f->focus;

	if (f->password == NULL)
		return -1;
	if (f->user[0] == '\0') {
		why = _("Type your user id.");
		at = SIGN_USER;
	} else if (first_again(f)) {
		say_first_again(f);
		f->focus = SIGN_USER;
		return -1;
	} else if (f->password_len == 0) {
		why = _("Type your password.");
		at = SIGN_PASSWORD;
	} else if (blank(f->reason)) {
		why = _("A reason is required.");
		at = SIGN_REASON;
	}
	if (why == NULL)
		return 0;
	str_copy(f->error, why, sizeof f->error);
	f->focus = at;
	return -1;
}

/* Enter: the signer is complete; the next one, or the command. */
static enum sign_event
form_enter(struct sign_flow *f)
{
	struct command_signer *s;

	if (form_check(f) != 0)
		return SIGN_EV_NONE;
	s = &f->cmd.signer[f->index];
	str_copy(s->user, f->user, sizeof s->user);
	str_copy(s->reason, f->reason, sizeof s->reason);
	s->meaning = f->meaning;
	s->password = f->password;      /* moves: no copy */
	f->password = NULL;
	f->password_len = 0;
	f->cmd.nsigners = (size_t)f->index + 1;
	if (f->index + 1 < f->need) {
		form_open(f, f->index + 1);
		return SIGN_EV_NONE;
	}
	return SIGN_EV_SUBMIT;
}

static void
text_key(char *buf, size_t size, int key)
{
	size_t n = strlen(buf);

	if (n + 1 < size) {
		buf[n] = (char)key;
		buf[n + 1] = '\0';
	}
}

static void
user_key(struct sign_flow *f, int key)
{
	if (key >= 'A' && key <= 'Z')
		key = tolower(key);
	if ((key >= 'a' && key <= 'z') || (key >= '0' && key <= '9') ||
	    key == '_' || key == '.' || key == '-')
		text_key(f->user, sizeof f->user, key);
}

static void
password_key(struct sign_flow *f, int key)
{
	if (f->password != NULL && f->password_len + 1 < COMMAND_PASSWORD_MAX) {
		f->password[f->password_len++] = (char)key;
		f->password[f->password_len] = '\0';
	}
}

/* Backspace and Ctrl-U on the focused field. */
static void
field_erase(struct sign_flow *f, bool all)
{
	switch (f->focus) {
	case SIGN_USER:
		if (all)
			f->user[0] = '\0';
		else
			utf8_erase_last(f->user);
		break;
	case SIGN_PASSWORD:
		if (f->password == NULL)
			break;
		if (all) {
			password_clear(f);
			break;
		}
		while (f->password_len > 0 && utf8_cont((unsigned char)
		    f->password[f->password_len - 1]))
			f->password[--f->password_len] = '\0';
		if (f->password_len > 0)
			f->password[--f->password_len] = '\0';
		break;
	case SIGN_REASON:
		if (all)
			f->reason[0] = '\0';
		else
			utf8_erase_last(f->reason);
		f->reason_skip = false;
		break;
	default:
		break;
	}
}

static enum sign_event
form_key(struct sign_flow *f, int key)
{
	enum field_key what = field_key_of(key);

	switch (what) {
	case FIELD_KEY_CANCEL:
		return SIGN_EV_CANCEL;
	case FIELD_KEY_ENTER:
		return form_enter(f);
	case FIELD_KEY_NEXT:
	case FIELD_KEY_PREV:
		field_move(f, what == FIELD_KEY_NEXT ? 1 : -1,
		    field_key_wraps(key));
		return SIGN_EV_NONE;
	case FIELD_KEY_ERASE:
	case FIELD_KEY_CLEAR:
		f->error[0] = '\0';
		field_erase(f, what == FIELD_KEY_CLEAR);
		return SIGN_EV_NONE;
	default:
		break;
	}
	if (f->focus == SIGN_MEANING) {
		if (key == KEY_LEFT)
			f->meaning = (f->meaning + ESIG_MEANING_COUNT_ - 1) %
			    ESIG_MEANING_COUNT_;
		else if (key == KEY_RIGHT || key == ' ')
			f->meaning = (f->meaning + 1) % ESIG_MEANING_COUNT_;
		return SIGN_EV_NONE;
	}
	/* Printable bytes only (UTF-8 arrives a byte at a time). */
	if (what != FIELD_KEY_TYPE)
		return SIGN_EV_NONE;
	f->error[0] = '\0';
	if (f->focus == SIGN_USER)
		user_key(f, key);
	else if (f->focus == SIGN_PASSWORD)
		password_key(f, key);
	else if (f->focus == SIGN_REASON)
		field_type(f->reason, sizeof f->reason, &f->reason_skip, key);
	return SIGN_EV_NONE;
}

enum sign_event
sign_flow_key(struct sign_flow *f, int key)
{
	if (key == KEY_RESIZE || key == ERR)
		return SIGN_EV_NONE;
	switch (f->stage) {
	case SIGN_FORM:
		return form_key(f, key);
	case SIGN_WAIT:
		if (key == 27)
			f->stage = SIGN_NONE;   /* the result shows in the bar */
		return SIGN_EV_NONE;
	case SIGN_REFUSED:
		sign_flow_reset(f);
		return SIGN_EV_NONE;
	default:
		return SIGN_EV_NONE;
	}
}

static void
draw_label_value(WINDOW *win, const struct rect *r, int row, int lw,
    const char *label, const char *value, attr_t vattr)
{
	int x = r->x + 2, vw = r->w - 4 - lw - 1;

	if (row >= r->h - 1)
		return;
	draw_text(win, r->y + row, x, lw, theme_attr(ROLE_DIALOG), ALIGN_LEFT,
	    label);
	if (vw > 0)
		draw_text_cut(win, r->y + row, x + lw + 1, vw, vattr,
		    ALIGN_LEFT, value);
}

/* One field: its label (highlighted when focused) and its box. */
static void
draw_field(WINDOW *win, const struct rect *r, int row, int lw,
    const char *label, const char *text, bool focused)
{
	int x = r->x + 2 + lw + 1, fw = r->w - 4 - lw - 1;
	char shown[COMMAND_PASSWORD_MAX * 3 + 8];

	if (row >= r->h - 1 || fw <= 0)
		return;
	draw_text(win, r->y + row, r->x + 2, lw, theme_attr(focused ?
	    ROLE_DIALOG_TITLE : ROLE_DIALOG), ALIGN_LEFT, label);
	snprintf(shown, sizeof shown, "%s%s", field_tail(text, focused ?
	    fw - 1 : fw), focused ? "_" : "");
	draw_text(win, r->y + row, x, fw, theme_attr(focused ?
	    ROLE_BUTTON_FOCUS : ROLE_FIELD), ALIGN_LEFT, shown);
}

static int
max_width(const char *const *s, size_t n)
{
	int w = 0;

	for (size_t i = 0; i < n; i++)
		if (text_width(s[i]) > w)
			w = text_width(s[i]);
	return w;
}

static int
inner_width(const struct rect *screen, int want)
{
	int iw = SIGN_TEXT_COLS;

	if (want > iw)
		iw = want;
	if (iw > screen->w - 4)
		iw = screen->w - 4;
	return iw < 1 ? 1 : iw;
}

static void
draw_form(const struct sign_flow *f, WINDOW *win, const struct rect *screen)
{
	const char *labels[] = { _("Action:"), _("Object:"), _("Change:"),
	    _("First signer:"), _("User id:"), _("Password:"), _("Meaning:"),
	    _("Reason:") };
	const char *footer = _("Enter signs, Esc cancels, Tab moves.");
	const char *title;
	char dots[COMMAND_PASSWORD_MAX * 3 + 1], first[192], meaning[96];
	const char *bullet = text_utf8() ? "\xe2\x80\xa2" : "*", *p;
	struct rect r;
	int lw = max_width(labels, ARRAY_LEN(labels)), row = 1, ih, iw, long_w;
	size_t n;

	if (f->need < 2)
		title = _("Electronic signature");
	else if (f->index == 0)
		title = _("First signature (4-eyes)");
	else
		title = _("Second signature (4-eyes)");
	ih = 3 + (f->change[0] != '\0') + (f->index > 0) + 4 + 4;
	iw = inner_width(screen, text_width(title) + 2);
	if (text_width(footer) > iw)
		iw = inner_width(screen, text_width(footer));
	/*
	 * Wider for a long change (a configuration's) or object (the filter
	 * of an alarm acknowledgement), as the screen allows.
	 */
	long_w = text_width(f->change) > text_width(f->object) ?
	    text_width(f->change) : text_width(f->object);
	if (lw + 1 + long_w > iw)
		iw = inner_width(screen, lw + 1 + long_w > SIGN_MAX_COLS ?
		    SIGN_MAX_COLS : lw + 1 + long_w);
	r = dialog_box(win, screen, ih, iw, title);
	draw_label_value(win, &r, row++, lw, labels[0], f->action,
	    theme_attr(ROLE_DIALOG));
	draw_label_value(win, &r, row++, lw, labels[1], f->object,
	    theme_attr(ROLE_DIALOG));
	if (f->change[0] != '\0')
		draw_label_value(win, &r, row++, lw, labels[2], f->change,
		    theme_attr(ROLE_DIALOG));
	if (f->index > 0) {
		const struct command_signer *s0 = &f->cmd.signer[0];

		/* TRANSLATORS: user id, meaning of the signature. */
		snprintf(first, sizeof first, _("%s (%s)"), s0->user,
		    esig_meaning_label((enum esig_meaning)s0->meaning));
		draw_label_value(win, &r, row++, lw, labels[3], first,
		    theme_attr(ROLE_DIALOG));
	}
	row++;
	draw_field(win, &r, row++, lw, labels[4], f->user,
	    f->focus == SIGN_USER);
	/* The password itself is never drawn: one bullet a character. */
	dots[0] = '\0';
	n = char_count(f->password != NULL ? f->password : "",
	    f->password_len);
	for (size_t i = 0; i < n && strlen(dots) + 4 < sizeof dots; i++)
		strcat(dots, bullet);
	draw_field(win, &r, row++, lw, labels[5], dots,
	    f->focus == SIGN_PASSWORD);
	snprintf(meaning, sizeof meaning, "< %s >",
	    esig_meaning_label((enum esig_meaning)f->meaning));
	draw_field(win, &r, row++, lw, labels[6], meaning,
	    f->focus == SIGN_MEANING);
	draw_field(win, &r, row++, lw, labels[7], f->reason,
	    f->focus == SIGN_REASON);
	row++;
	/* Two lines for why Enter was refused: wrapped, the rest cut. */
	p = f->error;
	for (int k = 0; k < 2 && *p != '\0'; k++) {
		char line[sizeof f->error];
		size_t len = k == 1 ? strlen(p) : text_wrap(p, r.w - 4);

		memcpy(line, p, len);
		line[len] = '\0';
		if (row + k < r.h - 1)
			draw_text_cut(win, r.y + row + k, r.x + 2, r.w - 4,
			    theme_attr(ROLE_DIALOG_ERROR), ALIGN_LEFT, line);
		p += len;
		while (*p == ' ')
			p++;
	}
	row += 2;
	if (row < r.h - 1)
		draw_text_cut(win, r.y + row, r.x + 2, r.w - 4,
		    theme_attr(ROLE_DIALOG), ALIGN_LEFT, footer);
}

/* A box with wrapped text (SIGN_WAIT, SIGN_REFUSED). */
static void
draw_note(WINDOW *win, const struct rect *screen, const char *title,
    const char *text, const char *footer, int role)
{
	char line[512];
	const char *p;
	int iw = inner_width(screen, text_width(title) + 2), n = 0, row;
	struct rect r;

	for (p = text; *p != '\0'; n++) {
		p += text_wrap(p, iw);
		while (*p == ' ')
			p++;
	}
	r = dialog_box(win, screen, n + 2, iw, title);
	row = 1;
	for (p = text; *p != '\0' && row < r.h - 1; row++) {
		size_t len = text_wrap(p, iw);

		if (len >= sizeof line)
			len = sizeof line - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		draw_text_cut(win, r.y + row, r.x + 2, r.w - 4,
		    theme_attr((enum theme_role)role), ALIGN_LEFT, line);
		p += len;
		while (*p == ' ')
			p++;
	}
	if (row + 1 < r.h - 1)
		draw_text_cut(win, r.y + row + 1, r.x + 2, r.w - 4,
		    theme_attr(ROLE_DIALOG), ALIGN_LEFT, footer);
}

void
sign_flow_draw(const struct sign_flow *f, WINDOW *win,
    const struct rect *screen)
{
	char text[512];

	switch (f->stage) {
	case SIGN_FORM:
		draw_form(f, win, screen);
		break;
	case SIGN_WAIT:
		/* TRANSLATORS: action, object. */
		snprintf(text, sizeof text, _("Signing… %s %s: checking the "
		    "password and recording the signature."), f->action,
		    f->object);
		draw_note(win, screen, _("Electronic signature"), text,
		    _("Esc hides this; the result shows below."), ROLE_DIALOG);
		break;
	case SIGN_REFUSED:
		draw_note(win, screen, _("Not signed"), f->result,
		    _("Press any key to close."), ROLE_DIALOG_ERROR);
		break;
	default:
		break;
	}
}
