/*
 * cmd_user.c: `jope-smb user add|passwd|disable|role|list`, the console's
 * users and their keys (STATE_DIR/keystore.json, compliance/keystore.h).
 *
 * Every change is a signed audit event.  The first admin is made by
 * `user add NAME --bootstrap`, refused once any user exists, and signs its
 * own creation.  Adding, disabling and changing the role of a user need the
 * signature of a user whom the approval policy allows for user_admin (by
 * default an admin; approval.h), given with that user's password and a
 * reason.  A password change is signed by the user whose password it is:
 * only the current password opens the secret key that the new password
 * will protect, so nobody else could do it (a forgotten password cannot be
 * reset: disable the user and add a new one).
 *
 * Answers come from the terminal (passwords without echo) or, when standard
 * input is not a terminal, one per line from standard input, in this order
 * (term_password.h; doc/audit.md):
 *
 *   user add NAME --bootstrap   new password, the same again
 *   user add NAME               new password, the same again,
 *                               signer's name, signer's password, reason
 *   user passwd NAME            current password, new password, again
 *   user disable NAME           signer's name, signer's password, reason
 *   user role NAME ROLE         signer's name, signer's password, reason
 *
 * Flow of a change (each row runs only when the one before succeeded; any
 * failure ends the command with exit 1 and the keystore as it was, except
 * for the lock-out counters, which must persist):
 *
 *   step            what                               on failure
 *   --------------  ---------------------------------  ------------------
 *   check           arguments, keystore readable and   message
 *                   0600, target user state
 *   open            spool, console key                 message
 *   ask             all answers, before any lock       message
 *   lock            flock STATE_DIR/keystore.lock,     -
 *                   keystore read again, checks again
 *   authenticate    keystore_unlock of the signer,     keystore saved,
 *                   approval_check                     login_failed (and
 *                                                      account_locked)
 *                                                      audited
 *   change          keystore_add/_disable/_set_role/   message
 *                   _set_password (in memory)
 *   sign + record   esig over the action, audit event  message
 *   save            keystore_save                      action_failed
 *                                                      audited
 *
 * The lock is held from the second read of the keystore to its save, so the
 * console and this command (or two of them) never lose each other's change;
 * nobody waits at a prompt while holding it.  The lock-out, the Argon2id
 * level of new passwords and who may sign are app.json's "compliance" and
 * "signatures" (defaults without an app.json: 5 wrong passwords in a row
 * lock for 15 minutes, moderate, admins manage users); JOPE_SMB_KDF
 * overrides the level (interactive for tests and slow machines).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <sodium.h>

#include "cli_table.h"
#include "commands.h"
#include "compliance/approval.h"
#include "compliance/audit.h"
#include "compliance/audit_log.h"
#include "compliance/console_key.h"
#include "compliance/esign.h"
#include "compliance/keystore.h"
#include "core/i18n.h"
#include "core/util.h"
#include "store/spool.h"
#include "term_password.h"

struct session {
	const struct options *o;
	const char *state_dir;
	char ks_path[4096];
	int lock_fd;
	struct keystore *ks;
	struct spool *sp;
	struct console_key *key;
	struct app_config app;		/* lock-out, KDF, signature policy */
	char *spool_path;
	enum ks_kdf kdf;
};

/* What a signer answered. */
struct signer {
	char name[TERM_LINE_MAX + 1];
	char *password;
	char reason[TERM_LINE_MAX + 1];
};

static int64_t
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void
errorf_s(const char *msg)
{
	fprintf(stderr, "jope-smb: %s\n", msg);
}

