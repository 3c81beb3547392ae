/*
 * cmd_batch.c: `jope-smb batch list [--json]` and
 * `jope-smb batch report ID [--csv FILE|-] [--json]`.
 *
 * Batch records (plant/batch_record.h) live in two places.  The spool of
 * the state dir keeps every record of this console (spool_batch_*), opened
 * the way `status` opens it next to a running console: WAL lets us read
 * while the console writes, and we never write.  The historian keeps the
 * records of every console in its batches table, folded there by the
 * uploader from the trail's batch_record events.  `batch list` shows the
 * spool's; `batch report` takes the spool's record of the id, else the
 * historian's (a batch of another console, or of a spool since replaced).
 *
 * The samples of a batch are split the same way: those not yet uploaded
 * are in the spool (spool_batch_samples), those uploaded are in the
 * historian's samples table, and for a moment (between the historian's
 * COMMIT and the spool's delete) a sample may be in both.  --csv merges the
 * two, sorts by time then point, and keeps one row per (time, point): a
 * point has one value at one instant, so the same pair twice is the same
 * sample seen in both places.  The file is written under a temporary name
 * in the same directory and renamed when complete, so a reader never sees
 * half a file, and numbers are written in the C locale ("." decimals,
 * the shortest text that reads back to the same double), times as RFC 3339
 * UTC with microseconds, quality as its number (0 good, 1 uncertain,
 * 2 bad), an empty value for a missing one.
 *
 *   command        exit status
 *   -------------  -------------------------------------------------------
 *   batch list     0, 1 when the spool cannot be read
 *   batch report   0 done; 1 unknown batch id (nothing written) or a
 *                  failure; 6 the historian is configured but could not
 *                  be reached: what the spool holds was printed and
 *                  written, the uploaded samples are missing (or the
 *                  record, when the spool has none)
 *   (any)          2 usage error
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_table.h"
#include "commands.h"
#include "core/i18n.h"
#include "core/util.h"
#include "historian/pgconn.h"
#include "store/spool.h"

/* Historian samples are looked for this far around the batch's run. */
#define SAMPLE_SLACK_US		(INT64_C(86400) * 1000000)

struct session {
	const struct options *o;
	struct app_config app;
	char *spool_path;
	struct spool *sp;		/* NULL: no spool on this state dir */
	PGconn *pg;
	bool pg_tried;
	char pg_err[512];		/* why the historian is missing */
};

/* --- opening ------------------------------------------------------------ */

static int
session_open(struct session *s, const struct options *o)
{
	char err[1024];
	struct stat st;

	memset(s, 0, sizeof *s);
	s->o = o;
	if (command_load_app(o, &s->app, &s->spool_path) != 0)
		return -1;
	if (stat(s->spool_path, &st) != 0)
		return 0;
	if (spool_open(s->spool_path, &s->sp, err, sizeof err) != 0) {
		fprintf(stderr, "jope-smb: %s\n", err);
		return -1;
	}
	return 0;
}

static void
session_close(struct session *s)
{
	if (s->pg != NULL)
		PQfinish(s->pg);
	spool_close(s->sp);
	free(s->spool_path);
}

static bool
historian_configured(const struct session *s)
{
	return s->app.historian_conninfo[0] != '\0';
}

/* The historian, connected on first use; NULL with s->pg_err. */
static PGconn *
historian(struct session *s)
{
	struct pg_params p;

	if (s->pg != NULL || s->pg_tried)
		return s->pg;
	s->pg_tried = true;
	p = (struct pg_params){ .conninfo = s->app.historian_conninfo,
	    .password_file = s->app.historian.password_file,
	    .application_name = "jope-smb batch",
	    .timeout_ms = (int)s->app.historian.timeout_ms };
	s->pg = pg_connect(&p, -1, s->pg_err, sizeof s->pg_err);
	return s->pg;
}

