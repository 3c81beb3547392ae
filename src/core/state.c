/*
 * state.c: the published engine state and its wake-up descriptor.
 *
 * Writers (executor workers, the housekeeping thread) take the mutex, change
 * a few fields, bump the version and write to an eventfd.  The eventfd
 * coalesces any number of updates into one readable event, so the UI redraws
 * once per wake-up, not once per sample.  Readers copy everything under the
 * same mutex: the copy is small (a few hundred devices and points), and a
 * consistent copy means the UI never shows a device state from one instant
 * beside a value from another.
 */
#include "config.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/state.h"
#include "plant/alarm.h"
#include "core/util.h"
#include "store/spool.h"

struct state {
	pthread_mutex_t lock;
	int wake_fd;
	struct snapshot cur;    /* arrays owned here */
};

const char *
link_state_name(enum link_state s)
{
	switch (s) {
	case LINK_NOT_CONFIGURED: return "not_configured";
	case LINK_UNKNOWN: return "unknown";
	case LINK_UP: return "up";
	case LINK_DEGRADED: return "degraded";
	case LINK_DOWN: return "down";
	}
	return "unknown";
}

struct state *
state_new(const struct model *m)
{
	struct state *st = xcalloc(1, sizeof *st);

	pthread_mutex_init(&st->lock, NULL);
	st->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	st->cur.model = m;
	st->cur.started_us = clock_real_us(clock_real());
	st->cur.ndevices = m->ndevices;
	st->cur.npoints = m->npoints;
	st->cur.devices = xcalloc(m->ndevices, sizeof *st->cur.devices);
	st->cur.points = xcalloc(m->npoints, sizeof *st->cur.points);
	st->cur.disk_free_bytes = -1;
	st->cur.historian = m->app.historian_conninfo[0] ?
	    LINK_UNKNOWN : LINK_NOT_CONFIGURED;
	st->cur.inference = m->app.inference_endpoint[0] ?
	    LINK_UNKNOWN : LINK_NOT_CONFIGURED;
	return st;
}

