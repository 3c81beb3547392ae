/*
 * spool.c: the local durable store, one SQLite file in WAL mode.
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
 * the last transactions could vanish with the power.)  When this file creates
 * the database it also fsyncs the file and its directory, so the name itself
 * survives a power cut; SQLite does the same for the -wal file it creates.
 * fullfsync is switched on for systems where fsync alone does not flush the
 * drive cache (macOS); elsewhere it is a no-op.
 *
 * Sharing.  WAL lets readers in other processes work while this one writes;
 * busy_timeout (SPOOL_BUSY_MS) makes a writer or a reader that meets a lock
 * wait instead of failing at once.  Inside the process there is one
 * connection and one mutex: every public function takes the mutex for its
 * whole duration, so a struct spool may be shared between threads, and the
 * connection is opened with SQLITE_OPEN_NOMUTEX because our mutex already
 * serialises it.  The mutex is an error-checking one: a callback of
 * spool_each_sample() that calls back into the spool gets -1, not a deadlock.
 *
 * Errors.  A failing call returns -1 and records a message twice: in the
 * struct (under the mutex) and in a thread-local buffer together with the
 * spool it belongs to.  spool_last_error() returns the calling thread's own
 * last failure on that spool, so two threads that fail at the same time each
 * read their own message; a thread that never failed on it gets a copy of the
 * spool's last failure from any thread.  Successful calls do not clear it.
 *
 * Writes.  spool_put() stores all samples and errors of one call in a single
 * BEGIN IMMEDIATE ... COMMIT transaction: all or nothing.  On any failure it
 * rolls back and the spool is exactly as before.  The statements of the hot
 * path are prepared once at open (SQLITE_PREPARE_PERSISTENT) and reset after
 * every use so that no read transaction stays open and blocks checkpoints.
 *
 * Schema.  PRAGMA user_version holds the schema version and
 * PRAGMA application_id marks the file as ours.  migrations[] holds one SQL
 * script per version step; spool_migrate() runs each missing step in its own
 * IMMEDIATE transaction (re-reading the version under the lock, so two
 * processes opening a new spool together cannot both migrate).  To change the
 * schema, append a script: never edit a published one.  A spool written by a
 * newer program (user_version greater than ours) is refused, never touched.
 * upload_tx is reserved for the upload-transaction work: NULL for now.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/i18n.h"
#include "core/util.h"
#include "store/spool.h"

#define SPOOL_BUSY_MS	5000
#define SPOOL_ERRLEN	512
#define SPOOL_APP_ID	0x4a4f5045	/* "JOPE" */

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
};

#define SPOOL_SCHEMA_VERSION	((int)ARRAY_LEN(migrations))

/* The prepared statements, indexes into sp->stmt[] and stmt_sql[]. */
enum {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_INS_SAMPLE,
	ST_INS_ERROR,
	ST_COUNTS,
	ST_PUT_STATE,
	ST_GET_STATE,
	ST_EACH_ALL,
	ST_EACH_POINT,
	ST_INS_SPECTRUM,
	ST_COUNT_
};

static const char *const stmt_sql[ST_COUNT_] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INS_SAMPLE] =
	    "INSERT INTO samples (point_id, value, quality, ts_us, batch_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_INS_ERROR] =
	    "INSERT INTO collection_errors"
	    " (device_id, point_id, code, detail, description, ts_us)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_COUNTS] =
	    "SELECT (SELECT count(*) FROM samples),"
	    " (SELECT count(*) FROM collection_errors),"
	    " (SELECT min(t) FROM (SELECT min(ts_us) AS t FROM samples"
	    "  UNION ALL SELECT min(ts_us) FROM collection_errors))",
	[ST_PUT_STATE] =
	    "INSERT INTO console_state (id, ts_us, pid, json)"
	    " VALUES (1, ?1, ?2, ?3)"
	    " ON CONFLICT (id) DO UPDATE SET ts_us = excluded.ts_us,"
	    " pid = excluded.pid, json = excluded.json",
	[ST_GET_STATE] = "SELECT ts_us, pid, json FROM console_state WHERE id = 1",
	[ST_EACH_ALL] =
	    "SELECT point_id, value, quality, ts_us, batch_id FROM samples"
	    " ORDER BY ts_us, id",
	[ST_EACH_POINT] =
	    "SELECT point_id, value, quality, ts_us, batch_id FROM samples"
	    " WHERE point_id = ?1 ORDER BY ts_us, id",
	[ST_INS_SPECTRUM] =
	    "INSERT INTO spectra (spectrum_id, ts_us, pixels, data, batch_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
};

struct spool {
	pthread_mutex_t lock;
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT_];
	char *path;
	char err[SPOOL_ERRLEN];		/* last failure, under lock */
};

