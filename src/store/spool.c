/*
 * spool.c: the local durable store, one SQLite file in WAL mode.
 *
 * This file opens the spool (creating, checking and migrating the file),
 * applies its options and puts records into it: spool_put() with its group
 * commit, spool_put_spectrum(), making room when the spool is full.  It also
 * keeps the console state, the counts and the calling thread's last error,
 * and owns the locking and the helpers every spool function uses.  Records
 * leave the spool through spool_upload.c (upload transactions, retention,
 * backlog); the two files share struct spool and those helpers through
 * spool_impl.h, which no other module includes.
 *
 * Why SQLite: the spool must survive the process and the machine dying at any
 * instant, be readable by a second process (`jope-smb status`) while the
 * console writes, and need no server.  SQLite gives all three.
 *
 * Durability.  The connection runs with journal_mode=WAL and
 * synchronous=FULL.  In WAL mode FULL means that every COMMIT appends its
 * frames to the -wal file and fsync()s it before sqlite3_step() returns, so a
 * record acknowledged by spool_put() (it returned 0) survives kill -9 of the
 * process and also a power cut or kernel crash, as far as the disk honours
 * fsync.  (NORMAL would sync only at checkpoints: safe against kill -9 but
 * the last transactions could vanish with the power; spool_set_options()
 * offers it for disks too slow for FULL.)  When this file creates the
 * database it also fsyncs the file and its directory, so the name itself
 * survives a power cut; SQLite does the same for the -wal file it creates.
 * fullfsync is switched on for systems where fsync alone does not flush the
 * drive cache (macOS); elsewhere it is a no-op.
 *
 * Sharing.  WAL lets readers in other processes work while this one writes;
 * busy_timeout (SPOOL_BUSY_MS) makes a writer or a reader that meets a lock
 * wait instead of failing at once.  Inside the process there is one
 * connection and one mutex, and the connection is opened with
 * SQLITE_OPEN_NOMUTEX because our mutex already serialises it.  Every public
 * function takes the mutex for its whole duration, with two exceptions.  The
 * leader of a group commit (below) lets go of the mutex while it writes and
 * fsyncs, so that other callers can queue their records meanwhile, and marks
 * the connection taken (sp->writing); everyone else waits on sp->cond until
 * it is free again (spool_enter).  And spool_purge_older() (spool_upload.c)
 * lets go of it between its chunks (spool_pause), so that a long purge does
 * not hold up the writers.  The mutex is an error-checking one: a
 * callback of spool_each_sample() that calls back into the spool gets -1, not
 * a deadlock.
 *
 * Errors.  A failing call returns -1 and records a message twice: in the
 * struct (under the mutex) and in a thread-local buffer together with the
 * spool it belongs to.  spool_last_error() returns the calling thread's own
 * last failure on that spool, so two threads that fail at the same time each
 * read their own message; a thread that never failed on it gets a copy of the
 * spool's last failure from any thread.  Successful calls do not clear it.
 * The leader of a group commit writes without the mutex, so it writes each
 * caller's message into that caller's request; the caller copies it into
 * its own thread-local buffer when it wakes.
 *
 * Writes and group commit.  The price of a put is the fsync of its COMMIT
 * (milliseconds on a real disk), not the inserts (microseconds).  So
 * spool_put() callers on several threads share one BEGIN IMMEDIATE ... COMMIT:
 * the first caller to find no commit in progress is the leader, takes every
 * request queued so far, writes them, commits and wakes the others; callers
 * that arrive while it writes queue a request (a copy of their records, since
 * the leader reads them on another thread) and sleep until a leader has
 * committed it.  Each caller returns the result of the transaction that held
 * its records, so "0: durable, -1: nothing of this call stored" holds for
 * every caller.  One bad record (a NULL point_id) must not fail the others,
 * so when a group fails on a record, each caller of the group is tried again
 * alone; when BEGIN or COMMIT fails, that failure is every caller's.  A
 * single thread is always its own leader: one transaction per call, as
 * before.  The statements of the hot path are prepared once at open
 * (SQLITE_PREPARE_PERSISTENT) and reset after every use so that no read
 * transaction stays open and blocks checkpoints.
 *
 * Full.  When a put (of records or of a spectrum) meets SQLITE_FULL (the
 * disk, or the max_page_count that spool_set_options() derives from
 * max_bytes) the newest data matters more than the oldest: the put is rolled
 * back, make_room() deletes the oldest
 * records (samples first, then errors, then spectra; those inside an open
 * upload transaction last, as they are probably on their way to the
 * historian already) and counts them, and the put is tried once more.
 *
 * Schema.  PRAGMA user_version holds the schema version and
 * PRAGMA application_id marks the file as ours.  migrations[] holds one SQL
 * script per version step; spool_migrate() runs each missing step in its own
 * IMMEDIATE transaction (re-reading the version under the lock, so two
 * processes opening a new spool together cannot both migrate).  To change the
 * schema, append a script: never edit a published one.  A spool written by a
 * newer program (user_version greater than ours) is refused, never touched.
 *
 * Since version 3 every stream (samples, collection_errors, spectra) is keyed
 * by seq INTEGER PRIMARY KEY AUTOINCREMENT: the rowid itself, assigned in
 * commit order and never reused, not even after the table was emptied (that
 * is what AUTOINCREMENT adds: sqlite_sequence remembers the highest seq).
 * The tables have no secondary index on purpose: every index would be
 * written by every insert, the hot path, while every delete (upload commit,
 * full, retention) is by a seq range, which the rowid B-tree serves alone.
 * The rare queries by point or time (status, spool_each_sample, retention)
 * scan.  upload_tx holds the marks of the upload transactions, a seq range
 * each (see spool_upload.c).  spool_meta holds the spool's random id and the
 * counters that must survive a restart (purged, dropped, full events).
 * Since version 6, batches and maint_windows hold one row per batch record
 * and per maintenance window (spool_batch.c); they are not streams: nothing
 * uploads, purges or drops them, and the samples of one batch are found by
 * a scan of samples (rare: a report), not through an index the hot path
 * would pay for.
 *
 * Counts.  spool_counts() is called every second while millions of records
 * may wait, so the rows per stream are not counted there: they are counted
 * once at open and then kept by every put, commit, purge and drop, under the
 * mutex, once the transaction committed.  Another connection writing the same
 * file (not what the console does, but possible) is noticed through
 * PRAGMA data_version, and then the rows are counted again.
 *
 * Opening.  The parent directory is created (0700) when missing; the file is
 * created with mode 0600 and chmod'ed so that the umask cannot widen it, and
 * an existing spool readable by others is narrowed to 0600 (SQLite gives its
 * -wal and -shm files the mode of the database).  A file that is not a spool
 * (not SQLite, damaged, another application's database, a newer schema) is
 * rejected with a message naming the path, before anything is written to it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/util.h"
#include "store/spool.h"
#include "store/spool_impl.h"

#define SPOOL_BUSY_MS	5000
#define SPOOL_APP_ID	0x4a4f5045	/* "JOPE" */
#define SPOOL_DROP_MIN	1000		/* fewest rows dropped when full */

/*
 * One script per schema version: migrations[i] takes version i to i + 1.
 * Append only.
 */
