/*
 * test_esign.c: the specification of one electronic signature (esign.c) and
 * of the signature policy with its 4-eyes rule (approval.c), as tests.
 *
 * Signatures: a round trip with a fresh key pair; every bound field, changed
 * alone, breaks verification; the canonical message is compared byte for
 * byte with a literal (it is a promise to auditors, and to every signature
 * already stored); the stored JSON form round-trips exactly and refuses
 * anything missing or malformed; the PEM decodes to the SubjectPublicKeyInfo
 * of the key; and stock `openssl pkeyutl -rawin` verifies what we signed
 * (skipped only when there is no openssl binary).
 *
 * Policy: the defaults of issue 5, app.json overrides and their errors (all
 * or nothing), and the 4-eyes rules row by row: the same person twice,
 * a wrong role in either place, a place the action does not have, too few
 * or too many signatures, and a second signature over another payload.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "compliance/approval.h"
#include "compliance/esign.h"
#include "core/util.h"
#include "tests/unit/tmpdir.h"

#define TS0	INT64_C(1795244400123456)	/* 2026-11-21T07:00:00.123456Z */

/* "Nov\u00e1k", and a reason with a quote, a backslash, U+2713 and U+1F600. */
#define FULL_NAME	"Alice Nov\xc3\xa1k"
#define REASON		"Abort \"B-17\": P2 seal \\ leak \xe2\x9c\x93 " \
			"\xf0\x9f\x98\x80"

struct keys {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
};

static void
sample(struct esig *s)
{
	memset(s, 0, sizeof *s);
	s->user_id = 1;
	str_copy(s->user, "alice", sizeof s->user);
	str_copy(s->full_name, FULL_NAME, sizeof s->full_name);
	s->meaning = ESIG_APPROVED;
	str_copy(s->reason, REASON, sizeof s->reason);
	s->ts_us = TS0;
	esig_payload_hash("abc", 3, s->payload_hash);
}

static void
new_keys(struct keys *k)
{
	assert_true(sodium_init() >= 0);
	assert_int_equal(crypto_sign_keypair(k->pk, k->sk), 0);
}

static void
signed_sample(struct esig *s, const struct keys *k)
{
	sample(s);
	assert_int_equal(esig_sign(s, k->sk), 0);
}

static void
assert_esig_equal(const struct esig *a, const struct esig *b)
{
	assert_int_equal(a->user_id, b->user_id);
	assert_string_equal(a->user, b->user);
	assert_string_equal(a->full_name, b->full_name);
	assert_int_equal(a->meaning, b->meaning);
	assert_string_equal(a->reason, b->reason);
	assert_int_equal(a->ts_us, b->ts_us);
	assert_memory_equal(a->payload_hash, b->payload_hash,
	    sizeof a->payload_hash);
	assert_memory_equal(a->sig, b->sig, sizeof a->sig);
}

/* --- signing and verifying ----------------------------------------------- */

static void
test_sign_verify(void **state)
{
	struct keys k, other;
	struct esig s;

	(void)state;
	new_keys(&k);
	new_keys(&other);
	signed_sample(&s, &k);
	assert_int_equal(esig_verify(&s, k.pk), 0);
	assert_int_equal(esig_verify(&s, other.pk), -1);
	s.sig[17] ^= 0x01;
	assert_int_equal(esig_verify(&s, k.pk), -1);
}

static void
test_every_field_is_bound(void **state)
{
	struct keys k;
	struct esig s, t;

	(void)state;
	new_keys(&k);
	signed_sample(&s, &k);

	for (int field = 0; field < 9; field++) {
		t = s;
		switch (field) {
		case 0: t.user_id = 2; break;
		case 1: t.user[0] = 'A'; break;
		case 2: str_copy(t.full_name, "Alice Novak",
		    sizeof t.full_name); break;
		case 3: t.meaning = ESIG_REVIEWED; break;
		case 4: t.reason[strlen(t.reason) - 1] ^= 0x01; break;
		case 5: t.reason[0] = '\0'; break;
		case 6: t.ts_us += 1; break;	/* one microsecond */
		case 7: t.payload_hash[31] ^= 0x80; break;
		case 8: esig_payload_hash("abd", 3, t.payload_hash); break;
		}
		if (esig_verify(&t, k.pk) != -1)
			fail_msg("changing field %d did not break the "
			    "signature", field);
	}
	assert_int_equal(esig_verify(&s, k.pk), 0);
}

