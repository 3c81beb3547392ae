/*
 * bench_historian.c: the way of a sample from the executor to the historian,
 * in rows per second (issue 4).
 *
 * 1. Spool ingest, durable: SAMPLES samples (100 points) put into a fresh
 *    spool (WAL, synchronous=FULL) with spool_put, once by 8 threads putting
 *    100-sample batches, as executor workers do (group commit), once by one
 *    thread putting 1,000-sample batches.
 * 2. Historian upload: the same samples, in a fresh spool, drained into the
 *    historian's samples table by the real uploader (uploader_start), from
 *    its start until spool_counts shows no row left; next to psql's \copy of
 *    the same rows from a text file into the same table.  The ratio says what
 *    the spool, the exactly-once bookkeeping and the batching cost against
 *    the fastest way PostgreSQL's own client loads a file.
 * 3. Binary against text COPY: the same rows sent by libpq straight from
 *    memory (no SQLite), once in PostgreSQL's binary format (copybin.h), once
 *    as text, in transactions of BATCH_ROWS rows like the uploader's; the
 *    encoding time is given apart from the total.
 * 4. Where the upload's time goes: the uploader's steps done one by one
 *    through the same public calls, each timed.
 *
 * Every timed run starts from an empty samples table (TRUNCATE) and a fresh
 * checkpoint, so that no run pays for another's dirty pages.  The server's
 * durability settings are printed; run.sh turns fsync back on, so that every
 * COMMIT on either side is flushed to disk.  Steps 2 and 3 alternate for
 * ROUNDS rounds; medians are printed.
 *
 * Usage: bench_historian DIR [SAMPLES [CONNINFO ADMIN_CONNINFO PSQL
 *        [BATCH_ROWS [ROUNDS]]]]
 * DIR holds the spools and the text file.  CONNINFO is the console's role
 * (password in PGPASSWORD, never on the command line), ADMIN_CONNINFO a
 * superuser (for CHECKPOINT), PSQL the psql program.  Without CONNINFO only
 * step 1 runs.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config/model.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"
#include "historian/copybin.h"
#include "historian/pgconn.h"
#include "historian/uploader.h"
#include "store/spool.h"

#define NPOINTS         100
#define INGEST_THREADS  8
#define MAX_ROUNDS      16
#define BATCH_ID        "SMB-2024-0417"
#define TIMEOUT_MS      120000

static const char COPY_COLS[] = "COPY samples (time, point_id, value, "
    "quality, batch_id, source_id, seq) FROM STDIN";

static char point_ids[NPOINTS][16];
static int64_t nsamples;
static int64_t base_us;                 /* time of the first sample */
static const char *dir;
static const char *conninfo, *admin_conninfo, *psql;
static PGconn *pc;                      /* as the console's role */
static PGconn *admin;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t
real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_historian: %s: %s\n", what, msg);
	exit(1);
}

/*
 * Sample i: point i % 100, read every 100 ms (one read of all 100 points
 * a round, 1 µs apart), ending about now.  The values use all 17 digits, as
 * scaled register values and spectra-derived concentrations do.
 */
static void
sample(int64_t i, struct spool_sample *s)
{
	uint64_t x = (uint64_t)i * 6364136223846793005u + 1442695040888963407u;

	s->point_id = point_ids[i % NPOINTS];
	s->value = 50.0 + 10.0 * sin((double)i * 1e-3) +
	    (double)(x >> 11) * 0x1p-53;
	s->quality = i % 1000 == 999 ? QUALITY_UNCERTAIN : QUALITY_GOOD;
	s->ts_us = base_us + (i / NPOINTS) * 100000 + i % NPOINTS;
	s->batch_id = BATCH_ID;
}

