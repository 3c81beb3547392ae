/*
 * esign.c: build, sign, verify, store and show one electronic signature.
 *
 * The heart of this file is esig_message(): the exact bytes an Ed25519
 * signature covers.  They must be the same today, after an upgrade of any
 * library and in seven years on another machine, or old signatures stop
 * verifying.  So the canonical JSON is written by hand here, with the
 * escaping rules spelled out in esign.h, rather than by a JSON library whose
 * choices (hex case of \u escapes, which characters it escapes) are not a
 * promise.  The rules are chosen so that the message is plain ASCII (safe to
 * print on an auditor's terminal) and still a valid JSON document that any
 * tool can read.
 *
 * Text with control characters (C0, DEL, C1) is refused rather than escaped:
 * a name or reason holding an escape sequence could rewrite what a terminal
 * shows next to a signature, and no legitimate name or reason needs one.
 * Invalid UTF-8 is refused too, so one text never has two encodings.
 *
 * The stored form (esig_to_json) goes through jansson: it is data, not the
 * signed bytes, and esig_from_json re-checks everything the signer checked.
 */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "compliance/esign.h"
#include "core/i18n.h"
#include "core/util.h"

#define MESSAGE_VERSION	1
/* Times before 1970 are refused (no signature predates this program), and
 * 9999-12-31T23:59:59.999999Z is the last instant RFC 3339 can write with
 * four year digits. */
#define TS_MAX		INT64_C(253402300799999999)
#define RFC3339_LEN	27	/* YYYY-MM-DDTHH:MM:SS.ffffffZ */

static const char *const meaning_names[ESIG_MEANING_COUNT_] = {
	"performed", "reviewed", "approved", "verified",
};

/* Marked for translation here, translated where shown. */
static const char *const meaning_labels[ESIG_MEANING_COUNT_] = {
	N_("performed"), N_("reviewed"), N_("approved"), N_("verified"),
};

/* The SubjectPublicKeyInfo DER of an Ed25519 key before its 32 key bytes:
 * SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits) }. */
static const unsigned char spki_prefix[12] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};

/* --- text -------------------------------------------------------------- */

/*
 * Decode one UTF-8 character at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF).  Returns its length in bytes, or -1.
 */
static int
utf8_next(const unsigned char *s, uint32_t *cp)
{
	int n;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return n;
}

static bool
is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

enum text_fault { TEXT_OK, TEXT_UNTERMINATED, TEXT_EMPTY, TEXT_BAD_UTF8,
    TEXT_CONTROL };

/* Check a text field held in a char array of size cap. */
static enum text_fault
text_check(const char *s, size_t cap, bool nonempty)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	int n;

	if (memchr(s, '\0', cap) == NULL)
		return TEXT_UNTERMINATED;
	if (nonempty && s[0] == '\0')
		return TEXT_EMPTY;
	for (; *p != '\0'; p += n) {
		if ((n = utf8_next(p, &c)) < 0)
			return TEXT_BAD_UTF8;
		if (is_control(c))
			return TEXT_CONTROL;
	}
	return TEXT_OK;
}

static bool
esig_valid(const struct esig *s)
{
	return s->user_id >= 1 &&
	    text_check(s->user, sizeof s->user, true) == TEXT_OK &&
	    text_check(s->full_name, sizeof s->full_name, true) == TEXT_OK &&
	    text_check(s->reason, sizeof s->reason, false) == TEXT_OK &&
	    (unsigned)s->meaning < ESIG_MEANING_COUNT_ &&
	    s->ts_us >= 0 && s->ts_us <= TS_MAX;
}

/* --- the canonical message ---------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 512;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* A JSON string by the rules of esign.h; s is valid (text_check). */
static void
buf_json_string(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[16];
	uint32_t c;
	int n;

	buf_add(b, "\"", 1);
	for (; *p != '\0'; p += n) {
		n = utf8_next(p, &c);
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			buf_add(b, esc, 2);
		} else if (c < 0x80) {
			buf_add(b, (const char *)p, 1);
		} else if (c < 0x10000) {
			snprintf(esc, sizeof esc, "\\u%04" PRIx32, c);
			buf_str(b, esc);
		} else {
			c -= 0x10000;
			snprintf(esc, sizeof esc, "\\u%04" PRIx32 "\\u%04" PRIx32,
			    0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
			buf_str(b, esc);
		}
	}
	buf_add(b, "\"", 1);
}

void
esig_payload_hash(const void *payload, size_t n, unsigned char out[32])
{
	crypto_hash_sha256(out, payload, n);
}

