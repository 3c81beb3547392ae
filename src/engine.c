/*
 * engine.c: wires config, executor, scheduler, spool, log and state together.
 *
 * Data path of one read: executor worker -> engine_results -> spool_put
 * (durable) -> state_record_poll (visible).  The order is the point: a
 * value is on disk before the UI or anything else sees it, so a crash can
 * lose nothing that was ever shown or acknowledged.
 *
 * A housekeeping thread runs once a second (or at once when the UI queues a
 * command): it carries out commands, publishes spool backlog and free disk
 * into the state, and writes the state as JSON into the spool so that
 * `jope-smb status` can read it from another process.
 *
 * Change control (doc/change-control.md): the engine runs only applied
 * configuration versions (STATE_DIR/config-versions, compliance/
 * config_store.h), never the config dir itself.  The first start makes the
 * config dir version 1 (audited as config_initial); afterwards the
 * housekeeper notices CURRENT being replaced by `jope-smb config apply`
 * and reloads within a second, and R / SIGHUP re-read it at once.  An
 * edited but unapplied config dir is only reported (config_unapplied),
 * and compared with the version in use every few seconds for the
 * console, whose R applies it with its signatures (engine_sign.h).
 *
 * One engine per state dir: a lock file (flock) held for the engine's life
 * refuses a second console or run on the same spool, naming the holder.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "collect/driver.h"
#include "collect/executor.h"
#include "collect/scheduler.h"
#include "compliance/audit_log.h"
#include "compliance/config_change.h"
#include "compliance/config_store.h"
#include "compliance/console_key.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/util.h"
#include "engine.h"
#include "engine_audit.h"
#include "engine_batch.h"
#include "engine_sign.h"
#include "historian/uploader.h"
#include "inference/client.h"
#include "plant/alarm_board.h"
#include "store/spool.h"

#define HOUSEKEEPING_MS 1000
#define RETENTION_EVERY_MS (INT64_C(86400) * 1000)
/* The historian's backlog alarm: the oldest waiting record this old. */
#define BACKLOG_ALARM_US (INT64_C(900) * 1000000)

struct engine {
	const struct model *m;
	char *config_dir;
	void (*adjust_model)(void *ctx, struct model *m);
	void *adjust_ctx;
	struct model **loaded;          /* models of reloads, freed at stop */
	unsigned generation;            /* reloads applied; = snapshot's */
	unsigned plans_published;       /* executor_plan_generation shown */
	size_t nloaded;
	char *state_dir;
	char *spool_path;
	const char *mode;
	int lock_fd;
	struct spool *spool;
	struct uploader *uploader;      /* NULL: no historian configured */
	struct alarm_board *alarms;     /* of e->m; replaced with it */
	struct maint_set maint;         /* app.json's windows and the
	                                   spool's (announced here or
	                                   received from the historian) */
	struct engine_batch *batch;     /* the batch in progress, if any */
	struct infer_client *infer;     /* NULL: no inference configured.
	                                   Replaced only while collection is
	                                   stopped (executor_stop waits for
	                                   every sink call): executor threads
	                                   read it without a lock */
	struct console_key *key;        /* seals the audit trail */
	struct audit_watch *audit;      /* checks it, publishes it (UI) */
	struct config_store *store;     /* the applied versions */
	int version;                    /* the version running */
	struct config_store_stamp stamp; /* of CURRENT, to notice a change */
	struct engine_review review;    /* the config dir against it, for
	                                   the console (engine_sign.h) */
	int64_t next_retention_ms;      /* monotonic */
	bool disk_low;
	int64_t full_events_seen;
	struct state *state;
	struct cmdq *cmdq;
	struct driver *drv;
	struct executor *ex;
	struct scheduler *sched;
	pthread_t housekeeper;
	bool stopping;
	pthread_mutex_t lock;
};

char *
engine_spool_path_for(const struct app_config *app, const char *state_dir)
{
	const char *p = app->storage_path[0] ? app->storage_path : "spool.db";
	size_t n;
	char *out;

	if (p[0] == '/')
		return xstrdup(p);
	n = strlen(state_dir) + strlen(p) + 2;
	out = xmalloc(n);
	snprintf(out, n, "%s/%s", state_dir, p);
	return out;
}

/*
 * The alarms' changes into the audit trail (a regulated record, uploaded
 * exactly once like every audit event) and the log: from the housekeeper
 * only, so the trail's chain is appended from one thread.
 */
static void
record_alarms(struct engine *e)
{
	struct alarm_change_rec ch[64];
	uint64_t lost = 0, lost_now;
	char err[256];
	size_t n, done;

	do {
		n = alarm_board_peek_changes(e->alarms, ch, 64, &lost_now);
		lost += lost_now;
		for (done = 0; done < n; done++) {
			size_t i = done;
			const struct alarm_change_rec *c = &ch[i];
			char kind[32];
			json_t *p = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i}",
			    "alarm", c->key, "source", c->source,
			    "level", alarm_level_name(c->level),
			    "from", alarm_state_name(c->from),
			    "to", alarm_state_name(c->to),
			    "priority", c->priority);

			if (c->has_value) {
				json_object_set_new(p, "value",
				    json_real(c->value));
				json_object_set_new(p, "limit",
				    json_real(c->limit));
			}
			if (c->user[0] != '\0')
				json_object_set_new(p, "by",
				    json_string(c->user));
			snprintf(kind, sizeof kind, "alarm_%s", c->what);
			/* The event's own time; an ack's actor is the signer.
			 * Not appended: it stays queued for the next round. */
			if (audit_log_append(e->spool, e->key, kind, c->user, p,
			    c->ts_us, err, sizeof err) < 0) {
				log_event(LOG_ERROR, "audit_append_failed",
				    "{s:s,s:s}", "kind", kind, "error", err);
				break;
			}
			log_event(strcmp(c->what, "activated") == 0 ?
			    LOG_WARN : LOG_INFO, kind, "{s:s,s:s}", "alarm",
			    c->key, "state", alarm_state_name(c->to));
			if (strcmp(c->what, "activated") == 0)
				engine_batch_count_alarms(e->batch, 1);
		}
		alarm_board_drop_changes(e->alarms, done);
	} while (n == 64 && done == n);
	if (lost > 0)
		log_event(LOG_ERROR, "alarm_records_lost", "{s:I}", "changes",
		    (json_int_t)lost);
}

/* System alarms from the figures just published; record; publish
 * (true when a new list was published). */