static void
test_payload_hash_is_sha256(void **state)
{
	static const unsigned char abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	unsigned char h[32];

	(void)state;
	esig_payload_hash("abc", 3, h);
	assert_memory_equal(h, abc, 32);
}

/* The signed bytes, fixed forever for these inputs. */
static void
test_canonical_message(void **state)
{
	static const char expected[] =
	    "{\"v\":1,\"user_id\":1,\"user\":\"alice\","
	    "\"full_name\":\"Alice Nov\\u00e1k\",\"meaning\":\"approved\","
	    "\"reason\":\"Abort \\\"B-17\\\": P2 seal \\\\ leak \\u2713 "
	    "\\ud83d\\ude00\",\"time\":\"2026-11-21T07:00:00.123456Z\","
	    "\"payload_sha256\":"
	    "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}";
	struct esig s;
	char *msg;
	json_t *j;
	json_error_t jerr;

	(void)state;
	sample(&s);
	msg = esig_message(&s);
	assert_non_null(msg);
	assert_string_equal(msg, expected);
	/* The same again, and with a signature set (it is not signed). */
	memset(s.sig, 0xaa, sizeof s.sig);
	free(msg);
	msg = esig_message(&s);
	assert_string_equal(msg, expected);

	/* Plain JSON that gives back the texts as they were signed. */
	j = json_loads(msg, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "full_name")),
	    FULL_NAME);
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
	    REASON);
	json_decref(j);
	free(msg);
}

/* What cannot be signed: esig_message NULL, esig_sign -1. */
static void
test_invalid_refused(void **state)
{
	struct keys k;
	struct esig s;

	(void)state;
	new_keys(&k);
	for (int c = 0; c < 11; c++) {
		sample(&s);
		switch (c) {
		case 0: s.user_id = 0; break;
		case 1: s.user[0] = '\0'; break;
		case 2: s.full_name[0] = '\0'; break;
		case 3: s.reason[3] = '\n'; break;		/* C0 */
		case 4: s.full_name[1] = '\x1b'; break;	/* ESC */
		case 5: str_copy(s.reason, "a\xc2\x9b" "b", sizeof s.reason);
			break;					/* C1 CSI */
		case 6: str_copy(s.reason, "\xc3(", sizeof s.reason); break;
		case 7: str_copy(s.reason, "\xc0\xaf", sizeof s.reason); break;
		case 8: memset(s.user, 'a', sizeof s.user); break;
		case 9: s.meaning = ESIG_MEANING_COUNT_; break;
		case 10: s.ts_us = -1; break;
		}
		if (esig_message(&s) != NULL)
			fail_msg("case %d: esig_message accepted it", c);
		assert_int_equal(esig_sign(&s, k.sk), -1);
		assert_int_equal(esig_verify(&s, k.pk), -1);
		assert_null(esig_to_json(&s));
	}
	/* An empty reason is allowed. */
	sample(&s);
	s.reason[0] = '\0';
	assert_int_equal(esig_sign(&s, k.sk), 0);
	assert_int_equal(esig_verify(&s, k.pk), 0);
}

/* --- the stored form -------------------------------------------------------- */