static struct spool *
open_spool(const char *name, int sync_full)
{
	char path[512], err[256];
	struct spool_options o = { sync_full, 0 };
	struct spool *sp;

	snprintf(path, sizeof path, "%s/%s/spool.db", dir, name);
	if (spool_open(path, &sp, err, sizeof err) != 0)
		die("spool", err);
	if (spool_set_options(sp, &o) != 0)
		die("spool options", spool_last_error(sp));
	return sp;
}

static void
remove_spool(struct spool *sp, const char *name)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char path[512];

	spool_close(sp);
	for (size_t i = 0; i < ARRAY_LEN(suffix); i++) {
		snprintf(path, sizeof path, "%s/%s/spool.db%s", dir, name,
		    suffix[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	rmdir(path);
}

/* Put samples [from, to) with batches of `batch` in order. */
static void
put_range(struct spool *sp, int64_t from, int64_t to, int64_t batch)
{
	struct spool_sample *s = xcalloc((size_t)batch, sizeof *s);

	for (int64_t i = from; i < to; i += batch) {
		int64_t n = to - i < batch ? to - i : batch;

		for (int64_t k = 0; k < n; k++)
			sample(i + k, &s[k]);
		if (spool_put(sp, s, (size_t)n, NULL, 0) != 0)
			die("spool_put", spool_last_error(sp));
	}
	free(s);
}

/* ---- 1. ingest -------------------------------------------------------- */

struct ingest_arg {
	struct spool *sp;
	int k;
	pthread_barrier_t *go;
};

/* Worker k puts the 100-sample reads k, k + 8, k + 16, ... */
static void *
ingest_worker(void *p)
{
	struct ingest_arg *a = p;
	struct spool_sample s[NPOINTS];
	int64_t reads = nsamples / NPOINTS;

	pthread_barrier_wait(a->go);
	for (int64_t r = a->k; r < reads; r += INGEST_THREADS) {
		for (int k = 0; k < NPOINTS; k++)
			sample(r * NPOINTS + k, &s[k]);
		if (spool_put(a->sp, s, NPOINTS, NULL, 0) != 0)
			die("spool_put", spool_last_error(a->sp));
	}
	return NULL;
}

static void
bench_ingest(void)
{
	struct spool *sp = open_spool("ingest8", 1);
	struct ingest_arg a[INGEST_THREADS];
	pthread_t th[INGEST_THREADS];
	pthread_barrier_t go;
	double t0, t;

	pthread_barrier_init(&go, NULL, INGEST_THREADS + 1);
	for (int k = 0; k < INGEST_THREADS; k++) {
		a[k] = (struct ingest_arg){ sp, k, &go };
		pthread_create(&th[k], NULL, ingest_worker, &a[k]);
	}
	pthread_barrier_wait(&go);
	t0 = now_s();
	for (int k = 0; k < INGEST_THREADS; k++)
		pthread_join(th[k], NULL);
	t = now_s() - t0;
	pthread_barrier_destroy(&go);
	remove_spool(sp, "ingest8");
	printf("spool ingest, synchronous=FULL, %d threads x %d-sample puts: "
	    "%.0f samples/s (%.2f s)\n", INGEST_THREADS, NPOINTS,
	    (double)nsamples / t, t);
	fflush(stdout);

	sp = open_spool("ingest1", 1);
	t0 = now_s();
	put_range(sp, 0, nsamples, 1000);
	t = now_s() - t0;
	remove_spool(sp, "ingest1");
	printf("spool ingest, synchronous=FULL, 1 thread x 1000-sample puts: "
	    "%.0f samples/s (%.2f s)\n", (double)nsamples / t, t);
	fflush(stdout);
}

/* ---- the historian ---------------------------------------------------- */

static PGconn *
connect_console(void)
{
	struct pg_params p = { conninfo, NULL, "bench_historian", TIMEOUT_MS };
	char err[512];
	PGconn *c = pg_connect(&p, -1, err, sizeof err);

	if (c == NULL)
		die("connect", err);
	return c;
}

static PGresult *
sql(PGconn *c, const char *q)
{
	char err[512];
	PGresult *r = pg_query(c, q, 0, NULL, -1, TIMEOUT_MS, err, sizeof err);

	if (r == NULL)
		die(q, err);
	return r;
}

static void
sql_do(PGconn *c, const char *q)
{
	PQclear(sql(c, q));
}

static int64_t
sql_int(PGconn *c, const char *q)
{
	PGresult *r = sql(c, q);
	int64_t v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);

	PQclear(r);
	return v;
}

/* An empty table, no dirty page of an earlier run, then a timed run. */
static void
fresh_table(void)
{
	sql_do(pc, "TRUNCATE samples");
	sql_do(admin, "CHECKPOINT");
}

static void
check_rows(const char *what)
{
	int64_t n = sql_int(pc, "SELECT count(*) FROM samples");

	if (n != nsamples)
		fprintf(stderr, "bench_historian: %s: %" PRId64 " rows in "
		    "samples, expected %" PRId64 "\n", what, n, nsamples);
}

/* ---- encoders --------------------------------------------------------- */

struct row {
	int64_t ts_us;
	const char *point_id;
	double value;
	int quality;
	const char *batch_id;
	int32_t source_id;
	int64_t seq;
};

static struct row *rows;                /* [nsamples], seq = i + 1 */

static void
make_rows(int32_t source_id)
{
	struct spool_sample s;

	rows = xcalloc((size_t)nsamples, sizeof *rows);
	for (int64_t i = 0; i < nsamples; i++) {
		sample(i, &s);
		rows[i] = (struct row){ s.ts_us, s.point_id, s.value,
		    (int)s.quality, s.batch_id, source_id, i + 1 };
	}
}

/* As the uploader's encode_sample. */
static void
encode_binary(struct copybin *b, const struct row *r, int64_t n)
{
	copybin_reset(b);
	for (int64_t i = 0; i < n; i++) {
		copybin_row(b, 7);
		copybin_timestamptz(b, r[i].ts_us);
		copybin_text(b, r[i].point_id);
		copybin_float8(b, r[i].value);
		copybin_int2(b, (int16_t)r[i].quality);
		copybin_text(b, r[i].batch_id);
		copybin_int4(b, r[i].source_id);
		copybin_int8(b, r[i].seq);
	}
	copybin_finish(b);
}

struct textbuf {
	char *buf;
	size_t len, cap;
	int64_t sec;                    /* second whose text is in stamp */
	char stamp[32];
};

static char *
text_room(struct textbuf *t, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2;
		t->buf = xrealloc(t->buf, t->cap);
	}
	return t->buf + t->len;
}

