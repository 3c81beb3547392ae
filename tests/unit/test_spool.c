/*
 * test_spool.c: the specification of the spool, as tests.
 *
 * What a record put in must look like when read back (to the microsecond),
 * the all-or-nothing rule of spool_put, the console state row, what survives
 * close and reopen and a kill -9 in the middle of a stream of writes, puts
 * from several threads at once (sharing transactions: group commit), and the
 * refusals at open: a file that is not a spool, a damaged one, another
 * application's database, a newer schema.  Then the upload transactions
 * (marks as seq ranges, never reused seqs), retention, a full spool dropping
 * its oldest records, the options, the counters, and the migration of
 * spools of schema 1 and 2 built by hand with the DDL of their time.
 * Each test gets its own directory from mkdtemp(3) under /tmp, removed after.
 * Rows are checked through a second, plain SQLite connection, which is also
 * what `jope-smb status` does while the console writes.  Fsyncs are counted
 * (and slowed down like a real disk's) by a pass-through VFS.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/util.h"
#include "store/spool.h"
#include "tests/unit/spool_fixture.h"
#include "tests/unit/tmpdir.h"

#define TS0		INT64_C(1763701268123456)	/* 2025-11-21T05:01:08.123456Z */
#define KILL_AFTER	60	/* acknowledged puts before the SIGKILL */
#define NTHREADS	4
#define PUTS_PER_THREAD	40
#define SAMPLES_PER_PUT	5

static int
setup(void **state)
{
	return tmpdir_fixture_setup(state, "jope-spool", "spool.db");
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static struct spool_counts
counts_of(struct spool *sp)
{
	struct spool_counts c;

	memset(&c, 0xff, sizeof c);
	assert_int_equal(spool_counts(sp, &c), 0);
	return c;
}

/* The rows per stream that spool_counts gives equal those in the file. */
static void
assert_rows_match(const char *path, struct spool *sp)
{
	struct spool_counts c = counts_of(sp);

	assert_true(c.rows[SPOOL_SAMPLES] == raw_query(path,
	    "SELECT count(*) FROM samples", NULL, 0));
	assert_true(c.rows[SPOOL_ERRORS] == raw_query(path,
	    "SELECT count(*) FROM collection_errors", NULL, 0));
	assert_true(c.rows[SPOOL_SPECTRA] == raw_query(path,
	    "SELECT count(*) FROM spectra", NULL, 0));
	assert_true(c.samples == c.rows[SPOOL_SAMPLES]);
	assert_true(c.errors == c.rows[SPOOL_ERRORS]);
}

/* The schema of versions 1 and 2, as published (spool.c migrations[0, 1]). */
#define V1_DDL								\
	"CREATE TABLE samples ("					\
	"  id INTEGER PRIMARY KEY,"					\
	"  point_id TEXT NOT NULL,"					\
	"  value REAL,"							\
	"  quality INTEGER NOT NULL,"					\
	"  ts_us INTEGER NOT NULL,"					\
	"  batch_id TEXT,"						\
	"  upload_tx INTEGER"						\
	");"								\
	"CREATE INDEX samples_point_ts ON samples(point_id, ts_us);"	\
	"CREATE INDEX samples_ts ON samples(ts_us);"			\
	"CREATE INDEX samples_upload_tx ON samples(upload_tx);"		\
	"CREATE TABLE collection_errors ("				\
	"  id INTEGER PRIMARY KEY,"					\
	"  device_id TEXT NOT NULL,"					\
	"  point_id TEXT,"						\
	"  code INTEGER NOT NULL,"					\
	"  detail INTEGER NOT NULL,"					\
	"  description TEXT,"						\
	"  ts_us INTEGER NOT NULL,"					\
	"  upload_tx INTEGER"						\
	");"								\
	"CREATE INDEX collection_errors_ts ON collection_errors(ts_us);" \
	"CREATE INDEX collection_errors_upload_tx"			\
	"  ON collection_errors(upload_tx);"				\
	"CREATE TABLE console_state ("					\
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"			\
	"  ts_us INTEGER NOT NULL,"					\
	"  pid INTEGER NOT NULL,"					\
	"  json TEXT NOT NULL"						\
	");"
#define V2_DDL								\
	"CREATE TABLE spectra ("					\
	"  id INTEGER PRIMARY KEY,"					\
	"  spectrum_id TEXT NOT NULL,"					\
	"  ts_us INTEGER NOT NULL,"					\
	"  pixels INTEGER NOT NULL,"					\
	"  data BLOB NOT NULL,"						\
	"  batch_id TEXT,"						\
	"  upload_tx INTEGER"						\
	");"								\
	"CREATE INDEX spectra_id_ts ON spectra(spectrum_id, ts_us);"	\
	"CREATE INDEX spectra_upload_tx ON spectra(upload_tx);"
#define APP_ID_SQL	"PRAGMA application_id = 1246711877;"	/* JOPE */

/* One record of an upload, copied by recs_cb. */
struct rec {
	int64_t seq, ts_us;
	char batch[32], point[32], device[32], desc[32], spectrum[32];
	int has_batch, has_point, has_desc;
	double value;
	enum quality quality;
	int code, detail;
	size_t pixels;
	double px[4];
};

struct recs {
	size_t n;
	size_t stop_after;	/* 0: never stop */
	struct rec r[64];
};

static int
recs_cb(void *ctx, const struct spool_record *in)
{
	struct recs *rc = ctx;
	struct rec *r;

	if (rc->n >= ARRAY_LEN(rc->r))
		return 1;
	r = &rc->r[rc->n++];
	r->seq = in->seq;
	r->ts_us = in->ts_us;
	r->has_batch = in->batch_id != NULL;
	snprintf(r->batch, sizeof r->batch, "%s",
	    in->batch_id ? in->batch_id : "");
	r->has_point = in->point_id != NULL;
	snprintf(r->point, sizeof r->point, "%s",
	    in->point_id ? in->point_id : "");
	snprintf(r->device, sizeof r->device, "%s",
	    in->device_id ? in->device_id : "");
	r->has_desc = in->description != NULL;
	snprintf(r->desc, sizeof r->desc, "%s",
	    in->description ? in->description : "");
	snprintf(r->spectrum, sizeof r->spectrum, "%s",
	    in->spectrum_id ? in->spectrum_id : "");
	r->value = in->value;
	r->quality = in->quality;
	r->code = in->code;
	r->detail = in->detail;
	r->pixels = in->pixels;
	/* Pixels are little-endian float64 whatever this machine is. */
	for (size_t i = 0; i < in->pixels && i < ARRAY_LEN(r->px); i++) {
		uint64_t bits = 0;

		for (int b = 7; b >= 0; b--)
			bits = bits << 8 | in->data[i * 8 + (size_t)b];
		memcpy(&r->px[i], &bits, sizeof bits);
	}
	return rc->stop_after != 0 && rc->n >= rc->stop_after;
}

/*
 * A VFS that hands everything to the default one and counts the fsyncs,
 * each delayed by shim_delay_us as a real disk would: how a test sees what
 * group commit saves (and what synchronous=NORMAL saves) without anything
 * in spool.h for it.
 */
struct shim_file {
	sqlite3_file base;
	sqlite3_file *real;	/* the default VFS's file, right behind */
};

static sqlite3_vfs *shim_base;
static sqlite3_vfs shim_vfs;
static atomic_int shim_syncs;
static atomic_int shim_delay_us;

#define REAL(f)	(((struct shim_file *)(f))->real)
#define RM(f)	(REAL(f)->pMethods)

static int
shim_close(sqlite3_file *f)
{
	return RM(f)->xClose(REAL(f));
}

static int
shim_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return RM(f)->xRead(REAL(f), buf, n, off);
}

static int
shim_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	return RM(f)->xWrite(REAL(f), buf, n, off);
}

static int
shim_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return RM(f)->xTruncate(REAL(f), size);
}

static int
shim_sync(sqlite3_file *f, int flags)
{
	int delay = atomic_load(&shim_delay_us);

	atomic_fetch_add(&shim_syncs, 1);
	if (delay > 0) {
		struct timespec ts = { 0, delay * 1000L };

		nanosleep(&ts, NULL);
	}
	return RM(f)->xSync(REAL(f), flags);
}

static int
shim_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return RM(f)->xFileSize(REAL(f), size);
}

static int
shim_lock(sqlite3_file *f, int level)
{
	return RM(f)->xLock(REAL(f), level);
}

static int
shim_unlock(sqlite3_file *f, int level)
{
	return RM(f)->xUnlock(REAL(f), level);
}

static int
shim_check_reserved(sqlite3_file *f, int *out)
{
	return RM(f)->xCheckReservedLock(REAL(f), out);
}

static int
shim_file_control(sqlite3_file *f, int op, void *arg)
{
	return RM(f)->xFileControl(REAL(f), op, arg);
}

static int
shim_sector_size(sqlite3_file *f)
{
	return RM(f)->xSectorSize(REAL(f));
}

static int
shim_device_chars(sqlite3_file *f)
{
	return RM(f)->xDeviceCharacteristics(REAL(f));
}

static int
shim_shm_map(sqlite3_file *f, int page, int size, int extend,
    void volatile **pp)
{
	return RM(f)->xShmMap(REAL(f), page, size, extend, pp);
}

static int
shim_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return RM(f)->xShmLock(REAL(f), off, n, flags);
}

static void
shim_shm_barrier(sqlite3_file *f)
{
	RM(f)->xShmBarrier(REAL(f));
}

static int
shim_shm_unmap(sqlite3_file *f, int del)
{
	return RM(f)->xShmUnmap(REAL(f), del);
}

static int
shim_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
	return RM(f)->xFetch(REAL(f), off, n, pp);
}

static int
shim_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return RM(f)->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods shim_io = {
	3, shim_close, shim_read, shim_write, shim_truncate, shim_sync,
	shim_file_size, shim_lock, shim_unlock, shim_check_reserved,
	shim_file_control, shim_sector_size, shim_device_chars, shim_shm_map,
	shim_shm_lock, shim_shm_barrier, shim_shm_unmap, shim_fetch,
	shim_unfetch,
};

