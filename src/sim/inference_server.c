/*
 * inference_server.c: the simulator's inference host, one thread, one
 * ROUTER socket.
 *
 * Why a thread and not the Modbus loop: a ZeroMQ socket is not a file
 * descriptor one can put into ppoll() as it is (ZMQ_FD is edge-triggered
 * and must be drained through zmq_getsockopt(ZMQ_EVENTS)), the Modbus loop
 * belongs to modbus_server.c, and a "slow" fault here must hold the
 * inference host without holding a single Modbus reply.  The thread shares
 * nothing with the rest of the simulator but the model (read-only), the
 * fault and the server id (under a mutex), and two request flags.
 *
 * The loop waits in zmq_poll() on the socket and on a pipe, the doorbell:
 * inference_server_free() and inference_server_restart() set an atomic
 * flag and write a byte to it, so the thread wakes at once, also in the
 * middle of a slow reply.  The timeout of the wait is the due time of the
 * first "late" reply.
 *
 * A message from a ROUTER socket is [identity..., "", frames...]: REQ
 * clients and well-behaved DEALER clients put the empty delimiter in, and
 * the reply goes back with the same envelope.  A message with no empty
 * frame after the identity is taken as [identity, frames...] and answered
 * the same way, without a delimiter.  Then, for each request:
 *
 *   1. decode (protocol.h) into a preallocated message and pixel buffer;
 *   2. answer: predict -> predictions (or unknown_model, bad_pixels);
 *      heartbeat -> server id, uptime, models; models -> models with
 *      outputs; anything that does not decode, or is a reply, ->
 *      bad_request, under the request's id when one can be read from it
 *      (else ""): a client never waits out its timeout for a mistake;
 *   3. the fault decides what goes out: "drop" nothing at all, "garbage"
 *      something no decoder accepts, "mismatch" a valid reply with another
 *      id (the request's with '~' appended), "slow" holds the thread for
 *      MS before sending, "late" queues the reply for MS and goes on
 *      serving;
 *   4. send the envelope and the frames; the header that infer_encode()
 *      allocated is handed to ZeroMQ as it is (zmq_msg_init_data), not
 *      copied.
 *
 * server_us in a predictions reply is the time from the whole request
 * having been received to the reply being ready to encode (decode, checks,
 * the dot products): what the host spent, without the fault's delay.
 *
 * A restart closes the socket (pending late replies are lost), waits
 * INFER_SERVER_RESTART_MS, and binds again under a new server id
 * ("jope-smb-sim/PID/N" after the Nth bind) with the uptime at 0; a bind
 * that fails is retried every INFER_SERVER_RESTART_MS until it succeeds or
 * the server is freed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "core/util.h"
#include "inference/protocol.h"
#include "sim/inference_server.h"
#include "sim/plant.h"

#define MAX_PARTS 16                /* parts of a request kept; more count */
#define REPLY_PARTS (MAX_PARTS + 2) /* envelope, header, a spare frame */
#define RECV_BATCH 64               /* requests per wake-up */
#define MAX_MSG_SIZE (INFER_HEADER_MAX + 4 * INFER_MAX_PIXELS + 65536)
#define GARBAGE_MAX 200             /* bytes of a random frame */
#define ERR_LEN 256

/* A reply: ready parts, and when it is due (late replies). */
struct reply {
	size_t n;
	zmq_msg_t parts[REPLY_PARTS];
	int64_t due_ms;
	int used;                   /* late queue: slot taken */
};

struct inference_server {
	const struct pls_model *model;
	char *endpoint;             /* as given, for messages */
	char *bound;                /* as bound: localhost is 127.0.0.1 */
	void *ctx, *sock;
	int wake[2];                /* the doorbell pipe */
	atomic_int stop_req, restart_req;
	pthread_t thread;
	int running;

	pthread_mutex_t lock;       /* fault and id */
	struct sim_fault fault;
	char id[INFER_SERVER_ID_MAX];

	unsigned generation;        /* binds so far */
	int64_t bound_ms;
	struct rng rng;             /* garbage */
	inference_server_notify_fn *notify;
	void *notify_arg;

