/*
 * test_keystore.c: the specification of the user keystore, as tests.
 *
 * A user added, saved and read back unlocks with the password into the
 * secret key of the stored public key; a wrong password counts a failure
 * that survives a save and a reopen; the fifth failure in a row locks the
 * user (even against the right password) until the lock-out has passed, and
 * a success resets the count.  Disabled users keep their id, name and public
 * key; ids and names are never reused.  Bad names, short passwords and
 * duplicates are refused.  A password change re-encrypts the same key pair.
 * The file is written 0600 whatever the umask, and a file that group or
 * others may read is refused with a message telling to chmod 600.  Damaged
 * files (not JSON, truncated, bad hex, wrong version, bad fields) are refused
 * and left untouched, and no tampering with the encrypted key (a flipped
 * bit, a key moved to another user, a replaced public key) ever gives a key.
 * All with the cheapest KDF level, KS_KDF_INTERACTIVE, to stay fast.  Each
 * test gets its own directory from mkdtemp(3) under /tmp, removed after.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "compliance/keystore.h"
#include "core/util.h"
#include "tests/unit/tmpdir.h"

#define T0		INT64_C(1763701268123456)	/* 2025-11-21T05:01:08Z */
#define MINUTE		INT64_C(60000000)
#define LOCKOUT		(15 * MINUTE)
#define MAXFAIL		5
#define PW		"correct horse"
#define PW2		"battery staple"
#define KDF		KS_KDF_INTERACTIVE

static int
setup(void **state)
{
	return tmpdir_fixture_setup(state, "jope-keystore", "keystore.json");
}

static struct keystore *
open_ok(const char *path)
{
	struct keystore *ks = NULL;
	char err[512] = "";

	if (keystore_open(path, &ks, err, sizeof err) != 0)
		fail_msg("keystore_open(%s): %s", path, err);
	assert_non_null(ks);
	return ks;
}

/* Open must fail; returns the message (static). */
static const char *
open_fails(const char *path)
{
	static char err[512];
	struct keystore *ks = (struct keystore *)1;

	err[0] = '\0';
	assert_int_equal(keystore_open(path, &ks, err, sizeof err), -1);
	assert_null(ks);
	assert_non_null(strstr(err, path));
	return err;
}

static void
save_ok(struct keystore *ks)
{
	char err[512] = "";

	if (keystore_save(ks, err, sizeof err) != 0)
		fail_msg("keystore_save: %s", err);
}

static int64_t
add_ok(struct keystore *ks, const char *name, enum ks_role role,
    const char *pw)
{
	char err[512] = "";
	int64_t id = -1;

	if (keystore_add(ks, name, "Full Name", role, pw, KDF, T0, &id, err,
	    sizeof err) != 0)
		fail_msg("keystore_add(%s): %s", name, err);
	assert_true(id > 0);
	return id;
}

static enum ks_unlock
try_unlock(struct keystore *ks, const char *name, const char *pw,
    int64_t now, struct ks_secret **sk)
{
	char err[512] = "";
	struct ks_secret *dummy = NULL;
	enum ks_unlock r;

	r = keystore_unlock(ks, name, pw, now, MAXFAIL, LOCKOUT,
	    sk ? sk : &dummy, err, sizeof err);
	if (r == KS_OK)
		assert_string_equal(err, "");
	else
		assert_true(err[0] != '\0');
	if (sk == NULL)
		ks_secret_free(dummy);
	else if (r != KS_OK)
		assert_null(*sk);
	return r;
}

/* The secret key is the one of the user's public key, and it signs. */
static void
assert_key_of(const struct ks_user *u, const struct ks_secret *sk)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	static const unsigned char msg[] = "batch 42 started";

	assert_non_null(sk);
	assert_int_equal(crypto_sign_ed25519_sk_to_pk(pk, ks_secret_bytes(sk)),
	    0);
	assert_memory_equal(pk, u->public_key, sizeof pk);
	crypto_sign_detached(sig, NULL, msg, sizeof msg, ks_secret_bytes(sk));
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof msg,
	    u->public_key), 0);
}

static char *
read_text(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
write_text(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0600), 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* The file as JSON, to be edited by a test and written back (0600). */
static json_t *
load_json(const char *path)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);

	if (root == NULL)
		fail_msg("%s: %s", path, jerr.text);
	return root;
}

static void
store_json(const char *path, json_t *root)
{
	char *text = json_dumps(root, JSON_INDENT(2));

	assert_non_null(text);
	write_text(path, text, strlen(text));
	free(text);
	json_decref(root);
}

