/*
 * approval.c: the signature policy (who may sign what) and the 4-eyes rule.
 *
 * Default policy (issue 5: starting a batch needs one signature; aborting a
 * batch, applying a configuration, rolling back the historian schema,
 * restoring data and announcing a maintenance window need two):
 *
 *   action                sigs  first place                  second place
 *   --------------------  ----  ---------------------------  --------------
 *   batch_start              1  operator, supervisor         -
 *   batch_hold               1  operator, supervisor         -
 *   batch_resume             1  operator, supervisor         -
 *   batch_stop               1  operator, supervisor         -
 *   batch_abort              2  operator, supervisor         supervisor, qa
 *   config_apply             2  supervisor, admin            qa
 *   schema_rollback          2  admin                        qa
 *   restore                  2  admin                        qa
 *   maintenance_announce     2  supervisor, admin            supervisor, qa
 *   alarm_ack                1  operator, supervisor, qa, admin   -
 *   write_setpoint           1  operator, supervisor         -
 *   set_clock                1  operator, supervisor, admin  -
 *   user_admin               1  admin                        -
 *
 * Why these: running the process (batches, setpoints) is the operators' and
 * supervisors' work, and an abort, which loses the batch, is confirmed by a
 * supervisor or QA.  What changes the system or its records (configuration,
 * schema, restored data) is prepared by whoever maintains the system and
 * released by QA, as GMP change control wants.
 * Anyone signed in may acknowledge an alarm: an alarm must never wait for a
 * particular role.  Admins manage users and do not run the process.
 *
 * The plant may change every rule in app.json, including lowering a
 * two-signature action to one: that is the plant's decision, documented in
 * its own validation, and app.json itself only changes through a signed
 * config_apply.  What no policy can change: the second signer is never the
 * first (approval_check), and both sign the same payload (approval_complete).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "compliance/approval.h"
#include "core/i18n.h"
#include "core/util.h"

#define OP	APPROVAL_ROLE_BIT(KS_ROLE_OPERATOR)
#define SUP	APPROVAL_ROLE_BIT(KS_ROLE_SUPERVISOR)
#define QA	APPROVAL_ROLE_BIT(KS_ROLE_QA)
#define ADM	APPROVAL_ROLE_BIT(KS_ROLE_ADMIN)

static const struct approval_rule default_rules[ACT_COUNT_] = {
	[ACT_BATCH_START]		= { 1, OP | SUP, 0 },
	[ACT_BATCH_HOLD]		= { 1, OP | SUP, 0 },
	[ACT_BATCH_RESUME]		= { 1, OP | SUP, 0 },
	[ACT_BATCH_STOP]		= { 1, OP | SUP, 0 },
	[ACT_BATCH_ABORT]		= { 2, OP | SUP, SUP | QA },
	[ACT_CONFIG_APPLY]		= { 2, SUP | ADM, QA },
	[ACT_SCHEMA_ROLLBACK]		= { 2, ADM, QA },
	[ACT_RESTORE]			= { 2, ADM, QA },
	[ACT_MAINTENANCE_ANNOUNCE]	= { 2, SUP | ADM, SUP | QA },
	[ACT_ALARM_ACK]			= { 1, OP | SUP | QA | ADM, 0 },
	[ACT_WRITE_SETPOINT]		= { 1, OP | SUP, 0 },
	[ACT_SET_CLOCK]			= { 1, OP | SUP | ADM, 0 },
	[ACT_USER_ADMIN]		= { 1, ADM, 0 },
};

static const char *const action_names[ACT_COUNT_] = {
	[ACT_BATCH_START]		= "batch_start",
	[ACT_BATCH_HOLD]		= "batch_hold",
	[ACT_BATCH_RESUME]		= "batch_resume",
	[ACT_BATCH_STOP]		= "batch_stop",
	[ACT_BATCH_ABORT]		= "batch_abort",
	[ACT_CONFIG_APPLY]		= "config_apply",
	[ACT_SCHEMA_ROLLBACK]		= "schema_rollback",
	[ACT_RESTORE]			= "restore",
	[ACT_MAINTENANCE_ANNOUNCE]	= "maintenance_announce",
	[ACT_ALARM_ACK]			= "alarm_ack",
	[ACT_WRITE_SETPOINT]		= "write_setpoint",
	[ACT_SET_CLOCK]			= "set_clock",
	[ACT_USER_ADMIN]		= "user_admin",
};

static const char *const action_labels[ACT_COUNT_] = {
	[ACT_BATCH_START]		= N_("start a batch"),
	[ACT_BATCH_HOLD]		= N_("hold a batch"),
	[ACT_BATCH_RESUME]		= N_("resume a batch"),
	[ACT_BATCH_STOP]		= N_("stop a batch"),
	[ACT_BATCH_ABORT]		= N_("abort a batch"),
	[ACT_CONFIG_APPLY]		= N_("apply a configuration"),
	[ACT_SCHEMA_ROLLBACK]		= N_("roll back the historian schema"),
	[ACT_RESTORE]			= N_("restore data"),
	[ACT_MAINTENANCE_ANNOUNCE]	= N_("announce a maintenance window"),
	[ACT_ALARM_ACK]			= N_("acknowledge an alarm"),
	[ACT_WRITE_SETPOINT]		= N_("write a setpoint"),
	[ACT_SET_CLOCK]			= N_("set a device clock"),
	[ACT_USER_ADMIN]		= N_("administer users"),
};

/*
 * The keystore's role names (ks_role_name), kept here as well so that the
 * policy depends on the keystore's header only, not on its code; the order
 * is enum ks_role's.
 */
