/*
 * spool_upload.c: how records leave the spool.
 *
 * Three ways out, all of them deletes by the streams' seq: the upload
 * transactions (spool_upload_begin/each/commit/abort/reset), that carry
 * records to the historian and delete them once it has them; retention
 * (spool_purge_older), that deletes what waited too long; and, read-only,
 * the backlog per point for `jope-smb status` (spool_backlog_by_point).
 * spool.c opens the spool, puts records in and owns the locking and the
 * helpers used here; both files share struct spool through spool_impl.h.
 * The SQL of this file's statements is here (spool_upload_sql[]), and
 * spool.c prepares it at open with its own.
 *
 * Upload transactions.  upload_tx holds the marks, a seq range each, instead
 * of a column in every row: marking a batch is one insert, not an update of
 * every record.  Because seqs are assigned in commit order, the range
 * [first_seq, last_seq] is exactly the records marked; records added
 * meanwhile get higher seqs and stay unmarked.  spool_upload_begin() finds
 * the range and stores the mark in one IMMEDIATE transaction, so that
 * another process's marks cannot interleave.  The commit deletes the range
 * (the rowid B-tree serves it alone) and the mark; an abort deletes only the
 * mark.  Records inside an open mark are the last that make_room() (spool.c)
 * drops when the spool is full: they are probably on their way to the
 * historian already.
 *
 * Retention.  spool_purge_older() deletes in short transactions of at most
 * SPOOL_PURGE_CHUNK rows, each scanning from the oldest end (there is no
 * index on ts_us, see spool.c) and stopping at its chunk size, and lets go of
 * the spool between them (spool_pause) so that a long purge does not hold up
 * the writers.  It counts what it removed in spool_meta (purged_rows,
 * purge_events, last_purge_us).
 *
 * Every delete adjusts sp->rows[] once its transaction committed, so that
 * spool_counts() need not count (see Counts in spool.c).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "core/i18n.h"
#include "store/spool.h"
#include "store/spool_impl.h"

#define SPOOL_PURGE_CHUNK 10000		/* rows per retention transaction */

/* The SQL of this file's statements (see the enum in spool_impl.h). */
const char *const spool_upload_sql[ST_COUNT_] = {
	[ST_MARK] = "SELECT max(last_seq) FROM upload_tx WHERE stream = ?1",
	[ST_INS_UPLOAD] =
	    "INSERT INTO upload_tx (stream, first_seq, last_seq, rows, started_us)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_DEL_UPLOAD] = "DELETE FROM upload_tx WHERE tx = ?1",
	[ST_DEL_UPLOADS] = "DELETE FROM upload_tx",
	[ST_BACKLOG] =
	    "SELECT point_id, count(*), min(ts_us), max(ts_us) FROM samples"
	    " GROUP BY point_id ORDER BY point_id",
};

/* The columns spool_upload_each() reads, in the order fill_record() wants. */
#define SAMPLE_COLS	"seq, ts_us, batch_id, point_id, value, quality, tag"
#define ERROR_COLS	"seq, ts_us, NULL, point_id, device_id, code, detail," \
			" description"
#define SPECTRUM_COLS	"seq, ts_us, batch_id, spectrum_id, pixels, data"
#define AUDIT_COLS	"seq, ts_us, NULL, kind, actor, payload, prev_hash," \
			" hash, sig"

/* This file's statements of every stream; spool.c has the others. */
#define STREAM_SQL(table, cols) {					\
	[SST_FIRST_ABOVE] =						\
	    "SELECT seq FROM " table " WHERE seq > ?1 ORDER BY seq LIMIT 1", \
	[SST_NTH] = "SELECT seq FROM " table				\
	    " WHERE seq >= ?1 ORDER BY seq LIMIT 1 OFFSET ?2",		\
	[SST_MAX] = "SELECT max(seq) FROM " table,			\
	[SST_COUNT_RANGE] =						\
	    "SELECT count(*) FROM " table " WHERE seq BETWEEN ?1 AND ?2", \
	[SST_EACH] = "SELECT " cols " FROM " table			\
	    " WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",		\
	[SST_DEL_RANGE] = "DELETE FROM " table " WHERE seq BETWEEN ?1 AND ?2", \
	[SST_PURGE] = "DELETE FROM " table " WHERE seq IN (SELECT seq FROM " \
	    table " WHERE ts_us < ?1 LIMIT ?2)",			\
}