void
state_free(struct state *st)
{
	if (st == NULL)
		return;
	if (st->wake_fd >= 0)
		close(st->wake_fd);
	free(st->cur.devices);
	free(st->cur.points);
	audit_list_release(st->cur.audit);
	infer_view_release(st->cur.infer_view);
	alarm_view_release(st->cur.alarms);
	config_review_release(st->cur.config_review);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

int
state_wake_fd(struct state *st)
{
	return st->wake_fd;
}

void
state_drain_wake(struct state *st)
{
	uint64_t n;

	while (read(st->wake_fd, &n, sizeof n) == (ssize_t)sizeof n)
		;
}

/* Called with the lock held. */
static void
changed(struct state *st)
{
	uint64_t one = 1;

	st->cur.version++;
	if (write(st->wake_fd, &one, sizeof one) < 0) {
		/* Counter saturated: the UI has a wake-up pending anyway. */
	}
}

void
state_set_device_conn(struct state *st, size_t device,
    enum device_conn_state conn, const struct collect_error *err)
{
	pthread_mutex_lock(&st->lock);
	if (device < st->cur.ndevices) {
		struct device_state *d = &st->cur.devices[device];

		d->conn = conn;
		if (err != NULL) {
			str_copy(d->last_error, err->text,
			    sizeof d->last_error);
			d->last_code = (int)err->code;
			d->last_detail = err->detail;
		}
		changed(st);
	}
	pthread_mutex_unlock(&st->lock);
}

void
state_record_poll(struct state *st, size_t device,
    const struct point_result *r, size_t n)
{
	int64_t now = clock_real_us(clock_real());
	const struct collect_error *first_error = NULL;

	pthread_mutex_lock(&st->lock);
	if (device >= st->cur.ndevices) {
		pthread_mutex_unlock(&st->lock);
		return;
	}
	struct device_state *d = &st->cur.devices[device];
	for (size_t i = 0; i < n; i++) {
		if (r[i].point >= st->cur.npoints)
			continue;
		struct point_state *p = &st->cur.points[r[i].point];
		if (r[i].ok) {
			p->has_value = true;
			p->value = r[i].value;
			p->quality = QUALITY_GOOD;
			p->ts_us = r[i].ts_us;
			st->cur.samples_total++;
		} else {
			p->quality = QUALITY_BAD;
			st->cur.errors_total++;
			if (first_error == NULL)
				first_error = &r[i].err;
		}
	}
	d->polls++;
	d->last_poll_us = now;
	if (first_error != NULL) {
		d->errors++;
		str_copy(d->last_error, first_error->text,
		    sizeof d->last_error);
		d->last_code = (int)first_error->code;
		d->last_detail = first_error->detail;
	} else {
		d->last_ok_us = now;
		d->last_error[0] = '\0';
		d->last_code = d->last_detail = 0;
	}
	changed(st);
	pthread_mutex_unlock(&st->lock);
}

void
state_set_spool(struct state *st, const struct spool_counts *c,
    int64_t disk_free, bool disk_low)
{
	pthread_mutex_lock(&st->lock);
	st->cur.spool = *c;
	st->cur.spool_samples = c->samples;
	st->cur.spool_errors = c->errors;
	st->cur.spool_oldest_us = c->oldest_us;
	st->cur.disk_free_bytes = disk_free;
	st->cur.disk_low = disk_low;
	changed(st);
	pthread_mutex_unlock(&st->lock);
}

void
state_set_historian(struct state *st, const struct historian_status *h)
{
	pthread_mutex_lock(&st->lock);
	st->cur.hist = *h;
	st->cur.historian = h->link;
	changed(st);
	pthread_mutex_unlock(&st->lock);
}

void
state_set_links(struct state *st, enum link_state historian,
    enum link_state inference)
{
	pthread_mutex_lock(&st->lock);
	st->cur.historian = historian;
	st->cur.inference = inference;
	changed(st);
	pthread_mutex_unlock(&st->lock);
}

void
state_swap_model(struct state *st, const struct model *m)
{
	pthread_mutex_lock(&st->lock);
	free(st->cur.devices);
	free(st->cur.points);
	st->cur.model = m;
	st->cur.ndevices = m->ndevices;
	st->cur.npoints = m->npoints;
	st->cur.devices = xcalloc(m->ndevices + 1, sizeof *st->cur.devices);
	st->cur.points = xcalloc(m->npoints + 1, sizeof *st->cur.points);
	changed(st);
	pthread_mutex_unlock(&st->lock);
}

void
state_set_device_plan(struct state *st, size_t device, const char *plan)
{
	pthread_mutex_lock(&st->lock);
	if (device < st->cur.ndevices &&
	    strcmp(st->cur.devices[device].plan, plan) != 0) {
		str_copy(st->cur.devices[device].plan, plan,
		    sizeof st->cur.devices[device].plan);
		changed(st);
	}
	pthread_mutex_unlock(&st->lock);
}

void
state_set_device_timers(struct state *st, size_t device,
    int64_t hard_error_until_us, int64_t guard_until_us)
{
	pthread_mutex_lock(&st->lock);
	if (device < st->cur.ndevices &&
	    (st->cur.devices[device].hard_error_until_us !=
	    hard_error_until_us ||
	    st->cur.devices[device].guard_until_us != guard_until_us)) {
		st->cur.devices[device].hard_error_until_us =
		    hard_error_until_us;
		st->cur.devices[device].guard_until_us = guard_until_us;
		changed(st);
	}
	pthread_mutex_unlock(&st->lock);
}

void
state_set_scheduler(struct state *st, uint64_t ticks, uint64_t coalesced,
    uint64_t missed)
{
	pthread_mutex_lock(&st->lock);
	st->cur.ticks = ticks;
	st->cur.coalesced = coalesced;
	st->cur.missed = missed;
	pthread_mutex_unlock(&st->lock);
}

void
state_set_command_result(struct state *st, bool ok, const char *text)
{
	pthread_mutex_lock(&st->lock);
	st->cur.command_seq++;
	st->cur.command_ok = ok;
	str_copy(st->cur.command_text, text, sizeof st->cur.command_text);
	utf8_trim_partial(st->cur.command_text);
	changed(st);
	pthread_mutex_unlock(&st->lock);
}

void
state_set_signing_result(struct state *st, uint64_t id, bool ok,
    const char *text)
{
	pthread_mutex_lock(&st->lock);
	st->cur.command_seq++;
	st->cur.command_ok = ok;
	str_copy(st->cur.command_text, text, sizeof st->cur.command_text);
	st->cur.signing_done_id = id;
	st->cur.signing_ok = ok;
	changed(st);
	pthread_mutex_unlock(&st->lock);
}

struct audit_list *
audit_list_new(size_t cap)
{
	struct audit_list *l = xcalloc(1, sizeof *l);

	l->rows = xcalloc(cap + 1, sizeof *l->rows);
	l->cap = cap;
	atomic_init(&l->refs, 1);       /* the creator's, given to the state */
	return l;
}

bool
audit_list_add(struct audit_list *l, int64_t seq, int64_t ts_us,
    const char *kind, const char *actor, const char *payload)
{
	struct audit_row *r;

	if (l->n >= l->cap)
		return false;
	r = &l->rows[l->n++];
	r->seq = seq;
	r->ts_us = ts_us;
	str_copy(r->kind, kind != NULL ? kind : "", sizeof r->kind);
	str_copy(r->actor, actor != NULL ? actor : "", sizeof r->actor);
	r->payload = xstrdup(payload != NULL ? payload : "{}");
	return true;
}

static void
audit_list_acquire(const struct audit_list *l)
{
	if (l != NULL)
		atomic_fetch_add(&((struct audit_list *)l)->refs, 1);
}

void
audit_list_release(const struct audit_list *l)
{
	struct audit_list *w = (struct audit_list *)l;

	if (w == NULL || atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->rows[i].payload);
	free(w->rows);
	free(w);
}

void
state_set_inference(struct state *st, enum link_state link,
    const struct infer_status *status, struct infer_view *view)
{
	const struct infer_view *old = NULL;

	pthread_mutex_lock(&st->lock);
	st->cur.inference = link;
	if (status != NULL)
		st->cur.infer = *status;
	if (view != NULL) {
		old = st->cur.infer_view;
		st->cur.infer_view = view;
	}
	changed(st);
	pthread_mutex_unlock(&st->lock);
	infer_view_release(old);
}

struct alarm_view *
alarm_view_new(size_t n)
{
	struct alarm_view *v = xcalloc(1, sizeof *v);

	v->rows = xcalloc(n + 1, sizeof *v->rows);
	v->n = n;
	atomic_init(&v->refs, 1);
	return v;
}

void
alarm_view_acquire(const struct alarm_view *v)
{
	if (v != NULL)
		atomic_fetch_add(&((struct alarm_view *)v)->refs, 1);
}

void
alarm_view_release(const struct alarm_view *v)
{
	struct alarm_view *w = (struct alarm_view *)v;

	if (w == NULL || atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	free(w->rows);
	free(w);
}

void
state_set_maint(struct state *st, const struct maint_banner *b)
{
	pthread_mutex_lock(&st->lock);
	if (memcmp(&st->cur.maint, b, sizeof *b) != 0) {
		st->cur.maint = *b;
		changed(st);
	}
	pthread_mutex_unlock(&st->lock);
}

void
state_set_batch(struct state *st, const struct batch_view *v)
{
	pthread_mutex_lock(&st->lock);
	/* Both zeroed before being filled, so padding compares equal. */
	if (memcmp(&st->cur.batch, v, sizeof *v) != 0) {
		st->cur.batch = *v;
		changed(st);
	}
	pthread_mutex_unlock(&st->lock);
}

void
state_set_alarms(struct state *st, struct alarm_view *v)
{
	const struct alarm_view *old;

	pthread_mutex_lock(&st->lock);
	old = st->cur.alarms;
	st->cur.alarms = v;
	changed(st);
	pthread_mutex_unlock(&st->lock);
	alarm_view_release(old);
}

void
state_set_audit(struct state *st, struct audit_list *list,
    const struct audit_status *status)
{
	const struct audit_list *old = NULL;

	pthread_mutex_lock(&st->lock);
	if (list != NULL) {
		old = st->cur.audit;
		st->cur.audit = list;
	}
	if (status != NULL)
		st->cur.audit_status = *status;
	changed(st);
	pthread_mutex_unlock(&st->lock);
	audit_list_release(old);
}

struct config_review *
config_review_new(void)
{
	struct config_review *r = xcalloc(1, sizeof *r);

	atomic_init(&r->refs, 1);       /* the creator's, given to the state */
	return r;
}

void
config_review_add(struct config_review *r, const char *line, size_t max)
{
	size_t len = strlen(line);
	char *copy;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->lines = xrealloc(r->lines, r->cap * sizeof *r->lines);
	}
	if (max > 0 && len > max) {
		/* Cut on a character boundary, and say so. */
		len = max;
		while (len > 0 && ((unsigned char)line[len] & 0xc0) == 0x80)
			len--;
		copy = xmalloc(len + 4);
		memcpy(copy, line, len);
		memcpy(copy + len, "\xe2\x80\xa6", 4);    /* … */
	} else {
		copy = xstrdup(line);
	}
	r->lines[r->n++] = copy;
}

void
config_review_acquire(const struct config_review *r)
{
	if (r != NULL)
		atomic_fetch_add(&((struct config_review *)r)->refs, 1);
}

void
config_review_release(const struct config_review *r)
{
	struct config_review *w = (struct config_review *)r;

	if (w == NULL || atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->lines[i]);
	free(w->lines);
	free(w);
}

void
state_set_config_review(struct state *st, struct config_review *r)
{
	const struct config_review *old;

	pthread_mutex_lock(&st->lock);
	old = st->cur.config_review;
	st->cur.config_review = r;
	changed(st);
	pthread_mutex_unlock(&st->lock);
	config_review_release(old);
}

void
state_set_reload_done(struct state *st, uint64_t id)
{
	pthread_mutex_lock(&st->lock);
	st->cur.reload_done_id = id;
	changed(st);
	pthread_mutex_unlock(&st->lock);
}

void
state_set_config_status(struct state *st, bool applied, const char *msg)
{
	pthread_mutex_lock(&st->lock);
	if (applied)
		st->cur.config_generation++;
	str_copy(st->cur.config_status, msg, sizeof st->cur.config_status);
	/* A message cut by its own snprintf must not break the JSON. */
	utf8_trim_partial(st->cur.config_status);
	changed(st);
	pthread_mutex_unlock(&st->lock);
}

void
state_copy(struct state *st, struct snapshot *snap)
{
	struct device_state *devs = snap->devices;
	struct point_state *pts = snap->points;
	const struct audit_list *old = snap->audit;
	const struct config_review *old_review = snap->config_review;
	const struct infer_view *old_view = snap->infer_view;
	const struct alarm_view *old_alarms = snap->alarms;

	pthread_mutex_lock(&st->lock);
	/* Sized exactly: after a reload the model may have more entries. */
	if (devs == NULL || snap->ndevices != st->cur.ndevices)
		devs = xrealloc(devs, st->cur.ndevices * sizeof *devs + 1);
	if (pts == NULL || snap->npoints != st->cur.npoints)
		pts = xrealloc(pts, st->cur.npoints * sizeof *pts + 1);
	*snap = st->cur;
	memcpy(devs, st->cur.devices, st->cur.ndevices * sizeof *devs);
	memcpy(pts, st->cur.points, st->cur.npoints * sizeof *pts);
	audit_list_acquire(snap->audit);
	config_review_acquire(snap->config_review);
	infer_view_acquire(snap->infer_view);
	alarm_view_acquire(snap->alarms);
	pthread_mutex_unlock(&st->lock);
	audit_list_release(old);
	config_review_release(old_review);
	infer_view_release(old_view);
	alarm_view_release(old_alarms);
	snap->devices = devs;
	snap->points = pts;
}

uint64_t
state_version(struct state *st)
{
	uint64_t v;

	pthread_mutex_lock(&st->lock);
	v = st->cur.version;
	pthread_mutex_unlock(&st->lock);
	return v;
}

void
snapshot_free(struct snapshot *snap)
{
	free(snap->devices);
	free(snap->points);
	audit_list_release(snap->audit);
	config_review_release(snap->config_review);
	infer_view_release(snap->infer_view);
	alarm_view_release(snap->alarms);
	memset(snap, 0, sizeof *snap);
}

static json_t *
time_or_null(int64_t us)
{
	char buf[40];

	if (us == 0)
		return json_null();
	format_rfc3339_us(us, buf, sizeof buf);
	return json_string(buf);
}

static json_t *
spool_to_json(const struct spool_counts *c)
{
	return json_pack("{s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:o,s:I,s:I,s:o,s:I}",
	    "samples", (json_int_t)c->rows[SPOOL_SAMPLES],
	    "errors", (json_int_t)c->rows[SPOOL_ERRORS],
	    "spectra", (json_int_t)c->rows[SPOOL_SPECTRA],
	    "oldest", time_or_null(c->oldest_us),
	    "marked", (json_int_t)c->marked,
	    "purged_rows", (json_int_t)c->purged_rows,
	    "purge_events", (json_int_t)c->purge_events,
	    "last_purge", time_or_null(c->last_purge_us),
	    "dropped_rows", (json_int_t)c->dropped_rows,
	    "full_events", (json_int_t)c->full_events,
	    "last_full", time_or_null(c->last_full_us),
	    "file_bytes", (json_int_t)c->file_bytes);
}

static json_t *
historian_to_json(const struct snapshot *snap)
{
	const struct historian_status *h = &snap->hist;

	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:f,s:I,"
	    "s:I,s:i,s:i}",
	    "state", link_state_name(snap->historian),
	    "server", h->server,
	    "last_error", h->last_error,
	    "last_error_at", time_or_null(h->last_error_us),
	    "connected_since", time_or_null(h->connected_us),
	    "next_retry", time_or_null(h->next_retry_us),
	    "last_upload", time_or_null(h->last_upload_us),
	    "uploads", (json_int_t)h->uploads,
	    "uploaded_rows", (json_int_t)h->uploaded_rows,
	    "recovered_rows", (json_int_t)h->recovered_rows,
	    "rows_per_s", h->rows_per_s,
	    "drain_total", (json_int_t)h->drain_total,
	    "drain_done", (json_int_t)h->drain_done,
	    "schema_version", h->schema_version,
	    "schema_wanted", h->schema_wanted);
}

