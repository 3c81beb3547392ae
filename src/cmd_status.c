/*
 * cmd_status.c: `jope-smb status [--json]`.
 *
 * Reports on the console (or `run`) of a state dir without touching any
 * device: it reads the last state the engine published into the spool and
 * checks the state dir's lock to tell a live engine from a dead one.  Exit
 * status 0 means an engine is running, 3 that none is (the last published
 * state is still shown), 1 that the spool could not be read.  With a device
 * id (`status DEVICE`) it shows only that device, with its read plan: the
 * Modbus requests its points become, including splits learned at run time.
 */
#include "config.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_table.h"
#include "commands.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/util.h"
#include "engine.h"
#include "store/spool.h"

/* True when some process holds the state dir's engine lock. */
static bool
engine_running(const char *state_dir)
{
	char path[4096];
	int fd;
	bool held;

	snprintf(path, sizeof path, "%s/engine.lock", state_dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) != 0;
	close(fd);
	return held;
}

static const char *
str_or(json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : dflt;
}

static const char *
link_text(const char *name, bool historian)
{
	if (strcmp(name, "not_configured") == 0)
		return historian ? _("local store only") : _("not configured");
	if (strcmp(name, "up") == 0)
		return _("up");
	if (strcmp(name, "degraded") == 0)
		return _("degraded");
	if (strcmp(name, "down") == 0)
		return _("down");
	return _("unknown");
}

static const char *
device_state_text(const char *name)
{
	if (strcmp(name, "waiting") == 0)
		return _("Waiting");
	if (strcmp(name, "connecting") == 0)
		return _("Connecting");
	if (strcmp(name, "connected") == 0)
		return _("Connected");
	if (strcmp(name, "hard_error") == 0)
		return _("HardError");
	return _("Idle");
}

static long long
int_of(json_t *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}

static void
print_spool(json_t *spool, double free_gib, bool disk_low)
{
	printf(_("Backlog:    %lld sample(s), %lld error record(s), %lld "
	    "spectra\n"), int_of(spool, "samples"), int_of(spool, "errors"),
	    int_of(spool, "spectra"));
	if (*str_or(spool, "oldest", "") != '\0')
		printf(_("Oldest:     %s\n"), str_or(spool, "oldest", ""));
	printf(_("Disk free:  %.1f GiB%s\n"), free_gib, disk_low ?
	    _(" (LOW: below storage.min_free_mb)") : "");
	if (int_of(spool, "purged_rows") > 0)
		printf(_("Purged:     %lld record(s) never uploaded, older than "
		    "the retention (last %s)\n"), int_of(spool, "purged_rows"),
		    str_or(spool, "last_purge", "?"));
	if (int_of(spool, "dropped_rows") > 0)
		printf(_("Spool full: %lld oldest record(s) dropped to keep the "
		    "newest (last %s)\n"), int_of(spool, "dropped_rows"),
		    str_or(spool, "last_full", "?"));
}

static void
print_historian(json_t *h)
{
	const char *state = str_or(h, "state", "unknown");

	printf(_("Historian:  %s"), link_text(state, true));
	if (*str_or(h, "server", "") != '\0')
		printf(" (%s)", str_or(h, "server", ""));
	putchar('\n');
	if (strcmp(state, "not_configured") == 0)
		return;
	if (*str_or(h, "last_error", "") != '\0')
		printf(_("  last error: %s (%s)\n"), str_or(h, "last_error", ""),
		    str_or(h, "last_error_at", "?"));
	if (*str_or(h, "next_retry", "") != '\0' && strcmp(state, "down") == 0)
		printf(_("  next try:   %s\n"), str_or(h, "next_retry", ""));
	printf(_("  uploaded:   %lld row(s) in %lld upload(s) since start, "
	    "%.0f rows/s"), int_of(h, "uploaded_rows"), int_of(h, "uploads"),
	    json_real_value(json_object_get(h, "rows_per_s")));
	if (int_of(h, "recovered_rows") > 0)
		printf(_(", %lld found already committed"),
		    int_of(h, "recovered_rows"));
	putchar('\n');
	if (int_of(h, "drain_total") > 0)
		printf(_("  draining:   %lld of %lld row(s) (%lld%%)\n"),
		    int_of(h, "drain_done"), int_of(h, "drain_total"),
		    100 * int_of(h, "drain_done") / int_of(h, "drain_total"));
	printf(_("  schema:     version %lld (this console needs %lld)\n"),
	    int_of(h, "schema_version"), int_of(h, "schema_wanted"));
}

