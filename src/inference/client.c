/*
 * client.c: the inference client thread (see client.h for the contract).
 *
 * The thread does one request at a time: spectra arrive every second or
 * two and a predict takes well under a millisecond, so there is nothing to
 * gain from several in flight, and one outstanding request id makes every
 * other reply a stray one.  The loop:
 *
 *   1. take the oldest queued spectrum (the engine's or a re-predict) and
 *      predict it: store the predictions, or an error record;
 *   2. when the heartbeat is due, send one;
 *   3. publish the link (state, percentiles, counters) and, after a
 *      predict, a new view;
 *   4. wait on the wake descriptor until the next heartbeat.
 *
 * Each request goes through the link (link.h): a deadline of the timeout,
 * and a new socket after a timeout or a reply it cannot trust.
 *
 * The wake descriptor (an eventfd) is in every poll, so stopping never
 * waits for a timeout, and submit/repredict never wait for the thread.
 */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "collect/driver.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/util.h"
#include "inference/client.h"
#include "inference/health.h"
#include "inference/link.h"
#include "inference/protocol.h"

#define PUBLISH_MS 1000                 /* link figures, at least this often */

struct job {
	char spectrum_id[INFER_ID_MAX];
	char batch_id[MODEL_ID_MAX];    /* "" none */
	int64_t ts_us;
	float *pixels;
	size_t n;
	bool repredict;                 /* asked by the operator */
};

struct infer_client {
	struct inference_config cfg;
	char endpoint[MODEL_TEXT_MAX];
	char id_prefix[48];
	struct spool *spool;
	struct state *state;
	void *zctx;
	struct infer_link *link;
	int wake_fd;
	pthread_t thread;
	atomic_bool stop;

	pthread_mutex_t lock;           /* the queue and the latest spectrum */
	struct job *queue;              /* ring of cfg.queue_max */
	size_t qhead, qlen;
	struct job latest;              /* pixels NULL: none yet */
	uint64_t queue_dropped;         /* under lock */

	/* The thread's own from here on. */
	int64_t started_ms, next_heartbeat_ms, next_publish_ms;
	int64_t last_good_heartbeat_ms, last_problem_ms;
	enum link_state published;
	struct latency_window lat;
	struct infer_status st;
	struct infer_view *view;        /* the last published, or NULL */
	uint64_t rejected_here;         /* replies of another model */
	char stored_id[INFER_ID_MAX];   /* the last predictions stored: */
	int64_t stored_ts_us;           /* of this spectrum */
	struct infer_msg req, rep;      /* large: not on the stack */
	float *rep_pixels;
};

static void
wake(struct infer_client *c)
{
	uint64_t one = 1;

	if (write(c->wake_fd, &one, sizeof one) < 0) {
		/* Full counter: the thread is woken anyway. */
	}
}

static void
drain_wake(struct infer_client *c)
{
	uint64_t v;

	if (read(c->wake_fd, &v, sizeof v) < 0) {
		/* EAGAIN: nothing to drain. */
	}
}

/* One request on the link; its counters into the published figures. */
static enum infer_outcome
request(struct infer_client *c, double *rtt_ms, char *err, size_t errlen)
{
	enum infer_outcome o;
	const struct infer_link_counters *n;

	c->rep.pixels = c->rep_pixels;
	c->rep.pixels_cap = INFER_MAX_PIXELS;
	o = infer_link_request(c->link, &c->req, &c->rep, rtt_ms, err,
	    errlen);
	n = infer_link_counters(c->link);
	c->st.requests = n->requests;
	c->st.timeouts = n->timeouts;
	c->st.late_replies = n->late_replies;
	c->st.rejected = n->rejected + c->rejected_here;
	c->st.server_errors = n->server_errors;
	c->st.rebuilds = n->rebuilds;
	return o;
}

/* --- what the thread does -------------------------------------------------- */

