/*
 * link.c: the inference link's requests (see link.h for the contract).
 *
 * A request: wait (at most the timeout) for the socket to be writable (with
 * ZMQ_IMMEDIATE it is not until a connection is up, so nothing queues for a
 * dead host), send [empty delimiter, header, pixels?], then wait for the
 * reply until the same deadline.  Whatever does not decode (protocol.h),
 * carries another id, is of the wrong type or lacks the delimiter is
 * rejected; the request then fails and the socket is rebuilt, as after a
 * timeout.  ZMQ_MAXMSGSIZE makes libzmq drop an oversized message before
 * it is ever buffered whole.
 *
 * A connected socket is writable at once, so the send does not poll when
 * ZMQ_EVENTS already says so: one zmq_poll per request, for the reply
 * (measured: doc/inference-protocol.md).  The wake descriptor is in every
 * poll, so a stop never waits for a timeout.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "core/log.h"
#include "core/util.h"
#include "inference/link.h"

#define MAX_REPLY_FRAMES 4              /* delimiter, header, and spares */

struct infer_link {
	void *zctx;
	void *sock;                     /* NULL: to be made */
	char endpoint[256];
	char id_prefix[48];
	int64_t timeout_ms;
	int wake_fd;
	const atomic_bool *stop;
	uint64_t next_id;
	struct infer_link_counters n;
};

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool
stopped(const struct infer_link *l)
{
	return l->stop != NULL && atomic_load(l->stop);
}

static void
drain_wake(int fd)
{
	uint64_t v;

	if (fd >= 0 && read(fd, &v, sizeof v) < 0) {
		/* EAGAIN: nothing to drain. */
	}
}

static void
close_socket(struct infer_link *l)
{
	if (l->sock != NULL)
		zmq_close(l->sock);
	l->sock = NULL;
}