static void
text_str(struct textbuf *t, const char *s)
{
	char *p;

	if (s == NULL) {
		memcpy(text_room(t, 2), "\\N", 2);
		t->len += 2;
		return;
	}
	p = text_room(t, 2 * strlen(s));
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\': *p++ = '\\'; *p++ = '\\'; break;
		case '\t': *p++ = '\\'; *p++ = 't'; break;
		case '\n': *p++ = '\\'; *p++ = 'n'; break;
		case '\r': *p++ = '\\'; *p++ = 'r'; break;
		default: *p++ = *s;
		}
	}
	t->len = (size_t)(p - t->buf);
}

/*
 * Text COPY as a client would write it: timestamps in ISO form (the second
 * formatted once, the µs appended), floats with 17 digits so that they come
 * back bit for bit (what extra_float_digits gives).
 */
static void
encode_text(struct textbuf *t, const struct row *r, int64_t n)
{
	t->len = 0;
	for (int64_t i = 0; i < n; i++) {
		int64_t sec = r[i].ts_us / 1000000;
		char *p;

		if (sec != t->sec || t->stamp[0] == '\0') {
			time_t tt = (time_t)sec;
			struct tm tm;

			gmtime_r(&tt, &tm);
			strftime(t->stamp, sizeof t->stamp, "%Y-%m-%d %H:%M:%S",
			    &tm);
			t->sec = sec;
		}
		p = text_room(t, 128);
		t->len += (size_t)sprintf(p, "%s.%06d+00\t", t->stamp,
		    (int)(r[i].ts_us % 1000000));
		text_str(t, r[i].point_id);
		p = text_room(t, 128);
		t->len += (size_t)sprintf(p, "\t%.17g\t%d\t", r[i].value,
		    r[i].quality);
		text_str(t, r[i].batch_id);
		p = text_room(t, 64);
		t->len += (size_t)sprintf(p, "\t%" PRId32 "\t%" PRId64 "\n",
		    r[i].source_id, r[i].seq);
	}
}