char *
esig_message(const struct esig *s)
{
	struct buf b = { NULL, 0, 0 };
	char num[64], hex[65], ts[40];

	if (!esig_valid(s))
		return NULL;
	snprintf(num, sizeof num, "{\"v\":%d,\"user_id\":%" PRId64,
	    MESSAGE_VERSION, s->user_id);
	buf_str(&b, num);
	buf_str(&b, ",\"user\":");
	buf_json_string(&b, s->user);
	buf_str(&b, ",\"full_name\":");
	buf_json_string(&b, s->full_name);
	buf_str(&b, ",\"meaning\":");
	buf_json_string(&b, meaning_names[s->meaning]);
	buf_str(&b, ",\"reason\":");
	buf_json_string(&b, s->reason);
	format_rfc3339_us(s->ts_us, ts, sizeof ts);
	buf_str(&b, ",\"time\":");
	buf_json_string(&b, ts);
	sodium_bin2hex(hex, sizeof hex, s->payload_hash, sizeof s->payload_hash);
	buf_str(&b, ",\"payload_sha256\":");
	buf_json_string(&b, hex);
	buf_str(&b, "}");
	return b.p;
}

int
esig_sign(struct esig *s, const unsigned char sk[64])
{
	char *msg;
	int rc;

	if (sodium_init() < 0 || (msg = esig_message(s)) == NULL)
		return -1;
	rc = crypto_sign_detached(s->sig, NULL, (const unsigned char *)msg,
	    strlen(msg), sk) == 0 ? 0 : -1;
	free(msg);
	return rc;
}

int
esig_verify(const struct esig *s, const unsigned char pk[32])
{
	char *msg;
	int rc;

	if (sodium_init() < 0 || (msg = esig_message(s)) == NULL)
		return -1;
	rc = crypto_sign_verify_detached(s->sig, (const unsigned char *)msg,
	    strlen(msg), pk) == 0 ? 0 : -1;
	free(msg);
	return rc;
}

/* --- stored form ---------------------------------------------------------- */

json_t *
esig_to_json(const struct esig *s)
{
	char ts[40], hash[65], sig[129];
	json_t *j;

	if (!esig_valid(s))
		return NULL;
	format_rfc3339_us(s->ts_us, ts, sizeof ts);
	sodium_bin2hex(hash, sizeof hash, s->payload_hash, sizeof s->payload_hash);
	sodium_bin2hex(sig, sizeof sig, s->sig, sizeof s->sig);
	/* Insertion order is kept by jansson, so dumps read like the message. */
	j = json_object();
	json_object_set_new(j, "v", json_integer(MESSAGE_VERSION));
	json_object_set_new(j, "user_id", json_integer((json_int_t)s->user_id));
	json_object_set_new(j, "user", json_string(s->user));
	json_object_set_new(j, "full_name", json_string(s->full_name));
	json_object_set_new(j, "meaning",
	    json_string(meaning_names[s->meaning]));
	json_object_set_new(j, "reason", json_string(s->reason));
	json_object_set_new(j, "time", json_string(ts));
	json_object_set_new(j, "payload_sha256", json_string(hash));
	json_object_set_new(j, "signature", json_string(sig));
	return j;
}

static const char *const json_fields[] = {
	"v", "user_id", "user", "full_name", "meaning", "reason", "time",
	"payload_sha256", "signature",
};

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 1970). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Exactly the form format_rfc3339_us writes, and nothing else: the parsed
 * time is formatted again and must give the same text, which also refuses
 * dates like February 30 that arithmetic alone would carry over.
 */
static int
parse_time(const char *str, int64_t *ts)
{
	int y, mo, d, h, mi, sec, us;
	char again[40];
	int64_t t;

	if (strlen(str) != RFC3339_LEN || str[4] != '-' || str[7] != '-' ||
	    str[10] != 'T' || str[13] != ':' || str[16] != ':' ||
	    str[19] != '.' || str[26] != 'Z')
		return -1;
	y = parse_digits(str, 4);
	mo = parse_digits(str + 5, 2);
	d = parse_digits(str + 8, 2);
	h = parse_digits(str + 11, 2);
	mi = parse_digits(str + 14, 2);
	sec = parse_digits(str + 17, 2);
	us = parse_digits(str + 20, 6);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || us < 0)
		return -1;
	t = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) *
	    1000000) + us;
	if (t < 0 || t > TS_MAX)
		return -1;
	format_rfc3339_us(t, again, sizeof again);
	if (strcmp(again, str) != 0)
		return -1;
	*ts = t;
	return 0;
}