static json_t *
user_obj(json_t *root, size_t i)
{
	json_t *u = json_array_get(json_object_get(root, "users"), i);

	assert_non_null(u);
	return u;
}

/* Open must fail, and the file must be left exactly as it was. */
static const char *
refused_untouched(const char *path)
{
	char *before = read_text(path), *after;
	const char *msg = open_fails(path);

	after = read_text(path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	return msg;
}

/* One alice (admin), saved: the starting point of the damage tests. */
static void
make_alice(const char *path)
{
	struct keystore *ks = open_ok(path);

	add_ok(ks, "alice", KS_ROLE_ADMIN, PW);
	save_ok(ks);
	keystore_free(ks);
}

/* --- tests -------------------------------------------------------------- */

static void
test_missing_is_empty(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks = open_ok(f->path);
	struct stat st;

	assert_int_equal(keystore_count(ks), 0);
	assert_null(keystore_user_at(ks, 0));
	assert_null(keystore_find(ks, "alice"));
	assert_int_equal(try_unlock(ks, "alice", PW, T0, NULL), KS_NO_USER);
	assert_int_equal(stat(f->path, &st), -1);	/* nothing created */
	assert_int_equal(errno, ENOENT);
	save_ok(ks);
	keystore_free(ks);
	assert_int_equal(stat(f->path, &st), 0);
	ks = open_ok(f->path);
	assert_int_equal(keystore_count(ks), 0);
	keystore_free(ks);
}

static void
test_add_reopen_unlock(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks = open_ok(f->path);
	const struct ks_user *u;
	struct ks_secret *sk = NULL;
	unsigned char pk[32];
	char err[256];
	int64_t id = 0;

	assert_int_equal(keystore_add(ks, "alice", "陳美玲 Alice Chen",
	    KS_ROLE_QA, PW, KDF, T0, &id, err, sizeof err), 0);
	assert_int_equal(id, 1);
	memcpy(pk, keystore_find(ks, "alice")->public_key, sizeof pk);
	save_ok(ks);
	keystore_free(ks);

	ks = open_ok(f->path);
	assert_int_equal(keystore_count(ks), 1);
	u = keystore_find(ks, "alice");
	assert_non_null(u);
	assert_ptr_equal(u, keystore_user_at(ks, 0));
	assert_ptr_equal(u, keystore_find_id(ks, 1));
	assert_null(keystore_find_id(ks, 2));
	assert_int_equal(u->id, 1);
	assert_string_equal(u->name, "alice");
	assert_string_equal(u->full_name, "陳美玲 Alice Chen");
	assert_int_equal(u->role, KS_ROLE_QA);
	assert_false(u->disabled);
	assert_int_equal(u->created_us, T0);
	assert_memory_equal(u->public_key, pk, sizeof pk);
	assert_int_equal(u->failed, 0);
	assert_int_equal(u->locked_until_us, 0);
	assert_int_equal(u->opslimit,
	    crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
	assert_int_equal(u->memlimit,
	    crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);

	assert_int_equal(try_unlock(ks, "alice", PW, T0, &sk), KS_OK);
	assert_key_of(u, sk);
	ks_secret_free(sk);
	ks_secret_free(NULL);
	keystore_free(ks);
}

static void
test_wrong_password_persists(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks;

	make_alice(f->path);
	ks = open_ok(f->path);
	assert_int_equal(try_unlock(ks, "alice", "not the password", T0, NULL),
	    KS_BAD_PASSWORD);
	assert_int_equal(try_unlock(ks, "alice", "", T0, NULL),
	    KS_BAD_PASSWORD);
	assert_int_equal(try_unlock(ks, "alice", NULL, T0, NULL),
	    KS_BAD_PASSWORD);
	assert_int_equal(keystore_find(ks, "alice")->failed, 3);
	save_ok(ks);
	keystore_free(ks);

	ks = open_ok(f->path);
	assert_int_equal(keystore_find(ks, "alice")->failed, 3);
	assert_int_equal(keystore_find(ks, "alice")->locked_until_us, 0);
	assert_int_equal(try_unlock(ks, "alice", PW2, T0, NULL),
	    KS_BAD_PASSWORD);
	assert_int_equal(keystore_find(ks, "alice")->failed, 4);
	keystore_free(ks);
}

static void
test_lockout(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks;
	struct ks_secret *sk = NULL;
	const struct ks_user *u;
	int64_t now = T0;

	make_alice(f->path);
	ks = open_ok(f->path);
	u = keystore_find(ks, "alice");
	for (int i = 1; i <= MAXFAIL; i++) {
		now += 1000000;
		assert_int_equal(try_unlock(ks, "alice", PW2, now, NULL),
		    KS_BAD_PASSWORD);
		assert_int_equal(u->failed, i);
		if (i < MAXFAIL)
			assert_int_equal(u->locked_until_us, 0);
	}
	assert_int_equal(u->locked_until_us, now + LOCKOUT);
	/* Locked, even with the right password, and no more counting. */
	assert_int_equal(try_unlock(ks, "alice", PW, now, &sk), KS_LOCKED);
	assert_int_equal(try_unlock(ks, "alice", PW2, now + 1, &sk),
	    KS_LOCKED);
	assert_int_equal(u->failed, MAXFAIL);

	/* The lock survives a restart. */
	save_ok(ks);
	keystore_free(ks);
	ks = open_ok(f->path);
	u = keystore_find(ks, "alice");
	assert_int_equal(u->locked_until_us, now + LOCKOUT);
	assert_int_equal(try_unlock(ks, "alice", PW, now + LOCKOUT - 1, &sk),
	    KS_LOCKED);

	/* When it has passed, the right password works and resets. */
	assert_int_equal(try_unlock(ks, "alice", PW, now + LOCKOUT, &sk),
	    KS_OK);
	assert_key_of(u, sk);
	ks_secret_free(sk);
	assert_int_equal(u->failed, 0);
	assert_int_equal(u->locked_until_us, 0);
	keystore_free(ks);
}

static void
test_expired_lock_starts_new_count(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks;
	const struct ks_user *u;

	make_alice(f->path);
	ks = open_ok(f->path);
	u = keystore_find(ks, "alice");
	for (int i = 0; i < MAXFAIL; i++)
		try_unlock(ks, "alice", PW2, T0, NULL);
	assert_int_equal(u->locked_until_us, T0 + LOCKOUT);
	/* After the lock, one wrong password is one failure, not a lock. */
	assert_int_equal(try_unlock(ks, "alice", PW2, T0 + LOCKOUT, NULL),
	    KS_BAD_PASSWORD);
	assert_int_equal(u->failed, 1);
	assert_int_equal(u->locked_until_us, 0);
	keystore_free(ks);
}

static void
test_success_resets_counter(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks;
	const struct ks_user *u;

	make_alice(f->path);
	ks = open_ok(f->path);
	u = keystore_find(ks, "alice");
	for (int i = 0; i < MAXFAIL - 1; i++)
		assert_int_equal(try_unlock(ks, "alice", PW2, T0, NULL),
		    KS_BAD_PASSWORD);
	assert_int_equal(u->failed, MAXFAIL - 1);
	assert_int_equal(try_unlock(ks, "alice", PW, T0, NULL), KS_OK);
	assert_int_equal(u->failed, 0);
	/* MAXFAIL - 1 more: still not locked, since the count restarted. */
	for (int i = 0; i < MAXFAIL - 1; i++)
		assert_int_equal(try_unlock(ks, "alice", PW2, T0, NULL),
		    KS_BAD_PASSWORD);
	assert_int_equal(u->locked_until_us, 0);
	assert_int_equal(try_unlock(ks, "alice", PW, T0, NULL), KS_OK);
	keystore_free(ks);
}

static void
test_disable_keeps_key_and_id(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks = open_ok(f->path);
	const struct ks_user *u;
	unsigned char pk[32];
	char err[256] = "";
	int64_t id = 0;

	assert_int_equal(add_ok(ks, "alice", KS_ROLE_ADMIN, PW), 1);
	assert_int_equal(add_ok(ks, "bob", KS_ROLE_OPERATOR, PW), 2);
	memcpy(pk, keystore_find(ks, "bob")->public_key, sizeof pk);
	assert_int_equal(keystore_disable(ks, "bob", err, sizeof err), 0);
	assert_int_equal(keystore_disable(ks, "bob", err, sizeof err), -1);
	assert_int_equal(keystore_disable(ks, "nobody", err, sizeof err), -1);
	save_ok(ks);
	keystore_free(ks);

	ks = open_ok(f->path);
	assert_int_equal(keystore_count(ks), 2);
	u = keystore_find(ks, "bob");
	assert_non_null(u);
	assert_true(u->disabled);
	assert_int_equal(u->id, 2);
	assert_memory_equal(u->public_key, pk, sizeof pk);
	assert_int_equal(try_unlock(ks, "bob", PW, T0, NULL), KS_DISABLED);
	assert_int_equal(u->failed, 0);
	assert_int_equal(keystore_set_role(ks, "bob", KS_ROLE_ADMIN, err,
	    sizeof err), -1);
	/* The name stays taken, and the next id is new. */
	assert_int_equal(keystore_add(ks, "bob", "Bob Again", KS_ROLE_OPERATOR,
	    PW, KDF, T0, &id, err, sizeof err), -1);
	assert_non_null(strstr(err, "bob"));
	assert_int_equal(add_ok(ks, "carol", KS_ROLE_SUPERVISOR, PW), 3);
	save_ok(ks);
	keystore_free(ks);

	/* Even when the highest id is disabled, it is not given again. */
	ks = open_ok(f->path);
	assert_int_equal(keystore_disable(ks, "carol", err, sizeof err), 0);
	save_ok(ks);
	keystore_free(ks);
	ks = open_ok(f->path);
	assert_int_equal(add_ok(ks, "dave", KS_ROLE_QA, PW), 4);
	keystore_free(ks);
}

static void
test_set_role(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks = open_ok(f->path);
	char err[256];

	add_ok(ks, "alice", KS_ROLE_OPERATOR, PW);
	assert_int_equal(keystore_set_role(ks, "alice", KS_ROLE_SUPERVISOR,
	    err, sizeof err), 0);
	assert_int_equal(keystore_set_role(ks, "alice", (enum ks_role)9,
	    err, sizeof err), -1);
	assert_int_equal(keystore_set_role(ks, "zed", KS_ROLE_QA, err,
	    sizeof err), -1);
	save_ok(ks);
	keystore_free(ks);
	ks = open_ok(f->path);
	assert_int_equal(keystore_find(ks, "alice")->role, KS_ROLE_SUPERVISOR);
	keystore_free(ks);
}

static void
test_duplicate_name_refused(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks = open_ok(f->path);
	char err[256] = "";
	int64_t id = 0;

	add_ok(ks, "alice", KS_ROLE_ADMIN, PW);
	assert_int_equal(keystore_add(ks, "alice", "Another Alice",
	    KS_ROLE_OPERATOR, PW2, KDF, T0, &id, err, sizeof err), -1);
	assert_non_null(strstr(err, "alice"));
	assert_int_equal(id, 0);
	assert_int_equal(keystore_count(ks), 1);
	/* A refused add does not use up an id. */
	assert_int_equal(add_ok(ks, "bob", KS_ROLE_ADMIN, PW), 2);
	keystore_free(ks);
}

static void
test_bad_names_refused(void **state)
{
	struct tmpdir_fixture *f = *state;
	static const char *const bad[] = {
		"", "Alice", "a b", "a/b", "a:b", "ä", "alice\n",
		"abcdefghijklmnopqrstuvwxyz0123456",	/* 33 */
	};
	static const char *const good[] = {
		"a", "a.b-c_d9", "0", "abcdefghijklmnopqrstuvwxyz012345",
	};
	struct keystore *ks = open_ok(f->path);
	char err[256];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		assert_int_equal(keystore_add(ks, bad[i], "X", KS_ROLE_OPERATOR,
		    PW, KDF, T0, NULL, err, sizeof err), -1);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(keystore_add(ks, NULL, "X", KS_ROLE_OPERATOR, PW,
	    KDF, T0, NULL, err, sizeof err), -1);
	assert_int_equal(keystore_count(ks), 0);
	/* Bad full names, roles, KDF levels. */
	assert_int_equal(keystore_add(ks, "x", "", KS_ROLE_OPERATOR, PW, KDF,
	    T0, NULL, err, sizeof err), -1);
	assert_int_equal(keystore_add(ks, "x", "a\033[2Jb", KS_ROLE_OPERATOR,
	    PW, KDF, T0, NULL, err, sizeof err), -1);
	assert_int_equal(keystore_add(ks, "x", "\xff\xfe", KS_ROLE_OPERATOR,
	    PW, KDF, T0, NULL, err, sizeof err), -1);
	assert_int_equal(keystore_add(ks, "x", "X", (enum ks_role)7, PW, KDF,
	    T0, NULL, err, sizeof err), -1);
	assert_int_equal(keystore_add(ks, "x", "X", KS_ROLE_QA, PW,
	    (enum ks_kdf)7, T0, NULL, err, sizeof err), -1);
	assert_int_equal(keystore_count(ks), 0);
	for (size_t i = 0; i < ARRAY_LEN(good); i++)
		assert_int_equal(add_ok(ks, good[i], KS_ROLE_OPERATOR, PW),
		    (int64_t)i + 1);
	keystore_free(ks);
}

static void
test_short_password_refused(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks = open_ok(f->path);
	char err[256] = "";

	assert_int_equal(keystore_add(ks, "alice", "A", KS_ROLE_ADMIN,
	    "1234567", KDF, T0, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "8"));
	assert_int_equal(keystore_add(ks, "alice", "A", KS_ROLE_ADMIN,
	    "", KDF, T0, NULL, err, sizeof err), -1);
	assert_int_equal(keystore_add(ks, "alice", "A", KS_ROLE_ADMIN,
	    NULL, KDF, T0, NULL, err, sizeof err), -1);
	/* Seven characters of Chinese are 21 bytes, still seven. */
	assert_int_equal(keystore_add(ks, "alice", "A", KS_ROLE_ADMIN,
	    "密碼密碼密碼密", KDF, T0, NULL, err, sizeof err), -1);
	assert_int_equal(keystore_count(ks), 0);
	add_ok(ks, "alice", KS_ROLE_ADMIN, "12345678");
	add_ok(ks, "bob", KS_ROLE_ADMIN, "密碼密碼密碼密碼");
	assert_int_equal(try_unlock(ks, "bob", "密碼密碼密碼密碼", T0, NULL),
	    KS_OK);
	keystore_free(ks);
}

static void
test_set_password(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks = open_ok(f->path);
	struct ks_secret *sk = NULL, *bob_sk = NULL;
	unsigned char pk[32];
	char err[256] = "";

	add_ok(ks, "alice", KS_ROLE_ADMIN, PW);
	add_ok(ks, "bob", KS_ROLE_OPERATOR, PW);
	memcpy(pk, keystore_find(ks, "alice")->public_key, sizeof pk);
	assert_int_equal(try_unlock(ks, "alice", PW, T0, &sk), KS_OK);
	assert_int_equal(try_unlock(ks, "bob", PW, T0, &bob_sk), KS_OK);

	/* Only alice's own key, a long enough password, a known level. */
	assert_int_equal(keystore_set_password(ks, "alice", bob_sk, PW2, KDF,
	    err, sizeof err), -1);
	assert_int_equal(keystore_set_password(ks, "alice", NULL, PW2, KDF,
	    err, sizeof err), -1);
	assert_int_equal(keystore_set_password(ks, "alice", sk, "short", KDF,
	    err, sizeof err), -1);
	assert_int_equal(keystore_set_password(ks, "alice", sk, PW2,
	    (enum ks_kdf)5, err, sizeof err), -1);
	assert_int_equal(keystore_set_password(ks, "nobody", sk, PW2, KDF,
	    err, sizeof err), -1);
	assert_int_equal(try_unlock(ks, "alice", PW, T0, NULL), KS_OK);

	assert_int_equal(keystore_set_password(ks, "alice", sk, PW2, KDF,
	    err, sizeof err), 0);
	ks_secret_free(sk);
	ks_secret_free(bob_sk);
	save_ok(ks);
	keystore_free(ks);

	ks = open_ok(f->path);
	assert_int_equal(try_unlock(ks, "alice", PW, T0, NULL),
	    KS_BAD_PASSWORD);
	assert_int_equal(try_unlock(ks, "alice", PW2, T0, &sk), KS_OK);
	assert_memory_equal(keystore_find(ks, "alice")->public_key, pk,
	    sizeof pk);
	assert_key_of(keystore_find(ks, "alice"), sk);
	ks_secret_free(sk);
	/* bob is untouched. */
	assert_int_equal(try_unlock(ks, "bob", PW, T0, NULL), KS_OK);
	keystore_free(ks);
}

static void
test_save_mode_0600_umask0(void **state)
{
	struct tmpdir_fixture *f = *state;
	mode_t old = umask(0);
	struct keystore *ks = open_ok(f->path);
	struct stat st;

	add_ok(ks, "alice", KS_ROLE_ADMIN, PW);
	save_ok(ks);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Saved again over an existing file: still 0600, no temp left. */
	save_ok(ks);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	keystore_free(ks);
	umask(old);
	{
		char cmd[256];

		snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1",
		    f->dir);
		assert_int_equal(system(cmd), 0);
	}
}

static void
test_loose_mode_refused(void **state)
{
	struct tmpdir_fixture *f = *state;
	static const mode_t modes[] = { 0644, 0640, 0604, 0620, 0602, 0610 };
	struct keystore *ks;
	char want[16];

	make_alice(f->path);
	for (size_t i = 0; i < ARRAY_LEN(modes); i++) {
		const char *msg;

		assert_int_equal(chmod(f->path, modes[i]), 0);
		msg = refused_untouched(f->path);
		assert_non_null(strstr(msg, "chmod 600"));
		snprintf(want, sizeof want, "%04o", (unsigned)modes[i]);
		assert_non_null(strstr(msg, want));
	}
	assert_int_equal(chmod(f->path, 0400), 0);	/* read-only is fine */
	ks = open_ok(f->path);
	keystore_free(ks);
	assert_int_equal(chmod(f->path, 0600), 0);
	ks = open_ok(f->path);
	assert_int_equal(keystore_count(ks), 1);
	keystore_free(ks);
}

static void
test_not_json_refused(void **state)
{
	struct tmpdir_fixture *f = *state;
	static const char *const texts[] = {
		"", "garbage", "[]", "{}", "\"keystore\"",
		"{\"format\": \"other\", \"version\": 1, \"next_id\": 1, "
		    "\"users\": []}",
		"{\"format\": \"jope-smb-keystore\", \"version\": 1, "
		    "\"next_id\": 1}",
		"{\"format\": \"jope-smb-keystore\", \"version\": 1, "
		    "\"next_id\": 1, \"users\": [], \"users\": []}",
		"{\"format\": \"jope-smb-keystore\", \"version\": 1, "
		    "\"next_id\": 0, \"users\": []}",
		"{\"format\": \"jope-smb-keystore\", \"version\": 1, "
		    "\"next_id\": 1, \"users\": [7]}",
	};

	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		write_text(f->path, texts[i], strlen(texts[i]));
		refused_untouched(f->path);
	}
	/* A directory is not a keystore either. */
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	open_fails(f->path);
}