static void
note_problem(struct infer_client *c, const char *what, const char *err)
{
	char text[1024];

	c->last_problem_ms = clock_mono_ms(clock_real());
	c->st.last_error_us = clock_real_us(clock_real());
	snprintf(text, sizeof text, "%s: %s", what, err);
	str_copy(c->st.last_error, text, sizeof c->st.last_error);
}

/* An error record of spectrum (id, ts): code is an enum collect_code. */
static void
store_error(struct spool *sp, const char *spectrum_id, int64_t ts_us,
    int code, const char *err)
{
	struct spool_error rec = {
	    .device_id = INFER_DEVICE_ID, .point_id = spectrum_id,
	    .code = code, .description = err, .ts_us = ts_us };

	if (spool_put_retry(sp, NULL, 0, &rec, 1) != 0)
		log_event(LOG_ERROR, "spool_write_failed", "{s:s,s:s}",
		    "spectrum", spectrum_id, "error", spool_last_error(sp));
}

static int
outcome_code(enum infer_outcome o)
{
	switch (o) {
	case INFER_TIMEOUT: return COLLECT_TIMEOUT;
	case INFER_SERVER_ERROR: return COLLECT_REMOTE_ERROR;
	case INFER_BAD_REQUEST: return COLLECT_BAD_VALUE;
	case INFER_STOPPED: return COLLECT_CANCELLED;
	case INFER_OK: return COLLECT_IO;       /* the spool refused */
	case INFER_REJECTED: break;
	}
	return COLLECT_MALFORMED;
}

/* The characters of a point id (and of a protocol request id). */
static bool
is_id_char(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '-' || ch == '.';
}

/* Output names become point ids: the characters of an id only. */
static bool
name_is_id(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!is_id_char(*s))
			return false;
	return true;
}

/* Predictions of j (in c->rep) into the spool and a new view. */
static int
store_predictions(struct infer_client *c, const struct job *j,
    struct infer_view *v, char *err, size_t errlen)
{
	struct spool_sample s[INFER_MAX_OUTPUTS];
	char points[INFER_MAX_OUTPUTS][2 * INFER_ID_MAX];
	char tag[2 * INFER_ID_MAX];

	/* A re-predict of a spectrum already stored shows, never stores
	 * twice: (point, time) stays unique. */
	if (strcmp(c->stored_id, j->spectrum_id) == 0 &&
	    c->stored_ts_us == j->ts_us)
		return 0;
	snprintf(tag, sizeof tag, "%s@%s", c->rep.model,
	    c->rep.model_version);
	for (size_t i = 0; i < c->rep.noutputs; i++) {
		snprintf(points[i], sizeof points[i], "%s.%s", j->spectrum_id,
		    c->rep.outputs[i].name);
		s[i] = (struct spool_sample){ .point_id = points[i],
		    .value = c->rep.outputs[i].value, .quality = QUALITY_GOOD,
		    .ts_us = j->ts_us, .tag = tag,
		    .batch_id = j->batch_id[0] ? j->batch_id : NULL };
	}
	if (spool_put_retry(c->spool, s, c->rep.noutputs, NULL, 0) != 0) {
		snprintf(err, errlen, "cannot store predictions: %s",
		    spool_last_error(c->spool));
		return -1;
	}
	for (size_t i = 0; i < c->rep.noutputs; i++)
		infer_view_add(v, c->rep.outputs[i].name,
		    c->rep.outputs[i].unit, points[i], j->ts_us,
		    c->rep.outputs[i].value);
	str_copy(c->stored_id, j->spectrum_id, sizeof c->stored_id);
	c->stored_ts_us = j->ts_us;
	return 0;
}

/* Command result of a re-predict: the values, or why not. */
static void
report_repredict(struct infer_client *c, const struct job *j, bool ok,
    const char *err)
{
	char text[192];
	size_t len;

	if (!ok) {
		snprintf(text, sizeof text, _("%s: re-predict failed: %s"),
		    j->spectrum_id, err);
		state_set_command_result(c->state, false, text);
		return;
	}
	len = (size_t)snprintf(text, sizeof text, _("%s re-predicted:"),
	    j->spectrum_id);
	for (size_t i = 0; i < c->rep.noutputs && len < sizeof text; i++)
		len += (size_t)snprintf(text + len, sizeof text - len,
		    " %s %.4g %s", c->rep.outputs[i].name,
		    c->rep.outputs[i].value, c->rep.outputs[i].unit);
	state_set_command_result(c->state, true, text);
}