static int
shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
    int *out_flags)
{
	struct shim_file *f = (struct shim_file *)file;
	int rc;

	(void)vfs;
	f->real = (sqlite3_file *)(f + 1);
	rc = shim_base->xOpen(shim_base, name, f->real, flags, out_flags);
	/* SQLite calls xClose whenever pMethods is set, even on failure. */
	f->base.pMethods = f->real->pMethods != NULL ? &shim_io : NULL;
	return rc;
}

/* Make the counting VFS the default for the connections opened next. */
static void
shim_install(int delay_us)
{
	shim_base = sqlite3_vfs_find(NULL);
	assert_non_null(shim_base);
	assert_true(shim_base->iVersion >= 2);
	shim_vfs = *shim_base;
	shim_vfs.pNext = NULL;
	shim_vfs.zName = "jope-test-shim";
	shim_vfs.szOsFile = (int)sizeof(struct shim_file) + shim_base->szOsFile;
	shim_vfs.xOpen = shim_open;
	atomic_store(&shim_syncs, 0);
	atomic_store(&shim_delay_us, delay_us);
	assert_int_equal(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
}

static void
shim_remove(void)
{
	sqlite3_vfs_unregister(&shim_vfs);
	sqlite3_vfs_register(shim_base, 1);
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t
real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Samples read back by spool_each_sample, copied. */
struct got {
	size_t n;
	size_t stop_after;	/* 0: never stop */
	struct {
		char point[32];
		double value;
		enum quality quality;
		int64_t ts_us;
		char batch[32];
		char tag[32];
		int has_batch;
	} s[64];
};

static int
collect_cb(void *ctx, const struct spool_sample *s)
{
	struct got *g = ctx;

	if (g->n >= ARRAY_LEN(g->s))
		return 1;
	snprintf(g->s[g->n].point, sizeof g->s[g->n].point, "%s", s->point_id);
	g->s[g->n].value = s->value;
	g->s[g->n].quality = s->quality;
	g->s[g->n].ts_us = s->ts_us;
	g->s[g->n].has_batch = s->batch_id != NULL;
	snprintf(g->s[g->n].tag, sizeof g->s[g->n].tag, "%s",
	    s->tag != NULL ? s->tag : "(null)");
	snprintf(g->s[g->n].batch, sizeof g->s[g->n].batch, "%s",
	    s->batch_id != NULL ? s->batch_id : "");
	g->n++;
	return g->stop_after != 0 && g->n >= g->stop_after;
}

static void
test_put_and_read_back(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample in[] = {
		{ "FT-101.flow", 12.375, QUALITY_GOOD, TS0, "B-2025-0042",
		    NULL },
		{ "PT-201.pressure", -0.000123456789, QUALITY_UNCERTAIN,
		    TS0 + 1, NULL, NULL },
		{ "RAMAN.conc_a", 1.0e300, QUALITY_BAD, TS0 + 999999,
		    "B-2025-0042", "smb-pls@2026.11.1" },
	};
	const struct spool_error errs[] = {
		{ "pump-1", NULL, 3, 110, "connection refused", TS0 + 5 },
		{ "gw-raman", "RAMAN.conc_a", 7, -2, NULL, TS0 + 6 },
	};
	struct got g = { 0 };
	char text[128];

	assert_int_equal(spool_put(sp, in, ARRAY_LEN(in), errs,
	    ARRAY_LEN(errs)), 0);
	assert_int_equal(spool_each_sample(sp, NULL, collect_cb, &g), 0);
	assert_int_equal(g.n, ARRAY_LEN(in));
	for (size_t i = 0; i < ARRAY_LEN(in); i++) {
		assert_string_equal(g.s[i].point, in[i].point_id);
		assert_true(g.s[i].value == in[i].value);	/* bit exact */
		assert_int_equal(g.s[i].quality, in[i].quality);
		assert_true(g.s[i].ts_us == in[i].ts_us);
		assert_int_equal(g.s[i].has_batch, in[i].batch_id != NULL);
		if (in[i].batch_id != NULL)
			assert_string_equal(g.s[i].batch, in[i].batch_id);
		assert_string_equal(g.s[i].tag,
		    in[i].tag != NULL ? in[i].tag : "(null)");
	}

	/* Errors, through a second connection, as `status` would. */
	assert_int_equal(raw_query(f->path,
	    "SELECT count(*) FROM collection_errors", NULL, 0), 2);
	raw_query(f->path, "SELECT device_id || '|' || ifnull(point_id, 'NULL')"
	    " || '|' || code || '|' || detail || '|' ||"
	    " ifnull(description, 'NULL') || '|' || ts_us"
	    " FROM collection_errors ORDER BY seq", text, sizeof text);
	assert_string_equal(text,
	    "pump-1|NULL|3|110|connection refused|1763701268123461");
	raw_query(f->path, "SELECT device_id || '|' || ifnull(point_id, 'NULL')"
	    " || '|' || code || '|' || detail || '|' ||"
	    " ifnull(description, 'NULL') || '|' || ts_us"
	    " FROM collection_errors ORDER BY seq DESC", text, sizeof text);
	assert_string_equal(text,
	    "gw-raman|RAMAN.conc_a|7|-2|NULL|1763701268123462");
	/* Each stream numbers its records from 1, in put order. */
	raw_query(f->path, "SELECT group_concat(seq) FROM (SELECT seq FROM"
	    " samples ORDER BY seq)", text, sizeof text);
	assert_string_equal(text, "1,2,3");
	raw_query(f->path, "SELECT group_concat(seq) FROM (SELECT seq FROM"
	    " collection_errors ORDER BY seq)", text, sizeof text);
	assert_string_equal(text, "1,2");
	/* Nothing is marked until the uploader begins a transaction. */
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM upload_tx",
	    NULL, 0), 0);
	assert_true(counts_of(sp).marked == 0);
	spool_close(sp);
}

static void
test_nan_and_infinity(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample in[] = {
		{ "a", NAN, QUALITY_BAD, 1, NULL, NULL },
		{ "a", INFINITY, QUALITY_UNCERTAIN, 2, NULL, NULL },
		{ "a", -INFINITY, QUALITY_UNCERTAIN, 3, NULL, NULL },
	};
	struct got g = { 0 };

	assert_int_equal(spool_put(sp, in, ARRAY_LEN(in), NULL, 0), 0);
	assert_int_equal(spool_each_sample(sp, "a", collect_cb, &g), 0);
	assert_int_equal(g.n, 3);
	assert_true(isnan(g.s[0].value));
	assert_true(isinf(g.s[1].value) && g.s[1].value > 0);
	assert_true(isinf(g.s[2].value) && g.s[2].value < 0);
	spool_close(sp);
}

static void
test_order_and_filter(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	/* Out of order, with ties: ts then insertion order. */
	const struct spool_sample in[] = {
		{ "p1", 1, QUALITY_GOOD, TS0 + 30, NULL, NULL },
		{ "p2", 2, QUALITY_GOOD, TS0 + 10, NULL, NULL },
		{ "p1", 3, QUALITY_GOOD, TS0 + 20, NULL, NULL },
		{ "p2", 4, QUALITY_GOOD, TS0 + 20, NULL, NULL },
		{ "p1", 5, QUALITY_GOOD, TS0 + 10, NULL, NULL },
	};
	const double all[] = { 2, 5, 3, 4, 1 };
	const double p1[] = { 5, 3, 1 };
	struct got g = { 0 };

	/* Two transactions, so that order is not an artefact of one put. */
	assert_int_equal(spool_put(sp, in, 3, NULL, 0), 0);
	assert_int_equal(spool_put(sp, in + 3, 2, NULL, 0), 0);

	assert_int_equal(spool_each_sample(sp, NULL, collect_cb, &g), 0);
	assert_int_equal(g.n, ARRAY_LEN(all));
	for (size_t i = 0; i < ARRAY_LEN(all); i++)
		assert_true(g.s[i].value == all[i]);

	memset(&g, 0, sizeof g);
	assert_int_equal(spool_each_sample(sp, "p1", collect_cb, &g), 0);
	assert_int_equal(g.n, ARRAY_LEN(p1));
	for (size_t i = 0; i < ARRAY_LEN(p1); i++) {
		assert_string_equal(g.s[i].point, "p1");
		assert_true(g.s[i].value == p1[i]);
	}

	memset(&g, 0, sizeof g);
	assert_int_equal(spool_each_sample(sp, "nope", collect_cb, &g), 0);
	assert_int_equal(g.n, 0);

	/* The callback stops the walk. */
	memset(&g, 0, sizeof g);
	g.stop_after = 2;
	assert_int_equal(spool_each_sample(sp, NULL, collect_cb, &g), 0);
	assert_int_equal(g.n, 2);
	spool_close(sp);
}

static void
test_counts(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	/*
	 * In collection order, as the engine spools them: the first record
	 * of each stream is its oldest, and that is what oldest_us looks at.
	 */
	const struct spool_sample s[] = {
		{ "p", 1, QUALITY_GOOD, TS0 + 50, NULL, NULL },
		{ "p", 2, QUALITY_GOOD, TS0 + 100, NULL, NULL },
	};
	const struct spool_error e = { "dev", NULL, 1, 0, "x", TS0 + 7 };
	const double px[2] = { 1, 2 };
	struct spool_counts c;

	c = counts_of(sp);
	assert_true(c.samples == 0 && c.errors == 0 && c.oldest_us == 0);
	for (int i = 0; i < SPOOL_NSTREAMS; i++)
		assert_true(c.rows[i] == 0);
	assert_true(c.marked == 0 && c.purged_rows == 0 &&
	    c.purge_events == 0 && c.last_purge_us == 0 &&
	    c.dropped_rows == 0 && c.full_events == 0 &&
	    c.last_full_us == 0);
	/* page_count * page_size of the file as SQLite sees it. */
	assert_true(c.file_bytes > 0);
	assert_true(c.file_bytes == raw_query(f->path, "SELECT page_count *"
	    " page_size FROM pragma_page_count(), pragma_page_size()",
	    NULL, 0));

	assert_int_equal(spool_put(sp, s, 2, NULL, 0), 0);
	c = counts_of(sp);
	assert_true(c.samples == 2 && c.errors == 0);
	assert_true(c.rows[SPOOL_SAMPLES] == 2 && c.rows[SPOOL_ERRORS] == 0);
	assert_true(c.oldest_us == TS0 + 50);

	/* An error older than every sample is the oldest record. */
	assert_int_equal(spool_put(sp, NULL, 0, &e, 1), 0);
	c = counts_of(sp);
	assert_true(c.samples == 2 && c.errors == 1);
	assert_true(c.oldest_us == TS0 + 7);

	/* An empty put is a successful no-op. */
	assert_int_equal(spool_put(sp, NULL, 0, NULL, 0), 0);
	c = counts_of(sp);
	assert_true(c.samples == 2 && c.errors == 1);

	/* Spectra count too, and an older one is the oldest record. */
	assert_int_equal(spool_put_spectrum(sp, "S", TS0 + 1, px, 2, NULL), 0);
	c = counts_of(sp);
	assert_true(c.rows[SPOOL_SPECTRA] == 1 && c.oldest_us == TS0 + 1);
	assert_rows_match(f->path, sp);
	spool_close(sp);
}