static const char *const migrations[] = {
	/* 0 -> 1: samples, collection errors, console state. */
	"CREATE TABLE samples ("
	"  id INTEGER PRIMARY KEY,"
	"  point_id TEXT NOT NULL,"
	"  value REAL,"
	"  quality INTEGER NOT NULL,"
	"  ts_us INTEGER NOT NULL,"
	"  batch_id TEXT,"
	"  upload_tx INTEGER"
	");"
	"CREATE INDEX samples_point_ts ON samples(point_id, ts_us);"
	"CREATE INDEX samples_ts ON samples(ts_us);"
	"CREATE INDEX samples_upload_tx ON samples(upload_tx);"
	"CREATE TABLE collection_errors ("
	"  id INTEGER PRIMARY KEY,"
	"  device_id TEXT NOT NULL,"
	"  point_id TEXT,"
	"  code INTEGER NOT NULL,"
	"  detail INTEGER NOT NULL,"
	"  description TEXT,"
	"  ts_us INTEGER NOT NULL,"
	"  upload_tx INTEGER"
	");"
	"CREATE INDEX collection_errors_ts ON collection_errors(ts_us);"
	"CREATE INDEX collection_errors_upload_tx"
	"  ON collection_errors(upload_tx);"
	"CREATE TABLE console_state ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  ts_us INTEGER NOT NULL,"
	"  pid INTEGER NOT NULL,"
	"  json TEXT NOT NULL"
	");",
	/* 1 -> 2: spectra, pixels as little-endian float64 in a blob. */
	"CREATE TABLE spectra ("
	"  id INTEGER PRIMARY KEY,"
	"  spectrum_id TEXT NOT NULL,"
	"  ts_us INTEGER NOT NULL,"
	"  pixels INTEGER NOT NULL,"
	"  data BLOB NOT NULL,"
	"  batch_id TEXT,"
	"  upload_tx INTEGER"
	");"
	"CREATE INDEX spectra_id_ts ON spectra(spectrum_id, ts_us);"
	"CREATE INDEX spectra_upload_tx ON spectra(upload_tx);",
	/*
	 * 2 -> 3: seq AUTOINCREMENT (the old ids become seqs), no upload_tx
	 * column and no secondary index (see the top comment), upload
	 * transactions as seq ranges, the spool's id and lasting counters.
	 */
	"ALTER TABLE samples RENAME TO samples_v2;"
	"CREATE TABLE samples ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  point_id TEXT NOT NULL,"
	"  value REAL,"
	"  quality INTEGER NOT NULL,"
	"  ts_us INTEGER NOT NULL,"
	"  batch_id TEXT"
	");"
	"INSERT INTO samples (seq, point_id, value, quality, ts_us, batch_id)"
	"  SELECT id, point_id, value, quality, ts_us, batch_id"
	"  FROM samples_v2 ORDER BY id;"
	"DROP TABLE samples_v2;"
	"ALTER TABLE collection_errors RENAME TO collection_errors_v2;"
	"CREATE TABLE collection_errors ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  device_id TEXT NOT NULL,"
	"  point_id TEXT,"
	"  code INTEGER NOT NULL,"
	"  detail INTEGER NOT NULL,"
	"  description TEXT,"
	"  ts_us INTEGER NOT NULL"
	");"
	"INSERT INTO collection_errors"
	"  (seq, device_id, point_id, code, detail, description, ts_us)"
	"  SELECT id, device_id, point_id, code, detail, description, ts_us"
	"  FROM collection_errors_v2 ORDER BY id;"
	"DROP TABLE collection_errors_v2;"
	"ALTER TABLE spectra RENAME TO spectra_v2;"
	"CREATE TABLE spectra ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  spectrum_id TEXT NOT NULL,"
	"  ts_us INTEGER NOT NULL,"
	"  pixels INTEGER NOT NULL,"
	"  data BLOB NOT NULL,"
	"  batch_id TEXT"
	");"
	"INSERT INTO spectra (seq, spectrum_id, ts_us, pixels, data, batch_id)"
	"  SELECT id, spectrum_id, ts_us, pixels, data, batch_id"
	"  FROM spectra_v2 ORDER BY id;"
	"DROP TABLE spectra_v2;"
	"CREATE TABLE spool_meta ("
	"  key TEXT PRIMARY KEY,"
	"  value"
	");"
	"INSERT INTO spool_meta (key, value) VALUES"
	"  ('spool_id', lower(hex(randomblob(16)))),"
	"  ('purged_rows', 0), ('purge_events', 0), ('last_purge_us', 0),"
	"  ('dropped_rows', 0), ('full_events', 0), ('last_full_us', 0);"
	"CREATE TABLE upload_tx ("
	"  tx INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  stream INTEGER NOT NULL,"
	"  first_seq INTEGER NOT NULL,"
	"  last_seq INTEGER NOT NULL,"
	"  rows INTEGER NOT NULL,"
	"  started_us INTEGER NOT NULL"
	");",
	/*
	 * 3 -> 4: the audit trail, one hash chain per spool; its head and the
	 * last event uploaded (the base) live in spool_meta.
	 */
	"CREATE TABLE audit_log ("
	"  seq INTEGER PRIMARY KEY,"
	"  ts_us INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  payload TEXT NOT NULL,"
	"  prev_hash BLOB NOT NULL,"
	"  hash BLOB NOT NULL,"
	"  sig BLOB NOT NULL"
	");"
	"INSERT INTO spool_meta (key, value) VALUES"
	"  ('audit_head_seq', 0), ('audit_head_hash', zeroblob(32)),"
	"  ('audit_base_seq', 0), ('audit_base_hash', zeroblob(32));",
	/*
	 * 4 -> 5: what produced a derived sample (an inference model's id and
	 * version); NULL for a measured value.
	 */
	"ALTER TABLE samples ADD COLUMN tag TEXT;",
	/*
	 * 5 -> 6: batch records and maintenance windows (spool_batch.c), one
	 * row per id, replaced on every put.  No index on samples(batch_id):
	 * see the top comment.
	 */
	"CREATE TABLE batches ("
	"  batch_id TEXT PRIMARY KEY,"
	"  state TEXT NOT NULL,"
	"  started_us INTEGER,"
	"  ended_us INTEGER,"
	"  record TEXT NOT NULL"
	");"
	"CREATE TABLE maint_windows ("
	"  id TEXT PRIMARY KEY,"
	"  end_us INTEGER NOT NULL,"
	"  \"window\" TEXT NOT NULL"
	");"
};

#define SPOOL_SCHEMA_VERSION	((int)ARRAY_LEN(migrations))

/*
 * The SQL of this file's statements (see the enum in spool_impl.h); those of
 * spool_upload.c are in spool_upload_sql[] there.  All are prepared at open.
 */