/* A query on the historian; NULL with s->pg_err. */
static PGresult *
hist_query(struct session *s, const char *sql, int n, const char *const *p)
{
	return pg_query(s->pg, sql, n, p, -1,
	    (int)s->app.historian.timeout_ms, s->pg_err, sizeof s->pg_err);
}

static void
print_json(json_t *root)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (text != NULL)
		puts(text);
	free(text);
	json_decref(root);
}

/* --- record fields -------------------------------------------------------- */

static const char *
str_of(const json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL && *v != '\0' ? v : dflt;
}

static long long
int_of(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* "racemate-sep@3" */
static void
recipe_text(const json_t *rec, char *buf, size_t len)
{
	const json_t *r = json_object_get(rec, "recipe");

	snprintf(buf, len, "%s@%s", str_of(r, "id", "?"),
	    str_of(r, "version", "?"));
}

/* A duration in ms as H:MM:SS. */
static void
duration_text(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms > 0 ? ms / 1000 : 0;

	snprintf(buf, len, "%" PRId64 ":%02d:%02d", s / 3600,
	    (int)(s / 60 % 60), (int)(s % 60));
}

/* --- batch list --------------------------------------------------------- */

static int
collect_record(void *ctx, const char *text)
{
	json_t *rec = json_loads(text, 0, NULL);

	if (rec == NULL || !json_is_object(rec)) {
		fprintf(stderr, _("jope-smb: warning: a batch record in the "
		    "spool is not valid JSON; skipped\n"));
		json_decref(rec);
		return 0;
	}
	json_array_append_new(ctx, rec);
	return 0;
}

static int
batch_list(struct session *s)
{
	json_t *list, *rec;
	struct cli_table *t;
	size_t i;

	if (s->sp == NULL) {
		fprintf(stderr, _("jope-smb: no spool at %s: no batch has been "
		    "recorded on state dir %s\n"), s->spool_path,
		    options_state_dir(s->o));
		return EXIT_FAILURE_;
	}
	list = json_array();
	if (spool_batch_each(s->sp, false, 0, collect_record, list) != 0) {
		fprintf(stderr, "jope-smb: %s\n", spool_last_error(s->sp));
		json_decref(list);
		return EXIT_FAILURE_;
	}
	if (s->o->json) {
		print_json(json_pack("{s:s,s:o}", "spool", s->spool_path,
		    "batches", list));
		return EXIT_OK;
	}
	if (json_array_size(list) == 0) {
		printf(_("No batch records in %s.\n"), s->spool_path);
		json_decref(list);
		return EXIT_OK;
	}
	{
		const char *head[9] = { _("BATCH"), _("RECIPE"), _("STATE"),
		    _("STARTED"), _("ENDED"), _("STARTED BY"), _("SAMPLES"),
		    _("ERRORS"), _("ALARMS") };

		t = cli_table_new(9, head);
	}
	json_array_foreach(list, i, rec) {
		char recipe[160], n[3][24];
		const char *row[9] = { str_of(rec, "id", "?"), recipe,
		    str_of(rec, "state", "?"), str_of(rec, "started", "-"),
		    str_of(rec, "ended", "-"), str_of(rec, "started_by", "-"),
		    n[0], n[1], n[2] };

		recipe_text(rec, recipe, sizeof recipe);
		snprintf(n[0], sizeof n[0], "%lld", int_of(rec, "samples"));
		snprintf(n[1], sizeof n[1], "%lld", int_of(rec, "errors"));
		snprintf(n[2], sizeof n[2], "%lld", int_of(rec, "alarms"));
		cli_table_add(t, row);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
	json_decref(list);
	return EXIT_OK;
}

/* --- batch report: the record --------------------------------------------- */

enum origin { FROM_SPOOL, FROM_HISTORIAN };

/*
 * The record of id: the spool's, else the historian's.  EXIT_OK with *rec;
 * else the exit status, after saying why.
 */
static int
load_record(struct session *s, const char *id, json_t **rec,
    enum origin *from)
{
	const char *p1[1] = { id };
	char *text = NULL;
	PGresult *r;
	int rc = 0;

	*rec = NULL;
	if (s->sp != NULL && (rc = spool_batch_get(s->sp, id, &text)) < 0) {
		fprintf(stderr, "jope-smb: %s\n", spool_last_error(s->sp));
		return EXIT_FAILURE_;
	}
	if (rc == 1) {
		*from = FROM_SPOOL;
		*rec = json_loads(text, 0, NULL);
		free(text);
		if (!json_is_object(*rec)) {
			fprintf(stderr, _("jope-smb: the spool's record of "
			    "batch %s is not valid JSON\n"), id);
			json_decref(*rec);
			*rec = NULL;
			return EXIT_FAILURE_;
		}
		return EXIT_OK;
	}
	if (!historian_configured(s)) {
		fprintf(stderr, _("jope-smb: no batch %s in the spool %s (and "
		    "no historian is configured to look in); nothing was "
		    "written\n"), id, s->spool_path);
		return EXIT_FAILURE_;
	}
	if (historian(s) == NULL || (r = hist_query(s, "SELECT record::text"
	    " FROM batches WHERE batch_id = $1", 1, p1)) == NULL) {
		fprintf(stderr, _("jope-smb: batch %s is not in the spool, and "
		    "the historian cannot be reached to look for it: %s; "
		    "nothing was written\n"), id, s->pg_err);
		return EXIT_HISTORIAN_MISSING;
	}
	if (PQntuples(r) == 0) {
		PQclear(r);
		fprintf(stderr, _("jope-smb: no batch %s, neither in the spool "
		    "nor in the historian; nothing was written\n"), id);
		return EXIT_FAILURE_;
	}
	*from = FROM_HISTORIAN;
	*rec = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	if (!json_is_object(*rec)) {
		fprintf(stderr, _("jope-smb: the historian's record of batch "
		    "%s is not a JSON object\n"), id);
		json_decref(*rec);
		*rec = NULL;
		return EXIT_FAILURE_;
	}
	return EXIT_OK;
}

static void
print_transitions(const json_t *rec)
{
	const json_t *list = json_object_get(rec, "transitions"), *tr;
	const char *head[6] = { _("TIME"), _("EVENT"), _("FROM -> TO"),
	    _("USER"), _("SECOND SIGNER"), _("AUDIT") };
	struct cli_table *t = cli_table_new(6, head);
	size_t i;

	json_array_foreach(list, i, tr) {
		char move[64], seq[24];
		const char *row[6] = { str_of(tr, "time", "-"),
		    str_of(tr, "event", "?"), move, str_of(tr, "user", "-"),
		    str_of(tr, "second_user", "-"), seq };

		snprintf(move, sizeof move, "%s -> %s", str_of(tr, "from", "?"),
		    str_of(tr, "to", "?"));
		if (int_of(tr, "audit_seq") > 0)
			snprintf(seq, sizeof seq, "#%lld", int_of(tr,
			    "audit_seq"));
		else
			str_copy(seq, "-", sizeof seq);
		cli_table_add(t, row);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
	if (int_of(rec, "transitions_dropped") > 0)
		printf(_("(%lld earlier transition(s) not kept in the record; "
		    "the audit trail has them)\n"),
		    int_of(rec, "transitions_dropped"));
}

static void
print_record(const json_t *rec, enum origin from)
{
	const json_t *recipe = json_object_get(rec, "recipe");
	char held[32], since[40];

	printf(_("Batch:       %s\n"), str_of(rec, "id", "?"));
	printf(_("Recipe:      %s (%s), version %s\n"),
	    str_of(recipe, "name", "?"), str_of(recipe, "id", "?"),
	    str_of(recipe, "version", "?"));
	printf(_("State:       %s\n"), str_of(rec, "state", "?"));
	printf(_("Started:     %s by %s\n"), str_of(rec, "started", "-"),
	    str_of(rec, "started_by", "-"));
	printf(_("Ended:       %s\n"), str_of(rec, "ended", "-"));
	duration_text(int_of(rec, "held_total_ms"), held, sizeof held);
	printf(_("Held:        %s in %lld hold(s)"), held,
	    int_of(rec, "holds"));
	if (int_of(rec, "held_since_us") > 0) {
		format_rfc3339_us(int_of(rec, "held_since_us"), since,
		    sizeof since);
		printf(_(", held since %s"), since);
	}
	putchar('\n');
	printf(_("Counts:      %lld sample(s), %lld error(s), %lld "
	    "alarm(s)\n"), int_of(rec, "samples"), int_of(rec, "errors"),
	    int_of(rec, "alarms"));
	printf(_("Console:     %s\n"), str_of(rec, "console", "-"));
	printf(_("Updated:     %s\n"), str_of(rec, "updated", "-"));
	printf(_("Record from: %s\n"), from == FROM_SPOOL ? _("the spool") :
	    _("the historian (not in this console's spool)"));
	printf(_("Transitions:\n"));
	print_transitions(rec);
}

/* --- batch report --csv: the samples --------------------------------------- */

struct row {
	int64_t ts_us;
	char *point;
	double value;			/* NAN: none */
	int quality;
	char *tag;			/* NULL: none */
	size_t order;			/* arrival: the historian's first */
};

struct rows {
	struct row *v;
	size_t n, cap;
	size_t from_spool, from_historian;	/* before merging */
};

static void
rows_add(struct rows *rs, int64_t ts_us, const char *point, double value,
    int quality, const char *tag)
{
	struct row *r;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap > 0 ? rs->cap * 2 : 256;
		rs->v = xrealloc(rs->v, rs->cap * sizeof *rs->v);
	}
	r = &rs->v[rs->n];
	r->ts_us = ts_us;
	r->point = xstrdup(point != NULL ? point : "");
	r->value = value;
	r->quality = quality;
	r->tag = tag != NULL ? xstrdup(tag) : NULL;
	r->order = rs->n++;
}

static void
rows_free(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->v[i].point);
		free(rs->v[i].tag);
	}
	free(rs->v);
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c;

	if (x->ts_us != y->ts_us)
		return x->ts_us < y->ts_us ? -1 : 1;
	if ((c = strcmp(x->point, y->point)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sort by time then point; one row per (time, point), the first kept. */
static void
rows_merge(struct rows *rs)
{
	size_t k = 0;

	qsort(rs->v, rs->n, sizeof *rs->v, row_cmp);
	for (size_t i = 0; i < rs->n; i++) {
		if (k > 0 && rs->v[k - 1].ts_us == rs->v[i].ts_us &&
		    strcmp(rs->v[k - 1].point, rs->v[i].point) == 0) {
			free(rs->v[i].point);
			free(rs->v[i].tag);
			continue;
		}
		rs->v[k++] = rs->v[i];
	}
	rs->n = k;
}

static int
spool_row(void *ctx, const struct spool_sample *s)
{
	rows_add(ctx, s->ts_us, s->point_id, s->value, (int)s->quality,
	    s->tag);
	return 0;
}

/* "C" for numbers in CSV whatever LC_NUMERIC says. */
static locale_t
c_locale(void)
{
	static locale_t c;

	if (c == (locale_t)0)
		c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	return c;
}

static double
parse_double(const char *text)
{
	locale_t old = uselocale(c_locale());
	double v = strtod(text, NULL);

	uselocale(old);
	return v;
}

/* The shortest text that reads back as v; "" for none. */
static void
format_double(double v, char *buf, size_t len)
{
	locale_t old;

	if (isnan(v)) {
		buf[0] = '\0';
		return;
	}
	old = uselocale(c_locale());
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	uselocale(old);
}

/*
 * The uploaded samples of batch id from the historian, within a day of
 * its run (the partitions outside are not read).  0, or -1 with s->pg_err.
 */
static int
historian_rows(struct session *s, const char *id, const json_t *rec,
    struct rows *rs)
{
	int64_t started = int_of(rec, "started_us"), ended = int_of(rec,
	    "ended_us");
	char from[40], to[40];
	const char *p3[3] = { id, from, to };
	PGresult *r;

	if (historian(s) == NULL)
		return -1;
	if (started > 0) {
		format_rfc3339_us(started - SAMPLE_SLACK_US, from, sizeof from);
		if (ended > 0)
			format_rfc3339_us(ended + SAMPLE_SLACK_US, to,
			    sizeof to);
		else
			str_copy(to, "infinity", sizeof to);
		r = hist_query(s, "SELECT (extract(epoch FROM time) * 1000000)"
		    "::int8, point_id, value, quality, tag FROM samples"
		    " WHERE batch_id = $1 AND time >= $2 AND time <= $3", 3,
		    p3);
	} else
		r = hist_query(s, "SELECT (extract(epoch FROM time) * 1000000)"
		    "::int8, point_id, value, quality, tag FROM samples"
		    " WHERE batch_id = $1", 1, p3);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++)
		rows_add(rs, strtoll(PQgetvalue(r, i, 0), NULL, 10),
		    PQgetvalue(r, i, 1), PQgetisnull(r, i, 2) ? NAN :
		    parse_double(PQgetvalue(r, i, 2)),
		    atoi(PQgetvalue(r, i, 3)), PQgetisnull(r, i, 4) ? NULL :
		    PQgetvalue(r, i, 4));
	rs->from_historian = (size_t)PQntuples(r);
	PQclear(r);
	return 0;
}

/* One CSV field, quoted when it must be (RFC 4180). */
static void
csv_field(FILE *fp, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	putc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', fp);
		putc(*s, fp);
	}
	putc('"', fp);
}

static int
csv_write(FILE *fp, const struct rows *rs)
{
	char time_[40], value[40];

	fputs("time,point,value,quality,tag\n", fp);
	for (size_t i = 0; i < rs->n; i++) {
		const struct row *r = &rs->v[i];

		format_rfc3339_us(r->ts_us, time_, sizeof time_);
		format_double(r->value, value, sizeof value);
		fprintf(fp, "%s,", time_);
		csv_field(fp, r->point);
		fprintf(fp, ",%s,%d,", value, r->quality);
		csv_field(fp, r->tag != NULL ? r->tag : "");
		putc('\n', fp);
	}
	return ferror(fp) ? -1 : 0;
}

/* Write the CSV to path whole or not at all (temp name, then rename). */
static int
csv_save(const char *path, const struct rows *rs)
{
	size_t n = strlen(path) + 16;
	char *tmp = xmalloc(n);
	FILE *fp = NULL;
	mode_t mask = umask(0);
	int fd, saved;

	/* mkstemp makes 0600; the file gets the mode of any new file. */
	umask(mask);
	snprintf(tmp, n, "%s.tmp-XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0 || fchmod(fd, 0666 & ~mask) != 0 ||
	    (fp = fdopen(fd, "w")) == NULL)
		goto fail;
	fd = -1;
	if (csv_write(fp, rs) != 0 || fflush(fp) != 0 ||
	    fsync(fileno(fp)) != 0)
		goto fail;
	if (fclose(fp) != 0) {
		fp = NULL;
		goto fail;
	}
	fp = NULL;
	if (rename(tmp, path) != 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	saved = errno;
	fprintf(stderr, _("jope-smb: cannot write %s: %s; nothing was "
	    "written\n"), path, strerror(saved));
	if (fp != NULL)
		fclose(fp);
	else if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

/*
 * The samples of batch id, merged; *complete false (and s->pg_err) when
 * the historian is configured but its part could not be read.  0, or -1
 * when the spool failed.
 */
static int
collect_rows(struct session *s, const char *id, const json_t *rec,
    struct rows *rs, bool *complete)
{
	*complete = true;
	if (historian_configured(s) && historian_rows(s, id, rec, rs) != 0)
		*complete = false;
	if (s->sp != NULL) {
		size_t before = rs->n;

		if (spool_batch_samples(s->sp, id, spool_row, rs) != 0) {
			fprintf(stderr, "jope-smb: %s\n",
			    spool_last_error(s->sp));
			return -1;
		}
		rs->from_spool = rs->n - before;
	}
	rows_merge(rs);
	return 0;
}

static int
batch_report(struct session *s, const char *id)
{
	const char *csv = s->o->csv;
	struct rows rs = { NULL, 0, 0, 0, 0 };
	bool to_stdout = csv != NULL && strcmp(csv, "-") == 0;
	bool complete = true;
	enum origin from = FROM_SPOOL;
	json_t *rec;
	int rc;

	if ((rc = load_record(s, id, &rec, &from)) != EXIT_OK)
		return rc;
	if (csv != NULL) {
		if (collect_rows(s, id, rec, &rs, &complete) != 0 ||
		    (to_stdout ? csv_write(stdout, &rs) : csv_save(csv,
		    &rs)) != 0) {
			rows_free(&rs);
			json_decref(rec);
			return EXIT_FAILURE_;
		}
		if (!complete)
			fprintf(stderr, _("jope-smb: warning: the historian "
			    "cannot be reached (%s): the samples of batch %s "
			    "already uploaded are MISSING; %s holds only the "
			    "%zu sample(s) still in the spool\n"), s->pg_err,
			    id, to_stdout ? _("the output") : csv, rs.n);
	}
	if (s->o->json) {
		json_t *out = json_pack("{s:s,s:O}", "source", from ==
		    FROM_SPOOL ? "spool" : "historian", "record", rec);

		if (csv != NULL)
			json_object_set_new(out, "csv", json_pack(
			    "{s:s,s:I,s:I,s:I,s:b}", "file", csv, "rows",
			    (json_int_t)rs.n, "spool_rows",
			    (json_int_t)rs.from_spool, "historian_rows",
			    (json_int_t)rs.from_historian, "complete",
			    complete));
		print_json(out);
	} else if (!to_stdout) {
		print_record(rec, from);
		if (csv != NULL)
			printf(_("Samples:     %zu row(s) written to %s (%zu "
			    "from the spool, %zu from the historian)\n"), rs.n,
			    csv, rs.from_spool, rs.from_historian);
	}
	rows_free(&rs);
	json_decref(rec);
	return complete ? EXIT_OK : EXIT_HISTORIAN_MISSING;
}

/* --- dispatch -------------------------------------------------------------- */

static int
usage_error(void)
{
	fprintf(stderr, _("jope-smb: batch: expected one of\n"
	    "  batch list [--json]\n"
	    "  batch report ID [--csv=FILE|-] [--json]\n"));
	return EXIT_USAGE;
}

int
cmd_batch(const struct options *o)
{
	const char *sub = o->argc > 0 ? o->argv[0] : "";
	struct session s;
	int rc;

	if (strcmp(sub, "list") == 0) {
		if (o->argc != 1 || o->csv != NULL)
			return usage_error();
	} else if (strcmp(sub, "report") == 0) {
		if (o->argc != 2 || o->argv[1][0] == '\0')
			return usage_error();
		if (o->json && o->csv != NULL && strcmp(o->csv, "-") == 0) {
			fprintf(stderr, _("jope-smb: batch report: --json and "
			    "--csv=- would both write to standard output\n"));
			return EXIT_USAGE;
		}
	} else
		return usage_error();
	if (session_open(&s, o) != 0) {
		session_close(&s);
		return EXIT_FAILURE_;
	}
	rc = strcmp(sub, "list") == 0 ? batch_list(&s) :
	    batch_report(&s, o->argv[1]);
	session_close(&s);
	return rc;
}
