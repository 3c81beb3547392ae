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
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "compliance/approval.h"
#include "compliance/esign.h"
#include "compliance/signing.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/util.h"
#include "engine_sign.h"

bool
engine_sign_applies(const struct command *c)
{
	return c->kind == CMD_WRITE_POINT || c->kind == CMD_SET_CLOCK ||
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

	if (signed_kind(c) == CMD_WRITE_POINT) {
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
	} else {
		a = json_pack("{s:s,s:s,s:s}", "action", "set_clock",
		    "device", c->object, "to", "console_time");
	}
	out = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(a);
	return out != NULL ? out : xstrdup("{}");
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

bool
engine_sign_command(const struct engine_sign_env *env,
    const struct command *c)
{
	enum approval_action a = signed_kind(c) == CMD_WRITE_POINT ?
	    ACT_WRITE_SETPOINT : ACT_SET_CLOCK;
	const struct compliance_config *cc = &env->m->app.compliance;
	struct signing_env se = { env->state_dir, env->spool, env->key,
	    &env->m->app.signatures, cc->max_failures, cc->lockout_ms * 1000 };
	bool current = command_current(env, c), go = false;
	char *action = action_json(env, c, current);
	struct esig sigs[COMMAND_SIGNERS_MAX];
	char msg[256], text[192];
	size_t need = (size_t)env->m->app.signatures.rule[a].signatures;
	int64_t seq;

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
	if (c->nsigners < need || c->nsigners > COMMAND_SIGNERS_MAX) {
		snprintf(text, sizeof text, ngettext("Not carried out: %s needs "
		    "%zu signature", "Not carried out: %s needs %zu signatures",
		    (unsigned long)need), approval_action_label(a), need);
		refuse(env, c, text);
		goto out;
	}
	for (size_t i = 0; i < c->nsigners; i++) {
		const struct command_signer *s = &c->signer[i];

		if (s->password == NULL || s->meaning < 0 ||
		    s->meaning >= ESIG_MEANING_COUNT_) {
			refuse(env, c, _("Not signed: the signature is "
			    "incomplete"));
			goto out;
		}
		if (signing_sign(&se, a, (int)i, i > 0 ? &sigs[0] : NULL,
		    action, s->user, s->password, (enum esig_meaning)s->meaning,
		    s->reason, &sigs[i], msg, sizeof msg) != 0) {
			/* TRANSLATORS: signer's user id, why. */
			snprintf(text, sizeof text, _("Not signed by %s: %s"),
			    s->user, msg);
			refuse(env, c, text);
			goto out;
		}
	}
	seq = signing_record(&se, a, approval_action_name(a), action, sigs,
	    c->nsigners, msg, sizeof msg);
	if (seq < 0) {
		snprintf(text, sizeof text, _("Not carried out: %s"), msg);
		refuse(env, c, text);
		goto out;
	}
	report_signed(env, c, sigs, c->nsigners, seq);
	go = true;
out:
	wipe(c);
	free(action);
	audit_watch_nudge(env->watch);
	return go;
}
