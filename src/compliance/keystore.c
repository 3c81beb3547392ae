/*
 * keystore.c: the console's users and their Ed25519 key pairs, in one file.
 *
 * Every electronic signature of the console is an Ed25519 signature
 * (libsodium crypto_sign) made with the signer's own secret key, which only
 * the signer's password opens.  This file keeps those keys, their owners
 * (id, login name, full name, role) and the lock-out state of each owner.
 *
 * File format.  One JSON document, written by this file only:
 *
 *   { "format": "jope-smb-keystore", "version": 1, "next_id": 3,
 *     "users": [
 *       { "id": 1, "name": "alice", "full_name": "Alice Chen",
 *         "role": "admin", "disabled": false,
 *         "created_us": 1763701268123456,
 *         "public_key": "<64 hex>", "failed": 0, "locked_until_us": 0,
 *         "secret_key": { "kdf": "argon2id13", "opslimit": 3,
 *                         "memlimit": 268435456, "salt": "<32 hex>",
 *                         "aead": "xchacha20poly1305-ietf",
 *                         "nonce": "<48 hex>", "ciphertext": "<160 hex>" } },
 *       ... ] }
 *
 * Ids are never reused: next_id only grows, and a user is never removed,
 * only disabled, so that the public key of anyone who ever signed stays
 * available to verify old signatures.  Names are never reused either (a new
 * user cannot take a disabled user's name), so a name in the audit trail
 * means one person.  Loading checks everything (types, ranges, hex lengths,
 * duplicate ids and names, next_id above every id) and refuses the whole file
 * with a message that names the path and the field; it never repairs or
 * rewrites a file it refused.  A version other than 1 is refused too.
 *
 * Key derivation.  The key that encrypts a secret key comes from the
 * password by Argon2id (crypto_pwhash, ALG_ARGON2ID13), memory-hard so that
 * a stolen keystore costs an attacker memory as well as time per guess, with
 * a random 16-byte salt per user and per password change.  opslimit and
 * memlimit are stored with each user, so the cost can be raised later
 * (keystore_set_password() with a stronger level) without touching anyone
 * else.  The levels are libsodium's own argon2id constants; one unlock
 * (Argon2id plus decryption plus the key check below; a wrong password
 * costs the same) measured on the development machine (AMD EPYC VM,
 * 2 cores, libsodium 1.0.18, gcc -O2, no sanitizer, mean of 3 to 5 runs):
 *
 *   KS_KDF_INTERACTIVE  opslimit 2, memlimit  64 MiB   0.08 s
 *   KS_KDF_MODERATE     opslimit 3, memlimit 256 MiB   0.46 s  (default)
 *   KS_KDF_SENSITIVE    opslimit 4, memlimit   1 GiB   2.8 s
 *
 * (Adding a user costs one derivation more; the first SENSITIVE one took
 * 4 s, faulting in the gigabyte.)  MODERATE is the default: the issue asks
 * for at least MODERATE, a signature always asks for the password, and half
 * a second per signature is bearable at the console, while an attacker with
 * the file pays the same 256 MiB and half a second per guess; SENSITIVE
 * would make every signature wait seconds and needs 1 GiB free at that
 * moment.  The unit tests use INTERACTIVE to stay fast.
 *
 * Encryption.  The 64-byte secret key is sealed with XChaCha20-Poly1305
 * (IETF AEAD; its 24-byte nonce is random, so no counter needs to be kept),
 * and the additional data binds the ciphertext to its owner: a fixed tag,
 * the user id, the name and the public key.  A ciphertext moved to another
 * user, or a public key replaced in the file, fails authentication like a
 * wrong password.  After decryption the key pair is rebuilt from the seed
 * (the first half of the secret key) and compared with both the decrypted
 * key and the stored public key, so an unlock never hands out a key that
 * does not belong to the user's public key.
 *
 * Secret material.  Derived keys and decrypted secret keys are only ever in
 * sodium_malloc() memory (guard pages, mlock()ed, excluded from core dumps);
 * a derived key is freed (wiped) as soon as the AEAD has used it, and an
 * unlocked secret key is made read-only and wiped by ks_secret_free().
 * Passwords are used where the caller keeps them, never copied.
 *
 * Lock-out.  Each user has a count of consecutive failed unlocks and a
 * locked_until time, stored in the file; see keystore_unlock() in the
 * header.  The caller saves the keystore after an unlock so that a restart
 * does not give an attacker a new set of attempts.  Time comes from the
 * caller (now_us) so that tests drive it.
 *
 * Writing.  keystore_save() writes a temporary file in the same directory
 * (mkostemp, then fchmod 0600 whatever the umask), fsyncs it, renames it over
 * the keystore and fsyncs the directory: a crash leaves the old file or the
 * new one, never half of one.  Loading refuses a file that group or others
 * may read, write or execute, telling to chmod 600.  Two programs may hold
 * the same keystore (the console and `jope-smb user add`): a save that finds
 * the file changed since it was read (device, inode, size, mtime) is refused
 * instead of silently undoing the other program's change; the caller opens
 * it again and repeats its change.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "compliance/keystore.h"
#include "core/i18n.h"
#include "core/util.h"

#define KS_FORMAT	"jope-smb-keystore"
#define KS_VERSION	1
#define KS_KDF_ALG	"argon2id13"
#define KS_AEAD_ALG	"xchacha20poly1305-ietf"
#define KS_AD_TAG	"jope-smb keystore v1"
#define KS_KEY_BYTES	crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define KS_SALT_BYTES	crypto_pwhash_argon2id_SALTBYTES
#define KS_NONCE_BYTES	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KS_CT_BYTES	(KS_SECRET_KEY_BYTES + \
			    crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define KS_MAX_FILE	(16 * 1024 * 1024)	/* a sanity bound on reads */