static void
do_predict(struct infer_client *c, const struct job *j)
{
	struct infer_view *v = infer_view_new(c->view);
	char err[512] = "";
	double rtt = 0;
	enum infer_outcome o;

	memset(&c->req, 0, sizeof c->req);
	c->req.type = INFER_PREDICT;
	str_copy(c->req.model, c->cfg.model, sizeof c->req.model);
	str_copy(c->req.spectrum, j->spectrum_id, sizeof c->req.spectrum);
	c->req.ts_us = j->ts_us;
	c->req.pixels = j->pixels;
	c->req.pixels_cap = c->req.npixels = j->n;
	infer_view_set_spectrum(v, j->spectrum_id, j->ts_us, j->pixels, j->n);
	o = request(c, &rtt, err, sizeof err);
	if (o == INFER_STOPPED) {
		store_error(c->spool, j->spectrum_id, j->ts_us,
		    COLLECT_CANCELLED, "not predicted: the inference client "
		    "stopped");
		infer_view_release(v);
		return;
	}
	if (o == INFER_OK && strcmp(c->rep.model, c->cfg.model) != 0) {
		snprintf(err, sizeof err, "predictions of model %s, asked %s",
		    c->rep.model, c->cfg.model);
		c->rejected_here++;
		c->st.rejected++;
		o = INFER_REJECTED;
	}
	for (size_t i = 0; o == INFER_OK && i < c->rep.noutputs; i++)
		if (!name_is_id(c->rep.outputs[i].name)) {
			snprintf(err, sizeof err, "output name \"%s\" cannot "
			    "be part of a point id", c->rep.outputs[i].name);
			c->rejected_here++;
			c->st.rejected++;
			o = INFER_REJECTED;
		}
	if (o == INFER_OK && store_predictions(c, j, v, err, sizeof err) == 0) {
		latency_add(&c->lat, rtt);
		c->st.predictions++;
		c->st.last_prediction_us = clock_real_us(clock_real());
		str_copy(c->st.model_version, c->rep.model_version,
		    sizeof c->st.model_version);
		v->predicted = true;
	} else {
		/* The spool refusing or a spectrum we cannot send is not
		 * the link's problem. */
		if (o != INFER_OK && o != INFER_BAD_REQUEST)
			note_problem(c, j->spectrum_id, err);
		store_error(c->spool, j->spectrum_id, j->ts_us,
		    outcome_code(o), err);
		str_copy(v->spectrum_error, err, sizeof v->spectrum_error);
		log_event(LOG_WARN, "inference_failed", "{s:s,s:s}",
		    "spectrum", j->spectrum_id, "error", err);
	}
	if (j->repredict)
		report_repredict(c, j, v->predicted, err);
	infer_view_release(c->view);
	c->view = v;
	infer_view_acquire(v);          /* one for us, one for the state */
	state_set_inference(c->state, c->published, &c->st, v);
}

static void
do_heartbeat(struct infer_client *c)
{
	char err[512] = "";
	double rtt = 0;
	enum infer_outcome o;

	memset(&c->req, 0, sizeof c->req);
	c->req.type = INFER_HEARTBEAT;
	o = request(c, &rtt, err, sizeof err);
	if (o == INFER_STOPPED)
		return;
	if (o != INFER_OK) {
		note_problem(c, "heartbeat", err);
		return;
	}
	c->last_good_heartbeat_ms = clock_mono_ms(clock_real());
	c->st.last_heartbeat_us = clock_real_us(clock_real());
	if (c->st.server[0] != '\0' && (strcmp(c->st.server,
	    c->rep.server) != 0 || c->rep.uptime_s < c->st.uptime_s))
		log_event(LOG_WARN, "inference_server_restarted",
		    "{s:s,s:s,s:f}", "was", c->st.server, "now", c->rep.server,
		    "uptime_s", c->rep.uptime_s);
	str_copy(c->st.server, c->rep.server, sizeof c->st.server);
	c->st.uptime_s = c->rep.uptime_s;
	for (size_t i = 0; i < c->rep.nmodels; i++)
		if (strcmp(c->rep.models[i].id, c->cfg.model) == 0)
			str_copy(c->st.model_version, c->rep.models[i].version,
			    sizeof c->st.model_version);
}

