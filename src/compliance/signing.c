/*
 * signing.c: asking for, checking and recording e-signatures (signing.h).
 *
 * The keystore file is shared by the console and the CLI: every
 * read-modify-write of it (an unlock changes the failure counter) happens
 * under an exclusive flock of STATE_DIR/keystore.lock, so that two programs
 * cannot lose each other's counters or users.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "compliance/audit.h"
#include "compliance/audit_log.h"
#include "compliance/keystore.h"
#include "compliance/signing.h"
#include "core/i18n.h"
#include "core/util.h"

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Open the keystore under its lock; the lock fd in *lock_fd. */
static struct keystore *
open_locked(const struct signing_env *env, int *lock_fd, char *msg,
    size_t len)
{
	char path[4096];
	struct keystore *ks = NULL;

	snprintf(path, sizeof path, "%s/keystore.lock", env->state_dir);
	*lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*lock_fd < 0 || flock(*lock_fd, LOCK_EX) != 0) {
		snprintf(msg, len, "%s: %s", path, strerror(errno));
		if (*lock_fd >= 0)
			close(*lock_fd);
		*lock_fd = -1;
		return NULL;
	}
	snprintf(path, sizeof path, "%s/keystore.json", env->state_dir);
	if (keystore_open(path, &ks, msg, len) != 0) {
		close(*lock_fd);
		*lock_fd = -1;
		return NULL;
	}
	return ks;
}

static void
audit(const struct signing_env *env, const char *kind, const char *actor,
    json_t *payload)
{
	char err[256];

	(void)audit_log_append(env->spool, env->key, kind, actor, payload, 0,
	    err, sizeof err);
}

/* The outcome of a failed unlock, for the person and for the trail. */
static void
unlock_failed(const struct signing_env *env, struct keystore *ks,
    enum approval_action a, const char *user, enum ks_unlock why,
    const char *err, char *msg, size_t len)
{
	static const char *const reason[] = { "ok", "no_user", "disabled",
	    "locked", "bad_password", "error" };
	const struct ks_user *u = keystore_find(ks, user);

	audit(env, "login_failed", user, json_pack("{s:s,s:s}", "reason",
	    reason[why], "action", approval_action_name(a)));
	if (why == KS_BAD_PASSWORD && u != NULL && u->locked_until_us > now_us()) {
		char until[40];

		format_rfc3339_us(u->locked_until_us, until, sizeof until);
		audit(env, "account_locked", user, json_pack("{s:s,s:i}",
		    "until", until, "failures", env->max_failures));
		snprintf(msg, len, _("wrong password; %s is now locked until %s"),
		    user, until);
		return;
	}
	switch (why) {
	case KS_NO_USER:
	case KS_BAD_PASSWORD:
		/* The same words for both: do not tell which names exist. */
		str_copy(msg, _("unknown user or wrong password"), len);
		break;
	case KS_DISABLED:
		snprintf(msg, len, _("user %s is disabled"), user);
		break;
	case KS_LOCKED:
		snprintf(msg, len, _("user %s is locked after too many failed "
		    "attempts; try again later"), user);
		break;
	default:
		str_copy(msg, err, len);
	}
}

int
signing_sign(const struct signing_env *env, enum approval_action a,
    int index, const struct esig *first, const char *action_json,
    const char *user, const char *password, enum esig_meaning meaning,
    const char *reason, struct esig *out, char *msg, size_t msglen)
{
	struct ks_secret *sk = NULL;
	const struct ks_user *u;
	struct keystore *ks;
	enum ks_unlock why;
	char err[256];
	int lock_fd, rc = -1;

	if ((ks = open_locked(env, &lock_fd, msg, msglen)) == NULL)
		return -1;
	u = keystore_find(ks, user);
	/* The policy first: a refused role costs no password attempt. */
	if (u != NULL && !u->disabled && approval_check(env->policy, a, index,
	    u->id, APPROVAL_ROLE_BIT(u->role), first != NULL ? first->user_id :
	    0, msg, msglen) != 0)
		goto out;
	why = keystore_unlock(ks, user, password, now_us(), env->max_failures,
	    env->lockout_us, &sk, err, sizeof err);
	/*
	 * Whatever the password was: when the counter cannot be saved, the
	 * lock-out would not hold, and a different answer for a right
	 * password would tell a guesser so.
	 */
	if (keystore_save(ks, err, sizeof err) != 0) {
		snprintf(msg, msglen, _("the keystore cannot be saved (%s); "
		    "no signature is possible now"), err);
		goto out;
	}
	if (why != KS_OK) {
		unlock_failed(env, ks, a, user, why, err, msg, msglen);
		goto out;
	}
	/* A successful password check is a login, for the trail. */
	audit(env, "login", user, json_pack("{s:s,s:I}", "for",
	    approval_action_name(a), "user_id", (json_int_t)u->id));
	memset(out, 0, sizeof *out);
	out->user_id = u->id;
	str_copy(out->user, u->name, sizeof out->user);
	str_copy(out->full_name, u->full_name, sizeof out->full_name);
	out->meaning = meaning;
	str_copy(out->reason, reason != NULL ? reason : "", sizeof out->reason);
	out->ts_us = now_us();
	audit_action_hash(action_json, out->payload_hash);
	if (esig_sign(out, ks_secret_bytes(sk)) != 0) {
		str_copy(msg, _("the signature could not be made (a name or "
		    "reason with control characters?)"), msglen);
		goto out;
	}
	rc = 0;
out:
	ks_secret_free(sk);
	keystore_free(ks);
	close(lock_fd);
	return rc;
}

int64_t
signing_record(const struct signing_env *env, enum approval_action a,
    const char *kind, const char *action_json, const struct esig *sigs,
    size_t n, char *msg, size_t msglen)
{
	unsigned roles[2] = { 0, 0 };
	struct keystore *ks;
	json_t *action, *list;
	int lock_fd;

	if ((ks = open_locked(env, &lock_fd, msg, msglen)) == NULL)
		return -1;
	for (size_t i = 0; i < n && i < 2; i++) {
		const struct ks_user *u = keystore_find_id(ks, sigs[i].user_id);

		roles[i] = u != NULL ? APPROVAL_ROLE_BIT(u->role) : 0;
	}
	keystore_free(ks);
	close(lock_fd);
	if (approval_complete(env->policy, a, sigs, n, roles, msg, msglen) != 0)
		return -1;
	if ((action = json_loads(action_json, 0, NULL)) == NULL) {
		str_copy(msg, _("the action is not valid JSON"), msglen);
		return -1;
	}
	list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, esig_to_json(&sigs[i]));
	return audit_log_append(env->spool, env->key, kind, sigs[0].user,
	    json_pack("{s:o,s:o}", "action", action, "signatures", list), 0,
	    msg, msglen);
}

void
signing_cancelled(const struct signing_env *env, enum approval_action a,
    const char *user, const char *action_json)
{
	json_t *action = json_loads(action_json, 0, NULL);

	audit(env, "signature_cancelled", user != NULL ? user : "",
	    json_pack("{s:s,s:o}", "for", approval_action_name(a), "action",
	    action != NULL ? action : json_null()));
}