/* The KDF level of new keys: $JOPE_SMB_KDF, else app.json's.  0 or -1. */
static int
kdf_from_env(enum ks_kdf dflt, enum ks_kdf *out)
{
	const char *v = getenv("JOPE_SMB_KDF");

	*out = dflt;
	if (v == NULL || *v == '\0')
		return 0;
	if (strcmp(v, "moderate") == 0)
		*out = KS_KDF_MODERATE;
	else if (strcmp(v, "interactive") == 0)
		*out = KS_KDF_INTERACTIVE;
	else if (strcmp(v, "sensitive") == 0)
		*out = KS_KDF_SENSITIVE;
	else {
		fprintf(stderr, _("jope-smb: JOPE_SMB_KDF: expected interactive, "
		    "moderate or sensitive, got '%s'\n"), v);
		return -1;
	}
	return 0;
}

/* The keystore's rule for names, checked before anyone types a password. */
static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > KS_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

/* Not empty, at most max bytes, no C0 control character nor DEL. */
static bool
text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int
open_keystore(struct session *s)
{
	char err[1024];

	keystore_free(s->ks);
	s->ks = NULL;
	if (keystore_open(s->ks_path, &s->ks, err, sizeof err) != 0) {
		errorf_s(err);
		return -1;
	}
	return 0;
}

static int
save_keystore(struct session *s)
{
	char err[1024];

	if (keystore_save(s->ks, err, sizeof err) != 0) {
		errorf_s(err);
		return -1;
	}
	return 0;
}

/* The spool and the console key, which every change needs. */
static int
session_open(struct session *s)
{
	char err[1024];

	if (make_dirs(s->state_dir, 0700) != 0) {
		fprintf(stderr, _("jope-smb: cannot create the state dir %s: "
		    "%s\n"), s->state_dir, strerror(errno));
		return -1;
	}
	if (spool_open(s->spool_path, &s->sp, err, sizeof err) != 0) {
		errorf_s(err);
		return -1;
	}
	if ((s->key = console_key_load(s->state_dir, err, sizeof err)) ==
	    NULL) {
		errorf_s(err);
		return -1;
	}
	return 0;
}

/* Take STATE_DIR/keystore.lock and read the keystore again under it. */
static int
session_lock(struct session *s)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/keystore.lock", s->state_dir);
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (s->lock_fd < 0) {
		fprintf(stderr, _("jope-smb: cannot open %s: %s\n"), path,
		    strerror(errno));
		return -1;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, _("jope-smb: waiting for %s (another program "
		    "is changing the keystore)...\n"), path);
		while (flock(s->lock_fd, LOCK_EX) != 0)
			if (errno != EINTR) {
				fprintf(stderr, _("jope-smb: cannot lock %s: "
				    "%s\n"), path, strerror(errno));
				return -1;
			}
	}
	return open_keystore(s);
}

static void
session_close(struct session *s)
{
	keystore_free(s->ks);
	console_key_free(s->key);
	if (s->sp != NULL)
		spool_close(s->sp);
	if (s->lock_fd >= 0)
		close(s->lock_fd);	/* releases the flock */
	free(s->spool_path);
}

/* Append an event; prints why it failed.  payload is taken. */
static int
audit(struct session *s, const char *kind, const char *actor,
    json_t *payload)
{
	char err[1024];

	if (audit_log_append(s->sp, s->key, kind, actor, payload, 0, err,
	    sizeof err) < 0) {
		fprintf(stderr, _("jope-smb: cannot write the audit trail: "
		    "%s\n"), err);
		return -1;
	}
	return 0;
}

/* A JSON string of text typed by someone (maybe not UTF-8). */
static json_t *
typed_string(const char *s)
{
	json_t *j = json_string(s);

	return j != NULL ? j : json_string("?");
}

static int
read_new_password(const char *name, char **out)
{
	char prompt[128], err[512];
	char *a, *b;
	int same;

	*out = NULL;
	snprintf(prompt, sizeof prompt, _("New password for %s: "), name);
	if ((a = term_password_read(prompt, err, sizeof err)) == NULL) {
		errorf_s(err);
		return -1;
	}
	if ((b = term_password_read(_("The same password again: "), err,
	    sizeof err)) == NULL) {
		errorf_s(err);
		term_password_free(a);
		return -1;
	}
	same = strcmp(a, b) == 0;
	term_password_free(b);
	if (!same) {
		term_password_free(a);
		fprintf(stderr, _("jope-smb: the two passwords differ; nothing "
		    "was changed\n"));
		return -1;
	}
	if (utf8_count(a) < KS_MIN_PASSWORD) {
		term_password_free(a);
		fprintf(stderr, _("jope-smb: a password needs at least %d "
		    "characters; nothing was changed\n"), KS_MIN_PASSWORD);
		return -1;
	}
	*out = a;
	return 0;
}