static void
test_truncated_refused(void **state)
{
	struct tmpdir_fixture *f = *state;
	char *full;
	size_t n;

	make_alice(f->path);
	full = read_text(f->path);
	n = strlen(full);
	for (size_t cut = 1; cut < n - 1; cut += 37) {
		write_text(f->path, full, cut);
		refused_untouched(f->path);
	}
	free(full);
}

static void
test_wrong_version_refused(void **state)
{
	struct tmpdir_fixture *f = *state;
	json_t *root;
	const char *msg;

	make_alice(f->path);
	root = load_json(f->path);
	json_object_set_new(root, "version", json_integer(2));
	store_json(f->path, root);
	msg = refused_untouched(f->path);
	assert_non_null(strstr(msg, "2"));

	root = load_json(f->path);
	json_object_set_new(root, "version", json_string("1"));
	store_json(f->path, root);
	refused_untouched(f->path);
}

/* Every way a user's field can be wrong: one damage at a time. */
static void
test_bad_fields_refused(void **state)
{
	struct tmpdir_fixture *f = *state;
	static const struct {
		const char *obj;	/* NULL: the user; else its member */
		const char *key;
		const char *json;	/* NULL: remove the key */
		const char *in_msg;
	} cases[] = {
		{ NULL, "id", NULL, "users[0].id" },
		{ NULL, "id", "0", "users[0].id" },
		{ NULL, "id", "\"1\"", "users[0].id" },
		{ NULL, "id", "5", "next_id" },
		{ NULL, "name", "\"Alice\"", "users[0].name" },
		{ NULL, "name", "\"\"", "users[0].name" },
		{ NULL, "full_name", "\"\"", "users[0].full_name" },
		{ NULL, "full_name", "\"a\\u0007b\"", "users[0].full_name" },
		{ NULL, "role", "\"boss\"", "users[0].role" },
		{ NULL, "disabled", "0", "users[0].disabled" },
		{ NULL, "created_us", "-1", "users[0].created_us" },
		{ NULL, "public_key", "\"abcd\"", "users[0].public_key" },
		{ NULL, "failed", "-1", "users[0].failed" },
		{ NULL, "locked_until_us", "1.5", "users[0].locked_until_us" },
		{ NULL, "secret_key", "[]", "users[0].secret_key" },
		{ "secret_key", "kdf", "\"scrypt\"", "secret_key.kdf" },
		{ "secret_key", "aead", "\"aes\"", "secret_key.aead" },
		{ "secret_key", "opslimit", "0", "secret_key.opslimit" },
		{ "secret_key", "memlimit", "1024", "secret_key.memlimit" },
		{ "secret_key", "salt", NULL, "secret_key.salt" },
		{ "secret_key", "nonce", "\"00\"", "secret_key.nonce" },
		{ "secret_key", "ciphertext", "\"\"", "secret_key.ciphertext" },
	};

	make_alice(f->path);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		json_t *root = load_json(f->path), *o;
		const char *msg;

		o = user_obj(root, 0);
		if (cases[i].obj != NULL)
			o = json_object_get(o, cases[i].obj);
		if (cases[i].json == NULL)
			json_object_del(o, cases[i].key);
		else
			json_object_set_new(o, cases[i].key,
			    json_loads(cases[i].json, JSON_DECODE_ANY, NULL));
		store_json(f->path, root);
		msg = refused_untouched(f->path);
		if (strstr(msg, cases[i].in_msg) == NULL)
			fail_msg("case %zu: \"%s\" not in \"%s\"", i,
			    cases[i].in_msg, msg);
		assert_int_equal(unlink(f->path), 0);
		make_alice(f->path);
	}
}