/* ---- 2. the uploader against psql \copy ------------------------------- */

/* A fresh spool holding the samples in order (seq = i + 1). */
static struct spool *
filled_spool(const char *name)
{
	struct spool_options full = { 1, 0 };
	struct spool *sp = open_spool(name, 0);   /* the fill is not timed */

	put_range(sp, 0, nsamples, 1000);
	if (spool_set_options(sp, &full) != 0)
		die("spool options", spool_last_error(sp));
	return sp;
}

static struct model *
bench_model(int64_t batch_rows)
{
	struct model *m = xcalloc(1, sizeof *m);
	struct app_config *app = &m->app;

	/* As config.c's defaults, with the bench's historian. */
	str_copy(app->site, "bench", sizeof app->site);
	str_copy(app->console_id, "bench", sizeof app->console_id);
	str_copy(app->theme, "dark", sizeof app->theme);
	str_copy(app->storage_path, "spool.db", sizeof app->storage_path);
	str_copy(app->historian_conninfo, conninfo,
	    sizeof app->historian_conninfo);
	app->historian.batch_rows = batch_rows;
	app->historian.retry_min_ms = 1000;
	app->historian.retry_max_ms = 60000;
	app->historian.timeout_ms = 30000;
	app->historian.retention_years = 7;
	app->storage.sync_full = true;
	app->storage.retention_ms = INT64_C(90) * 86400000;
	app->storage.min_free_bytes = INT64_C(256) * 1048576;
	return m;
}

/* Rows per second of the uploader draining a full spool; *source_id set. */
static double
run_uploader(int64_t batch_rows, int32_t *source_id)
{
	struct spool *sp = filled_spool("upload");
	struct model *m = bench_model(batch_rows);
	struct state *st = state_new(m);
	struct spool_counts c;
	struct uploader *u;
	double t0, t, limit;
	char q[256];

	fresh_table();
	t0 = now_s();
	limit = t0 + 600;
	if ((u = uploader_start(&m->app, sp, st)) == NULL)
		die("uploader", "cannot start");
	for (;;) {
		if (spool_counts(sp, &c) != 0)
			die("spool_counts", spool_last_error(sp));
		if (c.rows[SPOOL_SAMPLES] == 0)
			break;
		if (now_s() > limit)
			die("uploader", "the spool did not drain in 600 s");
		usleep(2000);
	}
	t = now_s() - t0;
	uploader_stop(u);
	check_rows("uploader");
	snprintf(q, sizeof q, "SELECT source_id FROM jope_sources"
	    " WHERE spool_id = '%s'", spool_id(sp));
	*source_id = (int32_t)sql_int(pc, q);
	remove_spool(sp, "upload");
	state_free(st);
	model_free(m);
	return (double)nsamples / t;
}

static void
write_text_file(const char *path)
{
	struct textbuf t = { 0 };
	FILE *f;

	encode_text(&t, rows, nsamples);
	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(t.buf, 1, t.len, f) != t.len || fclose(f) != 0)
		die(path, strerror(errno));
	free(t.buf);
}

