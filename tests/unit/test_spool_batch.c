/*
 * test_spool_batch.c: the specification of the spool's batch records and
 * maintenance windows (schema 6), as tests.
 *
 * A batch record put and read back, replaced whole by the next put; the
 * walk newest start first, bounded, active batches only, stopped by its
 * callback; the samples of one batch still waiting, by time then point,
 * gone once uploaded; windows stored, replaced in place, walked in the
 * order first stored, pruned by their end; refusals that store nothing; a
 * second spool handle on the same file (what a CLI command opens next to a
 * running console) sees every put at once; neither retention nor a full
 * spool touches them; and a spool of schema 5 with data waiting migrates
 * to 6 keeping every row.  Each test gets its own directory under /tmp.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/util.h"
#include "store/spool.h"
#include "tests/unit/spool_fixture.h"
#include "tests/unit/tmpdir.h"

#define TS0	INT64_C(1795784400000000)	/* 2026-11-21T13:00:00Z */

static int
setup(void **state)
{
	return tmpdir_fixture_setup(state, "jope-spool-batch", "spool.db");
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* Texts handed to a walk's callback, copied; stop after stop_after. */
struct texts {
	size_t n;
	size_t stop_after;	/* 0: never stop */
	char t[16][256];
};

static int
texts_cb(void *ctx, const char *text)
{
	struct texts *x = ctx;

	if (x->n >= ARRAY_LEN(x->t))
		return -1;
	snprintf(x->t[x->n++], sizeof x->t[0], "%s", text);
	return x->stop_after != 0 && x->n >= x->stop_after ? 7 : 0;
}

/* Samples handed to spool_batch_samples' callback, as text lines. */
struct lines {
	size_t n;
	size_t stop_after;
	char l[32][128];
};

static int
lines_cb(void *ctx, const struct spool_sample *s)
{
	struct lines *x = ctx;

	if (x->n >= ARRAY_LEN(x->l))
		return -1;
	if (isnan(s->value))
		snprintf(x->l[x->n], sizeof x->l[0], "%lld %s NaN %d %s %s",
		    (long long)(s->ts_us - TS0), s->point_id, (int)s->quality,
		    s->batch_id, s->tag != NULL ? s->tag : "-");
	else
		snprintf(x->l[x->n], sizeof x->l[0], "%lld %s %g %d %s %s",
		    (long long)(s->ts_us - TS0), s->point_id, s->value,
		    (int)s->quality, s->batch_id, s->tag != NULL ? s->tag :
		    "-");
	x->n++;
	return x->stop_after != 0 && x->n >= x->stop_after ? 3 : 0;
}

static int64_t
counts_dropped(struct spool *sp)
{
	struct spool_counts c;

	assert_int_equal(spool_counts(sp, &c), 0);
	return c.dropped_rows;
}

/* A record as plant/batch_record.h writes it, shortened. */
static void
record_of(char *buf, size_t len, const char *id, const char *state,
    int64_t started_us)
{
	snprintf(buf, len, "{\"id\":\"%s\",\"state\":\"%s\",\"started_us\":"
	    "%lld}", id, state, (long long)started_us);
}

static void
put_batch(struct spool *sp, const char *id, const char *state,
    int64_t started_us, int64_t ended_us)
{
	char rec[256];

	record_of(rec, sizeof rec, id, state, started_us);
	assert_int_equal(spool_batch_put(sp, id, state, started_us, ended_us,
	    rec), 0);
}

/* Put, get, replaced whole by the next put; unknown ids are 0. */
static void
test_batch_put_get(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	char *json = (char *)1;

	assert_int_equal(spool_batch_get(sp, "B-1", &json), 0);
	assert_null(json);
	put_batch(sp, "B-1", "running", TS0, 0);
	assert_int_equal(spool_batch_get(sp, "B-1", &json), 1);
	assert_string_equal(json, "{\"id\":\"B-1\",\"state\":\"running\","
	    "\"started_us\":1795784400000000}");
	free(json);

	assert_int_equal(spool_batch_put(sp, "B-1", "complete", TS0,
	    TS0 + 60000000, "{\"id\":\"B-1\",\"state\":\"complete\"}"), 0);
	assert_int_equal(spool_batch_get(sp, "B-1", &json), 1);
	assert_string_equal(json, "{\"id\":\"B-1\",\"state\":\"complete\"}");
	free(json);
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM batches",
	    NULL, 0), 1);
	assert_true(raw_query(f->path, "SELECT ended_us FROM batches",
	    NULL, 0) == TS0 + 60000000);
	{
		char text[64];

		raw_query(f->path, "SELECT state FROM batches", text,
		    sizeof text);
		assert_string_equal(text, "complete");
	}
	/* Ids are exact: no prefix, no case folding. */
	assert_int_equal(spool_batch_get(sp, "B-", &json), 0);
	assert_int_equal(spool_batch_get(sp, "b-1", &json), 0);
	spool_close(sp);

	/* And it lasts. */
	sp = open_ok(f->path);
	assert_int_equal(spool_batch_get(sp, "B-1", &json), 1);
	assert_string_equal(json, "{\"id\":\"B-1\",\"state\":\"complete\"}");
	free(json);
	spool_close(sp);
}