/* Hex digits of the right length but not hex; odd characters. */
static void
test_bad_hex_refused(void **state)
{
	struct tmpdir_fixture *f = *state;
	static const char *const keys[] = { "salt", "nonce", "ciphertext" };

	make_alice(f->path);
	for (size_t i = 0; i < ARRAY_LEN(keys) + 1; i++) {
		json_t *root = load_json(f->path), *o, *v;
		char *s;

		o = user_obj(root, 0);
		if (i < ARRAY_LEN(keys)) {
			o = json_object_get(o, "secret_key");
			v = json_object_get(o, keys[i]);
		} else
			v = json_object_get(o, "public_key");
		s = xstrdup(json_string_value(v));
		s[3] = 'g';
		json_string_set(v, s);
		store_json(f->path, root);
		refused_untouched(f->path);
		/* One digit too many. */
		root = load_json(f->path);
		o = user_obj(root, 0);
		if (i < ARRAY_LEN(keys)) {
			o = json_object_get(o, "secret_key");
			v = json_object_get(o, keys[i]);
		} else
			v = json_object_get(o, "public_key");
		s[3] = '0';
		{
			size_t n = strlen(s);
			char *t = xmalloc(n + 2);

			memcpy(t, s, n);
			t[n] = '0';
			t[n + 1] = '\0';
			json_string_set(v, t);
			free(t);
		}
		free(s);
		store_json(f->path, root);
		refused_untouched(f->path);
		assert_int_equal(unlink(f->path), 0);
		make_alice(f->path);
	}
}