	/* Preallocated per-request state: the predict path mallocs nothing
	 * but what the codec returns and ZeroMQ needs. */
	zmq_msg_t in[MAX_PARTS], spare;
	size_t nin, extra;
	struct infer_msg req, rep;
	float pixels[INFER_MAX_PIXELS];
	double out[INFER_MAX_OUTPUTS];
	struct infer_model_info info_short, info_full;
	struct reply now;
	struct reply *late;         /* INFER_SERVER_LATE_MAX slots */
	size_t nlate;
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
now_ms(void)
{
	return now_us() / 1000;
}

/* --- endpoints --------------------------------------------------------- */

int
inference_endpoint_is_loopback(const char *e)
{
	static const char *const prefixes[] = {
		"tcp://127.0.0.1:", "tcp://[::1]:", "tcp://localhost:"
	};

	if (strncmp(e, "ipc://", 6) == 0)
		return e[6] != '\0';
	for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
		size_t n = strlen(prefixes[k]), digits;
		long port;

		if (strncmp(e, prefixes[k], n) != 0)
			continue;
		digits = strspn(e + n, "0123456789");
		if (digits == 0 || digits > 5 || e[n + digits] != '\0')
			return 0;
		port = strtol(e + n, NULL, 10);
		return port >= 1 && port <= 65535;
	}
	return 0;
}

/*
 * What to give zmq_bind(): ZeroMQ binds to an address or an interface
 * name, and resolves no host names, so localhost becomes 127.0.0.1 (where
 * a client that connects to localhost without ZMQ_IPV6 arrives).
 */
static char *
bind_address(const char *endpoint)
{
	static const char local[] = "tcp://localhost:";
	char *s;

	if (strncmp(endpoint, local, sizeof local - 1) != 0)
		return xstrdup(endpoint);
	s = xmalloc(strlen(endpoint) + 8);
	sprintf(s, "tcp://127.0.0.1:%s", endpoint + sizeof local - 1);
	return s;
}

/* --- the socket -------------------------------------------------------- */

static void
drop_reply(struct reply *r)
{
	for (size_t i = 0; i < r->n; i++)
		zmq_msg_close(&r->parts[i]);
	r->n = 0;
	r->used = 0;
}

static void
close_socket(struct inference_server *s)
{
	if (s->sock == NULL)
		return;
	zmq_close(s->sock);         /* linger 0: queued output goes too */
	s->sock = NULL;
	/* libzmq 4.3 leaves the file of an ipc endpoint behind; it is ours
	 * while we are bound (zmq_bind replaces an old one), so remove it. */
	if (strncmp(s->bound, "ipc://", 6) == 0 && s->bound[6] != '@')
		unlink(s->bound + 6);
	for (size_t k = 0; k < INFER_SERVER_LATE_MAX; k++)
		if (s->late[k].used)
			drop_reply(&s->late[k]);
	s->nlate = 0;
}