/* Missing arguments are refused with a message, and nothing is stored. */
static void
test_batch_refusals(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	char *json = NULL;

	assert_int_equal(spool_batch_put(sp, NULL, "running", TS0, 0, "{}"),
	    -1);
	assert_non_null(strstr(spool_last_error(sp), "batch record"));
	assert_int_equal(spool_batch_put(sp, "", "running", TS0, 0, "{}"), -1);
	assert_int_equal(spool_batch_put(sp, "B-1", NULL, TS0, 0, "{}"), -1);
	assert_int_equal(spool_batch_put(sp, "B-1", "", TS0, 0, "{}"), -1);
	assert_int_equal(spool_batch_put(sp, "B-1", "running", TS0, 0, NULL),
	    -1);
	assert_int_equal(spool_batch_get(sp, NULL, &json), -1);
	assert_int_equal(spool_batch_get(sp, "B-1", NULL), -1);
	assert_int_equal(spool_batch_each(sp, false, 0, NULL, NULL), -1);
	assert_int_equal(spool_batch_samples(sp, NULL, lines_cb, NULL), -1);
	assert_int_equal(spool_batch_samples(sp, "B-1", NULL, NULL), -1);
	assert_int_equal(spool_maint_put(sp, NULL, TS0, "{}"), -1);
	assert_int_equal(spool_maint_put(sp, "", TS0, "{}"), -1);
	assert_int_equal(spool_maint_put(sp, "m-1", TS0, NULL), -1);
	assert_non_null(strstr(spool_last_error(sp), "maintenance window"));
	assert_int_equal(spool_maint_each(sp, NULL, NULL), -1);
	assert_int_equal(spool_batch_put(NULL, "B-1", "running", TS0, 0, "{}"),
	    -1);
	assert_int_equal(spool_maint_prune(NULL, TS0), -1);
	spool_close(sp);
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM batches",
	    NULL, 0), 0);
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM"
	    " maint_windows", NULL, 0), 0);
}

/* Newest start first, ties by id; max; active only; stopped by cb. */
static void
test_batch_each(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	struct texts x = { 0 };

	assert_int_equal(spool_batch_each(sp, false, 0, texts_cb, &x), 0);
	assert_int_equal(x.n, 0);
	put_batch(sp, "B-2", "complete", TS0 + 10, TS0 + 20);
	put_batch(sp, "B-4", "held", TS0 + 40, 0);
	put_batch(sp, "B-1", "aborted", TS0, TS0 + 5);
	put_batch(sp, "B-3", "running", TS0 + 30, 0);
	put_batch(sp, "B-3b", "stopping", TS0 + 30, 0);

	assert_int_equal(spool_batch_each(sp, false, 0, texts_cb, &x), 0);
	assert_int_equal(x.n, 5);
	assert_non_null(strstr(x.t[0], "\"B-4\""));
	assert_non_null(strstr(x.t[1], "\"B-3b\""));
	assert_non_null(strstr(x.t[2], "\"B-3\""));
	assert_non_null(strstr(x.t[3], "\"B-2\""));
	assert_non_null(strstr(x.t[4], "\"B-1\""));

	memset(&x, 0, sizeof x);
	assert_int_equal(spool_batch_each(sp, false, 2, texts_cb, &x), 0);
	assert_int_equal(x.n, 2);
	assert_non_null(strstr(x.t[1], "\"B-3b\""));

	memset(&x, 0, sizeof x);
	assert_int_equal(spool_batch_each(sp, true, 0, texts_cb, &x), 0);
	assert_int_equal(x.n, 3);
	assert_non_null(strstr(x.t[0], "\"B-4\""));
	assert_non_null(strstr(x.t[2], "\"B-3\""));

	/* A new state moves a batch in or out of the active ones. */
	put_batch(sp, "B-4", "complete", TS0 + 40, TS0 + 50);
	memset(&x, 0, sizeof x);
	assert_int_equal(spool_batch_each(sp, true, 0, texts_cb, &x), 0);
	assert_int_equal(x.n, 2);

	/* The callback's non-zero value stops the walk and is returned. */
	memset(&x, 0, sizeof x);
	x.stop_after = 1;
	assert_int_equal(spool_batch_each(sp, false, 0, texts_cb, &x), 7);
	assert_int_equal(x.n, 1);
	spool_close(sp);
}

