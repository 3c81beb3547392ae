/*
 * uploader.c: the spool's way to the historian (uploader.h).
 *
 * Exactly once.  Every spool record has a seq, unique within its spool and
 * stream and never reused; the spool has a random spool_id.  The historian
 * knows each spool as a source (jope_sources) and keeps, per source and
 * stream, the highest seq it has committed (upload_marks.high_water).  One
 * upload:
 *
 *   1. spool_upload_begin marks the oldest waiting records [first, last];
 *   2. BEGIN; SELECT high_water ... FOR UPDATE;
 *   3. COPY (binary) the marked records with seq > high_water;
 *   4. UPDATE upload_marks SET high_water = last; COMMIT;
 *   5. spool_upload_commit deletes the marked records.
 *
 * The records and the mark commit together, so the historian either has
 * both or neither.  If the COMMIT's acknowledgement is lost (connection cut,
 * console killed between 4 and 5), the records are still in the spool; the
 * next upload marks them again, reads a high-water mark at or above their
 * seqs and skips them: they are deleted, not sent twice ("recovered").  The
 * marked range is always the oldest records of the stream, so every record
 * at or below the mark is one the historian already has.  Any failure
 * clears the spool's mark (spool_upload_abort) and drops the connection; the
 * records wait for the next upload.
 *
 * Never hanging.  Every request is bounded by historian.timeout_s and ends at
 * once when the engine stops (pgconn.c); collection never waits for us.
 *
 * Batch records.  The console records each batch transition as an audit
 * event of kind batch_record whose payload is the whole record
 * (plant/batch_record.h).  In the transaction that carries such events to
 * audit_events, fold_batches() folds them into the batches table with one
 * statement: per batch id, the event with the highest seq of the range
 * wins, and it replaces the row only when it is at least as new (event
 * time) and differs, so running it again changes nothing, and an older
 * range folded late (or a batch of the same id from another console with
 * an older record) never moves a row back.  It reads only the range just
 * copied (by the primary key).  Being in the same transaction, a fold is
 * never lost: when the link fails, the events are not committed either
 * and go again with their fold.  A record that cannot be folded (no id or
 * state, or a payload PostgreSQL does not read as JSON: audit_events keeps
 * the exact text that was signed) is left out and logged rather than
 * holding up the trail: the events are what is regulated, the table is
 * their index, and the batch's next record folds it again whole.
 *
 * Maintenance windows of other consoles.  A window announced (or cancelled)
 * at a console is a maintenance_announce (maintenance_cancel) event whose
 * payload holds the window at action.window.  At every sync (every
 * PULL_EVERY_US while connected, and right after this console's own audit
 * events went up), pull_maintenance() reads the events of the other
 * sources of the last PULL_DAYS days, and merges each window into the
 * spool's (spool_maint_put) by the rules of maint_set_add: a new window is
 * stored with source "historian", a cancellation is merged into the known
 * window, the same window again changes nothing, and a window that
 * contradicts the known one (another start, end, reason or announcer) is
 * logged once and ignored.  Windows that ended more than
 * MAINT_PRUNE_AFTER_US ago are neither taken nor kept (spool_maint_prune,
 * hourly).  The engine shows what the spool holds.  A pull that fails is
 * logged and tried again at the next sync; it never holds up an upload (a
 * connection it left unusable is dropped, and the next cycle reconnects).
 *
 * Housekeeping of the historian, on connect and then daily: monthly
 * partitions of samples are created two months ahead, and partitions older
 * than historian.retention_years dropped (both no-ops on TimescaleDB, where
 * the hypertable's retention policy does this).  Before each COPY the months
 * of its samples are made to exist, so that even a sample dated outside the
 * prepared range lands.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "compliance/keystore.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/util.h"
#include "historian/copybin.h"
#include "historian/migrate.h"
#include "historian/pgconn.h"
#include "historian/uploader.h"
#include "plant/maintenance.h"

#define IDLE_POLL_MS            500
#define MAINTENANCE_EVERY_US    (INT64_C(86400) * 1000000)
#define MONTH_CACHE             32
#define PULL_EVERY_US           (INT64_C(5) * 1000000)
#define PRUNE_EVERY_US          (INT64_C(3600) * 1000000)
#define PULL_DAYS               "40"
#define REFUSED_MEMORY          32      /* windows refused, logged once */

struct stream_def {
	enum spool_stream stream;
	const char *name;               /* upload_marks.stream */
	const char *copy_sql;
	int64_t batch_divisor;          /* spectra are ~8 KB each */
	void (*encode)(struct copybin *b, const struct spool_record *r,
	    int32_t source_id);
};

static void
encode_sample(struct copybin *b, const struct spool_record *r,
    int32_t source_id)
{
	copybin_row(b, 8);
	copybin_timestamptz(b, r->ts_us);
	copybin_text(b, r->point_id);
	copybin_float8(b, r->value);
	copybin_int2(b, (int16_t)r->quality);
	copybin_text(b, r->batch_id);
	copybin_text(b, r->tag);
	copybin_int4(b, source_id);
	copybin_int8(b, r->seq);
}

static void
encode_error(struct copybin *b, const struct spool_record *r,
    int32_t source_id)
{
	copybin_row(b, 8);
	copybin_timestamptz(b, r->ts_us);
	copybin_text(b, r->device_id != NULL ? r->device_id : "");
	copybin_text(b, r->point_id);
	copybin_int4(b, r->code);
	copybin_int4(b, r->detail);
	copybin_text(b, r->description);
	copybin_int4(b, source_id);
	copybin_int8(b, r->seq);
}