/* The calling thread's last failure, and the spool it happened on. */
static _Thread_local const struct spool *tl_err_sp;
static _Thread_local char tl_err[SPOOL_ERRLEN];
/* Where spool_last_error() copies another thread's message. */
static _Thread_local char tl_copy[SPOOL_ERRLEN];

static void set_error(struct spool *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Record a failure; the caller holds sp->lock (or is the only user). */
static void
set_error(struct spool *sp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tl_err, sizeof tl_err, fmt, ap);
	va_end(ap);
	tl_err_sp = sp;
	str_copy(sp->err, tl_err, sizeof sp->err);
}

/* Record a failure of SQLite, with its own message. */
static void
set_db_error(struct spool *sp, const char *what)
{
	set_error(sp, "%s: %s", what, sqlite3_errmsg(sp->db));
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
		set_error(sp, _("%s: not a spool, or a damaged one (%s); "
		    "move it aside to start a new spool"), sp->path,
		    sqlite3_errmsg(sp->db));
	else
		set_error(sp, "%s: %s: %s", sp->path, what,
		    sqlite3_errmsg(sp->db));
}

static int
spool_lock(struct spool *sp)
{
	int rc = pthread_mutex_lock(&sp->lock);

	if (rc == 0)
		return 0;
	/* Not under the lock: only the thread-local message is written. */
	snprintf(tl_err, sizeof tl_err, "%s",
	    rc == EDEADLK ? _("spool used again from inside its own callback")
	    : strerror(rc));
	tl_err_sp = sp;
	return -1;
}

static void
spool_unlock(struct spool *sp)
{
	pthread_mutex_unlock(&sp->lock);
}

/* Reset a statement after use: frees its read lock and its bindings. */
static void
stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
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

/* Roll back the open transaction, if SQLite has not already done so. */
static void
db_rollback(struct spool *sp)
{
	if (sqlite3_get_autocommit(sp->db))
		return;
	sqlite3_step(sp->stmt[ST_ROLLBACK]);
	sqlite3_reset(sp->stmt[ST_ROLLBACK]);
}

