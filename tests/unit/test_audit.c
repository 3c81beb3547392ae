/*
 * test_audit.c: the specification of the audit chain (compliance/audit.c)
 * as the spool keeps it (audit_log.c, store/spool_audit.c), as tests.
 *
 * Each test builds its own trail of TRAIL events in a fresh spool under
 * /tmp with audit_log_append(), the one way events enter it: plain events,
 * and every fourth an action signed by one user (every eighth by two).  It
 * then tampers with the file through the sqlite3 C API directly, as someone
 * with the file but without the console's key would, and walks the chain
 * the way `jope-smb audit verify` does (from the spool's base, with
 * audit_verify_next).  Every kind of tampering must be detected and located
 * at the right seq:
 *
 *   tampering                                   first fault      at
 *   ------------------------------------------  ---------------  --------
 *   none                                        -                -
 *   payload edited                              AUDIT_HASH       the row
 *   payload edited, hash recomputed (no key)    AUDIT_SIGNATURE  the row
 *   row deleted                                 AUDIT_SEQ        the next
 *   two rows' seqs swapped (reorder)            AUDIT_PREV       the first
 *   forged row inserted in the middle           AUDIT_SIGNATURE  the row
 *   forged row appended after the head          AUDIT_SIGNATURE  the row
 *   kind or actor edited                        AUDIT_HASH       the row
 *   console signature replaced                  AUDIT_SIGNATURE  the row
 *   user signature by another key               AUDIT_USER_SIG.  the event
 *   user signature over another action          AUDIT_USER_SIG.  the event
 *   user signature of an unknown user           AUDIT_USER_SIG.  the event
 *   first events uploaded (base moved), intact  -                -
 *   ... then the first event after base gone    AUDIT_SEQ        the next
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "compliance/audit.h"
#include "compliance/audit_log.h"
#include "compliance/console_key.h"
#include "compliance/esign.h"
#include "core/util.h"
#include "store/spool.h"
#include "tests/unit/tmpdir.h"

#define TRAIL	20
#define TS0	INT64_C(1795244400123456)	/* 2026-11-21T07:00:00.123456Z */
#define NUSERS	2

struct fixture {
	char dir[64];
	char path[128];
	struct console_key *key;
	unsigned char upk[NUSERS + 1][32];	/* user id 1, 2 */
	unsigned char usk[NUSERS + 1][64];
	int64_t user_sigs;			/* signatures in the trail */
};

struct result {
	size_t faults;
	int64_t first_seq;
	enum audit_fault first;
	char why[512];
	int64_t checked, user_signatures;
};

static const char *const user_names[NUSERS + 1] = { "", "alice", "bob" };
static const char *const full_names[NUSERS + 1] = { "", "Alice Chen",
	"Bob Wang" };

/* The payload of an action signed by the users in ids (n of them). */
static json_t *
signed_payload(struct fixture *f, json_t *action, const int *ids, size_t n,
    const unsigned char *const *keys, json_t *hashed_action)
{
	char *text = json_dumps(hashed_action != NULL ? hashed_action : action,
	    JSON_COMPACT | JSON_SORT_KEYS);
	json_t *sigs = json_array();

	assert_non_null(text);
	for (size_t i = 0; i < n; i++) {
		struct esig s;

		memset(&s, 0, sizeof s);
		s.user_id = ids[i];
		str_copy(s.user, user_names[ids[i] <= NUSERS ? ids[i] : 1],
		    sizeof s.user);
		str_copy(s.full_name, full_names[ids[i] <= NUSERS ? ids[i] :
		    1], sizeof s.full_name);
		s.meaning = i == 0 ? ESIG_PERFORMED : ESIG_APPROVED;
		str_copy(s.reason, "test", sizeof s.reason);
		s.ts_us = TS0;
		audit_action_hash(text, s.payload_hash);
		assert_int_equal(esig_sign(&s, keys != NULL ? keys[i] :
		    f->usk[ids[i]]), 0);
		json_array_append_new(sigs, esig_to_json(&s));
	}
	free(text);
	json_decref(hashed_action);
	return json_pack("{s:o,s:o}", "action", action, "signatures", sigs);
}