/* Recompute the link state and publish it when due or changed. */
static void
publish(struct infer_client *c, bool force)
{
	int64_t now = clock_mono_ms(clock_real());
	struct infer_health_input in = {
	    .now_ms = now, .started_ms = c->started_ms,
	    .last_good_heartbeat_ms = c->last_good_heartbeat_ms,
	    .last_problem_ms = c->last_problem_ms,
	    .heartbeat_ms = c->cfg.heartbeat_ms,
	    .timeout_ms = c->cfg.timeout_ms,
	    .target_p95_ms = c->cfg.target_p95_ms };
	enum link_state s;

	latency_percentiles(&c->lat, &c->st.p50_ms, &c->st.p95_ms,
	    &c->st.p99_ms, &c->st.max_ms);
	c->st.latency_n = c->lat.n;
	in.p95_ms = c->st.p95_ms;
	in.latency_n = c->lat.n;
	s = infer_health(&in);
	pthread_mutex_lock(&c->lock);
	c->st.queue_dropped = c->queue_dropped;
	pthread_mutex_unlock(&c->lock);
	if (s != c->published) {
		log_event(s == LINK_UP ? LOG_INFO : LOG_WARN, "inference_link",
		    "{s:s,s:s,s:s,s:s}", "from", link_state_name(c->published),
		    "to", link_state_name(s), "endpoint", c->endpoint,
		    "last_error", c->st.last_error);
		c->published = s;
		force = true;
	}
	if (s == LINK_UP)
		c->st.last_error[0] = '\0';
	if (force || now >= c->next_publish_ms) {
		state_set_inference(c->state, s, &c->st, NULL);
		c->next_publish_ms = now + PUBLISH_MS;
	}
}

static bool
pop_job(struct infer_client *c, struct job *out)
{
	bool got = false;

	pthread_mutex_lock(&c->lock);
	if (c->qlen > 0) {
		*out = c->queue[c->qhead];
		c->qhead = (c->qhead + 1) % (size_t)c->cfg.queue_max;
		c->qlen--;
		got = true;
	}
	pthread_mutex_unlock(&c->lock);
	return got;
}

static void *
client_main(void *arg)
{
	struct infer_client *c = arg;
	struct job j;

	while (!atomic_load(&c->stop)) {
		int64_t now, wait_ms;
		struct pollfd pfd = { c->wake_fd, POLLIN, 0 };

		now = clock_mono_ms(clock_real());
		/* A due heartbeat first: a busy queue must not hide a dead
		 * host. */
		if (now < c->next_heartbeat_ms && pop_job(c, &j)) {
			do_predict(c, &j);
			free(j.pixels);
			publish(c, false);
			continue;
		}
		if (now >= c->next_heartbeat_ms) {
			int64_t end;

			do_heartbeat(c);
			/* On the interval's grid, but at least half an interval
			 * after this one ended: an unanswered heartbeat takes
			 * the whole timeout, and the queue must get its turn. */
			end = clock_mono_ms(clock_real());
			c->next_heartbeat_ms = now + c->cfg.heartbeat_ms;
			if (c->next_heartbeat_ms < end + c->cfg.heartbeat_ms / 2)
				c->next_heartbeat_ms = end +
				    c->cfg.heartbeat_ms / 2;
			publish(c, false);
			continue;
		}
		publish(c, false);
		wait_ms = c->next_heartbeat_ms - now;
		if (c->next_publish_ms - now < wait_ms)
			wait_ms = c->next_publish_ms - now;
		if (wait_ms < 1)
			wait_ms = 1;
		if (poll(&pfd, 1, (int)wait_ms) > 0)
			drain_wake(c);
	}
	return NULL;
}