static json_t *
inference_to_json(const struct snapshot *snap)
{
	const struct infer_status *s = &snap->infer;

	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:o,s:o,s:{s:f,s:f,s:f,"
	    "s:f,s:I,s:I,s:f},s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:o}",
	    "state", link_state_name(snap->inference),
	    "endpoint", s->endpoint,
	    "server", s->server,
	    "model", s->model,
	    "model_version", s->model_version,
	    "uptime_s", s->uptime_s,
	    "last_heartbeat", time_or_null(s->last_heartbeat_us),
	    "last_prediction", time_or_null(s->last_prediction_us),
	    "latency_ms", "p50", s->p50_ms, "p95", s->p95_ms, "p99", s->p99_ms,
	    "max", s->max_ms, "n", (json_int_t)s->latency_n,
	    "window", (json_int_t)s->latency_window,
	    "target_p95", s->target_p95_ms,
	    "requests", (json_int_t)s->requests,
	    "predictions", (json_int_t)s->predictions,
	    "timeouts", (json_int_t)s->timeouts,
	    "late_replies", (json_int_t)s->late_replies,
	    "rejected", (json_int_t)s->rejected,
	    "server_errors", (json_int_t)s->server_errors,
	    "rebuilds", (json_int_t)s->rebuilds,
	    "queue_dropped", (json_int_t)s->queue_dropped,
	    "last_error", s->last_error,
	    "last_error_at", time_or_null(s->last_error_us));
}