static int
open_socket(struct inference_server *s)
{
	int zero = 0, one = 1, saved;
	int64_t max = MAX_MSG_SIZE;
	void *sock = zmq_socket(s->ctx, ZMQ_ROUTER);

	if (sock == NULL)
		return -1;
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
	if (strncmp(s->endpoint, "tcp://[", 7) == 0)
		zmq_setsockopt(sock, ZMQ_IPV6, &one, sizeof one);
	if (zmq_bind(sock, s->bound) != 0) {
		saved = errno;
		zmq_close(sock);
		errno = saved;
		return -1;
	}
	s->sock = sock;
	s->bound_ms = now_ms();
	pthread_mutex_lock(&s->lock);
	s->generation++;
	snprintf(s->id, sizeof s->id, "jope-smb-sim/%ld/%u", (long)getpid(),
	    s->generation);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* --- the doorbell ------------------------------------------------------ */

static void
read_wake(struct inference_server *s)
{
	char buf[64];

	while (read(s->wake[0], buf, sizeof buf) > 0)
		continue;
}

/*
 * Wait ms milliseconds.  0 after the whole wait; -1 as soon as a stop (or,
 * when restart_too, a restart) has been asked for.
 */
static int
pause_ms(struct inference_server *s, int64_t ms, int restart_too)
{
	int64_t end = now_ms() + ms;

	for (;;) {
		zmq_pollitem_t it = { NULL, s->wake[0], ZMQ_POLLIN, 0 };
		int64_t left;

		if (atomic_load(&s->stop_req) ||
		    (restart_too && atomic_load(&s->restart_req)))
			return -1;
		if ((left = end - now_ms()) <= 0)
			return 0;
		if (zmq_poll(&it, 1, (long)left) > 0)
			read_wake(s);
	}
}

static void
notify(struct inference_server *s, enum inference_server_event ev, int err)
{
	char id[INFER_SERVER_ID_MAX];

	if (s->notify == NULL)
		return;
	inference_server_id(s, id, sizeof id);
	s->notify(s->notify_arg, ev, s->endpoint, id, err);
}

/* Off the air, a pause, and on again under a new id. */
static void
restart(struct inference_server *s)
{
	close_socket(s);
	notify(s, INFER_SERVER_DOWN, 0);
	for (;;) {
		if (pause_ms(s, INFER_SERVER_RESTART_MS, 0) != 0)
			return;
		atomic_store(&s->restart_req, 0);   /* merged into this one */
		if (open_socket(s) == 0) {
			notify(s, INFER_SERVER_UP, 0);
			return;
		}
		notify(s, INFER_SERVER_BIND_FAILED, errno);
	}
}

/* --- building replies -------------------------------------------------- */

/* Printable ASCII only, never empty, within INFER_MESSAGE_MAX. */
static void
set_error(struct infer_msg *rep, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_error(struct infer_msg *rep, const char *code, const char *fmt, ...)
{
	va_list ap;

	rep->type = INFER_ERROR;
	rep->is_reply = true;
	str_copy(rep->code, code, sizeof rep->code);
	va_start(ap, fmt);
	vsnprintf(rep->message, sizeof rep->message, fmt, ap);
	va_end(ap);
	for (char *p = rep->message; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	if (rep->message[0] == '\0')
		str_copy(rep->message, "error", sizeof rep->message);
}

/* The id of a request that does not decode, if it has a usable one. */
static void
recover_id(const struct infer_frame *f, size_t n, char *id, size_t len)
{
	json_t *o, *v;

	id[0] = '\0';
	if (n == 0 || f[0].len == 0 || f[0].len > INFER_HEADER_MAX)
		return;
	o = json_loadb(f[0].data, f[0].len, JSON_REJECT_DUPLICATES, NULL);
	v = json_object_get(o, "id");
	if (json_is_string(v) && json_string_length(v) > 0 &&
	    json_string_length(v) < len) {
		const char *p = json_string_value(v);
		size_t k, l = json_string_length(v);

		for (k = 0; k < l; k++)
			if (p[k] < 0x21 || p[k] > 0x7e)
				break;
		if (k == l)
			memcpy(id, p, l + 1);
	}
	json_decref(o);
}

static void
answer_predict(struct inference_server *s, int64_t t0)
{
	const struct pls_model *m = s->model;
	struct infer_msg *req = &s->req, *rep = &s->rep;

	if (strcmp(req->model, m->id) != 0) {
		set_error(rep, INFER_ERR_UNKNOWN_MODEL, "no model \"%s\" here; "
		    "this server has %s %s", req->model, m->id, m->version);
		return;
	}
	if (pls_model_predict(m, req->pixels, req->npixels, s->out) != 0) {
		set_error(rep, INFER_ERR_BAD_PIXELS, "%zu pixels; model %s "
		    "takes %zu", req->npixels, m->id, m->pixels);
		return;
	}
	for (size_t k = 0; k < m->noutputs; k++)
		if (!isfinite(s->out[k])) {
			set_error(rep, INFER_ERR_BAD_PIXELS, "output %s is not "
			    "finite for these pixels", m->outputs[k].name);
			return;
		}
	rep->type = INFER_PREDICTIONS;
	rep->is_reply = true;
	memcpy(rep->model, m->id, sizeof rep->model);
	memcpy(rep->model_version, m->version, sizeof rep->model_version);
	memcpy(rep->spectrum, req->spectrum, sizeof rep->spectrum);
	rep->ts_us = req->ts_us;
	rep->noutputs = m->noutputs;
	for (size_t k = 0; k < m->noutputs; k++) {
		memcpy(rep->outputs[k].name, m->outputs[k].name,
		    sizeof rep->outputs[k].name);
		memcpy(rep->outputs[k].unit, m->outputs[k].unit,
		    sizeof rep->outputs[k].unit);
		rep->outputs[k].value = s->out[k];
	}
	rep->server_us = now_us() - t0;
}

/* s->rep for the request in frames; only the fields of its type are set. */
static void
answer(struct inference_server *s, const struct infer_frame *f, size_t n,
    size_t extra, int64_t t0)
{
	struct infer_msg *req = &s->req, *rep = &s->rep;
	char err[ERR_LEN];

	if (n + extra > 2) {
		recover_id(f, n, rep->id, sizeof rep->id);
		set_error(rep, INFER_ERR_BAD_REQUEST, "%zu frames, at most 2",
		    n + extra);
		return;
	}
	req->pixels = s->pixels;
	req->pixels_cap = INFER_MAX_PIXELS;
	if (infer_decode(f, n, req, err, sizeof err) != 0) {
		recover_id(f, n, rep->id, sizeof rep->id);
		set_error(rep, INFER_ERR_BAD_REQUEST, "%s", err);
		return;
	}
	memcpy(rep->id, req->id, sizeof rep->id);
	if (req->is_reply || req->type == INFER_PREDICTIONS ||
	    req->type == INFER_ERROR) {
		set_error(rep, INFER_ERR_BAD_REQUEST, "a %s reply is not a "
		    "request (predict, heartbeat, models)",
		    infer_type_name(req->type));
		return;
	}
	switch (req->type) {
	case INFER_PREDICT:
		answer_predict(s, t0);
		return;
	case INFER_HEARTBEAT:
		rep->type = INFER_HEARTBEAT;
		rep->is_reply = true;
		inference_server_id(s, rep->server, sizeof rep->server);
		rep->uptime_s = (double)(now_ms() - s->bound_ms) / 1000.0;
		rep->nmodels = 1;
		rep->models[0] = s->info_short;
		return;
	case INFER_MODELS:
		rep->type = INFER_MODELS;
		rep->is_reply = true;
		rep->nmodels = 1;
		rep->models[0] = s->info_full;
		return;
	default:
		set_error(rep, INFER_ERR_INTERNAL, "unhandled type %s",
		    infer_type_name(req->type));
		return;
	}
}

/* The id of another request: this one's with '~' appended (or changed). */
static void
mismatch_id(char *id)
{
	size_t n = strlen(id);

	if (n + 1 < INFER_ID_MAX) {
		id[n] = '~';
		id[n + 1] = '\0';
	} else {
		id[n - 1] = id[n - 1] == '~' ? '!' : '~';
	}
}

static void
free_frame(void *data, void *hint)
{
	(void)hint;
	free(data);
}

/* Append a frame of n bytes (copied) to r. */
static void
add_copy(struct reply *r, const void *data, size_t n)
{
	zmq_msg_init_size(&r->parts[r->n], n);
	if (n > 0)
		memcpy(zmq_msg_data(&r->parts[r->n]), data, n);
	r->n++;
}

static void
add_random(struct inference_server *s, struct reply *r)
{
	size_t n = 1 + rng_next(&s->rng) % GARBAGE_MAX;
	unsigned char *b;

	zmq_msg_init_size(&r->parts[r->n], n);
	b = zmq_msg_data(&r->parts[r->n]);
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)rng_next(&s->rng);
	b[0] |= 0x80;               /* never '{', never valid UTF-8 start */
	r->n++;
}

/*
 * Something in place of the reply whose header is hdr that no decoder
 * accepts, one of several kinds in turn at random: random bytes, the
 * header cut in half, a predictions header without its fields (but with
 * the right id), the header followed by an extra frame, no frame at all
 * (delimited requests only), a JSON array.
 */
static void
add_garbage(struct inference_server *s, struct reply *r, const char *hdr,
    size_t len, int delimited)
{
	char text[INFER_ID_MAX + 64];
	unsigned kind = (unsigned)(rng_next(&s->rng) % 6);

	if (kind == 4 && !delimited)
		kind = 0;
	switch (kind) {
	case 0:
		add_random(s, r);
		break;
	case 1:
		add_copy(r, hdr, len / 2 > 0 ? len / 2 : 1);
		break;
	case 2:
		snprintf(text, sizeof text, "{\"v\":%d,\"type\":\"predictions\","
		    "\"id\":\"%s\"}", INFER_PROTOCOL_VERSION, s->rep.id);
		add_copy(r, text, strlen(text));
		break;
	case 3:
		add_copy(r, hdr, len);
		add_random(s, r);
		break;
	case 4:
		break;
	default:
		add_copy(r, "[\"predictions\"]", 15);
		break;
	}
}

/* Sends and empties r; a part that cannot go is released. */
static void
send_reply(struct inference_server *s, struct reply *r)
{
	for (size_t i = 0; i < r->n; i++) {
		int more = i + 1 < r->n ? ZMQ_SNDMORE : 0;

		if (s->sock == NULL ||
		    zmq_msg_send(&r->parts[i], s->sock, more) < 0)
			zmq_msg_close(&r->parts[i]);
	}
	r->n = 0;
	r->used = 0;
}

/* A free slot of the late queue, or NULL when it is full. */
static struct reply *
late_slot(struct inference_server *s)
{
	for (size_t k = 0; k < INFER_SERVER_LATE_MAX; k++)
		if (!s->late[k].used)
			return &s->late[k];
	return NULL;
}

/* Send every late reply that is due, earliest first. */
static void
send_due(struct inference_server *s)
{
	while (s->nlate > 0) {
		struct reply *first = NULL;
		int64_t now = now_ms();

		for (size_t k = 0; k < INFER_SERVER_LATE_MAX; k++)
			if (s->late[k].used && s->late[k].due_ms <= now &&
			    (first == NULL || s->late[k].due_ms < first->due_ms))
				first = &s->late[k];
		if (first == NULL)
			return;
		send_reply(s, first);
		s->nlate--;
	}
}

/* Milliseconds until the first late reply is due; -1: none pending. */
static long
late_timeout(const struct inference_server *s)
{
	int64_t first = -1, now = now_ms();

	if (s->nlate == 0)
		return -1;
	for (size_t k = 0; k < INFER_SERVER_LATE_MAX; k++)
		if (s->late[k].used &&
		    (first < 0 || s->late[k].due_ms < first))
			first = s->late[k].due_ms;
	return first <= now ? 0 : (long)(first - now);
}

/* --- serving ----------------------------------------------------------- */

static void
release_request(struct inference_server *s)
{
	for (size_t i = 0; i < s->nin; i++)
		zmq_msg_close(&s->in[i]);
	s->nin = 0;
}

/* One whole message into s->in.  1, or 0 when none is waiting. */
static int
recv_request(struct inference_server *s)
{
	int more = 1;

	s->nin = 0;
	s->extra = 0;
	while (more) {
		zmq_msg_t *m = s->nin < MAX_PARTS ? &s->in[s->nin] : &s->spare;
		int first = s->nin == 0 && s->extra == 0;

		zmq_msg_init(m);
		if (zmq_msg_recv(m, s->sock, first ? ZMQ_DONTWAIT : 0) < 0) {
			zmq_msg_close(m);
			release_request(s);
			return 0;
		}
		more = zmq_msg_more(m);
		if (m == &s->spare) {
			zmq_msg_close(m);
			s->extra++;
		} else {
			s->nin++;
		}
	}
	return 1;
}

/* Answer the request in s->in as the fault says. */
static void
serve_request(struct inference_server *s)
{
	struct infer_frame f[MAX_PARTS];
	struct infer_frame out[2];
	struct sim_fault fault;
	struct reply *r = &s->now;
	char err[ERR_LEN];
	int64_t t0 = now_us();
	size_t env = 1, n = 0;
	void *bin = NULL;
	int nout;

	pthread_mutex_lock(&s->lock);
	fault = s->fault;
	pthread_mutex_unlock(&s->lock);
	if (fault.mode == FAULT_DROP) {
		release_request(s);
		return;
	}
	for (size_t i = 1; i < s->nin; i++)
		if (zmq_msg_size(&s->in[i]) == 0) {
			env = i + 1;
			break;
		}
	for (size_t i = env; i < s->nin; i++, n++) {
		f[n].data = zmq_msg_data(&s->in[i]);
		f[n].len = zmq_msg_size(&s->in[i]);
	}
	answer(s, f, n, s->extra, t0);
	if (fault.mode == FAULT_MISMATCH)
		mismatch_id(s->rep.id);
	nout = infer_encode(&s->rep, out, &bin, err, sizeof err);
	if (nout < 0) {
		set_error(&s->rep, INFER_ERR_INTERNAL, "cannot encode the "
		    "reply: %s", err);
		nout = infer_encode(&s->rep, out, &bin, err, sizeof err);
		if (nout < 0) {         /* cannot happen: a plain error */
			release_request(s);
			return;
		}
	}

	if (fault.late_ms > 0 && (r = late_slot(s)) == NULL) {
		free((void *)out[0].data);      /* queue full: lost */
		free(bin);
		release_request(s);
		return;
	}
	r->n = 0;
	for (size_t i = 0; i < env; i++) {
		zmq_msg_init(&r->parts[r->n]);
		zmq_msg_copy(&r->parts[r->n++], &s->in[i]);
	}
	release_request(s);
	if (fault.mode == FAULT_GARBAGE) {
		add_garbage(s, r, out[0].data, out[0].len, env > 1);
		free((void *)out[0].data);
		free(bin);
	} else {
		zmq_msg_init_data(&r->parts[r->n++], (void *)out[0].data,
		    out[0].len, free_frame, NULL);
		if (nout == 2)          /* replies have one frame; in case */
			zmq_msg_init_data(&r->parts[r->n++], bin, out[1].len,
			    free_frame, NULL);
	}

	if (fault.late_ms > 0) {
		r->used = 1;
		r->due_ms = now_ms() + fault.late_ms;
		s->nlate++;
		return;
	}
	if (fault.slow_ms > 0 && pause_ms(s, fault.slow_ms, 1) != 0) {
		drop_reply(r);          /* stopped or restarted meanwhile */
		return;
	}
	send_reply(s, r);
}

static void
serve_batch(struct inference_server *s)
{
	for (int k = 0; k < RECV_BATCH; k++) {
		if (s->sock == NULL || atomic_load(&s->stop_req) ||
		    atomic_load(&s->restart_req))
			return;
		if (recv_request(s) == 0)
			return;
		serve_request(s);
	}
}

static void *
serve(void *arg)
{
	struct inference_server *s = arg;

	for (;;) {
		zmq_pollitem_t it[2] = {
			{ NULL, s->wake[0], ZMQ_POLLIN, 0 },
			{ s->sock, 0, ZMQ_POLLIN, 0 }
		};
		int n = s->sock != NULL ? 2 : 1;

		/* Before waiting: a slow reply may have taken the doorbell. */
		if (atomic_load(&s->stop_req))
			break;
		if (atomic_exchange(&s->restart_req, 0)) {
			restart(s);
			continue;
		}
		if (zmq_poll(it, n, late_timeout(s)) < 0 && errno != EINTR)
			break;
		if (it[0].revents & ZMQ_POLLIN) {
			read_wake(s);
			continue;       /* look at the flags first */
		}
		send_due(s);
		if (n == 2 && (it[1].revents & ZMQ_POLLIN))
			serve_batch(s);
	}
	close_socket(s);
	return NULL;
}

/* --- the public side --------------------------------------------------- */

static void
fill_info(const struct pls_model *m, struct infer_model_info *mi,
    int outputs)
{
	memset(mi, 0, sizeof *mi);
	memcpy(mi->id, m->id, sizeof mi->id);
	memcpy(mi->version, m->version, sizeof mi->version);
	mi->pixels = (uint32_t)m->pixels;
	if (!outputs)
		return;
	mi->noutputs = m->noutputs;
	for (size_t k = 0; k < m->noutputs; k++) {
		memcpy(mi->outputs[k].name, m->outputs[k].name,
		    sizeof mi->outputs[k].name);
		memcpy(mi->outputs[k].unit, m->outputs[k].unit,
		    sizeof mi->outputs[k].unit);
	}
}

struct inference_server *
inference_server_new(const struct pls_model *model, const char *endpoint,
    uint64_t seed)
{
	struct inference_server *s = xcalloc(1, sizeof *s);

	s->model = model;
	s->endpoint = xstrdup(endpoint);
	s->bound = bind_address(endpoint);
	s->wake[0] = s->wake[1] = -1;
	atomic_init(&s->stop_req, 0);
	atomic_init(&s->restart_req, 0);
	pthread_mutex_init(&s->lock, NULL);
	rng_seed(&s->rng, seed ^ UINT64_C(0x696e666572656e63));
	fill_info(model, &s->info_short, 0);
	fill_info(model, &s->info_full, 1);
	s->late = xcalloc(INFER_SERVER_LATE_MAX, sizeof *s->late);
	str_copy(s->id, "-", sizeof s->id);
	if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) != 0 ||
	    (s->ctx = zmq_ctx_new()) == NULL) {
		int saved = errno;

		inference_server_free(s);
		errno = saved;
		return NULL;
	}
	return s;
}