static void
test_state(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	int64_t ts = -1;
	long pid = -1;
	char *json = (char *)"untouched";

	assert_int_equal(spool_get_state(sp, &ts, &pid, &json), 1);
	assert_null(json);

	assert_int_equal(spool_put_state(sp, TS0, 4242,
	    "{\"mode\":\"run\"}"), 0);
	assert_int_equal(spool_get_state(sp, &ts, &pid, &json), 0);
	assert_true(ts == TS0);
	assert_int_equal(pid, 4242);
	assert_string_equal(json, "{\"mode\":\"run\"}");
	free(json);

	/* Upsert: one row, the newest. */
	assert_int_equal(spool_put_state(sp, TS0 + 1, 77,
	    "{\"mode\":\"idle\",\"batch\":\"B-1\"}"), 0);
	assert_int_equal(spool_get_state(sp, &ts, &pid, &json), 0);
	assert_true(ts == TS0 + 1);
	assert_int_equal(pid, 77);
	assert_string_equal(json, "{\"mode\":\"idle\",\"batch\":\"B-1\"}");
	free(json);
	assert_int_equal(raw_query(f->path,
	    "SELECT count(*) FROM console_state", NULL, 0), 1);

	/* Outputs are optional. */
	assert_int_equal(spool_get_state(sp, NULL, NULL, NULL), 0);
	assert_int_equal(spool_put_state(sp, TS0, 1, NULL), -1);
	spool_close(sp);
}

static void
test_failed_put_changes_nothing(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	struct spool_sample s[5];
	const struct spool_error good = { "dev", "p", 1, 2, "d", TS0 };
	const struct spool_error bad = { NULL, "p", 1, 2, "d", TS0 };
	struct spool_error e[2] = { good, bad };
	struct spool_counts c;

	for (size_t i = 0; i < ARRAY_LEN(s); i++)
		s[i] = (struct spool_sample){ "p", (double)i, QUALITY_GOOD,
		    TS0 + (int64_t)i, "B", NULL };
	s[2].point_id = NULL;	/* violates NOT NULL, mid-batch */

	assert_int_equal(spool_put(sp, s, ARRAY_LEN(s), &good, 1), -1);
	assert_non_null(strstr(spool_last_error(sp), "NOT NULL"));
	c = counts_of(sp);
	assert_true(c.samples == 0 && c.errors == 0 && c.oldest_us == 0);

	/* Good samples, then a bad error: the samples go too. */
	s[2].point_id = "p";
	assert_int_equal(spool_put(sp, s, ARRAY_LEN(s), e, 2), -1);
	assert_non_null(strstr(spool_last_error(sp), "NOT NULL"));
	c = counts_of(sp);
	assert_true(c.samples == 0 && c.errors == 0);

	/* Records missing. */
	assert_int_equal(spool_put(sp, NULL, 3, NULL, 0), -1);

	/* No transaction was left open: the next put works. */
	assert_int_equal(spool_put(sp, s, ARRAY_LEN(s), e, 1), 0);
	c = counts_of(sp);
	assert_true(c.samples == 5 && c.errors == 1);
	spool_close(sp);
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM samples",
	    NULL, 0), 5);
}

static int
reenter_cb(void *ctx, const struct spool_sample *s)
{
	struct spool *sp = ctx;
	struct spool_counts c;

	(void)s;
	/* Must fail at once, not deadlock. */
	return spool_counts(sp, &c) == -1 ? 1 : -1;
}

static void
test_callback_reentry(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample s = { "p", 1, QUALITY_GOOD, TS0, NULL, NULL };

	assert_int_equal(spool_put(sp, &s, 1, NULL, 0), 0);
	assert_int_equal(spool_each_sample(sp, NULL, reenter_cb, sp), 0);
	assert_non_null(strstr(spool_last_error(sp), "callback"));
	/* And the spool still works. */
	assert_true(counts_of(sp).samples == 1);
	spool_close(sp);
}

static void
test_reopen_keeps_everything(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample s[] = {
		{ "p", 1.5, QUALITY_GOOD, TS0, "B-7", NULL },
		{ "q", 2.5, QUALITY_BAD, TS0 + 1, NULL, NULL },
	};
	const struct spool_error e = { "dev", NULL, 4, 5, "timeout", TS0 - 1 };
	struct spool_counts c;
	struct got g = { 0 };
	int64_t ts;
	long pid;
	char *json;

	assert_int_equal(spool_put(sp, s, 2, &e, 1), 0);
	assert_int_equal(spool_put_state(sp, TS0, 99, "{}"), 0);
	spool_close(sp);

	sp = open_ok(f->path);
	c = counts_of(sp);
	assert_true(c.samples == 2 && c.errors == 1 && c.oldest_us == TS0 - 1);
	assert_int_equal(spool_each_sample(sp, NULL, collect_cb, &g), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.s[0].batch, "B-7");
	assert_int_equal(g.s[1].has_batch, 0);
	assert_true(g.s[1].ts_us == TS0 + 1);
	assert_int_equal(spool_get_state(sp, &ts, &pid, &json), 0);
	assert_int_equal(pid, 99);
	assert_string_equal(json, "{}");
	free(json);
	assert_int_equal(raw_query(f->path, "PRAGMA user_version", NULL, 0), 6);
	spool_close(sp);
}

/* Spectra: stored whole, pixels as little-endian float64. */
static void
test_spectrum_roundtrip(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const double px[4] = { 1.5, -2.25, 1e6, 0.0 };
	char hex[128];

	assert_int_equal(spool_put_spectrum(sp, "AT-501.SPECTRUM", TS0, px, 4,
	    NULL), 0);
	assert_int_equal(spool_put_spectrum(sp, NULL, TS0, px, 4, NULL), -1);
	spool_close(sp);
	assert_int_equal(raw_query(f->path,
	    "SELECT pixels FROM spectra WHERE spectrum_id = 'AT-501.SPECTRUM'",
	    NULL, 0), 4);
	raw_query(f->path, "SELECT hex(substr(data, 1, 16)) FROM spectra",
	    hex, sizeof hex);
	/* 1.5 = 0x3FF8000000000000, -2.25 = 0xC002000000000000, LE. */
	assert_string_equal(hex, "000000000000F83F00000000000002C0");
	assert_int_equal(raw_query(f->path, "SELECT length(data) FROM spectra",
	    NULL, 0), 32);
}

/* A spool of schema 1 (before spectra) is migrated, its rows kept. */
static void
test_migrates_from_v1(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp;
	const double px[1] = { 7.0 };

	raw_exec(f->path, V1_DDL
	    "INSERT INTO samples (id, point_id, value, quality, ts_us)"
	    " VALUES (1, 'P1', 1.0, 0, 1763701268123456);"
	    "PRAGMA user_version = 1;" APP_ID_SQL);
	sp = open_ok(f->path);
	assert_int_equal(raw_query(f->path, "PRAGMA user_version", NULL, 0), 6);
	assert_int_equal(spool_put_spectrum(sp, "S", TS0, px, 1, NULL), 0);
	assert_int_equal(counts_of(sp).samples, 1);
	assert_rows_match(f->path, sp);
	spool_close(sp);
}

/*
 * A spool of schema 2 with data waiting, made by hand with the DDL of that
 * version, keeps every row through the migration to 3: the old ids become
 * seqs, the upload_tx columns and the secondary indexes go, new records
 * continue above the old ids.
 */