static int64_t
append(struct fixture *f, struct spool *sp, const char *kind,
    const char *actor, json_t *payload, int64_t ts)
{
	char err[512] = "";
	int64_t seq = audit_log_append(sp, f->key, kind, actor, payload, ts,
	    err, sizeof err);

	if (seq < 0)
		fail_msg("audit_log_append: %s", err);
	return seq;
}

/* TRAIL events: plain ones, and every fourth an action signed. */
static void
build_trail(struct fixture *f)
{
	struct spool *sp = NULL;
	char err[512] = "";

	if (spool_open(f->path, &sp, err, sizeof err) != 0)
		fail_msg("spool_open: %s", err);
	for (int i = 1; i <= TRAIL; i++) {
		int64_t ts = TS0 + i * INT64_C(1000000);

		if (i % 4 == 0) {
			static const int both[2] = { 1, 2 };
			size_t n = i % 8 == 0 ? 2 : 1;

			append(f, sp, "batch_start", "alice", signed_payload(f,
			    json_pack("{s:s,s:s,s:i}", "action", "batch_start",
			    "batch", "B-17", "n", i), both, n, NULL, NULL), ts);
			f->user_sigs += (int64_t)n;
		} else {
			append(f, sp, i == 1 ? "console_start" : "alarm_ack",
			    i % 2 ? "" : "bob", json_pack("{s:i,s:s}", "n", i,
			    "text", "Druck \xc3\xbc" "ber Grenzwert"), ts);
		}
	}
	spool_close(sp);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[512] = "";

	if (f == NULL || sodium_init() < 0)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/jope-audit-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/spool.db", f->dir);
	if ((f->key = console_key_load(f->dir, err, sizeof err)) == NULL) {
		fprintf(stderr, "console_key_load: %s\n", err);
		return -1;
	}
	for (int i = 1; i <= NUSERS; i++)
		crypto_sign_keypair(f->upk[i], f->usk[i]);
	build_trail(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	console_key_free(f->key);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* audit_verifier.user_key: the fixture's users 1 and 2. */
static int
user_key(void *ctx, int64_t id, unsigned char pk[32])
{
	struct fixture *f = ctx;

	if (id < 1 || id > NUSERS)
		return -1;
	memcpy(pk, f->upk[id], 32);
	return 0;
}

struct walk {
	struct audit_verifier v;
	struct result *r;
};

static int
walk_cb(void *ctx, const struct spool_audit *row)
{
	struct walk *w = ctx;
	struct audit_event e;
	enum audit_fault fault;
	char why[512];

	memset(&e, 0, sizeof e);
	e.seq = row->seq;
	e.ts_us = row->ts_us;
	str_copy(e.kind, row->kind, sizeof e.kind);
	str_copy(e.actor, row->actor, sizeof e.actor);
	e.payload = row->payload;
	memcpy(e.prev_hash, row->prev_hash, 32);
	memcpy(e.hash, row->hash, 32);
	memcpy(e.sig, row->sig, 64);
	fault = audit_verify_next(&w->v, &e, why, sizeof why);
	if (fault != AUDIT_OK && w->r->faults++ == 0) {
		w->r->first_seq = e.seq;
		w->r->first = fault;
		str_copy(w->r->why, why, sizeof w->r->why);
	}
	return 0;
}

/* Walk the spool's chain from its base, as `audit verify` does. */
static void
verify(struct fixture *f, struct result *r)
{
	unsigned char base_hash[32], head_hash[32];
	int64_t base_seq, head_seq;
	struct spool *sp = NULL;
	struct walk w;
	char err[512] = "";

	memset(r, 0, sizeof *r);
	if (spool_open(f->path, &sp, err, sizeof err) != 0)
		fail_msg("spool_open: %s", err);
	assert_int_equal(spool_audit_ends(sp, &base_seq, base_hash, &head_seq,
	    head_hash), 0);
	memset(&w, 0, sizeof w);
	w.r = r;
	audit_verifier_init(&w.v, console_key_public(f->key), base_seq == 0);
	w.v.user_key = user_key;
	w.v.ctx = f;
	if (base_seq > 0) {
		w.v.started = true;
		w.v.next_seq = base_seq + 1;
		memcpy(w.v.prev, base_hash, 32);
	}
	assert_int_equal(spool_audit_each(sp, 0, walk_cb, &w), 0);
	spool_close(sp);
	r->checked = w.v.checked;
	r->user_signatures = w.v.user_signatures;
}

static void
expect_fault(struct fixture *f, enum audit_fault what, int64_t seq,
    const char *words)
{
	struct result r;

	verify(f, &r);
	if (r.faults == 0)
		fail_msg("tampering not detected (want %s at %" PRId64 ")",
		    audit_fault_name(what), seq);
	if (r.first != what || r.first_seq != seq)
		fail_msg("first fault %s at %" PRId64 " (%s); want %s at %"
		    PRId64, audit_fault_name(r.first), r.first_seq, r.why,
		    audit_fault_name(what), seq);
	if (words != NULL && strstr(r.why, words) == NULL)
		fail_msg("message \"%s\" does not say \"%s\"", r.why, words);
	/* The message names the seq. */
	{
		char num[32];

		snprintf(num, sizeof num, "%" PRId64, seq);
		if (strstr(r.why, num) == NULL)
			fail_msg("message \"%s\" does not name %s", r.why, num);
	}
}

/* --- raw access to the file, as a tamperer has it ------------------------ */

static sqlite3 *
raw_open(struct fixture *f)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void
raw_exec(struct fixture *f, const char *sql)
{
	sqlite3 *db = raw_open(f);
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

/* Row seq as an event; *payload is malloc'ed. */
static void
raw_event(sqlite3 *db, int64_t seq, struct audit_event *e, char **payload)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT ts_us, kind, actor,"
	    " payload, prev_hash, hash, sig FROM audit_log WHERE seq = ?1", -1,
	    &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, seq);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	memset(e, 0, sizeof *e);
	e->seq = seq;
	e->ts_us = sqlite3_column_int64(st, 0);
	str_copy(e->kind, (const char *)sqlite3_column_text(st, 1),
	    sizeof e->kind);
	str_copy(e->actor, (const char *)sqlite3_column_text(st, 2),
	    sizeof e->actor);
	*payload = xstrdup((const char *)sqlite3_column_text(st, 3));
	e->payload = *payload;
	memcpy(e->prev_hash, sqlite3_column_blob(st, 4), 32);
	memcpy(e->hash, sqlite3_column_blob(st, 5), 32);
	memcpy(e->sig, sqlite3_column_blob(st, 6), 64);
	sqlite3_finalize(st);
}

/* Store e as row e->seq (INSERT OR REPLACE). */
static void
raw_store(sqlite3 *db, const struct audit_event *e)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO"
	    " audit_log (seq, ts_us, kind, actor, payload, prev_hash, hash,"
	    " sig) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, e->seq);
	sqlite3_bind_int64(st, 2, e->ts_us);
	sqlite3_bind_text(st, 3, e->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->payload, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, e->prev_hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, e->hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, e->sig, 64, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* The hash a tamperer can compute: SHA-256 of the canonical bytes. */
static void
rehash(struct audit_event *e)
{
	size_t n;
	char *msg = audit_message(e, &n);

	crypto_hash_sha256(e->hash, (const unsigned char *)msg, n);
	free(msg);
}

/* --- tests ---------------------------------------------------------------- */

static void
test_intact(void **state)
{
	struct fixture *f = *state;
	struct result r;

	verify(f, &r);
	if (r.faults != 0)
		fail_msg("fault in an untouched trail: %s", r.why);
	assert_int_equal(r.checked, TRAIL);
	assert_int_equal(r.user_signatures, f->user_sigs);
	assert_int_equal(f->user_sigs, 7);
}

static void
test_edit_payload(void **state)
{
	struct fixture *f = *state;
	struct result r;

	raw_exec(f, "UPDATE audit_log SET payload = replace(payload,"
	    " '\"n\":7', '\"n\":70') WHERE seq = 7");
	expect_fault(f, AUDIT_HASH, 7, "changed");
	verify(f, &r);
	assert_int_equal(r.faults, 1);		/* the chain goes on */
	assert_int_equal(r.checked, TRAIL - 1);
}

static void
test_edit_payload_rehash(void **state)
{
	struct fixture *f = *state;
	struct audit_event e;
	sqlite3 *db = raw_open(f);
	char *payload;

	raw_event(db, 12, &e, &payload);
	free(payload);
	e.payload = payload = xstrdup("{\"action\":\"nothing happened\"}");
	rehash(&e);
	raw_store(db, &e);
	sqlite3_close(db);
	free(payload);
	expect_fault(f, AUDIT_SIGNATURE, 12, "console");
}

static void
test_edit_kind_and_actor(void **state)
{
	struct fixture *f = *state;

	raw_exec(f, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3");
	expect_fault(f, AUDIT_HASH, 3, "changed");
}

static void
test_replace_console_signature(void **state)
{
	struct fixture *f = *state;

	raw_exec(f, "UPDATE audit_log SET sig = (SELECT sig FROM audit_log"
	    " WHERE seq = 4) WHERE seq = 5");
	expect_fault(f, AUDIT_SIGNATURE, 5, NULL);
}

static void
test_delete_row(void **state)
{
	struct fixture *f = *state;

	raw_exec(f, "DELETE FROM audit_log WHERE seq = 8");
	expect_fault(f, AUDIT_SEQ, 9, "missing");
}

static void
test_delete_first_row(void **state)
{
	struct fixture *f = *state;

	raw_exec(f, "DELETE FROM audit_log WHERE seq = 1");
	expect_fault(f, AUDIT_SEQ, 2, "missing");
}

static void
test_reorder(void **state)
{
	struct fixture *f = *state;

	raw_exec(f, "UPDATE audit_log SET seq = -1 WHERE seq = 5;"
	    "UPDATE audit_log SET seq = 5 WHERE seq = 6;"
	    "UPDATE audit_log SET seq = 6 WHERE seq = -1;");
	expect_fault(f, AUDIT_PREV, 5, "prev_hash");
}

/* A forged event with a correct chain and hash, signed by another key. */
static void
forge(sqlite3 *db, int64_t seq, const unsigned char prev[32])
{
	unsigned char pk[32], sk[64];
	struct audit_event e;
	size_t n;
	char *msg;

	crypto_sign_keypair(pk, sk);
	memset(&e, 0, sizeof e);
	e.seq = seq;
	e.ts_us = TS0 + seq * INT64_C(1000000) + 1;
	str_copy(e.kind, "user_added", sizeof e.kind);
	str_copy(e.actor, "alice", sizeof e.actor);
	e.payload = "{\"action\":{\"action\":\"user_add\",\"user\":\"mallory\"}}";
	memcpy(e.prev_hash, prev, 32);
	msg = audit_message(&e, &n);
	crypto_hash_sha256(e.hash, (const unsigned char *)msg, n);
	crypto_sign_detached(e.sig, NULL, (const unsigned char *)msg, n, sk);
	free(msg);
	raw_store(db, &e);
}

static void
test_insert_forged_row(void **state)
{
	struct fixture *f = *state;
	struct audit_event e10;
	sqlite3 *db;
	char *payload;

	/* Make room after event 10, then put a forged event there. */
	raw_exec(f, "UPDATE audit_log SET seq = -(seq + 1) WHERE seq > 10;"
	    "UPDATE audit_log SET seq = -seq WHERE seq < 0;");
	db = raw_open(f);
	raw_event(db, 10, &e10, &payload);
	free(payload);
	forge(db, 11, e10.hash);
	sqlite3_close(db);
	expect_fault(f, AUDIT_SIGNATURE, 11, "console");
}

static void
test_append_forged_row(void **state)
{
	struct fixture *f = *state;
	struct audit_event last;
	sqlite3 *db = raw_open(f);
	char *payload;

	raw_event(db, TRAIL, &last, &payload);
	free(payload);
	forge(db, TRAIL + 1, last.hash);
	sqlite3_close(db);
	expect_fault(f, AUDIT_SIGNATURE, TRAIL + 1, "console");
}

static void
test_insert_duplicate_of_earlier(void **state)
{
	struct fixture *f = *state;
	struct audit_event e;
	sqlite3 *db = raw_open(f);
	char *payload;

	/* A genuine, sealed event copied to the end: its seq is wrong. */
	raw_event(db, 4, &e, &payload);
	e.seq = TRAIL + 1;
	raw_store(db, &e);
	sqlite3_close(db);
	free(payload);
	expect_fault(f, AUDIT_PREV, TRAIL + 1, NULL);
}

/* Append one more event whose user signature is bad in some way. */
static void
append_bad_user_sig(struct fixture *f, int how)
{
	unsigned char opk[32], osk[64];
	const unsigned char *keys[1];
	struct spool *sp = NULL;
	char err[512] = "";
	int ids[1] = { 1 };
	json_t *payload;

	crypto_sign_keypair(opk, osk);
	keys[0] = how == 0 ? osk : f->usk[1];
	if (how == 2)
		ids[0] = 9;	/* nobody's id */
	if (spool_open(f->path, &sp, err, sizeof err) != 0)
		fail_msg("spool_open: %s", err);
	payload = signed_payload(f, json_pack("{s:s,s:s}", "action",
	    "batch_abort", "batch", "B-17"), ids, 1, keys, how == 1 ?
	    json_pack("{s:s,s:s}", "action", "batch_abort", "batch", "B-18") :
	    NULL);
	append(f, sp, "batch_abort", "alice", payload, 0);
	spool_close(sp);
}

static void
test_user_signature_wrong_key(void **state)
{
	struct fixture *f = *state;

	append_bad_user_sig(f, 0);
	expect_fault(f, AUDIT_USER_SIGNATURE, TRAIL + 1, "does not verify");
}

static void
test_user_signature_other_action(void **state)
{
	struct fixture *f = *state;

	append_bad_user_sig(f, 1);
	expect_fault(f, AUDIT_USER_SIGNATURE, TRAIL + 1, "another action");
}

static void
test_user_signature_unknown_user(void **state)
{
	struct fixture *f = *state;

	append_bad_user_sig(f, 2);
	expect_fault(f, AUDIT_USER_SIGNATURE, TRAIL + 1, "no public key");
}

static void
test_user_signature_edited_in_payload(void **state)
{
	struct fixture *f = *state;
	struct audit_event e;
	sqlite3 *db = raw_open(f);
	char *payload, *p;

	/* Event 8 carries two signatures: make the reason of one say more
	 * and reseal the event's hash: the console signature catches it
	 * first; with the console check passed (re-signed by the console's
	 * own key, as only an insider could) the user signature does. */
	raw_event(db, 8, &e, &payload);
	p = strstr(payload, "\"reason\":\"test\"");
	assert_non_null(p);
	memcpy(p, "\"reason\":\"TEST\"", 15);
	audit_seal(&e, console_key_secret(f->key));
	raw_store(db, &e);
	sqlite3_close(db);
	free(payload);
	expect_fault(f, AUDIT_USER_SIGNATURE, 8, "does not verify");
}

/* Upload (and so delete) the first k events: the spool's base moves. */
static void
upload_first(struct fixture *f, int64_t k)
{
	struct spool_upload up;
	struct spool *sp = NULL;
	char err[512] = "";

	if (spool_open(f->path, &sp, err, sizeof err) != 0)
		fail_msg("spool_open: %s", err);
	assert_int_equal(spool_upload_begin(sp, SPOOL_AUDIT, k, &up), 1);
	assert_int_equal(up.first_seq, 1);
	assert_int_equal(up.last_seq, k);
	assert_int_equal(spool_upload_commit(sp, &up), 0);
	spool_close(sp);
}

static void
test_from_base(void **state)
{
	struct fixture *f = *state;
	struct result r;

	upload_first(f, 5);
	verify(f, &r);
	if (r.faults != 0)
		fail_msg("fault after an upload: %s", r.why);
	assert_int_equal(r.checked, TRAIL - 5);
	raw_exec(f, "DELETE FROM audit_log WHERE seq = 6");
	expect_fault(f, AUDIT_SEQ, 7, "missing");
}

static void
test_from_base_edited_first(void **state)
{
	struct fixture *f = *state;

	upload_first(f, 5);
	/* Event 6 made to follow something else than the uploaded base. */
	raw_exec(f, "UPDATE audit_log SET prev_hash = zeroblob(32)"
	    " WHERE seq = 6");
	expect_fault(f, AUDIT_PREV, 6, "prev_hash");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_intact),
		T(test_edit_payload),
		T(test_edit_payload_rehash),
		T(test_edit_kind_and_actor),
		T(test_replace_console_signature),
		T(test_delete_row),
		T(test_delete_first_row),
		T(test_reorder),
		T(test_insert_forged_row),
		T(test_append_forged_row),
		T(test_insert_duplicate_of_earlier),
		T(test_user_signature_wrong_key),
		T(test_user_signature_other_action),
		T(test_user_signature_unknown_user),
		T(test_user_signature_edited_in_payload),
		T(test_from_base),
		T(test_from_base_edited_first),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
