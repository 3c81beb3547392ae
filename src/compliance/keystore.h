/*
 * keystore.h: the console's users and their Ed25519 keys, in one file.
 *
 * A user's secret key is kept encrypted under a key derived from the user's
 * password; keystore_unlock() checks the password (with a lock-out after
 * repeated failures) and hands the secret key out in guarded memory.  The
 * design, the file format and the measured cost of each KDF level are
 * described at the top of keystore.c.
 *
 * Every function that can fail returns -1 (or a ks_unlock reason) and writes
 * a translated message into err; nothing is printed.  Changes live in memory
 * until keystore_save().  Pointers to users stay valid until keystore_free().
 * Not thread-safe: one thread uses a keystore at a time.
 */
#ifndef JOPE_KEYSTORE_H
#define JOPE_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KS_NAME_MAX		32	/* login id: [a-z0-9_.-]{1,32} */
#define KS_FULL_NAME_MAX	127	/* bytes of UTF-8 */
#define KS_MIN_PASSWORD		8	/* characters (UTF-8 code points) */
#define KS_PUBLIC_KEY_BYTES	32	/* crypto_sign_PUBLICKEYBYTES */
#define KS_SECRET_KEY_BYTES	64	/* crypto_sign_SECRETKEYBYTES */

enum ks_role { KS_ROLE_OPERATOR, KS_ROLE_SUPERVISOR, KS_ROLE_QA, KS_ROLE_ADMIN };

/* Argon2id cost; the default is MODERATE (see keystore.c for timings). */
enum ks_kdf { KS_KDF_INTERACTIVE, KS_KDF_MODERATE, KS_KDF_SENSITIVE };
#define KS_KDF_DEFAULT KS_KDF_MODERATE

struct ks_user {
	int64_t id;			/* > 0, never reused */
	char name[KS_NAME_MAX + 1];
	char full_name[KS_FULL_NAME_MAX + 1];
	enum ks_role role;
	bool disabled;
	int64_t created_us;		/* UTC, microseconds since the epoch */
	unsigned char public_key[KS_PUBLIC_KEY_BYTES];
	int failed;			/* consecutive failed unlocks */
	int64_t locked_until_us;	/* 0: not locked */
	unsigned long long opslimit;	/* Argon2id cost of this user's key */
	size_t memlimit;
};

enum ks_unlock {
	KS_OK,
	KS_NO_USER,
	KS_DISABLED,
	KS_LOCKED,
	KS_BAD_PASSWORD,
	KS_ERROR
};

struct keystore;
struct ks_secret;

/* Read path; a missing file is an empty keystore (nothing is created). */
int keystore_open(const char *path, struct keystore **out, char *err,
    size_t errlen);
/* Write the file atomically, mode 0600. */
int keystore_save(struct keystore *ks, char *err, size_t errlen);
void keystore_free(struct keystore *ks);

const char *keystore_path(const struct keystore *ks);
size_t keystore_count(const struct keystore *ks);
const struct ks_user *keystore_user_at(const struct keystore *ks, size_t i);
const struct ks_user *keystore_find(const struct keystore *ks,
    const char *name);
const struct ks_user *keystore_find_id(const struct keystore *ks, int64_t id);

/*
 * Add a user with a new key pair.  Refuses a name already taken (also by a
 * disabled user), a bad name or full name, a password shorter than
 * KS_MIN_PASSWORD.  *id (if not NULL) receives the new user's id.
 */
int keystore_add(struct keystore *ks, const char *name, const char *full_name,
    enum ks_role role, const char *password, enum ks_kdf kdf, int64_t now_us,
    int64_t *id, char *err, size_t errlen);
/*
 * Encrypt the same key pair under a new password.  sk is the user's secret
 * key, as keystore_unlock() gave it with the old password: it is checked
 * against the user's public key.
 */
int keystore_set_password(struct keystore *ks, const char *name,
    const struct ks_secret *sk, const char *new_password, enum ks_kdf kdf,
    char *err, size_t errlen);
int keystore_set_role(struct keystore *ks, const char *name,
    enum ks_role role, char *err, size_t errlen);
/* The user, the id and the public key stay (old signatures still verify). */
int keystore_disable(struct keystore *ks, const char *name, char *err,
    size_t errlen);

/*
 * Check name's password and, on KS_OK, give its secret key in *sk (free it
 * with ks_secret_free() as soon as it has been used).  Otherwise *sk is NULL
 * and err says why.
 *
 * Lock-out: while locked_until_us > now_us the answer is KS_LOCKED, even for
 * the right password, and nothing is checked.  A wrong password counts one
 * failure and gives KS_BAD_PASSWORD; the max_failures-th failure in a row
 * also locks the user until now_us + lockout_us (the caller sees it in
 * keystore_find(ks, name)->locked_until_us > now_us, to audit the lock).  A
 * success resets the count; a lock that has expired starts a new count.
 * max_failures <= 0 disables the lock-out.
 *
 * The counter lives in the keystore: the caller must keystore_save() after
 * every unlock that was not KS_NO_USER or KS_DISABLED, so that failures and
 * locks survive a restart of the console.
 */
enum ks_unlock keystore_unlock(struct keystore *ks, const char *name,
    const char *password, int64_t now_us, int max_failures,
    int64_t lockout_us, struct ks_secret **sk, char *err, size_t errlen);

/* The 64-byte Ed25519 secret key (libsodium layout: seed then public key). */
const unsigned char *ks_secret_bytes(const struct ks_secret *s);
/* Wipe and free; NULL is allowed. */
void ks_secret_free(struct ks_secret *s);

/* "operator", "supervisor", "qa", "admin": the names in the file and CLI. */
const char *ks_role_name(enum ks_role r);
int ks_role_parse(const char *s, enum ks_role *out);

#endif
