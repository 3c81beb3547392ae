/*
 * executor.c: the task executor and the rules that govern it.
 *
 * Tasks wait in a FIFO queue per logical device.  A dispatcher thread
 * decides which device may be connected: for every line (connector) that is
 * neither busy nor in its guard interval it picks, among the devices of that
 * line with queued tasks and not in HardError, the one that has waited
 * longest, marks the line busy and hands a "session" for that device to the
 * thread pool.  A session connects, runs every queued task, keeps the
 * connection for the keep-alive time while new tasks keep coming, closes,
 * and starts the line's guard interval.  Because only the dispatcher starts
 * sessions and a line has at most one session, rules 1 and 2 hold by
 * construction; the others are rows of the table below.
 *
 * Per device (the line is busy from CONNECTING until the session ends):
 *
 *   state        event                      next         done by
 *   -----------  -------------------------  -----------  --------------------
 *   IDLE         task queued                WAITING      executor_submit_read
 *   WAITING      line free, longest wait    CONNECTING   dispatch_line
 *   CONNECTING   open ok                    CONNECTED    session_run
 *   CONNECTING   open failed, < r in a row  WAITING/IDLE session_connect_failed
 *   CONNECTING   open failed, r-th in row   HARD_ERROR   enter_hard_error
 *   CONNECTED    task queued / in queue     CONNECTED    session_run (rule 3)
 *   CONNECTED    queue empty for keep-alive IDLE/WAITING session_end (rule 4)
 *   CONNECTED    queue empty, held max_hold IDLE/WAITING session_run
 *                and another device waits                (optional per line)
 *   CONNECTED    merged read -> exception 02 CONNECTED   split_block
 *
 * Tasks of every kind share the queues and the rules: periodic and
 * immediate reads (run_read_task), spectra in chunks (run_spectrum_task),
 * setpoint writes, read back at once (run_write_task), and device clocks
 * (run_clock_task).  A write to a point not configured writable, or a
 * clock on a device without one, is refused before it is queued.
 *   CONNECTED    I/O error on a read        WAITING/IDLE session_end
 *   HARD_ERROR   task queued                HARD_ERROR   cancel_task (rule 7)
 *   HARD_ERROR   d elapsed                  IDLE         dispatch_all
 *
 * Per line: FREE -> BUSY (session starts) -> GUARD (session ended, also after
 * a failed connect: the line was used and the next attempt would be refused
 * anyway) -> FREE when the guard interval has passed (rules 5 and 6).
 *
 * Rule 8: sessions run on a pool that starts threads on demand up to
 * params.threads and lets a thread go after it has been idle for a while.
 * Results leave through the sink with no lock held; the sink (the engine)
 * commits them to the spool before it returns.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/codec.h"
#include "collect/executor.h"
#include "collect/readplan.h"
#include "core/log.h"
#include "core/util.h"

#define POOL_IDLE_MS 5000       /* default: an idle pool thread lingers */

struct task {
	struct task *next;
	uint64_t id;
	enum task_kind kind;
	size_t *points;         /* READ_POINTS; WRITE_POINT: the one point */
	size_t npoints;
	size_t index;           /* READ_SPECTRUM: spectrum; SET_CLOCK: device */
	double value;           /* WRITE_POINT */
	int64_t queued_ms;
	int64_t io_done_ms;     /* when its last reply came, before the sink */
};

struct device_run {
	struct task *head, *tail;
	size_t queued;
	enum device_conn_state state;
	int failures;           /* failed connects in a row */
	int64_t hard_error_until;
	int64_t waiting_since;  /* mono ms the oldest queued task arrived */
};

struct line_run {
	long busy_device;       /* -1 when free */
	int64_t guard_until;
};

struct session_job {
	struct session_job *next;
	size_t device;
};

struct executor {
	const struct model *m;
	struct executor_params p;
	struct driver *drv;
	struct clock *clk;
	struct executor_sink sink;

	pthread_mutex_t lock;
	pthread_cond_t dispatch_cv;     /* a device waits, a line freed, stop */
	pthread_cond_t session_cv;      /* a task for a held device, stop */
	pthread_cond_t pool_cv;         /* a job posted, a thread left, stop */
	struct device_run *devs;
	struct line_run *lines;
	unsigned char *alone;           /* [npoints]: learned, read singly */
	unsigned plan_generation;       /* bumped when alone[] changes */
	uint64_t next_task_id;
	bool stopping;                  /* no new sessions, tasks cancelled */
	bool stopped;                   /* executor_stop has run */

	pthread_t dispatcher;
	struct session_job *jobs_head, *jobs_tail;
	int threads, idle_threads;
	int jobs_waiting;               /* posted, not yet taken by a thread */
	int returning;                  /* sessions ended, thread not back yet */
	int starting;                   /* created, not yet at the queue */
	pthread_t *zombies;             /* exited pool threads to join */
	size_t nzombies, zombies_cap;
};

const char *
device_conn_state_name(enum device_conn_state s)
{
	switch (s) {
	case DEVICE_IDLE: return "idle";
	case DEVICE_WAITING: return "waiting";
	case DEVICE_CONNECTING: return "connecting";
	case DEVICE_CONNECTED: return "connected";
	case DEVICE_HARD_ERROR: return "hard_error";
	}
	return "idle";
}

static const char *
line_id(struct executor *ex, size_t device)
{
	return ex->m->connectors[ex->m->devices[device].connector].id;
}