const char *const spool_upload_sst_sql[SPOOL_NSTREAMS][SST_COUNT_] = {
	[SPOOL_SAMPLES] = STREAM_SQL("samples", SAMPLE_COLS),
	[SPOOL_ERRORS] = STREAM_SQL("collection_errors", ERROR_COLS),
	[SPOOL_SPECTRA] = STREAM_SQL("spectra", SPECTRUM_COLS),
	[SPOOL_AUDIT] = STREAM_SQL("audit_log", AUDIT_COLS),
};

/*
 * The highest seq of stream held by an open upload transaction, or INT64_MIN
 * when none is open (no seq is below it); 0 or -1.
 */
int
spool_stream_mark(struct spool *sp, enum spool_stream s, int64_t *mark)
{
	sqlite3_stmt *st = sp->stmt[ST_MARK];

	sqlite3_bind_int(st, 1, (int)s);
	return spool_step_int(st, INT64_MIN, mark);
}

static int
stream_ok(enum spool_stream s)
{
	return (unsigned)s < (unsigned)SPOOL_NSTREAMS;
}

static int
upload_ok(const struct spool_upload *up)
{
	return up != NULL && stream_ok(up->stream) &&
	    up->first_seq <= up->last_seq;
}

int
spool_upload_begin(struct spool *sp, enum spool_stream stream,
    int64_t max_rows, struct spool_upload *up)
{
	sqlite3_stmt *st;
	int64_t mark, first, last, rows, tx;
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (!stream_ok(stream) || max_rows < 1 || up == NULL) {
		spool_set_error(sp, _("cannot begin an upload: bad arguments"));
		goto out;
	}
	/* One transaction: another process's marks cannot interleave. */
	if (spool_db_begin(sp) != 0 ||
	    spool_stream_mark(sp, stream, &mark) != 0)
		goto dberr;
	/* The first record above every open mark (INT64_MIN: none). */
	st = sp->sst[stream][SST_FIRST_ABOVE];
	sqlite3_bind_int64(st, 1, mark);
	if (spool_step_int(st, INT64_MIN, &first) != 0)
		goto dberr;
	if (first == INT64_MIN) {
		spool_db_rollback(sp);
		ret = 0;
		goto out;
	}
	st = sp->sst[stream][SST_NTH];
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, max_rows - 1);
	if (spool_step_int(st, INT64_MIN, &last) != 0 ||
	    (last == INT64_MIN &&
	    spool_step_int(sp->sst[stream][SST_MAX], first, &last) != 0))
		goto dberr;
	st = sp->sst[stream][SST_COUNT_RANGE];
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, last);
	if (spool_step_int(st, 0, &rows) != 0)
		goto dberr;
	st = sp->stmt[ST_INS_UPLOAD];
	sqlite3_bind_int(st, 1, (int)stream);
	sqlite3_bind_int64(st, 2, first);
	sqlite3_bind_int64(st, 3, last);
	sqlite3_bind_int64(st, 4, rows);
	sqlite3_bind_int64(st, 5, spool_real_now_us());
	if (spool_step_done(st) != SQLITE_DONE)
		goto dberr;
	tx = sqlite3_last_insert_rowid(sp->db);
	if (spool_db_commit(sp) != 0)
		goto dberr;
	*up = (struct spool_upload){ .tx = tx, .stream = stream,
	    .first_seq = first, .last_seq = last, .rows = rows };
	ret = 1;
	goto out;
dberr:
	spool_set_db_error(sp, _("cannot begin an upload"));
	spool_db_rollback(sp);
out:
	spool_unlock(sp);
	return ret;
}

/* Column i as a blob of exactly n bytes, else a static block of zeros. */
static const unsigned char *
blob_of(sqlite3_stmt *st, int i, int n)
{
	static const unsigned char zeros[64];
	const unsigned char *b = sqlite3_column_blob(st, i);

	return b != NULL && sqlite3_column_bytes(st, i) == n ? b : zeros;
}