_Static_assert(KS_PUBLIC_KEY_BYTES == crypto_sign_PUBLICKEYBYTES,
    "public key size");
_Static_assert(KS_SECRET_KEY_BYTES == crypto_sign_SECRETKEYBYTES,
    "secret key size");
_Static_assert(KS_KEY_BYTES >= crypto_pwhash_argon2id_BYTES_MIN,
    "derived key size");

struct ks_entry {
	struct ks_user u;
	unsigned char salt[KS_SALT_BYTES];
	unsigned char nonce[KS_NONCE_BYTES];
	unsigned char ct[KS_CT_BYTES];
};

struct keystore {
	char *path;
	int64_t next_id;
	struct ks_entry **v;
	size_t n, cap;
	/* The file as read or last written, to notice another writer. */
	bool existed;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/* Lives in sodium_malloc() memory as a whole. */
struct ks_secret {
	unsigned char sk[KS_SECRET_KEY_BYTES];
};

static const char *const role_names[] = {
	[KS_ROLE_OPERATOR] = "operator",
	[KS_ROLE_SUPERVISOR] = "supervisor",
	[KS_ROLE_QA] = "qa",
	[KS_ROLE_ADMIN] = "admin",
};

static void seterr(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *
ks_role_name(enum ks_role r)
{
	if ((unsigned)r >= ARRAY_LEN(role_names))
		return "?";
	return role_names[r];
}

int
ks_role_parse(const char *s, enum ks_role *out)
{
	for (size_t i = 0; s != NULL && i < ARRAY_LEN(role_names); i++)
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum ks_role)i;
			return 0;
		}
	return -1;
}

static int
kdf_limits(enum ks_kdf kdf, unsigned long long *ops, size_t *mem)
{
	switch (kdf) {
	case KS_KDF_INTERACTIVE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
		return 0;
	case KS_KDF_MODERATE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
		return 0;
	case KS_KDF_SENSITIVE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
		return 0;
	}
	return -1;
}

static bool
name_valid(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-'))
			return false;
	}
	return n >= 1 && n <= KS_NAME_MAX;
}

/* A full name: 1..127 bytes of UTF-8, no control characters (C0, DEL, C1). */
static int
check_full_name(const char *s, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)s;
	json_t *j;
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0) {
		seterr(err, errlen, _("the full name is empty"));
		return -1;
	}
	if (n > KS_FULL_NAME_MAX) {
		seterr(err, errlen, _("the full name is longer than %d bytes"),
		    KS_FULL_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f ||
		    (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)) {
			seterr(err, errlen, _("the full name contains a "
			    "control character"));
			return -1;
		}
	if ((j = json_string(s)) == NULL) {
		seterr(err, errlen, _("the full name is not valid UTF-8"));
		return -1;
	}
	json_decref(j);
	return 0;
}

/* Characters (UTF-8 code points) in a password, counted where it lies. */
static size_t
password_chars(const char *pw)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n++;
	return n;
}

static int
check_password(const char *pw, char *err, size_t errlen)
{
	if (pw == NULL || password_chars(pw) < KS_MIN_PASSWORD) {
		seterr(err, errlen, _("the password is shorter than %d "
		    "characters"), KS_MIN_PASSWORD);
		return -1;
	}
	return 0;
}

static struct ks_entry *
find_entry(const struct keystore *ks, const char *name)
{
	for (size_t i = 0; name != NULL && i < ks->n; i++)
		if (strcmp(ks->v[i]->u.name, name) == 0)
			return ks->v[i];
	return NULL;
}

/*
 * The additional data of a user's AEAD: tag, id (8 bytes big-endian), name
 * length (1 byte), name, public key.  Fixed layout, so no two users share it.
 */
static size_t
make_ad(const struct ks_user *u, unsigned char *ad)
{
	size_t n = sizeof KS_AD_TAG - 1, len = strlen(u->name);

	memcpy(ad, KS_AD_TAG, n);
	for (int i = 7; i >= 0; i--)
		ad[n++] = (unsigned char)((uint64_t)u->id >> (8 * i));
	ad[n++] = (unsigned char)len;
	memcpy(ad + n, u->name, len);
	n += len;
	memcpy(ad + n, u->public_key, KS_PUBLIC_KEY_BYTES);
	return n + KS_PUBLIC_KEY_BYTES;
}

