/*
 * spool_batch.c: the spool's batch records and maintenance windows
 * (spool.h, schema 6).
 *
 * Both are small keyed tables, not streams: one row per batch id in
 * batches, one per window id in maint_windows, written whole on every put
 * (INSERT ... ON CONFLICT DO UPDATE: one statement, so SQLite's autocommit
 * makes it its own transaction, durable as the spool's options say).
 * Nothing uploads, purges or drops them: a batch record reaches the
 * historian in the audit trail's batch_record events, a window in its
 * maintenance_announce or maintenance_cancel event, and spool_maint_prune
 * is the only delete.  The spool stores the JSON as text and judges
 * neither: plant/batch_record.h and plant/maintenance.h know what it means,
 * and the caller merges a window before it puts it (maint_set_add rules).
 *
 * The samples of a batch are found by a scan of samples (there is no index
 * on batch_id, see spool.c): they leave the spool once uploaded, and a
 * report is rare, so the hot path does not pay for an index.
 *
 * Like spool_audit.c, the statements are prepared per call: batch records
 * change a few times per batch, windows a few times per week.  Every walk
 * (spool_batch_each, spool_batch_samples, spool_maint_each) holds the spool
 * while its callback runs, as spool_each_sample does: the callback must
 * not call the spool and should be quick.  A walk returns 0 when done, the
 * callback's non-zero value when it stopped it, -1 on error.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "core/i18n.h"
#include "core/util.h"
#include "store/spool.h"
#include "store/spool_impl.h"

/* The columns of a sample, in the order read_sample() wants. */
#define SAMPLE_COLS	"point_id, value, quality, ts_us, batch_id, tag"

/* Prepare sql; NULL on failure (sqlite3_errmsg tells why). */
static sqlite3_stmt *
prepare(struct spool *sp, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(sp->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static bool
is_blank(const char *s)
{
	return s == NULL || *s == '\0';
}

/* Run a statement that returns no row; 0, or -1 with the message. */
static int
step_write(struct spool *sp, sqlite3_stmt *st, const char *what)
{
	if (sqlite3_step(st) == SQLITE_DONE)
		return 0;
	spool_set_db_error(sp, what);
	return -1;
}

/*
 * Walk the rows of st, each column 0 as text to cb; 0 when done, cb's
 * non-zero value when it stopped, -1 with the message.
 */
static int
walk_text(struct spool *sp, sqlite3_stmt *st,
    int (*cb)(void *ctx, const char *text), void *ctx, const char *what)
{
	int rc, stop = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(st, 0);

		if ((stop = cb(ctx, text != NULL ? (const char *)text : "")) !=
		    0)
			return stop;
	}
	if (rc == SQLITE_DONE)
		return 0;
	spool_set_db_error(sp, what);
	return -1;
}

int
spool_batch_put(struct spool *sp, const char *batch_id, const char *state,
    int64_t started_us, int64_t ended_us, const char *record_json)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (is_blank(batch_id) || is_blank(state) || record_json == NULL) {
		spool_set_error(sp, _("cannot store the batch record: bad "
		    "arguments"));
		goto out;
	}
	st = prepare(sp, "INSERT INTO batches (batch_id, state, started_us,"
	    " ended_us, record) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (batch_id) DO UPDATE SET state = excluded.state,"
	    " started_us = excluded.started_us, ended_us = excluded.ended_us,"
	    " record = excluded.record");
	if (st == NULL) {
		spool_set_db_error(sp, _("cannot store the batch record"));
		goto out;
	}
	sqlite3_bind_text(st, 1, batch_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, started_us);
	sqlite3_bind_int64(st, 4, ended_us);
	sqlite3_bind_text(st, 5, record_json, -1, SQLITE_STATIC);
	ret = step_write(sp, st, _("cannot store the batch record"));
out:
	sqlite3_finalize(st);
	spool_unlock(sp);
	return ret;
}

int
spool_batch_get(struct spool *sp, const char *batch_id, char **record_json)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if (record_json != NULL)
		*record_json = NULL;
	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (batch_id == NULL || record_json == NULL) {
		spool_set_error(sp, _("cannot read the batch record: bad "
		    "arguments"));
		goto out;
	}
	if ((st = prepare(sp, "SELECT record FROM batches"
	    " WHERE batch_id = ?1")) == NULL) {
		spool_set_db_error(sp, _("cannot read the batch record"));
		goto out;
	}
	sqlite3_bind_text(st, 1, batch_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(st, 0);

		*record_json = xstrdup(text != NULL ? (const char *)text : "");
		ret = 1;
	} else if (rc == SQLITE_DONE)
		ret = 0;
	else
		spool_set_db_error(sp, _("cannot read the batch record"));
