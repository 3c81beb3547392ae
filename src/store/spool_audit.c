/*
 * spool_audit.c: the spool's copy of the audit trail (spool.h).
 *
 * The spool keeps the events and the two ends of the chain: the head (the
 * last event appended) and the base (the last event uploaded and deleted,
 * which the first event still in the spool follows).  Both live in
 * spool_meta and move in the same transaction as the rows, so the chain in
 * the spool can always be checked from its base on.  Sealing (hashing and
 * signing) is the caller's: the spool stores bytes, compliance/audit.c knows
 * what they mean.  Audit events are rare (people's actions), so statements
 * are prepared per call rather than kept.
 */
#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "core/i18n.h"
#include "store/spool.h"
#include "store/spool_impl.h"

/* Prepare sql, or record the error; NULL on failure. */
static sqlite3_stmt *
prepare(struct spool *sp, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(sp->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

/* A meta key holding a seq and one holding a 32-byte hash. */
static int
read_end(struct spool *sp, const char *seq_key, const char *hash_key,
    int64_t *seq, unsigned char hash[32])
{
	sqlite3_stmt *st = prepare(sp, "SELECT (SELECT value FROM spool_meta"
	    " WHERE key = ?1), (SELECT value FROM spool_meta WHERE key = ?2)");
	int ok = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, seq_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash_key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == 32) {
		*seq = sqlite3_column_int64(st, 0);
		memcpy(hash, sqlite3_column_blob(st, 1), 32);
		ok = 1;
	}
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

static int
write_end(struct spool *sp, const char *seq_key, const char *hash_key,
    int64_t seq, const unsigned char hash[32])
{
	sqlite3_stmt *st = prepare(sp, "UPDATE spool_meta SET value ="
	    " CASE key WHEN ?1 THEN ?3 ELSE ?4 END WHERE key IN (?1, ?2)");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, seq_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_blob(st, 4, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE && sqlite3_changes(sp->db) == 2 ? 0 : -1;
}

int
spool_audit_move_base(struct spool *sp, int64_t seq)
{
	sqlite3_stmt *st = prepare(sp, "SELECT hash FROM audit_log"
	    " WHERE seq = ?1");
	unsigned char hash[32];
	int64_t base;
	int found = 0;

	if (st == NULL)
		return -1;
	/* A late commit of an older range never moves the base back. */
	if (read_end(sp, "audit_base_seq", "audit_base_hash", &base,
	    hash) != 0) {
		sqlite3_finalize(st);
		return -1;
	}
	if (seq <= base) {
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_bind_int64(st, 1, seq);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(hash, sqlite3_column_blob(st, 0), 32);
		found = 1;
	}
	sqlite3_finalize(st);
	/* Gone already (an earlier commit of the same range): nothing moves. */
	if (!found)
		return 0;
	return write_end(sp, "audit_base_seq", "audit_base_hash", seq, hash);
}

int
spool_audit_append(struct spool *sp, struct spool_audit *r,
    int (*seal)(void *ctx, struct spool_audit *r), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (r == NULL || seal == NULL || r->kind == NULL || r->actor == NULL ||
	    r->payload == NULL) {
		spool_set_error(sp, _("cannot append to the audit trail: bad "
		    "arguments"));
		goto out;
	}
	if (spool_db_begin(sp) != 0 ||
	    read_end(sp, "audit_head_seq", "audit_head_hash", &r->seq,
	    r->prev_hash) != 0)
		goto dberr;
	r->seq++;
	if (seal(ctx, r) != 0) {
		spool_set_error(sp, _("cannot seal the audit event"));
		spool_db_rollback(sp);
		goto out;
	}
	st = prepare(sp, "INSERT INTO audit_log (seq, ts_us, kind, actor,"
	    " payload, prev_hash, hash, sig) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	    " ?7, ?8)");
	if (st == NULL)
		goto dberr;
	sqlite3_bind_int64(st, 1, r->seq);
	sqlite3_bind_int64(st, 2, r->ts_us);
	sqlite3_bind_text(st, 3, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->payload, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, r->prev_hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, r->hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, r->sig, 64, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE ||
	    write_end(sp, "audit_head_seq", "audit_head_hash", r->seq,
	    r->hash) != 0 || spool_db_commit(sp) != 0)
		goto dberr;
	sp->rows[SPOOL_AUDIT]++;
	ret = 0;
	goto out;
dberr:
	spool_set_db_error(sp, _("cannot append to the audit trail"));
	spool_db_rollback(sp);
out:
	sqlite3_finalize(st);
	spool_unlock(sp);
	return ret;
}

int
spool_audit_each(struct spool *sp, int64_t from,
    int (*cb)(void *ctx, const struct spool_audit *r), void *ctx)
{
	struct spool_audit r;
	sqlite3_stmt *st;
	int rc, ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	st = prepare(sp, "SELECT seq, ts_us, kind, actor, payload, prev_hash,"
	    " hash, sig FROM audit_log WHERE seq >= ?1 ORDER BY seq");
	if (st == NULL || cb == NULL) {
		spool_set_db_error(sp, _("cannot read the audit trail"));
		goto out;
	}
	sqlite3_bind_int64(st, 1, from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof r);
		r.seq = sqlite3_column_int64(st, 0);
		r.ts_us = sqlite3_column_int64(st, 1);
		r.kind = (const char *)sqlite3_column_text(st, 2);
		r.actor = (const char *)sqlite3_column_text(st, 3);
		r.payload = (const char *)sqlite3_column_text(st, 4);
		/* A blob of the wrong size stays zeros: the check will say. */
		if (sqlite3_column_bytes(st, 5) == 32)
			memcpy(r.prev_hash, sqlite3_column_blob(st, 5), 32);
		if (sqlite3_column_bytes(st, 6) == 32)
			memcpy(r.hash, sqlite3_column_blob(st, 6), 32);
		if (sqlite3_column_bytes(st, 7) == 64)
			memcpy(r.sig, sqlite3_column_blob(st, 7), 64);
		if (r.kind == NULL)
			r.kind = "";
		if (r.actor == NULL)
			r.actor = "";
		if (r.payload == NULL)
			r.payload = "";
		if (cb(ctx, &r) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc == SQLITE_DONE)
		ret = 0;
	else
		spool_set_db_error(sp, _("cannot read the audit trail"));
out:
	sqlite3_finalize(st);
	spool_unlock(sp);
	return ret;
}

int
spool_audit_ends(struct spool *sp, int64_t *base_seq,
    unsigned char base_hash[32], int64_t *head_seq,
    unsigned char head_hash[32])
{
	int ret = 0;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (read_end(sp, "audit_base_seq", "audit_base_hash", base_seq,
	    base_hash) != 0 || read_end(sp, "audit_head_seq",
	    "audit_head_hash", head_seq, head_hash) != 0) {
		spool_set_db_error(sp, _("cannot read the audit trail"));
		ret = -1;
	}
	spool_unlock(sp);
	return ret;
}