static bool
check_alarms(struct engine *e, const struct snapshot *snap,
    const struct spool_counts *counts)
{
	struct alarm_change_rec ch[1];
	int64_t now_ms = clock_mono_ms(clock_real());
	int64_t now_us = clock_real_us(clock_real());

	alarm_board_feed_system(e->alarms, SYSALARM_HISTORIAN_BACKLOG,
	    e->m->app.historian_conninfo[0] != '\0' && counts->oldest_us > 0 &&
	    now_us - counts->oldest_us > BACKLOG_ALARM_US, now_ms, now_us, ch);
	alarm_board_feed_system(e->alarms, SYSALARM_INFERENCE_DOWN,
	    snap->inference == LINK_DOWN, now_ms, now_us, ch);
	alarm_board_feed_system(e->alarms, SYSALARM_DISK_LOW, e->disk_low,
	    now_ms, now_us, ch);
	record_alarms(e);
	if (!alarm_board_dirty(e->alarms))
		return false;
	state_set_alarms(e->state, alarm_board_publish(e->alarms));
	return true;
}

/* A failure that means the device did not answer (not a Modbus
 * exception or a bad value, which it answered; not a cancellation). */
static bool
is_comm_failure(enum collect_code c)
{
	return c == COLLECT_CONNECT_REFUSED || c == COLLECT_TIMEOUT ||
	    c == COLLECT_CRC || c == COLLECT_MALFORMED || c == COLLECT_IO;
}

/*
 * Stored results to the alarms: each good value against its point's
 * limits; the device's communication alarm is active while a poll reads
 * none of its points because the device does not answer, and clears with
 * the first value read.  Cancelled tasks (a reload, a stop) say nothing
 * about the device.  The changes are recorded by the housekeeper
 * (record_alarms), not here on an executor thread.
 */
static void
feed_alarms(struct engine *e, size_t device, const struct point_result *r,
    size_t n)
{
	struct alarm_change_rec ch[ALARM_CHANGES_MAX];
	int64_t now_ms = clock_mono_ms(clock_real());
	int64_t now_us = clock_real_us(clock_real());
	size_t good = 0, silent = 0;

	for (size_t i = 0; i < n; i++) {
		if (r[i].ok) {
			good++;
			alarm_board_feed_point(e->alarms, r[i].point,
			    r[i].value, true, now_ms, now_us, ch);
		} else if (is_comm_failure(r[i].err.code)) {
			silent++;
		}
	}
	if (good > 0 || silent > 0)
		alarm_board_feed_device(e->alarms, device, ALARM_COMM,
		    good == 0, now_ms, now_us, ch);
}

/* Executor sink: make results durable, then visible. */
static void
engine_results(void *ctx, size_t device, const struct point_result *r,
    size_t n)
{
	struct engine *e = ctx;
	const struct model *m = e->m;
	struct spool_sample *samples = xcalloc(n, sizeof *samples);
	struct spool_error *errors = xcalloc(n, sizeof *errors);
	size_t ns = 0, ne = 0;
	char batch_id[BATCH_ID_MAX];
	bool tagged = engine_batch_tag(e->batch, batch_id);

	for (size_t i = 0; i < n; i++) {
		const struct point *p = &m->points[r[i].point];

		if (r[i].ok) {
			samples[ns++] = (struct spool_sample){
			    .point_id = p->id, .value = r[i].value,
			    .quality = QUALITY_GOOD, .ts_us = r[i].ts_us,
			    .batch_id = tagged ? batch_id : NULL };
		} else {
			errors[ne++] = (struct spool_error){
			    .device_id = m->devices[device].id,
			    .point_id = p->id, .code = (int)r[i].err.code,
			    .detail = r[i].err.detail,
			    .description = r[i].err.text,
			    .ts_us = r[i].ts_us };
		}
	}
	if (spool_put_retry(e->spool, samples, ns, errors, ne) != 0) {
		/*
		 * Not on disk, so not shown either: the operator sees why
		 * instead of a value that a crash would lose.
		 */
		struct point_result *lost = xcalloc(n, sizeof *lost);

		log_event(LOG_ERROR, "spool_write_failed", "{s:s,s:I,s:I,s:s}",
		    "device", m->devices[device].id, "samples", (json_int_t)ns,
		    "errors", (json_int_t)ne, "error",
		    spool_last_error(e->spool));
		for (size_t i = 0; i < n; i++) {
			lost[i] = r[i];
			lost[i].ok = false;
			lost[i].err.code = COLLECT_IO;
			snprintf(lost[i].err.text, sizeof lost[i].err.text,
			    "not stored: %s", spool_last_error(e->spool));
		}
		state_record_poll(e->state, device, lost, n);
		free(lost);
	} else {
		state_record_poll(e->state, device, r, n);
		feed_alarms(e, device, r, n);
		if (tagged)
			engine_batch_count(e->batch, ns, ne);
	}
	free(samples);
	free(errors);
}

/* Executor sink: device state; a failed connect is an error record too. */
static void
engine_device_state(void *ctx, size_t device, enum device_conn_state s,
    const struct collect_error *err)
{
	struct engine *e = ctx;

	if (err != NULL) {
		struct spool_error rec = {
		    .device_id = e->m->devices[device].id,
		    .code = (int)err->code, .detail = err->detail,
		    .description = err->text,
		    .ts_us = clock_real_us(clock_real()) };

		if (spool_put(e->spool, NULL, 0, &rec, 1) != 0)
			log_event(LOG_ERROR, "spool_write_failed",
			    "{s:s,s:s}", "device", rec.device_id, "error",
			    spool_last_error(e->spool));
	}
	state_set_device_conn(e->state, device, s, err);
	{
		struct alarm_change_rec ch[2];
		int64_t now_ms = clock_mono_ms(clock_real());
		int64_t now_us = clock_real_us(clock_real());

		if (err != NULL)
			alarm_board_feed_device(e->alarms, device, ALARM_COMM,
			    true, now_ms, now_us, ch);
		alarm_board_feed_device(e->alarms, device, ALARM_HARD_ERROR,
		    s == DEVICE_HARD_ERROR, now_ms, now_us, ch);
	}
}

static void engine_spectrum(void *ctx, size_t device, size_t spectrum,
    const double *pixels, size_t n, int64_t ts_us,
    const struct collect_error *err);
static void engine_command_done(void *ctx, size_t device,
    enum task_kind kind, size_t index, bool ok, const char *text);