static int
reenter_cb(void *ctx, const char *text)
{
	struct spool *sp = ctx;
	char *json = NULL;

	(void)text;
	/* The spool is held: a call from inside fails, never deadlocks. */
	assert_int_equal(spool_batch_get(sp, "B-1", &json), -1);
	return 0;
}

static void
test_callback_reentry(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);

	put_batch(sp, "B-1", "running", TS0, 0);
	assert_int_equal(spool_batch_each(sp, false, 0, reenter_cb, sp), 0);
	assert_int_equal(spool_maint_put(sp, "m-1", TS0, "{}"), 0);
	assert_int_equal(spool_maint_each(sp, reenter_cb, sp), 0);
	spool_close(sp);
}

/* The waiting samples of one batch, by time then point; gone once uploaded. */
static void
test_batch_samples(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample s[] = {
		{ "P2", 2.5, QUALITY_GOOD, TS0 + 2, "B-1", NULL },
		{ "P1", 1.5, QUALITY_GOOD, TS0 + 2, "B-1", NULL },
		{ "P1", 9.0, QUALITY_GOOD, TS0 + 1, "B-2", NULL },
		{ "P3", NAN, QUALITY_BAD, TS0 + 1, "B-1", NULL },
		{ "P1", 0.5, QUALITY_UNCERTAIN, TS0, "B-1", "pls@3" },
		{ "P1", 7.0, QUALITY_GOOD, TS0 + 3, NULL, NULL },
	};
	struct spool_upload up;
	struct lines x = { 0 };

	assert_int_equal(spool_batch_samples(sp, "B-1", lines_cb, &x), 0);
	assert_int_equal(x.n, 0);
	assert_int_equal(spool_put(sp, s, 4, NULL, 0), 0);
	assert_int_equal(spool_put(sp, s + 4, 2, NULL, 0), 0);
	assert_int_equal(spool_batch_samples(sp, "B-1", lines_cb, &x), 0);
	assert_int_equal(x.n, 4);
	assert_string_equal(x.l[0], "0 P1 0.5 1 B-1 pls@3");
	assert_string_equal(x.l[1], "1 P3 NaN 2 B-1 -");
	assert_string_equal(x.l[2], "2 P1 1.5 0 B-1 -");
	assert_string_equal(x.l[3], "2 P2 2.5 0 B-1 -");

	memset(&x, 0, sizeof x);
	x.stop_after = 2;
	assert_int_equal(spool_batch_samples(sp, "B-1", lines_cb, &x), 3);
	assert_int_equal(x.n, 2);

	/* The first four are uploaded: only the later two wait. */
	assert_int_equal(spool_upload_begin(sp, SPOOL_SAMPLES, 4, &up), 1);
	assert_int_equal(spool_upload_commit(sp, &up), 0);
	memset(&x, 0, sizeof x);
	assert_int_equal(spool_batch_samples(sp, "B-1", lines_cb, &x), 0);
	assert_int_equal(x.n, 1);
	assert_string_equal(x.l[0], "0 P1 0.5 1 B-1 pls@3");
	memset(&x, 0, sizeof x);
	assert_int_equal(spool_batch_samples(sp, "B-2", lines_cb, &x), 0);
	assert_int_equal(x.n, 0);
	spool_close(sp);
}