/* The shown alarms (state names as in the audit trail). */
static json_t *
alarms_to_json(const struct alarm_view *v)
{
	json_t *list = json_array();

	for (size_t i = 0; v != NULL && i < v->n; i++) {
		const struct alarm_row *r = &v->rows[i];

		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:i,"
		    "s:b,s:o,s:o,s:o,s:s}", "alarm", r->key, "source",
		    r->source, "level", alarm_level_name(r->level), "state",
		    alarm_state_name(r->state), "priority", r->priority,
		    "flapping", r->flapping, "activated",
		    time_or_null(r->activated_us), "cleared",
		    time_or_null(r->cleared_us), "acked",
		    time_or_null(r->acked_us), "acked_by", r->acked_by));
	}
	return json_pack("{s:I,s:I,s:I,s:o}",
	    "unacked", (json_int_t)(v != NULL ? v->unacked : 0),
	    "active", (json_int_t)(v != NULL ? v->active : 0),
	    "activations", (json_int_t)(v != NULL ? v->activations : 0),
	    "list", list);
}

static json_t *
brief_to_json(const struct batch_brief *b)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:I,s:I}",
	    "id", b->id, "recipe", b->recipe_id, "recipe_version",
	    b->recipe_version, "state", batch_state_name(b->state),
	    "started_by", b->started_by, "started",
	    time_or_null(b->started_us), "ended", time_or_null(b->ended_us),
	    "samples", (json_int_t)b->samples, "errors", (json_int_t)b->errors,
	    "alarms", (json_int_t)b->alarms);
}