#define KS_AD_MAX (sizeof KS_AD_TAG - 1 + 8 + 1 + KS_NAME_MAX + \
    KS_PUBLIC_KEY_BYTES)

/* Argon2id into fresh sodium memory; NULL when memory runs out. */
static unsigned char *
derive_key(const char *password, const unsigned char *salt,
    unsigned long long ops, size_t mem)
{
	unsigned char *key = sodium_malloc(KS_KEY_BYTES);

	if (key == NULL)
		return NULL;
	if (crypto_pwhash(key, KS_KEY_BYTES, password, strlen(password), salt,
	    ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_free(key);
		return NULL;
	}
	return key;
}

/*
 * Is sk (64 bytes) the secret key of pk?  Rebuilds the pair from the seed.
 * 0: yes, 1: no, -1: no memory.
 */
static int
check_pair(const unsigned char *sk, const unsigned char *pk)
{
	unsigned char pk2[KS_PUBLIC_KEY_BYTES];
	unsigned char *sk2 = sodium_malloc(KS_SECRET_KEY_BYTES);
	int same;

	if (sk2 == NULL)
		return -1;
	crypto_sign_seed_keypair(pk2, sk2, sk);
	same = sodium_memcmp(sk2, sk, KS_SECRET_KEY_BYTES) == 0 &&
	    sodium_memcmp(pk2, pk, KS_PUBLIC_KEY_BYTES) == 0;
	sodium_free(sk2);
	return same ? 0 : 1;
}

/*
 * Encrypt sk for e's user under password with a new salt and nonce.  e is
 * changed only on success.
 */
static int
seal(struct ks_entry *e, const unsigned char *sk, const char *password,
    unsigned long long ops, size_t mem, char *err, size_t errlen)
{
	unsigned char salt[KS_SALT_BYTES], nonce[KS_NONCE_BYTES];
	unsigned char ct[KS_CT_BYTES], ad[KS_AD_MAX];
	unsigned long long ctlen = 0;
	unsigned char *key;
	size_t adlen = make_ad(&e->u, ad);
	int rc;

	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);
	if ((key = derive_key(password, salt, ops, mem)) == NULL) {
		seterr(err, errlen, _("cannot derive the key from the "
		    "password: out of memory (Argon2id needs %zu MiB)"),
		    mem >> 20);
		return -1;
	}
	rc = crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen, sk,
	    KS_SECRET_KEY_BYTES, ad, adlen, NULL, nonce, key);
	sodium_free(key);
	if (rc != 0 || ctlen != KS_CT_BYTES) {
		seterr(err, errlen, _("cannot encrypt the secret key"));
		return -1;
	}
	memcpy(e->salt, salt, sizeof salt);
	memcpy(e->nonce, nonce, sizeof nonce);
	memcpy(e->ct, ct, sizeof ct);
	e->u.opslimit = ops;
	e->u.memlimit = mem;
	return 0;
}

/*
 * Decrypt e's secret key with password.  0: *out holds it; 1: wrong
 * password (or a ciphertext that does not authenticate); 2: it decrypts but
 * is not the key of the public key; -1: no memory.
 */
static int
unseal(const struct ks_entry *e, const char *password, struct ks_secret **out)
{
	unsigned char ad[KS_AD_MAX];
	size_t adlen = make_ad(&e->u, ad);
	unsigned long long mlen = 0;
	struct ks_secret *s;
	unsigned char *key;
	int rc;

	*out = NULL;
	if ((s = sodium_malloc(sizeof *s)) == NULL)
		return -1;
	if ((key = derive_key(password, e->salt, e->u.opslimit,
	    e->u.memlimit)) == NULL) {
		sodium_free(s);
		return -1;
	}
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(s->sk, &mlen, NULL,
	    e->ct, KS_CT_BYTES, ad, adlen, e->nonce, key);
	sodium_free(key);
	if (rc != 0 || mlen != KS_SECRET_KEY_BYTES) {
		sodium_free(s);
		return 1;
	}
	if ((rc = check_pair(s->sk, e->u.public_key)) != 0) {
		sodium_free(s);
		return rc < 0 ? -1 : 2;
	}
	sodium_mprotect_readonly(s);
	*out = s;
	return 0;
}

const unsigned char *
ks_secret_bytes(const struct ks_secret *s)
{
	return s->sk;
}

void
ks_secret_free(struct ks_secret *s)
{
	if (s != NULL)
		sodium_free(s);	/* makes it writable, wipes, unmaps */
}

/* --- loading ------------------------------------------------------------ */