static const char *const stmt_sql[ST_COUNT_] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INS_SAMPLE] =
	    "INSERT INTO samples (point_id, value, quality, ts_us, batch_id,"
	    " tag) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_INS_ERROR] =
	    "INSERT INTO collection_errors"
	    " (device_id, point_id, code, detail, description, ts_us)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/*
	 * Records are spooled in collection order, so the lowest seq of a
	 * stream is its oldest record: a primary-key lookup, not a scan.
	 */
	[ST_COUNTS] =
	    "SELECT (SELECT ts_us FROM samples ORDER BY seq LIMIT 1),"
	    " (SELECT ts_us FROM collection_errors ORDER BY seq LIMIT 1),"
	    " (SELECT ts_us FROM spectra ORDER BY seq LIMIT 1),"
	    " (SELECT ifnull(sum(rows), 0) FROM upload_tx),"
	    " (SELECT page_count FROM pragma_page_count())"
	    "  * (SELECT page_size FROM pragma_page_size()),"
	    " (SELECT value FROM spool_meta WHERE key = 'purged_rows'),"
	    " (SELECT value FROM spool_meta WHERE key = 'purge_events'),"
	    " (SELECT value FROM spool_meta WHERE key = 'last_purge_us'),"
	    " (SELECT value FROM spool_meta WHERE key = 'dropped_rows'),"
	    " (SELECT value FROM spool_meta WHERE key = 'full_events'),"
	    " (SELECT value FROM spool_meta WHERE key = 'last_full_us')",
	[ST_DATA_VERSION] = "PRAGMA data_version",
	[ST_PUT_STATE] =
	    "INSERT INTO console_state (id, ts_us, pid, json)"
	    " VALUES (1, ?1, ?2, ?3)"
	    " ON CONFLICT (id) DO UPDATE SET ts_us = excluded.ts_us,"
	    " pid = excluded.pid, json = excluded.json",
	[ST_GET_STATE] = "SELECT ts_us, pid, json FROM console_state WHERE id = 1",
	[ST_EACH_ALL] =
	    "SELECT point_id, value, quality, ts_us, batch_id, tag FROM samples"
	    " ORDER BY ts_us, seq",
	[ST_EACH_POINT] =
	    "SELECT point_id, value, quality, ts_us, batch_id, tag FROM samples"
	    " WHERE point_id = ?1 ORDER BY ts_us, seq",
	[ST_INS_SPECTRUM] =
	    "INSERT INTO spectra (spectrum_id, ts_us, pixels, data, batch_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_META_ADD] = "UPDATE spool_meta SET value = value + ?2 WHERE key = ?1",
	[ST_META_SET] = "UPDATE spool_meta SET value = ?2 WHERE key = ?1",
};

/* This file's statements of every stream; spool_upload.c has the others. */
#define STREAM_SQL(table) {						\
	[SST_COUNT] = "SELECT count(*) FROM " table,			\
	[SST_DROP] = "DELETE FROM " table " WHERE seq IN (SELECT seq FROM " \
	    table " WHERE seq > ?1 ORDER BY seq LIMIT ?2)",		\
}

static const char *const sst_sql[SPOOL_NSTREAMS][SST_COUNT_] = {
	[SPOOL_SAMPLES] = STREAM_SQL("samples"),
	[SPOOL_ERRORS] = STREAM_SQL("collection_errors"),
	[SPOOL_SPECTRA] = STREAM_SQL("spectra"),
	[SPOOL_AUDIT] = STREAM_SQL("audit_log"),
};

/*
 * One spool_put() call waiting for, or inside, a group commit.  It lives on
 * its caller's stack; the caller sleeps until done, so the leader may use it.
 */
struct put_req {
	const struct spool_sample *samples;
	size_t nsamples;
	const struct spool_error *errors;
	size_t nerrors;
	void *copy;		/* the records copied when queued, or NULL */
	struct put_req *next;
	int done;		/* set by the leader, under the mutex */
	int result;		/* 0 or -1, valid when done */
	char err[SPOOL_ERRLEN];	/* the failure, when result is -1 */
};

/* The calling thread's last failure, and the spool it happened on. */
static _Thread_local const struct spool *tl_err_sp;
static _Thread_local char tl_err[SPOOL_ERRLEN];
/* Where spool_last_error() copies another thread's message. */
static _Thread_local char tl_copy[SPOOL_ERRLEN];

/* Record a failure; the caller holds sp->lock (or is the only user). */
void
spool_set_error(struct spool *sp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tl_err, sizeof tl_err, fmt, ap);
	va_end(ap);
	tl_err_sp = sp;
	str_copy(sp->err, tl_err, sizeof sp->err);
}

/* Record a failure of SQLite, with its own message. */
void
spool_set_db_error(struct spool *sp, const char *what)
{
	spool_set_error(sp, "%s: %s", what, sqlite3_errmsg(sp->db));
}

/*
 * Record a failure of SQLite while opening, naming the file, and say plainly
 * when the file is not a database or is damaged.
 */
static void
set_open_error(struct spool *sp, const char *what)
{
	int code = sqlite3_errcode(sp->db) & 0xff;

	if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
		spool_set_error(sp, _("%s: not a spool, or a damaged one (%s); "
		    "move it aside to start a new spool"), sp->path,
		    sqlite3_errmsg(sp->db));
	else
		spool_set_error(sp, "%s: %s: %s", sp->path, what,
		    sqlite3_errmsg(sp->db));
}

static int
spool_lock(struct spool *sp)
{
	int rc;

	atomic_fetch_add(&sp->lockers, 1);
	rc = pthread_mutex_lock(&sp->lock);
	atomic_fetch_sub(&sp->lockers, 1);
	if (rc == 0)
		return 0;
	/* Not under the lock: only the thread-local message is written. */
	snprintf(tl_err, sizeof tl_err, "%s",
	    rc == EDEADLK ? _("spool used again from inside its own callback")
	    : strerror(rc));
	tl_err_sp = sp;
	return -1;
}

void
spool_unlock(struct spool *sp)
{
	pthread_mutex_unlock(&sp->lock);
}

/*
 * Take the mutex and the connection: while a group commit leader writes, the
 * mutex is free but the connection is not.
 */
int
spool_enter(struct spool *sp)
{
	if (spool_lock(sp) != 0)
		return -1;
	while (sp->writing)
		pthread_cond_wait(&sp->cond, &sp->lock);
	return 0;
}

/*
 * Between two chunks of a long job, with the mutex and the connection held:
 * let the others have the spool, and take it back.  Puts queued for a group
 * commit get their round.  Threads blocked on the mutex get a moment to take
 * it: the mutex is not fair, and taking it again at once would starve them
 * for the whole job.  0, or -1 when the mutex could not be taken again (it
 * is not held then).
 */
int
spool_pause(struct spool *sp)
{
	const struct timespec moment = { 0, 1000000L };
	uint64_t round = sp->rounds;

	while (sp->queue != NULL && sp->rounds == round)
		pthread_cond_wait(&sp->cond, &sp->lock);
	spool_unlock(sp);
	if (atomic_load(&sp->lockers) > 0)
		nanosleep(&moment, NULL);
	return spool_enter(sp);
}

/* Reset a statement after use: frees its read lock and its bindings. */
void
spool_stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/*
 * Step a statement that returns no row (or whose row is not wanted) and
 * reset it; the result of the step.  sqlite3_errmsg() still tells why.
 */
int
spool_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	spool_stmt_done(st);
	return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

/*
 * Step a statement that returns one integer (NULL: dflt) and reset it; 0 or
 * -1.
 */