static const char *
device_id(struct executor *ex, size_t device)
{
	return ex->m->devices[device].id;
}

static void
report_state(struct executor *ex, size_t device, enum device_conn_state s,
    const struct collect_error *err)
{
	if (ex->sink.device_state != NULL)
		ex->sink.device_state(ex->sink.ctx, device, s, err);
}

/* The state a device not in a session settles in.  Lock held. */
static enum device_conn_state
resting_state(struct executor *ex, size_t device)
{
	struct device_run *d = &ex->devs[device];

	if (d->hard_error_until > clock_mono_ms(ex->clk))
		return DEVICE_HARD_ERROR;
	return d->queued > 0 ? DEVICE_WAITING : DEVICE_IDLE;
}

static void
task_free(struct task *t)
{
	free(t->points);
	free(t);
}

static void
report_spectrum_error(struct executor *ex, size_t device, size_t spectrum,
    enum collect_code code, const char *why)
{
	struct collect_error err = { .code = code };

	str_copy(err.text, why, sizeof err.text);
	if (ex->sink.spectrum != NULL)
		ex->sink.spectrum(ex->sink.ctx, device, spectrum, NULL, 0,
		    clock_real_us(ex->clk), &err);
}

/* Record every point of a task as not read, with code; no lock held. */
static void
cancel_task(struct executor *ex, size_t device, struct task *t,
    enum collect_code code, const char *why)
{
	struct point_result *r = xcalloc(t->npoints, sizeof *r);
	int64_t now = clock_real_us(ex->clk);

	for (size_t i = 0; i < t->npoints; i++) {
		r[i].point = t->points[i];
		r[i].ok = false;
		r[i].ts_us = now;
		r[i].err.code = code;
		str_copy(r[i].err.text, why, sizeof r[i].err.text);
	}
	log_event(LOG_WARN, "task_cancelled", "{s:s,s:s,s:I,s:s}",
	    "connector", line_id(ex, device), "device", device_id(ex, device),
	    "task", (json_int_t)t->id, "reason", why);
	switch (t->kind) {
	case TASK_READ_SPECTRUM:
		report_spectrum_error(ex, device, t->index, code, why);
		break;
	case TASK_WRITE_POINT:
	case TASK_SET_CLOCK:
		if (ex->sink.command_done != NULL)
			ex->sink.command_done(ex->sink.ctx, device, t->kind,
			    t->kind == TASK_WRITE_POINT ? t->points[0] :
			    device, false, why);
		break;
	case TASK_READ_POINTS:
		if (ex->sink.results != NULL)
			ex->sink.results(ex->sink.ctx, device, r, t->npoints);
		break;
	}
	free(r);
}

/* Detach every queued task of device.  Lock held. */
static struct task *
take_queue(struct executor *ex, size_t device)
{
	struct device_run *d = &ex->devs[device];
	struct task *all = d->head;

	d->head = d->tail = NULL;
	d->queued = 0;
	return all;
}

static void
cancel_list(struct executor *ex, size_t device, struct task *list,
    enum collect_code code, const char *why)
{
	while (list != NULL) {
		struct task *next = list->next;

		cancel_task(ex, device, list, code, why);
		task_free(list);
		list = next;
	}
}

/* ---- thread pool (rule 8) ------------------------------------------- */

static void session_run(struct executor *ex, size_t device);

static void
reap_zombies(struct executor *ex)
{
	/* Lock held; joining an exited thread does not block. */
	for (size_t i = 0; i < ex->nzombies; i++)
		pthread_join(ex->zombies[i], NULL);
	ex->nzombies = 0;
}

static void *
pool_worker(void *arg)
{
	struct executor *ex = arg;
	struct clock *real = clock_real();

	pthread_mutex_lock(&ex->lock);
	ex->starting--;
	for (;;) {
		int64_t idle_deadline = clock_mono_ms(real) +
		    ex->p.pool_idle_ms;

		while (ex->jobs_head == NULL && !ex->stopping) {
			ex->idle_threads++;
			int rc = clock_timedwait(real, &ex->pool_cv, &ex->lock,
			    idle_deadline);
			ex->idle_threads--;
			if (rc == ETIMEDOUT && ex->jobs_head == NULL)
				break;
		}
		struct session_job *job = ex->jobs_head;
		if (job == NULL || ex->stopping)
			break;  /* idle too long, or stopping */
		ex->jobs_head = job->next;
		ex->jobs_waiting--;
		if (ex->jobs_head == NULL)
			ex->jobs_tail = NULL;
		pthread_mutex_unlock(&ex->lock);
		session_run(ex, job->device);
		free(job);
		pthread_mutex_lock(&ex->lock);
		ex->returning--;        /* counted by session_end */
	}
	ex->threads--;
	if (ex->nzombies == ex->zombies_cap) {
		ex->zombies_cap = ex->zombies_cap ? ex->zombies_cap * 2 : 16;
		ex->zombies = xrealloc(ex->zombies,
		    ex->zombies_cap * sizeof *ex->zombies);
	}
	ex->zombies[ex->nzombies++] = pthread_self();
	pthread_cond_broadcast(&ex->pool_cv);
	pthread_mutex_unlock(&ex->lock);
	return NULL;
}