static void
test_migrates_from_v2(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp;
	struct spool_upload up;
	struct recs rc = { 0 };
	struct got g = { 0 };
	const struct spool_sample s = { "P9", 9.5, QUALITY_GOOD, TS0 + 9,
	    NULL, NULL };
	struct spool_counts c;
	char text[256];

	raw_exec(f->path, V1_DDL V2_DDL
	    "INSERT INTO samples (id, point_id, value, quality, ts_us,"
	    " batch_id, upload_tx) VALUES"
	    " (3, 'P1', 1.5, 0, 1763701268123457, 'B-1', NULL),"
	    " (7, 'P2', NULL, 2, 1763701268123458, NULL, 12),"
	    " (8, 'P1', -2.5, 1, 1763701268123456, NULL, NULL);"
	    "INSERT INTO collection_errors (id, device_id, point_id, code,"
	    " detail, description, ts_us) VALUES"
	    " (5, 'pump-1', NULL, 3, 110, 'refused', 1763701268123400);"
	    "INSERT INTO spectra (id, spectrum_id, ts_us, pixels, data)"
	    " VALUES (2, 'AT-501', 1763701268123500, 1,"
	    " x'000000000000F83F');"
	    "INSERT INTO console_state VALUES (1, 5, 77, '{}');"
	    "PRAGMA user_version = 2;" APP_ID_SQL);

	sp = open_ok(f->path);
	assert_int_equal(raw_query(f->path, "PRAGMA user_version", NULL, 0), 6);
	c = counts_of(sp);
	assert_true(c.rows[SPOOL_SAMPLES] == 3 && c.rows[SPOOL_ERRORS] == 1 &&
	    c.rows[SPOOL_SPECTRA] == 1);
	assert_true(c.oldest_us == TS0 - 56);	/* the error's */
	assert_true(c.marked == 0 && c.dropped_rows == 0 &&
	    c.purged_rows == 0);
	assert_rows_match(f->path, sp);
	raw_query(f->path, "SELECT group_concat(seq || ':' || point_id || ':'"
	    " || ifnull(value, 'NULL') || ':' || quality || ':' || ts_us"
	    " || ':' || ifnull(batch_id, '-'), ' ') FROM (SELECT * FROM"
	    " samples ORDER BY seq)", text, sizeof text);
	assert_string_equal(text, "3:P1:1.5:0:1763701268123457:B-1 "
	    "7:P2:NULL:2:1763701268123458:- 8:P1:-2.5:1:1763701268123456:-");
	raw_query(f->path, "SELECT seq || device_id || code || detail ||"
	    " description || ts_us FROM collection_errors", text, sizeof text);
	assert_string_equal(text, "5pump-13110refused1763701268123400");
	raw_query(f->path, "SELECT seq || spectrum_id || hex(data)"
	    " FROM spectra", text, sizeof text);
	assert_string_equal(text, "2AT-501000000000000F83F");
	/* No upload_tx column, no index of ours left. */
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM"
	    " pragma_table_info('samples') WHERE name = 'upload_tx'",
	    NULL, 0), 0);
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM sqlite_master"
	    " WHERE type = 'index' AND tbl_name IN ('samples',"
	    " 'collection_errors', 'spectra', 'upload_tx')", NULL, 0), 0);
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM sqlite_master"
	    " WHERE name LIKE '%_v2'", NULL, 0), 0);
	assert_int_equal(strlen(spool_id(sp)), 32);
	assert_int_equal(spool_get_state(sp, NULL, NULL, NULL), 0);

	/* Reads as before, NULL value as NAN. */
	assert_int_equal(spool_each_sample(sp, NULL, collect_cb, &g), 0);
	assert_int_equal(g.n, 3);
	assert_true(g.s[0].value == -2.5 && g.s[1].value == 1.5);
	assert_true(isnan(g.s[2].value));

	/* New records continue above the old ids. */
	assert_int_equal(spool_put(sp, &s, 1, NULL, 0), 0);
	assert_int_equal(spool_upload_begin(sp, SPOOL_SAMPLES, 100, &up), 1);
	assert_true(up.first_seq == 3 && up.last_seq == 9 && up.rows == 4);
	assert_int_equal(spool_upload_each(sp, &up, recs_cb, &rc), 0);
	assert_int_equal(rc.n, 4);
	assert_true(rc.r[3].seq == 9 && rc.r[3].value == 9.5);
	assert_int_equal(spool_upload_commit(sp, &up), 0);
	assert_true(counts_of(sp).rows[SPOOL_SAMPLES] == 0);
	spool_close(sp);
}

/* A second connection (what `jope-smb status` opens) reads meanwhile. */
static void
test_second_reader(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *writer = open_ok(f->path);
	struct spool *reader;
	const struct spool_sample s = { "p", 1, QUALITY_GOOD, TS0, NULL, NULL };

	assert_int_equal(spool_put(writer, &s, 1, NULL, 0), 0);
	reader = open_ok(f->path);
	assert_true(counts_of(reader).samples == 1);
	assert_int_equal(spool_put(writer, &s, 1, NULL, 0), 0);
	assert_true(counts_of(reader).samples == 2);
	spool_close(reader);
	spool_close(writer);
}

static int
read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* The child: one put per sample, then tell the parent. Never returns. */
static void
child_put_forever(const char *path, int fd)
{
	struct spool *sp;
	char err[512];

	if (spool_open(path, &sp, err, sizeof err) != 0)
		_exit(2);
	for (int64_t i = 1; i < INT64_C(1000000000); i++) {
		struct spool_sample s = { "kill", (double)i, QUALITY_GOOD, i,
		    NULL, NULL };

		if (spool_put(sp, &s, 1, NULL, 0) != 0)
			_exit(3);
		if (write(fd, &i, sizeof i) != (ssize_t)sizeof i)
			_exit(4);
	}
	_exit(0);
}

struct kill_check {
	int64_t next;	/* the ts expected next: 1, 2, 3, ... */
	int bad;
};

static int
kill_cb(void *ctx, const struct spool_sample *s)
{
	struct kill_check *k = ctx;

	/* Every ts once, in order, none missing: no duplicate, no hole. */
	if (s->ts_us != k->next || s->value != (double)k->next)
		k->bad = 1;
	k->next++;
	return 0;
}

static void
test_kill9_keeps_acknowledged(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp;
	struct kill_check k = { 1, 0 };
	int64_t acked = 0, n, stored;
	int fds[2], status;
	pid_t pid;

	/* Created beforehand, so the child starts writing at once. */
	spool_close(open_ok(f->path));
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child_put_forever(f->path, fds[1]);
	}
	close(fds[1]);
	while (acked < KILL_AFTER) {
		if (read_full(fds[0], &n, sizeof n) != 0)
			fail_msg("child stopped after %lld puts",
			    (long long)acked);
		acked = n;
	}
	assert_int_equal(kill(pid, SIGKILL), 0);
	/* Acknowledgements written before the kill still count. */
	while (read_full(fds[0], &n, sizeof n) == 0)
		acked = n;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	sp = open_ok(f->path);
	stored = counts_of(sp).samples;
	/* At most one put committed but not yet acknowledged. */
	assert_true(stored >= acked);
	assert_true(stored <= acked + 1);
	assert_int_equal(spool_each_sample(sp, "kill", kill_cb, &k), 0);
	assert_int_equal(k.bad, 0);
	assert_true(k.next - 1 == stored);
	spool_close(sp);
}

struct worker {
	struct spool *sp;
	int id;
	int failures;
	int bad_messages;
	pthread_t thread;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	char point[32];
	struct spool_sample s[SAMPLES_PER_PUT];
	struct spool_counts c;

	snprintf(point, sizeof point, "thread-%d", w->id);
	for (int i = 0; i < PUTS_PER_THREAD; i++) {
		for (int k = 0; k < SAMPLES_PER_PUT; k++) {
			int seq = i * SAMPLES_PER_PUT + k;

			s[k] = (struct spool_sample){ point,
			    (double)(w->id * 100000 + seq), QUALITY_GOOD,
			    TS0 + seq, NULL, NULL };
		}
		if (spool_put(w->sp, s, SAMPLES_PER_PUT, NULL, 0) != 0)
			w->failures++;
		/* A failing put now and then: its message is this thread's. */
		if (i % 8 == w->id) {
			s[1].point_id = NULL;
			if (spool_put(w->sp, s, SAMPLES_PER_PUT, NULL, 0) != -1)
				w->failures++;
			else if (strstr(spool_last_error(w->sp),
			    "NOT NULL") == NULL)
				w->bad_messages++;
		}
		if (spool_counts(w->sp, &c) != 0)
			w->failures++;
	}
	return NULL;
}

struct seen {
	unsigned char hit[NTHREADS][PUTS_PER_THREAD * SAMPLES_PER_PUT];
	int bad;
};

static int
seen_cb(void *ctx, const struct spool_sample *s)
{
	struct seen *sn = ctx;
	int id, seq;

	if (sscanf(s->point_id, "thread-%d", &id) != 1 || id < 0 ||
	    id >= NTHREADS) {
		sn->bad++;
		return 0;
	}
	seq = (int)(s->value - id * 100000);
	if (seq < 0 || seq >= PUTS_PER_THREAD * SAMPLES_PER_PUT ||
	    s->ts_us != TS0 + seq || sn->hit[id][seq]++ != 0)
		sn->bad++;
	return 0;
}

static void
test_threads(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	struct worker w[NTHREADS];
	static struct seen sn;

	memset(&sn, 0, sizeof sn);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .sp = sp, .id = i };
		assert_int_equal(pthread_create(&w[i].thread, NULL, worker_run,
		    &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
		assert_int_equal(w[i].failures, 0);
		assert_int_equal(w[i].bad_messages, 0);
	}
	assert_true(counts_of(sp).samples ==
	    NTHREADS * PUTS_PER_THREAD * SAMPLES_PER_PUT);
	assert_int_equal(spool_each_sample(sp, NULL, seen_cb, &sn), 0);
	assert_int_equal(sn.bad, 0);
	for (int i = 0; i < NTHREADS; i++)
		for (int j = 0; j < PUTS_PER_THREAD * SAMPLES_PER_PUT; j++)
			assert_int_equal(sn.hit[i][j], 1);
	spool_close(sp);
}

static void
assert_open_fails(const char *path, const char *needle)
{
	struct spool *sp = (struct spool *)&sp;	/* must become NULL */
	char err[512] = "";

	assert_int_equal(spool_open(path, &sp, err, sizeof err), -1);
	assert_null(sp);
	if (strstr(err, path) == NULL || strstr(err, needle) == NULL)
		fail_msg("expected \"%s\" and the path in: %s", needle, err);
}

static void
test_not_a_spool(void **state)
{
	struct tmpdir_fixture *f = *state;
	static const char text[] = "point,value\nFT-101,12.5\n";
	unsigned char noise[8192];

	write_file(f->path, text, sizeof text - 1);
	assert_open_fails(f->path, "not a spool");

	for (size_t i = 0; i < sizeof noise; i++)
		noise[i] = (unsigned char)(i * 7919 + 13);
	write_file(f->path, noise, sizeof noise);
	assert_open_fails(f->path, "not a spool");

	/* A directory where the file should be. */
	assert_int_equal(remove(f->path), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_open_fails(f->path, "not a regular file");
	assert_int_equal(rmdir(f->path), 0);
}

static void
test_damaged_spool(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample s = { "p", 1, QUALITY_GOOD, TS0, NULL, NULL };
	unsigned char junk[3000];
	int fd;

	assert_int_equal(spool_put(sp, &s, 1, NULL, 0), 0);
	spool_close(sp);
	/* Keep the 100-byte header, trample the schema page behind it. */
	memset(junk, 0xa5, sizeof junk);
	fd = open(f->path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof junk, 100),
	    (ssize_t)sizeof junk);
	close(fd);
	assert_open_fails(f->path, "damaged");
}