/* --- the engine's side ------------------------------------------------------ */

static void
job_free(struct job *j)
{
	free(j->pixels);
	j->pixels = NULL;
}

/* Queue j (taken), dropping the oldest waiting one when full (lock held). */
static void
enqueue_locked(struct infer_client *c, struct job *j, struct job *dropped)
{
	size_t cap = (size_t)c->cfg.queue_max;

	dropped->pixels = NULL;
	if (c->qlen == cap) {
		*dropped = c->queue[c->qhead];
		c->qhead = (c->qhead + 1) % cap;
		c->qlen--;
		c->queue_dropped++;
	}
	c->queue[(c->qhead + c->qlen) % cap] = *j;
	c->qlen++;
}

static void
job_copy(struct job *dst, const struct job *src)
{
	*dst = *src;
	dst->pixels = xmalloc((src->n > 0 ? src->n : 1) * sizeof *dst->pixels);
	memcpy(dst->pixels, src->pixels, src->n * sizeof *dst->pixels);
}

#define QUEUE_FULL "not predicted: the inference queue is full (host too " \
	"slow or down)"

/* A spectrum that will not be predicted: an error record, then freed. */
static void
drop_job(struct infer_client *c, struct job *j, const char *why)
{
	if (j->pixels == NULL)
		return;
	if (!j->repredict)      /* its own first attempt has its record */
		store_error(c->spool, j->spectrum_id, j->ts_us,
		    COLLECT_CANCELLED, why);
	job_free(j);
}

void
infer_client_submit(struct infer_client *c, const char *spectrum_id,
    int64_t ts_us, const double *pixels, size_t n, const char *batch_id)
{
	struct job j = { .ts_us = ts_us, .n = n }, latest, dropped;

	if (c == NULL)
		return;
	/* A pixel float32 cannot carry never reaches the wire: the gateway
	 * sent something wrong, not the inference host. */
	for (size_t i = 0; i < n; i++)
		if (!isfinite(pixels[i]) || fabs(pixels[i]) > FLT_MAX) {
			char why[128];

			snprintf(why, sizeof why, "not predicted: pixel %zu is "
			    "%g, not a float32 number", i, pixels[i]);
			store_error(c->spool, spectrum_id, ts_us,
			    COLLECT_BAD_VALUE, why);
			return;
		}
	str_copy(j.spectrum_id, spectrum_id, sizeof j.spectrum_id);
	str_copy(j.batch_id, batch_id != NULL ? batch_id : "",
	    sizeof j.batch_id);
	j.pixels = xmalloc((n > 0 ? n : 1) * sizeof *j.pixels);
	for (size_t i = 0; i < n; i++)
		j.pixels[i] = (float)pixels[i];
	job_copy(&latest, &j);
	pthread_mutex_lock(&c->lock);
	job_free(&c->latest);
	c->latest = latest;
	enqueue_locked(c, &j, &dropped);
	pthread_mutex_unlock(&c->lock);
	drop_job(c, &dropped, QUEUE_FULL);
	wake(c);
}

bool
infer_client_repredict(struct infer_client *c)
{
	struct job j, dropped = { .pixels = NULL };
	bool have;

	if (c == NULL)
		return false;
	pthread_mutex_lock(&c->lock);
	have = c->latest.pixels != NULL;
	if (have) {
		job_copy(&j, &c->latest);
		j.repredict = true;
		enqueue_locked(c, &j, &dropped);
	}
	pthread_mutex_unlock(&c->lock);
	drop_job(c, &dropped, QUEUE_FULL);
	if (have)
		wake(c);
	return have;
}

/*
 * "console-pid": request ids are printable ASCII (protocol.h), whatever
 * the console id holds; the pid tells two consoles' requests apart.
 */