static void
encode_spectrum(struct copybin *b, const struct spool_record *r,
    int32_t source_id)
{
	copybin_row(b, 7);
	copybin_timestamptz(b, r->ts_us);
	copybin_text(b, r->spectrum_id);
	copybin_int4(b, (int32_t)r->pixels);
	copybin_bytea(b, r->data, r->pixels * 8);
	copybin_text(b, r->batch_id);
	copybin_int4(b, source_id);
	copybin_int8(b, r->seq);
}

static void
encode_audit(struct copybin *b, const struct spool_record *r,
    int32_t source_id)
{
	copybin_row(b, 9);
	copybin_int4(b, source_id);
	copybin_int8(b, r->seq);
	copybin_timestamptz(b, r->ts_us);
	copybin_text(b, r->kind);
	copybin_text(b, r->actor);
	copybin_text(b, r->payload);
	copybin_bytea(b, r->prev_hash, 32);
	copybin_bytea(b, r->hash, 32);
	copybin_bytea(b, r->sig, 64);
}

static const struct stream_def streams[] = {
	{ SPOOL_SAMPLES, "samples",
	  "COPY samples (time, point_id, value, quality, batch_id, tag,"
	  " source_id, seq) FROM STDIN WITH (FORMAT binary)", 1, encode_sample },
	{ SPOOL_ERRORS, "errors",
	  "COPY collection_errors (time, device_id, point_id, code, detail,"
	  " description, source_id, seq) FROM STDIN WITH (FORMAT binary)", 1,
	  encode_error },
	{ SPOOL_SPECTRA, "spectra",
	  "COPY spectra (time, spectrum_id, pixels, data, batch_id, source_id,"
	  " seq) FROM STDIN WITH (FORMAT binary)", 100, encode_spectrum },
	{ SPOOL_AUDIT, "audit",
	  "COPY audit_events (source_id, seq, time, kind, actor, payload,"
	  " prev_hash, hash, signature) FROM STDIN WITH (FORMAT binary)", 10,
	  encode_audit },
};

struct uploader {
	struct app_config app;
	struct uploader_keys keys;
	struct spool *sp;
	struct state *st;
	pthread_t thread;
	int stop_fd, wake_fd;
	atomic_bool stopping;

	/* Owned by the thread. */
	struct historian_status hs;
	PGconn *conn;
	int32_t source_id;
	int64_t next_maintenance_us;
	int months[MONTH_CACHE];        /* yyyymm known to have a partition */
	size_t nmonths, month_next;
	struct copybin buf;
	int64_t *seqs;                  /* seq of each encoded row */
	size_t *offs;                   /* where each row starts in buf */
	size_t nrows, rows_cap;
	int64_t min_ts, max_ts;
	bool batch_records;             /* the encoded rows hold one */
	int64_t next_pull_us;           /* next pull of maintenance windows */
	int64_t next_prune_us;          /* next spool_maint_prune */
	char refused[REFUSED_MEMORY][MAINT_ID_MAX];
	size_t nrefused, refused_next;
	/*
	 * A mark the spool refused to clear (busy, full): while it stands no
	 * new upload of its stream may begin, or a later batch would move the
	 * high-water mark past records that were never sent.
	 */
	struct spool_upload stuck[SPOOL_NSTREAMS];
	bool has_stuck[SPOOL_NSTREAMS];
	char err[512];
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
publish(struct uploader *u)
{
	state_set_historian(u->st, &u->hs);
}

static void
drain_eventfd(int fd)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof v);
}

/* Sleep up to ms, ending early on a wake or a stop. */
static void
pause_ms(struct uploader *u, int64_t ms)
{
	struct pollfd pfd[2] = {
		{ .fd = u->stop_fd, .events = POLLIN },
		{ .fd = u->wake_fd, .events = POLLIN },
	};

	if (ms <= 0 || atomic_load(&u->stopping))
		return;
	if (poll(pfd, 2, ms > INT32_MAX ? INT32_MAX : (int)ms) > 0 &&
	    (pfd[1].revents & POLLIN))
		drain_eventfd(u->wake_fd);
}

static int
timeout_ms(const struct uploader *u)
{
	return (int)u->app.historian.timeout_ms;
}

/* A query with text parameters; NULL with u->err on failure. */
static PGresult *
query(struct uploader *u, const char *sql, int n, const char *const *params)
{
	return pg_query(u->conn, sql, n, params, u->stop_fd, timeout_ms(u),
	    u->err, sizeof u->err);
}

static int
command(struct uploader *u, const char *sql)
{
	return pg_command(u->conn, sql, u->stop_fd, timeout_ms(u), u->err,
	    sizeof u->err);
}

/* The historian's schema version, or -1. */
static int
schema_version(struct uploader *u)
{
	PGresult *r = query(u, "SELECT to_regclass('schema_migrations')"
	    " IS NOT NULL", 0, NULL);
	int v = 0;
	bool exists;

	if (r == NULL)
		return -1;
	exists = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!exists)
		return 0;
	if ((r = query(u, "SELECT coalesce(max(version), 0)"
	    " FROM schema_migrations", 0, NULL)) == NULL)
		return -1;
	v = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