/*
 * Ask who signs, with what password and why; what (the change, for people)
 * is shown first at a terminal, so the signer sees what the signature means.
 */
static int
read_signer(struct signer *sg, const char *what)
{
	char err[512], prompt[160];
	struct esig probe;

	memset(sg, 0, sizeof *sg);
	if (term_interactive())
		fprintf(stderr, _("To be signed (meaning: %s): %s\n"),
		    esig_meaning_label(ESIG_APPROVED), what);
	if (term_line_read(_("Signed by (user name): "), sg->name,
	    sizeof sg->name, err,
	    sizeof err) != 0)
		goto fail;
	snprintf(prompt, sizeof prompt, _("Password of %s: "), sg->name);
	if ((sg->password = term_password_read(prompt, err, sizeof err)) ==
	    NULL)
		goto fail;
	if (term_line_read(_("Reason: "), sg->reason, sizeof sg->reason, err,
	    sizeof err) != 0)
		goto fail;
	/* The reason must be text a signature can carry: check it now. */
	memset(&probe, 0, sizeof probe);
	probe.user_id = 1;
	str_copy(probe.user, "x", sizeof probe.user);
	str_copy(probe.full_name, "x", sizeof probe.full_name);
	probe.meaning = ESIG_APPROVED;
	probe.ts_us = now_us();
	if (sg->reason[strspn(sg->reason, " \t")] == '\0') {
		snprintf(err, sizeof err, _("a signature needs a reason"));
		goto fail;
	}
	if (strlen(sg->reason) >= sizeof probe.reason) {
		snprintf(err, sizeof err, _("the reason is longer than %zu "
		    "bytes"), sizeof probe.reason - 1);
		goto fail;
	}
	str_copy(probe.reason, sg->reason, sizeof probe.reason);
	{
		char *msg = esig_message(&probe);

		if (msg == NULL) {
			snprintf(err, sizeof err, _("the reason is not valid "
			    "text (UTF-8 without control characters)"));
			goto fail;
		}
		free(msg);
	}
	return 0;
fail:
	errorf_s(err);
	term_password_free(sg->password);
	sg->password = NULL;
	return -1;
}

/*
 * Unlock name with password for context (an action name).  Failures are
 * audited (login_failed; account_locked when this one locked the user) and
 * the keystore saved so that the counters persist.  With act >= 0 the user
 * must also be allowed to sign act in the first place.  0 with *who and *sk
 * (free it), or -1.
 */
static int
authenticate(struct session *s, const char *name, const char *password,
    const char *context, int act, const struct ks_user **who,
    struct ks_secret **sk)
{
	const struct ks_user *u;
	enum ks_unlock r;
	int64_t now = now_us();
	char err[1024], when[40];
	const char *reason;