/*
 * Start executor and scheduler on e->m.  After a reload, prev and old are
 * the previous model and its stopped executor: what the rules remember
 * (each line's guard interval, each device's failed connects and
 * HardError) is handed over by id before the first tick, so a reload never
 * shortens a guard or lifts a HardError.
 */
static void
start_collection(struct engine *e, const struct model *prev,
    struct executor *old)
{
	const struct executor_defaults *d = &e->m->app.executor;
	struct executor_params params = { d->keep_alive_ms, d->guard_ms,
	    d->retries, d->hard_error_ms, d->threads, 0 };
	struct executor_sink sink = { .ctx = e, .results = engine_results,
	    .device_state = engine_device_state, .spectrum = engine_spectrum,
	    .command_done = engine_command_done };
	const struct model *m = e->m;

	e->ex = executor_new(m, &params, e->drv, clock_real(), &sink);
	for (size_t i = 0; old != NULL && i < m->nconnectors; i++) {
		long j = model_find_connector(prev, m->connectors[i].id);

		if (j >= 0)
			executor_set_guard_until(e->ex, i,
			    executor_guard_until(old, (size_t)j));
	}
	for (size_t i = 0; old != NULL && i < m->ndevices; i++) {
		long j = model_find_device(prev, m->devices[i].id);
		struct device_memory mem;

		if (j < 0)
			continue;
		executor_device_memory(old, (size_t)j, &mem);
		executor_set_device_memory(e->ex, i, &mem);
	}
	e->sched = scheduler_start(m, e->ex, clock_real());
}

static void
stop_collection(struct engine *e, struct scheduler_stats *st)
{
	scheduler_get_stats(e->sched, st);
	scheduler_stop(e->sched);
	executor_stop(e->ex);
	e->sched = NULL;
}

static void
reject_reload(struct engine *e, struct config_errors *errs, const char *why)
{
	char msg[256];

	for (size_t i = 0; i < errs->n; i++) {
		const struct config_error *ce = &errs->v[i];

		log_event(LOG_WARN, "config_error", "{s:s,s:i,s:i,s:s,s:s}",
		    "file", ce->file, "line", ce->line, "column", ce->column,
		    "path", ce->path, "message", ce->message);
	}
	log_event(LOG_WARN, "config_rejected", "{s:I,s:s}",
	    "errors", (json_int_t)errs->n, "reason", why);
	if (errs->n > 0)
		snprintf(msg, sizeof msg, _("Configuration rejected: %zu "
		    "error(s), the running one stays (see the log)"), errs->n);
	else
		snprintf(msg, sizeof msg, _("Configuration rejected: %s"), why);
	state_set_config_status(e->state, false, msg);
}

/*
 * The config dir is only where people edit (change control, doc/
 * change-control.md): when it holds something else than the version
 * running, say so in the log and the status, and never use it.  status is
 * what to say otherwise (NULL: leave the status as it is); applied bumps
 * the configuration generation (a model was swapped in).
 */
static void
note_config_dir(struct engine *e, const char *status, bool applied)
{
	char msg[256], err[256];

	if (config_dir_differs(e->store, e->version, e->config_dir, err,
	    sizeof err) == 1) {
		snprintf(msg, sizeof msg, "configuration in %s differs from "
		    "the applied version %d: run 'jope-smb config apply'",
		    e->config_dir, e->version);
		log_event(LOG_WARN, "config_unapplied", "{s:s,s:i,s:s}", "dir",
		    e->config_dir, "version", e->version, "message", msg);
		/* Short: it shares the console's bottom line with the keys. */
		snprintf(msg, sizeof msg, _("The config dir differs from the "
		    "applied version %d: run 'jope-smb config apply'"),
		    e->version);
		state_set_config_status(e->state, applied, msg);
	} else if (status != NULL || applied) {
		state_set_config_status(e->state, applied,
		    status != NULL ? status : "");
	}
}

/*
 * Take the applied version named by STATE_DIR/config-versions/CURRENT into
 * use (R, SIGHUP, or the housekeeper seeing CURRENT replaced by `config
 * apply`), never the config dir itself.  The same version again changes
 * nothing.  A new one is checked against its manifest and validated whole;
 * if it is good, it is swapped in between ticks: the scheduler stops,
 * running tasks finish, queued ones are cancelled (each recorded), and the
 * new executor inherits every line's guard interval and every device's
 * HardError (rules 5 and 7 hold across it).
 */
/* One window of the spool into e->maint (spool_maint_each). */
static int
add_spool_window(void *ctx, const char *text)
{
	struct engine *e = ctx;
	struct maint_window w;
	json_t *j = json_loads(text, 0, NULL);
	char err[256] = "not JSON";

	if (j == NULL || maint_window_from_json(j, &w, err, sizeof err) != 0 ||
	    maint_set_add(&e->maint, &w, err, sizeof err) < 0)
		log_event(LOG_DEBUG, "maintenance_window_skipped", "{s:s}",
		    "error", err);
	json_decref(j);
	return 0;
}

/*
 * The windows: app.json's (checked by the config loader already) and the
 * spool's, announced here or received from the historian by the
 * uploader, read afresh every round (at most MAINT_SET_CAP small rows).
 */
static void
load_maintenance(struct engine *e, const struct model *m)
{
	char err[256];

	maint_set_init(&e->maint);
	for (size_t i = 0; i < m->nmaintenance; i++)
		if (maint_set_add(&e->maint, &m->maintenance[i], err,
		    sizeof err) < 0)
			log_event(LOG_ERROR, "maintenance_window_refused",
			    "{s:s,s:s}", "id", m->maintenance[i].id, "error",
			    err);
	if (spool_maint_each(e->spool, add_spool_window, e) != 0)
		log_event(LOG_ERROR, "maintenance_windows_unreadable", "{s:s}",
		    "error", spool_last_error(e->spool));
}

/* The maintenance banner as of now (state_set_maint ignores no change). */
static void
publish_maint(struct engine *e)
{
	struct maint_banner b;

	load_maintenance(e, e->m);
	maint_banner(&e->maint, clock_real_us(clock_real()), &b);
	state_set_maint(e->state, &b);
}