/* Make this spool a source of the historian; 0 or -1. */
static int
register_source(struct uploader *u)
{
	const char *params[2] = { spool_id(u->sp), u->app.console_id };
	char sid[16];
	const char *p1[1] = { sid };
	PGresult *r;

	r = query(u, "INSERT INTO jope_sources (spool_id, console_id)"
	    " VALUES ($1, $2) ON CONFLICT (spool_id) DO UPDATE"
	    " SET console_id = excluded.console_id, last_seen = now()"
	    " RETURNING source_id", 2, params);
	if (r == NULL)
		return -1;
	u->source_id = (int32_t)atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	snprintf(sid, sizeof sid, "%" PRId32, u->source_id);
	r = query(u, "INSERT INTO upload_marks (source_id, stream)"
	    " SELECT $1, s FROM unnest(ARRAY['samples', 'errors', 'spectra',"
	    " 'audit'])"
	    " AS s ON CONFLICT DO NOTHING", 1, p1);
	PQclear(r);
	return r != NULL ? 0 : -1;
}

static void
hex_bytea(char *out, size_t len, const unsigned char *b, size_t n)
{
	size_t k = 0;

	out[k++] = '\\';
	out[k++] = 'x';
	for (size_t i = 0; i < n && k + 3 < len; i++)
		k += (size_t)snprintf(out + k, len - k, "%02x", b[i]);
	out[k] = '\0';
}

/*
 * Publish the console's public key and every user's (disabled ones too:
 * their old signatures must still verify), so that the trail can be
 * checked in the historian alone.  0 or -1.
 */
static int
publish_keys(struct uploader *u)
{
	char sid[16], key[80], uid[24];
	const char *p2[2] = { sid, key };
	struct keystore *ks = NULL;
	PGresult *r;
	char err[256];

	snprintf(sid, sizeof sid, "%" PRId32, u->source_id);
	if (u->keys.have_console_key) {
		hex_bytea(key, sizeof key, u->keys.console_pk, 32);
		r = query(u, "INSERT INTO console_keys (source_id, public_key)"
		    " VALUES ($1, $2) ON CONFLICT (source_id) DO UPDATE"
		    " SET public_key = excluded.public_key, published = now()"
		    " WHERE console_keys.public_key <> excluded.public_key",
		    2, p2);
		if (r == NULL)
			return -1;
		PQclear(r);
	}
	if (u->keys.keystore_path[0] == '\0' ||
	    keystore_open(u->keys.keystore_path, &ks, err, sizeof err) != 0) {
		if (ks == NULL && u->keys.keystore_path[0] != '\0')
			log_event(LOG_WARN, "user_keys_unreadable", "{s:s}",
			    "error", err);
		return 0;
	}
	for (size_t i = 0; i < keystore_count(ks); i++) {
		const struct ks_user *usr = keystore_user_at(ks, i);
		const char *p7[7] = { sid, uid, usr->name, usr->full_name,
		    ks_role_name(usr->role), usr->disabled ? "t" : "f", key };

		snprintf(uid, sizeof uid, "%" PRId64, usr->id);
		hex_bytea(key, sizeof key, usr->public_key, 32);
		r = query(u, "INSERT INTO user_keys (source_id, user_id, name,"
		    " full_name, role, disabled, public_key) VALUES ($1, $2, $3,"
		    " $4, $5, $6, $7) ON CONFLICT (source_id, user_id) DO UPDATE"
		    " SET name = excluded.name, full_name = excluded.full_name,"
		    " role = excluded.role, disabled = excluded.disabled,"
		    " updated_at = now()", 7, p7);
		if (r == NULL) {
			keystore_free(ks);
			return -1;
		}
		PQclear(r);
	}
	keystore_free(ks);
	return 0;
}

/* Partitions ahead and retention; failures are logged, not fatal. */
static void
maintain(struct uploader *u)
{
	char years[16];
	const char *p1[1] = { years };
	PGresult *r;

	u->next_maintenance_us = now_us() + MAINTENANCE_EVERY_US;
	r = query(u, "SELECT jope_ensure_partitions(now() - interval '1 month',"
	    " now() + interval '2 months')", 0, NULL);
	if (r != NULL) {
		log_event(LOG_INFO, "historian_partitions", "{s:i}", "created",
		    atoi(PQgetvalue(r, 0, 0)));
		PQclear(r);
	}
	snprintf(years, sizeof years, "%d", u->app.historian.retention_years);
	r = query(u, "SELECT jope_drop_old_partitions(make_interval(years =>"
	    " $1::integer))", 1, p1);
	if (r != NULL) {
		log_event(LOG_INFO, "historian_retention", "{s:i,s:i}",
		    "partitions_dropped", atoi(PQgetvalue(r, 0, 0)),
		    "keep_years", u->app.historian.retention_years);
		PQclear(r);
	} else
		log_event(LOG_WARN, "historian_retention_failed", "{s:s}",
		    "error", u->err);
	u->nmonths = 0;         /* partitions may have been dropped */
}