	*sk = NULL;
	r = keystore_unlock(s->ks, name, password, now,
	    s->app.compliance.max_failures, s->app.compliance.lockout_ms * 1000,
	    sk, err, sizeof err);
	u = keystore_find(s->ks, name);
	if (r != KS_NO_USER && r != KS_DISABLED)
		save_keystore(s);
	if (r == KS_OK) {
		*who = u;
		if (act < 0)
			return 0;
		if (approval_check(&s->app.signatures,
		    (enum approval_action)act, 0, u->id,
		    APPROVAL_ROLE_BIT(u->role), 0, err, sizeof err) == 0)
			return 0;
		ks_secret_free(*sk);
		*sk = NULL;
		audit(s, "signature_refused", u->name, json_pack("{s:s,s:I,s:s,"
		    "s:s}", "user", u->name, "user_id", (json_int_t)u->id,
		    "context", context, "reason", err));
		fprintf(stderr, _("jope-smb: %s may not sign this: %s\n"),
		    u->name, err);
		return -1;
	}
	switch (r) {
	case KS_NO_USER: reason = "unknown_user"; break;
	case KS_DISABLED: reason = "disabled"; break;
	case KS_LOCKED: reason = "locked"; break;
	case KS_BAD_PASSWORD: reason = "bad_password"; break;
	default: reason = NULL; break;
	}
	if (reason != NULL)
		audit(s, "login_failed", u != NULL ? u->name : "",
		    json_pack("{s:o,s:s,s:s,s:i}", "user", typed_string(name),
		    "reason", reason, "context", context, "failures",
		    u != NULL ? u->failed : 0));
	if (r == KS_BAD_PASSWORD && u != NULL && u->locked_until_us > now) {
		format_rfc3339_us(u->locked_until_us, when, sizeof when);
		audit(s, "account_locked", u->name, json_pack("{s:s,s:I,s:i,"
		    "s:s,s:s}", "user", u->name, "user_id", (json_int_t)u->id,
		    "failures", u->failed, "locked_until", when, "context",
		    context));
	}
	errorf_s(err);
	return -1;
}

/*
 * Sign action (taken) as signer with sk (freed here), and append it to the
 * trail as kind: {"action": action, "signatures": [signature]}.
 */
static int
record(struct session *s, const char *kind, json_t *action,
    const struct ks_user *signer, struct ks_secret *sk,
    enum esig_meaning meaning, const char *reason)
{
	char buf[1024];
	struct esig e;
	json_t *sigj;
	char *text;
	int rc;

	memset(&e, 0, sizeof e);
	e.user_id = signer->id;
	str_copy(e.user, signer->name, sizeof e.user);
	str_copy(e.full_name, signer->full_name, sizeof e.full_name);
	e.meaning = meaning;
	str_copy(e.reason, reason, sizeof e.reason);
	e.ts_us = now_us();
	text = json_dumps(action, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL) {
		ks_secret_free(sk);
		json_decref(action);
		errorf_s(_("cannot serialise the action"));
		return -1;
	}
	audit_action_hash(text, e.payload_hash);
	free(text);
	rc = esig_sign(&e, ks_secret_bytes(sk));
	ks_secret_free(sk);
	if (rc != 0 || (sigj = esig_to_json(&e)) == NULL) {
		json_decref(action);
		errorf_s(_("cannot sign the action"));
		return -1;
	}
	if (audit(s, kind, signer->name, json_pack("{s:o,s:[o]}", "action",
	    action, "signatures", sigj)) != 0)
		return -1;
	esig_manifestation(&e, buf, sizeof buf);
	printf(_("Signed: %s\n"), buf);
	return 0;
}

/* The save after a recorded change; a failure is recorded too. */
static int
commit(struct session *s, const char *action_name, const char *user)
{
	char err[1024];

	if (keystore_save(s->ks, err, sizeof err) == 0)
		return 0;
	errorf_s(err);
	audit(s, "action_failed", "", json_pack("{s:s,s:s,s:s}", "action",
	    action_name, "user", user, "error", err));
	fprintf(stderr, _("jope-smb: the change was signed but not saved; "
	    "the audit trail says so\n"));
	return -1;
}

static const char *
hex_key(const unsigned char pk[32], char out[65])
{
	sodium_bin2hex(out, 65, pk, 32);
	return out;
}

static int
enabled_admins_except(const struct keystore *ks, int64_t except)
{
	int n = 0;

	for (size_t i = 0; i < keystore_count(ks); i++) {
		const struct ks_user *u = keystore_user_at(ks, i);

		if (!u->disabled && u->role == KS_ROLE_ADMIN && u->id != except)
			n++;
	}
	return n;
}

/* --- user add ------------------------------------------------------------ */