/* Field key of obj under prefix ("users[2]." ...), of the given type. */
static json_t *
get_field(const char *path, json_t *obj, const char *prefix, const char *key,
    json_type type, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL) {
		seterr(err, errlen, _("%s: %s%s is missing"), path, prefix, key);
		return NULL;
	}
	if (json_typeof(v) == type ||
	    (type == JSON_TRUE && json_is_boolean(v)))
		return v;
	switch (type) {
	case JSON_INTEGER:
		seterr(err, errlen, _("%s: %s%s must be an integer"), path,
		    prefix, key);
		break;
	case JSON_STRING:
		seterr(err, errlen, _("%s: %s%s must be a string"), path,
		    prefix, key);
		break;
	case JSON_TRUE:
		seterr(err, errlen, _("%s: %s%s must be true or false"), path,
		    prefix, key);
		break;
	case JSON_OBJECT:
		seterr(err, errlen, _("%s: %s%s must be an object"), path,
		    prefix, key);
		break;
	default:
		seterr(err, errlen, _("%s: %s%s must be an array"), path,
		    prefix, key);
		break;
	}
	return NULL;
}

static int
get_int(const char *path, json_t *obj, const char *prefix, const char *key,
    json_int_t min, json_int_t max, json_int_t *out, char *err, size_t errlen)
{
	json_t *v = get_field(path, obj, prefix, key, JSON_INTEGER, err,
	    errlen);

	if (v == NULL)
		return -1;
	*out = json_integer_value(v);
	if (*out < min || *out > max) {
		seterr(err, errlen, _("%s: %s%s is out of range: %lld "
		    "(%lld to %lld)"), path, prefix, key, (long long)*out,
		    (long long)min, (long long)max);
		return -1;
	}
	return 0;
}

static const char *
get_str(const char *path, json_t *obj, const char *prefix, const char *key,
    char *err, size_t errlen)
{
	json_t *v = get_field(path, obj, prefix, key, JSON_STRING, err,
	    errlen);

	return v != NULL ? json_string_value(v) : NULL;
}

static int
get_hex(const char *path, json_t *obj, const char *prefix, const char *key,
    unsigned char *out, size_t n, char *err, size_t errlen)
{
	const char *s = get_str(path, obj, prefix, key, err, errlen);
	size_t got = 0;

	if (s == NULL)
		return -1;
	if (strlen(s) != 2 * n || sodium_hex2bin(out, n, s, 2 * n, NULL,
	    &got, NULL) != 0 || got != n) {
		seterr(err, errlen, _("%s: %s%s must be %zu hexadecimal "
		    "digits"), path, prefix, key, 2 * n);
		return -1;
	}
	return 0;
}

static int
expect_str(const char *path, json_t *obj, const char *prefix, const char *key,
    const char *want, char *err, size_t errlen)
{
	const char *s = get_str(path, obj, prefix, key, err, errlen);

	if (s == NULL)
		return -1;
	if (strcmp(s, want) != 0) {
		seterr(err, errlen, _("%s: %s%s is \"%s\"; this program knows "
		    "only \"%s\""), path, prefix, key, s, want);
		return -1;
	}
	return 0;
}

static int
load_secret(const char *path, json_t *u, const char *uprefix,
    struct ks_entry *e, char *err, size_t errlen)
{
	char prefix[64];
	json_int_t ops, mem;
	json_t *o;

	if ((o = get_field(path, u, uprefix, "secret_key", JSON_OBJECT, err,
	    errlen)) == NULL)
		return -1;
	snprintf(prefix, sizeof prefix, "%ssecret_key.", uprefix);
	if (expect_str(path, o, prefix, "kdf", KS_KDF_ALG, err, errlen) != 0 ||
	    get_int(path, o, prefix, "opslimit",
	    crypto_pwhash_argon2id_OPSLIMIT_MIN,
	    crypto_pwhash_argon2id_OPSLIMIT_MAX, &ops, err, errlen) != 0 ||
	    get_int(path, o, prefix, "memlimit",
	    (json_int_t)crypto_pwhash_argon2id_MEMLIMIT_MIN,
	    (json_int_t)crypto_pwhash_argon2id_MEMLIMIT_MAX, &mem, err,
	    errlen) != 0 ||
	    get_hex(path, o, prefix, "salt", e->salt, sizeof e->salt, err,
	    errlen) != 0 ||
	    expect_str(path, o, prefix, "aead", KS_AEAD_ALG, err,
	    errlen) != 0 ||
	    get_hex(path, o, prefix, "nonce", e->nonce, sizeof e->nonce, err,
	    errlen) != 0 ||
	    get_hex(path, o, prefix, "ciphertext", e->ct, sizeof e->ct, err,
	    errlen) != 0)
		return -1;
	e->u.opslimit = (unsigned long long)ops;
	e->u.memlimit = (size_t)mem;
	return 0;
}