#define ROLE_COUNT 4
static const char *const role_names[ROLE_COUNT] = {
	[KS_ROLE_OPERATOR]	= "operator",
	[KS_ROLE_SUPERVISOR]	= "supervisor",
	[KS_ROLE_QA]		= "qa",
	[KS_ROLE_ADMIN]		= "admin",
};
static const char *const role_labels[ROLE_COUNT] = {
	[KS_ROLE_OPERATOR]	= N_("operator"),
	[KS_ROLE_SUPERVISOR]	= N_("supervisor"),
	[KS_ROLE_QA]		= N_("QA"),
	[KS_ROLE_ADMIN]		= N_("admin"),
};

void
approval_defaults(struct approval_policy *p)
{
	memcpy(p->rule, default_rules, sizeof p->rule);
}

const char *
approval_action_name(enum approval_action a)
{
	return (unsigned)a < ACT_COUNT_ ? action_names[a] : NULL;
}

const char *
approval_action_label(enum approval_action a)
{
	return (unsigned)a < ACT_COUNT_ ? _(action_labels[a]) : "?";
}

int
approval_action_parse(const char *name, enum approval_action *a)
{
	for (size_t i = 0; i < ACT_COUNT_; i++) {
		if (strcmp(name, action_names[i]) == 0) {
			*a = (enum approval_action)i;
			return 0;
		}
	}
	return -1;
}

static int
role_parse(const char *name, unsigned *bit)
{
	for (unsigned i = 0; i < ROLE_COUNT; i++) {
		if (strcmp(name, role_names[i]) == 0) {
			*bit = APPROVAL_ROLE_BIT(i);
			return 0;
		}
	}
	return -1;
}

/* "operator, supervisor": translated labels of the roles in mask. */
static void
roles_text(unsigned mask, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < ROLE_COUNT; i++) {
		if ((mask & APPROVAL_ROLE_BIT(i)) == 0)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    used ? ", " : "", _(role_labels[i]));
		if (used >= len)
			return;
	}
	if (used == 0)
		/* TRANSLATORS: the roles of a user who holds none. */
		str_copy(buf, _("no role"), len);
}

/* --- app.json ----------------------------------------------------------- */

/* One role list: a non-empty array of known role names. */
static int
parse_roles(const char *action, const char *member, const json_t *v,
    unsigned *mask, char *err, size_t errlen)
{
	size_t i;
	json_t *r;
	unsigned bit, m = 0;

	if (!json_is_array(v)) {
		snprintf(err, errlen, _("signatures.%s.%s: must be a list of "
		    "roles"), action, member);
		return -1;
	}
	if (json_array_size(v) == 0) {
		snprintf(err, errlen, _("signatures.%s.%s: the list of roles is "
		    "empty"), action, member);
		return -1;
	}
	json_array_foreach(v, i, r) {
		if (!json_is_string(r)) {
			snprintf(err, errlen, _("signatures.%s.%s[%zu]: must be "
			    "a role name"), action, member, i);
			return -1;
		}
		if (role_parse(json_string_value(r), &bit) != 0) {
			snprintf(err, errlen, _("signatures.%s.%s[%zu]: unknown "
			    "role \"%s\" (expected operator, supervisor, qa or "
			    "admin)"), action, member, i, json_string_value(r));
			return -1;
		}
		m |= bit;
	}
	*mask = m;
	return 0;
}

