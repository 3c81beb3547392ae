/*
 * cmd_spool.c: `jope-smb spool [--json]`, the spool's backlog.
 *
 * What waits in the spool for the historian, point by point (rows, the
 * oldest and the newest sample, the age of the oldest: a point whose
 * oldest sample keeps ageing is one the historian is not taking), and the
 * totals of every stream (samples, error records, spectra, audit events),
 * the file's size and the age of the oldest record.  For troubleshooting
 * over SSH, beside a running console: the spool is opened the way `status`
 * and `batch` open it (WAL lets us read while the console writes) and
 * nothing is written; a state dir without a spool is an error, not a new
 * empty spool.  The numbers come from spool_counts and
 * spool_backlog_by_point, two statements: while a console writes, the
 * totals and the rows may differ by what arrived in between.
 *
 *   exit status
 *   -----------  -----------------------------------------------------
 *   0            the backlog was shown (an empty one too)
 *   1            the spool cannot be read: none on this state dir, not
 *                a spool, damaged, or the configuration is invalid
 *   2            usage error
 */
#include "config.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_table.h"
#include "commands.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/util.h"
#include "store/spool.h"

struct backlog {
	json_t *points;			/* [{point, rows, oldest_us, newest_us}] */
	int64_t now_us;
};

/* --- figures ------------------------------------------------------------ */

static int
add_point(void *ctx, const char *point_id, int64_t rows, int64_t oldest_us,
    int64_t newest_us)
{
	struct backlog *b = ctx;

	json_array_append_new(b->points, json_pack("{s:s,s:I,s:I,s:I}",
	    "point", point_id != NULL ? point_id : "", "rows",
	    (json_int_t)rows, "oldest_us", (json_int_t)oldest_us,
	    "newest_us", (json_int_t)newest_us));
	return 0;
}

/* Read the counts and the backlog by point; 0, or -1 after saying why. */
static int
read_backlog(const char *path, struct spool_counts *c, struct backlog *b)
{
	struct spool *sp;
	char err[1024];
	int rc = 0;

	if (spool_open(path, &sp, err, sizeof err) != 0) {
		fprintf(stderr, "jope-smb: %s\n", err);
		return -1;
	}
	if (spool_counts(sp, c) != 0 ||
	    spool_backlog_by_point(sp, add_point, b) != 0) {
		fprintf(stderr, "jope-smb: %s\n", spool_last_error(sp));
		rc = -1;
	}
	spool_close(sp);
	return rc;
}

static double
age_s(int64_t now_us, int64_t ts_us)
{
	return ts_us > 0 ? (double)(now_us - ts_us) / 1e6 : 0.0;
}