/* A row of SST_EACH (columns as in SAMPLE_COLS etc.) as a record. */
static void
fill_record(sqlite3_stmt *st, enum spool_stream s, struct spool_record *r)
{
	int64_t pixels;
	int bytes;

	memset(r, 0, sizeof *r);
	r->stream = s;
	r->seq = sqlite3_column_int64(st, 0);
	r->ts_us = sqlite3_column_int64(st, 1);
	r->batch_id = (const char *)sqlite3_column_text(st, 2);
	r->value = NAN;
	switch (s) {
	case SPOOL_SAMPLES:
		r->point_id = (const char *)sqlite3_column_text(st, 3);
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			r->value = sqlite3_column_double(st, 4);
		r->quality = (enum quality)sqlite3_column_int(st, 5);
		r->tag = (const char *)sqlite3_column_text(st, 6);
		break;
	case SPOOL_ERRORS:
		r->point_id = (const char *)sqlite3_column_text(st, 3);
		r->device_id = (const char *)sqlite3_column_text(st, 4);
		r->code = sqlite3_column_int(st, 5);
		r->detail = sqlite3_column_int(st, 6);
		r->description = (const char *)sqlite3_column_text(st, 7);
		break;
	case SPOOL_SPECTRA:
		r->spectrum_id = (const char *)sqlite3_column_text(st, 3);
		pixels = sqlite3_column_int64(st, 4);
		r->data = sqlite3_column_blob(st, 5);
		bytes = sqlite3_column_bytes(st, 5);
		/* Never more pixels than the blob holds. */
		r->pixels = pixels >= 0 && pixels <= bytes / 8 ?
		    (size_t)pixels : (size_t)bytes / 8;
		break;
	case SPOOL_AUDIT:
		r->kind = (const char *)sqlite3_column_text(st, 3);
		r->actor = (const char *)sqlite3_column_text(st, 4);
		r->payload = (const char *)sqlite3_column_text(st, 5);
		/* Fixed sizes, checked: never trust a length from the file. */
		r->prev_hash = blob_of(st, 6, 32);
		r->hash = blob_of(st, 7, 32);
		r->sig = blob_of(st, 8, 64);
		break;
	case SPOOL_NSTREAMS:
		break;
	}
}