static double
real_of(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void
print_inference(json_t *in)
{
	const char *state = str_or(in, "state", "unknown");
	json_t *lat = json_object_get(in, "latency_ms");

	printf(_("Inference:  %s"), link_text(state, false));
	if (*str_or(in, "endpoint", "") != '\0')
		printf(" (%s)", str_or(in, "endpoint", ""));
	putchar('\n');
	if (strcmp(state, "not_configured") == 0)
		return;
	printf(_("  model:      %s %s, server %s, last heartbeat %s\n"),
	    str_or(in, "model", "?"), str_or(in, "model_version", ""),
	    *str_or(in, "server", "") ? str_or(in, "server", "") : "-",
	    str_or(in, "last_heartbeat", _("never")));
	printf(_("  latency:    p50 %.2f ms, p95 %.2f ms, p99 %.2f ms over "
	    "%lld predict(s) (target p95 %.1f ms)\n"), real_of(lat, "p50"),
	    real_of(lat, "p95"), real_of(lat, "p99"), int_of(lat, "n"),
	    real_of(lat, "target_p95"));
	printf(_("  requests:   %lld, predictions %lld, timeouts %lld, "
	    "rejected %lld, server errors %lld, socket rebuilt %lld time(s)"
	    "\n"), int_of(in, "requests"), int_of(in, "predictions"),
	    int_of(in, "timeouts"), int_of(in, "rejected"),
	    int_of(in, "server_errors"), int_of(in, "rebuilds"));
	if (int_of(in, "queue_dropped") > 0)
		printf(_("  not predicted: %lld spectrum(s), the queue was "
		    "full\n"), int_of(in, "queue_dropped"));
	if (*str_or(in, "last_error", "") != '\0')
		printf(_("  last error: %s (%s)\n"), str_or(in, "last_error", ""),
		    str_or(in, "last_error_at", "?"));
}

/* The batch in progress, or none. */
static void
print_batch(json_t *b)
{
	json_t *cur = json_object_get(b, "current");
	json_t *p = json_object_get(cur, "progress");

	if (!json_is_object(cur)) {
		printf(_("Batch:      none running (next id %s)\n"),
		    str_or(b, "next_id", "?"));
	} else {
		/* TRANSLATORS: batch id, recipe, state, percent, run, samples. */
		printf(_("Batch:      %s (%s) %s, %.0f%% of the expected time, "
		    "run %lld, %lld sample(s)\n"), str_or(cur, "id", "?"),
		    str_or(cur, "recipe", "?"), str_or(cur, "state", "?"),
		    100.0 * json_number_value(json_object_get(p, "fraction")),
		    int_of(p, "run"), int_of(cur, "samples"));
	}
	if (*str_or(b, "start_refused", "") != '\0')
		printf("            %s\n", str_or(b, "start_refused", ""));
}

/* The maintenance banner's window, when there is one. */
static void
print_maintenance(json_t *m)
{
	json_t *w = json_object_get(m, "window");

	if (!json_is_object(m))
		return;
	/* TRANSLATORS: "announced" or "active", start, end, reason. */
	printf(_("Maintenance: %s, %s to %s: %s\n"), str_or(m, "phase", "?"),
	    str_or(w, "start", "?"), str_or(w, "end", "?"),
	    str_or(w, "reason", ""));
}

static void
print_text(json_t *st, bool running, double age_s, long pid,
    const char *only)
{
	json_t *spool = json_object_get(st, "spool");
	json_t *devices = json_object_get(st, "devices");
	json_t *d;
	size_t i;
	double free_gib = (double)json_integer_value(json_object_get(st,
	    "disk_free_bytes")) / (1024.0 * 1024 * 1024);

	printf("%s — %s\n", str_or(st, "site", "?"),
	    str_or(st, "console_id", "?"));
	if (running)
		printf(_("Engine:     running (%s, pid %ld), state published "
		    "%.1f s ago\n"), str_or(st, "mode", "?"), pid, age_s);
	else
		printf(_("Engine:     not running; last state published %.0f s "
		    "ago by pid %ld\n"), age_s, pid);
	printf(_("Spool:      %s\n"), str_or(st, "spool_path", "?"));
	print_spool(spool, free_gib, json_is_true(json_object_get(st,
	    "disk_low")));
	print_historian(json_object_get(st, "historian"));
	print_inference(json_object_get(st, "inference"));
	printf(_("Collected:  %lld sample(s), %lld error(s) since start\n"),
	    (long long)json_integer_value(json_object_get(st,
	    "samples_total")),
	    (long long)json_integer_value(json_object_get(st,
	    "errors_total")));
	json_t *sched = json_object_get(st, "scheduler");
	printf(_("Scheduler:  %lld tick(s), %lld coalesced, %lld missed\n"),
	    (long long)json_integer_value(json_object_get(sched, "ticks")),
	    (long long)json_integer_value(json_object_get(sched, "coalesced")),
	    (long long)json_integer_value(json_object_get(sched, "missed")));
	if (*str_or(st, "config_status", "") != '\0')
		printf(_("Config:     %s\n"), str_or(st, "config_status", ""));
	print_batch(json_object_get(st, "batch"));
	print_maintenance(json_object_get(st, "maintenance"));
	const char *head[6] = { _("DEVICE"), _("LINE"), _("STATE"), _("POLLS"),
	    _("ERRORS"), _("LAST ERROR") };
	struct cli_table *table = cli_table_new(6, head);
	const char *plan = NULL;

	json_array_foreach(devices, i, d) {
		char polls[24], errors[24];
		const char *row[6] = { str_or(d, "id", "?"),
		    str_or(d, "connector", "?"),
		    device_state_text(str_or(d, "state", "idle")), polls, errors,
		    str_or(d, "last_error", "") };

		if (only != NULL && strcmp(only, str_or(d, "id", "")) != 0)
			continue;
		snprintf(polls, sizeof polls, "%lld", int_of(d, "polls"));
		snprintf(errors, sizeof errors, "%lld", int_of(d, "errors"));
		cli_table_add(table, row);
		if (only != NULL)
			plan = str_or(d, "plan", "");
	}
	putchar('\n');
	cli_table_print(table, stdout);
	cli_table_free(table);
	if (plan != NULL)
		printf(_("\nRequests (read plan):\n%s"), plan);
}

int
cmd_status(const struct options *o)
{
	const char *state_dir = options_state_dir(o);
	struct config_errors errs = { 0 };
	struct model *m = NULL;
	struct spool *sp;
	char *path, *json = NULL, err[512];
	int64_t ts_us;
	long pid;
	bool running;
	struct stat sb;
	int rc;

	/* The spool's place comes from app.json; fall back to the default. */
	if (config_load(options_config_dir(o), &m, &errs) == 0) {
		path = engine_spool_path_for(&m->app, state_dir);
	} else {
		struct app_config dflt = { 0 };
		path = engine_spool_path_for(&dflt, state_dir);
	}
	config_errors_free(&errs);
	model_free(m);

	running = engine_running(state_dir);
	if (stat(path, &sb) != 0) {
		fprintf(stderr, _("jope-smb: no spool at %s: no console has run "
		    "on state dir %s\n"), path, state_dir);
		free(path);
		return EXIT_NOT_RUNNING;
	}
	if (spool_open(path, &sp, err, sizeof err) != 0) {
		fprintf(stderr, "jope-smb: %s\n", err);
		free(path);
		return EXIT_FAILURE_;
	}
	rc = spool_get_state(sp, &ts_us, &pid, &json);
	spool_close(sp);
	if (rc != 0) {
		if (rc > 0)
			fprintf(stderr, _("jope-smb: the spool %s holds no "
			    "published state yet\n"), path);
		else
			fprintf(stderr, _("jope-smb: cannot read the state from "
			    "%s\n"), path);
		free(path);
		return rc > 0 ? EXIT_NOT_RUNNING : EXIT_FAILURE_;
	}
	free(path);

	json_t *st = json_loads(json, 0, NULL);
	free(json);
	if (st == NULL) {
		fprintf(stderr, _("jope-smb: the published state is not valid "
		    "JSON\n"));
		return EXIT_FAILURE_;
	}
	double age_s = (double)(clock_real_us(clock_real()) - ts_us) / 1e6;
	if (o->json) {
		json_object_set_new(st, "running", json_boolean(running));
		json_object_set_new(st, "pid", json_integer(pid));
		json_object_set_new(st, "published_age_s", json_real(age_s));
		json_dumpf(st, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_text(st, running, age_s, pid, o->argc > 0 ? o->argv[0] :
		    NULL);
	}
	json_decref(st);
	return running ? EXIT_OK : EXIT_NOT_RUNNING;
}
