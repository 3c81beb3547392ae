/*
 * engine_sign.c: signed commands from the console, checked and recorded
 * before they run (engine_sign.h).
 *
 * The e-signature dialogs of the console send the signers' answers with
 * the command itself (cmdq.h); this file turns the command into the action
 * that is signed, a compact JSON object naming the object and the change,
 *
 *   {"action":"write_setpoint","point":"FIC-101.SP","device":"pumps",
 *    "old":24.0,"new":25.5,"unit":"mL/min"}
 *   {"action":"set_clock","device":"pumps","to":"console_time"}
 *
 * and takes it through the steps of signing.h, one signer after the other:
 *
 *   step          what                                  on failure
 *   ------------  ------------------------------------  -----------------
 *   check         model generation, indices, the object  refused, nothing
 *                 id the dialogs showed, the number of   audited
 *                 signers the policy wants
 *   sign 1..n     signing_sign: policy place, password   refused; failed
 *                 (Argon2id unlock), Ed25519 signature   logins audited by
 *                                                        signing_sign
 *   record        signing_record: approval_complete,     refused
 *                 one audit event of the action's kind
 *                 with every signature
 *   run           the caller submits the executor task  (executor result)
 *
 * Whatever happens, the passwords are wiped (sodium_free) before the
 * function returns, and the outcome reaches the operator through
 * state_set_signing_result with the command's id, which ends the console's
 * "Signing..." box.  A CMD_SIGN_CANCELLED is recorded with
 * signing_cancelled and nothing else.  Passwords are never logged.
 *
 * Applying the config dir (CMD_CONFIG_APPLY) is the command line's `config
 * apply` with the console's dialogs for its prompts; the action signed is
 * config_change.c's (old and new contents, hashes, the difference):
 *
 *   step      what                                  on failure
 *   --------  ------------------------------------  ---------------------
 *   prepare   config_change_prepare_apply: the      refused: invalid, no
 *             config dir validated whole, diffed    difference, or not
 *             against the version in use; the       the difference the
 *             difference's token must be the one    signers were shown
 *             the console showed (c->review)        ("look again")
 *   sign 1..n as above, the policy and lock-out of  refused
 *             the version in use (ACT_CONFIG_APPLY)
 *   commit    config_change_commit: lock, stage,    refused, nothing
 *             signing_record (config_apply), new    changed
 *             version, CURRENT
 *   (after)   the housekeeper sees CURRENT move and reloads (engine.c)
 *
 * The review.  engine_review_config runs the prepare step on the
 * housekeeping thread, at most every ENGINE_REVIEW_MS and only when the
 * config dir's files or the version in use changed (a stat of two files
 * otherwise), and publishes what the console's R shows: the difference,
 * one line an entry, or every error of an invalid config dir.  Its token
 * is a digest of the difference and the two version numbers, so the same
 * digest at signing time means the signers saw what is applied.
 */
#include "config.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compliance/approval.h"
#include "compliance/config_change.h"
#include "compliance/config_diff.h"
#include "compliance/esign.h"
#include "compliance/signing.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/util.h"
#include "engine_batch.h"
#include "engine_sign.h"

bool
engine_sign_applies(const struct command *c)
{
	return c->kind == CMD_WRITE_POINT || c->kind == CMD_SET_CLOCK ||
	    c->kind == CMD_CONFIG_APPLY || c->kind == CMD_ALARM_ACK ||
	    c->kind == CMD_BATCH || c->kind == CMD_MAINT_ANNOUNCE ||
	    c->kind == CMD_SIGN_CANCELLED;
}

static void
wipe(const struct command *c)
{
	for (size_t i = 0; i < COMMAND_SIGNERS_MAX; i++)
		command_password_free(c->signer[i].password);
}

/* The command kind whose signatures c is about. */
static enum command_kind
signed_kind(const struct command *c)
{
	return c->kind == CMD_SIGN_CANCELLED ? c->cancelled : c->kind;
}

/*
 * Does c still name what its signers saw?  Same model generation, indices
 * in range, and the id the dialogs showed.
 */