/* Exactly 2 * n lowercase hex digits (the form sodium_bin2hex writes). */
static int
parse_hex(const char *str, unsigned char *out, size_t n)
{
	size_t len;

	if (strlen(str) != 2 * n)
		return -1;
	for (const char *p = str; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return -1;
	return sodium_hex2bin(out, n, str, 2 * n, NULL, &len, NULL) == 0 &&
	    len == n ? 0 : -1;
}

/* A string member that must be present; NULL (and err) otherwise. */
static const char *
get_string(const json_t *j, const char *key, char *err, size_t errlen)
{
	const json_t *v = json_object_get(j, key);

	if (v == NULL) {
		snprintf(err, errlen, _("signature: field \"%s\" is missing"),
		    key);
		return NULL;
	}
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(err, errlen, _("signature: field \"%s\" must be a "
		    "string"), key);
		return NULL;
	}
	return json_string_value(v);
}

static int
get_text(const json_t *j, const char *key, char *dst, size_t cap,
    bool nonempty, char *err, size_t errlen)
{
	const char *v = get_string(j, key, err, errlen);

	if (v == NULL)
		return -1;
	if (strlen(v) >= cap) {
		snprintf(err, errlen, _("signature: field \"%s\" is too long "
		    "(at most %zu bytes)"), key, cap - 1);
		return -1;
	}
	str_copy(dst, v, cap);
	switch (text_check(dst, cap, nonempty)) {
	case TEXT_OK:
		return 0;
	case TEXT_EMPTY:
		snprintf(err, errlen, _("signature: field \"%s\" is empty"),
		    key);
		return -1;
	case TEXT_CONTROL:
		snprintf(err, errlen, _("signature: field \"%s\" contains a "
		    "control character"), key);
		return -1;
	default:
		snprintf(err, errlen, _("signature: field \"%s\" is not valid "
		    "UTF-8"), key);
		return -1;
	}
}