static int64_t
int_of(const json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

/* --- text ----------------------------------------------------------------- */

/* An age for people: "4.9 s", "5 min 03 s", "2 h 05 min", "3 d 04 h". */
static void
age_text(double s, char *buf, size_t len)
{
	long n = s > 0 ? (long)s : 0;

	if (s < 60)
		snprintf(buf, len, _("%.1f s"), s > 0 ? s : 0.0);
	else if (n < 3600)
		snprintf(buf, len, _("%ld min %02ld s"), n / 60, n % 60);
	else if (n < 86400)
		snprintf(buf, len, _("%ld h %02ld min"), n / 3600,
		    n / 60 % 60);
	else
		snprintf(buf, len, _("%ld d %02ld h"), n / 86400,
		    n / 3600 % 24);
}

/* RFC 3339 UTC to the second, for the table: 2026-11-21T13:00:01Z. */
static void
time_text(int64_t ts_us, char *buf, size_t len)
{
	time_t t = (time_t)(ts_us / 1000000);
	struct tm tm;

	if (ts_us <= 0 || gmtime_r(&t, &tm) == NULL)
		str_copy(buf, "-", len);
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
print_totals(const char *path, const struct spool_counts *c, int64_t now_us)
{
	char when[40], age[40];

	printf(_("Spool:      %s (%.1f MiB)\n"), path,
	    (double)c->file_bytes / (1024.0 * 1024));
	printf(_("Waiting:    %" PRId64 " sample(s), %" PRId64 " error "
	    "record(s), %" PRId64 " spectra, %" PRId64 " audit event(s)\n"),
	    c->rows[SPOOL_SAMPLES], c->rows[SPOOL_ERRORS],
	    c->rows[SPOOL_SPECTRA], c->rows[SPOOL_AUDIT]);
	if (c->oldest_us > 0) {
		format_rfc3339_us(c->oldest_us, when, sizeof when);
		age_text(age_s(now_us, c->oldest_us), age, sizeof age);
		/* TRANSLATORS: time of the oldest record, then its age. */
		printf(_("Oldest:     %s, %s ago\n"), when, age);
	}
	if (c->marked > 0)
		printf(_("Uploading:  %" PRId64 " record(s) in an upload "
		    "transaction now\n"), c->marked);
	if (c->purged_rows > 0)
		printf(_("Purged:     %" PRId64 " record(s) never uploaded, "
		    "older than the retention\n"), c->purged_rows);
	if (c->dropped_rows > 0)
		printf(_("Spool full: %" PRId64 " oldest record(s) dropped to "
		    "keep the newest\n"), c->dropped_rows);
}

static void
print_points(const json_t *points, int64_t now_us)
{
	const char *head[5] = { _("POINT"), _("SAMPLES"), _("OLDEST"),
	    _("NEWEST"), _("AGE") };
	struct cli_table *t;
	const json_t *p;
	size_t i;

	if (json_array_size(points) == 0) {
		printf(_("\nNo sample waits for the historian.\n"));
		return;
	}
	t = cli_table_new(5, head);
	json_array_foreach(points, i, p) {
		char rows[24], oldest[32], newest[32], age[40];
		const char *row[5] = { json_string_value(json_object_get(p,
		    "point")), rows, oldest, newest, age };

		snprintf(rows, sizeof rows, "%" PRId64, int_of(p, "rows"));
		time_text(int_of(p, "oldest_us"), oldest, sizeof oldest);
		time_text(int_of(p, "newest_us"), newest, sizeof newest);
		age_text(age_s(now_us, int_of(p, "oldest_us")), age,
		    sizeof age);
		cli_table_add(t, row);
	}
	putchar('\n');
	cli_table_print(t, stdout);
	cli_table_free(t);
}

/* --- JSON ------------------------------------------------------------------- */

/* RFC 3339 with microseconds, or null for none. */
static json_t *
json_time(int64_t ts_us)
{
	char buf[40];

	if (ts_us <= 0)
		return json_null();
	format_rfc3339_us(ts_us, buf, sizeof buf);
	return json_string(buf);
}

static json_t *
json_age(int64_t now_us, int64_t ts_us)
{
	/* To the millisecond: the rest is the time this command took. */
	return ts_us > 0 ? json_real(round(age_s(now_us, ts_us) * 1000) /
	    1000) : json_null();
}

static void
print_json(const char *path, const struct spool_counts *c,
    const json_t *points, int64_t now_us)
{
	json_t *root, *list = json_array(), *p;
	size_t i;
	char *text;

	json_array_foreach(points, i, p) {
		int64_t oldest = int_of(p, "oldest_us");

		json_array_append_new(list, json_pack("{s:O,s:I,s:o,s:o,s:o}",
		    "point", json_object_get(p, "point"), "rows",
		    (json_int_t)int_of(p, "rows"), "oldest", json_time(oldest),
		    "newest", json_time(int_of(p, "newest_us")),
		    "oldest_age_s", json_age(now_us, oldest)));
	}
	root = json_pack("{s:s,s:{s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:I},"
	    "s:o}", "spool", path, "totals",
	    "samples", (json_int_t)c->rows[SPOOL_SAMPLES],
	    "errors", (json_int_t)c->rows[SPOOL_ERRORS],
	    "spectra", (json_int_t)c->rows[SPOOL_SPECTRA],
	    "audit", (json_int_t)c->rows[SPOOL_AUDIT],
	    "file_bytes", (json_int_t)c->file_bytes,
	    "oldest", json_time(c->oldest_us),
	    "oldest_age_s", json_age(now_us, c->oldest_us),
	    "uploading", (json_int_t)c->marked,
	    "purged_rows", (json_int_t)c->purged_rows,
	    "dropped_rows", (json_int_t)c->dropped_rows,
	    "points", list);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(15));
	if (text != NULL)
		puts(text);
	free(text);
	json_decref(root);
}

/* --- the command ------------------------------------------------------------ */

int
cmd_spool(const struct options *o)
{
	struct backlog b = { NULL, 0 };
	struct spool_counts c;
	struct app_config app;
	char *path = NULL;
	struct stat st;
	int rc = EXIT_FAILURE_;

	if (o->argc != 0) {
		fprintf(stderr, _("jope-smb: spool takes no operand\n"
		    "Usage: jope-smb spool [--json]\n"));
		return EXIT_USAGE;
	}
	if (command_load_app(o, &app, &path) != 0)
		return EXIT_FAILURE_;
	if (stat(path, &st) != 0) {
		fprintf(stderr, _("jope-smb: no spool at %s: no console has run "
		    "on state dir %s\n"), path, options_state_dir(o));
		free(path);
		return EXIT_FAILURE_;
	}
	b.points = json_array();
	if (read_backlog(path, &c, &b) == 0) {
		b.now_us = clock_real_us(clock_real());
		if (o->json)
			print_json(path, &c, b.points, b.now_us);
		else {
			print_totals(path, &c, b.now_us);
			print_points(b.points, b.now_us);
		}
		rc = EXIT_OK;
	}
	json_decref(b.points);
	free(path);
	return rc;
}