static bool
command_current(const struct engine_sign_env *env, const struct command *c)
{
	const struct model *m = env->m;

	/* Alarm keys and recipes come from the configuration: same
	 * generation.  A window names nothing of it. */
	if (signed_kind(c) == CMD_ALARM_ACK || signed_kind(c) == CMD_BATCH)
		return c->config_gen == env->generation;
	if (signed_kind(c) == CMD_MAINT_ANNOUNCE)
		return true;
	if (c->config_gen != env->generation || c->device >= m->ndevices)
		return false;
	if (signed_kind(c) == CMD_WRITE_POINT)
		return c->point < m->npoints &&
		    m->points[c->point].device == c->device &&
		    strcmp(m->points[c->point].id, c->object) == 0;
	return strcmp(m->devices[c->device].id, c->object) == 0;
}

/* The action being signed, as compact JSON (malloc'ed). */
static char *
action_json(const struct engine_sign_env *env, const struct command *c,
    bool current)
{
	const struct model *m = env->m;
	json_t *a;
	char *out;

	if (signed_kind(c) == CMD_BATCH)
		return current ? engine_batch_action(m, c) : NULL;
	if (signed_kind(c) == CMD_MAINT_ANNOUNCE) {
		struct maint_window w;

		engine_maint_window(c, env->console, &w);
		a = json_pack("{s:s,s:o*}", "action", "maintenance_announce",
		    "window", maint_window_to_json(&w));
	} else if (signed_kind(c) == CMD_WRITE_POINT) {
		a = json_pack("{s:s,s:s}", "action", "write_setpoint",
		    "point", c->object);
		if (current)
			json_object_set_new(a, "device",
			    json_string(m->devices[c->device].id));
		json_object_set_new(a, "old", c->has_old ?
		    json_real(c->old_value) : json_null());
		json_object_set_new(a, "new", json_real(c->value));
		if (current)
			json_object_set_new(a, "unit",
			    json_string(m->points[c->point].unit));
	} else if (signed_kind(c) == CMD_ALARM_ACK) {
		a = c->object[0] != '\0' ?
		    json_pack("{s:s,s:s}", "action", "alarm_ack", "alarm",
		    c->object) :
		    json_pack("{s:s,s:s}", "action", "alarm_ack_shown",
		    "filter", c->review);
	} else {
		a = json_pack("{s:s,s:s,s:s}", "action", "set_clock",
		    "device", c->object, "to", "console_time");
	}
	/* NULL (e.g. a filter that is not UTF-8): nothing is signed. */
	out = a != NULL ? json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER) :
	    NULL;
	json_decref(a);
	return out;
}

static void
refuse(const struct engine_sign_env *env, const struct command *c,
    const char *text)
{
	log_event(LOG_WARN, "signed_command_refused", "{s:s,s:I,s:s}",
	    "object", c->object, "id", (json_int_t)c->id, "reason", text);
	state_set_signing_result(env->state, c->id, false, text);
}

/* "olga, sam" */
static void
signer_names(const struct esig *sigs, size_t n, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "",
		    sigs[i].user);
	}
}

static void
report_signed(const struct engine_sign_env *env, const struct command *c,
    const struct esig *sigs, size_t n, int64_t seq)
{
	char names[80], text[192];

	signer_names(sigs, n, names, sizeof names);
	if (c->kind == CMD_WRITE_POINT)
		/* TRANSLATORS: point id, signers, audit event number. */
		snprintf(text, sizeof text, _("%s: signed by %s (audit event "
		    "%lld), writing"), c->object, names, (long long)seq);
	else if (c->kind == CMD_BATCH)
		/* TRANSLATORS: batch id, signers, audit event number. */
		snprintf(text, sizeof text, _("%s: signed by %s (audit event "
		    "%lld)"), c->object, names, (long long)seq);
	else if (c->kind == CMD_MAINT_ANNOUNCE)
		/* TRANSLATORS: signers, audit event number. */
		snprintf(text, sizeof text, _("Maintenance window signed by %s "
		    "(audit event %lld)"), names, (long long)seq);
	else if (c->kind == CMD_ALARM_ACK)
		/* TRANSLATORS: alarm key, signers, audit event number. */
		snprintf(text, sizeof text, _("%s: signed by %s (audit event "
		    "%lld), acknowledging"), c->object[0] != '\0' ? c->object :
		    _("the shown alarms"), names, (long long)seq);
	else
		/* TRANSLATORS: device id, signers, audit event number. */
		snprintf(text, sizeof text, _("%s: signed by %s (audit event "
		    "%lld), setting the clock"), c->object, names,
		    (long long)seq);
	log_event(LOG_INFO, "signed_command", "{s:s,s:s,s:I,s:I}",
	    "object", c->object, "signers", names, "audit_seq",
	    (json_int_t)seq, "id", (json_int_t)c->id);
	state_set_signing_result(env->state, c->id, true, text);
}