static int
parse_rule(const char *action, const json_t *v, struct approval_rule *rule,
    char *err, size_t errlen)
{
	struct approval_rule r = *rule;
	const char *key;
	json_t *m;
	bool second_given = false;

	if (!json_is_object(v)) {
		snprintf(err, errlen, _("signatures.%s: must be an object"),
		    action);
		return -1;
	}
	json_object_foreach((json_t *)v, key, m) {
		if (strcmp(key, "signatures") == 0) {
			if (!json_is_integer(m) || (json_integer_value(m) != 1 &&
			    json_integer_value(m) != 2)) {
				snprintf(err, errlen, _("signatures.%s."
				    "signatures: must be 1 or 2"), action);
				return -1;
			}
			r.signatures = (int)json_integer_value(m);
		} else if (strcmp(key, "first") == 0) {
			if (parse_roles(action, key, m, &r.roles_first, err,
			    errlen) != 0)
				return -1;
		} else if (strcmp(key, "second") == 0) {
			if (parse_roles(action, key, m, &r.roles_second, err,
			    errlen) != 0)
				return -1;
			second_given = true;
		} else {
			snprintf(err, errlen, _("signatures.%s.%s: unknown "
			    "member (expected signatures, first or second)"),
			    action, key);
			return -1;
		}
	}
	if (r.signatures == 1) {
		/* A second list that would be ignored is a mistake; a
		 * default one left over from a lowered rule is not. */
		if (second_given) {
			snprintf(err, errlen, _("signatures.%s.second: only an "
			    "action with two signatures has a second signer"),
			    action);
			return -1;
		}
		r.roles_second = 0;
	} else if (r.roles_second == 0) {
		snprintf(err, errlen, _("signatures.%s: two signatures need a "
		    "\"second\" list of roles"), action);
		return -1;
	}
	*rule = r;
	return 0;
}

int
approval_policy_from_json(struct approval_policy *p, const json_t *obj,
    char *err, size_t errlen)
{
	struct approval_policy t = *p;
	enum approval_action a;
	const char *key;
	json_t *v;

	if (!json_is_object(obj)) {
		snprintf(err, errlen, _("signatures: must be an object"));
		return -1;
	}
	json_object_foreach((json_t *)obj, key, v) {
		if (approval_action_parse(key, &a) != 0) {
			snprintf(err, errlen, _("signatures.%s: unknown action"),
			    key);
			return -1;
		}
		if (parse_rule(key, v, &t.rule[a], err, errlen) != 0)
			return -1;
	}
	*p = t;
	return 0;
}

/* --- the 4-eyes check ------------------------------------------------------ */

int
approval_check(const struct approval_policy *p, enum approval_action a,
    int index, int64_t user_id, unsigned user_role_bit, int64_t first_user_id,
    char *err, size_t errlen)
{
	const struct approval_rule *r;
	char have[128], allowed[128];
	unsigned mask;

	if ((unsigned)a >= ACT_COUNT_) {
		snprintf(err, errlen, _("unknown action %d"), (int)a);
		return -1;
	}
	r = &p->rule[a];
	if (index < 0 || index >= r->signatures) {
		snprintf(err, errlen, _("%s: takes %d signature(s), there is no "
		    "place %d"), approval_action_label(a), r->signatures,
		    index + 1);
		return -1;
	}
	if (user_id < 1) {
		snprintf(err, errlen, _("%s: no valid signer"),
		    approval_action_label(a));
		return -1;
	}
	/* Checked before the role: it holds whatever the policy says. */
	if (index == 1 && user_id == first_user_id) {
		snprintf(err, errlen, _("%s: the second signature must come "
		    "from a different person than the first"),
		    approval_action_label(a));
		return -1;
	}
	mask = index == 0 ? r->roles_first : r->roles_second;
	if ((user_role_bit & mask) == 0) {
		roles_text(user_role_bit & APPROVAL_ROLES_ALL, have,
		    sizeof have);
		roles_text(mask, allowed, sizeof allowed);
		snprintf(err, errlen, index == 0 ?
		    _("%s: the role %s may not give the first signature "
		    "(allowed: %s)") :
		    _("%s: the role %s may not give the second signature "
		    "(allowed: %s)"), approval_action_label(a), have, allowed);
		return -1;
	}
	return 0;
}

int
approval_complete(const struct approval_policy *p, enum approval_action a,
    const struct esig *sigs, size_t n, const unsigned user_role_bits[],
    char *err, size_t errlen)
{
	int need;

	if ((unsigned)a >= ACT_COUNT_) {
		snprintf(err, errlen, _("unknown action %d"), (int)a);
		return -1;
	}
	need = p->rule[a].signatures;
	if (n != (size_t)need) {
		snprintf(err, errlen, _("%s: needs %d signature(s), %zu "
		    "given"), approval_action_label(a), need, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (approval_check(p, a, (int)i, sigs[i].user_id,
		    user_role_bits[i], sigs[0].user_id, err, errlen) != 0)
			return -1;
		/* The second signer confirms exactly what the first signed. */
		if (i > 0 && memcmp(sigs[i].payload_hash, sigs[0].payload_hash,
		    sizeof sigs[0].payload_hash) != 0) {
			snprintf(err, errlen, _("%s: signature %zu is over a "
			    "different payload than the first"),
			    approval_action_label(a), i + 1);
			return -1;
		}
	}
	return 0;
}