static int
get_integer(const json_t *j, const char *key, json_int_t *out, char *err,
    size_t errlen)
{
	const json_t *v = json_object_get(j, key);

	if (v == NULL) {
		snprintf(err, errlen, _("signature: field \"%s\" is missing"),
		    key);
		return -1;
	}
	if (!json_is_integer(v)) {
		snprintf(err, errlen, _("signature: field \"%s\" must be an "
		    "integer"), key);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int
esig_from_json(const json_t *j, struct esig *s, char *err, size_t errlen)
{
	struct esig t;
	const char *key, *str;
	json_int_t iv;
	json_t *val;
	bool known;

	if (!json_is_object(j)) {
		snprintf(err, errlen, _("signature: not a JSON object"));
		return -1;
	}
	json_object_foreach((json_t *)j, key, val) {
		known = false;
		for (size_t i = 0; i < ARRAY_LEN(json_fields); i++)
			known |= strcmp(key, json_fields[i]) == 0;
		if (!known) {
			snprintf(err, errlen, _("signature: unknown field "
			    "\"%s\""), key);
			return -1;
		}
	}
	memset(&t, 0, sizeof t);

	if (get_integer(j, "v", &iv, err, errlen) != 0)
		return -1;
	if (iv != MESSAGE_VERSION) {
		snprintf(err, errlen, _("signature: field \"v\": version "
		    "%lld is not supported (this program knows %d)"), (long long)iv,
		    MESSAGE_VERSION);
		return -1;
	}
	if (get_integer(j, "user_id", &iv, err, errlen) != 0)
		return -1;
	if (iv < 1) {
		snprintf(err, errlen, _("signature: field \"%s\" must be a "
		    "positive integer"), "user_id");
		return -1;
	}
	t.user_id = (int64_t)iv;
	if (get_text(j, "user", t.user, sizeof t.user, true, err,
	    errlen) != 0 ||
	    get_text(j, "full_name", t.full_name, sizeof t.full_name, true,
	    err, errlen) != 0 ||
	    get_text(j, "reason", t.reason, sizeof t.reason, false, err,
	    errlen) != 0)
		return -1;

	if ((str = get_string(j, "meaning", err, errlen)) == NULL)
		return -1;
	if (esig_meaning_parse(str, &t.meaning) != 0) {
		snprintf(err, errlen, _("signature: field \"%s\": unknown "
		    "meaning \"%s\""), "meaning", str);
		return -1;
	}
	if ((str = get_string(j, "time", err, errlen)) == NULL)
		return -1;
	if (parse_time(str, &t.ts_us) != 0) {
		snprintf(err, errlen, _("signature: field \"%s\" must be a UTC "
		    "time like 2026-11-21T07:00:00.123456Z"), "time");
		return -1;
	}
	if ((str = get_string(j, "payload_sha256", err, errlen)) == NULL)
		return -1;
	if (parse_hex(str, t.payload_hash, sizeof t.payload_hash) != 0) {
		snprintf(err, errlen, _("signature: field \"%s\" must be %zu "
		    "lowercase hex digits"), "payload_sha256",
		    2 * sizeof t.payload_hash);
		return -1;
	}
	if ((str = get_string(j, "signature", err, errlen)) == NULL)
		return -1;
	if (parse_hex(str, t.sig, sizeof t.sig) != 0) {
		snprintf(err, errlen, _("signature: field \"%s\" must be %zu "
		    "lowercase hex digits"), "signature", 2 * sizeof t.sig);
		return -1;
	}
	*s = t;
	return 0;
}

/* --- for people ------------------------------------------------------------ */

/* A field of s as a C string even if s was never validated. */
static void
field_copy(char *dst, const char *src, size_t cap)
{
	memcpy(dst, src, cap);
	dst[cap - 1] = '\0';
}

void
esig_manifestation(const struct esig *s, char *buf, size_t len)
{
	char user[sizeof s->user], full[sizeof s->full_name];
	char reason[sizeof s->reason], when[32];
	time_t secs;
	struct tm tm;
	int n;

	if (len == 0)
		return;
	field_copy(user, s->user, sizeof user);
	field_copy(full, s->full_name, sizeof full);
	field_copy(reason, s->reason, sizeof reason);
	secs = (time_t)(s->ts_us >= 0 ? s->ts_us / 1000000 :
	    -((-s->ts_us + 999999) / 1000000));
	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		str_copy(when, "?", sizeof when);

	if (reason[0] == '\0')
		/* TRANSLATORS: a signature as shown to people: full name,
		 * (user name), meaning, UTC time. */
		n = snprintf(buf, len, _("%s (%s) — %s — %s UTC"), full, user,
		    esig_meaning_label(s->meaning), when);
	else
		/* TRANSLATORS: a signature as shown to people: full name,
		 * (user name), meaning, UTC time, reason given by the signer. */
		n = snprintf(buf, len, _("%s (%s) — %s — %s UTC — reason: %s"),
		    full, user, esig_meaning_label(s->meaning), when, reason);
	if (n >= 0 && (size_t)n >= len)
		utf8_trim_partial(buf);
}

const char *
esig_meaning_label(enum esig_meaning m)
{
	if ((unsigned)m >= ESIG_MEANING_COUNT_)
		return "?";
	return _(meaning_labels[m]);
}

const char *
esig_meaning_name(enum esig_meaning m)
{
	if ((unsigned)m >= ESIG_MEANING_COUNT_)
		return NULL;
	return meaning_names[m];
}

int
esig_meaning_parse(const char *name, enum esig_meaning *m)
{
	for (size_t i = 0; i < ESIG_MEANING_COUNT_; i++) {
		if (strcmp(name, meaning_names[i]) == 0) {
			*m = (enum esig_meaning)i;
			return 0;
		}
	}
	return -1;
}

/* --- for auditors ------------------------------------------------------------ */

char *
ed25519_public_pem(const unsigned char pk[32])
{
	static const char head[] = "-----BEGIN PUBLIC KEY-----\n";
	static const char tail[] = "\n-----END PUBLIC KEY-----\n";
	unsigned char der[sizeof spki_prefix + 32];
	char b64[sodium_base64_ENCODED_LEN(sizeof der,
	    sodium_base64_VARIANT_ORIGINAL)];
	char *pem;

	memcpy(der, spki_prefix, sizeof spki_prefix);
	memcpy(der + sizeof spki_prefix, pk, 32);
	/* 44 bytes make 60 base64 characters: one line, under PEM's 64. */
	sodium_bin2base64(b64, sizeof b64, der, sizeof der,
	    sodium_base64_VARIANT_ORIGINAL);
	pem = xmalloc(sizeof head + strlen(b64) + sizeof tail);
	snprintf(pem, sizeof head + strlen(b64) + sizeof tail, "%s%s%s", head,
	    b64, tail);
	return pem;
}

void
ed25519_fingerprint(const unsigned char pk[32], char *buf, size_t len)
{
	unsigned char h[32];

	crypto_hash_sha256(h, pk, 32);
	snprintf(buf, len, "%02x%02x:%02x%02x:%02x%02x:%02x%02x", h[0], h[1],
	    h[2], h[3], h[4], h[5], h[6], h[7]);
}