/* The inference client for app, NULL when none is configured or it fails. */
static struct infer_client *
start_inference(struct engine *e, const struct app_config *app)
{
	struct infer_status st = { 0 };
	struct infer_client *c;
	char err[256];

	/* Fresh figures: none of a previous client's may linger. */
	str_copy(st.endpoint, app->inference_endpoint, sizeof st.endpoint);
	str_copy(st.model, app->inference.model, sizeof st.model);
	if (app->inference_endpoint[0] == '\0') {
		state_set_inference(e->state, LINK_NOT_CONFIGURED, &st, NULL);
		return NULL;
	}
	c = infer_client_start(app, e->spool, e->state, err, sizeof err);
	if (c == NULL) {
		log_event(LOG_ERROR, "inference_start_failed", "{s:s}",
		    "error", err);
		str_copy(st.last_error, err, sizeof st.last_error);
		st.last_error_us = clock_real_us(clock_real());
		state_set_inference(e->state, LINK_DOWN, &st, NULL);
	}
	return c;
}

static bool
inference_changed(const struct app_config *a, const struct app_config *b)
{
	const struct inference_config *x = &a->inference, *y = &b->inference;

	return strcmp(a->inference_endpoint, b->inference_endpoint) != 0 ||
	    strcmp(a->console_id, b->console_id) != 0 ||
	    strcmp(x->model, y->model) != 0 ||
	    x->timeout_ms != y->timeout_ms ||
	    x->heartbeat_ms != y->heartbeat_ms ||
	    x->target_p95_ms != y->target_p95_ms ||
	    x->latency_window != y->latency_window ||
	    x->queue_max != y->queue_max;
}

static void
reload_config(struct engine *e)
{
	struct config_errors errs = { 0 };
	struct scheduler_stats st;
	struct model *m = NULL;
	struct executor *old;
	char *spool, msg[256], err[512] = "";
	int v = 0;

	config_store_stamp(e->store, &e->stamp);
	if (config_store_current(e->store, &v, err, sizeof err) != 0 ||
	    v == 0) {
		reject_reload(e, &errs, v == 0 && err[0] == '\0' ?
		    _("no applied configuration version") : err);
		return;
	}
	if (v == e->version) {
		log_event(LOG_INFO, "config_unchanged", "{s:i}", "version", v);
		snprintf(msg, sizeof msg, _("Configuration version %d is in "
		    "use; nothing new applied"), v);
		note_config_dir(e, msg, false);
		return;
	}
	log_event(LOG_INFO, "config_reload", "{s:s,s:i}", "dir",
	    config_store_path(e->store), "version", v);
	if (config_version_load(e->store, v, &m, &errs, err,
	    sizeof err) != 0) {
		reject_reload(e, &errs, err);
		config_errors_free(&errs);
		return;
	}
	config_errors_free(&errs);
	if (e->adjust_model != NULL)
		e->adjust_model(e->adjust_ctx, m);
	spool = engine_spool_path_for(&m->app, e->state_dir);
	if (strcmp(spool, e->spool_path) != 0) {
		free(spool);
		model_free(m);
		reject_reload(e, &errs, _("storage.spool cannot change while "
		    "the engine runs; restart to move the spool"));
		return;
	}
	free(spool);

	stop_collection(e, &st);
	/* The alarms go on with the new limits (alarm_board_new). */
	record_alarms(e);
	{
		struct alarm_board *next = alarm_board_new(m, e->alarms);

		alarm_board_free(e->alarms);
		e->alarms = next;
	}
	state_set_alarms(e->state, alarm_board_publish(e->alarms));
	load_maintenance(e, m);
	if (inference_changed(&e->m->app, &m->app)) {
		/* No spectrum can arrive while collection is stopped. */
		infer_client_stop(e->infer);
		e->infer = start_inference(e, &m->app);
	}
	old = e->ex;
	e->loaded = xrealloc(e->loaded, (e->nloaded + 1) * sizeof *e->loaded);
	e->loaded[e->nloaded++] = m;
	const struct model *prev = e->m;
	e->m = m;
	state_swap_model(e->state, m);
	e->generation++;
	e->plans_published = 0;         /* the new executor's plans */
	start_collection(e, prev, old);
	executor_free(old);
	log_event(LOG_INFO, "config_applied", "{s:i,s:i,s:I,s:I,s:I}",
	    "version", v, "previous", e->version,
	    "devices", (json_int_t)m->ndevices,
	    "points", (json_int_t)m->npoints,
	    "ticks_before", (json_int_t)st.ticks);
	e->version = v;
	snprintf(msg, sizeof msg, _("Configuration version %d in use: %zu "
	    "device(s), %zu point(s)"), v, m->ndevices, m->npoints);
	note_config_dir(e, msg, true);
}

/* Executor sink: a spectrum is durable before anything else sees it. */
static void
engine_spectrum(void *ctx, size_t device, size_t spectrum,
    const double *pixels, size_t n, int64_t ts_us,
    const struct collect_error *err)
{
	struct engine *e = ctx;
	const struct spectrum *sp = &e->m->spectra[spectrum];
	char batch_id[BATCH_ID_MAX];
	const char *tag = engine_batch_tag(e->batch, batch_id) ? batch_id :
	    NULL;

	if (err == NULL && spool_put_spectrum(e->spool, sp->id, ts_us, pixels,
	    n, tag) == 0) {
		/* Durable first; the predicts follow (never blocks). */
		infer_client_submit(e->infer, sp->id, ts_us, pixels, n, tag);
		return;
	}
	struct spool_error rec = {
	    .device_id = e->m->devices[device].id, .point_id = sp->id,
	    .code = err ? (int)err->code : COLLECT_IO,
	    .detail = err ? err->detail : 0,
	    .description = err ? err->text : spool_last_error(e->spool),
	    .ts_us = ts_us };
	if (err == NULL)
		log_event(LOG_ERROR, "spool_write_failed", "{s:s,s:s}",
		    "spectrum", sp->id, "error", spool_last_error(e->spool));
	if (spool_put_retry(e->spool, NULL, 0, &rec, 1) != 0)
		log_event(LOG_ERROR, "spool_write_failed", "{s:s,s:s}",
		    "spectrum", sp->id, "error", spool_last_error(e->spool));
}

/* Executor sink: an immediate command's outcome, for the operator. */
static void
engine_command_done(void *ctx, size_t device, enum task_kind kind,
    size_t index, bool ok, const char *text)
{
	struct engine *e = ctx;

	(void)index;
	if (!ok) {
		struct spool_error rec = {
		    .device_id = e->m->devices[device].id,
		    .point_id = kind == TASK_WRITE_POINT ?
		    e->m->points[index].id : NULL,
		    .code = COLLECT_IO, .description = text,
		    .ts_us = clock_real_us(clock_real()) };

		if (spool_put_retry(e->spool, NULL, 0, &rec, 1) != 0)
			log_event(LOG_ERROR, "spool_write_failed", "{s:s}",
			    "error", spool_last_error(e->spool));
	}
	state_set_command_result(e->state, ok, text);
}

