/*
 * cmd_poll.c: `jope-smb poll DEVICE [POINT] [--json]`, one read now.
 *
 * For troubleshooting over SSH: read every point of DEVICE (or only POINT)
 * once, through the same executor and rules the engine uses (the Modbus
 * TCP/RTU driver, the line's timeout, -r connect attempts with the -s
 * guard interval between them, the read plan's merges and splits, byte
 * order and scaling), on the configuration in use (the applied version,
 * else the config dir: command_load_model, like `run`), and print what
 * came back.  A small executor of its own runs the one task; its sink only
 * keeps the results for printing: nothing goes to the spool, the log or
 * the historian, and no alarm is raised.
 *
 * Rules 1 and 2 hold across processes through the state dir's lock: a
 * console or `run` holding STATE_DIR/engine.lock owns every line of the
 * configuration, so a poll beside it is refused, naming it (the file holds
 * "console pid N"), and reads nothing; the console's own immediate read
 * (r) goes through its executor instead.  A poll holds the lock itself
 * while it reads ("poll pid N"), so that no engine starts meanwhile.
 *
 *   step     what                                  refused when (exit)
 *   -------  ------------------------------------  --------------------
 *   parse    DEVICE, POINT in the model in use     invalid config (1),
 *                                                  unknown id (2, the
 *                                                  valid ids listed)
 *   lock     flock STATE_DIR/engine.lock, LOCK_NB  an engine holds it (7)
 *   read     executor_submit_read, wait for the    -
 *            sink (the task ends read, failed or
 *            cancelled by HardError after -r
 *            failed connects)
 *   print    each point: value, unit, quality or   -
 *            the error (code, text); elapsed time
 *
 *   exit status
 *   -----------  ---------------------------------------------------
 *   0            every point was read
 *   1            failure: invalid configuration, the lock cannot be
 *                opened
 *   2            usage error; unknown device or point
 *   3            a point or more was not read (the device answered
 *                in part, or not at all)
 *   7            refused: a console or run holds the state dir
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_table.h"
#include "collect/driver.h"
#include "collect/executor.h"
#include "commands.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/util.h"

struct poll {
	struct model *m;
	size_t device;
	size_t *points;			/* model.points indices, in model order */
	size_t n;
	struct point_result *r;		/* [n], by position in points */
	bool *have;			/* [n]: r[i] arrived */
	size_t arrived;
	int failed_connects;
	struct collect_error connect_err;	/* the last failed connect */
	int64_t elapsed_ms;
	pthread_mutex_t lock;
	pthread_cond_t cv;
};

/* --- choosing the device and points ------------------------------------- */

static void
list_ids(const struct model *m, long device)
{
	const char *sep = "";

	if (device < 0)
		for (size_t i = 0; i < m->ndevices; i++, sep = ", ")
			fprintf(stderr, "%s%s", sep, m->devices[i].id);
	else
		for (size_t i = 0; i < m->npoints; i++)
			if (m->points[i].device == (size_t)device) {
				fprintf(stderr, "%s%s", sep, m->points[i].id);
				sep = ", ";
			}
	fputc('\n', stderr);
}