/*
 * Every signature of c over action, in order, into sigs; -1 after refusing
 * (the first refusal ends it).
 */
static int
sign_all(const struct engine_sign_env *env, const struct signing_env *se,
    enum approval_action a, const struct command *c, const char *action,
    struct esig *sigs)
{
	char msg[256], text[192];
	size_t need = (size_t)se->policy->rule[a].signatures;

	if (c->nsigners < need || c->nsigners > COMMAND_SIGNERS_MAX) {
		snprintf(text, sizeof text, ngettext("Not carried out: %s needs "
		    "%zu signature", "Not carried out: %s needs %zu signatures",
		    (unsigned long)need), approval_action_label(a), need);
		refuse(env, c, text);
		return -1;
	}
	for (size_t i = 0; i < c->nsigners; i++) {
		const struct command_signer *s = &c->signer[i];

		if (s->password == NULL || s->meaning < 0 ||
		    s->meaning >= ESIG_MEANING_COUNT_) {
			refuse(env, c, _("Not signed: the signature is "
			    "incomplete"));
			return -1;
		}
		if (signing_sign(se, a, (int)i, i > 0 ? &sigs[0] : NULL,
		    action, s->user, s->password, (enum esig_meaning)s->meaning,
		    s->reason, &sigs[i], msg, sizeof msg) != 0) {
			/* TRANSLATORS: signer's user id, why. */
			snprintf(text, sizeof text, _("Not signed by %s: %s"),
			    s->user, msg);
			refuse(env, c, text);
			return -1;
		}
	}
	return 0;
}

/* --- applying the config dir -------------------------------------------- */

/* What the signers were shown: the difference and the two versions. */
static void
review_token(const struct config_change *ch, char *out, size_t outlen)
{
	unsigned char h[16];
	crypto_generichash_state gs;
	char head[64];
	char *diff = json_dumps(ch->diff, JSON_COMPACT | JSON_SORT_KEYS);

	snprintf(head, sizeof head, "%d %d\n", ch->old_version,
	    ch->new_version);
	crypto_generichash_init(&gs, NULL, 0, sizeof h);
	crypto_generichash_update(&gs, (const unsigned char *)head,
	    strlen(head));
	if (diff != NULL)
		crypto_generichash_update(&gs, (const unsigned char *)diff,
		    strlen(diff));
	crypto_generichash_final(&gs, h, sizeof h);
	free(diff);
	sodium_bin2hex(out, outlen, h, sizeof h);
}

static void
report_applied(const struct engine_sign_env *env, const struct command *c,
    const struct config_change *ch, const struct esig *sigs, size_t n,
    int64_t seq)
{
	char names[80], text[192];

	signer_names(sigs, n, names, sizeof names);
	/* TRANSLATORS: version number, signers, audit event number. */
	snprintf(text, sizeof text, _("Configuration version %d applied, "
	    "signed by %s (audit event %lld); taking it into use"),
	    ch->new_version, names, (long long)seq);
	log_event(LOG_INFO, "config_apply_signed", "{s:s,s:i,s:i,s:s,s:I,"
	    "s:I}", "dir", ch->config_dir, "version", ch->new_version,
	    "previous", ch->old_version, "signers", names, "audit_seq",
	    (json_int_t)seq, "id", (json_int_t)c->id);
	state_set_signing_result(env->state, c->id, true, text);
}

/*
 * CMD_CONFIG_APPLY, or its cancellation: prepare, check the token, sign,
 * commit (see the table at the top).  Always done with here.
 */