/* Windows: stored, replaced in place, walked as first stored, pruned. */
static void
test_maint(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	struct texts x = { 0 };

	assert_int_equal(spool_maint_each(sp, texts_cb, &x), 0);
	assert_int_equal(x.n, 0);
	assert_int_equal(spool_maint_put(sp, "m-b", TS0 + 100,
	    "{\"id\":\"m-b\"}"), 0);
	assert_int_equal(spool_maint_put(sp, "m-a", TS0 + 300,
	    "{\"id\":\"m-a\"}"), 0);
	assert_int_equal(spool_maint_put(sp, "m-c", TS0 + 200,
	    "{\"id\":\"m-c\"}"), 0);
	/* Replaced (a cancellation merged): its place stays. */
	assert_int_equal(spool_maint_put(sp, "m-b", TS0 + 100,
	    "{\"id\":\"m-b\",\"cancelled\":true}"), 0);
	assert_int_equal(spool_maint_each(sp, texts_cb, &x), 0);
	assert_int_equal(x.n, 3);
	assert_string_equal(x.t[0], "{\"id\":\"m-b\",\"cancelled\":true}");
	assert_string_equal(x.t[1], "{\"id\":\"m-a\"}");
	assert_string_equal(x.t[2], "{\"id\":\"m-c\"}");

	memset(&x, 0, sizeof x);
	x.stop_after = 2;
	assert_int_equal(spool_maint_each(sp, texts_cb, &x), 7);
	assert_int_equal(x.n, 2);

	/* Those that ended before the cutoff go; the end itself stays. */
	assert_int_equal(spool_maint_prune(sp, TS0 + 200), 0);
	memset(&x, 0, sizeof x);
	assert_int_equal(spool_maint_each(sp, texts_cb, &x), 0);
	assert_int_equal(x.n, 2);
	assert_string_equal(x.t[0], "{\"id\":\"m-a\"}");
	assert_string_equal(x.t[1], "{\"id\":\"m-c\"}");
	assert_int_equal(spool_maint_prune(sp, TS0), 0);
	memset(&x, 0, sizeof x);
	assert_int_equal(spool_maint_each(sp, texts_cb, &x), 0);
	assert_int_equal(x.n, 2);
	spool_close(sp);
}

/*
 * A second handle on the same file, as `jope-smb batch list` opens next to
 * a running console: each sees the other's puts at once.
 */
static void
test_second_handle(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *console = open_ok(f->path);
	struct spool *cli = open_ok(f->path);
	struct texts x = { 0 };
	char *json = NULL;

	put_batch(console, "B-1", "running", TS0, 0);
	assert_int_equal(spool_batch_get(cli, "B-1", &json), 1);
	assert_non_null(strstr(json, "running"));
	free(json);
	assert_int_equal(spool_maint_put(cli, "m-1", TS0, "{\"id\":\"m-1\"}"),
	    0);
	assert_int_equal(spool_maint_each(console, texts_cb, &x), 0);
	assert_int_equal(x.n, 1);
	put_batch(console, "B-1", "complete", TS0, TS0 + 1);
	assert_int_equal(spool_batch_get(cli, "B-1", &json), 1);
	assert_non_null(strstr(json, "complete"));
	free(json);
	spool_close(cli);
	spool_close(console);
}

/* Retention and a full spool never touch batch records nor windows. */
static void
test_not_purged_nor_dropped(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample s = { "P1", 1.0, QUALITY_GOOD, TS0, "B-1",
	    NULL };
	const struct spool_options o = { 1, 256 * 1024 };
	int64_t purged = 0;
	char *json = NULL;

	put_batch(sp, "B-1", "complete", TS0 - 1000, TS0 - 10);
	assert_int_equal(spool_maint_put(sp, "m-1", TS0 - 10, "{}"), 0);
	assert_int_equal(spool_put(sp, &s, 1, NULL, 0), 0);
	assert_int_equal(spool_purge_older(sp, TS0 + 1, TS0 + 1, &purged), 0);
	assert_true(purged == 1);
	assert_int_equal(spool_batch_get(sp, "B-1", &json), 1);
	free(json);

	/* Full: the puts of samples drop samples, never these rows. */
	assert_int_equal(spool_set_options(sp, &o), 0);
	for (int b = 0; b < 400; b++) {
		struct spool_sample many[100];

		for (int k = 0; k < 100; k++)
			many[k] = (struct spool_sample){ "FT-101.flow",
			    (double)k, QUALITY_GOOD, TS0 + b * 100 + k, "B-1",
			    NULL };
		assert_int_equal(spool_put(sp, many, 100, NULL, 0), 0);
	}
	assert_true(counts_dropped(sp) > 0);
	assert_int_equal(spool_batch_get(sp, "B-1", &json), 1);
	free(json);
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM"
	    " maint_windows", NULL, 0), 1);
	spool_close(sp);
}