static int
check_add(struct session *s, const char *name, bool bootstrap)
{
	const struct ks_user *u;
	size_t n = keystore_count(s->ks);

	if (bootstrap && n > 0) {
		fprintf(stderr, _("jope-smb: --bootstrap refused: the keystore "
		    "%s already holds %zu user(s); an admin adds the others\n"),
		    s->ks_path, n);
		return -1;
	}
	if (!bootstrap && n == 0) {
		fprintf(stderr, _("jope-smb: there are no users yet: create the "
		    "first admin with 'jope-smb user add NAME --full-name=... "
		    "--role=admin --bootstrap'\n"));
		return -1;
	}
	if ((u = keystore_find(s->ks, name)) != NULL) {
		if (u->disabled)
			fprintf(stderr, _("jope-smb: the name %s belongs to a "
			    "disabled user (id %" PRId64 "); names are not "
			    "reused\n"), name, u->id);
		else
			fprintf(stderr, _("jope-smb: user %s already exists\n"),
			    name);
		return -1;
	}
	return 0;
}

static int
user_add(struct session *s, const char *name)
{
	const struct options *o = s->o;
	const struct ks_user *signer = NULL, *nu;
	struct ks_secret *sk = NULL;
	struct signer sg = { .password = NULL };
	enum ks_role role = KS_ROLE_ADMIN;
	char *pw = NULL, err[1024], hex[65], fp[40];
	int64_t id;
	int rc = EXIT_FAILURE_;

	if (o->full_name == NULL || (o->role == NULL && !o->bootstrap)) {
		fprintf(stderr, _("jope-smb: user add NAME needs --full-name "
		    "and --role (operator, supervisor, qa or admin)\n"));
		return EXIT_USAGE;
	}
	if (o->role != NULL && ks_role_parse(o->role, &role) != 0) {
		fprintf(stderr, _("jope-smb: --role: expected operator, "
		    "supervisor, qa or admin, got '%s'\n"), o->role);
		return EXIT_USAGE;
	}
	if (o->bootstrap && role != KS_ROLE_ADMIN) {
		fprintf(stderr, _("jope-smb: --bootstrap makes the first admin: "
		    "its role is admin\n"));
		return EXIT_USAGE;
	}
	if (!name_ok(name)) {
		fprintf(stderr, _("jope-smb: \"%s\" is not a valid user name: "
		    "use 1 to %d of a-z, 0-9, _ . -\n"), name, KS_NAME_MAX);
		return EXIT_USAGE;
	}
	if (!text_ok(o->full_name, KS_FULL_NAME_MAX)) {
		fprintf(stderr, _("jope-smb: --full-name: 1 to %d bytes of text "
		    "without control characters\n"), KS_FULL_NAME_MAX);
		return EXIT_USAGE;
	}
	if (open_keystore(s) != 0 || check_add(s, name, o->bootstrap) != 0 ||
	    session_open(s) != 0)
		return EXIT_FAILURE_;
	if (read_new_password(name, &pw) != 0)
		return EXIT_FAILURE_;
	if (!o->bootstrap) {
		char what[512];

		snprintf(what, sizeof what, _("add user %s (%s, role %s)"),
		    name, o->full_name, ks_role_name(role));
		if (read_signer(&sg, what) != 0)
			goto out;
	}
	if (session_lock(s) != 0 || check_add(s, name, o->bootstrap) != 0)
		goto out;
	if (!o->bootstrap && authenticate(s, sg.name, sg.password, "user_add",
	    ACT_USER_ADMIN, &signer, &sk) != 0)
		goto out;
	if (keystore_add(s->ks, name, o->full_name, role, pw, s->kdf, now_us(),
	    &id, err, sizeof err) != 0) {
		errorf_s(err);
		goto out;
	}
	nu = keystore_find_id(s->ks, id);
	if (o->bootstrap) {
		/* The first admin signs its own creation. */
		if (keystore_unlock(s->ks, name, pw, now_us(), 0, 0, &sk, err,
		    sizeof err) != KS_OK) {
			errorf_s(err);
			goto out;
		}
		signer = nu;
	}
	if (record(s, "user_added", json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:b}",
	    "action", "user_add", "user", name, "user_id", (json_int_t)id,
	    "full_name", nu->full_name, "role", ks_role_name(role),
	    "public_key", hex_key(nu->public_key, hex), "bootstrap",
	    o->bootstrap), signer, sk, o->bootstrap ? ESIG_PERFORMED :
	    ESIG_APPROVED, o->bootstrap ? "" : sg.reason) != 0) {
		sk = NULL;
		goto out;
	}
	sk = NULL;
	if (commit(s, "user_add", name) != 0)
		goto out;
	ed25519_fingerprint(nu->public_key, fp, sizeof fp);
	printf(_("Added user %s (id %" PRId64 ", %s), key %s.\n"), name, id,
	    ks_role_name(role), fp);
	rc = EXIT_OK;