void
inference_server_set_notify(struct inference_server *s,
    inference_server_notify_fn *fn, void *arg)
{
	s->notify = fn;
	s->notify_arg = arg;
}

int
inference_server_start(struct inference_server *s)
{
	sigset_t all, old;
	int rc;

	if (open_socket(s) != 0)
		return -1;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&s->thread, NULL, serve, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		close_socket(s);
		errno = rc;
		return -1;
	}
	s->running = 1;
	return 0;
}

void
inference_server_set_fault(struct inference_server *s,
    const struct sim_fault *f)
{
	pthread_mutex_lock(&s->lock);
	s->fault = *f;
	pthread_mutex_unlock(&s->lock);
}

void
inference_server_restart(struct inference_server *s)
{
	int saved = errno;
	ssize_t rc;

	atomic_store(&s->restart_req, 1);
	rc = write(s->wake[1], "r", 1);
	(void)rc;                   /* full pipe: the thread is awake anyway */
	errno = saved;
}

const char *
inference_server_strerror(int err)
{
	return zmq_strerror(err);
}

void
inference_server_id(struct inference_server *s, char *buf, size_t len)
{
	pthread_mutex_lock(&s->lock);
	str_copy(buf, s->id, len);
	pthread_mutex_unlock(&s->lock);
}

void
inference_server_free(struct inference_server *s)
{
	ssize_t rc;

	if (s == NULL)
		return;
	if (s->running) {
		atomic_store(&s->stop_req, 1);
		rc = write(s->wake[1], "q", 1);
		(void)rc;
		pthread_join(s->thread, NULL);
	}
	close_socket(s);
	drop_reply(&s->now);
	/* A signal (SIGUSR2) may interrupt it: then it must be called again. */
	while (s->ctx != NULL && zmq_ctx_term(s->ctx) != 0 && errno == EINTR)
		continue;
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	pthread_mutex_destroy(&s->lock);
	free(s->late);
	free(s->endpoint);
	free(s->bound);
	free(s);
}