/* status --json .batch: the current batch (null: none), what the next
 * start would be, and the recent batches. */
static json_t *
batch_to_json(const struct batch_view *v)
{
	json_t *cur = json_null(), *recent = json_array(), *allowed;

	allowed = json_array();
	for (int ev = 0; ev < BATCH_EVENT_COUNT_; ev++)
		if (v->allowed & BATCH_EV_BIT(ev))
			json_array_append_new(allowed,
			    json_string(batch_event_name((enum batch_event)ev)));
	if (v->has_current) {
		cur = brief_to_json(&v->current);
		json_object_set_new(cur, "progress", json_pack(
		    "{s:I,s:I,s:I,s:f,s:I,s:I}",
		    "elapsed_s", (json_int_t)(v->progress.elapsed_ms / 1000),
		    "held_s", (json_int_t)(v->progress.held_ms / 1000),
		    "remaining_s", (json_int_t)(v->progress.remaining_ms / 1000),
		    "fraction", v->progress.fraction,
		    "run", (json_int_t)v->progress.run,
		    "run_remaining_s",
		    (json_int_t)(v->progress.run_remaining_ms / 1000)));
	}
	for (size_t i = 0; i < v->nrecent && i < BATCH_RECENT_MAX; i++)
		json_array_append_new(recent, brief_to_json(&v->recent[i]));
	return json_pack("{s:o,s:o,s:s,s:o,s:o}", "current", cur, "allowed",
	    allowed, "next_id", v->next_id, "start_refused",
	    v->start_refusal[0] != '\0' ? json_string(v->start_refusal) :
	    json_null(), "recent", recent);
}