static void
test_foreign_database(void **state)
{
	struct tmpdir_fixture *f = *state;
	char mode[32];

	raw_exec(f->path, "CREATE TABLE recipes (name TEXT)");
	assert_open_fails(f->path, "another application");
	/* Left as it was: not switched to WAL, no tables of ours. */
	raw_query(f->path, "PRAGMA journal_mode", mode, sizeof mode);
	assert_string_equal(mode, "delete");
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM"
	    " sqlite_master WHERE name = 'samples'", NULL, 0), 0);
}

static void
test_newer_schema_refused(void **state)
{
	struct tmpdir_fixture *f = *state;

	spool_close(open_ok(f->path));
	raw_exec(f->path, "PRAGMA user_version = 99");
	assert_open_fails(f->path, "newer");
	assert_int_equal(raw_query(f->path, "PRAGMA user_version", NULL, 0),
	    99);
}

static void
test_journal_mode_wal(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	char mode[32];

	raw_query(f->path, "PRAGMA journal_mode", mode, sizeof mode);
	assert_string_equal(mode, "wal");
	assert_int_equal(raw_query(f->path, "PRAGMA application_id", NULL, 0),
	    0x4a4f5045);
	spool_close(sp);
}

static void
assert_mode(const char *path, unsigned mode)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	if ((st.st_mode & 07777) != mode)
		fail_msg("%s: mode %o, expected %o", path,
		    (unsigned)(st.st_mode & 07777), mode);
}

static void
test_file_mode_and_directory(void **state)
{
	struct tmpdir_fixture *f = *state;
	const struct spool_sample s = { "p", 1, QUALITY_GOOD, TS0, NULL, NULL };
	char dir[192], path[256], wal[272];
	struct spool *sp;
	mode_t old = umask(0);
	int fd;

	/* Missing parent directories are made, the file is 0600. */
	snprintf(dir, sizeof dir, "%s/var/lib/jope", f->dir);
	snprintf(path, sizeof path, "%s/spool.db", dir);
	snprintf(wal, sizeof wal, "%s-wal", path);
	sp = open_ok(path);
	assert_int_equal(spool_put(sp, &s, 1, NULL, 0), 0);
	assert_mode(dir, 0700);
	assert_mode(path, 0600);
	assert_mode(wal, 0600);
	spool_close(sp);

	/* An existing spool readable by others is narrowed. */
	fd = open(f->path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_mode(f->path, 0644);
	sp = open_ok(f->path);
	assert_mode(f->path, 0600);
	spool_close(sp);
	umask(old);
}

/* n samples of one point, ts and value ts0, ts0 + 1, ... */
static void
put_n(struct spool *sp, const char *point, int64_t ts0, int n)
{
	struct spool_sample s[128];

	assert_true(n <= (int)ARRAY_LEN(s));
	for (int i = 0; i < n; i++)
		s[i] = (struct spool_sample){ point, (double)(ts0 + i),
		    QUALITY_GOOD, ts0 + i, NULL, NULL };
	assert_int_equal(spool_put(sp, s, (size_t)n, NULL, 0), 0);
}

static struct spool_upload
begin_ok(struct spool *sp, enum spool_stream stream, int64_t max_rows,
    int64_t first, int64_t last, int64_t rows)
{
	struct spool_upload up;

	memset(&up, 0xff, sizeof up);
	assert_int_equal(spool_upload_begin(sp, stream, max_rows, &up), 1);
	assert_int_equal(up.stream, stream);
	if (up.first_seq != first || up.last_seq != last || up.rows != rows)
		fail_msg("marked [%lld, %lld] %lld rows, expected [%lld, %lld] "
		    "%lld rows", (long long)up.first_seq,
		    (long long)up.last_seq, (long long)up.rows,
		    (long long)first, (long long)last, (long long)rows);
	return up;
}

/* The seqs of a table, in order, as "1,2,3". */
static void
assert_seqs(const char *path, const char *table, const char *want)
{
	char sql[160], text[4096];

	snprintf(sql, sizeof sql, "SELECT ifnull(group_concat(seq), '')"
	    " FROM (SELECT seq FROM %s ORDER BY seq)", table);
	raw_query(path, sql, text, sizeof text);
	if (strcmp(text, want) != 0)
		fail_msg("%s: seqs %s, expected %s", table, text, want);
}

/* A mark covers what waited at begin; later records stay unmarked. */
static void
test_upload_marks_what_waits(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	struct spool_upload up, up2, none;
	struct recs rc = { 0 };

	/* Nothing waits: 0, and *up untouched. */
	memset(&none, 0x5a, sizeof none);
	assert_int_equal(spool_upload_begin(sp, SPOOL_SAMPLES, 10, &none), 0);
	assert_true(none.tx == (int64_t)0x5a5a5a5a5a5a5a5a);

	put_n(sp, "p", 1, 5);
	up = begin_ok(sp, SPOOL_SAMPLES, 10, 1, 5, 5);
	assert_true(up.tx >= 1);
	assert_true(counts_of(sp).marked == 5);
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM upload_tx",
	    NULL, 0), 1);

	/* Put after begin: not part of this upload. */
	put_n(sp, "p", 100, 3);
	assert_int_equal(spool_upload_each(sp, &up, recs_cb, &rc), 0);
	assert_int_equal(rc.n, 5);
	for (size_t i = 0; i < rc.n; i++) {
		assert_true(rc.r[i].seq == (int64_t)i + 1);
		assert_true(rc.r[i].value == (double)(i + 1));
	}

	/* The next begin takes only what no open upload holds. */
	up2 = begin_ok(sp, SPOOL_SAMPLES, 10, 6, 8, 3);
	assert_true(up2.tx != up.tx);
	assert_true(counts_of(sp).marked == 8);
	assert_int_equal(spool_upload_begin(sp, SPOOL_SAMPLES, 10, &none), 0);
	/* Streams are separate. */
	assert_int_equal(spool_upload_begin(sp, SPOOL_ERRORS, 10, &none), 0);

	/* Commit: exactly the marked records leave. */
	assert_int_equal(spool_upload_commit(sp, &up), 0);
	assert_seqs(f->path, "samples", "6,7,8");
	assert_true(counts_of(sp).marked == 3);
	assert_true(counts_of(sp).oldest_us == 100);
	assert_rows_match(f->path, sp);
	assert_int_equal(spool_upload_commit(sp, &up2), 0);
	assert_seqs(f->path, "samples", "");
	assert_true(counts_of(sp).marked == 0 && counts_of(sp).samples == 0);
	assert_int_equal(spool_upload_begin(sp, SPOOL_SAMPLES, 10, &none), 0);

	/* Bad arguments. */
	assert_int_equal(spool_upload_begin(sp, SPOOL_NSTREAMS, 10, &none), -1);
	assert_int_equal(spool_upload_begin(sp, SPOOL_SAMPLES, 0, &none), -1);
	assert_int_equal(spool_upload_begin(sp, SPOOL_SAMPLES, 10, NULL), -1);
	assert_int_equal(spool_upload_each(sp, NULL, recs_cb, &rc), -1);
	assert_int_equal(spool_upload_commit(sp, NULL), -1);
	spool_close(sp);
}

/* Begins in a row mark disjoint ranges; an aborted range is marked again. */
static void
test_upload_disjoint_and_abort(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	struct spool_upload a, b, c, d, none;
	struct recs rc = { 0 };

	put_n(sp, "p", 1, 10);
	a = begin_ok(sp, SPOOL_SAMPLES, 4, 1, 4, 4);
	b = begin_ok(sp, SPOOL_SAMPLES, 4, 5, 8, 4);
	c = begin_ok(sp, SPOOL_SAMPLES, 4, 9, 10, 2);
	assert_int_equal(spool_upload_begin(sp, SPOOL_SAMPLES, 4, &none), 0);
	assert_true(counts_of(sp).marked == 10);

	/* Out of order: the middle one commits first. */
	assert_int_equal(spool_upload_commit(sp, &b), 0);
	assert_seqs(f->path, "samples", "1,2,3,4,9,10");
	assert_true(counts_of(sp).samples == 6 && counts_of(sp).marked == 6);

	/* Abort, begin: the same records again, under a new tx. */
	assert_int_equal(spool_upload_abort(sp, &c), 0);
	assert_true(counts_of(sp).marked == 4);
	d = begin_ok(sp, SPOOL_SAMPLES, 4, 9, 10, 2);
	assert_true(d.tx != c.tx);
	assert_int_equal(spool_upload_abort(sp, &d), 0);
	assert_int_equal(spool_upload_abort(sp, &a), 0);
	assert_true(counts_of(sp).marked == 0);

	/* A range may span a committed hole: rows counts what is there. */
	d = begin_ok(sp, SPOOL_SAMPLES, 100, 1, 10, 6);
	assert_int_equal(spool_upload_each(sp, &d, recs_cb, &rc), 0);
	assert_int_equal(rc.n, 6);
	assert_true(rc.r[3].seq == 4 && rc.r[4].seq == 9);
	assert_int_equal(spool_upload_commit(sp, &d), 0);
	assert_seqs(f->path, "samples", "");
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM upload_tx",
	    NULL, 0), 0);
	assert_rows_match(f->path, sp);
	spool_close(sp);
}

/* Marks left by a process that died are cleared by reset at start. */
static void
test_upload_reset_after_crash(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	struct spool_upload up, again;

	put_n(sp, "p", 1, 7);
	up = begin_ok(sp, SPOOL_SAMPLES, 5, 1, 5, 5);
	/* Gone before the historian answered: no commit, no abort. */
	spool_close(sp);

	sp = open_ok(f->path);
	assert_true(counts_of(sp).marked == 5);
	assert_int_equal(spool_upload_reset(sp), 1);
	assert_true(counts_of(sp).marked == 0);
	assert_int_equal(spool_upload_reset(sp), 0);
	again = begin_ok(sp, SPOOL_SAMPLES, 5, 1, 5, 5);
	/* upload_tx is AUTOINCREMENT too: a tx is never named twice. */
	assert_true(again.tx > up.tx);
	assert_true(counts_of(sp).samples == 7);
	spool_close(sp);
}