static void
test_json_round_trip(void **state)
{
	struct keys k;
	struct esig s, back;
	json_t *j, *j2;
	json_error_t jerr;
	char err[256] = "", *text;

	(void)state;
	new_keys(&k);
	signed_sample(&s, &k);
	j = esig_to_json(&s);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "time")),
	    "2026-11-21T07:00:00.123456Z");
	assert_string_equal(json_string_value(json_object_get(j, "meaning")),
	    "approved");
	assert_int_equal(strlen(json_string_value(json_object_get(j,
	    "signature"))), 128);
	text = json_dumps(j, JSON_COMPACT);
	j2 = json_loads(text, 0, &jerr);
	assert_non_null(j2);

	memset(&back, 0x5a, sizeof back);
	if (esig_from_json(j2, &back, err, sizeof err) != 0)
		fail_msg("esig_from_json: %s", err);
	assert_esig_equal(&back, &s);
	assert_int_equal(esig_verify(&back, k.pk), 0);

	/* Edges of time: the epoch, and the last microsecond of 9999. */
	s.ts_us = 0;
	json_decref(j);
	j = esig_to_json(&s);
	assert_int_equal(esig_from_json(j, &back, err, sizeof err), 0);
	assert_int_equal(back.ts_us, 0);
	s.ts_us = INT64_C(253402300799999999);
	json_decref(j);
	j = esig_to_json(&s);
	assert_string_equal(json_string_value(json_object_get(j, "time")),
	    "9999-12-31T23:59:59.999999Z");
	assert_int_equal(esig_from_json(j, &back, err, sizeof err), 0);
	assert_int_equal(back.ts_us, s.ts_us);

	free(text);
	json_decref(j);
	json_decref(j2);
}

