/*
 * test_spool.c: the specification of the spool, as tests.
 *
 * What a record put in must look like when read back (to the microsecond),
 * the all-or-nothing rule of spool_put, the console state row, what survives
 * close and reopen and a kill -9 in the middle of a stream of writes, puts
 * from several threads at once, and the refusals at open: a file that is not
 * a spool, a damaged one, another application's database, a newer schema.
 * Each test gets its own directory from mkdtemp(3) under /tmp, removed after.
 * Error rows are checked through a second, plain SQLite connection, which is
 * also what `jope-smb status` does while the console writes.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/util.h"
#include "store/spool.h"

#define TS0		INT64_C(1763701268123456)	/* 2025-11-21T05:01:08.123456Z */
#define KILL_AFTER	60	/* acknowledged puts before the SIGKILL */
#define NTHREADS	4
#define PUTS_PER_THREAD	40
#define SAMPLES_PER_PUT	5

struct fixture {
	char dir[64];
	char path[128];
};

static int
remove_entry(const char *name, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(name);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/jope-spool-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/spool.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct spool *
open_ok(const char *path)
{
	struct spool *sp = NULL;
	char err[512] = "";

	if (spool_open(path, &sp, err, sizeof err) != 0)
		fail_msg("spool_open(%s): %s", path, err);
	assert_non_null(sp);
	return sp;
}

/* One integer (or text, when text is not NULL) from a plain connection. */
static int64_t
raw_query(const char *path, const char *sql, char *text, size_t textlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		if (text != NULL) {
			const unsigned char *t = sqlite3_column_text(st, 0);

			snprintf(text, textlen, "%s",
			    t != NULL ? (const char *)t : "(null)");
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
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
	snprintf(g->s[g->n].batch, sizeof g->s[g->n].batch, "%s",
	    s->batch_id != NULL ? s->batch_id : "");
	g->n++;
	return g->stop_after != 0 && g->n >= g->stop_after;
}

static void
test_put_and_read_back(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample in[] = {
		{ "FT-101.flow", 12.375, QUALITY_GOOD, TS0, "B-2025-0042" },
		{ "PT-201.pressure", -0.000123456789, QUALITY_UNCERTAIN,
		    TS0 + 1, NULL },
		{ "RAMAN.conc_a", 1.0e300, QUALITY_BAD, TS0 + 999999,
		    "B-2025-0042" },
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
	}

	/* Errors, through a second connection, as `status` would. */
	assert_int_equal(raw_query(f->path,
	    "SELECT count(*) FROM collection_errors", NULL, 0), 2);
	raw_query(f->path, "SELECT device_id || '|' || ifnull(point_id, 'NULL')"
	    " || '|' || code || '|' || detail || '|' ||"
	    " ifnull(description, 'NULL') || '|' || ts_us"
	    " FROM collection_errors ORDER BY id", text, sizeof text);
	assert_string_equal(text,
	    "pump-1|NULL|3|110|connection refused|1763701268123461");
	raw_query(f->path, "SELECT device_id || '|' || ifnull(point_id, 'NULL')"
	    " || '|' || code || '|' || detail || '|' ||"
	    " ifnull(description, 'NULL') || '|' || ts_us"
	    " FROM collection_errors ORDER BY id DESC", text, sizeof text);
	assert_string_equal(text,
	    "gw-raman|RAMAN.conc_a|7|-2|NULL|1763701268123462");
	/* upload_tx stays NULL until the uploader marks rows. */
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM samples"
	    " WHERE upload_tx IS NOT NULL", NULL, 0), 0);
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM"
	    " collection_errors WHERE upload_tx IS NOT NULL", NULL, 0), 0);
	spool_close(sp);
}