/* A seq is never given twice: not after emptying, not after reopening. */
static void
test_seq_never_reused(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_error e = { "dev", NULL, 1, 0, NULL, TS0 };
	struct spool_upload up;

	put_n(sp, "p", 1, 3);
	up = begin_ok(sp, SPOOL_SAMPLES, 100, 1, 3, 3);
	assert_int_equal(spool_upload_commit(sp, &up), 0);
	put_n(sp, "p", 4, 1);
	up = begin_ok(sp, SPOOL_SAMPLES, 100, 4, 4, 1);
	assert_int_equal(spool_upload_commit(sp, &up), 0);
	assert_int_equal(spool_put(sp, NULL, 0, &e, 1), 0);
	up = begin_ok(sp, SPOOL_ERRORS, 100, 1, 1, 1);
	assert_int_equal(spool_upload_commit(sp, &up), 0);
	assert_true(counts_of(sp).samples == 0 && counts_of(sp).errors == 0);
	spool_close(sp);

	/* Empty at close, and still no seq comes back. */
	sp = open_ok(f->path);
	put_n(sp, "p", 5, 1);
	up = begin_ok(sp, SPOOL_SAMPLES, 100, 5, 5, 1);
	assert_int_equal(spool_upload_commit(sp, &up), 0);
	assert_int_equal(spool_put(sp, NULL, 0, &e, 1), 0);
	begin_ok(sp, SPOOL_ERRORS, 100, 2, 2, 1);
	spool_close(sp);
	sp = open_ok(f->path);
	put_n(sp, "p", 6, 1);
	begin_ok(sp, SPOOL_SAMPLES, 100, 6, 6, 1);
	spool_close(sp);
}

/* What spool_upload_each gives for each stream. */
static void
test_upload_each_records(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample s[] = {
		{ "FT-101.flow", 12.375, QUALITY_GOOD, TS0, "B-1", NULL },
		{ "PT-201.pressure", NAN, QUALITY_BAD, TS0 + 1, NULL, NULL },
	};
	const struct spool_error e[] = {
		{ "pump-1", NULL, 3, 110, NULL, TS0 + 2 },
		{ "gw-raman", "RAMAN.conc_a", 7, -2, "bad crc", TS0 + 3 },
	};
	const double px[3] = { 1.5, -2.25, 1e6 };
	struct spool_upload us, ue, ux, bad;
	struct recs rc = { 0 };

	assert_int_equal(spool_put(sp, s, 2, e, 2), 0);
	assert_int_equal(spool_put_spectrum(sp, "AT-501.SPECTRUM", TS0 + 4, px,
	    3, "B-1"), 0);
	us = begin_ok(sp, SPOOL_SAMPLES, 10, 1, 2, 2);
	ue = begin_ok(sp, SPOOL_ERRORS, 10, 1, 2, 2);
	ux = begin_ok(sp, SPOOL_SPECTRA, 10, 1, 1, 1);
	assert_true(counts_of(sp).marked == 5);

	assert_int_equal(spool_upload_each(sp, &us, recs_cb, &rc), 0);
	assert_int_equal(rc.n, 2);
	assert_string_equal(rc.r[0].point, "FT-101.flow");
	assert_true(rc.r[0].value == 12.375 && rc.r[0].ts_us == TS0);
	assert_int_equal(rc.r[0].quality, QUALITY_GOOD);
	assert_true(rc.r[0].has_batch);
	assert_string_equal(rc.r[0].batch, "B-1");
	assert_true(isnan(rc.r[1].value) && !rc.r[1].has_batch);
	assert_int_equal(rc.r[1].quality, QUALITY_BAD);

	memset(&rc, 0, sizeof rc);
	assert_int_equal(spool_upload_each(sp, &ue, recs_cb, &rc), 0);
	assert_int_equal(rc.n, 2);
	assert_string_equal(rc.r[0].device, "pump-1");
	assert_true(!rc.r[0].has_point && !rc.r[0].has_desc);
	assert_true(rc.r[0].code == 3 && rc.r[0].detail == 110);
	assert_true(rc.r[0].ts_us == TS0 + 2 && !rc.r[0].has_batch);
	assert_string_equal(rc.r[1].point, "RAMAN.conc_a");
	assert_string_equal(rc.r[1].desc, "bad crc");
	assert_true(rc.r[1].code == 7 && rc.r[1].detail == -2);

	memset(&rc, 0, sizeof rc);
	assert_int_equal(spool_upload_each(sp, &ux, recs_cb, &rc), 0);
	assert_int_equal(rc.n, 1);
	assert_string_equal(rc.r[0].spectrum, "AT-501.SPECTRUM");
	assert_string_equal(rc.r[0].batch, "B-1");
	assert_true(rc.r[0].ts_us == TS0 + 4 && rc.r[0].pixels == 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(rc.r[0].px[i] == px[i]);

	/* The callback stops the walk. */
	memset(&rc, 0, sizeof rc);
	rc.stop_after = 1;
	assert_int_equal(spool_upload_each(sp, &us, recs_cb, &rc), 0);
	assert_int_equal(rc.n, 1);

	bad = us;
	bad.stream = SPOOL_NSTREAMS;
	assert_int_equal(spool_upload_each(sp, &bad, recs_cb, &rc), -1);
	assert_int_equal(spool_upload_each(sp, &us, NULL, NULL), -1);

	assert_int_equal(spool_upload_commit(sp, &ux), 0);
	assert_true(counts_of(sp).rows[SPOOL_SPECTRA] == 0);
	assert_rows_match(f->path, sp);
	spool_close(sp);
}

/* Retention: old records of every stream go, and are counted. */
static void
test_purge_older(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_error e[] = {
		{ "d", NULL, 1, 0, NULL, TS0 - 5 },
		{ "d", NULL, 1, 0, NULL, TS0 - 4 },
		{ "d", NULL, 1, 0, NULL, TS0 + 5 },
	};
	const double px[1] = { 1 };
	enum { NOLD = 25000 };
	struct spool_sample *old = calloc(NOLD, sizeof *old);
	const int64_t now = TS0 + 777;
	struct spool_counts c;
	int64_t purged = -1;

	assert_non_null(old);
	put_n(sp, "p", TS0 - 1000, 5);
	put_n(sp, "p", TS0, 3);
	assert_int_equal(spool_put(sp, NULL, 0, e, 3), 0);
	assert_int_equal(spool_put_spectrum(sp, "S", TS0 - 1, px, 1, NULL), 0);
	assert_int_equal(spool_put_spectrum(sp, "S", TS0 + 1, px, 1, NULL), 0);

	/* Strictly older than the cutoff. */
	assert_int_equal(spool_purge_older(sp, TS0, now, &purged), 0);
	assert_true(purged == 8);
	c = counts_of(sp);
	assert_true(c.rows[SPOOL_SAMPLES] == 3 && c.rows[SPOOL_ERRORS] == 1 &&
	    c.rows[SPOOL_SPECTRA] == 1);
	assert_true(c.oldest_us == TS0);
	assert_true(c.purged_rows == 8 && c.purge_events == 1 &&
	    c.last_purge_us == now);
	assert_rows_match(f->path, sp);

	/* Nothing to purge: no event. */
	assert_int_equal(spool_purge_older(sp, TS0, now + 1, &purged), 0);
	assert_true(purged == 0);
	c = counts_of(sp);
	assert_true(c.purge_events == 1 && c.last_purge_us == now);

	/* Many: in several transactions, one event. */
	for (int i = 0; i < NOLD; i++)
		old[i] = (struct spool_sample){ "old", i, QUALITY_GOOD, i + 1,
		    NULL, NULL };
	assert_int_equal(spool_put(sp, old, NOLD, NULL, 0), 0);
	assert_true(counts_of(sp).samples == NOLD + 3);
	assert_int_equal(spool_purge_older(sp, TS0, now + 2, NULL), 0);
	c = counts_of(sp);
	assert_true(c.samples == 3 && c.purged_rows == NOLD + 8);
	assert_true(c.purge_events == 2 && c.last_purge_us == now + 2);
	assert_rows_match(f->path, sp);

	/* The counters last. */
	spool_close(sp);
	sp = open_ok(f->path);
	c = counts_of(sp);
	assert_true(c.purged_rows == NOLD + 8 && c.purge_events == 2 &&
	    c.last_purge_us == now + 2 && c.samples == 3);
	spool_close(sp);
	free(old);
}

struct backlog {
	int n, stop_after;
	char point[8][16];
	int64_t rows[8], oldest[8], newest[8];
};

static int
backlog_cb(void *ctx, const char *point_id, int64_t rows, int64_t oldest_us,
    int64_t newest_us)
{
	struct backlog *b = ctx;

	if (b->n >= 8)
		return 1;
	snprintf(b->point[b->n], sizeof b->point[b->n], "%s", point_id);
	b->rows[b->n] = rows;
	b->oldest[b->n] = oldest_us;
	b->newest[b->n] = newest_us;
	b->n++;
	return b->stop_after != 0 && b->n >= b->stop_after;
}

static void
test_backlog_by_point(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample s[] = {
		{ "p2", 1, QUALITY_GOOD, 5, NULL, NULL },
		{ "p1", 2, QUALITY_GOOD, 30, NULL, NULL },
		{ "p1", 3, QUALITY_BAD, 10, NULL, NULL },
		{ "p3", 4, QUALITY_GOOD, 7, NULL, NULL },
		{ "p1", 5, QUALITY_GOOD, 20, NULL, NULL },
	};
	const struct spool_error e = { "dev", "p4", 1, 0, NULL, 1 };
	struct backlog b = { 0 };

	assert_int_equal(spool_backlog_by_point(sp, backlog_cb, &b), 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(spool_put(sp, s, ARRAY_LEN(s), &e, 1), 0);
	assert_int_equal(spool_backlog_by_point(sp, backlog_cb, &b), 0);
	/* Samples only, by point. */
	assert_int_equal(b.n, 3);
	assert_string_equal(b.point[0], "p1");
	assert_true(b.rows[0] == 3 && b.oldest[0] == 10 && b.newest[0] == 30);
	assert_string_equal(b.point[1], "p2");
	assert_true(b.rows[1] == 1 && b.oldest[1] == 5 && b.newest[1] == 5);
	assert_string_equal(b.point[2], "p3");
	assert_true(b.rows[2] == 1 && b.oldest[2] == 7 && b.newest[2] == 7);

	memset(&b, 0, sizeof b);
	b.stop_after = 1;
	assert_int_equal(spool_backlog_by_point(sp, backlog_cb, &b), 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(spool_backlog_by_point(sp, NULL, NULL), -1);
	spool_close(sp);
}

static void
test_spool_id(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path), *other;
	char id[64], other_path[192], stored[64];

	snprintf(id, sizeof id, "%s", spool_id(sp));
	assert_int_equal(strlen(id), 32);
	assert_true(strspn(id, "0123456789abcdef") == 32);
	raw_query(f->path, "SELECT value FROM spool_meta WHERE key ="
	    " 'spool_id'", stored, sizeof stored);
	assert_string_equal(stored, id);
	spool_close(sp);

	sp = open_ok(f->path);
	assert_string_equal(spool_id(sp), id);

	snprintf(other_path, sizeof other_path, "%s/other.db", f->dir);
	other = open_ok(other_path);
	assert_int_equal(strlen(spool_id(other)), 32);
	assert_string_not_equal(spool_id(other), id);
	spool_close(other);
	spool_close(sp);

	assert_string_equal(spool_stream_name(SPOOL_SAMPLES), "samples");
	assert_string_equal(spool_stream_name(SPOOL_ERRORS), "errors");
	assert_string_equal(spool_stream_name(SPOOL_SPECTRA), "spectra");
}

/* Full: the oldest records make room for the newest, and are counted. */
static void
test_full_drops_oldest(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_options o = { 1, 256 * 1024 };
	enum { NB = 400, BATCH = 100 };
	struct spool_sample s[BATCH], *huge;
	static const double px[1000];
	char points[BATCH][32];
	int64_t t0 = real_us(), t1, max_seq, min_seq, rows, full_events;
	struct spool_counts c;
	int failed = 0;

	assert_int_equal(spool_set_options(sp, &o), 0);
	for (int k = 0; k < BATCH; k++)
		snprintf(points[k], sizeof points[k], "FT-101.flow-%03d", k);
	for (int b = 0; b < NB; b++) {
		for (int k = 0; k < BATCH; k++)
			s[k] = (struct spool_sample){ points[k],
			    (double)(b * BATCH + k), QUALITY_GOOD,
			    TS0 + b * BATCH + k, "B-2025-0042", NULL };
		if (spool_put(sp, s, BATCH, NULL, 0) != 0 && failed++ == 0)
			print_message("put %d: %s\n", b, spool_last_error(sp));
	}
	t1 = real_us();
	assert_int_equal(failed, 0);

	c = counts_of(sp);
	assert_true(c.dropped_rows > 0 && c.full_events > 0);
	assert_true(c.last_full_us >= t0 && c.last_full_us <= t1);
	assert_true(c.file_bytes <= o.max_bytes);
	assert_true(c.samples + c.dropped_rows == NB * BATCH);
	assert_rows_match(f->path, sp);
	/* The newest batch is there whole, the oldest gone: a seq range. */
	max_seq = raw_query(f->path, "SELECT max(seq) FROM samples", NULL, 0);
	min_seq = raw_query(f->path, "SELECT min(seq) FROM samples", NULL, 0);
	rows = raw_query(f->path, "SELECT count(*) FROM samples", NULL, 0);
	assert_true(max_seq == NB * BATCH);
	assert_true(min_seq > BATCH);
	assert_true(rows == max_seq - min_seq + 1);
	assert_true(c.oldest_us == TS0 + min_seq - 1);
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM samples"
	    " WHERE value >= 39900 AND ts_us >= 1763701268163356", NULL, 0),
	    BATCH);

	/* Spectra make room the same way: 20 x 8 KiB into a full spool. */
	full_events = counts_of(sp).full_events;
	for (int i = 0; i < 20; i++)
		assert_int_equal(spool_put_spectrum(sp, "AT-501", TS0 + i, px,
		    ARRAY_LEN(px), NULL), 0);
	c = counts_of(sp);
	assert_true(c.rows[SPOOL_SPECTRA] == 20);
	assert_true(c.full_events > full_events);
	assert_true(c.file_bytes <= o.max_bytes);

	/* One put larger than the whole spool fails, and cleanly. */
	huge = calloc(20000, sizeof *huge);
	assert_non_null(huge);
	for (int i = 0; i < 20000; i++)
		huge[i] = (struct spool_sample){ points[i % BATCH], i,
		    QUALITY_GOOD, TS0 + NB * BATCH + i, NULL, NULL };
	assert_int_equal(spool_put(sp, huge, 20000, NULL, 0), -1);
	assert_non_null(strstr(spool_last_error(sp), "full"));
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM samples"
	    " WHERE seq > 40000", NULL, 0), 0);
	free(huge);
	assert_int_equal(spool_put(sp, s, BATCH, NULL, 0), 0);

	assert_rows_match(f->path, sp);
	spool_close(sp);
}