static void
config_apply_command(const struct engine_sign_env *env,
    const struct command *cmd)
{
	const struct compliance_config *cc = &env->m->app.compliance;
	struct config_errors errs = { 0 };
	struct config_change ch;
	struct esig sigs[COMMAND_SIGNERS_MAX];
	struct command c = *cmd;        /* for the object; same passwords */
	char err[1024] = "", token[CONFIG_REVIEW_TOKEN_MAX] = "", text[192];
	char *summary = NULL;
	bool prepared, same;
	int64_t seq;

	memset(&ch, 0, sizeof ch);
	c.review[sizeof c.review - 1] = '\0';
	prepared = env->store != NULL && env->config_dir != NULL &&
	    config_change_prepare_apply(env->store, env->config_dir, &ch,
	    &errs, err, sizeof err) == 0;
	if (prepared)
		review_token(&ch, token, sizeof token);
	same = prepared && strcmp(token, c.review) == 0;
	/* The object of the log lines and refusals: the config dir. */
	str_copy(c.object, ch.config_dir != NULL ? ch.config_dir :
	    env->config_dir != NULL ? env->config_dir : "?", sizeof c.object);
	struct signing_env se = { env->state_dir, env->spool, env->key,
	    prepared ? &ch.policy : &env->m->app.signatures,
	    prepared ? ch.max_failures : cc->max_failures,
	    prepared ? ch.lockout_us : cc->lockout_ms * 1000 };

	if (c.kind == CMD_SIGN_CANCELLED) {
		/* What was shown, when it still holds; else what was asked. */
		if (!same) {
			json_t *j = json_pack("{s:s,s:s,s:s}", "action",
			    "config_apply", "config_dir", c.object, "review",
			    c.review);

			summary = json_dumps(j, JSON_COMPACT |
			    JSON_PRESERVE_ORDER);
			json_decref(j);
		}
		signing_cancelled(&se, ACT_CONFIG_APPLY, c.signer[0].user,
		    same ? ch.action_json : summary != NULL ? summary : "{}");
		log_event(LOG_INFO, "signature_cancelled", "{s:s,s:s}",
		    "object", c.object, "user", c.signer[0].user);
		goto out;
	}
	if (!prepared) {
		if (errs.n > 0)
			snprintf(text, sizeof text, ngettext("Not applied: the "
			    "configuration has %zu error", "Not applied: the "
			    "configuration has %zu errors", (unsigned long)errs.n),
			    errs.n);
		else
			snprintf(text, sizeof text, _("Not applied: %s"), err);
		refuse(env, &c, text);
		goto out;
	}
	if (json_array_size(ch.diff) == 0) {
		snprintf(text, sizeof text, _("Nothing to apply: the config dir "
		    "holds the version in use (%d)"), ch.old_version);
		refuse(env, &c, text);
		goto out;
	}
	if (!same) {
		refuse(env, &c, _("The configuration changed meanwhile; look "
		    "again: nothing was applied"));
		goto out;
	}
	if (sign_all(env, &se, ACT_CONFIG_APPLY, &c, ch.action_json,
	    sigs) != 0)
		goto out;
	seq = config_change_commit(env->store, &se, &ch, sigs, c.nsigners,
	    err, sizeof err);
	if (seq < 0) {
		snprintf(text, sizeof text, _("Not applied: %s"), err);
		refuse(env, &c, text);
		goto out;
	}
	report_applied(env, &c, &ch, sigs, c.nsigners, seq);
out:
	free(summary);
	config_errors_free(&errs);
	config_change_free(&ch);
	engine_review_again(env->review);
}

/* The policy's action for the command kind c signs. */
static enum approval_action
approval_of(const struct command *c)
{
	switch (signed_kind(c)) {
	case CMD_WRITE_POINT:	return ACT_WRITE_SETPOINT;
	case CMD_ALARM_ACK:	return ACT_ALARM_ACK;
	case CMD_BATCH:
		return (enum approval_action)engine_batch_approval(
		    c->batch_event);
	case CMD_MAINT_ANNOUNCE: return ACT_MAINTENANCE_ANNOUNCE;
	default:		return ACT_SET_CLOCK;
	}
}

void
engine_maint_window(const struct command *c, const char *console,
    struct maint_window *w)
{
	unsigned char h[8];
	crypto_generichash_state gs;
	char head[96], hex[17];