static void
test_nan_and_infinity(void **state)
{
	struct fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample in[] = {
		{ "a", NAN, QUALITY_BAD, 1, NULL },
		{ "a", INFINITY, QUALITY_UNCERTAIN, 2, NULL },
		{ "a", -INFINITY, QUALITY_UNCERTAIN, 3, NULL },
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
	struct fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	/* Out of order, with ties: ts then insertion order. */
	const struct spool_sample in[] = {
		{ "p1", 1, QUALITY_GOOD, TS0 + 30, NULL },
		{ "p2", 2, QUALITY_GOOD, TS0 + 10, NULL },
		{ "p1", 3, QUALITY_GOOD, TS0 + 20, NULL },
		{ "p2", 4, QUALITY_GOOD, TS0 + 20, NULL },
		{ "p1", 5, QUALITY_GOOD, TS0 + 10, NULL },
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
	struct fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample s[] = {
		{ "p", 1, QUALITY_GOOD, TS0 + 100, NULL },
		{ "p", 2, QUALITY_GOOD, TS0 + 50, NULL },
	};
	const struct spool_error e = { "dev", NULL, 1, 0, "x", TS0 + 7 };
	struct spool_counts c;

	c = counts_of(sp);
	assert_true(c.samples == 0 && c.errors == 0 && c.oldest_us == 0);

	assert_int_equal(spool_put(sp, s, 2, NULL, 0), 0);
	c = counts_of(sp);
	assert_true(c.samples == 2 && c.errors == 0);
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
	spool_close(sp);
}

static void
test_state(void **state)
{
	struct fixture *f = *state;
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
	struct fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	struct spool_sample s[5];
	const struct spool_error good = { "dev", "p", 1, 2, "d", TS0 };
	const struct spool_error bad = { NULL, "p", 1, 2, "d", TS0 };
	struct spool_error e[2] = { good, bad };
	struct spool_counts c;

	for (size_t i = 0; i < ARRAY_LEN(s); i++)
		s[i] = (struct spool_sample){ "p", (double)i, QUALITY_GOOD,
		    TS0 + (int64_t)i, "B" };
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
	struct fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample s = { "p", 1, QUALITY_GOOD, TS0, NULL };

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
	struct fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample s[] = {
		{ "p", 1.5, QUALITY_GOOD, TS0, "B-7" },
		{ "q", 2.5, QUALITY_BAD, TS0 + 1, NULL },
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
	assert_int_equal(raw_query(f->path, "PRAGMA user_version", NULL, 0), 2);
	spool_close(sp);
}

/* Spectra: stored whole, pixels as little-endian float64. */
static void
test_spectrum_roundtrip(void **state)
{
	struct fixture *f = *state;
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
	struct fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	struct spool_sample s = { "P1", 1.0, QUALITY_GOOD, TS0, NULL };
	const double px[1] = { 7.0 };

	assert_int_equal(spool_put(sp, &s, 1, NULL, 0), 0);
	spool_close(sp);
	raw_exec(f->path, "DROP TABLE spectra; PRAGMA user_version = 1");
	sp = open_ok(f->path);
	assert_int_equal(raw_query(f->path, "PRAGMA user_version", NULL, 0), 2);
	assert_int_equal(spool_put_spectrum(sp, "S", TS0, px, 1, NULL), 0);
	assert_int_equal(counts_of(sp).samples, 1);
	spool_close(sp);
}

/* A second connection (what `jope-smb status` opens) reads meanwhile. */
static void
test_second_reader(void **state)
{
	struct fixture *f = *state;
	struct spool *writer = open_ok(f->path);
	struct spool *reader;
	const struct spool_sample s = { "p", 1, QUALITY_GOOD, TS0, NULL };

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
		    NULL };

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
	struct fixture *f = *state;
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
			    TS0 + seq, NULL };
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
	struct fixture *f = *state;
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
	struct fixture *f = *state;
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
	struct fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample s = { "p", 1, QUALITY_GOOD, TS0, NULL };
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
	struct fixture *f = *state;
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
	struct fixture *f = *state;

	spool_close(open_ok(f->path));
	raw_exec(f->path, "PRAGMA user_version = 99");
	assert_open_fails(f->path, "newer");
	assert_int_equal(raw_query(f->path, "PRAGMA user_version", NULL, 0),
	    99);
}

static void
test_journal_mode_wal(void **state)
{
	struct fixture *f = *state;
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
	struct fixture *f = *state;
	const struct spool_sample s = { "p", 1, QUALITY_GOOD, TS0, NULL };
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_and_read_back,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_nan_and_infinity,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_and_filter,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_put_changes_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_reentry,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_everything,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_reader,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9_keeps_acknowledged,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_spool,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_spool,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_spectrum_roundtrip,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_from_v1,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_mode_wal,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_mode_and_directory,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
