/*
 * esign.h: one electronic signature (21 CFR Part 11 §11.50, §11.70).
 *
 * A signature binds who signed (user id, user name, full name), what it means
 * (performed, reviewed, approved, verified), why (reason), when (UTC, to the
 * microsecond) and what was signed (the SHA-256 of the exact action payload).
 * The Ed25519 signature covers a canonical message built from those fields
 * only (esig_message), so it cannot be copied onto another record (§11.70),
 * and an auditor can check it with stock OpenSSL, without this program:
 *
 *   openssl pkeyutl -verify -pubin -inkey key.pem -rawin \
 *       -in message -sigfile sig
 *
 * where key.pem is ed25519_public_pem() of the signer's key.  Which actions
 * need how many signatures by whom is approval.h; keys live in the keystore;
 * this module only builds, signs, verifies, stores and shows one signature.
 */
#ifndef JOPE_ESIGN_H
#define JOPE_ESIGN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The meaning of a signature (§11.50(a)(3)).  Order is stable: never reorder. */
enum esig_meaning {
	ESIG_PERFORMED,
	ESIG_REVIEWED,
	ESIG_APPROVED,
	ESIG_VERIFIED,
	ESIG_MEANING_COUNT_
};

/*
 * One signature.  Text fields are NUL-terminated UTF-8 without control
 * characters; user and full_name are not empty, reason may be.  user_id is
 * >= 1 and ts_us (microseconds since the epoch, UTC) lies in years
 * 1970..9999.  A struct that breaks any of these cannot be signed, verified
 * or converted to JSON: those functions refuse it.
 */
struct esig {
	int64_t user_id;
	char user[33];
	char full_name[128];
	enum esig_meaning meaning;
	char reason[256];
	int64_t ts_us;
	unsigned char payload_hash[32];	/* SHA-256 of the action payload */
	unsigned char sig[64];		/* Ed25519 over esig_message() */
};

/* SHA-256 of the exact bytes of the action payload. */
void esig_payload_hash(const void *payload, size_t n, unsigned char out[32]);

/*
 * The canonical message that is signed: compact ASCII JSON, keys in this
 * fixed order, no whitespace, no trailing newline:
 *
 *   {"v":1,"user_id":<decimal>,"user":<str>,"full_name":<str>,
 *    "meaning":<esig_meaning_name>,"reason":<str>,
 *    "time":"YYYY-MM-DDTHH:MM:SS.ffffffZ","payload_sha256":"<64 lowercase hex>"}
 *
 * <str> is a JSON string: '"' and '\' are written as \" and \\, every
 * character above U+007F as \uXXXX with lowercase hex (UTF-16 surrogate
 * pairs above U+FFFF), every other character as itself.  Text is taken as
 * given: no Unicode normalization.  Returns malloc'ed NUL-terminated bytes
 * (the signed bytes exclude the NUL), or NULL when the struct is not valid.
 */
char *esig_message(const struct esig *s);

/* Sign esig_message(s) with an Ed25519 secret key into s->sig: 0 or -1. */
int esig_sign(struct esig *s, const unsigned char sk[64]);

/* 0 when s->sig is a valid signature of esig_message(s) under pk, else -1. */
int esig_verify(const struct esig *s, const unsigned char pk[32]);

/*
 * The stored form: {"v":1,"user_id":..,"user":..,"full_name":..,
 * "meaning":..,"reason":..,"time":<RFC 3339 UTC, microseconds>,
 * "payload_sha256":<hex>,"signature":<hex>}.  NULL when s is not valid.
 */
json_t *esig_to_json(const struct esig *s);

/*
 * Parse the stored form strictly: every field present, of the right type and
 * well-formed, no other keys, "v" equal to 1.  On success fills *s exactly as
 * it was when esig_to_json made the object and returns 0; on error leaves *s
 * alone, writes a message naming the field into err and returns -1.  Does
 * not verify the signature: that needs the signer's public key.
 */
int esig_from_json(const json_t *j, struct esig *s, char *err, size_t errlen);

/*
 * The manifestation shown to people with the signed record (§11.50):
 * "Alice Novak (alice) — approved — 2026-11-21 07:00:00 UTC — reason: ..."
 * translated; the reason part is left out when the reason is empty.  Always
 * NUL-terminated; a truncated result never ends in a partial UTF-8 character.
 */
void esig_manifestation(const struct esig *s, char *buf, size_t len);

/* Translated label of a meaning, for people ("?" when out of range). */
const char *esig_meaning_label(enum esig_meaning m);

/* Untranslated name, as in JSON: "performed", ... (NULL when out of range). */
const char *esig_meaning_name(enum esig_meaning m);

/* Name to meaning: 0, or -1 when the name is not one of the four. */
int esig_meaning_parse(const char *name, enum esig_meaning *m);

/*
 * The public key as PEM (SubjectPublicKeyInfo, RFC 8410), as openssl reads
 * it: "-----BEGIN PUBLIC KEY-----\n<base64>\n-----END PUBLIC KEY-----\n".
 * Malloc'ed.
 */
char *ed25519_public_pem(const unsigned char pk[32]);

/* "1a2b:3c4d:5e6f:7081": the start of SHA-256 of a public key, for people. */
void ed25519_fingerprint(const unsigned char pk[32], char *buf, size_t len);

#endif