/* Queue a session job and make sure a thread will take it.  Lock held. */
static void
pool_post(struct executor *ex, size_t device)
{
	struct session_job *job = xcalloc(1, sizeof *job);

	job->device = device;
	if (ex->jobs_tail != NULL)
		ex->jobs_tail->next = job;
	else
		ex->jobs_head = job;
	ex->jobs_tail = job;
	ex->jobs_waiting++;

	reap_zombies(ex);
	/*
	 * An idle thread counts as idle until it gets the lock back, so
	 * compare with the jobs not yet taken, not with "any idle thread":
	 * one idle thread must not stand for several jobs of one pass.  A
	 * thread whose session just ended is on its way back and will take
	 * a job too, and so will a thread created but not yet running: the
	 * pool grows only with real demand.
	 */
	if (ex->jobs_waiting > ex->idle_threads + ex->returning +
	    ex->starting && ex->threads < ex->p.threads) {
		pthread_t t;
		sigset_t all, old;

		/* Pool threads must not take the UI's signals. */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		if (pthread_create(&t, NULL, pool_worker, ex) == 0) {
			ex->threads++;
			ex->starting++;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_cond_signal(&ex->pool_cv);
}

/* ---- dispatch (rules 1, 2, 5, 6, 7) ---------------------------------- */

/* Start a session on line if it is free.  Lock held.  Returns next deadline. */
static int64_t
dispatch_line(struct executor *ex, size_t line, int64_t now)
{
	struct line_run *l = &ex->lines[line];
	long best = -1;
	int64_t next = -1;

	if (l->busy_device >= 0)
		return -1;
	if (l->guard_until > now)
		return l->guard_until;

	for (size_t i = 0; i < ex->m->ndevices; i++) {
		struct device_run *d = &ex->devs[i];

		if (ex->m->devices[i].connector != line || d->queued == 0)
			continue;
		if (d->hard_error_until > now) {
			if (next < 0 || d->hard_error_until < next)
				next = d->hard_error_until;
			continue;
		}
		if (best < 0 || d->waiting_since < ex->devs[best].waiting_since)
			best = (long)i;
	}
	if (best < 0)
		return next;
	l->busy_device = best;
	ex->devs[best].state = DEVICE_CONNECTING;
	pool_post(ex, (size_t)best);
	return -1;
}

/* HardError periods that ended: back to IDLE.  Lock held. */
static int64_t
expire_hard_errors(struct executor *ex, int64_t now, size_t *ended,
    size_t *nended)
{
	int64_t next = -1;

	*nended = 0;
	for (size_t i = 0; i < ex->m->ndevices; i++) {
		struct device_run *d = &ex->devs[i];

		if (d->state != DEVICE_HARD_ERROR)
			continue;
		if (d->hard_error_until <= now) {
			d->state = d->queued > 0 ? DEVICE_WAITING : DEVICE_IDLE;
			ended[(*nended)++] = i;
		} else if (next < 0 || d->hard_error_until < next) {
			next = d->hard_error_until;
		}
	}
	return next;
}

static int64_t
earliest(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static void *
dispatcher_main(void *arg)
{
	struct executor *ex = arg;
	size_t *ended = xcalloc(ex->m->ndevices + 1, sizeof *ended);

	pthread_mutex_lock(&ex->lock);
	while (!ex->stopping) {
		int64_t now = clock_mono_ms(ex->clk);
		size_t nended;
		int64_t next = expire_hard_errors(ex, now, ended, &nended);

		for (size_t i = 0; i < nended; i++) {
			log_event(LOG_INFO, "hard_error_end", "{s:s,s:s}",
			    "connector", line_id(ex, ended[i]),
			    "device", device_id(ex, ended[i]));
			report_state(ex, ended[i], ex->devs[ended[i]].state,
			    NULL);
		}
		for (size_t l = 0; l < ex->m->nconnectors; l++)
			next = earliest(next, dispatch_line(ex, l, now));
		clock_timedwait(ex->clk, &ex->dispatch_cv, &ex->lock, next);
	}
	pthread_mutex_unlock(&ex->lock);
	free(ended);
	return NULL;
}

/* ---- sessions (rules 3, 4, 7) ---------------------------------------- */

static bool
is_connection_error(enum collect_code c)
{
	return c != COLLECT_EXCEPTION && c != COLLECT_BAD_VALUE;
}

/* Decode the points of one block from its registers into results. */
static void
decode_block(struct executor *ex, const struct read_block *b,
    const size_t *pts, const uint16_t *regs, int64_t ts,
    struct point_result *r)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct point *p = &ex->m->points[pts[b->first + i]];
		struct point_result *pr = &r[b->first + i];

		pr->point = pts[b->first + i];
		pr->ts_us = ts;
		pr->err.code = COLLECT_OK;
		pr->err.detail = 0;
		pr->err.text[0] = '\0';
		if (codec_decode(p, regs + (p->address - b->address),
		    &pr->value) == 0) {
			pr->ok = true;
		} else {
			pr->ok = false;
			pr->err.code = COLLECT_BAD_VALUE;
			str_copy(pr->err.text, "value is not a number",
			    sizeof pr->err.text);
		}
	}
}

static void
fail_block(const struct read_block *b, const size_t *pts, int64_t ts,
    const struct collect_error *err, struct point_result *r)
{
	for (size_t i = 0; i < b->n; i++) {
		struct point_result *pr = &r[b->first + i];

		pr->point = pts[b->first + i];
		pr->ok = false;
		pr->value = 0;
		pr->ts_us = ts;
		pr->err = *err;
	}
}

static void
fail_closed(const struct read_block *b, const size_t *pts, int64_t ts,
    struct point_result *r)
{
	struct collect_error err = { .code = COLLECT_IO };

	str_copy(err.text, "connection closed after an earlier error",
	    sizeof err.text);
	fail_block(b, pts, ts, &err, r);
}

/*
 * A merged read refused with exception 02: remember that these points are
 * read one by one on this device, and read them so now.
 */
static bool
split_block(struct executor *ex, size_t device, struct driver_conn *conn,
    const struct read_block *b, const size_t *pts, struct point_result *r);

/* One request; false when the connection can no longer be trusted. */
static bool
read_one_block(struct executor *ex, size_t device, struct driver_conn *conn,
    const struct read_block *b, const size_t *pts, struct point_result *r)
{
	uint16_t regs[READPLAN_MAX_BITS];
	struct collect_error err = { 0 };
	int rc = ex->drv->read(conn, b->table, b->address, b->count, regs,
	    &err);
	int64_t ts = clock_real_us(ex->clk);

	if (rc == 0) {
		decode_block(ex, b, pts, regs, ts, r);
		return true;
	}
	if (b->n > 1 && err.code == COLLECT_EXCEPTION && err.detail == 2)
		return split_block(ex, device, conn, b, pts, r);
	fail_block(b, pts, ts, &err, r);
	return !is_connection_error(err.code);
}

static bool
split_block(struct executor *ex, size_t device, struct driver_conn *conn,
    const struct read_block *b, const size_t *pts, struct point_result *r)
{
	bool healthy = true;

	pthread_mutex_lock(&ex->lock);
	for (size_t j = 0; j < b->n; j++)
		ex->alone[pts[b->first + j]] = 1;
	ex->plan_generation++;
	pthread_mutex_unlock(&ex->lock);
	log_event(LOG_WARN, "read_split", "{s:s,s:s,s:s,s:i,s:i}",
	    "connector", line_id(ex, device), "device", device_id(ex, device),
	    "table", modbus_table_name(b->table), "address", b->address,
	    "count", b->count);
	for (size_t j = 0; j < b->n; j++) {
		const struct point *p = &ex->m->points[pts[b->first + j]];
		struct read_block one = { b->table, p->address,
		    point_width(p), b->first + j, 1 };

		if (!healthy)
			fail_closed(&one, pts, clock_real_us(ex->clk), r);
		else
			healthy = read_one_block(ex, device, conn, &one, pts, r);
	}
	return healthy;
}

/*
 * Run one read task on an open connection.  Returns false when the
 * connection can no longer be trusted (timeout, reset, a reply with the
 * wrong transaction or unit id): the session then closes it rather than
 * read a desynchronised stream again.
 */
static bool
run_read_task(struct executor *ex, size_t device, struct driver_conn *conn,
    struct task *t)
{
	struct read_block *blocks = xmalloc(t->npoints * sizeof *blocks);
	/* Not zeroed: every entry is written whole by decode or fail. */
	struct point_result *r = xmalloc(t->npoints * sizeof *r);
	bool healthy = true;
	size_t nb, errors = 0;

	log_event(LOG_DEBUG, "task_start", "{s:s,s:s,s:I,s:I}",
	    "connector", line_id(ex, device), "device", device_id(ex, device),
	    "task", (json_int_t)t->id, "points", (json_int_t)t->npoints);
	pthread_mutex_lock(&ex->lock);
	nb = readplan_build(ex->m, ex->alone, t->points, t->npoints, blocks);
	pthread_mutex_unlock(&ex->lock);
	for (size_t i = 0; i < nb; i++) {
		if (healthy)
			healthy = read_one_block(ex, device, conn, &blocks[i],
			    t->points, r);
		else
			fail_closed(&blocks[i], t->points,
			    clock_real_us(ex->clk), r);
	}
	for (size_t i = 0; i < t->npoints; i++)
		if (!r[i].ok)
			errors++;
	t->io_done_ms = clock_mono_ms(ex->clk);
	if (ex->sink.results != NULL)
		ex->sink.results(ex->sink.ctx, device, r, t->npoints);
	log_event(errors ? LOG_WARN : LOG_DEBUG, "task_done",
	    "{s:s,s:s,s:I,s:I,s:I}", "connector", line_id(ex, device),
	    "device", device_id(ex, device), "task", (json_int_t)t->id,
	    "points", (json_int_t)t->npoints, "errors", (json_int_t)errors);
	free(blocks);
	free(r);
	return healthy;
}

/*
 * A spectrum in chunks of at most 125 registers that never split a pixel;
 * any failed chunk fails the whole spectrum (a spectrum is one record).
 */
static bool
run_spectrum_task(struct executor *ex, size_t device, struct driver_conn *conn,
    struct task *t)
{
	const struct spectrum *sp = &ex->m->spectra[t->index];
	int w = value_type_width(sp->type);
	int per_chunk = READPLAN_MAX_REGISTERS / w;
	struct point pixel = { .table = sp->table, .type = sp->type,
	    .order = sp->order, .scale = 1.0 };
	uint16_t regs[READPLAN_MAX_REGISTERS];
	double *px = xmalloc((size_t)sp->pixels * sizeof *px + 1);
	struct collect_error err = { 0 };
	int64_t ts = 0;

	for (int done = 0; done < sp->pixels; ) {
		int k = sp->pixels - done < per_chunk ? sp->pixels - done :
		    per_chunk;

		if (ex->drv->read(conn, sp->table, sp->address + done * w,
		    k * w, regs, &err) != 0) {
			free(px);
			log_event(LOG_WARN, "spectrum_failed", "{s:s,s:s,s:s}",
			    "device", device_id(ex, device), "spectrum",
			    sp->id, "error", err.text);
			t->io_done_ms = clock_mono_ms(ex->clk);
			if (ex->sink.spectrum != NULL)
				ex->sink.spectrum(ex->sink.ctx, device,
				    t->index, NULL, 0, clock_real_us(ex->clk),
				    &err);
			return !is_connection_error(err.code);
		}
		if (done == 0)
			ts = clock_real_us(ex->clk);    /* the first chunk */
		for (int j = 0; j < k; j++)
			codec_decode(&pixel, regs + j * w, &px[done + j]);
		done += k;
	}
	t->io_done_ms = clock_mono_ms(ex->clk);
	if (ex->sink.spectrum != NULL)
		ex->sink.spectrum(ex->sink.ctx, device, t->index, px,
		    (size_t)sp->pixels, ts, NULL);
	free(px);
	return true;
}

static bool
write_failed(struct executor *ex, size_t device, struct task *t,
    const struct collect_error *err)
{
	char text[256];

	snprintf(text, sizeof text, "%s: %s", t->kind == TASK_SET_CLOCK ?
	    "set clock" : ex->m->points[t->points[0]].id, err->text);
	log_event(LOG_WARN, "command_failed", "{s:s,s:s}", "device",
	    device_id(ex, device), "error", text);
	t->io_done_ms = clock_mono_ms(ex->clk);
	if (ex->sink.command_done != NULL)
		ex->sink.command_done(ex->sink.ctx, device, t->kind,
		    t->kind == TASK_SET_CLOCK ? device : t->points[0], false,
		    text);
	return !is_connection_error(err->code);
}

/* Write a setpoint, then read it back so the new value is stored. */
static bool
run_write_task(struct executor *ex, size_t device, struct driver_conn *conn,
    struct task *t)
{
	const struct point *p = &ex->m->points[t->points[0]];
	struct collect_error err = { 0 };
	uint16_t regs[4] = { 0 };
	char text[256];

	codec_encode(p, t->value, regs);
	if (ex->drv->write(conn, p->table, p->address, point_width(p), regs,
	    &err) != 0)
		return write_failed(ex, device, t, &err);
	log_event(LOG_INFO, "write_point", "{s:s,s:s,s:f}", "device",
	    device_id(ex, device), "point", p->id, "value", t->value);
	snprintf(text, sizeof text, "%s: %g %s written", p->id, t->value,
	    p->unit);
	t->io_done_ms = clock_mono_ms(ex->clk);
	if (ex->sink.command_done != NULL)
		ex->sink.command_done(ex->sink.ctx, device, t->kind,
		    t->points[0], true, text);
	t->kind = TASK_READ_POINTS;
	return run_read_task(ex, device, conn, t);
}

/*
 * Set the device clock to our real time: uint32 Unix seconds (high word
 * first) and uint16 milliseconds, then read it back and say how far off
 * it reads (the round trip, in the end).
 */
static bool
run_clock_task(struct executor *ex, size_t device, struct driver_conn *conn,
    struct task *t)
{
	int addr = ex->m->devices[device].clock_address;
	struct collect_error err = { 0 };
	int64_t now = clock_real_us(ex->clk), back_us;
	uint32_t secs = (uint32_t)(now / 1000000);
	uint16_t regs[3] = { (uint16_t)(secs >> 16), (uint16_t)secs,
	    (uint16_t)(now / 1000 % 1000) };
	char stamp[40], text[256];

	if (ex->drv->write(conn, TABLE_HOLDING_REGISTER, addr, 3, regs,
	    &err) != 0)
		return write_failed(ex, device, t, &err);
	if (ex->drv->read(conn, TABLE_HOLDING_REGISTER, addr, 3, regs,
	    &err) != 0)
		return write_failed(ex, device, t, &err);
	back_us = ((int64_t)((uint32_t)regs[0] << 16 | regs[1]) * 1000 +
	    regs[2]) * 1000;
	format_rfc3339_us(now, stamp, sizeof stamp);
	snprintf(text, sizeof text, "%s: clock set to %s (reads back %+.3f s)",
	    device_id(ex, device), stamp,
	    (double)(back_us - clock_real_us(ex->clk)) / 1e6);
	log_event(LOG_INFO, "set_clock", "{s:s,s:s}", "device",
	    device_id(ex, device), "time", stamp);
	t->io_done_ms = clock_mono_ms(ex->clk);
	if (ex->sink.command_done != NULL)
		ex->sink.command_done(ex->sink.ctx, device, t->kind, device,
		    true, text);
	return true;
}

static bool
run_task(struct executor *ex, size_t device, struct driver_conn *conn,
    struct task *t)
{
	switch (t->kind) {
	case TASK_READ_SPECTRUM:
		return run_spectrum_task(ex, device, conn, t);
	case TASK_WRITE_POINT:
		return run_write_task(ex, device, conn, t);
	case TASK_SET_CLOCK:
		return run_clock_task(ex, device, conn, t);
	case TASK_READ_POINTS:
		break;
	}
	return run_read_task(ex, device, conn, t);
}

/* End a session: free the line, start its guard.  Lock held. */
static void
session_end(struct executor *ex, size_t device)
{
	struct line_run *l = &ex->lines[ex->m->devices[device].connector];

	l->busy_device = -1;
	l->guard_until = clock_mono_ms(ex->clk) + ex->p.guard_ms;
	ex->returning++;        /* this session's thread is coming back */
	ex->devs[device].state = resting_state(ex, device);
	pthread_cond_signal(&ex->dispatch_cv);
}

static void
enter_hard_error(struct executor *ex, size_t device,
    const struct collect_error *err)
{
	struct device_run *d = &ex->devs[device];
	struct task *cancelled;

	pthread_mutex_lock(&ex->lock);
	d->hard_error_until = clock_mono_ms(ex->clk) + ex->p.hard_error_ms;
	d->failures = 0;
	cancelled = take_queue(ex, device);
	session_end(ex, device);
	pthread_mutex_unlock(&ex->lock);

	log_event(LOG_ERROR, "hard_error", "{s:s,s:s,s:I,s:s}",
	    "connector", line_id(ex, device), "device", device_id(ex, device),
	    "seconds", (json_int_t)(ex->p.hard_error_ms / 1000),
	    "error", err->text);
	report_state(ex, device, DEVICE_HARD_ERROR, err);
	cancel_list(ex, device, cancelled, COLLECT_HARD_ERROR,
	    "device in HardError");
}

static void
session_connect_failed(struct executor *ex, size_t device,
    const struct collect_error *err)
{
	struct device_run *d = &ex->devs[device];
	enum device_conn_state s;
	int failures;

	pthread_mutex_lock(&ex->lock);
	failures = ++d->failures;
	pthread_mutex_unlock(&ex->lock);
	log_event(LOG_WARN, "connect_failed", "{s:s,s:s,s:i,s:s}",
	    "connector", line_id(ex, device), "device", device_id(ex, device),
	    "attempt", failures, "error", err->text);
	if (failures >= ex->p.retries) {
		enter_hard_error(ex, device, err);
		return;
	}
	pthread_mutex_lock(&ex->lock);
	session_end(ex, device);
	s = d->state;
	pthread_mutex_unlock(&ex->lock);
	report_state(ex, device, s, err);
}

/* Another device of device's line has tasks and may connect.  Lock held. */
static bool
others_waiting(struct executor *ex, size_t device)
{
	size_t line = ex->m->devices[device].connector;
	int64_t now = clock_mono_ms(ex->clk);

	for (size_t i = 0; i < ex->m->ndevices; i++)
		if (i != device && ex->m->devices[i].connector == line &&
		    ex->devs[i].queued > 0 &&
		    ex->devs[i].hard_error_until <= now)
			return true;
	return false;
}

static void
session_run(struct executor *ex, size_t device)
{
	const struct device *dev = &ex->m->devices[device];
	const struct connector *line = &ex->m->connectors[dev->connector];
	struct device_run *d = &ex->devs[device];
	struct driver_conn *conn = NULL;
	struct collect_error err = { 0 };
	bool healthy = true;

	report_state(ex, device, DEVICE_CONNECTING, NULL);
	if (ex->drv->open(ex->drv->ctx, line, dev, &conn, &err) != 0) {
		session_connect_failed(ex, device, &err);
		return;
	}
	log_event(LOG_INFO, "connect", "{s:s,s:s}", "connector", line->id,
	    "device", dev->id);
	pthread_mutex_lock(&ex->lock);
	d->failures = 0;
	d->state = DEVICE_CONNECTED;
	report_state(ex, device, DEVICE_CONNECTED, NULL);
	pthread_mutex_unlock(&ex->lock);

	pthread_mutex_lock(&ex->lock);
	int64_t started = clock_mono_ms(ex->clk);
	int64_t keep_until = started + ex->p.keep_alive_ms;
	const char *reason = "keep_alive";
	while (healthy && !ex->stopping) {
		struct task *t = d->head;

		if (t == NULL) {
			int64_t now = clock_mono_ms(ex->clk);
			int64_t until = keep_until;

			if (line->max_hold_ms > 0 &&
			    others_waiting(ex, device)) {
				if (now >= started + line->max_hold_ms) {
					reason = "max_hold";
					break;
				}
				until = earliest(until,
				    started + line->max_hold_ms);
			}
			if (now >= keep_until)
				break;
			clock_timedwait(ex->clk, &ex->session_cv, &ex->lock,
			    until);
			continue;
		}
		d->head = t->next;
		if (d->head == NULL)
			d->tail = NULL;
		d->queued--;
		if (d->queued > 0)
			d->waiting_since = d->head->queued_ms;
		pthread_mutex_unlock(&ex->lock);
		healthy = run_task(ex, device, conn, t);
		int64_t done = t->io_done_ms;
		task_free(t);
		pthread_mutex_lock(&ex->lock);
		/*
		 * Rule 4 counts from the task's last reply, not from when the
		 * sink (the spool) was done with it: storage time must not
		 * stretch the connection, and a test's clock cannot overtake.
		 */
		keep_until = (done > 0 ? done : clock_mono_ms(ex->clk)) +
		    ex->p.keep_alive_ms;
	}
	if (!healthy)
		reason = "error";
	else if (ex->stopping)
		reason = "stopping";
	pthread_mutex_unlock(&ex->lock);

	ex->drv->close(conn);
	log_event(healthy ? LOG_INFO : LOG_WARN, "disconnect",
	    "{s:s,s:s,s:s}", "connector", line->id, "device", dev->id,
	    "reason", reason);
	pthread_mutex_lock(&ex->lock);
	session_end(ex, device);
	/*
	 * Reported under the lock (the sink only touches the snapshot when
	 * there is no error), so that a WAITING reported by a submit right
	 * after cannot be overwritten by this older IDLE.
	 */
	report_state(ex, device, d->state, NULL);
	pthread_mutex_unlock(&ex->lock);
}

/* ---- public API ------------------------------------------------------ */

struct executor *
executor_new(const struct model *m, const struct executor_params *params,
    struct driver *drv, struct clock *clk, const struct executor_sink *sink)
{
	struct executor *ex = xcalloc(1, sizeof *ex);
	sigset_t all, old;

	ex->m = m;
	ex->p = *params;
	if (ex->p.threads < 1)
		ex->p.threads = 1;
	if (ex->p.retries < 1)
		ex->p.retries = 1;
	if (ex->p.pool_idle_ms <= 0)
		ex->p.pool_idle_ms = POOL_IDLE_MS;
	ex->drv = drv;
	ex->clk = clk;
	ex->sink = *sink;
	pthread_mutex_init(&ex->lock, NULL);
	clock_cond_init(&ex->dispatch_cv);
	clock_cond_init(&ex->session_cv);
	clock_cond_init(&ex->pool_cv);
	ex->devs = xcalloc(m->ndevices + 1, sizeof *ex->devs);
	ex->alone = xcalloc(m->npoints + 1, sizeof *ex->alone);
	ex->plan_generation = 1;
	ex->lines = xcalloc(m->nconnectors + 1, sizeof *ex->lines);
	for (size_t i = 0; i < m->nconnectors; i++)
		ex->lines[i].busy_device = -1;
	/* No guard at start: nothing has been connected yet. */
	for (size_t i = 0; i < m->nconnectors; i++)
		ex->lines[i].guard_until = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_create(&ex->dispatcher, NULL, dispatcher_main, ex);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ex;
}

/* Queue t for device (rules 3, 7); cancel it, recorded, when it cannot. */
static uint64_t
submit_task(struct executor *ex, size_t device, struct task *t)
{
	struct device_run *d = &ex->devs[device];
	bool cancel = false, stopping;
	uint64_t id;

	pthread_mutex_lock(&ex->lock);
	id = t->id = ++ex->next_task_id;
	t->queued_ms = clock_mono_ms(ex->clk);
	stopping = ex->stopping;
	if (stopping || d->hard_error_until > t->queued_ms) {
		cancel = true;
	} else {
		if (d->tail != NULL)
			d->tail->next = t;
		else {
			d->head = t;
			d->waiting_since = t->queued_ms;
		}
		d->tail = t;
		d->queued++;
		if (d->state == DEVICE_IDLE) {
			/*
			 * Reported under the lock so that it cannot overtake
			 * the CONNECTING of a session that starts at once.
			 * The sink only updates the state snapshot here.
			 */
			d->state = DEVICE_WAITING;
			report_state(ex, device, DEVICE_WAITING, NULL);
			pthread_cond_signal(&ex->dispatch_cv);
		}
		/*
		 * Wake sessions only when one may care: this device's own
		 * session in keep-alive, or a max-hold line where another
		 * device now waits.  A task queued by the session's own
		 * thread (from the sink) needs no wake-up at all.
		 */
		if (d->state == DEVICE_CONNECTED ||
		    ex->m->connectors[ex->m->devices[device].connector]
		    .max_hold_ms > 0)
			pthread_cond_broadcast(&ex->session_cv);
	}
	pthread_mutex_unlock(&ex->lock);

	if (cancel) {
		cancel_task(ex, device, t, stopping ? COLLECT_CANCELLED :
		    COLLECT_HARD_ERROR, stopping ? "executor stopping" :
		    "device in HardError");
		task_free(t);
		return 0;
	}
	return id;      /* not t->id: a worker may already have freed t */
}

uint64_t
executor_submit_read(struct executor *ex, size_t device, const size_t *points,
    size_t npoints)
{
	struct task *t = xcalloc(1, sizeof *t);

	t->kind = TASK_READ_POINTS;
	t->points = xcalloc(npoints + 1, sizeof *t->points);
	memcpy(t->points, points, npoints * sizeof *points);
	t->npoints = npoints;
	return submit_task(ex, device, t);
}

uint64_t
executor_submit_spectrum(struct executor *ex, size_t device, size_t spectrum)
{
	struct task *t = xcalloc(1, sizeof *t);

	t->kind = TASK_READ_SPECTRUM;
	t->index = spectrum;
	return submit_task(ex, device, t);
}

/* An immediate task refused before it is queued: say why, return 0. */
static uint64_t
refuse_command(struct executor *ex, size_t device, enum task_kind kind,
    size_t index, const char *why)
{
	log_event(LOG_WARN, "command_refused", "{s:s,s:s}",
	    "device", device_id(ex, device), "reason", why);
	if (ex->sink.command_done != NULL)
		ex->sink.command_done(ex->sink.ctx, device, kind, index, false,
		    why);
	return 0;
}

uint64_t
executor_submit_write(struct executor *ex, size_t point, double value)
{
	const struct point *p = &ex->m->points[point];
	struct task *t;

	if (!p->writable)
		return refuse_command(ex, p->device, TASK_WRITE_POINT, point,
		    "point is not writable");
	if (!isfinite(value))
		return refuse_command(ex, p->device, TASK_WRITE_POINT, point,
		    "value is not a number");
	t = xcalloc(1, sizeof *t);
	t->kind = TASK_WRITE_POINT;
	t->points = xcalloc(1, sizeof *t->points);
	t->points[0] = point;
	t->npoints = 1;
	t->value = value;
	return submit_task(ex, p->device, t);
}

uint64_t
executor_submit_set_clock(struct executor *ex, size_t device)
{
	struct task *t;

	if (ex->m->devices[device].clock_address < 0)
		return refuse_command(ex, device, TASK_SET_CLOCK, device,
		    "device has no clock configured");
	t = xcalloc(1, sizeof *t);
	t->kind = TASK_SET_CLOCK;
	t->index = device;
	return submit_task(ex, device, t);
}

bool
executor_task_queued(struct executor *ex, size_t device, uint64_t id)
{
	bool found = false;

	pthread_mutex_lock(&ex->lock);
	for (struct task *t = ex->devs[device].head; t != NULL; t = t->next)
		if (t->id == id) {
			found = true;
			break;
		}
	pthread_mutex_unlock(&ex->lock);
	return found;
}

size_t
executor_queued(struct executor *ex, size_t device)
{
	size_t n;

	pthread_mutex_lock(&ex->lock);
	n = ex->devs[device].queued;
	pthread_mutex_unlock(&ex->lock);
	return n;
}

char *
executor_describe_plan(struct executor *ex, size_t device)
{
	char *plan;

	pthread_mutex_lock(&ex->lock);
	plan = readplan_describe(ex->m, device, ex->alone);
	pthread_mutex_unlock(&ex->lock);
	return plan;
}

unsigned
executor_plan_generation(struct executor *ex)
{
	unsigned g;

	pthread_mutex_lock(&ex->lock);
	g = ex->plan_generation;
	pthread_mutex_unlock(&ex->lock);
	return g;
}

int
executor_threads(struct executor *ex)
{
	int n;

	pthread_mutex_lock(&ex->lock);
	n = ex->threads;
	pthread_mutex_unlock(&ex->lock);
	return n;
}

int64_t
executor_guard_until(struct executor *ex, size_t line)
{
	int64_t until;

	pthread_mutex_lock(&ex->lock);
	until = ex->lines[line].guard_until;
	pthread_mutex_unlock(&ex->lock);
	return until;
}

void
executor_set_guard_until(struct executor *ex, size_t line, int64_t until)
{
	pthread_mutex_lock(&ex->lock);
	ex->lines[line].guard_until = until;
	pthread_cond_signal(&ex->dispatch_cv);
	pthread_mutex_unlock(&ex->lock);
}

void
executor_device_memory(struct executor *ex, size_t device,
    struct device_memory *out)
{
	pthread_mutex_lock(&ex->lock);
	out->failures = ex->devs[device].failures;
	out->hard_error_until = ex->devs[device].hard_error_until;
	pthread_mutex_unlock(&ex->lock);
}

void
executor_set_device_memory(struct executor *ex, size_t device,
    const struct device_memory *in)
{
	pthread_mutex_lock(&ex->lock);
	ex->devs[device].failures = in->failures;
	ex->devs[device].hard_error_until = in->hard_error_until;
	if (in->hard_error_until > clock_mono_ms(ex->clk)) {
		ex->devs[device].state = DEVICE_HARD_ERROR;
		report_state(ex, device, DEVICE_HARD_ERROR, NULL);
	}
	pthread_cond_signal(&ex->dispatch_cv);
	pthread_mutex_unlock(&ex->lock);
}

void
executor_stop(struct executor *ex)
{
	pthread_mutex_lock(&ex->lock);
	if (ex->stopped) {
		pthread_mutex_unlock(&ex->lock);
		return;
	}
	ex->stopped = true;
	ex->stopping = true;
	pthread_cond_broadcast(&ex->dispatch_cv);
	pthread_cond_broadcast(&ex->session_cv);
	pthread_cond_broadcast(&ex->pool_cv);
	pthread_mutex_unlock(&ex->lock);
	pthread_join(ex->dispatcher, NULL);

	/* Sessions finish their current task and close; then cancel the rest. */
	pthread_mutex_lock(&ex->lock);
	while (ex->threads > 0) {
		pthread_cond_broadcast(&ex->pool_cv);
		pthread_cond_wait(&ex->pool_cv, &ex->lock);
	}
	reap_zombies(ex);
	while (ex->jobs_head != NULL) {
		struct session_job *j = ex->jobs_head;
		ex->jobs_head = j->next;
		free(j);
	}
	pthread_mutex_unlock(&ex->lock);

	for (size_t i = 0; i < ex->m->ndevices; i++) {
		pthread_mutex_lock(&ex->lock);
		struct task *list = take_queue(ex, i);
		pthread_mutex_unlock(&ex->lock);
		cancel_list(ex, i, list, COLLECT_CANCELLED,
		    "executor stopping");
	}
}

void
executor_free(struct executor *ex)
{
	if (ex == NULL)
		return;
	executor_stop(ex);
	free(ex->zombies);
	free(ex->devs);
	free(ex->alone);
	free(ex->lines);
	pthread_cond_destroy(&ex->dispatch_cv);
	pthread_cond_destroy(&ex->session_cv);
	pthread_cond_destroy(&ex->pool_cv);
	pthread_mutex_destroy(&ex->lock);
	free(ex);
}