/* A signed acknowledgement: its signatures are recorded already. */
static void
ack_alarms(struct engine *e, const struct command *c)
{
	char text[192];
	size_t n = 0;
	bool more;

	/* As many rounds as the change queue needs, each recorded. */
	do {
		n += alarm_board_ack(e->alarms, c->object, c->review,
		    c->signer[0].user, c->alarms_seen,
		    clock_mono_ms(clock_real()), clock_real_us(clock_real()),
		    &more);
		record_alarms(e);
	} while (more);
	state_set_alarms(e->state, alarm_board_publish(e->alarms));
	if (n == 0) {
		state_set_command_result(e->state, false, _("Nothing to "
		    "acknowledge: the alarm is acknowledged already or gone"));
		return;
	}
	snprintf(text, sizeof text, ngettext("%zu alarm acknowledged by %s",
	    "%zu alarms acknowledged by %s", (unsigned long)n), n,
	    c->signer[0].user);
	state_set_command_result(e->state, true, text);
}

/*
 * A batch command or a window, before its signatures: refused (the
 * passwords wiped, the dialog answered) when it could not be carried out.
 */
static bool
precheck_signed(struct engine *e, const struct command *c)
{
	char why[256];
	bool ok;

	if (c->kind == CMD_BATCH) {
		ok = c->config_gen == e->generation &&
		    engine_batch_check(e->batch, e->m, &e->maint, c, why,
		    sizeof why);
		if (c->config_gen != e->generation)
			snprintf(why, sizeof why, "%s", _("The configuration "
			    "changed meanwhile; the command was not carried "
			    "out"));
	} else {
		struct maint_window w;
		struct maint_set copy = e->maint;
		char err[256];

		engine_maint_window(c, e->m->app.console_id, &w);
		ok = maint_set_add(&copy, &w, err, sizeof err) == MAINT_ADDED;
		if (!ok)
			/* TRANSLATORS: why the window is not valid (English). */
			snprintf(why, sizeof why, _("Maintenance window not "
			    "announced: %s"), err);
	}
	if (!ok) {
		log_event(LOG_WARN, "signed_command_refused", "{s:s,s:I,s:s}",
		    "object", c->object, "id", (json_int_t)c->id, "reason",
		    why);
		for (size_t i = 0; i < COMMAND_SIGNERS_MAX; i++)
			command_password_free(c->signer[i].password);
		state_set_signing_result(e->state, c->id, false, why);
	}
	return ok;
}

/* A signed window into the spool; the next round shows its banner. */
static void
store_window(struct engine *e, const struct command *c)
{
	struct maint_window w;
	json_t *j;
	char *text = NULL, msg[256];

	engine_maint_window(c, e->m->app.console_id, &w);
	j = maint_window_to_json(&w);
	if (j != NULL)
		text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (text == NULL || spool_maint_put(e->spool, w.id, w.end_us,
	    text) != 0) {
		/* TRANSLATORS: window id, why. */
		snprintf(msg, sizeof msg, _("Maintenance window %s signed but "
		    "not stored: %s"), w.id, text == NULL ? "json" :
		    spool_last_error(e->spool));
		log_event(LOG_ERROR, "maintenance_window_not_stored",
		    "{s:s,s:s}", "id", w.id, "error", msg);
		state_set_command_result(e->state, false, msg);
	} else {
		char from[40];

		format_rfc3339_us(w.start_us, from, sizeof from);
		/* TRANSLATORS: window id, start time. */
		snprintf(msg, sizeof msg, _("Maintenance window %s announced "
		    "from %s"), w.id, from);
		log_event(LOG_INFO, "maintenance_announced", "{s:s,s:s,s:s}",
		    "id", w.id, "start", from, "reason", w.reason);
		state_set_command_result(e->state, true, msg);
		/* The banner and the start refusal at once, not next round. */
		publish_maint(e);
		engine_batch_tick(e->batch, e->m, &e->maint, e->state);
	}
	free(text);
}

static void
run_command(struct engine *e, const struct command *c)
{
	const struct model *m = e->m;
	size_t *pts, n = 0;
	int64_t seq = 0;

	if (c->kind == CMD_RELOAD_CONFIG) {
		reload_config(e);
		/* R: and what applying the config dir would change, now. */
		engine_review_answer(&e->review, e->store, e->version,
		    e->config_dir, e->state, c->id);
		return;
	}
	if (c->kind == CMD_REPREDICT) {
		if (e->infer == NULL)
			state_set_command_result(e->state, false, _("Inference "
			    "is not configured (app.json inference.endpoint)"));
		else {
			/* Said first: the client's answer may come at once. */
			state_set_command_result(e->state, true, _("Re-predict "
			    "of the latest spectrum asked"));
			if (!infer_client_repredict(e->infer))
				state_set_command_result(e->state, false,
				    _("No spectrum has been read yet"));
		}
		return;
	}
	/* What would be refused anyway costs nobody a signature. */
	if ((c->kind == CMD_BATCH || c->kind == CMD_MAINT_ANNOUNCE) &&
	    !precheck_signed(e, c))
		return;
	/* Signed commands run only once their signatures are recorded. */
	if (engine_sign_applies(c)) {
		struct engine_sign_env se = { e->m, e->generation,
		    e->state_dir, e->spool, e->key, e->state, e->audit,
		    e->store, e->config_dir, &e->review, e->m->app.console_id };

		if (!engine_sign_command(&se, c, &seq))
			return;
	}
	if (c->kind == CMD_ALARM_ACK) {
		ack_alarms(e, c);
		return;
	}
	if (c->kind == CMD_BATCH) {
		engine_batch_apply(e->batch, e->m, &e->maint, c, seq,
		    e->state);
		return;
	}
	if (c->kind == CMD_MAINT_ANNOUNCE) {
		store_window(e, c);
		return;
	}
	/* Indices are the UI's view of a model: refuse them after a swap. */
	if (c->config_gen != e->generation || c->device >= m->ndevices) {
		state_set_command_result(e->state, false, _("The configuration "
		    "changed meanwhile; the command was not carried out"));
		return;
	}
	if (c->kind == CMD_SET_CLOCK) {
		log_event(LOG_INFO, "immediate_set_clock", "{s:s}", "device",
		    m->devices[c->device].id);
		executor_submit_set_clock(e->ex, c->device);
		return;
	}
	if (c->kind == CMD_WRITE_POINT) {
		if (c->point >= m->npoints)
			return;
		log_event(LOG_INFO, "immediate_write", "{s:s,s:f}", "point",
		    m->points[c->point].id, "value", c->value);
		executor_submit_write(e->ex, c->point, c->value);
		return;
	}
	pts = xcalloc(m->npoints + 1, sizeof *pts);
	for (size_t i = 0; i < m->npoints; i++) {
		if (m->points[i].device != c->device)
			continue;
		if (c->kind == CMD_READ_POINT_NOW && i != c->point)
			continue;
		pts[n++] = i;
	}
	if (n > 0) {
		log_event(LOG_INFO, "immediate_read", "{s:s,s:I}", "device",
		    m->devices[c->device].id, "points", (json_int_t)n);
		executor_submit_read(e->ex, c->device, pts, n);
	}
	free(pts);
}