static int
month_of(int64_t ts_us)
{
	time_t t = (time_t)(ts_us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
}

static bool
month_known(const struct uploader *u, int m)
{
	for (size_t i = 0; i < u->nmonths; i++)
		if (u->months[i] == m)
			return true;
	return false;
}

static void
month_remember(struct uploader *u, int m)
{
	if (u->nmonths < MONTH_CACHE)
		u->months[u->nmonths++] = m;
	else {
		u->months[u->month_next] = m;
		u->month_next = (u->month_next + 1) % MONTH_CACHE;
	}
}

/* Make sure samples has partitions for [min_ts, max_ts]; 0 or -1. */
static int
ensure_months(struct uploader *u)
{
	int first = month_of(u->min_ts), last = month_of(u->max_ts);
	char from[40], to[40];
	const char *params[2] = { from, to };
	PGresult *r;

	if (month_known(u, first) && month_known(u, last) &&
	    last - first <= 1)
		return 0;
	format_rfc3339_us(u->min_ts, from, sizeof from);
	format_rfc3339_us(u->max_ts, to, sizeof to);
	r = query(u, "SELECT jope_ensure_partitions($1, $2)", 2, params);
	if (r == NULL)
		return -1;
	PQclear(r);
	month_remember(u, first);
	if (last != first)
		month_remember(u, last);
	return 0;
}

struct encode_ctx {
	struct uploader *u;
	const struct stream_def *d;
};

static int
encode_one(void *ctx, const struct spool_record *r)
{
	struct encode_ctx *e = ctx;
	struct uploader *u = e->u;

	if (u->nrows == u->rows_cap) {
		u->rows_cap = u->rows_cap > 0 ? u->rows_cap * 2 : 1024;
		u->seqs = xrealloc(u->seqs, u->rows_cap * sizeof *u->seqs);
		u->offs = xrealloc(u->offs, u->rows_cap * sizeof *u->offs);
	}
	u->seqs[u->nrows] = r->seq;
	u->offs[u->nrows] = u->buf.len;
	u->nrows++;
	if (u->nrows == 1 || r->ts_us < u->min_ts)
		u->min_ts = r->ts_us;
	if (u->nrows == 1 || r->ts_us > u->max_ts)
		u->max_ts = r->ts_us;
	if (r->stream == SPOOL_AUDIT && r->kind != NULL &&
	    strcmp(r->kind, "batch_record") == 0)
		u->batch_records = true;
	e->d->encode(&u->buf, r, u->source_id);
	return 0;
}

/* Drop the first k encoded rows (already in the historian). */
static void
skip_rows(struct uploader *u, size_t k)
{
	size_t header = u->offs[0], from;

	if (k == 0)
		return;
	from = k < u->nrows ? u->offs[k] : u->buf.len - 2;
	memmove(u->buf.buf + header, u->buf.buf + from, u->buf.len - from);
	u->buf.len -= from - header;
}

static void
set_error(struct uploader *u)
{
	str_copy(u->hs.last_error, u->err, sizeof u->hs.last_error);
	u->hs.last_error_us = now_us();
}

/* Clear the mark of up, or remember it to clear before the next begin. */
static void
clear_mark(struct uploader *u, const struct spool_upload *up)
{
	if (spool_upload_abort(u->sp, up) == 0)
		return;
	u->stuck[up->stream] = *up;
	u->has_stuck[up->stream] = true;
	log_event(LOG_ERROR, "spool_mark_stuck", "{s:s,s:I,s:s}", "stream",
	    spool_stream_name(up->stream), "tx", (json_int_t)up->tx, "error",
	    spool_last_error(u->sp));
}

/*
 * The microseconds since the epoch at key k of the record p as a
 * timestamptz; NULL when not a number within 1970..9999 (never an error).
 */
#define US_TIME(k)							\
	"CASE WHEN jsonb_typeof(p->'" k "') = 'number' THEN"		\
	" CASE WHEN (p->>'" k "')::numeric"				\
	" BETWEEN 1 AND 253402300799999999"				\
	" THEN timestamptz 'epoch' + (p->>'" k "')::float8"		\
	" * interval '1 microsecond' END END"

/*
 * Fold the batch_record events of this source with seqs in (after, last]
 * into batches (see the top comment); inside the upload's transaction,
 * under a savepoint.  Should the statement fail all the same while the
 * link holds (a payload PostgreSQL does not read as JSON), the fold is
 * logged and left out: the events go up all the same.  0, or -1 with
 * u->err when the transaction failed.
 */
static int
fold_batches(struct uploader *u, int64_t after, int64_t last)
{
	char sid[16], from[24], to[24], why[512];
	const char *p3[3] = { sid, from, to };
	PGresult *r;

	snprintf(sid, sizeof sid, "%" PRId32, u->source_id);
	snprintf(from, sizeof from, "%" PRId64, after);
	snprintf(to, sizeof to, "%" PRId64, last);
	if (command(u, "SAVEPOINT fold_batches") != 0)
		return -1;
	/*
	 * \u0000 is the one escape jansson writes that jsonb refuses: such
	 * a payload is left out (CASE: before any cast is tried).
	 */
	r = query(u, "WITH ev AS (SELECT e.source_id, e.seq, e.time,"
	    " CASE WHEN strpos(e.payload, E'\\\\u0000') = 0"
	    " THEN e.payload::jsonb END AS p FROM audit_events e"
	    " WHERE e.source_id = $1 AND e.seq > $2 AND e.seq <= $3"
	    " AND e.kind = 'batch_record')"
	    " INSERT INTO batches AS b (batch_id, source_id, recipe,"
	    " recipe_version, state, started_at, ended_at, started_by, record,"
	    " updated_at)"
	    " SELECT DISTINCT ON (p->>'id') p->>'id', source_id,"
	    " coalesce(p->'recipe'->>'id', ''),"
	    " coalesce(p->'recipe'->>'version', ''), p->>'state', "
	    US_TIME("started_us") ", " US_TIME("ended_us") ","
	    " p->>'started_by', p, time FROM ev"
	    " WHERE jsonb_typeof(p->'id') = 'string' AND p->>'id' <> ''"
	    " AND jsonb_typeof(p->'state') = 'string'"
	    " ORDER BY p->>'id', seq DESC"
	    " ON CONFLICT (batch_id) DO UPDATE SET"
	    " source_id = excluded.source_id, recipe = excluded.recipe,"
	    " recipe_version = excluded.recipe_version,"
	    " state = excluded.state, started_at = excluded.started_at,"
	    " ended_at = excluded.ended_at, started_by = excluded.started_by,"
	    " record = excluded.record, updated_at = excluded.updated_at"
	    " WHERE excluded.updated_at >= b.updated_at"
	    " AND excluded.record IS DISTINCT FROM b.record", 3, p3);
	if (r == NULL) {
		/* Still talking: the records, not the link; go on without. */
		str_copy(why, u->err, sizeof why);
		if (PQstatus(u->conn) != CONNECTION_OK || command(u,
		    "ROLLBACK TO SAVEPOINT fold_batches") != 0)
			return -1;
		log_event(LOG_ERROR, "batches_fold_failed", "{s:I,s:I,s:s}",
		    "after_seq", (json_int_t)after, "last_seq",
		    (json_int_t)last, "error", why);
		return 0;
	}
	log_event(LOG_DEBUG, "batches_folded", "{s:I,s:I,s:i}", "after_seq",
	    (json_int_t)after, "last_seq", (json_int_t)last, "rows",
	    atoi(PQcmdTuples(r)));
	PQclear(r);
	return command(u, "RELEASE SAVEPOINT fold_batches");
}

/*
 * One upload transaction of stream d: the rows uploaded (including rows
 * recovered), 0 when none waited, -1 when the historian failed (the
 * connection must go), -2 when the spool failed.
 */
static int64_t
upload_stream(struct uploader *u, const struct stream_def *d)
{
	int64_t batch = u->app.historian.batch_rows / d->batch_divisor;
	struct encode_ctx ectx = { u, d };
	struct spool_upload up;
	char sid[16], hw_text[24], rows_text[24];
	const char *p2[2] = { sid, d->name };
	const char *p4[4] = { sid, d->name, hw_text, rows_text };
	int64_t hw, t0 = mono_ms(), ms;
	size_t k;
	PGresult *r;
	int rc;

	if (u->has_stuck[d->stream]) {
		if (spool_upload_abort(u->sp, &u->stuck[d->stream]) != 0) {
			str_copy(u->err, spool_last_error(u->sp), sizeof u->err);
			return -2;
		}
		u->has_stuck[d->stream] = false;
	}
	rc = spool_upload_begin(u->sp, d->stream, batch > 0 ? batch : 1, &up);
	if (rc <= 0) {
		if (rc < 0)
			str_copy(u->err, spool_last_error(u->sp), sizeof u->err);
		return rc < 0 ? -2 : 0;
	}
	copybin_reset(&u->buf);
	u->nrows = 0;
	u->batch_records = false;
	if (spool_upload_each(u->sp, &up, encode_one, &ectx) != 0) {
		str_copy(u->err, spool_last_error(u->sp), sizeof u->err);
		clear_mark(u, &up);
		return -2;
	}
	copybin_finish(&u->buf);
	if (u->nrows == 0) {
		/* Purged meanwhile: nothing to send. */
		if (spool_upload_commit(u->sp, &up) != 0)
			clear_mark(u, &up);
		return 0;
	}
	if (d->stream == SPOOL_SAMPLES && ensure_months(u) != 0)
		goto fail;
	/* A user added since the connect signs in these events: publish. */
	if (d->stream == SPOOL_AUDIT && publish_keys(u) != 0)
		goto fail;

	snprintf(sid, sizeof sid, "%" PRId32, u->source_id);
	if (command(u, "BEGIN") != 0)
		goto fail;
	r = query(u, "SELECT high_water FROM upload_marks"
	    " WHERE source_id = $1 AND stream = $2 FOR UPDATE", 2, p2);
	if (r == NULL)
		goto fail;
	if (PQntuples(r) != 1) {
		PQclear(r);
		str_copy(u->err, _("the historian has no upload mark for this "
		    "console"), sizeof u->err);
		goto fail;
	}
	hw = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	for (k = 0; k < u->nrows && u->seqs[k] <= hw; k++)
		;
	if (k == u->nrows) {
		/* All of it committed before (a lost acknowledgement). */
		if (command(u, "ROLLBACK") != 0)
			goto fail;
		goto committed;
	}
	skip_rows(u, k);
	if (pg_copy_in(u->conn, d->copy_sql, u->buf.buf,
	    u->buf.len, u->stop_fd, timeout_ms(u), u->err, sizeof u->err) != 0)
		goto fail;
	/* The batch records among them, in the same transaction. */
	if (u->batch_records && fold_batches(u, hw, u->seqs[u->nrows - 1]) != 0)
		goto fail;
	snprintf(hw_text, sizeof hw_text, "%" PRId64,
	    u->seqs[u->nrows - 1] > hw ? u->seqs[u->nrows - 1] : hw);
	snprintf(rows_text, sizeof rows_text, "%zu", u->nrows - k);
	r = query(u, "UPDATE upload_marks SET high_water = $3,"
	    " rows_total = rows_total + $4, updated_at = now()"
	    " WHERE source_id = $1 AND stream = $2", 4, p4);
	if (r == NULL)
		goto fail;
	PQclear(r);
	if (command(u, "COMMIT") != 0)
		goto fail;

committed:
	/* Committed: from here on the records are the historian's. */
	if (spool_upload_commit(u->sp, &up) != 0) {
		/*
		 * Unmarked, the records are marked again by the next upload
		 * and recognised below the high-water mark: deleted, not sent.
		 */
		log_event(LOG_WARN, "spool_upload_commit_failed", "{s:s,s:I,s:s}",
		    "stream", d->name, "tx", (json_int_t)up.tx, "error",
		    spool_last_error(u->sp));
		clear_mark(u, &up);
	}
	if (k > 0) {
		u->hs.recovered_rows += k;
		log_event(LOG_INFO, "upload_recovered", "{s:s,s:I,s:I,s:I,s:I}",
		    "stream", d->name, "tx", (json_int_t)up.tx, "rows",
		    (json_int_t)k, "first_seq", (json_int_t)u->seqs[0],
		    "high_water", (json_int_t)hw);
	}
	ms = mono_ms() - t0;
	u->hs.uploads++;
	u->hs.uploaded_rows += u->nrows - k;
	u->hs.last_upload_us = now_us();
	if (ms > 0 && u->nrows >= 100) {
		double rate = (double)u->nrows * 1000.0 / (double)ms;

		u->hs.rows_per_s = u->hs.rows_per_s > 0 ?
		    0.7 * u->hs.rows_per_s + 0.3 * rate : rate;
	}
	log_event(LOG_DEBUG, "upload", "{s:s,s:I,s:I,s:I,s:I,s:I}",
	    "stream", d->name, "tx", (json_int_t)up.tx,
	    "first_seq", (json_int_t)up.first_seq,
	    "last_seq", (json_int_t)up.last_seq,
	    "rows", (json_int_t)(u->nrows - k), "ms", (json_int_t)ms);
	return (int64_t)u->nrows;

fail:
	clear_mark(u, &up);
	log_event(LOG_WARN, "upload_failed", "{s:s,s:I,s:I,s:s}", "stream",
	    d->name, "tx", (json_int_t)up.tx, "rows", (json_int_t)up.rows,
	    "error", u->err);
	return -1;
}

static void
disconnect(struct uploader *u)
{
	if (u->conn != NULL)
		PQfinish(u->conn);
	u->conn = NULL;
	u->hs.connected_us = 0;
}

/* --- maintenance windows of the other consoles ------------------------ */

/* The windows the spool holds, parsed (those that do not parse are left). */
struct known_windows {
	struct maint_window *w;
	size_t n, cap;
};

static int
known_add_cb(void *ctx, const char *text)
{
	struct known_windows *k = ctx;
	json_t *j = json_loads(text, 0, NULL);
	struct maint_window w;
	char err[256];

	if (j != NULL && maint_window_from_json(j, &w, err, sizeof err) == 0) {
		if (k->n == k->cap) {
			k->cap = k->cap > 0 ? k->cap * 2 : 16;
			k->w = xrealloc(k->w, k->cap * sizeof *k->w);
		}
		k->w[k->n++] = w;
	}
	json_decref(j);
	return 0;
}

static struct maint_window *
known_find(struct known_windows *k, const char *id)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->w[i].id, id) == 0)
			return &k->w[i];
	return NULL;
}