/*
 * A spool of schema 5 (what jope-smb wrote before batch records) with
 * records waiting and an audit trail migrates to 6: every row kept, the
 * new tables empty and working, seqs going on.
 */
static void
test_migrates_from_v5(void **state)
{
	struct tmpdir_fixture *f = *state;
	struct spool *sp = open_ok(f->path);
	const struct spool_sample s[] = {
		{ "P1", 1.5, QUALITY_GOOD, TS0, "B-1", "pls@3" },
		{ "P2", 2.5, QUALITY_BAD, TS0 + 1, NULL, NULL },
	};
	const struct spool_error e = { "pump-1", NULL, 3, 110, "refused",
	    TS0 - 1 };
	const struct spool_sample later = { "P1", 3.5, QUALITY_GOOD, TS0 + 2,
	    "B-1", NULL };
	struct lines x = { 0 };
	struct spool_counts c;
	char id[40], text[256];

	assert_int_equal(spool_put(sp, s, 2, &e, 1), 0);
	assert_int_equal(spool_put_state(sp, TS0, 42, "{\"v\":5}"), 0);
	snprintf(id, sizeof id, "%s", spool_id(sp));
	spool_close(sp);
	/* Back to the schema of version 5, exactly: 6 only added tables. */
	raw_exec(f->path, "DROP TABLE batches; DROP TABLE maint_windows;"
	    " PRAGMA user_version = 5;");
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM sqlite_master"
	    " WHERE name IN ('batches', 'maint_windows')", NULL, 0), 0);

	sp = open_ok(f->path);
	assert_int_equal(raw_query(f->path, "PRAGMA user_version", NULL, 0), 6);
	assert_string_equal(spool_id(sp), id);
	c = (struct spool_counts){ 0 };
	assert_int_equal(spool_counts(sp, &c), 0);
	assert_true(c.rows[SPOOL_SAMPLES] == 2 && c.rows[SPOOL_ERRORS] == 1);
	raw_query(f->path, "SELECT group_concat(seq || ':' || point_id || ':'"
	    " || value || ':' || quality || ':' || ifnull(batch_id, '-') || ':'"
	    " || ifnull(tag, '-'), ' ') FROM (SELECT * FROM samples ORDER BY"
	    " seq)", text, sizeof text);
	assert_string_equal(text, "1:P1:1.5:0:B-1:pls@3 2:P2:2.5:2:-:-");
	raw_query(f->path, "SELECT json FROM console_state", text, sizeof text);
	assert_string_equal(text, "{\"v\":5}");

	/* The new tables work, and the old data is theirs to report on. */
	put_batch(sp, "B-1", "running", TS0, 0);
	assert_int_equal(spool_maint_put(sp, "m-1", TS0, "{}"), 0);
	assert_int_equal(spool_put(sp, &later, 1, NULL, 0), 0);
	assert_int_equal(raw_query(f->path, "SELECT max(seq) FROM samples",
	    NULL, 0), 3);
	assert_int_equal(spool_batch_samples(sp, "B-1", lines_cb, &x), 0);
	assert_int_equal(x.n, 2);
	assert_string_equal(x.l[0], "0 P1 1.5 0 B-1 pls@3");
	assert_string_equal(x.l[1], "2 P1 3.5 0 B-1 -");
	spool_close(sp);

	/* Opening again migrates nothing more. */
	sp = open_ok(f->path);
	assert_int_equal(raw_query(f->path, "SELECT count(*) FROM batches",
	    NULL, 0), 1);
	spool_close(sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batch_put_get,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_batch_refusals,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_batch_each,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_callback_reentry,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_batch_samples,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_maint, setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_second_handle,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_not_purged_nor_dropped,
		    setup, tmpdir_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_migrates_from_v5,
		    setup, tmpdir_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