/* max_bytes below the file's size: it is not refused, it cannot grow. */
static void
test_options_max_bytes(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_options small = { 1, 64 * 1024 };
	const struct spool_options unlimited = { 1, 0 };
	const struct spool_options bad = { 1, -1 };
	enum { N = 20000 };
	struct spool_sample *s = calloc(N, sizeof *s);
	int64_t before;
	struct spool_counts c;

	assert_non_null(s);
	for (int i = 0; i < N; i++)
		s[i] = (struct spool_sample){ "FT-101.flow", i, QUALITY_GOOD,
		    TS0 + i, NULL, NULL };
	assert_int_equal(spool_put(sp, s, N, NULL, 0), 0);
	before = counts_of(sp).file_bytes;
	assert_true(before > 4 * small.max_bytes);

	assert_int_equal(spool_set_options(sp, &small), 0);
	for (int b = 0; b < 10; b++)
		assert_int_equal(spool_put(sp, s, 100, NULL, 0), 0);
	c = counts_of(sp);
	assert_true(c.file_bytes == before);
	assert_true(c.dropped_rows >= 1000 && c.full_events >= 1);
	assert_true(c.samples + c.dropped_rows == N + 1000);
	assert_rows_match(f->path, sp);

	/* Back to unlimited: it grows again, nothing more is dropped. */
	assert_int_equal(spool_set_options(sp, &unlimited), 0);
	assert_int_equal(spool_put(sp, s, N, NULL, 0), 0);
	assert_true(counts_of(sp).file_bytes > before);
	assert_true(counts_of(sp).dropped_rows == c.dropped_rows);

	assert_int_equal(spool_set_options(sp, &bad), -1);
	assert_int_equal(spool_set_options(sp, NULL), -1);
	spool_close(sp);
	free(s);
}

/* sync_full: FULL fsyncs every commit, NORMAL leaves it to checkpoints. */
static void
test_options_sync(void **state)
{
	struct tmpdir_fixture *f = *state;
	const struct spool_options normal = { 0, 0 }, full = { 1, 0 };
	struct spool *sp;
	int syncs;

	shim_install(0);
	sp = open_ok(f->path);
	atomic_store(&shim_syncs, 0);
	for (int i = 0; i < 20; i++)
		put_n(sp, "p", i, 1);
	syncs = atomic_load(&shim_syncs);
	assert_true(syncs >= 20);

	assert_int_equal(spool_set_options(sp, &normal), 0);
	atomic_store(&shim_syncs, 0);
	for (int i = 0; i < 20; i++)
		put_n(sp, "p", 100 + i, 1);
	syncs = atomic_load(&shim_syncs);
	assert_true(syncs < 5);

	assert_int_equal(spool_set_options(sp, &full), 0);
	atomic_store(&shim_syncs, 0);
	for (int i = 0; i < 20; i++)
		put_n(sp, "p", 200 + i, 1);
	assert_true(atomic_load(&shim_syncs) >= 20);
	assert_true(counts_of(sp).samples == 60);
	spool_close(sp);
	shim_remove();
}

/*
 * Group commit.  Each worker puts nputs times (samples and one error), into
 * buffers it scribbles over as soon as a put returns, and records what each
 * put returned.  Every bad_every-th put carries a NULL point_id.
 */
#define GC_THREADS	8
#define GC_MAXPUTS	64

struct gc_worker {
	struct spool *sp;
	pthread_t thread;
	int id;
	int nputs, nsamples, bad_every;
	signed char result[GC_MAXPUTS];	/* 0 or -1, as returned */
	int unexpected, bad_messages;
};

static void *
gc_run(void *arg)
{
	struct gc_worker *w = arg;
	struct spool_sample *s = calloc((size_t)w->nsamples, sizeof *s);
	char point[32], batch[32], device[32], desc[48];
	struct spool_error e;

	if (s == NULL) {
		w->unexpected++;
		return NULL;
	}
	for (int i = 0; i < w->nputs; i++) {
		int bad = w->bad_every > 0 &&
		    i % w->bad_every == w->id % w->bad_every;
		int rc;

		snprintf(point, sizeof point, "gc-%d", w->id);
		snprintf(batch, sizeof batch, "B-%d-%d", w->id, i);
		snprintf(device, sizeof device, "dev-%d", w->id);
		snprintf(desc, sizeof desc, "put %d of %d", i, w->id);
		for (int k = 0; k < w->nsamples; k++)
			s[k] = (struct spool_sample){ point,
			    w->id * 1e6 + i * 1000 + k, QUALITY_GOOD,
			    TS0 + i * 1000 + k, batch, NULL };
		if (bad)
			s[w->nsamples / 2].point_id = NULL;
		e = (struct spool_error){ device, NULL, 1, i, desc, TS0 + i };
		rc = spool_put(w->sp, s, (size_t)w->nsamples, &e, 1);
		w->result[i] = (signed char)rc;
		if (rc != (bad ? -1 : 0))
			w->unexpected++;
		else if (bad && strstr(spool_last_error(w->sp),
		    "NOT NULL") == NULL)
			w->bad_messages++;
		/* Ours again once put returned: the spool must not care. */
		memset(point, 'x', sizeof point - 1);
		memset(batch, 'x', sizeof batch - 1);
		memset(device, 'x', sizeof device - 1);
		memset(desc, 'x', sizeof desc - 1);
	}
	free(s);
	return NULL;
}