/* The device and points asked for; EXIT_OK, else after saying why. */
static int
choose(struct poll *p, const struct options *o)
{
	const struct model *m = p->m;
	long d = model_find_device(m, o->argv[0]), pt;

	if (d < 0) {
		fprintf(stderr, _("jope-smb: poll: no device '%s' in the "
		    "configuration in use; its devices: "), o->argv[0]);
		list_ids(m, -1);
		return EXIT_USAGE;
	}
	p->device = (size_t)d;
	p->points = xcalloc(m->npoints + 1, sizeof *p->points);
	if (o->argc == 2) {
		pt = model_find_point(m, o->argv[1]);
		if (pt < 0 || m->points[pt].device != (size_t)d) {
			if (pt >= 0)
				fprintf(stderr, _("jope-smb: poll: point %s "
				    "belongs to device %s, not %s\n"),
				    o->argv[1], m->devices[m->points[pt].device]
				    .id, o->argv[0]);
			fprintf(stderr, _("jope-smb: poll: device %s has no "
			    "point '%s'; its points: "), o->argv[0],
			    o->argv[1]);
			list_ids(m, d);
			return EXIT_USAGE;
		}
		p->points[p->n++] = (size_t)pt;
		return EXIT_OK;
	}
	for (size_t i = 0; i < m->npoints; i++)
		if (m->points[i].device == (size_t)d)
			p->points[p->n++] = i;
	if (p->n == 0) {
		fprintf(stderr, _("jope-smb: poll: device %s has no points to "
		    "read\n"), o->argv[0]);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* --- the state dir's lock -------------------------------------------------- */

/*
 * Hold STATE_DIR/engine.lock for the poll, so that no console or run
 * starts meanwhile.  0 with *fd (-1 when there is no state dir: no engine
 * can hold it), 1 when an engine holds it (its text in holder), -1 after
 * saying why.
 */
static int
hold_engine_lock(const char *state_dir, int *fd, char *holder, size_t len)
{
	char path[4096], text[64];
	struct stat st;
	bool writable = true;
	ssize_t n;

	*fd = -1;
	if (stat(state_dir, &st) != 0 && errno == ENOENT)
		return 0;
	snprintf(path, sizeof path, "%s/engine.lock", state_dir);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 &&
	    (errno == EACCES || errno == EROFS)) {
		writable = false;
		*fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (*fd < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, _("jope-smb: poll: cannot open %s: %s; "
		    "nothing was read\n"), path, strerror(errno));
		return -1;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(*fd, holder, len - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		close(*fd);
		*fd = -1;
		return 1;
	}
	n = snprintf(text, sizeof text, "poll pid %ld\n", (long)getpid());
	if (writable && (ftruncate(*fd, 0) != 0 ||
	    pwrite(*fd, text, (size_t)n, 0) != n)) {
		/* As for the engine: the lock matters, the text is a courtesy. */
	}
	return 0;
}

static void
refuse_busy(const struct poll *p, const char *holder, const char *state_dir)
{
	const struct device *dev = &p->m->devices[p->device];

	/* TRANSLATORS: the holder is "console pid N" or "run pid N". */
	fprintf(stderr, _("jope-smb: poll: refused: the engine of state dir "
	    "%s (%s) holds line %s of device %s, one connection per line; "
	    "nothing was read.\n"), state_dir, holder[0] ? holder :
	    _("another jope-smb"), p->m->connectors[dev->connector].id,
	    dev->id);
	fprintf(stderr, _("Its reads of %s are in 'jope-smb status %s'; in the "
	    "console, r reads the device now.\n"), dev->id, dev->id);
}

/* --- the read -------------------------------------------------------------- */

/* Executor sink: keep the results; the main thread prints them. */
static void
poll_results(void *ctx, size_t device, const struct point_result *r,
    size_t n)
{
	struct poll *p = ctx;

	(void)device;
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < p->n; j++)
			if (p->points[j] == r[i].point && !p->have[j]) {
				p->r[j] = r[i];
				p->have[j] = true;
				p->arrived++;
				break;
			}
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->lock);
}

/* Executor sink: a failed connect is said at once, the wait may be long. */
static void
poll_state(void *ctx, size_t device, enum device_conn_state s,
    const struct collect_error *err)
{
	struct poll *p = ctx;
	const struct executor_defaults *ex = &p->m->app.executor;
	int attempt;

	if (err == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	attempt = ++p->failed_connects;
	p->connect_err = *err;
	pthread_mutex_unlock(&p->lock);
	if (s == DEVICE_HARD_ERROR)
		return;
	fprintf(stderr, _("jope-smb: poll: cannot connect to %s (attempt %d "
	    "of %d): %s; trying again after the %.1f s guard interval\n"),
	    p->m->devices[device].id, attempt, ex->retries, err->text,
	    (double)ex->guard_ms / 1000.0);
}

static void
run_poll(struct poll *p)
{
	const struct executor_defaults *d = &p->m->app.executor;
	struct executor_params params = { d->keep_alive_ms, d->guard_ms,
	    d->retries, d->hard_error_ms, d->threads, 0 };
	struct executor_sink sink = { .ctx = p, .results = poll_results,
	    .device_state = poll_state };
	struct driver *drv = driver_modbus_new();
	struct executor *ex;
	int64_t t0 = clock_mono_ms(clock_real());

	ex = executor_new(p->m, &params, drv, clock_real(), &sink);
	executor_submit_read(ex, p->device, p->points, p->n);
	pthread_mutex_lock(&p->lock);
	while (p->arrived < p->n)
		pthread_cond_wait(&p->cv, &p->lock);
	pthread_mutex_unlock(&p->lock);
	p->elapsed_ms = clock_mono_ms(clock_real()) - t0;
	executor_free(ex);
	driver_free(drv);
}

/* --- printing --------------------------------------------------------------- */

/* Whole numbers as such, others with six significant digits. */
static void
value_text(double v, char *buf, size_t len)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.6g", v);
}

static void
error_text(const struct collect_error *e, char *buf, size_t len)
{
	if (e->detail != 0)
		snprintf(buf, len, _("%s (code %d, detail %d): %s"),
		    collect_code_name(e->code), (int)e->code, e->detail,
		    e->text);
	else
		snprintf(buf, len, _("%s (code %d): %s"),
		    collect_code_name(e->code), (int)e->code, e->text);
}

static size_t
count_read(const struct poll *p)
{
	size_t ok = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->r[i].ok)
			ok++;
	return ok;
}