	memset(w, 0, sizeof *w);
	/* The same command always names the same window: the action signed
	 * and the window stored are one. */
	snprintf(head, sizeof head, "%lld %lld %llu ", (long long)c->start_us,
	    (long long)c->end_us, (unsigned long long)c->id);
	crypto_generichash_init(&gs, NULL, 0, sizeof h);
	crypto_generichash_update(&gs, (const unsigned char *)head,
	    strlen(head));
	crypto_generichash_update(&gs, (const unsigned char *)console,
	    strlen(console) + 1);
	crypto_generichash_update(&gs, (const unsigned char *)c->signer[0].user,
	    strnlen(c->signer[0].user, sizeof c->signer[0].user));
	crypto_generichash_update(&gs, (const unsigned char *)c->text,
	    strnlen(c->text, sizeof c->text));
	crypto_generichash_final(&gs, h, sizeof h);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	snprintf(w->id, sizeof w->id, "m-%s", hex);
	w->start_us = c->start_us;
	w->end_us = c->end_us;
	str_copy(w->reason, c->text, sizeof w->reason);
	str_copy(w->announced_by, c->signer[0].user, sizeof w->announced_by);
	w->source = MAINT_SRC_CONSOLE;
}

bool
engine_sign_command(const struct engine_sign_env *env,
    const struct command *c, int64_t *audit_seq)
{
	enum approval_action a = approval_of(c);
	const struct compliance_config *cc = &env->m->app.compliance;
	struct signing_env se = { env->state_dir, env->spool, env->key,
	    &env->m->app.signatures, cc->max_failures, cc->lockout_ms * 1000 };
	bool current, go = false;
	char *action;
	struct esig sigs[COMMAND_SIGNERS_MAX];
	char msg[256], text[192];
	int64_t seq;

	if (signed_kind(c) == CMD_CONFIG_APPLY) {
		config_apply_command(env, c);
		wipe(c);
		audit_watch_nudge(env->watch);
		return false;
	}
	current = command_current(env, c);
	action = action_json(env, c, current);
	if (action == NULL) {
		refuse(env, c, _("The action cannot be written down as signed "
		    "(not UTF-8 text); nothing was signed"));
		goto out;
	}
	if (c->kind == CMD_SIGN_CANCELLED) {
		signing_cancelled(&se, a, c->signer[0].user, action);
		log_event(LOG_INFO, "signature_cancelled", "{s:s,s:s}",
		    "object", c->object, "user", c->signer[0].user);
		goto out;
	}
	if (!current) {
		refuse(env, c, _("The configuration changed meanwhile; the "
		    "command was not carried out"));
		goto out;
	}
	if (sign_all(env, &se, a, c, action, sigs) != 0)
		goto out;
	seq = signing_record(&se, a, approval_action_name(a), action, sigs,
	    c->nsigners, msg, sizeof msg);
	if (seq < 0) {
		snprintf(text, sizeof text, _("Not carried out: %s"), msg);
		refuse(env, c, text);
		goto out;
	}
	report_signed(env, c, sigs, c->nsigners, seq);
	if (audit_seq != NULL)
		*audit_seq = seq;
	go = true;
out:
	wipe(c);
	free(action);
	audit_watch_nudge(env->watch);
	return go;
}

/* --- the console's view of the config dir ------------------------------- */

static void
stamp_file(const char *dir, const char *name, struct engine_review_stamp *s)
{
	char path[4096];
	struct stat sb;

	memset(s, 0, sizeof *s);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (stat(path, &sb) != 0)
		return;
	s->exists = true;
	s->dev = (uint64_t)sb.st_dev;
	s->ino = (uint64_t)sb.st_ino;
	s->size = (int64_t)sb.st_size;
	s->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
	    sb.st_mtim.tv_nsec;
	s->ctime_ns = (int64_t)sb.st_ctim.tv_sec * 1000000000 +
	    sb.st_ctim.tv_nsec;
}

/* A digest of everything the console would show of r ("" for none). */
static void
review_digest(const struct config_review *r, char *out, size_t outlen)
{
	unsigned char h[16];
	crypto_generichash_state gs;
	char head[128];

	if (r == NULL) {
		out[0] = '\0';
		return;
	}
	snprintf(head, sizeof head, "%d %d %d %d %s\n", r->valid,
	    r->applied_version, r->new_version, r->signatures, r->token);
	crypto_generichash_init(&gs, NULL, 0, sizeof h);
	crypto_generichash_update(&gs, (const unsigned char *)head,
	    strlen(head));
	crypto_generichash_update(&gs, (const unsigned char *)r->dir,
	    strlen(r->dir) + 1);
	crypto_generichash_update(&gs, (const unsigned char *)r->message,
	    strlen(r->message) + 1);
	for (size_t i = 0; i < r->n; i++)
		crypto_generichash_update(&gs, (const unsigned char *)
		    r->lines[i], strlen(r->lines[i]) + 1);
	crypto_generichash_final(&gs, h, sizeof h);
	sodium_bin2hex(out, outlen, h, sizeof h);
}

