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
 * A request: wait (at most the timeout) for the socket to be writable (with
 * ZMQ_IMMEDIATE it is not until a connection is up, so nothing queues for a
 * dead host), send [empty delimiter, header, pixels?] (the REQ envelope, so
 * any ROUTER server answers it), then wait for the reply until the same
 * deadline.  Whatever does not decode (protocol.h), carries another id or
 * lacks the delimiter is rejected; the request then fails and the socket
 * is rebuilt, as after a timeout: a lazy pirate, whose old socket takes
 * any late reply with it.  ZMQ_MAXMSGSIZE makes libzmq drop an oversized
 * message before it is ever buffered whole.
 *
 * The wake descriptor (an eventfd) is in every poll, so stopping never
 * waits for a timeout, and submit/repredict never wait for the thread.
 */
#include "config.h"

#include <errno.h>
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
#include "inference/protocol.h"

#define PUBLISH_MS 1000                 /* link figures, at least this often */
#define MAX_REPLY_FRAMES 4              /* delimiter, header, and spares */

struct job {
	char spectrum_id[INFER_ID_MAX];
	char batch_id[MODEL_ID_MAX];    /* "" none */
	int64_t ts_us;
	float *pixels;
	size_t n;
	bool repredict;                 /* asked by the operator */
};

enum outcome {
	REQ_OK,
	REQ_TIMEOUT,            /* not sent or not answered in time */
	REQ_REJECTED,           /* a reply we cannot use */
	REQ_SERVER_ERROR,       /* an error reply */
	REQ_STOPPED
};

struct infer_client {
	struct inference_config cfg;
	char endpoint[MODEL_TEXT_MAX];
	char id_prefix[48];
	struct spool *spool;
	struct state *state;
	void *zctx;
	void *sock;                     /* NULL: to be made */
	int wake_fd;
	pthread_t thread;
	atomic_bool stop;

	pthread_mutex_t lock;           /* the queue and the latest spectrum */
	struct job *queue;              /* ring of cfg.queue_max */
	size_t qhead, qlen;
	struct job latest;              /* pixels NULL: none yet */
	uint64_t queue_dropped;         /* under lock */

	/* The thread's own from here on. */
	uint64_t next_id;
	int64_t started_ms, next_heartbeat_ms, next_publish_ms;
	int64_t last_good_heartbeat_ms, last_problem_ms;
	enum link_state published;
	struct latency_window lat;
	struct infer_status st;
	struct infer_view *view;        /* the last published, or NULL */
	struct infer_msg req, rep;      /* large: not on the stack */
	float *rep_pixels;
};

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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

/* --- the socket ---------------------------------------------------------- */

static void
close_socket(struct infer_client *c)
{
	if (c->sock != NULL)
		zmq_close(c->sock);
	c->sock = NULL;
}