static int
load_user(const char *path, json_t *u, size_t idx, struct ks_entry *e,
    char *err, size_t errlen)
{
	char prefix[32];
	const char *s;
	json_int_t v;
	json_t *b;

	snprintf(prefix, sizeof prefix, "users[%zu].", idx);
	if (!json_is_object(u)) {
		seterr(err, errlen, _("%s: users[%zu] must be an object"),
		    path, idx);
		return -1;
	}
	if (get_int(path, u, prefix, "id", 1, INT64_MAX, &v, err,
	    errlen) != 0)
		return -1;
	e->u.id = v;
	if ((s = get_str(path, u, prefix, "name", err, errlen)) == NULL)
		return -1;
	if (!name_valid(s)) {
		seterr(err, errlen, _("%s: %sname \"%s\" is not a valid user "
		    "name"), path, prefix, s);
		return -1;
	}
	str_copy(e->u.name, s, sizeof e->u.name);
	if ((s = get_str(path, u, prefix, "full_name", err, errlen)) == NULL)
		return -1;
	{
		char why[128];

		if (check_full_name(s, why, sizeof why) != 0) {
			seterr(err, errlen, "%s: %sfull_name: %s", path,
			    prefix, why);
			return -1;
		}
	}
	str_copy(e->u.full_name, s, sizeof e->u.full_name);
	if ((s = get_str(path, u, prefix, "role", err, errlen)) == NULL)
		return -1;
	if (ks_role_parse(s, &e->u.role) != 0) {
		seterr(err, errlen, _("%s: %srole \"%s\" is not one of "
		    "operator, supervisor, qa, admin"), path, prefix, s);
		return -1;
	}
	if ((b = get_field(path, u, prefix, "disabled", JSON_TRUE, err,
	    errlen)) == NULL)
		return -1;
	e->u.disabled = json_is_true(b);
	if (get_int(path, u, prefix, "created_us", 0, INT64_MAX, &v, err,
	    errlen) != 0)
		return -1;
	e->u.created_us = v;
	if (get_hex(path, u, prefix, "public_key", e->u.public_key,
	    sizeof e->u.public_key, err, errlen) != 0)
		return -1;
	if (get_int(path, u, prefix, "failed", 0, INT_MAX, &v, err,
	    errlen) != 0)
		return -1;
	e->u.failed = (int)v;
	if (get_int(path, u, prefix, "locked_until_us", 0, INT64_MAX, &v, err,
	    errlen) != 0)
		return -1;
	e->u.locked_until_us = v;
	return load_secret(path, u, prefix, e, err, errlen);
}

static void
push_entry(struct keystore *ks, struct ks_entry *e)
{
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? 2 * ks->cap : 8;
		ks->v = xrealloc(ks->v, ks->cap * sizeof *ks->v);
	}
	ks->v[ks->n++] = e;
}

static int
load_doc(struct keystore *ks, json_t *root, char *err, size_t errlen)
{
	const char *path = ks->path;
	json_t *users, *u;
	json_int_t v;
	size_t i;

	if (!json_is_object(root)) {
		seterr(err, errlen, _("%s: not a keystore: the document is not "
		    "a JSON object"), path);
		return -1;
	}
	if (expect_str(path, root, "", "format", KS_FORMAT, err, errlen) != 0)
		return -1;
	if (get_int(path, root, "", "version", INT_MIN, INT_MAX, &v, err,
	    errlen) != 0)
		return -1;
	if (v != KS_VERSION) {
		seterr(err, errlen, _("%s: keystore version %lld, this program "
		    "reads version %d only; the file is left as it is"), path,
		    (long long)v, KS_VERSION);
		return -1;
	}
	if (get_int(path, root, "", "next_id", 1, INT64_MAX, &v, err,
	    errlen) != 0)
		return -1;
	ks->next_id = v;
	if ((users = get_field(path, root, "", "users", JSON_ARRAY, err,
	    errlen)) == NULL)
		return -1;
	json_array_foreach(users, i, u) {
		struct ks_entry *e = xcalloc(1, sizeof *e);

		if (load_user(path, u, i, e, err, errlen) != 0) {
			free(e);
			return -1;
		}
		if (e->u.id >= ks->next_id) {
			seterr(err, errlen, _("%s: users[%zu].id %lld is not "
			    "below next_id %lld"), path, i,
			    (long long)e->u.id, (long long)ks->next_id);
			free(e);
			return -1;
		}
		if (keystore_find_id(ks, e->u.id) != NULL ||
		    find_entry(ks, e->u.name) != NULL) {
			seterr(err, errlen, _("%s: users[%zu]: the id %lld or "
			    "the name \"%s\" appears twice"), path, i,
			    (long long)e->u.id, e->u.name);
			free(e);
			return -1;
		}
		push_entry(ks, e);
	}
	return 0;
}

static void
remember_stat(struct keystore *ks, const struct stat *st)
{
	ks->existed = st != NULL;
	if (st == NULL)
		return;
	ks->dev = st->st_dev;
	ks->ino = st->st_ino;
	ks->size = st->st_size;
	ks->mtime = st->st_mtim;
}