/*
 * Retention of the spool: records older than storage.retention_days go,
 * uploaded or not (uploaded ones are already gone), at start and daily.
 * Every purge that removed records is a warning: that data never reached
 * the historian.
 */
static void
purge_old(struct engine *e)
{
	int64_t now = clock_real_us(clock_real()), purged = 0;
	int64_t keep_us = e->m->app.storage.retention_ms * 1000;

	if (spool_purge_older(e->spool, now - keep_us, now, &purged) != 0) {
		log_event(LOG_ERROR, "spool_purge_failed", "{s:s}", "error",
		    spool_last_error(e->spool));
		return;
	}
	if (purged > 0)
		log_event(LOG_WARN, "spool_purged", "{s:I,s:f,s:s}",
		    "rows", (json_int_t)purged, "retention_days",
		    (double)e->m->app.storage.retention_ms / 86400000.0,
		    "reason", "never uploaded, older than the retention");
}

/* The spool's file system below storage.min_free_mb: an alarm, logged once. */
static void
check_disk(struct engine *e, int64_t free_bytes,
    const struct spool_counts *c)
{
	bool low = free_bytes >= 0 &&
	    free_bytes < e->m->app.storage.min_free_bytes;

	if (low != e->disk_low) {
		const struct storage_config *sc = &e->m->app.storage;
		struct spool_options o = { .sync_full = sc->sync_full,
		    .max_bytes = sc->max_bytes };

		/*
		 * Low on disk: the spool stops growing where it is, so that
		 * new records take the place of the oldest (spool_put drops
		 * them when full) before the file system itself is full.
		 */
		if (low && (o.max_bytes == 0 || o.max_bytes > c->file_bytes))
			o.max_bytes = c->file_bytes;
		if (spool_set_options(e->spool, &o) != 0)
			log_event(LOG_ERROR, "spool_options_failed", "{s:s}",
			    "error", spool_last_error(e->spool));
		log_event(low ? LOG_WARN : LOG_INFO,
		    low ? "spool_disk_low" : "spool_disk_ok", "{s:I,s:I,s:I}",
		    "free_bytes", (json_int_t)free_bytes, "min_free_bytes",
		    (json_int_t)e->m->app.storage.min_free_bytes,
		    "spool_bytes", (json_int_t)c->file_bytes);
	}
	e->disk_low = low;
	if (c->full_events != e->full_events_seen) {
		log_event(LOG_WARN, "spool_full", "{s:I,s:I}", "dropped_rows",
		    (json_int_t)c->dropped_rows, "full_events",
		    (json_int_t)c->full_events);
		e->full_events_seen = c->full_events;
	}
}

/* The rules' timers of every device, as real time, for the console. */
static void
publish_timers(struct engine *e)
{
	int64_t mono = clock_mono_ms(clock_real());
	int64_t real = clock_real_us(clock_real());

	if (e->ex == NULL)
		return;
	for (size_t i = 0; i < e->m->ndevices; i++) {
		struct device_memory mem;
		int64_t guard = executor_guard_until(e->ex,
		    e->m->devices[i].connector);

		executor_device_memory(e->ex, i, &mem);
		state_set_device_timers(e->state, i,
		    mem.hard_error_until > mono ?
		    real + (mem.hard_error_until - mono) * 1000 : 0,
		    guard > mono ? real + (guard - mono) * 1000 : 0);
	}
}

static void
publish(struct engine *e)
{
	struct spool_counts counts = { 0 };
	int64_t free_bytes;
	struct snapshot snap = { 0 };
	struct scheduler_stats st;
	char *json;

	if (e->sched != NULL) {         /* NULL once collection stopped */
		scheduler_get_stats(e->sched, &st);
		state_set_scheduler(e->state, st.ticks, st.coalesced,
		    st.missed);
	}
	/* Plans change only when a split is learned: describe them then. */
	if (e->ex != NULL &&
	    executor_plan_generation(e->ex) != e->plans_published) {
		e->plans_published = executor_plan_generation(e->ex);
		for (size_t i = 0; i < e->m->ndevices; i++) {
			char *plan = executor_describe_plan(e->ex, i);

			state_set_device_plan(e->state, i, plan);
			free(plan);
		}
	}
	publish_timers(e);
	spool_counts(e->spool, &counts);
	free_bytes = disk_free_bytes(e->spool_path);
	check_disk(e, free_bytes, &counts);
	state_set_spool(e->state, &counts, free_bytes, e->disk_low);
	publish_maint(e);
	engine_batch_tick(e->batch, e->m, &e->maint, e->state);
	state_copy(e->state, &snap);
	/* status sees this second's alarms, not the last one's. */
	if (check_alarms(e, &snap, &counts))
		state_copy(e->state, &snap);
	/* Who publishes goes in too, so status can tell console from run. */
	json = snapshot_to_json(&snap, e->mode, e->spool_path);
	if (json != NULL) {
		spool_put_state(e->spool, clock_real_us(clock_real()),
		    (long)getpid(), json);
		free(json);
	}
	snapshot_free(&snap);
}