static int
open_socket(struct infer_client *c, char *err, size_t errlen)
{
	int zero = 0, one = 1, hwm = 4, ivl = 100, ivl_max = 1000;
	int64_t maxsize = INFER_HEADER_MAX + 4 * (int64_t)INFER_MAX_PIXELS;

	c->sock = zmq_socket(c->zctx, ZMQ_DEALER);
	if (c->sock == NULL) {
		snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
		return -1;
	}
	zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(c->sock, ZMQ_IMMEDIATE, &one, sizeof one);
	zmq_setsockopt(c->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_setsockopt(c->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
	zmq_setsockopt(c->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
	zmq_setsockopt(c->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max,
	    sizeof ivl_max);
	zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize);
	if (zmq_connect(c->sock, c->endpoint) != 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", c->endpoint,
		    zmq_strerror(errno));
		close_socket(c);
		return -1;
	}
	return 0;
}

static void
rebuild_socket(struct infer_client *c)
{
	char err[256];

	close_socket(c);
	c->st.rebuilds++;
	if (open_socket(c, err, sizeof err) != 0)
		log_event(LOG_ERROR, "inference_socket", "{s:s}", "error", err);
}

/*
 * Wait until the socket has events (or the wake fd) or the deadline
 * passes.  1 when the socket is ready, 0 at the deadline, -1 stopped.
 */
static int
wait_socket(struct infer_client *c, short events, int64_t deadline_us)
{
	for (;;) {
		zmq_pollitem_t items[2] = {
		    { c->sock, 0, events, 0 },
		    { NULL, c->wake_fd, ZMQ_POLLIN, 0 } };
		int64_t left = deadline_us - mono_us();
		int rc;

		if (atomic_load(&c->stop))
			return -1;
		if (left < 0)
			left = 0;
		rc = zmq_poll(items, 2, (long)((left + 999) / 1000));
		if (rc < 0 && errno != EINTR)
			return 0;
		if (rc > 0 && (items[1].revents & ZMQ_POLLIN))
			drain_wake(c);          /* new work: the loop sees it */
		if (rc > 0 && (items[0].revents & events))
			return 1;
		if (mono_us() >= deadline_us)
			return 0;
	}
}

/* Send the message's frames after the empty delimiter; 0 or -1. */
static int
send_frames(struct infer_client *c, const struct infer_frame *f, int n)
{
	if (zmq_send(c->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) != 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (zmq_send(c->sock, f[i].data, f[i].len,
		    (i + 1 < n ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0)
			return -1;
	return 0;
}

/*
 * Receive one whole multipart message into c->rep.  REQ_OK, or
 * REQ_REJECTED with the reason (a message of too many frames is read to
 * its end and rejected).
 */
static enum outcome
recv_reply(struct infer_client *c, char *err, size_t errlen)
{
	zmq_msg_t msgs[MAX_REPLY_FRAMES];
	struct infer_frame frames[MAX_REPLY_FRAMES];
	size_t n = 0, total = 0;
	int more = 1;
	enum outcome out = REQ_OK;

	while (more) {
		zmq_msg_t m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			snprintf(err, errlen, "reply cut short: %s",
			    zmq_strerror(errno));
			out = REQ_REJECTED;
			break;
		}
		more = zmq_msg_more(&m);
		total++;
		if (n < MAX_REPLY_FRAMES)
			msgs[n++] = m;
		else
			zmq_msg_close(&m);
	}
	if (out == REQ_OK && total > MAX_REPLY_FRAMES) {
		snprintf(err, errlen, "reply of %zu frames, at most %d "
		    "expected", total, MAX_REPLY_FRAMES);
		out = REQ_REJECTED;
	}
	if (out == REQ_OK && (n < 2 || zmq_msg_size(&msgs[0]) != 0)) {
		snprintf(err, errlen, "reply without the empty delimiter "
		    "frame");
		out = REQ_REJECTED;
	}
	if (out == REQ_OK) {
		for (size_t i = 1; i < n; i++) {
			frames[i - 1].data = zmq_msg_data(&msgs[i]);
			frames[i - 1].len = zmq_msg_size(&msgs[i]);
		}
		c->rep.pixels = c->rep_pixels;
		c->rep.pixels_cap = INFER_MAX_PIXELS;
		if (infer_decode(frames, n - 1, &c->rep, err, errlen) != 0)
			out = REQ_REJECTED;
	}
	for (size_t i = 0; i < n; i++)
		zmq_msg_close(&msgs[i]);
	return out;
}

/* Whether id is one of ours sent before the outstanding request. */
static bool
is_earlier_request(const struct infer_client *c, const char *id)
{
	size_t n = strlen(c->id_prefix);
	char *end;
	unsigned long long k;

	if (strncmp(id, c->id_prefix, n) != 0 || id[n] != '-')
		return false;
	errno = 0;
	k = strtoull(id + n + 1, &end, 10);
	return errno == 0 && *end == '\0' && end != id + n + 1 &&
	    k < c->next_id;
}

/*
 * One request and its reply within the timeout; *rtt_ms is the round trip
 * of a good reply.  On anything but REQ_OK and REQ_SERVER_ERROR the socket
 * is rebuilt (the lazy pirate).
 */
static enum outcome
transact(struct infer_client *c, double *rtt_ms, char *err, size_t errlen)
{
	struct infer_frame frames[2];
	void *bin = NULL;
	int nframes, rc;
	int64_t t0 = mono_us();
	int64_t deadline = t0 + c->cfg.timeout_ms * 1000;
	enum outcome out;

	snprintf(c->req.id, sizeof c->req.id, "%s-%llu", c->id_prefix,
	    (unsigned long long)++c->next_id);
	nframes = infer_encode(&c->req, frames, &bin, err, errlen);
	if (nframes < 0)
		return REQ_REJECTED;    /* our own message: a bug, not the link */
	if (c->sock == NULL)
		rebuild_socket(c);
	c->st.requests++;
	rc = c->sock == NULL ? 0 : wait_socket(c, ZMQ_POLLOUT, deadline);
	if (rc == 1 && send_frames(c, frames, nframes) != 0) {
		snprintf(err, errlen, "cannot send to %s: %s", c->endpoint,
		    zmq_strerror(errno));
		rc = 0;
	} else if (rc == 0) {
		snprintf(err, errlen, "%s not reachable within %lld ms",
		    c->endpoint, (long long)c->cfg.timeout_ms);
	}
	free((void *)frames[0].data);
	free(bin);
	if (rc < 0)
		return REQ_STOPPED;
	if (rc == 0) {
		c->st.timeouts++;
		rebuild_socket(c);
		return REQ_TIMEOUT;
	}
	rc = wait_socket(c, ZMQ_POLLIN, deadline);
	if (rc < 0)
		return REQ_STOPPED;
	if (rc == 0) {
		snprintf(err, errlen, "no reply within %lld ms",
		    (long long)c->cfg.timeout_ms);
		c->st.timeouts++;
		rebuild_socket(c);
		return REQ_TIMEOUT;
	}
	out = recv_reply(c, err, errlen);
	if (out == REQ_OK && strcmp(c->rep.id, c->req.id) != 0) {
		snprintf(err, errlen, "reply to request %s, expected %s",
		    c->rep.id, c->req.id);
		if (is_earlier_request(c, c->rep.id))
			c->st.late_replies++;
		out = REQ_REJECTED;
	}
	if (out == REQ_OK && c->rep.type == INFER_ERROR) {
		snprintf(err, errlen, "server error %s: %s", c->rep.code,
		    c->rep.message);
		c->st.server_errors++;
		return REQ_SERVER_ERROR;
	}
	if (out == REQ_OK) {
		bool fits = c->req.type == INFER_PREDICT ?
		    c->rep.type == INFER_PREDICTIONS :
		    c->rep.type == c->req.type && c->rep.is_reply;

		if (!fits) {
			snprintf(err, errlen, "%s reply to a %s request",
			    infer_type_name(c->rep.type),
			    infer_type_name(c->req.type));
			out = REQ_REJECTED;
		}
	}
	if (out == REQ_REJECTED) {
		c->st.rejected++;
		rebuild_socket(c);
		return out;
	}
	*rtt_ms = (double)(mono_us() - t0) / 1000.0;
	return REQ_OK;
}

/* --- what the thread does -------------------------------------------------- */

static void
note_problem(struct infer_client *c, const char *what, const char *err)
{
	c->last_problem_ms = clock_mono_ms(clock_real());
	c->st.last_error_us = clock_real_us(clock_real());
	snprintf(c->st.last_error, sizeof c->st.last_error, "%s: %s", what,
	    err);
}

static void
store_error(struct infer_client *c, const struct job *j, enum outcome o,
    const char *err)
{
	struct spool_error rec = {
	    .device_id = INFER_DEVICE_ID, .point_id = j->spectrum_id,
	    .code = o == REQ_TIMEOUT ? COLLECT_TIMEOUT :
	    o == REQ_SERVER_ERROR ? COLLECT_REMOTE_ERROR : COLLECT_MALFORMED,
	    .description = err, .ts_us = j->ts_us };

	if (spool_put(c->spool, NULL, 0, &rec, 1) != 0)
		log_event(LOG_ERROR, "spool_write_failed", "{s:s,s:s}",
		    "spectrum", j->spectrum_id, "error",
		    spool_last_error(c->spool));
}

/* Predictions of j (in c->rep) into the spool and a new view. */
static int
store_predictions(struct infer_client *c, const struct job *j,
    struct infer_view *v, char *err, size_t errlen)
{
	struct spool_sample s[INFER_MAX_OUTPUTS];
	char points[INFER_MAX_OUTPUTS][2 * INFER_ID_MAX];
	char tag[2 * INFER_ID_MAX];

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
	if (spool_put(c->spool, s, c->rep.noutputs, NULL, 0) != 0) {
		snprintf(err, errlen, "cannot store predictions: %s",
		    spool_last_error(c->spool));
		return -1;
	}
	for (size_t i = 0; i < c->rep.noutputs; i++)
		infer_view_add(v, c->rep.outputs[i].name,
		    c->rep.outputs[i].unit, points[i], j->ts_us,
		    c->rep.outputs[i].value);
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
		    " %s %.3g %s", c->rep.outputs[i].name,
		    c->rep.outputs[i].value, c->rep.outputs[i].unit);
	state_set_command_result(c->state, true, text);
}

static void
do_predict(struct infer_client *c, const struct job *j)
{
	struct infer_view *v = infer_view_new(c->view);
	char err[512] = "";
	double rtt = 0;
	enum outcome o;

	memset(&c->req, 0, sizeof c->req);
	c->req.type = INFER_PREDICT;
	str_copy(c->req.model, c->cfg.model, sizeof c->req.model);
	str_copy(c->req.spectrum, j->spectrum_id, sizeof c->req.spectrum);
	c->req.ts_us = j->ts_us;
	c->req.pixels = j->pixels;
	c->req.pixels_cap = c->req.npixels = j->n;
	infer_view_set_spectrum(v, j->spectrum_id, j->ts_us, j->pixels, j->n);
	o = transact(c, &rtt, err, sizeof err);
	if (o == REQ_STOPPED) {
		infer_view_release(v);
		return;
	}
	if (o == REQ_OK && strcmp(c->rep.model, c->cfg.model) != 0) {
		snprintf(err, sizeof err, "predictions of model %s, asked %s",
		    c->rep.model, c->cfg.model);
		c->st.rejected++;
		o = REQ_REJECTED;
	}
	if (o == REQ_OK && store_predictions(c, j, v, err, sizeof err) == 0) {
		latency_add(&c->lat, rtt);
		c->st.predictions++;
		c->st.last_prediction_us = clock_real_us(clock_real());
		str_copy(c->st.model_version, c->rep.model_version,
		    sizeof c->st.model_version);
		v->predicted = true;
	} else {
		if (o == REQ_OK)        /* the spool refused: not the link */
			o = REQ_SERVER_ERROR;
		else
			note_problem(c, j->spectrum_id, err);
		store_error(c, j, o, err);
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
	enum outcome o;

	memset(&c->req, 0, sizeof c->req);
	c->req.type = INFER_HEARTBEAT;
	o = transact(c, &rtt, err, sizeof err);
	if (o == REQ_STOPPED)
		return;
	if (o != REQ_OK) {
		note_problem(c, "heartbeat", err);
		return;
	}
	c->last_good_heartbeat_ms = clock_mono_ms(clock_real());
	c->st.last_heartbeat_us = clock_real_us(clock_real());
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
			do_heartbeat(c);
			c->next_heartbeat_ms = now + c->cfg.heartbeat_ms;
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

void
infer_client_submit(struct infer_client *c, const char *spectrum_id,
    int64_t ts_us, const double *pixels, size_t n, const char *batch_id)
{
	struct job j = { .ts_us = ts_us, .n = n }, latest, dropped;

	if (c == NULL)
		return;
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
	if (dropped.pixels != NULL) {
		struct spool_error rec = {
		    .device_id = INFER_DEVICE_ID,
		    .point_id = dropped.spectrum_id,
		    .code = COLLECT_CANCELLED,
		    .description = "not predicted: the inference queue is "
		    "full (host too slow or down)", .ts_us = dropped.ts_us };

		if (spool_put(c->spool, NULL, 0, &rec, 1) != 0)
			log_event(LOG_ERROR, "spool_write_failed", "{s:s}",
			    "error", spool_last_error(c->spool));
		job_free(&dropped);
	}
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
	job_free(&dropped);
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

	for (i = 0; console_id[i] != '\0' && i + 1 < sizeof safe; i++) {
		char ch = console_id[i];

		safe[i] = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == '_' ||
		    ch == '-' ? ch : '_';
	}
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
	if (open_socket(c, err, errlen) != 0)
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
	close_socket(c);
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
		job_free(&j);
	job_free(&c->latest);
	close_socket(c);
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