/* Log a refusal once per key (a window id, or source:seq); true if new. */
static bool
refusal_is_new(struct uploader *u, const char *key)
{
	for (size_t i = 0; i < u->nrefused; i++)
		if (strcmp(u->refused[i], key) == 0)
			return false;
	if (u->nrefused < REFUSED_MEMORY)
		str_copy(u->refused[u->nrefused++], key, MAINT_ID_MAX);
	else {
		str_copy(u->refused[u->refused_next], key, MAINT_ID_MAX);
		u->refused_next = (u->refused_next + 1) % REFUSED_MEMORY;
	}
	return true;
}

/* Store w in the spool and in k; 0 or -1 (logged). */
static int
store_window(struct uploader *u, struct known_windows *k,
    const struct maint_window *w)
{
	json_t *j = maint_window_to_json(w);
	char *text = j != NULL ? json_dumps(j, JSON_COMPACT |
	    JSON_PRESERVE_ORDER) : NULL;
	struct maint_window *old;
	int rc = -1;

	if (text != NULL && spool_maint_put(u->sp, w->id, w->end_us,
	    text) == 0) {
		if ((old = known_find(k, w->id)) != NULL)
			*old = *w;
		else
			known_add_cb(k, text);
		rc = 0;
	} else
		log_event(LOG_ERROR, "maintenance_store_failed", "{s:s,s:s}",
		    "id", w->id, "error", text != NULL ?
		    spool_last_error(u->sp) : "json");
	free(text);
	json_decref(j);
	return rc;
}