char *
snapshot_to_json(const struct snapshot *snap, const char *mode,
    const char *spool_path)
{
	const struct model *m = snap->model;
	json_t *root, *devices, *points;
	char *out;

	devices = json_array();
	for (size_t i = 0; i < snap->ndevices; i++) {
		const struct device_state *d = &snap->devices[i];
		const struct device *md = &m->devices[i];

		json_array_append_new(devices, json_pack(
		    "{s:s,s:s,s:s,s:o,s:o,s:I,s:I,s:s,s:s}",
		    "id", md->id,
		    "connector", m->connectors[md->connector].id,
		    "state", device_conn_state_name(d->conn),
		    "last_poll", time_or_null(d->last_poll_us),
		    "last_ok", time_or_null(d->last_ok_us),
		    "polls", (json_int_t)d->polls,
		    "errors", (json_int_t)d->errors,
		    "last_error", d->last_error,
		    "plan", d->plan));
		json_object_set_new(json_array_get(devices,
		    json_array_size(devices) - 1), "hard_error_until",
		    time_or_null(d->hard_error_until_us));
		json_object_set_new(json_array_get(devices,
		    json_array_size(devices) - 1), "guard_until",
		    time_or_null(d->guard_until_us));
	}
	points = json_array();
	for (size_t i = 0; i < snap->npoints; i++) {
		const struct point_state *p = &snap->points[i];
		const struct point *mp = &m->points[i];

		json_array_append_new(points, json_pack(
		    "{s:s,s:s,s:o,s:s,s:i,s:o}",
		    "id", mp->id,
		    "device", m->devices[mp->device].id,
		    "value", p->has_value ? json_real(p->value) : json_null(),
		    "unit", mp->unit,
		    "quality", p->quality,
		    "ts", time_or_null(p->ts_us)));
	}
	root = json_pack("{s:s,s:s,s:I,s:i,s:s,s:o,s:o,s:I,s:b,s:o,s:o,s:I,"
	    "s:I,s:{s:I,s:I,s:I},s:o,s:o}",
	    "site", m->app.site,
	    "console_id", m->app.console_id,
	    "version", (json_int_t)snap->version,
	    "config_generation", (int)snap->config_generation,
	    "config_status", snap->config_status,
	    "started", time_or_null(snap->started_us),
	    "spool", spool_to_json(&snap->spool),
	    "disk_free_bytes", (json_int_t)snap->disk_free_bytes,
	    "disk_low", snap->disk_low,
	    "historian", historian_to_json(snap),
	    "inference", inference_to_json(snap),
	    "samples_total", (json_int_t)snap->samples_total,
	    "errors_total", (json_int_t)snap->errors_total,
	    "scheduler", "ticks", (json_int_t)snap->ticks,
	    "coalesced", (json_int_t)snap->coalesced,
	    "missed", (json_int_t)snap->missed,
	    "devices", devices,
	    "points", points);
	if (root == NULL)
		return NULL;
	if (mode != NULL)
		json_object_set_new(root, "mode", json_string(mode));
	if (spool_path != NULL)
		json_object_set_new(root, "spool_path", json_string(spool_path));
	json_object_set_new(root, "alarms", alarms_to_json(snap->alarms));
	json_object_set_new(root, "batch", batch_to_json(&snap->batch));
	json_object_set_new(root, "maintenance", snap->maint.phase == MAINT_NONE ?
	    json_null() : json_pack("{s:s,s:o,s:o,s:I}", "phase",
	    maint_phase_name(snap->maint.phase), "window",
	    maint_window_to_json(&snap->maint.w), "until",
	    time_or_null(snap->maint.until_us), "countdown_s",
	    (json_int_t)(snap->maint.countdown_us / 1000000)));
	/* The config dir against the version in use (null: the same). */
	if (snap->config_review != NULL) {
		const struct config_review *r = snap->config_review;

		json_object_set_new(root, "config_dir", json_pack(
		    "{s:s,s:b,s:i,s:I}", "dir", r->dir, "valid", r->valid,
		    "applied_version", r->applied_version,
		    r->valid ? "differences" : "errors", (json_int_t)r->n));
	} else {
		json_object_set_new(root, "config_dir", json_null());
	}
	out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return out;
}