static void *
housekeeper_main(void *arg)
{
	struct engine *e = arg;
	struct clock *clk = clock_real();
	int64_t next = 0;

	for (;;) {
		struct command c;
		int64_t now = clock_mono_ms(clk);
		bool stop;

		pthread_mutex_lock(&e->lock);
		stop = e->stopping;
		pthread_mutex_unlock(&e->lock);
		if (stop)
			break;
		if (now >= e->next_retention_ms) {
			purge_old(e);
			e->next_retention_ms = now + RETENTION_EVERY_MS;
		}
		if (now >= next) {
			/* `config apply` from another shell: CURRENT replaced. */
			if (config_store_changed(e->store, &e->stamp))
				reload_config(e);
			/* What R in the console would apply (a stat mostly). */
			engine_review_config(&e->review, e->store, e->version,
			    e->config_dir, e->state, now);
			publish(e);
			next = now + HOUSEKEEPING_MS;
		}
		if (cmdq_pop(e->cmdq, &c, (int)(next - now)))
			run_command(e, &c);
	}
	return NULL;
}

/*
 * Durability and size of the spool from app.json, and the stale upload
 * marks of a previous run cleared: this engine owns the spool now.
 */
static int
open_spool_options(struct engine *e, char *err, size_t errlen)
{
	const struct storage_config *sc = &e->m->app.storage;
	struct spool_options o = { .sync_full = sc->sync_full,
	    .max_bytes = sc->max_bytes };
	int stale;

	if (spool_set_options(e->spool, &o) != 0) {
		snprintf(err, errlen, "%s", spool_last_error(e->spool));
		return -1;
	}
	if ((stale = spool_upload_reset(e->spool)) < 0) {
		snprintf(err, errlen, "%s", spool_last_error(e->spool));
		return -1;
	}
	if (stale > 0)
		log_event(LOG_INFO, "spool_marks_cleared", "{s:i}", "uploads",
		    stale);
	return 0;
}