/*
 * Merge a window received from the historian into the spool's by the rules
 * of maint_set_add: stored when new, its cancellation merged, nothing when
 * the same, logged once and ignored when it contradicts the known one.
 */
static void
merge_window(struct uploader *u, struct known_windows *k,
    const struct maint_window *w)
{
	struct maint_window *stored = known_find(k, w->id);
	struct maint_set one;
	enum maint_result r;
	char err[256];

	maint_set_init(&one);
	if (stored != NULL)
		one.w[one.n++] = *stored;
	r = maint_set_add(&one, w, err, sizeof err);
	if (r == MAINT_UNCHANGED)
		return;
	if (r != MAINT_ADDED && r != MAINT_UPDATED) {
		if (refusal_is_new(u, w->id))
			log_event(LOG_WARN, "maintenance_window_ignored",
			    "{s:s,s:s}", "id", w->id, "error", err);
		return;
	}
	/* The window as merged: the new one, or the known one cancelled. */
	w = maint_set_find(&one, w->id);
	if (store_window(u, k, w) == 0)
		log_event(LOG_INFO, "maintenance_received", "{s:s,s:b,s:b}",
		    "id", w->id, "new", r == MAINT_ADDED, "cancelled",
		    w->cancelled);
}

/*
 * Read the maintenance windows announced or cancelled at the other
 * consoles and merge them into the spool (see the top comment).  0, or -1
 * with u->err when the historian failed.
 */