/* Read the file (already open as fd) and check its mode. */
static int
read_file(struct keystore *ks, int fd, char *err, size_t errlen)
{
	json_error_t jerr;
	struct stat st;
	json_t *root;
	char *buf = NULL;
	size_t len = 0;
	int ret = -1;

	if (fstat(fd, &st) != 0) {
		seterr(err, errlen, _("%s: cannot read the keystore: %s"),
		    ks->path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, _("%s: not a keystore: not a regular file"),
		    ks->path);
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		seterr(err, errlen, _("%s: the keystore has mode %04o: group "
		    "or others may use it; refused. Run: chmod 600 %s"),
		    ks->path, (unsigned)(st.st_mode & 07777), ks->path);
		return -1;
	}
	if (st.st_size > KS_MAX_FILE) {
		seterr(err, errlen, _("%s: not a keystore: %lld bytes is too "
		    "large"), ks->path, (long long)st.st_size);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	for (;;) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			seterr(err, errlen, _("%s: cannot read the keystore: "
			    "%s"), ks->path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > (size_t)st.st_size) {
			seterr(err, errlen, _("%s: the keystore changed while "
			    "it was read"), ks->path);
			goto out;
		}
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		seterr(err, errlen, _("%s:%d:%d: not a valid keystore (JSON): "
		    "%s"), ks->path, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	ret = load_doc(ks, root, err, errlen);
	json_decref(root);
	if (ret == 0)
		remember_stat(ks, &st);
out:
	free(buf);
	return ret;
}

int
keystore_open(const char *path, struct keystore **out, char *err,
    size_t errlen)
{
	struct keystore *ks;
	int fd;

	*out = NULL;
	if (sodium_init() < 0) {
		seterr(err, errlen, _("cannot initialise libsodium"));
		return -1;
	}
	ks = xcalloc(1, sizeof *ks);
	ks->path = xstrdup(path);
	ks->next_id = 1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT) {
		remember_stat(ks, NULL);	/* empty until saved */
		*out = ks;
		return 0;
	}
	if (fd < 0) {
		seterr(err, errlen, _("%s: cannot open the keystore: %s"),
		    path, strerror(errno));
		keystore_free(ks);
		return -1;
	}
	if (read_file(ks, fd, err, errlen) != 0) {
		close(fd);
		keystore_free(ks);
		return -1;
	}
	close(fd);
	*out = ks;
	return 0;
}

void
keystore_free(struct keystore *ks)
{
	if (ks == NULL)
		return;
	for (size_t i = 0; i < ks->n; i++)
		free(ks->v[i]);
	free(ks->v);
	free(ks->path);
	free(ks);
}

/* --- saving ------------------------------------------------------------- */

static json_t *
user_json(const struct ks_entry *e)
{
	char pk[2 * KS_PUBLIC_KEY_BYTES + 1], salt[2 * KS_SALT_BYTES + 1];
	char nonce[2 * KS_NONCE_BYTES + 1], ct[2 * KS_CT_BYTES + 1];
	const struct ks_user *u = &e->u;

	sodium_bin2hex(pk, sizeof pk, u->public_key, sizeof u->public_key);
	sodium_bin2hex(salt, sizeof salt, e->salt, sizeof e->salt);
	sodium_bin2hex(nonce, sizeof nonce, e->nonce, sizeof e->nonce);
	sodium_bin2hex(ct, sizeof ct, e->ct, sizeof e->ct);
	return json_pack("{s:I, s:s, s:s, s:s, s:b, s:I, s:s, s:i, s:I, "
	    "s:{s:s, s:I, s:I, s:s, s:s, s:s, s:s}}",
	    "id", (json_int_t)u->id,
	    "name", u->name,
	    "full_name", u->full_name,
	    "role", ks_role_name(u->role),
	    "disabled", (int)u->disabled,
	    "created_us", (json_int_t)u->created_us,
	    "public_key", pk,
	    "failed", u->failed,
	    "locked_until_us", (json_int_t)u->locked_until_us,
	    "secret_key",
	    "kdf", KS_KDF_ALG,
	    "opslimit", (json_int_t)u->opslimit,
	    "memlimit", (json_int_t)u->memlimit,
	    "salt", salt,
	    "aead", KS_AEAD_ALG,
	    "nonce", nonce,
	    "ciphertext", ct);
}

static char *
dump_doc(const struct keystore *ks)
{
	json_t *users = json_array(), *root;
	char *text;

	for (size_t i = 0; i < ks->n; i++)
		json_array_append_new(users, user_json(ks->v[i]));
	root = json_pack("{s:s, s:i, s:I, s:o}", "format", KS_FORMAT,
	    "version", KS_VERSION, "next_id", (json_int_t)ks->next_id,
	    "users", users);
	if (root == NULL)
		return NULL;
	text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	return text;
}

/* Has another program replaced or created the file since we read it? */
static bool
changed_on_disk(const struct keystore *ks)
{
	struct stat st;

	if (stat(ks->path, &st) != 0)
		return ks->existed || errno != ENOENT;
	return !ks->existed || st.st_dev != ks->dev || st.st_ino != ks->ino ||
	    st.st_size != ks->size ||
	    st.st_mtim.tv_sec != ks->mtime.tv_sec ||
	    st.st_mtim.tv_nsec != ks->mtime.tv_nsec;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The directory part of path ("." when none), malloc'ed. */
static char *
dir_of(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');

	if (slash == NULL)
		str_copy(dir, ".", 2);
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

int
keystore_save(struct keystore *ks, char *err, size_t errlen)
{
	size_t tlen = strlen(ks->path) + sizeof ".tmp-XXXXXX";
	char *dir = dir_of(ks->path), *tmp = xmalloc(tlen), *text = NULL;
	struct stat st;
	int fd = -1, dfd, ret = -1;

	snprintf(tmp, tlen, "%s.tmp-XXXXXX", ks->path);
	if (changed_on_disk(ks)) {
		seterr(err, errlen, _("%s: the keystore was changed by another "
		    "program since it was read; nothing saved (open it again "
		    "and repeat the change)"), ks->path);
		goto out;
	}
	if (make_dirs(dir, 0700) != 0) {
		seterr(err, errlen, _("%s: cannot create the directory %s: %s"),
		    ks->path, dir, strerror(errno));
		goto out;
	}
	if ((text = dump_doc(ks)) == NULL) {
		seterr(err, errlen, _("%s: cannot encode the keystore"),
		    ks->path);
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		seterr(err, errlen, _("%s: cannot create a temporary file: %s"),
		    ks->path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, text, strlen(text)) != 0 ||
	    write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
		seterr(err, errlen, _("%s: cannot write the keystore: %s"),
		    tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		seterr(err, errlen, _("%s: cannot write the keystore: %s"),
		    tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, ks->path) != 0) {
		seterr(err, errlen, _("%s: cannot replace the keystore: %s"),
		    ks->path, strerror(errno));
		goto fail;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		if (fsync(dfd) != 0 && errno != EINVAL) {
			seterr(err, errlen, _("%s: saved, but cannot sync the "
			    "directory %s: %s"), ks->path, dir,
			    strerror(errno));
			close(dfd);
			goto out;
		}
		close(dfd);
	}
	if (stat(ks->path, &st) == 0)
		remember_stat(ks, &st);
	ret = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(text);
	free(tmp);
	free(dir);
	return ret;
}

/* --- users -------------------------------------------------------------- */

const char *
keystore_path(const struct keystore *ks)
{
	return ks->path;
}

size_t
keystore_count(const struct keystore *ks)
{
	return ks->n;
}

const struct ks_user *
keystore_user_at(const struct keystore *ks, size_t i)
{
	return i < ks->n ? &ks->v[i]->u : NULL;
}

const struct ks_user *
keystore_find(const struct keystore *ks, const char *name)
{
	struct ks_entry *e = find_entry(ks, name);

	return e != NULL ? &e->u : NULL;
}

const struct ks_user *
keystore_find_id(const struct keystore *ks, int64_t id)
{
	for (size_t i = 0; i < ks->n; i++)
		if (ks->v[i]->u.id == id)
			return &ks->v[i]->u;
	return NULL;
}

int
keystore_add(struct keystore *ks, const char *name, const char *full_name,
    enum ks_role role, const char *password, enum ks_kdf kdf, int64_t now_us,
    int64_t *id, char *err, size_t errlen)
{
	const struct ks_entry *old;
	unsigned long long ops;
	unsigned char *sk;
	struct ks_entry *e;
	size_t mem;

	if (!name_valid(name)) {
		seterr(err, errlen, _("\"%s\" is not a valid user name: use 1 "
		    "to %d of a-z, 0-9, _ . -"), name ? name : "", KS_NAME_MAX);
		return -1;
	}
	if ((old = find_entry(ks, name)) != NULL) {
		if (old->u.disabled)
			seterr(err, errlen, _("the name %s belongs to a "
			    "disabled user (id %lld); names are not reused"),
			    name, (long long)old->u.id);
		else
			seterr(err, errlen, _("user %s already exists"), name);
		return -1;
	}
	if (check_full_name(full_name, err, errlen) != 0)
		return -1;
	if ((unsigned)role >= ARRAY_LEN(role_names)) {
		seterr(err, errlen, _("unknown role"));
		return -1;
	}
	if (check_password(password, err, errlen) != 0)
		return -1;
	if (kdf_limits(kdf, &ops, &mem) != 0) {
		seterr(err, errlen, _("unknown key derivation level"));
		return -1;
	}
	if (ks->next_id == INT64_MAX) {
		seterr(err, errlen, _("no user id left"));
		return -1;
	}
	if ((sk = sodium_malloc(KS_SECRET_KEY_BYTES)) == NULL) {
		seterr(err, errlen, _("out of locked memory"));
		return -1;
	}
	e = xcalloc(1, sizeof *e);
	e->u.id = ks->next_id;
	str_copy(e->u.name, name, sizeof e->u.name);
	str_copy(e->u.full_name, full_name, sizeof e->u.full_name);
	e->u.role = role;
	e->u.created_us = now_us > 0 ? now_us : 0;
	crypto_sign_keypair(e->u.public_key, sk);
	if (seal(e, sk, password, ops, mem, err, errlen) != 0) {
		sodium_free(sk);
		free(e);
		return -1;
	}
	sodium_free(sk);
	push_entry(ks, e);
	ks->next_id++;
	if (id != NULL)
		*id = e->u.id;
	return 0;
}

/* The enabled user called name, or NULL with a message. */
static struct ks_entry *
find_enabled(struct keystore *ks, const char *name, char *err, size_t errlen)
{
	struct ks_entry *e = find_entry(ks, name);

	if (e == NULL)
		seterr(err, errlen, _("no user named %s"), name ? name : "");
	else if (e->u.disabled)
		seterr(err, errlen, _("user %s is disabled"), name);
	else
		return e;
	return NULL;
}

int
keystore_set_password(struct keystore *ks, const char *name,
    const struct ks_secret *sk, const char *new_password, enum ks_kdf kdf,
    char *err, size_t errlen)
{
	struct ks_entry *e = find_enabled(ks, name, err, errlen);
	unsigned long long ops;
	size_t mem;
	int rc;

	if (e == NULL)
		return -1;
	if (sk == NULL || (rc = check_pair(sk->sk, e->u.public_key)) > 0) {
		seterr(err, errlen, _("the secret key given is not the key of "
		    "user %s"), name);
		return -1;
	}
	if (rc < 0) {
		seterr(err, errlen, _("out of locked memory"));
		return -1;
	}
	if (check_password(new_password, err, errlen) != 0)
		return -1;
	if (kdf_limits(kdf, &ops, &mem) != 0) {
		seterr(err, errlen, _("unknown key derivation level"));
		return -1;
	}
	return seal(e, sk->sk, new_password, ops, mem, err, errlen);
}

int
keystore_set_role(struct keystore *ks, const char *name, enum ks_role role,
    char *err, size_t errlen)
{
	struct ks_entry *e = find_enabled(ks, name, err, errlen);

	if (e == NULL)
		return -1;
	if ((unsigned)role >= ARRAY_LEN(role_names)) {
		seterr(err, errlen, _("unknown role"));
		return -1;
	}
	e->u.role = role;
	return 0;
}

int
keystore_disable(struct keystore *ks, const char *name, char *err,
    size_t errlen)
{
	struct ks_entry *e = find_enabled(ks, name, err, errlen);

	if (e == NULL)
		return -1;
	e->u.disabled = true;
	return 0;
}

enum ks_unlock
keystore_unlock(struct keystore *ks, const char *name, const char *password,
    int64_t now_us, int max_failures, int64_t lockout_us,
    struct ks_secret **sk, char *err, size_t errlen)
{
	struct ks_entry *e = find_entry(ks, name);
	struct ks_user *u;
	char when[40];
	int rc;

	*sk = NULL;
	if (e == NULL) {
		seterr(err, errlen, _("no user named %s"), name ? name : "");
		return KS_NO_USER;
	}
	u = &e->u;
	if (u->disabled) {
		seterr(err, errlen, _("user %s is disabled"), name);
		return KS_DISABLED;
	}
	if (u->locked_until_us > now_us) {
		format_rfc3339_us(u->locked_until_us, when, sizeof when);
		seterr(err, errlen, _("user %s is locked until %s after too "
		    "many wrong passwords"), name, when);
		return KS_LOCKED;
	}
	if (u->locked_until_us != 0) {	/* the lock has run out */
		u->locked_until_us = 0;
		u->failed = 0;
	}
	rc = unseal(e, password != NULL ? password : "", sk);
	if (rc == 0) {
		u->failed = 0;
		return KS_OK;
	}
	if (rc < 0) {
		seterr(err, errlen, _("cannot check the password of %s: out "
		    "of memory (Argon2id needs %zu MiB)"), name,
		    u->memlimit >> 20);
		return KS_ERROR;
	}
	if (rc == 2) {
		seterr(err, errlen, _("%s: the secret key of %s does not match "
		    "its public key: the keystore is damaged"), ks->path, name);
		return KS_ERROR;
	}
	if (u->failed < INT_MAX)
		u->failed++;
	if (max_failures > 0 && u->failed >= max_failures) {
		if (lockout_us <= 0)
			u->locked_until_us = now_us;
		else if (now_us > INT64_MAX - lockout_us)
			u->locked_until_us = INT64_MAX;
		else
			u->locked_until_us = now_us + lockout_us;
		if (u->locked_until_us < 0)	/* the file keeps >= 0 */
			u->locked_until_us = 0;
		format_rfc3339_us(u->locked_until_us, when, sizeof when);
		seterr(err, errlen, _("wrong password for %s; %d failures in a "
		    "row: locked until %s"), name, u->failed, when);
	} else
		seterr(err, errlen, _("wrong password for %s"), name);
	return KS_BAD_PASSWORD;
}