int
spool_upload_each(struct spool *sp, const struct spool_upload *up,
    int (*cb)(void *ctx, const struct spool_record *r), void *ctx)
{
	sqlite3_stmt *st;
	struct spool_record r;
	int rc, ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (!upload_ok(up) || cb == NULL) {
		spool_set_error(sp, _("cannot read an upload: bad arguments"));
		goto out;
	}
	st = sp->sst[up->stream][SST_EACH];
	sqlite3_bind_int64(st, 1, up->first_seq);
	sqlite3_bind_int64(st, 2, up->last_seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fill_record(st, up->stream, &r);
		if (cb(ctx, &r) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc == SQLITE_DONE)
		ret = 0;
	else
		spool_set_db_error(sp, _("cannot read an upload"));
	spool_stmt_done(st);
out:
	spool_unlock(sp);
	return ret;
}

int
spool_upload_commit(struct spool *sp, const struct spool_upload *up)
{
	sqlite3_stmt *st;
	int64_t n;
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (!upload_ok(up)) {
		spool_set_error(sp,
		    _("cannot commit an upload: bad arguments"));
		goto out;
	}
	/*
	 * The range holds exactly the marked records: later ones got higher
	 * seqs.  Deleted even when the mark is gone (reset meanwhile): the
	 * historian has them.
	 */
	if (spool_db_begin(sp) != 0)
		goto dberr;
	/* The audit chain remembers the last event that left (its base). */
	if (up->stream == SPOOL_AUDIT && spool_audit_move_base(sp,
	    up->last_seq) != 0)
		goto dberr;
	st = sp->sst[up->stream][SST_DEL_RANGE];
	sqlite3_bind_int64(st, 1, up->first_seq);
	sqlite3_bind_int64(st, 2, up->last_seq);
	if (spool_step_done(st) != SQLITE_DONE)
		goto dberr;
	/* Not up->rows: some may have been dropped when the spool was full. */
	n = sqlite3_changes(sp->db);
	st = sp->stmt[ST_DEL_UPLOAD];
	sqlite3_bind_int64(st, 1, up->tx);
	if (spool_step_done(st) != SQLITE_DONE || spool_db_commit(sp) != 0)
		goto dberr;
	sp->rows[up->stream] -= n;
	ret = 0;
	goto out;
dberr:
	spool_set_db_error(sp, _("cannot commit an upload"));
	spool_db_rollback(sp);
out:
	spool_unlock(sp);
	return ret;
}

int
spool_upload_abort(struct spool *sp, const struct spool_upload *up)
{
	sqlite3_stmt *st;
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (up == NULL) {
		spool_set_error(sp, _("cannot abort an upload: bad arguments"));
		goto out;
	}
	st = sp->stmt[ST_DEL_UPLOAD];
	sqlite3_bind_int64(st, 1, up->tx);
	if (spool_step_done(st) == SQLITE_DONE)
		ret = 0;
	else
		spool_set_db_error(sp, _("cannot abort an upload"));
out:
	spool_unlock(sp);
	return ret;
}

int
spool_upload_reset(struct spool *sp)
{
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (spool_step_done(sp->stmt[ST_DEL_UPLOADS]) == SQLITE_DONE)
		ret = sqlite3_changes(sp->db);
	else
		spool_set_db_error(sp, _("cannot clear the upload marks"));
	spool_unlock(sp);
	return ret;
}

int
spool_purge_older(struct spool *sp, int64_t cutoff_us, int64_t now_us,
    int64_t *purged)
{
	sqlite3_stmt *st;
	int64_t total = 0, n = 0;
	int ret = -1, counted = 0;

	if (purged != NULL)
		*purged = 0;
	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	/* Never the audit trail: it leaves the spool only for the historian. */
	for (int s = 0; s < SPOOL_AUDIT; s++) {
		do {
			/* Short transactions, so that puts are not held up. */
			if (n == SPOOL_PURGE_CHUNK && spool_pause(sp) != 0) {
				if (purged != NULL)
					*purged = total;
				return -1;
			}
			if (spool_db_begin(sp) != 0)
				goto dberr;
			st = sp->sst[s][SST_PURGE];
			sqlite3_bind_int64(st, 1, cutoff_us);
			sqlite3_bind_int64(st, 2, SPOOL_PURGE_CHUNK);
			if (spool_step_done(st) != SQLITE_DONE)
				goto dberr;
			n = sqlite3_changes(sp->db);
			/* One purge event per call that removed anything. */
			if (n > 0 &&
			    (spool_meta_update(sp, "purged_rows", n, 1) != 0 ||
			    (!counted &&
			    spool_meta_update(sp, "purge_events", 1, 1) != 0) ||
			    spool_meta_update(sp, "last_purge_us", now_us,
			    0) != 0))
				goto dberr;
			if (spool_db_commit(sp) != 0)
				goto dberr;
			if (n > 0)
				counted = 1;
			sp->rows[s] -= n;
			total += n;
		} while (n == SPOOL_PURGE_CHUNK);
	}
	ret = 0;
	goto out;
dberr:
	spool_set_db_error(sp, _("cannot purge old records"));
	spool_db_rollback(sp);
out:
	if (purged != NULL)
		*purged = total;
	spool_unlock(sp);
	return ret;
}

int
spool_backlog_by_point(struct spool *sp,
    int (*cb)(void *ctx, const char *point_id, int64_t rows,
    int64_t oldest_us, int64_t newest_us), void *ctx)
{
	sqlite3_stmt *st;
	int rc, ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (cb == NULL) {
		spool_set_error(sp, _("cannot list the backlog: no callback"));
		goto out;
	}
	st = sp->stmt[ST_BACKLOG];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb(ctx, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
		    sqlite3_column_int64(st, 3)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc == SQLITE_DONE)
		ret = 0;
	else
		spool_set_db_error(sp, _("cannot list the backlog"));
	spool_stmt_done(st);
out:
	spool_unlock(sp);
	return ret;
}