static int
pull_maintenance(struct uploader *u)
{
	int64_t cutoff = now_us() - MAINT_PRUNE_AFTER_US;
	struct known_windows k = { NULL, 0, 0 };
	char sid[16];
	const char *p1[1] = { sid };
	PGresult *r;

	u->next_pull_us = now_us() + PULL_EVERY_US;
	if (now_us() >= u->next_prune_us) {
		u->next_prune_us = now_us() + PRUNE_EVERY_US;
		if (spool_maint_prune(u->sp, cutoff) != 0)
			log_event(LOG_ERROR, "maintenance_prune_failed",
			    "{s:s}", "error", spool_last_error(u->sp));
	}
	snprintf(sid, sizeof sid, "%" PRId32, u->source_id);
	/* The payload is the signed text: parsed here, never cast in SQL. */
	r = query(u, "SELECT e.source_id, e.seq, e.kind, e.payload"
	    " FROM audit_events e"
	    " WHERE e.kind IN ('maintenance_announce', 'maintenance_cancel')"
	    " AND e.source_id <> $1"
	    " AND e.time > now() - interval '" PULL_DAYS " days'"
	    " ORDER BY e.time, e.source_id, e.seq", 1, p1);
	if (r == NULL)
		return -1;
	if (spool_maint_each(u->sp, known_add_cb, &k) != 0)
		log_event(LOG_ERROR, "maintenance_read_failed", "{s:s}",
		    "error", spool_last_error(u->sp));
	else for (int i = 0; i < PQntuples(r); i++) {
		json_t *payload = json_loads(PQgetvalue(r, i, 3), 0, NULL);
		json_t *j = json_object_get(json_object_get(payload, "action"),
		    "window");
		struct maint_window w;
		char err[256], key[MAINT_ID_MAX];

		if (j == NULL || maint_window_from_json(j, &w, err,
		    sizeof err) != 0) {
			snprintf(key, sizeof key, "%s:%s", PQgetvalue(r, i, 0),
			    PQgetvalue(r, i, 1));
			if (refusal_is_new(u, key))
				log_event(LOG_WARN, "maintenance_event_unreadable",
				    "{s:s,s:s,s:s}", "source_id",
				    PQgetvalue(r, i, 0), "seq", PQgetvalue(r, i,
				    1), "error", j == NULL ? "no window" : err);
			json_decref(payload);
			continue;
		}
		json_decref(payload);
		w.source = MAINT_SRC_HISTORIAN;
		if (strcmp(PQgetvalue(r, i, 2), "maintenance_cancel") == 0)
			w.cancelled = true;
		if (w.end_us >= cutoff)
			merge_window(u, &k, &w);
	}
	PQclear(r);
	free(k.w);
	return 0;
}

/*
 * A sync of the maintenance windows.  A failure is logged; when it left the
 * connection unusable (cut, or a request abandoned half way) the connection
 * goes and the next cycle reconnects, as after a failed upload.
 */
static void
sync_maintenance(struct uploader *u)
{
	if (pull_maintenance(u) == 0)
		return;
	log_event(LOG_WARN, "maintenance_pull_failed", "{s:s}", "error",
	    u->err);
	if (u->conn != NULL && PQstatus(u->conn) == CONNECTION_OK &&
	    PQtransactionStatus(u->conn) == PQTRANS_IDLE)
		return;
	set_error(u);
	disconnect(u);
	u->hs.link = LINK_DOWN;
	publish(u);
}

static int64_t
backlog(struct uploader *u)
{
	struct spool_counts c;

	if (spool_counts(u->sp, &c) != 0)
		return 0;
	return c.rows[SPOOL_SAMPLES] + c.rows[SPOOL_ERRORS] +
	    c.rows[SPOOL_SPECTRA] + c.rows[SPOOL_AUDIT];
}

/* Start or end the drain shown as progress; called between uploads. */
static void
track_drain(struct uploader *u, int64_t uploaded)
{
	int64_t left = backlog(u);

	if (u->hs.drain_total > 0) {
		u->hs.drain_done += uploaded;
		u->hs.drain_total = u->hs.drain_done + left;
		if (left < u->app.historian.batch_rows)
			u->hs.drain_total = u->hs.drain_done = 0;
	} else if (left > 2 * u->app.historian.batch_rows) {
		u->hs.drain_total = left;
		u->hs.drain_done = 0;
	}
}