static void
set_newer_error(struct spool *sp, int64_t version)
{
	set_error(sp, _("%s: the spool has schema version %lld, newer than "
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
			set_error(sp, _("%s: cannot create the directory %s: %s"),
			    sp->path, dir, strerror(errno));
			goto out;
		}
	}

	fd = open(sp->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		*created = 1;
		if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
			set_error(sp, _("%s: cannot create the spool: %s"),
			    sp->path, strerror(errno));
			close(fd);
			goto out;
		}
		close(fd);
		sync_dir(dir);
	} else if (errno != EEXIST) {
		set_error(sp, _("%s: cannot create the spool: %s"), sp->path,
		    strerror(errno));
		goto out;
	} else if (stat(sp->path, &st) != 0) {
		set_error(sp, _("%s: cannot open the spool: %s"), sp->path,
		    strerror(errno));
		goto out;
	} else if (!S_ISREG(st.st_mode)) {
		set_error(sp, _("%s: not a spool: not a regular file"),
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
		set_error(sp, _("%s: not a spool: an SQLite database of "
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
		set_error(sp, _("%s: the spool cannot use WAL mode on this "
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
		set_error(sp, _("%s: this SQLite cannot give the spool "
		    "synchronous=FULL and foreign keys"), sp->path);
		return -1;
	}
	return 0;
}

static int
spool_prepare(struct spool *sp)
{
	for (int i = 0; i < ST_COUNT_; i++) {
		if (sqlite3_prepare_v3(sp->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &sp->stmt[i], NULL) != SQLITE_OK) {
			set_open_error(sp, _("cannot prepare the spool"));
			return -1;
		}
	}
	return 0;
}

static void
spool_free(struct spool *sp)
{
	for (int i = 0; i < ST_COUNT_; i++)
		sqlite3_finalize(sp->stmt[i]);
	/* Last connection: checkpoints and removes the -wal file. */
	sqlite3_close(sp->db);
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
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&sp->lock, &attr);
	pthread_mutexattr_destroy(&attr);

	if (spool_create_file(sp, &created) != 0)
		goto fail;
	if (sqlite3_open_v2(path, &sp->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (sp->db == NULL)
			set_error(sp, _("%s: cannot open the spool: out of "
			    "memory"), path);
		else
			set_open_error(sp, _("cannot open the spool"));
		goto fail;
	}
	sqlite3_busy_timeout(sp->db, SPOOL_BUSY_MS);
	if (spool_check(sp) != 0 || spool_configure(sp) != 0 ||
	    spool_migrate(sp) != 0 || spool_prepare(sp) != 0)
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

static int
put_sample(struct spool *sp, size_t i, const struct spool_sample *s)
{
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
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		set_error(sp, _("cannot store sample %zu (point %s): %s"), i,
		    s->point_id != NULL ? s->point_id : "-",
		    sqlite3_errmsg(sp->db));
	stmt_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
put_error(struct spool *sp, size_t i, const struct spool_error *e)
{
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
		set_error(sp, _("cannot store collection error %zu "
		    "(device %s): %s"), i,
		    e->device_id != NULL ? e->device_id : "-",
		    sqlite3_errmsg(sp->db));
	stmt_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
spool_put(struct spool *sp, const struct spool_sample *samples,
    size_t nsamples, const struct spool_error *errors, size_t nerrors)
{
	int ret = -1;

	if (sp == NULL || spool_lock(sp) != 0)
		return -1;
	if ((nsamples > 0 && samples == NULL) ||
	    (nerrors > 0 && errors == NULL)) {
		set_error(sp, _("cannot store: records missing"));
		goto out;
	}
	if (nsamples == 0 && nerrors == 0) {
		ret = 0;
		goto out;
	}

	if (sqlite3_step(sp->stmt[ST_BEGIN]) != SQLITE_DONE) {
		set_db_error(sp, _("cannot start a spool transaction"));
		sqlite3_reset(sp->stmt[ST_BEGIN]);
		goto rollback;
	}
	sqlite3_reset(sp->stmt[ST_BEGIN]);
	for (size_t i = 0; i < nsamples; i++)
		if (put_sample(sp, i, &samples[i]) != 0)
			goto rollback;
	for (size_t i = 0; i < nerrors; i++)
		if (put_error(sp, i, &errors[i]) != 0)
			goto rollback;
	if (sqlite3_step(sp->stmt[ST_COMMIT]) != SQLITE_DONE) {
		set_db_error(sp, _("cannot commit to the spool"));
		sqlite3_reset(sp->stmt[ST_COMMIT]);
		goto rollback;
	}
	sqlite3_reset(sp->stmt[ST_COMMIT]);
	ret = 0;
	goto out;

rollback:
	db_rollback(sp);
out:
	spool_unlock(sp);
	return ret;
}

int
spool_put_spectrum(struct spool *sp, const char *spectrum_id, int64_t ts_us,
    const double *pixels, size_t n, const char *batch_id)
{
	sqlite3_stmt *st;
	unsigned char *blob;
	int ret = -1;

	if (sp == NULL || spool_lock(sp) != 0)
		return -1;
	if (spectrum_id == NULL || (n > 0 && pixels == NULL) ||
	    n > SPOOL_MAX_PIXELS) {
		set_error(sp, _("cannot store spectrum: bad arguments"));
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
	if (sqlite3_step(st) == SQLITE_DONE)
		ret = 0;
	else
		set_db_error(sp, _("cannot store spectrum"));
	stmt_done(st);
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

	if (sp == NULL || out == NULL || spool_lock(sp) != 0)
		return -1;
	st = sp->stmt[ST_COUNTS];
	if (sqlite3_step(st) == SQLITE_ROW) {
		out->samples = sqlite3_column_int64(st, 0);
		out->errors = sqlite3_column_int64(st, 1);
		out->oldest_us = sqlite3_column_int64(st, 2); /* NULL: 0 */
		ret = 0;
	} else
		set_db_error(sp, _("cannot count the spool"));
	stmt_done(st);
	spool_unlock(sp);
	return ret;
}

int
spool_put_state(struct spool *sp, int64_t ts_us, long pid, const char *json)
{
	sqlite3_stmt *st;
	int ret = -1;

	if (sp == NULL || spool_lock(sp) != 0)
		return -1;
	if (json == NULL) {
		set_error(sp, _("cannot store the console state: no state"));
		goto out;
	}
	st = sp->stmt[ST_PUT_STATE];
	sqlite3_bind_int64(st, 1, ts_us);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)pid);
	sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		ret = 0;
	else
		set_db_error(sp, _("cannot store the console state"));
	stmt_done(st);
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
	if (sp == NULL || spool_lock(sp) != 0)
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
		set_db_error(sp, _("cannot read the console state"));
	stmt_done(st);
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

	if (sp == NULL || spool_lock(sp) != 0)
		return -1;
	if (cb == NULL) {
		set_error(sp, _("cannot list samples: no callback"));
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
		if (cb(ctx, &s) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc == SQLITE_DONE)
		ret = 0;
	else
		set_db_error(sp, _("cannot list samples"));
	stmt_done(st);
out:
	spool_unlock(sp);
	return ret;
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