/* Each bad variant: set key to value (NULL: delete it), expect a refusal. */
static const struct bad_field {
	const char *key;
	const char *value;	/* JSON text */
} bad_fields[] = {
	{ "v", NULL }, { "user_id", NULL }, { "user", NULL },
	{ "full_name", NULL }, { "meaning", NULL }, { "reason", NULL },
	{ "time", NULL }, { "payload_sha256", NULL }, { "signature", NULL },
	{ "v", "2" }, { "v", "\"1\"" },
	{ "user_id", "0" }, { "user_id", "-3" }, { "user_id", "\"1\"" },
	{ "user_id", "1.0" },
	{ "user", "\"\"" }, { "user", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"" },
	{ "user", "7" }, { "full_name", "\"\"" }, { "full_name", "null" },
	{ "reason", "\"a\\u0000b\"" }, { "reason", "\"line\\nbreak\"" },
	{ "reason", "\"\\u001b[2J\"" },
	{ "meaning", "\"signed\"" }, { "meaning", "\"Approved\"" },
	{ "time", "\"2026-11-21T07:00:00Z\"" },
	{ "time", "\"2026-11-21T07:00:00.123456z\"" },
	{ "time", "\"2026-11-21T07:00:00.123456+00:00\"" },
	{ "time", "\"2026-11-21 07:00:00.123456Z\"" },
	{ "time", "\"2026-02-30T07:00:00.000000Z\"" },
	{ "time", "\"2026-11-21T24:00:00.000000Z\"" },
	{ "time", "\"2026-11-21T07:00:60.000000Z\"" },
	{ "time", "\"1969-12-31T23:59:59.999999Z\"" },
	{ "time", "\"2026-11-2aT07:00:00.000000Z\"" },
	{ "time", "1795244400" },
	{ "payload_sha256", "\"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\"" },
	{ "payload_sha256", "\"ba7816bf\"" },
	{ "payload_sha256", "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad00\"" },
	{ "payload_sha256", "\"zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"" },
	{ "signature", "\"00\"" },
	{ "extra", "1" },
};

static void
test_from_json_refuses(void **state)
{
	struct keys k;
	struct esig s, out, before;
	json_t *good, *j, *v;
	json_error_t jerr;
	char err[256];

	(void)state;
	new_keys(&k);
	signed_sample(&s, &k);
	good = esig_to_json(&s);
	assert_non_null(good);
	memset(&before, 0x33, sizeof before);

	for (size_t i = 0; i < ARRAY_LEN(bad_fields); i++) {
		const struct bad_field *b = &bad_fields[i];

		j = json_deep_copy(good);
		if (b->value == NULL) {
			json_object_del(j, b->key);
		} else {
			v = json_loads(b->value, JSON_DECODE_ANY |
			    JSON_ALLOW_NUL, &jerr);
			if (v == NULL)
				fail_msg("bad test value %s: %s", b->value,
				    jerr.text);
			json_object_set_new(j, b->key, v);
		}
		err[0] = '\0';
		out = before;
		if (esig_from_json(j, &out, err, sizeof err) != -1)
			fail_msg("%s = %s was accepted", b->key,
			    b->value ? b->value : "(missing)");
		if (strstr(err, b->key) == NULL)
			fail_msg("%s = %s: error does not name the field: %s",
			    b->key, b->value ? b->value : "(missing)", err);
		assert_memory_equal(&out, &before, sizeof out);
		json_decref(j);
	}

	/* Not an object at all. */
	j = json_array();
	assert_int_equal(esig_from_json(j, &out, err, sizeof err), -1);
	json_decref(j);
	json_decref(good);
}

/* --- for people --------------------------------------------------------------- */

static void
test_meanings(void **state)
{
	static const char *const names[] = {
		"performed", "reviewed", "approved", "verified",
	};
	enum esig_meaning m;

	(void)state;
	for (int i = 0; i < ESIG_MEANING_COUNT_; i++) {
		assert_string_equal(esig_meaning_name((enum esig_meaning)i),
		    names[i]);
		assert_int_equal(esig_meaning_parse(names[i], &m), 0);
		assert_int_equal(m, i);
		assert_string_equal(esig_meaning_label((enum esig_meaning)i),
		    names[i]);	/* C locale: untranslated */
	}
	assert_int_equal(esig_meaning_parse("approve", &m), -1);
	assert_int_equal(esig_meaning_parse("", &m), -1);
	assert_null(esig_meaning_name(ESIG_MEANING_COUNT_));
	assert_string_equal(esig_meaning_label(ESIG_MEANING_COUNT_), "?");
}

static void
test_manifestation(void **state)
{
	struct esig s;
	char buf[512], small[12];

	(void)state;
	sample(&s);
	str_copy(s.reason, "pump P2 seal leak", sizeof s.reason);
	esig_manifestation(&s, buf, sizeof buf);
	assert_string_equal(buf, FULL_NAME " (alice) \xe2\x80\x94 approved "
	    "\xe2\x80\x94 2026-11-21 07:00:00 UTC \xe2\x80\x94 reason: "
	    "pump P2 seal leak");

	s.reason[0] = '\0';
	esig_manifestation(&s, buf, sizeof buf);
	assert_string_equal(buf, FULL_NAME " (alice) \xe2\x80\x94 approved "
	    "\xe2\x80\x94 2026-11-21 07:00:00 UTC");

	/* "Alice Nov" + the first byte of "á" fits in 11: cut before it. */
	esig_manifestation(&s, small, 11);
	assert_string_equal(small, "Alice Nov");
	esig_manifestation(&s, small, sizeof small);
	assert_string_equal(small, "Alice Nov\xc3\xa1");
}

/* --- for auditors --------------------------------------------------------------- */

static void
test_pem(void **state)
{
	static const unsigned char prefix[12] = {
		0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03,
		0x21, 0x00,
	};
	static const char head[] = "-----BEGIN PUBLIC KEY-----\n";
	static const char tail[] = "\n-----END PUBLIC KEY-----\n";
	struct keys k;
	char *pem, b64[128];
	unsigned char der[64];
	size_t b64len, derlen;

	(void)state;
	new_keys(&k);
	pem = ed25519_public_pem(k.pk);
	assert_non_null(pem);
	assert_int_equal(strncmp(pem, head, strlen(head)), 0);
	assert_true(strlen(pem) > strlen(head) + strlen(tail));
	assert_string_equal(pem + strlen(pem) - strlen(tail), tail);
	b64len = strlen(pem) - strlen(head) - strlen(tail);
	assert_int_equal(b64len, 60);
	memcpy(b64, pem + strlen(head), b64len);
	b64[b64len] = '\0';
	assert_int_equal(sodium_base642bin(der, sizeof der, b64, b64len, NULL,
	    &derlen, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(derlen, 44);
	assert_memory_equal(der, prefix, sizeof prefix);
	assert_memory_equal(der + 12, k.pk, 32);
	free(pem);
}

static void
write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static int
openssl_verify(const char *dir, const char *msgfile)
{
	char cmd[1024];

	snprintf(cmd, sizeof cmd, "openssl pkeyutl -verify -pubin -inkey "
	    "%s/key.pem -rawin -in %s/%s -sigfile %s/sig >/dev/null 2>&1",
	    dir, dir, msgfile, dir);
	return system(cmd);
}

/* What an auditor does with an export, with nothing of ours but the files. */
static void
test_openssl_verifies(void **state)
{
	struct keys k;
	struct esig s;
	char dir[] = "/tmp/jope-esign-XXXXXX", path[256], *msg, *pem;

	(void)state;
	if (system("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	new_keys(&k);
	signed_sample(&s, &k);
	msg = esig_message(&s);
	pem = ed25519_public_pem(k.pk);
	assert_non_null(mkdtemp(dir));

	snprintf(path, sizeof path, "%s/key.pem", dir);
	write_file(path, pem, strlen(pem));
	snprintf(path, sizeof path, "%s/msg", dir);
	write_file(path, msg, strlen(msg));
	snprintf(path, sizeof path, "%s/sig", dir);
	write_file(path, s.sig, sizeof s.sig);
	msg[strlen(msg) - 3] ^= 0x01;	/* one bit of the payload hash */
	snprintf(path, sizeof path, "%s/msg.bad", dir);
	write_file(path, msg, strlen(msg));

	assert_int_equal(openssl_verify(dir, "msg"), 0);
	assert_int_not_equal(openssl_verify(dir, "msg.bad"), 0);

	tmpdir_remove(dir);
	free(msg);
	free(pem);
}

/* --- policy ------------------------------------------------------------------ */

#define OP	APPROVAL_ROLE_BIT(KS_ROLE_OPERATOR)
#define SUP	APPROVAL_ROLE_BIT(KS_ROLE_SUPERVISOR)
#define QA	APPROVAL_ROLE_BIT(KS_ROLE_QA)
#define ADM	APPROVAL_ROLE_BIT(KS_ROLE_ADMIN)

static void
test_policy_defaults(void **state)
{
	static const enum approval_action two[] = {
		ACT_BATCH_ABORT, ACT_CONFIG_APPLY, ACT_SCHEMA_ROLLBACK,
		ACT_RESTORE, ACT_MAINTENANCE_ANNOUNCE,
	};
	struct approval_policy p;
	enum approval_action a;
	bool is_two;

	(void)state;
	assert_int_equal(OP, 1u);
	assert_int_equal(SUP, 2u);
	assert_int_equal(QA, 4u);
	assert_int_equal(ADM, 8u);
	approval_defaults(&p);
	for (int i = 0; i < ACT_COUNT_; i++) {
		is_two = false;
		for (size_t t = 0; t < ARRAY_LEN(two); t++)
			is_two |= two[t] == (enum approval_action)i;
		assert_int_equal(p.rule[i].signatures, is_two ? 2 : 1);
		assert_int_not_equal(p.rule[i].roles_first, 0);
		if (is_two)
			assert_int_not_equal(p.rule[i].roles_second, 0);
		else
			assert_int_equal(p.rule[i].roles_second, 0);
		/* Names round-trip. */
		assert_non_null(approval_action_name((enum approval_action)i));
		assert_int_equal(approval_action_parse(approval_action_name(
		    (enum approval_action)i), &a), 0);
		assert_int_equal(a, i);
	}
	assert_int_equal(p.rule[ACT_BATCH_START].signatures, 1);
	assert_int_equal(p.rule[ACT_USER_ADMIN].roles_first, ADM);
	assert_int_equal(p.rule[ACT_ALARM_ACK].roles_first,
	    OP | SUP | QA | ADM);
	assert_int_equal(p.rule[ACT_BATCH_ABORT].roles_second, SUP | QA);
	assert_string_equal(approval_action_name(ACT_MAINTENANCE_ANNOUNCE),
	    "maintenance_announce");
	assert_string_equal(approval_action_name(ACT_SCHEMA_ROLLBACK),
	    "schema_rollback");
	assert_null(approval_action_name(ACT_COUNT_));
	assert_int_equal(approval_action_parse("batch-abort", &a), -1);
}

static json_t *
json_of(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (j == NULL)
		fail_msg("bad test JSON %s: %s", text, jerr.text);
	return j;
}

static void
test_policy_from_json(void **state)
{
	struct approval_policy p, d;
	char err[256] = "";
	json_t *j;

	(void)state;
	approval_defaults(&d);
	p = d;
	j = json_of("{\"batch_start\": {\"signatures\": 2, "
	    "\"second\": [\"qa\"]},"
	    " \"batch_abort\": {\"first\": [\"supervisor\"]},"
	    " \"restore\": {\"signatures\": 1},"
	    " \"set_clock\": {\"signatures\": 1, \"first\": [\"admin\", "
	    "\"admin\"]}}");
	if (approval_policy_from_json(&p, j, err, sizeof err) != 0)
		fail_msg("%s", err);
	json_decref(j);

	assert_int_equal(p.rule[ACT_BATCH_START].signatures, 2);
	assert_int_equal(p.rule[ACT_BATCH_START].roles_first, OP | SUP);
	assert_int_equal(p.rule[ACT_BATCH_START].roles_second, QA);
	assert_int_equal(p.rule[ACT_BATCH_ABORT].signatures, 2);
	assert_int_equal(p.rule[ACT_BATCH_ABORT].roles_first, SUP);
	assert_int_equal(p.rule[ACT_BATCH_ABORT].roles_second, SUP | QA);
	/* Lowered from two to one: allowed, the plant's decision. */
	assert_int_equal(p.rule[ACT_RESTORE].signatures, 1);
	assert_int_equal(p.rule[ACT_RESTORE].roles_second, 0);
	assert_int_equal(p.rule[ACT_SET_CLOCK].roles_first, ADM);
	/* Everything not named kept its default. */
	for (int i = 0; i < ACT_COUNT_; i++) {
		if (i == ACT_BATCH_START || i == ACT_BATCH_ABORT ||
		    i == ACT_RESTORE || i == ACT_SET_CLOCK)
			continue;
		assert_memory_equal(&p.rule[i], &d.rule[i], sizeof p.rule[i]);
	}

	/* An empty object changes nothing. */
	j = json_object();
	assert_int_equal(approval_policy_from_json(&p, j, err, sizeof err), 0);
	json_decref(j);
}

static void
test_policy_from_json_errors(void **state)
{
	static const struct {
		const char *json;
		const char *names;	/* the error must contain this */
	} bad[] = {
		{ "[]", "signatures" },
		{ "{\"batch_start\": {}, \"batch_explode\": {}}",
		  "signatures.batch_explode" },
		{ "{\"batch_abort\": 2}", "signatures.batch_abort" },
		{ "{\"batch_abort\": {\"signatures\": 3}}",
		  "signatures.batch_abort.signatures" },
		{ "{\"batch_abort\": {\"signatures\": 0}}",
		  "signatures.batch_abort.signatures" },
		{ "{\"batch_abort\": {\"signatures\": \"2\"}}",
		  "signatures.batch_abort.signatures" },
		{ "{\"restore\": {\"first\": [\"operator\", \"boss\"]}}",
		  "signatures.restore.first[1]" },
		{ "{\"restore\": {\"second\": []}}",
		  "signatures.restore.second" },
		{ "{\"restore\": {\"second\": \"qa\"}}",
		  "signatures.restore.second" },
		{ "{\"restore\": {\"first\": [1]}}",
		  "signatures.restore.first[0]" },
		{ "{\"restore\": {\"thrid\": [\"qa\"]}}",
		  "signatures.restore.thrid" },
		{ "{\"batch_start\": {\"signatures\": 2}}",
		  "signatures.batch_start" },
		{ "{\"batch_start\": {\"second\": [\"qa\"]}}",
		  "signatures.batch_start.second" },
		{ "{\"restore\": {\"signatures\": 1, \"second\": [\"qa\"]}}",
		  "signatures.restore.second" },
	};
	struct approval_policy p, d;
	char err[256];
	json_t *j;

	(void)state;
	approval_defaults(&d);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		p = d;
		err[0] = '\0';
		j = json_of(bad[i].json);
		if (approval_policy_from_json(&p, j, err, sizeof err) != -1)
			fail_msg("accepted: %s", bad[i].json);
		if (strstr(err, bad[i].names) == NULL)
			fail_msg("%s: error does not name %s: %s",
			    bad[i].json, bad[i].names, err);
		/* All or nothing: batch_start above was valid, not applied. */
		assert_memory_equal(&p, &d, sizeof p);
		json_decref(j);
	}
}

/* --- the 4-eyes rules ----------------------------------------------------------- */

static void
test_check_same_user_refused(void **state)
{
	struct approval_policy p;
	char err[256] = "";

	(void)state;
	approval_defaults(&p);
	assert_int_equal(approval_check(&p, ACT_BATCH_ABORT, 0, 7, OP, 0,
	    err, sizeof err), 0);
	assert_int_equal(approval_check(&p, ACT_BATCH_ABORT, 1, 8, SUP, 7,
	    err, sizeof err), 0);
	/* A supervisor may fill both places, but never one person both. */
	assert_int_equal(approval_check(&p, ACT_BATCH_ABORT, 0, 8, SUP, 0,
	    err, sizeof err), 0);
	assert_int_equal(approval_check(&p, ACT_BATCH_ABORT, 1, 8, SUP, 8,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "different person"));
	/* Whatever the policy allows. */
	p.rule[ACT_BATCH_ABORT].roles_second = APPROVAL_ROLES_ALL;
	assert_int_equal(approval_check(&p, ACT_BATCH_ABORT, 1, 7, OP, 7,
	    err, sizeof err), -1);
}

static void
test_check_wrong_role_refused(void **state)
{
	struct approval_policy p;
	char err[256] = "";

	(void)state;
	approval_defaults(&p);
	/* First place of a restore: admin only. */
	assert_int_equal(approval_check(&p, ACT_RESTORE, 0, 3, OP, 0,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "first"));
	assert_non_null(strstr(err, "operator"));
	assert_non_null(strstr(err, "admin"));
	assert_int_equal(approval_check(&p, ACT_RESTORE, 0, 3, ADM, 0,
	    err, sizeof err), 0);
	/* Second place: QA only. */
	assert_int_equal(approval_check(&p, ACT_RESTORE, 1, 4, SUP, 3,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "second"));
	assert_int_equal(approval_check(&p, ACT_RESTORE, 1, 4, ADM, 3,
	    err, sizeof err), -1);
	assert_int_equal(approval_check(&p, ACT_RESTORE, 1, 4, QA, 3,
	    err, sizeof err), 0);
	/* An operator may not confirm an abort; no role at all, nothing. */
	assert_int_equal(approval_check(&p, ACT_BATCH_ABORT, 1, 4, OP, 3,
	    err, sizeof err), -1);
	assert_int_equal(approval_check(&p, ACT_ALARM_ACK, 0, 4, 0, 0,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "no role"));
	/* Admins administer users; operators do not. */
	assert_int_equal(approval_check(&p, ACT_USER_ADMIN, 0, 4, OP, 0,
	    err, sizeof err), -1);
	assert_int_equal(approval_check(&p, ACT_USER_ADMIN, 0, 4, ADM, 0,
	    err, sizeof err), 0);
}

static void
test_check_places(void **state)
{
	struct approval_policy p;
	char err[256] = "";

	(void)state;
	approval_defaults(&p);
	assert_int_equal(approval_check(&p, ACT_BATCH_START, 1, 4, SUP, 3,
	    err, sizeof err), -1);
	assert_int_equal(approval_check(&p, ACT_BATCH_ABORT, 2, 4, SUP, 3,
	    err, sizeof err), -1);
	assert_int_equal(approval_check(&p, ACT_BATCH_ABORT, -1, 4, SUP, 3,
	    err, sizeof err), -1);
	assert_int_equal(approval_check(&p, ACT_COUNT_, 0, 4, SUP, 0,
	    err, sizeof err), -1);
	assert_int_equal(approval_check(&p, ACT_BATCH_START, 0, 0, OP, 0,
	    err, sizeof err), -1);
}

/* Two signatures by users first_id and second_id over the same payload. */
static void
two_sigs(struct esig sigs[2], int64_t first_id, int64_t second_id)
{
	sample(&sigs[0]);
	sample(&sigs[1]);
	sigs[0].user_id = first_id;
	sigs[0].meaning = ESIG_PERFORMED;
	sigs[1].user_id = second_id;
	str_copy(sigs[1].user, "bob", sizeof sigs[1].user);
	sigs[1].ts_us += 30000000;
}

static void
test_complete(void **state)
{
	struct approval_policy p;
	struct esig sigs[3];
	unsigned roles[3] = { OP, SUP, QA };
	char err[256] = "";

	(void)state;
	approval_defaults(&p);
	two_sigs(sigs, 7, 8);
	sigs[2] = sigs[1];
	sigs[2].user_id = 9;
	if (approval_complete(&p, ACT_BATCH_ABORT, sigs, 2, roles, err,
	    sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(approval_complete(&p, ACT_BATCH_START, sigs, 1, roles,
	    err, sizeof err), 0);

	/* Too few, too many. */
	assert_int_equal(approval_complete(&p, ACT_BATCH_ABORT, sigs, 1, roles,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "needs 2"));
	assert_int_equal(approval_complete(&p, ACT_BATCH_ABORT, sigs, 0, roles,
	    err, sizeof err), -1);
	assert_int_equal(approval_complete(&p, ACT_BATCH_ABORT, sigs, 3, roles,
	    err, sizeof err), -1);
	assert_int_equal(approval_complete(&p, ACT_BATCH_START, sigs, 2, roles,
	    err, sizeof err), -1);

	/* The same person twice. */
	sigs[1].user_id = 7;
	assert_int_equal(approval_complete(&p, ACT_BATCH_ABORT, sigs, 2, roles,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "different person"));
	sigs[1].user_id = 8;

	/* A wrong role in either place. */
	roles[0] = QA;
	assert_int_equal(approval_complete(&p, ACT_BATCH_ABORT, sigs, 2, roles,
	    err, sizeof err), -1);
	roles[0] = OP;
	roles[1] = OP;
	assert_int_equal(approval_complete(&p, ACT_BATCH_ABORT, sigs, 2, roles,
	    err, sizeof err), -1);
	roles[1] = SUP;

	/* The second signer signed something else. */
	esig_payload_hash("abd", 3, sigs[1].payload_hash);
	assert_int_equal(approval_complete(&p, ACT_BATCH_ABORT, sigs, 2, roles,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "different payload"));
	esig_payload_hash("abc", 3, sigs[1].payload_hash);
	assert_int_equal(approval_complete(&p, ACT_BATCH_ABORT, sigs, 2, roles,
	    err, sizeof err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_every_field_is_bound),
		cmocka_unit_test(test_payload_hash_is_sha256),
		cmocka_unit_test(test_canonical_message),
		cmocka_unit_test(test_invalid_refused),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_from_json_refuses),
		cmocka_unit_test(test_meanings),
		cmocka_unit_test(test_manifestation),
		cmocka_unit_test(test_pem),
		cmocka_unit_test(test_openssl_verifies),
		cmocka_unit_test(test_policy_defaults),
		cmocka_unit_test(test_policy_from_json),
		cmocka_unit_test(test_policy_from_json_errors),
		cmocka_unit_test(test_check_same_user_refused),
		cmocka_unit_test(test_check_wrong_role_refused),
		cmocka_unit_test(test_check_places),
		cmocka_unit_test(test_complete),
	};

	/* Messages untranslated, whatever the environment says. */
	setlocale(LC_ALL, "C");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