/* Connect and prepare; 0 when ready to upload, -1 with u->err. */
static int
connect_ready(struct uploader *u)
{
	struct pg_params p = {
		.conninfo = u->app.historian_conninfo,
		.password_file = u->app.historian.password_file,
		.application_name = "jope-smb",
		.timeout_ms = timeout_ms(u),
	};
	int v;

	u->conn = pg_connect(&p, u->stop_fd, u->err, sizeof u->err);
	if (u->conn == NULL)
		return -1;
	pg_describe(u->conn, u->hs.server, sizeof u->hs.server);
	if ((v = schema_version(u)) < 0)
		return -1;
	u->hs.schema_version = v;
	if (v != u->hs.schema_wanted) {
		snprintf(u->err, sizeof u->err, v < u->hs.schema_wanted ?
		    _("the historian's schema is at version %d, this console "
		    "needs %d: run 'jope-smb db migrate'") :
		    _("the historian's schema is at version %d, newer than the "
		    "%d this console knows: upgrade the console"), v,
		    u->hs.schema_wanted);
		return -1;
	}
	if (register_source(u) != 0 || publish_keys(u) != 0)
		return -1;
	u->nmonths = 0;
	maintain(u);
	return 0;
}

static void *
uploader_main(void *arg)
{
	struct uploader *u = arg;
	int64_t backoff = u->app.historian.retry_min_ms;

	while (!atomic_load(&u->stopping)) {
		if (u->conn == NULL) {
			u->hs.link = u->hs.link == LINK_UP ? LINK_DOWN : u->hs.link;
			if (connect_ready(u) != 0) {
				disconnect(u);
				if (atomic_load(&u->stopping))
					break;
				u->hs.link = LINK_DOWN;
				set_error(u);
				u->hs.next_retry_us = now_us() + backoff * 1000;
				publish(u);
				log_event(LOG_WARN, "historian_down", "{s:s,s:I}",
				    "error", u->err, "retry_ms",
				    (json_int_t)backoff);
				pause_ms(u, backoff);
				backoff = backoff * 2 < u->app.historian.retry_max_ms ?
				    backoff * 2 : u->app.historian.retry_max_ms;
				continue;
			}
			backoff = u->app.historian.retry_min_ms;
			u->hs.link = LINK_UP;
			u->hs.connected_us = now_us();
			u->hs.next_retry_us = 0;
			u->hs.last_error[0] = '\0';
			publish(u);
			log_event(LOG_INFO, "historian_connected", "{s:s,s:i,s:I}",
			    "server", u->hs.server, "schema",
			    u->hs.schema_version, "source_id",
			    (json_int_t)u->source_id);
		}
		int64_t moved = 0;
		bool failed = false, audit_moved = false;

		for (size_t i = 0; i < ARRAY_LEN(streams) && !failed; i++) {
			int64_t n = upload_stream(u, &streams[i]);

			if (n > 0 && streams[i].stream == SPOOL_AUDIT)
				audit_moved = true;

			if (n == -1) {
				failed = true;
				set_error(u);
				disconnect(u);
				u->hs.link = LINK_DOWN;
			} else if (n == -2) {
				/* The spool, not the historian: try later. */
				set_error(u);
				log_event(LOG_ERROR, "upload_spool_failed", "{s:s}",
				    "error", u->err);
				n = 0;
			}
			if (n > 0)
				moved += n;
		}
		track_drain(u, moved);
		publish(u);
		if (failed) {
			u->hs.next_retry_us = now_us() + backoff * 1000;
			publish(u);
			pause_ms(u, backoff);
			continue;
		}
		if (audit_moved || now_us() >= u->next_pull_us)
			sync_maintenance(u);
		if (u->conn == NULL)
			continue;
		if (now_us() >= u->next_maintenance_us)
			maintain(u);
		if (moved == 0)
			pause_ms(u, IDLE_POLL_MS);
	}
	disconnect(u);
	return NULL;
}

struct uploader *
uploader_start(const struct app_config *app, struct spool *sp,
    struct state *st, const struct uploader_keys *keys)
{
	struct uploader *u = xcalloc(1, sizeof *u);

	u->app = *app;
	if (keys != NULL)
		u->keys = *keys;
	u->sp = sp;
	u->st = st;
	u->hs.link = LINK_UNKNOWN;
	u->hs.schema_wanted = migrate_latest();
	copybin_init(&u->buf);
	u->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	u->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	publish(u);     /* before the thread owns u->hs */
	if (u->stop_fd < 0 || u->wake_fd < 0 ||
	    pthread_create(&u->thread, NULL, uploader_main, u) != 0) {
		log_event(LOG_ERROR, "uploader_start_failed", "{s:s}", "error",
		    strerror(errno));
		if (u->stop_fd >= 0)
			close(u->stop_fd);
		if (u->wake_fd >= 0)
			close(u->wake_fd);
		copybin_free(&u->buf);
		free(u);
		return NULL;
	}
	return u;
}

void
uploader_wake(struct uploader *u)
{
	uint64_t one = 1;

	if (u != NULL)
		(void)!write(u->wake_fd, &one, sizeof one);
}

void
uploader_stop(struct uploader *u)
{
	uint64_t one = 1;

	if (u == NULL)
		return;
	atomic_store(&u->stopping, true);
	(void)!write(u->stop_fd, &one, sizeof one);
	pthread_join(u->thread, NULL);
	close(u->stop_fd);
	close(u->wake_fd);
	copybin_free(&u->buf);
	free(u->seqs);
	free(u->offs);
	free(u);
}