static void
test_duplicates_in_file_refused(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks = open_ok(f->path);
	json_t *root, *u;

	add_ok(ks, "alice", KS_ROLE_ADMIN, PW);
	add_ok(ks, "bob", KS_ROLE_ADMIN, PW);
	save_ok(ks);
	keystore_free(ks);

	root = load_json(f->path);
	u = user_obj(root, 1);
	json_object_set_new(u, "id", json_integer(1));
	store_json(f->path, root);
	assert_non_null(strstr(refused_untouched(f->path), "twice"));

	root = load_json(f->path);
	u = user_obj(root, 1);
	json_object_set_new(u, "id", json_integer(2));
	json_object_set_new(u, "name", json_string("alice"));
	store_json(f->path, root);
	assert_non_null(strstr(refused_untouched(f->path), "twice"));
}

/* Set text (a hex string) of user i's obj.key with one bit flipped. */
static void
flip_bit(const char *path, size_t i, const char *obj, const char *key,
    size_t bit)
{
	json_t *root = load_json(path), *o = user_obj(root, i), *v;
	unsigned char bin[128];
	char hex[257];
	size_t n = 0;

	if (obj != NULL)
		o = json_object_get(o, obj);
	v = json_object_get(o, key);
	assert_int_equal(sodium_hex2bin(bin, sizeof bin, json_string_value(v),
	    strlen(json_string_value(v)), NULL, &n, NULL), 0);
	assert_true(bit / 8 < n);
	bin[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	sodium_bin2hex(hex, sizeof hex, bin, n);
	json_string_set(v, hex);
	store_json(path, root);
}

static void
test_tampered_key_never_unlocks(void **state)
{
	struct tmpdir_fixture *f = *state;
	static const struct {
		const char *obj, *key;
		size_t bit;
	} flips[] = {
		{ "secret_key", "ciphertext", 0 },
		{ "secret_key", "ciphertext", 300 },	/* in the seed */
		{ "secret_key", "ciphertext", 511 },	/* in the public half */
		{ "secret_key", "ciphertext", 600 },	/* in the tag */
		{ "secret_key", "nonce", 77 },
		{ "secret_key", "salt", 5 },
		{ NULL, "public_key", 12 },
	};
	char *orig;

	make_alice(f->path);
	orig = read_text(f->path);
	for (size_t i = 0; i < ARRAY_LEN(flips); i++) {
		struct keystore *ks;
		struct ks_secret *sk = NULL;
		enum ks_unlock r;

		write_text(f->path, orig, strlen(orig));
		flip_bit(f->path, 0, flips[i].obj, flips[i].key, flips[i].bit);
		ks = open_ok(f->path);
		r = try_unlock(ks, "alice", PW, T0, &sk);
		if (r != KS_BAD_PASSWORD && r != KS_ERROR)
			fail_msg("flip %zu: unlock gave %d", i, (int)r);
		assert_null(sk);
		keystore_free(ks);
	}
	/* Put back, it unlocks again. */
	write_text(f->path, orig, strlen(orig));
	{
		struct keystore *ks = open_ok(f->path);

		assert_int_equal(try_unlock(ks, "alice", PW, T0, NULL), KS_OK);
		keystore_free(ks);
	}
	free(orig);
}

static void
test_moved_key_fails(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *ks = open_ok(f->path);
	json_t *root, *a, *b;

	/* Same password: only the binding to the user can tell them apart. */
	add_ok(ks, "alice", KS_ROLE_ADMIN, PW);
	add_ok(ks, "bob", KS_ROLE_OPERATOR, PW);
	save_ok(ks);
	keystore_free(ks);

	/* alice's encrypted key given to bob. */
	root = load_json(f->path);
	a = user_obj(root, 0);
	b = user_obj(root, 1);
	json_object_set(b, "secret_key", json_object_get(a, "secret_key"));
	store_json(f->path, root);
	ks = open_ok(f->path);
	assert_int_equal(try_unlock(ks, "bob", PW, T0, NULL), KS_BAD_PASSWORD);
	assert_int_equal(try_unlock(ks, "alice", PW, T0, NULL), KS_OK);
	keystore_free(ks);

	/* ...with her public key too: the id and name still differ. */
	root = load_json(f->path);
	a = user_obj(root, 0);
	b = user_obj(root, 1);
	json_object_set(b, "public_key", json_object_get(a, "public_key"));
	store_json(f->path, root);
	ks = open_ok(f->path);
	assert_int_equal(try_unlock(ks, "bob", PW, T0, NULL), KS_BAD_PASSWORD);
	keystore_free(ks);

	/* Swapping the ids (names stay) breaks both. */
	root = load_json(f->path);
	a = user_obj(root, 0);
	b = user_obj(root, 1);
	json_object_set_new(a, "id", json_integer(2));
	json_object_set_new(b, "id", json_integer(1));
	store_json(f->path, root);
	ks = open_ok(f->path);
	assert_int_equal(try_unlock(ks, "alice", PW, T0, NULL),
	    KS_BAD_PASSWORD);
	keystore_free(ks);
}

static void
test_other_writer_detected(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct keystore *a, *b;
	char err[512] = "";

	make_alice(f->path);
	a = open_ok(f->path);
	b = open_ok(f->path);
	add_ok(a, "bob", KS_ROLE_OPERATOR, PW);
	save_ok(a);
	try_unlock(b, "alice", PW2, T0, NULL);
	assert_int_equal(keystore_save(b, err, sizeof err), -1);
	assert_non_null(strstr(err, f->path));
	keystore_free(b);
	b = open_ok(f->path);
	assert_non_null(keystore_find(b, "bob"));
	keystore_free(b);
	/* a's own saves go on. */
	save_ok(a);
	keystore_free(a);

	/* Two new keystores: the second to save would overwrite the first. */
	assert_int_equal(unlink(f->path), 0);
	a = open_ok(f->path);
	b = open_ok(f->path);
	save_ok(a);
	assert_int_equal(keystore_save(b, err, sizeof err), -1);
	keystore_free(a);
	keystore_free(b);
}

static void
test_role_names(void **state)
{
	enum ks_role r;

	(void)state;
	for (int i = KS_ROLE_OPERATOR; i <= KS_ROLE_ADMIN; i++) {
		assert_int_equal(ks_role_parse(ks_role_name((enum ks_role)i),
		    &r), 0);
		assert_int_equal(r, i);
	}
	assert_string_equal(ks_role_name(KS_ROLE_QA), "qa");
	assert_int_equal(ks_role_parse("Admin", &r), -1);
	assert_int_equal(ks_role_parse("", &r), -1);
	assert_int_equal(ks_role_parse(NULL, &r), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_is_empty,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_add_reopen_unlock,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password_persists,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_lockout, setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(
		    test_expired_lock_starts_new_count, setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_success_resets_counter,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_disable_keeps_key_and_id,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_set_role, setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_name_refused,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_names_refused,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_short_password_refused,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_set_password,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_save_mode_0600_umask0,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_loose_mode_refused,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_not_json_refused,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_refused,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_version_refused,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_fields_refused,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_hex_refused,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(
		    test_duplicates_in_file_refused, setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(
		    test_tampered_key_never_unlocks, setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_moved_key_fails,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_other_writer_detected,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test(test_role_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