int
spool_step_int(sqlite3_stmt *st, int64_t dflt, int64_t *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*out = sqlite3_column_type(st, 0) == SQLITE_NULL ? dflt :
		    sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*out = dflt;
	spool_stmt_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Run one SQL statement that returns at most one integer; -1 on error. */
static int
db_int(struct spool *sp, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(sp->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out != NULL)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
db_exec(struct spool *sp, const char *sql)
{
	return sqlite3_exec(sp->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int
spool_db_begin(struct spool *sp)
{
	return spool_step_done(sp->stmt[ST_BEGIN]) == SQLITE_DONE ? 0 : -1;
}

int
spool_db_commit(struct spool *sp)
{
	return spool_step_done(sp->stmt[ST_COMMIT]) == SQLITE_DONE ? 0 : -1;
}

/* Roll back the open transaction, if SQLite has not already done so. */
void
spool_db_rollback(struct spool *sp)
{
	if (sqlite3_get_autocommit(sp->db))
		return;
	sqlite3_step(sp->stmt[ST_ROLLBACK]);
	sqlite3_reset(sp->stmt[ST_ROLLBACK]);
}

/* Real time now, µs since the epoch: for the counters of spool_meta. */
int64_t
spool_real_now_us(void)
{
	return clock_real_us(clock_real());
}

/* Add to (add) or set (!add) one counter of spool_meta; 0 or -1. */
int
spool_meta_update(struct spool *sp, const char *key, int64_t v, int add)
{
	sqlite3_stmt *st = sp->stmt[add ? ST_META_ADD : ST_META_SET];

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return spool_step_done(st) == SQLITE_DONE ? 0 : -1;
}

/*
 * Count the rows of every stream again if another connection changed the
 * file since they were counted; ours keep rows[] up to date themselves
 * (PRAGMA data_version only moves for other connections' commits).  The
 * version is read before counting, so a commit in between is counted now and
 * noticed again next time, never missed.
 */
static int
refresh_rows(struct spool *sp, int force)
{
	int64_t version, rows[SPOOL_NSTREAMS];

	if (spool_step_int(sp->stmt[ST_DATA_VERSION], 0, &version) != 0)
		return -1;
	if (!force && version == sp->data_version)
		return 0;
	for (int s = 0; s < SPOOL_NSTREAMS; s++)
		if (spool_step_int(sp->sst[s][SST_COUNT], 0, &rows[s]) != 0)
			return -1;
	memcpy(sp->rows, rows, sizeof rows);
	sp->data_version = version;
	return 0;
}

static void
set_newer_error(struct spool *sp, int64_t version)
{
	spool_set_error(sp,
	    _("%s: the spool has schema version %lld, newer than "
	    "the %d this program knows; use a newer jope-smb"), sp->path,
	    (long long)version, SPOOL_SCHEMA_VERSION);
}

/*
 * Bring the schema up to SPOOL_SCHEMA_VERSION, one step per transaction.
 * The caller has checked that the file is ours and not newer.
 */
static int
spool_migrate(struct spool *sp)
{
	int64_t v;
	char sql[64];

	for (;;) {
		if (db_exec(sp, "BEGIN IMMEDIATE") != 0) {
			set_open_error(sp,
			    _("cannot lock the spool for an upgrade"));
			return -1;
		}
		if (db_int(sp, "PRAGMA user_version", &v) != 0 || v < 0)
			goto fail;
		if (v > SPOOL_SCHEMA_VERSION) {
			/* A newer program got there first. */
			db_exec(sp, "ROLLBACK");
			set_newer_error(sp, v);
			return -1;
		}
		if (v == SPOOL_SCHEMA_VERSION) {
			/* Done, possibly by another process meanwhile. */
			if (db_exec(sp, "COMMIT") != 0)
				goto fail;
			return 0;
		}
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", (int)v + 1);
		if (db_exec(sp, migrations[v]) != 0 || db_exec(sp, sql) != 0)
			goto fail;
		if (v == 0) {
			snprintf(sql, sizeof sql, "PRAGMA application_id = %d",
			    SPOOL_APP_ID);
			if (db_exec(sp, sql) != 0)
				goto fail;
		}
		if (db_exec(sp, "COMMIT") != 0)
			goto fail;
	}
fail:
	set_open_error(sp, _("cannot upgrade the spool schema"));
	if (!sqlite3_get_autocommit(sp->db))
		db_exec(sp, "ROLLBACK");
	return -1;
}

/* fsync a directory so that a name just created in it survives power loss. */
static void
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

/*
 * Make sure the parent directory and the file exist; a new file is created
 * 0600 whatever the umask, and made durable with its directory entry.
 * *created tells the caller whether the file is new.
 */
static int
spool_create_file(struct spool *sp, int *created)
{
	char *dir = xstrdup(sp->path);
	char *slash = strrchr(dir, '/');
	struct stat st;
	int fd, ret = -1;

	*created = 0;
	if (slash == NULL)
		str_copy(dir, ".", 2);
	else if (slash == dir)
		slash[1] = '\0';
	else {
		*slash = '\0';
		if (make_dirs(dir, 0700) != 0) {
			spool_set_error(sp,
			    _("%s: cannot create the directory %s: %s"),
			    sp->path, dir, strerror(errno));
			goto out;
		}
	}

	fd = open(sp->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		*created = 1;
		if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
			spool_set_error(sp,
			    _("%s: cannot create the spool: %s"),
			    sp->path, strerror(errno));
			close(fd);
			goto out;
		}
		close(fd);
		sync_dir(dir);
	} else if (errno != EEXIST) {
		spool_set_error(sp, _("%s: cannot create the spool: %s"),
		    sp->path, strerror(errno));
		goto out;
	} else if (stat(sp->path, &st) != 0) {
		spool_set_error(sp, _("%s: cannot open the spool: %s"),
		    sp->path, strerror(errno));
		goto out;
	} else if (!S_ISREG(st.st_mode)) {
		spool_set_error(sp, _("%s: not a spool: not a regular file"),
		    sp->path);
		goto out;
	}
	ret = 0;
out:
	free(dir);
	return ret;
}

/*
 * Narrow an existing spool (and its -wal and -shm) to 0600.  Only the owner
 * can; when someone else owns the file, its mode is that owner's decision.
 */
static void
spool_narrow_mode(struct spool *sp)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	size_t n = strlen(sp->path) + 8;
	char *name = xmalloc(n);
	struct stat st;

	for (size_t i = 0; i < ARRAY_LEN(suffix); i++) {
		snprintf(name, n, "%s%s", sp->path, suffix[i]);
		if (stat(name, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 077) != 0)
			(void)chmod(name, st.st_mode & 0700);
	}
	free(name);
}

/*
 * Is this file ours, and not from a newer program?  Nothing is written
 * before this check passes.
 */
static int
spool_check(struct spool *sp)
{
	int64_t version, app_id, nobj;

	if (db_int(sp, "PRAGMA user_version", &version) != 0 ||
	    db_int(sp, "PRAGMA application_id", &app_id) != 0 ||
	    db_int(sp, "SELECT count(*) FROM sqlite_master", &nobj) != 0) {
		set_open_error(sp, _("cannot read the spool"));
		return -1;
	}
	if (version < 0 || (app_id != SPOOL_APP_ID && (app_id != 0 ||
	    version != 0 || nobj != 0))) {
		spool_set_error(sp, _("%s: not a spool: an SQLite database of "
		    "another application"), sp->path);
		return -1;
	}
	if (version > SPOOL_SCHEMA_VERSION) {
		set_newer_error(sp, version);
		return -1;
	}
	return 0;
}

/* WAL, synchronous=FULL, foreign keys: set, then read back. */
static int
spool_configure(struct spool *sp)
{
	sqlite3_stmt *st;
	const unsigned char *mode;
	int64_t sync = -1, fk = -1;
	int wal;

	if (sqlite3_prepare_v2(sp->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK) {
		set_open_error(sp, _("cannot switch to WAL mode"));
		return -1;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		set_open_error(sp, _("cannot switch to WAL mode"));
		sqlite3_finalize(st);
		return -1;
	}
	mode = sqlite3_column_text(st, 0);
	wal = mode != NULL && strcasecmp((const char *)mode, "wal") == 0;
	sqlite3_finalize(st);
	if (!wal) {
		spool_set_error(sp,
		    _("%s: the spool cannot use WAL mode on this "
		    "file system"), sp->path);
		return -1;
	}

	if (db_exec(sp, "PRAGMA synchronous = FULL") != 0 ||
	    db_exec(sp, "PRAGMA fullfsync = ON") != 0 ||
	    db_exec(sp, "PRAGMA foreign_keys = ON") != 0 ||
	    db_int(sp, "PRAGMA synchronous", &sync) != 0 ||
	    db_int(sp, "PRAGMA foreign_keys", &fk) != 0) {
		set_open_error(sp, _("cannot configure the spool"));
		return -1;
	}
	if (sync != 2 || fk != 1) {
		spool_set_error(sp, _("%s: this SQLite cannot give the spool "
		    "synchronous=FULL and foreign keys"), sp->path);
		return -1;
	}
	return 0;
}

/*
 * Prepare n statements into out[], each from this file's SQL (mine) or, where
 * that has none, from spool_upload.c's (theirs): every statement has its SQL
 * in exactly one of the two.
 */
static int
prepare_each(struct spool *sp, const char *const *mine,
    const char *const *theirs, sqlite3_stmt **out, int n)
{
	for (int i = 0; i < n; i++) {
		const char *sql = mine[i] != NULL ? mine[i] : theirs[i];

		if (sqlite3_prepare_v3(sp->db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &out[i], NULL) != SQLITE_OK) {
			set_open_error(sp, _("cannot prepare the spool"));
			return -1;
		}
	}
	return 0;
}

static int
spool_prepare(struct spool *sp)
{
	if (prepare_each(sp, stmt_sql, spool_upload_sql, sp->stmt,
	    ST_COUNT_) != 0)
		return -1;
	for (int s = 0; s < SPOOL_NSTREAMS; s++)
		if (prepare_each(sp, sst_sql[s], spool_upload_sst_sql[s],
		    sp->sst[s], SST_COUNT_) != 0)
			return -1;
	return 0;
}

/*
 * What the spool keeps in memory: its id (it never changes), the rows per
 * stream (counted once, here) and SQLite's own max_page_count, which
 * spool_set_options() restores when max_bytes goes back to 0.
 */
static int
spool_load(struct spool *sp)
{
	sqlite3_stmt *st;
	const unsigned char *id = NULL;
	int ok;

	if (sqlite3_prepare_v2(sp->db, "SELECT value FROM spool_meta"
	    " WHERE key = 'spool_id'", -1, &st, NULL) != SQLITE_OK) {
		set_open_error(sp, _("cannot read the spool"));
		return -1;
	}
	ok = sqlite3_step(st) == SQLITE_ROW &&
	    (id = sqlite3_column_text(st, 0)) != NULL &&
	    strlen((const char *)id) < sizeof sp->id;
	if (ok)
		str_copy(sp->id, (const char *)id, sizeof sp->id);
	sqlite3_finalize(st);
	if (!ok) {
		spool_set_error(sp,
		    _("%s: the spool has lost its id; it is damaged"),
		    sp->path);
		return -1;
	}
	if (db_int(sp, "PRAGMA max_page_count", &sp->dflt_max_pages) != 0 ||
	    refresh_rows(sp, 1) != 0) {
		set_open_error(sp, _("cannot read the spool"));
		return -1;
	}
	return 0;
}

static void
spool_free(struct spool *sp)
{
	for (int i = 0; i < ST_COUNT_; i++)
		sqlite3_finalize(sp->stmt[i]);
	for (int s = 0; s < SPOOL_NSTREAMS; s++)
		for (int i = 0; i < SST_COUNT_; i++)
			sqlite3_finalize(sp->sst[s][i]);
	/* Last connection: checkpoints and removes the -wal file. */
	sqlite3_close(sp->db);
	pthread_cond_destroy(&sp->cond);
	pthread_mutex_destroy(&sp->lock);
	if (tl_err_sp == sp)
		tl_err_sp = NULL;
	free(sp->path);
	free(sp);
}

int
spool_open(const char *path, struct spool **out, char *err, size_t errlen)
{
	struct spool *sp;
	pthread_mutexattr_t attr;
	int created;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || *path == '\0' || out == NULL) {
		if (err != NULL && errlen > 0)
			str_copy(err, _("no spool path given"), errlen);
		return -1;
	}
	if (sqlite3_threadsafe() == 0) {
		if (err != NULL && errlen > 0)
			str_copy(err, _("SQLite was built without thread "
			    "support; the spool cannot use it"), errlen);
		return -1;
	}

	sp = xcalloc(1, sizeof *sp);
	sp->path = xstrdup(path);
	sp->queue_tail = &sp->queue;
	atomic_init(&sp->lockers, 0);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&sp->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_cond_init(&sp->cond, NULL);

	if (spool_create_file(sp, &created) != 0)
		goto fail;
	if (sqlite3_open_v2(path, &sp->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (sp->db == NULL)
			spool_set_error(sp,
			    _("%s: cannot open the spool: out of "
			    "memory"), path);
		else
			set_open_error(sp, _("cannot open the spool"));
		goto fail;
	}
	sqlite3_busy_timeout(sp->db, SPOOL_BUSY_MS);
	if (spool_check(sp) != 0 || spool_configure(sp) != 0 ||
	    spool_migrate(sp) != 0 || spool_prepare(sp) != 0 ||
	    spool_load(sp) != 0)
		goto fail;
	if (!created)
		spool_narrow_mode(sp);
	*out = sp;
	return 0;

fail:
	if (err != NULL && errlen > 0)
		str_copy(err, sp->err, errlen);
	spool_free(sp);
	return -1;
}

void
spool_close(struct spool *sp)
{
	if (sp != NULL)
		spool_free(sp);
}

static size_t
str_size(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

static const char *
str_into(char **p, const char *s)
{
	size_t n = str_size(s);
	char *r = *p;

	if (s == NULL)
		return NULL;
	memcpy(r, s, n);
	*p += n;
	return r;
}

/*
 * Copy a request's records, strings included, into one block it owns: the
 * leader reads them on another thread, outside the mutex, and then depends on
 * nothing but the queue.
 */
static void
req_copy(struct put_req *q)
{
	size_t size = q->nsamples * sizeof *q->samples +
	    q->nerrors * sizeof *q->errors;
	struct spool_sample *s;
	struct spool_error *e;
	char *p;

	for (size_t i = 0; i < q->nsamples; i++)
		size += str_size(q->samples[i].point_id) +
		    str_size(q->samples[i].batch_id) +
		    str_size(q->samples[i].tag);
	for (size_t i = 0; i < q->nerrors; i++)
		size += str_size(q->errors[i].device_id) +
		    str_size(q->errors[i].point_id) +
		    str_size(q->errors[i].description);
	q->copy = xmalloc(size > 0 ? size : 1);
	/* The arrays first: both structs are 8-byte multiples. */
	s = q->copy;
	e = (struct spool_error *)(s + q->nsamples);
	p = (char *)(e + q->nerrors);
	for (size_t i = 0; i < q->nsamples; i++) {
		s[i] = q->samples[i];
		s[i].point_id = str_into(&p, s[i].point_id);
		s[i].batch_id = str_into(&p, s[i].batch_id);
		s[i].tag = str_into(&p, s[i].tag);
	}
	for (size_t i = 0; i < q->nerrors; i++) {
		e[i] = q->errors[i];
		e[i].device_id = str_into(&p, e[i].device_id);
		e[i].point_id = str_into(&p, e[i].point_id);
		e[i].description = str_into(&p, e[i].description);
	}
	q->samples = s;
	q->errors = e;
}

/* Insert one sample; SQLITE_DONE, or the failure (in q->err too). */
static int
put_sample(struct spool *sp, struct put_req *q, size_t i)
{
	const struct spool_sample *s = &q->samples[i];
	sqlite3_stmt *st = sp->stmt[ST_INS_SAMPLE];
	int rc;

	if (s->point_id != NULL)
		sqlite3_bind_text(st, 1, s->point_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 1);
	if (isnan(s->value))
		sqlite3_bind_null(st, 2);
	else
		sqlite3_bind_double(st, 2, s->value);
	sqlite3_bind_int(st, 3, (int)s->quality);
	sqlite3_bind_int64(st, 4, s->ts_us);
	if (s->batch_id != NULL)
		sqlite3_bind_text(st, 5, s->batch_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	if (s->tag != NULL)
		sqlite3_bind_text(st, 6, s->tag, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 6);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		snprintf(q->err, sizeof q->err,
		    _("cannot store sample %zu (point %s): %s"), i,
		    s->point_id != NULL ? s->point_id : "-",
		    sqlite3_errmsg(sp->db));
	spool_stmt_done(st);
	return rc;
}

/* Insert one collection error; SQLITE_DONE, or the failure (in q->err). */
static int
put_error(struct spool *sp, struct put_req *q, size_t i)
{
	const struct spool_error *e = &q->errors[i];
	sqlite3_stmt *st = sp->stmt[ST_INS_ERROR];
	int rc;

	if (e->device_id != NULL)
		sqlite3_bind_text(st, 1, e->device_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 1);
	if (e->point_id != NULL)
		sqlite3_bind_text(st, 2, e->point_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int(st, 3, e->code);
	sqlite3_bind_int(st, 4, e->detail);
	if (e->description != NULL)
		sqlite3_bind_text(st, 5, e->description, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, e->ts_us);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		snprintf(q->err, sizeof q->err,
		    _("cannot store collection error %zu (device %s): %s"), i,
		    e->device_id != NULL ? e->device_id : "-",
		    sqlite3_errmsg(sp->db));
	spool_stmt_done(st);
	return rc;
}

static int
put_records(struct spool *sp, struct put_req *q)
{
	int rc;

	for (size_t i = 0; i < q->nsamples; i++)
		if ((rc = put_sample(sp, q, i)) != SQLITE_DONE)
			return rc;
	for (size_t i = 0; i < q->nerrors; i++)
		if ((rc = put_error(sp, q, i)) != SQLITE_DONE)
			return rc;
	return SQLITE_DONE;
}

/* One group commit, as its leader sees it. */
struct put_round {
	struct put_req *reqs;
	int64_t rows[SPOOL_NSTREAMS];	/* rows per stream when it began */
	int64_t delta[SPOOL_NSTREAMS];	/* what it committed since */
};

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/*
 * The spool is full: delete the oldest records in a transaction of their
 * own and count them (dropped_rows, full_events, last_full_us).  Samples go
 * first, then errors, then spectra, max(SPOOL_DROP_MIN, 2 * need, 1 % of the
 * stream) of them: enough that the next puts fit too, not only this one.
 * Records inside an open upload transaction go only when nothing else is
 * left: they are probably reaching the historian right now.  need: the rows
 * of the put that did not fit.  Returns the rows dropped, 0 when there was
 * nothing to drop, -1 on error.
 */
static int64_t
make_room(struct spool *sp, struct put_round *r, int64_t need)
{
	int64_t dropped = 0, mark, n;
	int s = 0;

	if (spool_db_begin(sp) != 0)
		goto fail;
	for (int pass = 0; pass < 2 && dropped == 0; pass++) {
		/* Never the audit trail: it is a regulated record. */
		for (s = 0; s < SPOOL_AUDIT; s++) {
			sqlite3_stmt *st = sp->sst[s][SST_DROP];

			mark = INT64_MIN;
			if (pass == 0 && spool_stream_mark(sp,
			    (enum spool_stream)s, &mark) != 0)
				goto fail;
			n = max64(SPOOL_DROP_MIN, max64(2 * need,
			    (r->rows[s] + r->delta[s]) / 100));
			sqlite3_bind_int64(st, 1, mark);
			sqlite3_bind_int64(st, 2, n);
			if (spool_step_done(st) != SQLITE_DONE)
				goto fail;
			dropped = sqlite3_changes(sp->db);
			if (dropped > 0)
				break;
		}
	}
	/* Counted even when nothing could go: the spool was found full. */
	if ((dropped > 0 &&
	    spool_meta_update(sp, "dropped_rows", dropped, 1) != 0) ||
	    spool_meta_update(sp, "full_events", 1, 1) != 0 ||
	    spool_meta_update(sp, "last_full_us", spool_real_now_us(),
	    0) != 0 ||
	    spool_db_commit(sp) != 0)
		goto fail;
	if (dropped > 0)
		r->delta[s] -= dropped;
	return dropped;
fail:
	spool_db_rollback(sp);
	return -1;
}

/* Outcomes of tx_put(). */
enum { TX_OK, TX_RECORD, TX_FAILED };

/* Each request of an attempt: all of the round, or only one. */
#define EACH_REQ(q, r, only) \
	for ((q) = (only) != NULL ? (only) : (r)->reqs; (q) != NULL; \
	    (q) = (only) != NULL ? NULL : (q)->next)

/*
 * Write the requests of a round (or only one of them) in one transaction.
 * TX_OK: committed.  TX_RECORD: a record was refused (its request's err
 * says why), nothing stored.  TX_FAILED: the transaction failed as a whole,
 * every request's err says why, nothing stored.  A full spool is made room
 * in once, then the attempt is repeated.  Runs without the mutex, by the
 * leader, which owns the connection.
 */
static int
tx_put(struct spool *sp, struct put_round *r, struct put_req *only)
{
	struct put_req *q;
	char msg[SPOOL_ERRLEN];
	int64_t need = 0;
	int rc = SQLITE_DONE, tried = 0;

	EACH_REQ(q, r, only)
		need += (int64_t)(q->nsamples + q->nerrors);
again:
	if (spool_db_begin(sp) != 0) {
		snprintf(msg, sizeof msg, "%s: %s",
		    _("cannot start a spool transaction"),
		    sqlite3_errmsg(sp->db));
		spool_db_rollback(sp);
		goto fail_all;
	}
	EACH_REQ(q, r, only)
		if ((rc = put_records(sp, q)) != SQLITE_DONE)
			break;
	if (q != NULL) {
		spool_db_rollback(sp);
		if ((rc & 0xff) != SQLITE_FULL)
			return TX_RECORD;
		if (!tried++ && make_room(sp, r, need) > 0)
			goto again;
		/* Still full: not this record's fault, every caller's. */
		str_copy(msg, q->err, sizeof msg);
		goto fail_all;
	}
	if ((rc = spool_step_done(sp->stmt[ST_COMMIT])) != SQLITE_DONE) {
		snprintf(msg, sizeof msg, "%s: %s",
		    _("cannot commit to the spool"), sqlite3_errmsg(sp->db));
		spool_db_rollback(sp);
		if ((rc & 0xff) == SQLITE_FULL && !tried++ &&
		    make_room(sp, r, need) > 0)
			goto again;
		goto fail_all;
	}
	EACH_REQ(q, r, only) {
		r->delta[SPOOL_SAMPLES] += (int64_t)q->nsamples;
		r->delta[SPOOL_ERRORS] += (int64_t)q->nerrors;
	}
	return TX_OK;

fail_all:
	EACH_REQ(q, r, only)
		str_copy(q->err, msg, sizeof q->err);
	return TX_FAILED;
}

/*
 * Lead a group commit: take every queued put, write them in one transaction
 * with the mutex released (so that more can queue for the next round), then
 * wake their callers.  Called, and returns, with the mutex held and the
 * connection free.
 */
static void
put_lead(struct spool *sp)
{
	struct put_round r;
	struct put_req *q, *next;
	int rc, n = 0;

	memset(&r, 0, sizeof r);
	r.reqs = sp->queue;
	sp->queue = NULL;
	sp->queue_tail = &sp->queue;
	memcpy(r.rows, sp->rows, sizeof r.rows);
	sp->writing = 1;
	spool_unlock(sp);

	for (q = r.reqs; q != NULL; q = q->next)
		n++;
	rc = tx_put(sp, &r, NULL);
	if (rc == TX_RECORD && n > 1) {
		/* One caller's bad record must not fail the others. */
		for (q = r.reqs; q != NULL; q = q->next)
			q->result = tx_put(sp, &r, q) == TX_OK ? 0 : -1;
	} else {
		for (q = r.reqs; q != NULL; q = q->next)
			q->result = rc == TX_OK ? 0 : -1;
	}

	pthread_mutex_lock(&sp->lock);
	for (int s = 0; s < SPOOL_NSTREAMS; s++)
		sp->rows[s] += r.delta[s];
	sp->writing = 0;
	sp->rounds++;
	/* Their callers cannot run before we let go of the mutex. */
	for (q = r.reqs; q != NULL; q = next) {
		next = q->next;
		q->done = 1;
	}
	pthread_cond_broadcast(&sp->cond);
}

int
spool_put(struct spool *sp, const struct spool_sample *samples,
    size_t nsamples, const struct spool_error *errors, size_t nerrors)
{
	struct put_req req;
	int ret;

	if (sp == NULL || spool_lock(sp) != 0)
		return -1;
	if ((nsamples > 0 && samples == NULL) ||
	    (nerrors > 0 && errors == NULL)) {
		spool_set_error(sp, _("cannot store: records missing"));
		spool_unlock(sp);
		return -1;
	}
	if (nsamples == 0 && nerrors == 0) {
		spool_unlock(sp);
		return 0;
	}

	req.samples = samples;
	req.nsamples = nsamples;
	req.errors = errors;
	req.nerrors = nerrors;
	req.copy = NULL;
	req.next = NULL;
	req.done = 0;
	req.result = -1;
	req.err[0] = '\0';
	/* A commit is being written: queue for the next round. */
	if (sp->writing)
		req_copy(&req);
	*sp->queue_tail = &req;
	sp->queue_tail = &req.next;
	while (!req.done && sp->writing)
		pthread_cond_wait(&sp->cond, &sp->lock);
	/* Not taken by a leader, and the connection free: lead. */
	if (!req.done)
		put_lead(sp);
	ret = req.result;
	if (ret != 0)
		spool_set_error(sp, "%s", req.err);
	spool_unlock(sp);
	free(req.copy);
	return ret;
}

int
spool_put_retry(struct spool *sp, const struct spool_sample *samples,
    size_t nsamples, const struct spool_error *errors, size_t nerrors)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		struct timespec pause = { 0, 20 * 1000000L };

		if (spool_put(sp, samples, nsamples, errors, nerrors) == 0)
			return 0;
		nanosleep(&pause, NULL);
	}
	return -1;
}

int
spool_put_spectrum(struct spool *sp, const char *spectrum_id, int64_t ts_us,
    const double *pixels, size_t n, const char *batch_id)
{
	sqlite3_stmt *st;
	struct put_round r;
	unsigned char *blob;
	char msg[SPOOL_ERRLEN];
	int rc, ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (spectrum_id == NULL || (n > 0 && pixels == NULL) ||
	    n > SPOOL_MAX_PIXELS) {
		spool_set_error(sp, _("cannot store spectrum: bad arguments"));
		goto out;
	}
	/* Little-endian float64, whatever this machine's byte order. */
	blob = xmalloc(n * 8 + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t bits;

		memcpy(&bits, &pixels[i], 8);
		for (int b = 0; b < 8; b++)
			blob[i * 8 + (size_t)b] = (unsigned char)(bits >> (8 * b));
	}
	st = sp->stmt[ST_INS_SPECTRUM];
	sqlite3_bind_text(st, 1, spectrum_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ts_us);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)n);
	sqlite3_bind_blob(st, 4, blob, (int)(n * 8), SQLITE_STATIC);
	if (batch_id != NULL)
		sqlite3_bind_text(st, 5, batch_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	/* One statement: SQLite's autocommit makes it its own transaction. */
	rc = sqlite3_step(st);
	snprintf(msg, sizeof msg, "%s: %s", _("cannot store spectrum"),
	    sqlite3_errmsg(sp->db));
	if ((rc & 0xff) == SQLITE_FULL) {
		/*
		 * Full, as in spool_put(): the oldest records make room.  A
		 * spectrum of n pixels needs about the room of n / 4 samples.
		 */
		memset(&r, 0, sizeof r);
		memcpy(r.rows, sp->rows, sizeof r.rows);
		sqlite3_reset(st);
		if (make_room(sp, &r, 1 + (int64_t)n / 4) > 0 &&
		    (rc = sqlite3_step(st)) != SQLITE_DONE)
			snprintf(msg, sizeof msg, "%s: %s",
			    _("cannot store spectrum"), sqlite3_errmsg(sp->db));
		for (int s = 0; s < SPOOL_NSTREAMS; s++)
			sp->rows[s] += r.delta[s];
	}
	if (rc == SQLITE_DONE) {
		sp->rows[SPOOL_SPECTRA]++;
		ret = 0;
	} else
		spool_set_error(sp, "%s", msg);
	spool_stmt_done(st);
	free(blob);
out:
	spool_unlock(sp);
	return ret;
}

int
spool_counts(struct spool *sp, struct spool_counts *out)
{
	sqlite3_stmt *st;
	int ret = -1;

	if (sp == NULL || out == NULL || spool_enter(sp) != 0)
		return -1;
	if (refresh_rows(sp, 0) != 0) {
		spool_set_db_error(sp, _("cannot count the spool"));
		goto out;
	}
	st = sp->stmt[ST_COUNTS];
	if (sqlite3_step(st) == SQLITE_ROW) {
		int have = 0;

		memset(out, 0, sizeof *out);
		memcpy(out->rows, sp->rows, sizeof out->rows);
		out->samples = sp->rows[SPOOL_SAMPLES];
		out->errors = sp->rows[SPOOL_ERRORS];
		/* The oldest of the data streams' first records; NULL: empty. */
		for (int s = 0; s < SPOOL_AUDIT; s++) {
			int64_t ts = sqlite3_column_int64(st, s);

			if (sqlite3_column_type(st, s) != SQLITE_NULL &&
			    (!have++ || ts < out->oldest_us))
				out->oldest_us = ts;
		}
		out->marked = sqlite3_column_int64(st, 3);
		out->file_bytes = sqlite3_column_int64(st, 4);
		out->purged_rows = sqlite3_column_int64(st, 5);
		out->purge_events = sqlite3_column_int64(st, 6);
		out->last_purge_us = sqlite3_column_int64(st, 7);
		out->dropped_rows = sqlite3_column_int64(st, 8);
		out->full_events = sqlite3_column_int64(st, 9);
		out->last_full_us = sqlite3_column_int64(st, 10);
		ret = 0;
	} else
		spool_set_db_error(sp, _("cannot count the spool"));
	spool_stmt_done(st);
out:
	spool_unlock(sp);
	return ret;
}

int
spool_put_state(struct spool *sp, int64_t ts_us, long pid, const char *json)
{
	sqlite3_stmt *st;
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (json == NULL) {
		spool_set_error(sp,
		    _("cannot store the console state: no state"));
		goto out;
	}
	st = sp->stmt[ST_PUT_STATE];
	sqlite3_bind_int64(st, 1, ts_us);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)pid);
	sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		ret = 0;
	else
		spool_set_db_error(sp, _("cannot store the console state"));
	spool_stmt_done(st);
out:
	spool_unlock(sp);
	return ret;
}

int
spool_get_state(struct spool *sp, int64_t *ts_us, long *pid, char **json)
{
	sqlite3_stmt *st;
	const unsigned char *text;
	int rc, ret = -1;

	if (json != NULL)
		*json = NULL;
	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	st = sp->stmt[ST_GET_STATE];
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (ts_us != NULL)
			*ts_us = sqlite3_column_int64(st, 0);
		if (pid != NULL)
			*pid = (long)sqlite3_column_int64(st, 1);
		text = sqlite3_column_text(st, 2);
		if (json != NULL)
			*json = xstrdup(text != NULL ? (const char *)text : "");
		ret = 0;
	} else if (rc == SQLITE_DONE)
		ret = 1;
	else
		spool_set_db_error(sp, _("cannot read the console state"));
	spool_stmt_done(st);
	spool_unlock(sp);
	return ret;
}

