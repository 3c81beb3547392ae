/*
 * approval.h: who may sign what, and the 4-eyes rule.
 *
 * Each action that matters has a rule: one or two signatures, and for each
 * place the set of roles allowed to fill it.  The plant sets the rules in
 * app.json ("signatures"); approval_defaults() gives the safe ones of issue 5.
 * approval_check() answers for one signer in one place, as the e-signature
 * dialog needs it; approval_complete() judges a whole set of signatures
 * before the action runs.  Neither verifies the Ed25519 signatures
 * themselves (esig_verify, with each signer's public key): this module is
 * policy only.  Roles are those of the keystore (enum ks_role), as bits.
 */
#ifndef JOPE_APPROVAL_H
#define JOPE_APPROVAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "compliance/esign.h"
#include "compliance/keystore.h"

/* Actions that need signatures.  Order is stable: names are in approval.c. */
enum approval_action {
	ACT_BATCH_START,
	ACT_BATCH_HOLD,
	ACT_BATCH_RESUME,
	ACT_BATCH_STOP,
	ACT_BATCH_ABORT,
	ACT_CONFIG_APPLY,
	ACT_SCHEMA_ROLLBACK,
	ACT_RESTORE,
	ACT_MAINTENANCE_ANNOUNCE,
	ACT_ALARM_ACK,
	ACT_WRITE_SETPOINT,
	ACT_SET_CLOCK,
	ACT_USER_ADMIN,
	ACT_COUNT_
};

/* A role of enum ks_role as a bit of a role mask. */
#define APPROVAL_ROLE_BIT(r)	(1u << (unsigned)(r))
#define APPROVAL_ROLES_ALL	(APPROVAL_ROLE_BIT(KS_ROLE_OPERATOR) | \
	APPROVAL_ROLE_BIT(KS_ROLE_SUPERVISOR) | APPROVAL_ROLE_BIT(KS_ROLE_QA) | \
	APPROVAL_ROLE_BIT(KS_ROLE_ADMIN))

struct approval_rule {
	int signatures;		/* 1 or 2 */
	unsigned roles_first;	/* roles allowed in the first place */
	unsigned roles_second;	/* in the second place; 0 when signatures == 1 */
};

struct approval_policy {
	struct approval_rule rule[ACT_COUNT_];
};

/* The defaults of issue 5 (table at the top of approval.c). */
void approval_defaults(struct approval_policy *p);

/*
 * Apply the "signatures" object of app.json over p:
 *
 *   "signatures": {
 *     "batch_abort": { "signatures": 2,
 *                      "first": ["operator", "supervisor"],
 *                      "second": ["supervisor", "qa"] }, ...
 *   }
 *
 * Actions not named keep what p holds; inside an action, members not given
 * keep theirs.  Errors (each naming its key): not an object, an unknown
 * action or member, signatures other than 1 or 2, an unknown role, an empty
 * or non-array role list, "second" on a one-signature action, two signatures
 * without any second role.  On error p is unchanged: all or nothing.
 */
int approval_policy_from_json(struct approval_policy *p, const json_t *obj,
    char *err, size_t errlen);

/*
 * May this user sign action a in place index (0 first, 1 second)?
 * user_role_bit is APPROVAL_ROLE_BIT(the user's role); first_user_id is the
 * first signer's id (ignored for index 0).  0 when allowed; otherwise -1 and
 * a translated reason in err: a place the action does not have, a role not
 * allowed in that place, or, for the second place, the first signer again
 * (always refused, whatever the policy).
 */
int approval_check(const struct approval_policy *p, enum approval_action a,
    int index, int64_t user_id, unsigned user_role_bit, int64_t first_user_id,
    char *err, size_t errlen);

/*
 * Is this set of n signatures (first signer first) enough for action a?
 * user_role_bits[i] is the role bit of sigs[i]'s signer.  Checks the count,
 * each place with approval_check (so: roles, distinct users) and that every
 * signature is over the same payload hash.  0, or -1 with err.
 */
int approval_complete(const struct approval_policy *p, enum approval_action a,
    const struct esig *sigs, size_t n, const unsigned user_role_bits[],
    char *err, size_t errlen);

/* "batch_start", ... as in app.json (NULL when out of range). */
const char *approval_action_name(enum approval_action a);
/* Translated description for people ("start a batch"; "?" out of range). */
const char *approval_action_label(enum approval_action a);
int approval_action_parse(const char *name, enum approval_action *a);

#endif