/* Take the state dir's lock; on failure say who holds it. */
static int
take_lock(struct engine *e, char *err, size_t errlen)
{
	char path[4096], holder[64] = "";
	ssize_t n;

	snprintf(path, sizeof path, "%s/engine.lock", e->state_dir);
	e->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (e->lock_fd < 0) {
		snprintf(err, errlen, _("cannot open %s: %s"), path,
		    strerror(errno));
		return -1;
	}
	if (flock(e->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(e->lock_fd, holder, sizeof holder - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		snprintf(err, errlen, _("another jope-smb (%s) is already "
		    "running on state dir %s"), holder[0] ? holder : "?",
		    e->state_dir);
		close(e->lock_fd);
		e->lock_fd = -1;
		return -1;
	}
	n = snprintf(holder, sizeof holder, "%s pid %ld\n", e->mode,
	    (long)getpid());
	if (ftruncate(e->lock_fd, 0) != 0 ||
	    pwrite(e->lock_fd, holder, (size_t)n, 0) != n) {
		/* The lock itself is what matters; the text is a courtesy. */
	}
	return 0;
}

static void
audit_system(struct engine *e, const char *kind, json_t *payload)
{
	char err[256];

	if (audit_log_append(e->spool, e->key, kind, "", payload, 0, err,
	    sizeof err) < 0)
		log_event(LOG_ERROR, "audit_append_failed", "{s:s,s:s}", "kind",
		    kind, "error", err);
}

/*
 * The console's start in the audit trail, and SystemUpgraded when the
 * program's version differs from the one that last ran on this state dir
 * (STATE_DIR/program.version).
 */
static void
audit_start(struct engine *e)
{
	char path[4096], old[64] = "";
	FILE *fp;

	snprintf(path, sizeof path, "%s/program.version", e->state_dir);
	if ((fp = fopen(path, "r")) != NULL) {
		if (fgets(old, sizeof old, fp) == NULL)
			old[0] = '\0';
		old[strcspn(old, "\n")] = '\0';
		fclose(fp);
	}
	if (old[0] != '\0' && strcmp(old, PACKAGE_VERSION) != 0)
		audit_system(e, "SystemUpgraded", json_pack("{s:s,s:s,s:s}",
		    "old_version", old, "new_version", PACKAGE_VERSION,
		    "operator", login_name()));
	if (strcmp(old, PACKAGE_VERSION) != 0 &&
	    (fp = fopen(path, "w")) != NULL) {
		fprintf(fp, "%s\n", PACKAGE_VERSION);
		fclose(fp);
	}
	audit_system(e, "console_start", json_pack("{s:s,s:s,s:s,s:I}",
	    "version", PACKAGE_VERSION, "mode", e->mode, "operator", login_name(),
	    "pid", (json_int_t)getpid()));
}

static void
engine_free(struct engine *e)
{
	audit_watch_stop(e->audit);     /* it reads the spool */
	alarm_board_free(e->alarms);
	engine_batch_free(e->batch);    /* collection has stopped */
	if (e->spool != NULL)
		spool_close(e->spool);
	console_key_free(e->key);
	config_store_close(e->store);
	state_free(e->state);
	cmdq_free(e->cmdq);
	if (e->lock_fd >= 0)
		close(e->lock_fd);
	pthread_mutex_destroy(&e->lock);
	for (size_t i = 0; i < e->nloaded; i++)
		model_free(e->loaded[i]);
	free(e->loaded);
	free(e->config_dir);
	free(e->spool_path);
	free(e->state_dir);
	free(e);
}

/*
 * The version to run, from STATE_DIR/config-versions: CURRENT, or on the
 * very first start the config dir staged as version 1 (recorded as
 * config_initial by config_boot_finish once the spool is open).  The model
 * is loaded from the version's own files, with the command-line overrides.
 */
static int
load_applied_config(struct engine *e, struct config_boot *boot, char *err,
    size_t errlen)
{
	struct config_errors errs = { 0 };
	struct model *m = NULL;

	if ((e->store = config_store_open(e->state_dir, err, errlen)) == NULL ||
	    config_boot_begin(e->store, e->config_dir, boot, err, errlen) != 0)
		return -1;
	if (config_load(boot->dir, &m, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_event(LOG_ERROR, "config_error",
			    "{s:s,s:i,s:i,s:s,s:s}", "file", errs.v[i].file,
			    "line", errs.v[i].line, "column", errs.v[i].column,
			    "path", errs.v[i].path, "message",
			    errs.v[i].message);
		snprintf(err, errlen, _("configuration version %d (%s) is not "
		    "valid: %zu error(s), see the log"), boot->version,
		    boot->dir, errs.n);
		config_errors_free(&errs);
		return -1;
	}
	config_errors_free(&errs);
	if (e->adjust_model != NULL)
		e->adjust_model(e->adjust_ctx, m);
	e->loaded = xrealloc(e->loaded, (e->nloaded + 1) * sizeof *e->loaded);
	e->loaded[e->nloaded++] = m;
	e->m = m;
	e->version = boot->version;
	if (boot->initial)
		log_event(LOG_INFO, "config_initial", "{s:s,s:i}", "dir",
		    e->config_dir, "version", boot->version);
	return 0;
}

struct engine *
engine_start(const struct engine_config *cfg, char *err, size_t errlen)
{
	struct engine *e = xcalloc(1, sizeof *e);
	const struct executor_defaults *d;
	struct config_boot boot = { 0 };
	char logpath[4096], spool_err[512];
	sigset_t all, old;

	e->m = cfg->model;
	e->config_dir = xstrdup(cfg->config_dir ? cfg->config_dir : ".");
	e->adjust_model = cfg->adjust_model;
	e->adjust_ctx = cfg->adjust_ctx;
	e->mode = cfg->mode ? cfg->mode : "run";
	e->lock_fd = -1;
	e->state_dir = xstrdup(cfg->state_dir);
	pthread_mutex_init(&e->lock, NULL);
	if (make_dirs(e->state_dir, 0700) != 0) {
		snprintf(err, errlen, _("cannot create state dir %s: %s"),
		    e->state_dir, strerror(errno));
		engine_free(e);
		return NULL;
	}
	if (take_lock(e, err, errlen) != 0) {
		engine_free(e);
		return NULL;
	}
	snprintf(logpath, sizeof logpath, "%s/jope-smb.log", e->state_dir);
	if (log_open(logpath, cfg->log_to_stderr,
	    (enum log_level)cfg->log_level) != 0) {
		snprintf(err, errlen, _("cannot open log %s: %s"), logpath,
		    strerror(errno));
		engine_free(e);
		return NULL;
	}
	/* The applied version runs, never the config dir (change control). */
	if (load_applied_config(e, &boot, err, errlen) != 0) {
		config_boot_end(&boot);
		log_close();
		engine_free(e);
		return NULL;
	}
	e->spool_path = engine_spool_path_for(&e->m->app, e->state_dir);
	if (spool_open(e->spool_path, &e->spool, spool_err,
	    sizeof spool_err) != 0) {
		snprintf(err, errlen, "%s", spool_err);
		config_boot_end(&boot);
		log_close();
		engine_free(e);
		return NULL;
	}
	if (open_spool_options(e, err, errlen) != 0 ||
	    (e->key = console_key_load(e->state_dir, err, errlen)) == NULL ||
	    config_boot_finish(&boot, e->spool, e->key, login_name(), err,
	    errlen) != 0) {
		config_boot_end(&boot);
		log_close();
		engine_free(e);
		return NULL;
	}
	config_boot_end(&boot);
	config_store_stamp(e->store, &e->stamp);
	d = &e->m->app.executor;
	e->state = state_new(e->m);
	e->cmdq = cmdq_new();
	log_event(LOG_INFO, "engine_start", "{s:s,s:s,s:s,s:i,s:I,s:I,s:I,"
	    "s:i,s:I,s:i}", "version", PACKAGE_VERSION, "mode", e->mode,
	    "spool", e->spool_path, "config_version", e->version,
	    "devices", (json_int_t)e->m->ndevices,
	    "points", (json_int_t)e->m->npoints,
	    "keep_alive_ms", (json_int_t)d->keep_alive_ms,
	    "retries", d->retries,
	    "guard_ms", (json_int_t)d->guard_ms,
	    "threads", d->threads);
	note_config_dir(e, NULL, false);

	e->drv = driver_modbus_new();
	{
		struct spool_counts c = { 0 };

		spool_counts(e->spool, &c);
		e->full_events_seen = c.full_events;
	}
	audit_start(e);
	/* The audit screen's events and chain check (nobody looks in run). */
	if (strcmp(e->mode, "console") == 0)
		e->audit = audit_watch_start(e->spool, e->key, e->state_dir,
		    e->state);
	e->alarms = alarm_board_new(e->m, NULL);
	load_maintenance(e, e->m);
	/* Before collection: samples are tagged from the first read on. */
	e->batch = engine_batch_new(e->spool, e->key, e->m->app.console_id);
	/* Before collection: spectra go to it from the first read on. */
	e->infer = start_inference(e, &e->m->app);
	start_collection(e, NULL, NULL);
	if (e->m->app.historian_conninfo[0] != '\0') {
		struct uploader_keys keys = { .have_console_key = true };

		memcpy(keys.console_pk, console_key_public(e->key), 32);
		snprintf(keys.keystore_path, sizeof keys.keystore_path,
		    "%s/keystore.json", e->state_dir);
		e->uploader = uploader_start(&e->m->app, e->spool, e->state,
		    &keys);
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_create(&e->housekeeper, NULL, housekeeper_main, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}

struct state *
engine_state(struct engine *e)
{
	return e->state;
}

struct cmdq *
engine_cmdq(struct engine *e)
{
	return e->cmdq;
}

const char *
engine_spool_path(struct engine *e)
{
	return e->spool_path;
}

void
engine_stop(struct engine *e)
{
	struct scheduler_stats st;

	if (e == NULL)
		return;
	/* Commands first (they submit tasks), then ticks, then the executor. */
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	pthread_mutex_unlock(&e->lock);
	cmdq_interrupt(e->cmdq);
	pthread_join(e->housekeeper, NULL);
	stop_collection(e, &st);
	/* Collection has stopped; an upload in flight is abandoned. */
	uploader_stop(e->uploader);
	e->uploader = NULL;
	infer_client_stop(e->infer);
	e->infer = NULL;
	state_set_scheduler(e->state, st.ticks, st.coalesced, st.missed);
	executor_free(e->ex);
	e->ex = NULL;
	driver_free(e->drv);
	publish(e);
	record_alarms(e);
	audit_system(e, "console_stop", json_pack("{s:s,s:s,s:I}", "mode",
	    e->mode, "operator", login_name(), "pid", (json_int_t)getpid()));
	log_event(LOG_INFO, "engine_stop", "{s:I,s:I,s:I}",
	    "ticks", (json_int_t)st.ticks,
	    "coalesced", (json_int_t)st.coalesced,
	    "missed", (json_int_t)st.missed);
	log_close();
	engine_free(e);
}