int
spool_each_sample(struct spool *sp, const char *point_id,
    int (*cb)(void *ctx, const struct spool_sample *s), void *ctx)
{
	sqlite3_stmt *st;
	struct spool_sample s;
	int rc, ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (cb == NULL) {
		spool_set_error(sp, _("cannot list samples: no callback"));
		goto out;
	}
	if (point_id != NULL) {
		st = sp->stmt[ST_EACH_POINT];
		sqlite3_bind_text(st, 1, point_id, -1, SQLITE_STATIC);
	} else
		st = sp->stmt[ST_EACH_ALL];

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
		if (cb(ctx, &s) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc == SQLITE_DONE)
		ret = 0;
	else
		spool_set_db_error(sp, _("cannot list samples"));
	spool_stmt_done(st);
out:
	spool_unlock(sp);
	return ret;
}

int
spool_set_options(struct spool *sp, const struct spool_options *o)
{
	int64_t page_size, pages, max;
	char sql[64];
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (o == NULL || o->max_bytes < 0) {
		spool_set_error(sp, _("cannot apply the spool options: bad "
		    "arguments"));
		goto out;
	}
	snprintf(sql, sizeof sql, "PRAGMA synchronous = %s",
	    o->sync_full ? "FULL" : "NORMAL");
	if (db_exec(sp, sql) != 0)
		goto dberr;
	max = sp->dflt_max_pages;
	if (o->max_bytes > 0) {
		if (db_int(sp, "PRAGMA page_size", &page_size) != 0 ||
		    db_int(sp, "PRAGMA page_count", &pages) != 0 ||
		    page_size <= 0)
			goto dberr;
		/*
		 * Never below the file as it is: a larger spool is not
		 * refused, it just cannot grow (and make_room() reuses
		 * what it frees).
		 */
		max = max64(max64(o->max_bytes / page_size, pages), 1);
	}
	snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld",
	    (long long)max);
	if (db_exec(sp, sql) != 0)
		goto dberr;
	ret = 0;
	goto out;