static void
gc_start(struct gc_worker *w, int n, struct spool *sp, int nputs,
    int nsamples, int bad_every)
{
	assert_true(nputs <= GC_MAXPUTS && n <= GC_THREADS);
	for (int i = 0; i < n; i++) {
		w[i] = (struct gc_worker){ .sp = sp, .id = i, .nputs = nputs,
		    .nsamples = nsamples, .bad_every = bad_every };
		assert_int_equal(pthread_create(&w[i].thread, NULL, gc_run,
		    &w[i]), 0);
	}
}

static void
gc_join(struct gc_worker *w, int n)
{
	for (int i = 0; i < n; i++) {
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
		assert_int_equal(w[i].unexpected, 0);
		assert_int_equal(w[i].bad_messages, 0);
	}
}

/* What the file holds of the workers' puts, read in seq order. */
struct gc_seen {
	int samples[GC_THREADS][GC_MAXPUTS];
	int errors[GC_THREADS][GC_MAXPUTS];
	int64_t last[GC_THREADS];	/* i * 1000 + k of the last one seen */
	int bad;
};

static int
gc_seen_cb(void *ctx, const struct spool_record *r)
{
	struct gc_seen *sn = ctx;
	char want[48];
	int id, i, k;

	if (r->stream == SPOOL_SAMPLES) {
		if (r->point_id == NULL ||
		    sscanf(r->point_id, "gc-%d", &id) != 1 ||
		    id < 0 || id >= GC_THREADS)
			return 0;	/* not a worker's */
		i = (int)((r->value - id * 1e6) / 1000);
		k = (int)(r->value - id * 1e6 - i * 1000);
		snprintf(want, sizeof want, "B-%d-%d", id, i);
		if (i < 0 || i >= GC_MAXPUTS || r->ts_us != TS0 + i * 1000 + k ||
		    r->batch_id == NULL || strcmp(r->batch_id, want) != 0 ||
		    i * 1000 + k <= sn->last[id])
			sn->bad++;
		else {
			sn->samples[id][i]++;
			sn->last[id] = i * 1000 + k;
		}
	} else {
		if (r->device_id == NULL ||
		    sscanf(r->device_id, "dev-%d", &id) != 1 ||
		    id < 0 || id >= GC_THREADS)
			return 0;
		i = r->detail;
		snprintf(want, sizeof want, "put %d of %d", i, id);
		if (i < 0 || i >= GC_MAXPUTS || r->ts_us != TS0 + i ||
		    r->description == NULL || strcmp(r->description, want) != 0 ||
		    i <= sn->last[id])
			sn->bad++;
		else {
			sn->errors[id][i]++;
			sn->last[id] = i;
		}
	}
	return 0;
}

/* Read every waiting record of both streams, in seq order, into *sn. */
static void
gc_read(struct spool *sp, struct gc_seen *sn)
{
	struct spool_upload up;

	memset(sn, 0, sizeof *sn);
	for (int t = 0; t < GC_THREADS; t++)
		sn->last[t] = -1;
	if (spool_upload_begin(sp, SPOOL_SAMPLES, INT64_MAX, &up) == 1) {
		assert_int_equal(spool_upload_each(sp, &up, gc_seen_cb, sn), 0);
		assert_int_equal(spool_upload_abort(sp, &up), 0);
	}
	for (int t = 0; t < GC_THREADS; t++)
		sn->last[t] = -1;
	if (spool_upload_begin(sp, SPOOL_ERRORS, INT64_MAX, &up) == 1) {
		assert_int_equal(spool_upload_each(sp, &up, gc_seen_cb, sn), 0);
		assert_int_equal(spool_upload_abort(sp, &up), 0);
	}
	assert_int_equal(sn->bad, 0);
}

/*
 * Every put that returned 0 is in the file exactly once, in order of seq
 * per thread, and nothing of a put that returned -1 is: checked whole.
 */
static void
gc_check_exact(struct gc_worker *w, int n, const struct gc_seen *sn)
{
	for (int t = 0; t < n; t++)
		for (int i = 0; i < w[t].nputs; i++) {
			int want = w[t].result[i] == 0;

			if (sn->samples[t][i] != want * w[t].nsamples ||
			    sn->errors[t][i] != want)
				fail_msg("thread %d put %d returned %d: %d "
				    "samples and %d errors in the file", t, i,
				    w[t].result[i], sn->samples[t][i],
				    sn->errors[t][i]);
		}
}

/*
 * Concurrent puts share transactions and fsyncs.  The shim makes each
 * fsync take 2 ms, like a real disk, and counts them.  Measured here with 8
 * threads x 25 puts of 10 samples: about 50 fsyncs for 200 puts and 1,500
 * puts/s, where one fsync per put would allow 500 at most.
 */
static void
test_group_commit(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct gc_worker w[GC_THREADS];
	static struct gc_seen sn;
	struct spool *sp;
	int syncs, puts = GC_THREADS * 25;
	double t;

	shim_install(2000);
	sp = open_ok(f->path);
	atomic_store(&shim_syncs, 0);
	t = mono_s();
	gc_start(w, GC_THREADS, sp, 25, 10, 0);
	gc_join(w, GC_THREADS);
	t = mono_s() - t;
	syncs = atomic_load(&shim_syncs);
	print_message("group commit: %d puts, %d fsyncs, %.0f puts/s\n",
	    puts, syncs, puts / t);
	/* Fewer fsyncs than puts: some transactions held several. */
	assert_true(syncs < puts / 2);

	gc_read(sp, &sn);
	gc_check_exact(w, GC_THREADS, &sn);
	assert_true(counts_of(sp).samples == puts * 10);
	assert_true(counts_of(sp).errors == puts);
	assert_rows_match(f->path, sp);
	spool_close(sp);
	shim_remove();
}

/*
 * A bad record fails its own caller only, never the others that shared its
 * transaction; each caller gets its own message.
 */
static void
test_group_commit_bad_caller(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct gc_worker w[GC_THREADS];
	static struct gc_seen sn;
	struct spool *sp;
	int failed = 0;

	shim_install(1000);
	sp = open_ok(f->path);
	gc_start(w, GC_THREADS, sp, 20, 5, 4);
	gc_join(w, GC_THREADS);
	for (int t = 0; t < GC_THREADS; t++)
		for (int i = 0; i < 20; i++)
			failed += w[t].result[i] != 0;
	assert_int_equal(failed, GC_THREADS * 5);
	gc_read(sp, &sn);
	gc_check_exact(w, GC_THREADS, &sn);
	assert_true(counts_of(sp).samples == (GC_THREADS * 20 - failed) * 5);
	assert_rows_match(f->path, sp);
	spool_close(sp);
	shim_remove();
}

/* Full while several threads put: every put stored, the newest kept. */
static void
test_full_with_threads(void **state)
{
	struct tmpdir_fixture *f = *state;
	const struct spool_options o = { 1, 256 * 1024 };
	struct gc_worker w[4];
	static struct gc_seen sn;
	struct spool *sp = open_ok(f->path);
	struct spool_counts c;

	assert_int_equal(spool_set_options(sp, &o), 0);
	gc_start(w, 4, sp, 60, 100, 0);
	gc_join(w, 4);
	c = counts_of(sp);
	assert_true(c.dropped_rows > 0 && c.full_events > 0);
	assert_true(c.samples + c.errors + c.dropped_rows == 4 * 60 * 101);
	assert_true(c.file_bytes <= o.max_bytes);
	assert_rows_match(f->path, sp);
	/*
	 * What is left is one seq range ending with the newest record: the
	 * oldest went.  So each thread keeps a suffix of its puts (in seq
	 * order, gc_read checks), whole but for the one cut at the edge.
	 */
	assert_true(raw_query(f->path, "SELECT max(seq) - min(seq) + 1 ="
	    " count(*) AND max(seq) = (SELECT seq FROM sqlite_sequence"
	    " WHERE name = 'samples') FROM samples", NULL, 0) == 1);
	gc_read(sp, &sn);
	for (int t = 0; t < 4; t++) {
		int i = 59;

		while (i >= 0 && sn.samples[t][i] == 100)
			i--;
		while (i >= 0 && sn.samples[t][i] < 100 &&
		    sn.samples[t][i] > 0)
			i--;	/* cut at the edge */
		while (i >= 0 && sn.samples[t][i] == 0)
			i--;
		if (i >= 0)
			fail_msg("thread %d: put %d kept after a dropped one",
			    t, i);
		assert_int_equal(sn.errors[t][59], 1);
	}
	spool_close(sp);
}

/* Retention in chunks lets puts through, and they all stay. */
static void
test_purge_while_putting(void **state)
{
	struct tmpdir_fixture *f = *state;
	enum { NOLD = 30000 };
	struct spool_sample *old = calloc(NOLD, sizeof *old);
	struct gc_worker w[4];
	static struct gc_seen sn;
	struct spool *sp = open_ok(f->path);
	int64_t purged = -1;

	assert_non_null(old);
	for (int i = 0; i < NOLD; i++)
		old[i] = (struct spool_sample){ "old", i, QUALITY_GOOD, i + 1,
		    NULL, NULL };
	assert_int_equal(spool_put(sp, old, NOLD, NULL, 0), 0);
	free(old);
	gc_start(w, 4, sp, 20, 10, 0);
	assert_int_equal(spool_purge_older(sp, 1000000, TS0, &purged), 0);
	gc_join(w, 4);
	assert_true(purged == NOLD);
	assert_true(counts_of(sp).samples == 4 * 20 * 10);
	assert_true(counts_of(sp).purged_rows == NOLD);
	gc_read(sp, &sn);
	gc_check_exact(w, 4, &sn);
	assert_rows_match(f->path, sp);
	spool_close(sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_and_read_back,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_nan_and_infinity,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_order_and_filter,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_counts, setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_state, setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_failed_put_changes_nothing,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_callback_reentry,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_everything,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_second_reader,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_kill9_keeps_acknowledged,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_spool,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_damaged_spool,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_spectrum_roundtrip,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrates_from_v1,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_journal_mode_wal,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_file_mode_and_directory,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrates_from_v2,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_spool_id, setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upload_marks_what_waits,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upload_disjoint_and_abort,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upload_reset_after_crash,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_seq_never_reused,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upload_each_records,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_purge_older,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_backlog_by_point,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_full_drops_oldest,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_options_max_bytes,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_options_sync,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_group_commit,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_bad_caller,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_full_with_threads,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_purge_while_putting,
		    setup, tmpdir_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