out:
	ks_secret_free(sk);
	term_password_free(pw);
	term_password_free(sg.password);
	return rc;
}

/* --- user passwd --------------------------------------------------------- */

static int
check_enabled(struct session *s, const char *name,
    const struct ks_user **out)
{
	const struct ks_user *u = keystore_find(s->ks, name);

	if (u == NULL) {
		fprintf(stderr, _("jope-smb: no user named %s\n"), name);
		return -1;
	}
	if (u->disabled) {
		fprintf(stderr, _("jope-smb: user %s is disabled\n"), name);
		return -1;
	}
	*out = u;
	return 0;
}

static int
user_passwd(struct session *s, const char *name)
{
	const struct ks_user *u, *who;
	struct ks_secret *sk = NULL;
	char *cur = NULL, *pw = NULL, prompt[128], err[1024];
	int rc = EXIT_FAILURE_;

	if (open_keystore(s) != 0 || check_enabled(s, name, &u) != 0 ||
	    session_open(s) != 0)
		return EXIT_FAILURE_;
	snprintf(prompt, sizeof prompt, _("Current password of %s: "), name);
	if ((cur = term_password_read(prompt, err, sizeof err)) == NULL) {
		errorf_s(err);
		return EXIT_FAILURE_;
	}
	if (read_new_password(name, &pw) != 0)
		goto out;
	if (session_lock(s) != 0 || check_enabled(s, name, &u) != 0)
		goto out;
	if (authenticate(s, name, cur, "user_passwd", -1, &who, &sk) != 0)
		goto out;
	if (keystore_set_password(s->ks, name, sk, pw, s->kdf, err,
	    sizeof err) != 0) {
		errorf_s(err);
		goto out;
	}
	if (record(s, "password_changed", json_pack("{s:s,s:s,s:I}", "action",
	    "user_passwd", "user", name, "user_id", (json_int_t)who->id), who,
	    sk, ESIG_PERFORMED, "") != 0) {
		sk = NULL;
		goto out;
	}
	sk = NULL;
	if (commit(s, "user_passwd", name) != 0)
		goto out;
	printf(_("The password of %s was changed.\n"), name);
	rc = EXIT_OK;
out:
	ks_secret_free(sk);
	term_password_free(cur);
	term_password_free(pw);
	return rc;
}

/* --- user disable, user role --------------------------------------------- */

/*
 * The checks of a change to an existing user: enabled, and never the last
 * enabled admin made unable to administer (nobody could add users again).
 */
static int
check_change(struct session *s, const char *name, bool disable,
    enum ks_role role, const struct ks_user **out)
{
	const struct ks_user *u;

	if (check_enabled(s, name, &u) != 0)
		return -1;
	if (u->role == KS_ROLE_ADMIN && (disable || role != KS_ROLE_ADMIN) &&
	    enabled_admins_except(s->ks, u->id) == 0) {
		fprintf(stderr, _("jope-smb: %s is the last admin: add another "
		    "admin first, or nobody could manage users\n"), name);
		return -1;
	}
	*out = u;
	return 0;
}