dberr:
	spool_set_db_error(sp, _("cannot apply the spool options"));
out:
	spool_unlock(sp);
	return ret;
}

const char *
spool_id(struct spool *sp)
{
	/* Read at open, changed only by spool_renew_id (see there). */
	return sp != NULL ? sp->id : "";
}

int
spool_renew_id(struct spool *sp, char *old, size_t oldlen)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *id;
	char fresh[sizeof sp->id];
	int ret = -1;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (old != NULL && oldlen > 0)
		str_copy(old, sp->id, oldlen);
	if (spool_db_begin(sp) != 0 ||
	    sqlite3_exec(sp->db, "INSERT OR REPLACE INTO spool_meta (key, value)"
	    " SELECT 'previous_spool_id', value FROM spool_meta"
	    " WHERE key = 'spool_id';"
	    " UPDATE spool_meta SET value = lower(hex(randomblob(16)))"
	    " WHERE key = 'spool_id';", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sp->db, "SELECT value FROM spool_meta"
	    " WHERE key = 'spool_id'", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW ||
	    (id = sqlite3_column_text(st, 0)) == NULL ||
	    strlen((const char *)id) >= sizeof sp->id) {
		spool_set_db_error(sp, _("cannot give the spool a new id"));
		sqlite3_finalize(st);
		spool_db_rollback(sp);
		goto out;
	}
	str_copy(fresh, (const char *)id, sizeof fresh);
	sqlite3_finalize(st);
	if (spool_db_commit(sp) != 0) {
		spool_set_db_error(sp, _("cannot give the spool a new id"));
		spool_db_rollback(sp);
		goto out;
	}
	str_copy(sp->id, fresh, sizeof sp->id);
	ret = 0;
out:
	spool_unlock(sp);
	return ret;
}