out:
	sqlite3_finalize(st);
	spool_unlock(sp);
	return ret;
}

int
spool_batch_each(struct spool *sp, bool active_only, size_t max,
    int (*cb)(void *ctx, const char *record_json), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (cb == NULL) {
		spool_set_error(sp, _("cannot list batch records: no "
		    "callback"));
		goto out;
	}
	/* LIMIT -1: no limit. */
	st = prepare(sp, active_only ?
	    "SELECT record FROM batches"
	    " WHERE state IN ('running', 'held', 'stopping')"
	    " ORDER BY started_us DESC, batch_id DESC LIMIT ?1" :
	    "SELECT record FROM batches"
	    " ORDER BY started_us DESC, batch_id DESC LIMIT ?1");
	if (st == NULL) {
		spool_set_db_error(sp, _("cannot list batch records"));
		goto out;
	}
	sqlite3_bind_int64(st, 1, max > 0 && max < INT64_MAX ? (int64_t)max :
	    -1);
	ret = walk_text(sp, st, cb, ctx, _("cannot list batch records"));
out:
	sqlite3_finalize(st);
	spool_unlock(sp);
	return ret;
}

int
spool_batch_samples(struct spool *sp, const char *batch_id,
    int (*cb)(void *ctx, const struct spool_sample *s), void *ctx)
{
	sqlite3_stmt *st = NULL;
	struct spool_sample s;
	int rc, ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (batch_id == NULL || cb == NULL) {
		spool_set_error(sp, _("cannot list the batch's samples: bad "
		    "arguments"));
		goto out;
	}
	if ((st = prepare(sp, "SELECT " SAMPLE_COLS " FROM samples"
	    " WHERE batch_id = ?1 ORDER BY ts_us, point_id, seq")) == NULL) {
		spool_set_db_error(sp, _("cannot list the batch's samples"));
		goto out;
	}
	sqlite3_bind_text(st, 1, batch_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s.point_id = (const char *)sqlite3_column_text(st, 0);
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			s.value = NAN;
		else
			s.value = sqlite3_column_double(st, 1);
		s.quality = (enum quality)sqlite3_column_int(st, 2);
		s.ts_us = sqlite3_column_int64(st, 3);
		s.batch_id = (const char *)sqlite3_column_text(st, 4);
		s.tag = (const char *)sqlite3_column_text(st, 5);
		if ((ret = cb(ctx, &s)) != 0)
			goto out;
	}
	if (rc == SQLITE_DONE)
		ret = 0;
	else
		spool_set_db_error(sp, _("cannot list the batch's samples"));
out:
	sqlite3_finalize(st);
	spool_unlock(sp);
	return ret;
}

int
spool_maint_put(struct spool *sp, const char *id, int64_t end_us,
    const char *window_json)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (is_blank(id) || window_json == NULL) {
		spool_set_error(sp, _("cannot store the maintenance window: "
		    "bad arguments"));
		goto out;
	}
	st = prepare(sp, "INSERT INTO maint_windows (id, end_us, \"window\")"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE"
	    " SET end_us = excluded.end_us, \"window\" = excluded.\"window\"");
	if (st == NULL) {
		spool_set_db_error(sp, _("cannot store the maintenance "
		    "window"));
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, end_us);
	sqlite3_bind_text(st, 3, window_json, -1, SQLITE_STATIC);
	ret = step_write(sp, st, _("cannot store the maintenance window"));
out:
	sqlite3_finalize(st);
	spool_unlock(sp);
	return ret;
}

int
spool_maint_each(struct spool *sp,
    int (*cb)(void *ctx, const char *window_json), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (cb == NULL) {
		spool_set_error(sp, _("cannot list maintenance windows: no "
		    "callback"));
		goto out;
	}
	/* The order they were first stored in: an update keeps the rowid. */
	if ((st = prepare(sp, "SELECT \"window\" FROM maint_windows"
	    " ORDER BY rowid")) == NULL) {
		spool_set_db_error(sp, _("cannot list maintenance windows"));
		goto out;
	}
	ret = walk_text(sp, st, cb, ctx, _("cannot list maintenance windows"));
out:
	sqlite3_finalize(st);
	spool_unlock(sp);
	return ret;
}

int
spool_maint_prune(struct spool *sp, int64_t cutoff_us)
{
	sqlite3_stmt *st;
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if ((st = prepare(sp, "DELETE FROM maint_windows"
	    " WHERE end_us < ?1")) == NULL)
		spool_set_db_error(sp, _("cannot prune maintenance windows"));
	else {
		sqlite3_bind_int64(st, 1, cutoff_us);
		ret = step_write(sp, st,
		    _("cannot prune maintenance windows"));
	}
	sqlite3_finalize(st);
	spool_unlock(sp);
	return ret;
}