/* psql \copy of the text file, rows per second (psql start included). */
static double
run_psql(const char *file)
{
	char cmd[1024];
	double t0, t;
	pid_t pid;
	int status;

	snprintf(cmd, sizeof cmd, "\\copy samples (time, point_id, value, "
	    "quality, batch_id, source_id, seq) FROM '%s'", file);
	fresh_table();
	t0 = now_s();
	if ((pid = fork()) < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		/* The password comes through PGPASSWORD, inherited. */
		execl(psql, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
		    conninfo, "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("psql \\copy", "failed");
	t = now_s() - t0;
	check_rows("psql \\copy");
	return (double)nsamples / t;
}

/* ---- 3. binary against text, from memory ------------------------------ */

/* Rows/s of COPY in transactions of batch rows; *enc_s the encoding. */
static double
run_copy(int binary, int64_t batch, double *enc_s)
{
	char q[256], err[512];
	struct copybin b;
	struct textbuf t = { 0 };
	double t0, t1, enc = 0;

	snprintf(q, sizeof q, "%s%s", COPY_COLS,
	    binary ? " WITH (FORMAT binary)" : "");
	copybin_init(&b);
	fresh_table();
	t0 = now_s();
	for (int64_t i = 0; i < nsamples; i += batch) {
		int64_t n = nsamples - i < batch ? nsamples - i : batch;
		const void *data;
		size_t len;

		t1 = now_s();
		if (binary) {
			encode_binary(&b, rows + i, n);
			data = b.buf;
			len = b.len;
		} else {
			encode_text(&t, rows + i, n);
			data = t.buf;
			len = t.len;
		}
		enc += now_s() - t1;
		/* Outside a transaction: one COPY, one durable commit. */
		if (pg_copy_in(pc, q, data, len, -1, TIMEOUT_MS, err,
		    sizeof err) != 0)
			die("COPY", err);
	}
	t1 = now_s() - t0;
	copybin_free(&b);
	free(t.buf);
	check_rows(binary ? "binary COPY" : "text COPY");
	*enc_s = enc;
	return (double)nsamples / t1;
}

/* ---- 4. the uploader's steps, one by one ------------------------------ */

enum phase { PH_MARK, PH_READ, PH_BEGIN, PH_COPY, PH_COMMIT, PH_DELETE,
	PH_N };
static const char *const phase_name[PH_N] = { "spool mark", "spool read +"
    " encode", "BEGIN + SELECT FOR UPDATE", "COPY", "UPDATE mark + COMMIT",
    "spool delete" };

struct phase_ctx {
	struct copybin b;
	int32_t source_id;
	int64_t last_seq;
};

static int
phase_encode(void *p, const struct spool_record *r)
{
	struct phase_ctx *c = p;

	copybin_row(&c->b, 7);
	copybin_timestamptz(&c->b, r->ts_us);
	copybin_text(&c->b, r->point_id);
	copybin_float8(&c->b, r->value);
	copybin_int2(&c->b, (int16_t)r->quality);
	copybin_text(&c->b, r->batch_id);
	copybin_int4(&c->b, c->source_id);
	copybin_int8(&c->b, r->seq);
	c->last_seq = r->seq;
	return 0;
}

static void
run_phases(int64_t batch_rows)
{
	struct spool *sp = filled_spool("phases");
	struct phase_ctx c;
	struct spool_upload up;
	double ph[PH_N] = { 0 }, t, t0, total;
	char q[512], err[512], sid[16], hw[24], nrows[24];
	const char *params[4] = { spool_id(sp), "bench", NULL, NULL };
	const char *p2[2] = { sid, "samples" };
	const char *p4[4] = { sid, "samples", hw, nrows };
	PGresult *r;
	int rc;

	fresh_table();
	r = pg_query(pc, "INSERT INTO jope_sources (spool_id, console_id)"
	    " VALUES ($1, $2) RETURNING source_id", 2, params, -1, TIMEOUT_MS,
	    err, sizeof err);
	if (r == NULL)
		die("register", err);
	c.source_id = (int32_t)atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	snprintf(sid, sizeof sid, "%" PRId32, c.source_id);
	snprintf(q, sizeof q, "INSERT INTO upload_marks (source_id, stream)"
	    " VALUES (%s, 'samples')", sid);
	sql_do(pc, q);
	snprintf(q, sizeof q, "%s WITH (FORMAT binary)", COPY_COLS);
	copybin_init(&c.b);
	t0 = now_s();
	for (;;) {
		t = now_s();
		rc = spool_upload_begin(sp, SPOOL_SAMPLES, batch_rows, &up);
		ph[PH_MARK] += now_s() - t;
		if (rc < 0)
			die("spool_upload_begin", spool_last_error(sp));
		if (rc == 0)
			break;
		t = now_s();
		copybin_reset(&c.b);
		if (spool_upload_each(sp, &up, phase_encode, &c) != 0)
			die("spool_upload_each", spool_last_error(sp));
		copybin_finish(&c.b);
		ph[PH_READ] += now_s() - t;
		t = now_s();
		sql_do(pc, "BEGIN");
		r = pg_query(pc, "SELECT high_water FROM upload_marks"
		    " WHERE source_id = $1 AND stream = $2 FOR UPDATE", 2, p2,
		    -1, TIMEOUT_MS, err, sizeof err);
		if (r == NULL)
			die("SELECT high_water", err);
		PQclear(r);
		ph[PH_BEGIN] += now_s() - t;
		t = now_s();
		if (pg_copy_in(pc, q, c.b.buf, c.b.len, -1, TIMEOUT_MS, err,
		    sizeof err) != 0)
			die("COPY", err);
		ph[PH_COPY] += now_s() - t;
		t = now_s();
		snprintf(hw, sizeof hw, "%" PRId64, c.last_seq);
		snprintf(nrows, sizeof nrows, "%" PRId64, up.rows);
		r = pg_query(pc, "UPDATE upload_marks SET high_water = $3,"
		    " rows_total = rows_total + $4, updated_at = now()"
		    " WHERE source_id = $1 AND stream = $2", 4, p4, -1,
		    TIMEOUT_MS, err, sizeof err);
		if (r == NULL)
			die("UPDATE upload_marks", err);
		PQclear(r);
		sql_do(pc, "COMMIT");
		ph[PH_COMMIT] += now_s() - t;
		t = now_s();
		if (spool_upload_commit(sp, &up) != 0)
			die("spool_upload_commit", spool_last_error(sp));
		ph[PH_DELETE] += now_s() - t;
	}
	total = now_s() - t0;
	copybin_free(&c.b);
	check_rows("upload steps");
	remove_spool(sp, "phases");
	printf("upload steps one by one (batch %" PRId64 "): %.0f rows/s, "
	    "%.2f s:\n", batch_rows, (double)nsamples / total, total);
	for (int i = 0; i < PH_N; i++)
		printf("  %-26s %6.0f ms  %4.1f%%\n", phase_name[i],
		    ph[i] * 1000, 100 * ph[i] / total);
	fflush(stdout);
}

/* ---- main ------------------------------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, (size_t)n * sizeof *v);
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void
print_server(void)
{
	PGresult *r = sql(pc, "SELECT current_setting('server_version'),"
	    " current_setting('fsync'), current_setting('synchronous_commit'),"
	    " current_setting('full_page_writes'),"
	    " current_setting('wal_sync_method')");

	printf("PostgreSQL %s: fsync=%s, synchronous_commit=%s, "
	    "full_page_writes=%s, wal_sync_method=%s\n", PQgetvalue(r, 0, 0),
	    PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3),
	    PQgetvalue(r, 0, 4));
	PQclear(r);
}

int
main(int argc, char **argv)
{
	int64_t batch_rows;
	int rounds;
	double up[MAX_ROUNDS], ps[MAX_ROUNDS], bin[MAX_ROUNDS],
	    txt[MAX_ROUNDS], benc[MAX_ROUNDS], tenc[MAX_ROUNDS];
	int32_t source_id = 0;
	char file[512], q[256], from[40], to[40];

	if (argc < 2 || argc == 4 || argc == 5 || argc > 8) {
		fprintf(stderr, "usage: bench_historian DIR [SAMPLES [CONNINFO "
		    "ADMIN_CONNINFO PSQL [BATCH_ROWS [ROUNDS]]]]\n");
		return 2;
	}
	dir = argv[1];
	nsamples = argc > 2 ? atoll(argv[2]) : 1000000;
	batch_rows = argc > 6 ? atoll(argv[6]) : 20000;
	rounds = argc > 7 ? atoi(argv[7]) : 3;
	if (nsamples < NPOINTS)
		nsamples = NPOINTS;
	nsamples -= nsamples % NPOINTS;
	if (batch_rows < 1)
		batch_rows = 20000;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 3;
	for (int i = 0; i < NPOINTS; i++)
		snprintf(point_ids[i], sizeof point_ids[i], "FT-%03d.PV", i);
	base_us = real_us() - (nsamples / NPOINTS) * 100000;
	base_us -= base_us % 1000000;
	log_open(NULL, true, LOG_WARN);

	printf("%" PRId64 " samples of %d points\n", nsamples, NPOINTS);
	fflush(stdout);
	bench_ingest();
	if (argc < 6)
		return 0;

	conninfo = argv[3];
	admin_conninfo = argv[4];
	psql = argv[5];
	pc = connect_console();
	admin = PQconnectdb(admin_conninfo);
	if (PQstatus(admin) != CONNECTION_OK)
		die("connect (admin)", PQerrorMessage(admin));
	print_server();
	format_rfc3339_us(base_us, from, sizeof from);
	format_rfc3339_us(base_us + (nsamples / NPOINTS) * 100000, to,
	    sizeof to);
	snprintf(q, sizeof q, "SELECT jope_ensure_partitions('%s', '%s')",
	    from, to);
	sql_do(pc, q);
	snprintf(file, sizeof file, "%s/samples.txt", dir);

	for (int r = 0; r < rounds; r++) {
		up[r] = run_uploader(batch_rows, &source_id);
		if (rows == NULL) {
			/* The rows the uploader sent, for the others. */
			make_rows(source_id);
			write_text_file(file);
		}
		ps[r] = run_psql(file);
		bin[r] = run_copy(1, batch_rows, &benc[r]);
		txt[r] = run_copy(0, batch_rows, &tenc[r]);
		printf("round %d: uploader %.0f, psql \\copy %.0f, libpq binary "
		    "%.0f, libpq text %.0f rows/s\n", r + 1, up[r], ps[r],
		    bin[r], txt[r]);
		fflush(stdout);
	}
	struct stat sb;
	double mu = median(up, rounds), mp = median(ps, rounds),
	    mb = median(bin, rounds), mt = median(txt, rounds);

	stat(file, &sb);
	printf("uploader, spool -> samples, batch_rows %" PRId64
	    " (median of %d): %.0f rows/s\n", batch_rows, rounds, mu);
	printf("psql \\copy of the same rows, text file of %.0f MB (median): "
	    "%.0f rows/s\n", (double)sb.st_size / 1e6, mp);
	printf("ratio uploader/psql: %.2f (target >= 0.8)\n", mu / mp);
	printf("libpq binary COPY from memory, %" PRId64 "-row transactions "
	    "(median): %.0f rows/s, encoding %.0f ms\n", batch_rows, mb,
	    median(benc, rounds) * 1000);
	printf("libpq text COPY from memory (median): %.0f rows/s, encoding "
	    "%.0f ms\n", mt, median(tenc, rounds) * 1000);
	printf("ratio binary/text: %.2f\n", mb / mt);
	fflush(stdout);
	run_phases(batch_rows);
	unlink(file);
	free(rows);
	PQfinish(admin);
	PQfinish(pc);
	return 0;
}