int
spool_previous_id(struct spool *sp, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;
	int ret = -1, rc;

	if (sp == NULL || spool_enter(sp) != 0)
		return -1;
	if (sqlite3_prepare_v2(sp->db, "SELECT value FROM spool_meta"
	    " WHERE key = 'previous_spool_id'", -1, &st, NULL) == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
			str_copy(buf, (const char *)sqlite3_column_text(st, 0),
			    len);
			ret = 1;
		} else if (rc == SQLITE_DONE)
			ret = 0;
	}
	if (ret < 0)
		spool_set_db_error(sp, _("cannot read the spool's id"));
	sqlite3_finalize(st);
	spool_unlock(sp);
	return ret;
}

const char *
spool_stream_name(enum spool_stream s)
{
	switch (s) {
	case SPOOL_SAMPLES:
		return "samples";
	case SPOOL_ERRORS:
		return "errors";
	case SPOOL_SPECTRA:
		return "spectra";
	case SPOOL_AUDIT:
		return "audit";
	case SPOOL_NSTREAMS:
		break;
	}
	return "?";
}

const char *
spool_last_error(struct spool *sp)
{
	if (sp == NULL || tl_err_sp == sp)
		return tl_err;
	if (pthread_mutex_lock(&sp->lock) != 0)
		return tl_err;
	str_copy(tl_copy, sp->err, sizeof tl_copy);
	pthread_mutex_unlock(&sp->lock);
	return tl_copy;
}