static void
print_text(const struct poll *p)
{
	const struct device *dev = &p->m->devices[p->device];
	const struct connector *c = &p->m->connectors[dev->connector];
	const char *head[5] = { _("POINT"), _("VALUE"), _("UNIT"),
	    _("QUALITY"), _("ERROR") };
	/* The error column only when there is an error to show. */
	struct cli_table *t = cli_table_new(count_read(p) < p->n ? 5 : 4,
	    head);
	char err[256];

	if (c->kind == CONNECTOR_TCP)
		printf(_("%s (%s): line %s, tcp %s:%d, unit %d\n"), dev->id,
		    dev->name, c->id, c->host, c->port, dev->unit_id);
	else
		printf(_("%s (%s): line %s, rtu %s %d baud, unit %d\n"),
		    dev->id, dev->name, c->id, c->serial, c->baud,
		    dev->unit_id);
	for (size_t i = 0; i < p->n; i++) {
		const struct point *pt = &p->m->points[p->points[i]];
		const struct point_result *r = &p->r[i];
		char value[64];
		const char *row[5] = { pt->id, value, pt->unit,
		    r->ok ? _("good") : _("bad"), "" };

		if (r->ok)
			value_text(r->value, value, sizeof value);
		else {
			str_copy(value, "-", sizeof value);
			error_text(&r->err, err, sizeof err);
			row[4] = err;
		}
		cli_table_add(t, row);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
	if (p->failed_connects > 0) {
		error_text(&p->connect_err, err, sizeof err);
		printf(_("Failed connects: %d, the last: %s\n"),
		    p->failed_connects, err);
	}
	printf(_("Read %zu of %zu point(s) in %.3f s; nothing was stored.\n"),
	    count_read(p), p->n, (double)p->elapsed_ms / 1000.0);
}

static json_t *
json_error(const struct collect_error *e)
{
	return json_pack("{s:i,s:s,s:i,s:s}", "code", (int)e->code, "name",
	    collect_code_name(e->code), "detail", e->detail, "text", e->text);
}

static void
print_json(const struct poll *p)
{
	const struct device *dev = &p->m->devices[p->device];
	json_t *list = json_array(), *root;
	char when[40], *text;

	for (size_t i = 0; i < p->n; i++) {
		const struct point *pt = &p->m->points[p->points[i]];
		const struct point_result *r = &p->r[i];
		json_t *o = json_pack("{s:s,s:b}", "point", pt->id, "ok", r->ok);

		format_rfc3339_us(r->ts_us, when, sizeof when);
		if (r->ok)
			json_object_set_new(o, "value", json_real(r->value));
		json_object_set_new(o, "unit", json_string(pt->unit));
		json_object_set_new(o, "quality", json_string(r->ok ? "good" :
		    "bad"));
		json_object_set_new(o, "time", json_string(when));
		if (!r->ok)
			json_object_set_new(o, "error", json_error(&r->err));
		json_array_append_new(list, o);
	}
	root = json_pack("{s:s,s:s,s:s,s:i,s:b,s:f,s:I,s:I,s:i,s:o,s:o}",
	    "device", dev->id, "name", dev->name, "line",
	    p->m->connectors[dev->connector].id, "unit_id", dev->unit_id,
	    "stored", 0, "elapsed_s", (double)p->elapsed_ms / 1000.0,
	    "read", (json_int_t)count_read(p), "failed",
	    (json_int_t)(p->n - count_read(p)), "failed_connects",
	    p->failed_connects, "connect_error", p->failed_connects > 0 ?
	    json_error(&p->connect_err) : json_null(), "points", list);
	/* 15 digits: 36.3, not the 36.300000000000004 of raw * 0.1. */
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(15));
	if (text != NULL)
		puts(text);
	free(text);
	json_decref(root);
}

/* --- the command ------------------------------------------------------------ */

static int
poll_device(struct poll *p, const struct options *o)
{
	const char *state_dir = options_state_dir(o);
	char holder[64] = "";
	int rc, fd;

	if ((rc = choose(p, o)) != EXIT_OK)
		return rc;
	if ((rc = hold_engine_lock(state_dir, &fd, holder, sizeof holder)) != 0) {
		if (rc > 0)
			refuse_busy(p, holder, state_dir);
		return rc > 0 ? EXIT_ENGINE_BUSY : EXIT_FAILURE_;
	}
	/* The executor's own events, on stderr only: the log is the engine's. */
	if (o->log_level == LOG_DEBUG)
		log_open(NULL, true, LOG_DEBUG);
	p->r = xcalloc(p->n, sizeof *p->r);
	p->have = xcalloc(p->n, sizeof *p->have);
	run_poll(p);
	log_close();
	if (fd >= 0)
		close(fd);
	if (o->json)
		print_json(p);
	else
		print_text(p);
	return count_read(p) == p->n ? EXIT_OK : EXIT_READ_FAILED;
}

int
cmd_poll(const struct options *o)
{
	struct poll p;
	int rc;

	if (o->argc < 1 || o->argc > 2 || o->argv[0][0] == '\0') {
		fprintf(stderr, _("jope-smb: poll: expected a device and "
		    "optionally one of its points\n"
		    "Usage: jope-smb poll DEVICE [POINT] [--json]\n"));
		return EXIT_USAGE;
	}
	memset(&p, 0, sizeof p);
	if ((p.m = command_load_model(o)) == NULL)
		return EXIT_FAILURE_;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cv, NULL);
	rc = poll_device(&p, o);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.lock);
	free(p.points);
	free(p.r);
	free(p.have);
	model_free(p.m);
	return rc;
}