static void
make_id_prefix(char *out, size_t len, const char *console_id)
{
	char safe[25];
	size_t i;

	for (i = 0; console_id[i] != '\0' && i + 1 < sizeof safe; i++)
		safe[i] = is_id_char(console_id[i]) ? console_id[i] : '_';
	safe[i] = '\0';
	snprintf(out, len, "%s-%lx", i > 0 ? safe : "jope",
	    (unsigned long)getpid());
}

struct infer_client *
infer_client_start(const struct app_config *app, struct spool *spool,
    struct state *st, char *err, size_t errlen)
{
	struct infer_client *c = xcalloc(1, sizeof *c);
	sigset_t all, old;
	int rc;

	c->cfg = app->inference;
	str_copy(c->endpoint, app->inference_endpoint, sizeof c->endpoint);
	make_id_prefix(c->id_prefix, sizeof c->id_prefix, app->console_id);
	c->spool = spool;
	c->state = st;
	c->queue = xcalloc((size_t)c->cfg.queue_max, sizeof *c->queue);
	c->rep_pixels = xcalloc(INFER_MAX_PIXELS, sizeof *c->rep_pixels);
	latency_init(&c->lat, (size_t)c->cfg.latency_window);
	str_copy(c->st.endpoint, c->endpoint, sizeof c->st.endpoint);
	str_copy(c->st.model, c->cfg.model, sizeof c->st.model);
	c->st.latency_window = (size_t)c->cfg.latency_window;
	c->st.target_p95_ms = c->cfg.target_p95_ms;
	c->published = LINK_UNKNOWN;
	c->started_ms = clock_mono_ms(clock_real());
	c->next_heartbeat_ms = c->started_ms;
	atomic_init(&c->stop, false);
	pthread_mutex_init(&c->lock, NULL);
	c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->zctx = zmq_ctx_new();
	if (c->wake_fd < 0 || c->zctx == NULL) {
		snprintf(err, errlen, _("cannot start the inference client: "
		    "%s"), strerror(errno));
		goto fail;
	}
	zmq_ctx_set(c->zctx, ZMQ_BLOCKY, 0);
	c->link = infer_link_new(c->zctx, c->endpoint, c->id_prefix,
	    c->cfg.timeout_ms, c->wake_fd, &c->stop, err, errlen);
	if (c->link == NULL)
		goto fail;
	state_set_inference(st, LINK_UNKNOWN, &c->st, NULL);
	/* Signals are the UI thread's (DESIGN.md). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&c->thread, NULL, client_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, _("cannot start the inference client: "
		    "%s"), strerror(rc));
		goto fail;
	}
	log_event(LOG_INFO, "inference_start", "{s:s,s:s,s:I,s:I}",
	    "endpoint", c->endpoint, "model", c->cfg.model,
	    "timeout_ms", (json_int_t)c->cfg.timeout_ms,
	    "heartbeat_ms", (json_int_t)c->cfg.heartbeat_ms);
	return c;
fail:
	infer_link_free(c->link);
	if (c->zctx != NULL)
		zmq_ctx_term(c->zctx);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	latency_free(&c->lat);
	pthread_mutex_destroy(&c->lock);
	free(c->queue);
	free(c->rep_pixels);
	free(c);
	return NULL;
}

void
infer_client_stop(struct infer_client *c)
{
	struct job j;

	if (c == NULL)
		return;
	atomic_store(&c->stop, true);
	wake(c);
	pthread_join(c->thread, NULL);
	while (pop_job(c, &j))
		drop_job(c, &j, "not predicted: the inference client stopped");
	job_free(&c->latest);
	infer_link_free(c->link);
	zmq_ctx_term(c->zctx);
	close(c->wake_fd);
	infer_view_release(c->view);
	latency_free(&c->lat);
	pthread_mutex_destroy(&c->lock);
	free(c->queue);
	free(c->rep_pixels);
	log_event(LOG_INFO, "inference_stop", "{s:I,s:I,s:I}",
	    "requests", (json_int_t)c->st.requests,
	    "predictions", (json_int_t)c->st.predictions,
	    "timeouts", (json_int_t)c->st.timeouts);
	free(c);
}