/* A line of the view is cut here; the whole difference is in the action. */
#define REVIEW_LINE_MAX 1000

/*
 * Prepare applying config_dir, as `config diff` does: NULL when it holds
 * the version in use (formatting aside), else what the console shows.
 */
static struct config_review *
review_build(struct config_store *cs, int version, const char *config_dir)
{
	struct config_errors errs = { 0 };
	struct config_change ch;
	struct config_review *r = NULL;
	char err[1024] = "", e2[256];

	if (config_change_prepare_apply(cs, config_dir, &ch, &errs, err,
	    sizeof err) != 0) {
		if (config_dir_differs(cs, version, config_dir, e2,
		    sizeof e2) == 0)
			goto out;
		r = config_review_new();
		r->valid = false;
		r->applied_version = version;
		str_copy(r->message, err, sizeof r->message);
		for (size_t i = 0; i < errs.n; i++) {
			const struct config_error *e = &errs.v[i];
			const char *base = strrchr(e->file, '/');
			char *line;

			/* The file as in the config dir: the view names it. */
			if (asprintf(&line, "%s:%d:%d: %s: %s", base != NULL ?
			    base + 1 : e->file, e->line, e->column, e->path,
			    e->message) < 0)
				continue;
			config_review_add(r, line, REVIEW_LINE_MAX);
			free(line);
		}
	} else if (json_array_size(ch.diff) > 0) {
		json_t *entry;
		size_t i;

		r = config_review_new();
		r->valid = true;
		r->applied_version = ch.old_version;
		r->new_version = ch.new_version;
		r->signatures = ch.policy.rule[ACT_CONFIG_APPLY].signatures;
		review_token(&ch, r->token, sizeof r->token);
		json_array_foreach(ch.diff, i, entry) {
			char *line = config_diff_format(entry);

			config_review_add(r, line, REVIEW_LINE_MAX);
			free(line);
		}
	}
	if (r != NULL)
		str_copy(r->dir, ch.config_dir != NULL ? ch.config_dir :
		    config_dir, sizeof r->dir);
out:
	config_errors_free(&errs);
	config_change_free(&ch);
	return r;
}

void
engine_review_again(struct engine_review *rv)
{
	if (rv != NULL) {
		rv->compared = false;
		rv->next_ms = 0;
	}
}

void
engine_review_config(struct engine_review *rv, struct config_store *cs,
    int version, const char *config_dir, struct state *st, int64_t now_ms)
{
	struct engine_review_stamp files[2];
	struct config_review *r;
	char digest[CONFIG_REVIEW_TOKEN_MAX];

	if (now_ms < rv->next_ms || cs == NULL || config_dir == NULL)
		return;
	rv->next_ms = now_ms + ENGINE_REVIEW_MS;
	stamp_file(config_dir, "app.json", &files[0]);
	stamp_file(config_dir, "devices.json", &files[1]);
	if (rv->compared && rv->version == version &&
	    memcmp(files, rv->files, sizeof files) == 0 &&
	    now_ms - rv->compared_ms < 60 * 1000)
		return;
	r = review_build(cs, version, config_dir);
	rv->compared = true;
	rv->compared_ms = now_ms;
	rv->version = version;
	memcpy(rv->files, files, sizeof files);
	review_digest(r, digest, sizeof digest);
	if (strcmp(digest, rv->shown) == 0) {
		config_review_release(r);
		return;
	}
	str_copy(rv->shown, digest, sizeof rv->shown);
	if (r != NULL)
		log_event(LOG_INFO, "config_review", "{s:s,s:b,s:i,s:I}", "dir",
		    r->dir, "valid", r->valid, "applied_version",
		    r->applied_version, r->valid ? "differences" : "errors",
		    (json_int_t)r->n);
	state_set_config_review(st, r);
}

void
engine_review_answer(struct engine_review *rv, struct config_store *cs,
    int version, const char *config_dir, struct state *st, uint64_t id)
{
	engine_review_again(rv);
	engine_review_config(rv, cs, version, config_dir, st,
	    clock_mono_ms(clock_real()));
	state_set_reload_done(st, id);
}