static int
user_change(struct session *s, const char *name, bool disable,
    const char *role_arg)
{
	const struct ks_user *u, *signer;
	struct ks_secret *sk = NULL;
	struct signer sg = { .password = NULL };
	enum ks_role role = KS_ROLE_OPERATOR, old;
	char err[1024], what[512];
	json_t *action;
	int rc = EXIT_FAILURE_;

	if (!disable && ks_role_parse(role_arg, &role) != 0) {
		fprintf(stderr, _("jope-smb: user role: expected operator, "
		    "supervisor, qa or admin, got '%s'\n"), role_arg);
		return EXIT_USAGE;
	}
	if (open_keystore(s) != 0 || check_change(s, name, disable, role,
	    &u) != 0)
		return EXIT_FAILURE_;
	if (!disable && u->role == role) {
		printf(_("%s already has the role %s: nothing to do.\n"), name,
		    ks_role_name(role));
		return EXIT_OK;
	}
	if (disable)
		snprintf(what, sizeof what, _("disable user %s (%s)"), name,
		    u->full_name);
	else
		snprintf(what, sizeof what, _("change the role of %s (%s): "
		    "%s -> %s"), name, u->full_name, ks_role_name(u->role),
		    ks_role_name(role));
	if (session_open(s) != 0 || read_signer(&sg, what) != 0)
		return EXIT_FAILURE_;
	if (session_lock(s) != 0 || check_change(s, name, disable, role,
	    &u) != 0)
		goto out;
	if (authenticate(s, sg.name, sg.password, disable ? "user_disable" :
	    "user_role", ACT_USER_ADMIN, &signer, &sk) != 0)
		goto out;
	old = u->role;
	if (disable) {
		if (keystore_disable(s->ks, name, err, sizeof err) != 0) {
			errorf_s(err);
			goto out;
		}
		action = json_pack("{s:s,s:s,s:I}", "action", "user_disable",
		    "user", name, "user_id", (json_int_t)u->id);
	} else {
		if (keystore_set_role(s->ks, name, role, err, sizeof err) != 0) {
			errorf_s(err);
			goto out;
		}
		action = json_pack("{s:s,s:s,s:I,s:s,s:s}", "action",
		    "user_role", "user", name, "user_id", (json_int_t)u->id,
		    "old_role", ks_role_name(old), "role", ks_role_name(role));
	}
	if (record(s, disable ? "user_disabled" : "user_role_changed", action,
	    signer, sk, ESIG_APPROVED, sg.reason) != 0) {
		sk = NULL;
		goto out;
	}
	sk = NULL;
	if (commit(s, disable ? "user_disable" : "user_role", name) != 0)
		goto out;
	if (disable)
		printf(_("User %s is disabled; its key stays for old "
		    "signatures.\n"), name);
	else
		printf(_("User %s: role %s -> %s.\n"), name, ks_role_name(old),
		    ks_role_name(role));
	rc = EXIT_OK;
out:
	ks_secret_free(sk);
	term_password_free(sg.password);
	return rc;
}

/* --- user list ----------------------------------------------------------- */

enum { COL_ID, COL_NAME, COL_FULL, COL_ROLE, COL_DISABLED, COL_LOCKED,
	COL_FAILED, COL_KEY, NCOLS };