static int
open_socket(struct infer_link *l, char *err, size_t errlen)
{
	int zero = 0, one = 1, hwm = 4, ivl = 100, ivl_max = 1000;
	int64_t maxsize = INFER_HEADER_MAX + 4 * (int64_t)INFER_MAX_PIXELS;

	l->sock = zmq_socket(l->zctx, ZMQ_DEALER);
	if (l->sock == NULL) {
		snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
		return -1;
	}
	zmq_setsockopt(l->sock, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(l->sock, ZMQ_IMMEDIATE, &one, sizeof one);
	zmq_setsockopt(l->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_setsockopt(l->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
	zmq_setsockopt(l->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
	zmq_setsockopt(l->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max,
	    sizeof ivl_max);
	zmq_setsockopt(l->sock, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize);
	if (zmq_connect(l->sock, l->endpoint) != 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", l->endpoint,
		    zmq_strerror(errno));
		close_socket(l);
		return -1;
	}
	return 0;
}

static void
rebuild_socket(struct infer_link *l)
{
	char err[256];

	close_socket(l);
	if (open_socket(l, err, sizeof err) != 0)
		log_event(LOG_ERROR, "inference_socket", "{s:s}", "error", err);
	else
		l->n.rebuilds++;
}

/*
 * Wait until the socket has events (or the wake fd) or the deadline
 * passes.  1 when the socket is ready, 0 at the deadline, -1 stopped.
 */
static int
wait_socket(struct infer_link *l, short events, int64_t deadline_us)
{
	int ready = 0;
	size_t len = sizeof ready;

	/* Already ready (a connected socket is writable): no poll at all. */
	if (zmq_getsockopt(l->sock, ZMQ_EVENTS, &ready, &len) == 0 &&
	    (ready & events) && !stopped(l))
		return 1;
	for (;;) {
		zmq_pollitem_t items[2] = {
		    { l->sock, 0, events, 0 },
		    { NULL, l->wake_fd, ZMQ_POLLIN, 0 } };
		int64_t left = deadline_us - mono_us();
		int rc;

		if (stopped(l))
			return -1;
		if (left < 0)
			left = 0;
		rc = zmq_poll(items, l->wake_fd >= 0 ? 2 : 1,
		    (long)((left + 999) / 1000));
		if (rc < 0 && errno != EINTR)
			return 0;
		if (rc > 0 && (items[1].revents & ZMQ_POLLIN))
			drain_wake(l->wake_fd); /* new work: the owner sees it */
		if (rc > 0 && (items[0].revents & events))
			return 1;
		if (mono_us() >= deadline_us)
			return 0;
	}
}

/* Send the message's frames after the empty delimiter; 0 or -1. */
static int
send_frames(struct infer_link *l, const struct infer_frame *f, int n)
{
	if (zmq_send(l->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) != 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (zmq_send(l->sock, f[i].data, f[i].len,
		    (i + 1 < n ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0)
			return -1;
	return 0;
}

/*
 * Receive one whole multipart message into rep->  INFER_OK, or
 * INFER_REJECTED with the reason (a message of too many frames is read to
 * its end and rejected).
 */
static enum infer_outcome
recv_reply(struct infer_link *l, struct infer_msg *rep, char *err,
    size_t errlen)
{
	zmq_msg_t msgs[MAX_REPLY_FRAMES];
	struct infer_frame frames[MAX_REPLY_FRAMES];
	size_t n = 0, total = 0;
	int more = 1;
	enum infer_outcome out = INFER_OK;

	while (more) {
		zmq_msg_t m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, l->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			snprintf(err, errlen, "reply cut short: %s",
			    zmq_strerror(errno));
			out = INFER_REJECTED;
			break;
		}
		more = zmq_msg_more(&m);
		total++;
		if (n < MAX_REPLY_FRAMES) {
			zmq_msg_init(&msgs[n]);
			zmq_msg_move(&msgs[n++], &m);
		}
		zmq_msg_close(&m);
	}
	if (out == INFER_OK && total > MAX_REPLY_FRAMES) {
		snprintf(err, errlen, "reply of %zu frames, at most %d "
		    "expected", total, MAX_REPLY_FRAMES);
		out = INFER_REJECTED;
	}
	if (out == INFER_OK && (n < 2 || zmq_msg_size(&msgs[0]) != 0)) {
		snprintf(err, errlen, "reply without the empty delimiter "
		    "frame");
		out = INFER_REJECTED;
	}
	if (out == INFER_OK) {
		for (size_t i = 1; i < n; i++) {
			frames[i - 1].data = zmq_msg_data(&msgs[i]);
			frames[i - 1].len = zmq_msg_size(&msgs[i]);
		}
		if (infer_decode(frames, n - 1, rep, err, errlen) != 0)
			out = INFER_REJECTED;
	}
	for (size_t i = 0; i < n; i++)
		zmq_msg_close(&msgs[i]);
	return out;
}

/* Whether id is one of ours sent before the outstanding request. */
static bool
is_earlier_request(const struct infer_link *l, const char *id)
{
	size_t n = strlen(l->id_prefix);
	char *end;
	unsigned long long k;

	if (strncmp(id, l->id_prefix, n) != 0 || id[n] != '-')
		return false;
	errno = 0;
	k = strtoull(id + n + 1, &end, 10);
	return errno == 0 && *end == '\0' && end != id + n + 1 &&
	    k < l->next_id;
}

/*
 * One request and its reply within the timeout; *rtt_ms is the round trip
 * of a good reply.  On anything but INFER_OK and INFER_SERVER_ERROR the socket
 * is rebuilt (the lazy pirate).
 */
enum infer_outcome
infer_link_request(struct infer_link *l, struct infer_msg *req,
    struct infer_msg *rep, double *rtt_ms, char *err, size_t errlen)
{
	struct infer_frame frames[2];
	void *bin = NULL;
	int nframes, rc;
	int64_t t0 = mono_us();
	int64_t deadline = t0 + l->timeout_ms * 1000;
	enum infer_outcome out;
	bool late = false;

	snprintf(req->id, sizeof req->id, "%s-%llu", l->id_prefix,
	    (unsigned long long)++l->next_id);
	nframes = infer_encode(req, frames, &bin, err, errlen);
	if (nframes < 0)
		return INFER_BAD_REQUEST;       /* ours: not the link's fault */
	if (l->sock == NULL)
		rebuild_socket(l);
	rc = l->sock == NULL ? 0 : wait_socket(l, ZMQ_POLLOUT, deadline);
	if (rc == 1 && send_frames(l, frames, nframes) != 0) {
		snprintf(err, errlen, "cannot send to %s: %s", l->endpoint,
		    zmq_strerror(errno));
		rc = 0;
	} else if (rc == 1) {
		l->n.requests++;
	} else if (rc == 0) {
		snprintf(err, errlen, "%s not reachable within %lld ms",
		    l->endpoint, (long long)l->timeout_ms);
	}
	free((void *)frames[0].data);
	free(bin);
	if (rc < 0)
		return INFER_STOPPED;
	if (rc == 0) {
		l->n.timeouts++;
		rebuild_socket(l);
		return INFER_TIMEOUT;
	}
	rc = wait_socket(l, ZMQ_POLLIN, deadline);
	if (rc < 0)
		return INFER_STOPPED;
	if (rc == 0) {
		snprintf(err, errlen, "no reply within %lld ms",
		    (long long)l->timeout_ms);
		l->n.timeouts++;
		rebuild_socket(l);
		return INFER_TIMEOUT;
	}
	out = recv_reply(l, rep, err, errlen);
	if (out == INFER_OK && strcmp(rep->id, req->id) != 0) {
		snprintf(err, errlen, "reply to request %s, expected %s",
		    rep->id, req->id);
		out = INFER_REJECTED;
		late = is_earlier_request(l, rep->id);
	}
	if (out == INFER_OK && rep->type == INFER_ERROR) {
		snprintf(err, errlen, "server error %s: %s", rep->code,
		    rep->message);
		l->n.server_errors++;
		return INFER_SERVER_ERROR;
	}
	if (out == INFER_OK) {
		bool fits = req->type == INFER_PREDICT ?
		    rep->type == INFER_PREDICTIONS :
		    rep->type == req->type && rep->is_reply;

		if (!fits) {
			snprintf(err, errlen, "%s reply to a %s request",
			    infer_type_name(rep->type),
			    infer_type_name(req->type));
			out = INFER_REJECTED;
		}
	}
	if (out == INFER_REJECTED) {
		if (late)
			l->n.late_replies++;
		else
			l->n.rejected++;
		rebuild_socket(l);
		return out;
	}
	*rtt_ms = (double)(mono_us() - t0) / 1000.0;
	return INFER_OK;
}

struct infer_link *
infer_link_new(void *zctx, const char *endpoint, const char *id_prefix,
    int64_t timeout_ms, int wake_fd, const atomic_bool *stop, char *err,
    size_t errlen)
{
	struct infer_link *l = xcalloc(1, sizeof *l);

	l->zctx = zctx;
	str_copy(l->endpoint, endpoint, sizeof l->endpoint);
	str_copy(l->id_prefix, id_prefix, sizeof l->id_prefix);
	l->timeout_ms = timeout_ms;
	l->wake_fd = wake_fd;
	l->stop = stop;
	if (open_socket(l, err, errlen) != 0) {
		free(l);
		return NULL;
	}
	return l;
}

void
infer_link_free(struct infer_link *l)
{
	if (l == NULL)
		return;
	close_socket(l);
	free(l);
}

const struct infer_link_counters *
infer_link_counters(const struct infer_link *l)
{
	return &l->n;
}