static int
user_list(struct session *s)
{
	const char *head[NCOLS] = { _("ID"), _("NAME"), _("FULL NAME"),
	    _("ROLE"), _("DISABLED"), _("LOCKED UNTIL"), _("FAILED"),
	    _("KEY") };
	int64_t now = now_us();
	struct cli_table *table;
	size_t n;
	json_t *arr;

	if (open_keystore(s) != 0)
		return EXIT_FAILURE_;
	n = keystore_count(s->ks);
	arr = json_array();
	table = cli_table_new(NCOLS, head);
	for (size_t i = 0; i < n; i++) {
		const struct ks_user *u = keystore_user_at(s->ks, i);
		char fp[40], when[40] = "", created[40], hex[65];
		bool locked = u->locked_until_us > now;

		ed25519_fingerprint(u->public_key, fp, sizeof fp);
		if (locked)
			format_rfc3339_us(u->locked_until_us, when, sizeof when);
		format_rfc3339_us(u->created_us, created, sizeof created);
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s,s:b,"
		    "s:b,s:s?,s:i,s:s,s:s,s:s}", "id", (json_int_t)u->id,
		    "name", u->name, "full_name", u->full_name, "role",
		    ks_role_name(u->role), "disabled", u->disabled, "locked",
		    locked, "locked_until", locked ? when : NULL, "failed",
		    u->failed, "created", created, "fingerprint", fp,
		    "public_key", hex_key(u->public_key, hex)));
		{
			char id[24], failed[24];
			const char *row[NCOLS] = { id, u->name, u->full_name,
			    ks_role_name(u->role), u->disabled ? _("yes") : "-",
			    locked ? when : "-", failed, fp };

			snprintf(id, sizeof id, "%" PRId64, u->id);
			snprintf(failed, sizeof failed, "%d", u->failed);
			cli_table_add(table, row);
		}
	}
	if (s->o->json) {
		json_t *root = json_pack("{s:s,s:o}", "keystore", s->ks_path,
		    "users", arr);
		char *text = json_dumps(root, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER);

		puts(text);
		free(text);
		json_decref(root);
	} else {
		json_decref(arr);
		if (n == 0)
			printf(_("No users in %s yet.\n"), s->ks_path);
		else
			cli_table_print(table, stdout);
	}
	cli_table_free(table);
	return EXIT_OK;
}

/* --- dispatch ------------------------------------------------------------ */

static int
usage_error(void)
{
	fprintf(stderr, _("jope-smb: user: expected one of\n"
	    "  user add NAME --full-name=TEXT --role=ROLE [--bootstrap]\n"
	    "  user passwd NAME\n"
	    "  user disable NAME\n"
	    "  user role NAME ROLE\n"
	    "  user list [--json]\n"));
	return EXIT_USAGE;
}

int
cmd_user(const struct options *o)
{
	const char *sub = o->argc > 0 ? o->argv[0] : "";
	struct session s;
	int want, rc;

	if (strcmp(sub, "list") == 0)
		want = 1;
	else if (strcmp(sub, "role") == 0)
		want = 3;
	else if (strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0 ||
	    strcmp(sub, "disable") == 0)
		want = 2;
	else
		return usage_error();
	if (o->argc != want)
		return usage_error();
	if ((o->full_name != NULL || o->role != NULL || o->bootstrap) &&
	    strcmp(sub, "add") != 0) {
		fprintf(stderr, _("jope-smb: --full-name, --role and --bootstrap "
		    "belong to 'user add'\n"));
		return EXIT_USAGE;
	}
	memset(&s, 0, sizeof s);
	s.o = o;
	s.lock_fd = -1;
	s.state_dir = options_state_dir(o);
	snprintf(s.ks_path, sizeof s.ks_path, "%s/keystore.json", s.state_dir);
	if (command_load_app(o, &s.app, &s.spool_path) != 0)
		return EXIT_FAILURE_;
	if (kdf_from_env((enum ks_kdf)s.app.compliance.kdf, &s.kdf) != 0) {
		free(s.spool_path);
		return EXIT_USAGE;
	}
	if (strcmp(sub, "list") == 0)
		rc = user_list(&s);
	else if (strcmp(sub, "add") == 0)
		rc = user_add(&s, o->argv[1]);
	else if (strcmp(sub, "passwd") == 0)
		rc = user_passwd(&s, o->argv[1]);
	else if (strcmp(sub, "disable") == 0)
		rc = user_change(&s, o->argv[1], true, NULL);
	else
		rc = user_change(&s, o->argv[1], false, o->argv[2]);
	session_close(&s);
	return rc;
}
