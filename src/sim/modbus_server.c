/*
 * modbus_server.c: Modbus TCP service of the simulator, one poll loop.
 *
 * Threading: none.  Every listening socket and every client socket of every
 * connector sits in one ppoll() set, and all sockets are non-blocking.  The
 * simulator is pure I/O on tiny frames, so one thread is plenty, and it buys
 * a plant and mappings that need no locks, a run that --seed makes
 * reproducible, and faults that are timers instead of sleeps: a "slow"
 * connector holds its reply in the client's out buffer until it is due
 * while the other connectors go on answering.
 *
 * A request goes through these steps:
 *   1. bytes accumulate in the client's in buffer until the transport says
 *      a frame is complete (Modbus TCP: by the MBAP length); a stream that
 *      cannot be a Modbus frame closes the connection, and so does a frame
 *      left incomplete for SERVER_FRAME_TIMEOUT_MS;
 *   2. the reply is built: fault "exception" answers every request with its
 *      code; a unit id that no device on this connector has gets exception
 *      0x0B (gateway target failed to respond), as a TCP gateway in front
 *      of a dead serial device would, so a client fails fast and
 *      distinctly instead of waiting out its timeout; a request whose
 *      length does not fit its function, or whose quantity exceeds the
 *      Modbus limits, gets 03; one touching any address that is not part
 *      of a configured point gets 02; anything else is answered by
 *      libmodbus's modbus_reply() on the device's mapping, refreshed from
 *      the plant at that instant;
 *   3. libmodbus sends its replies to the context's socket, so that socket
 *      is one end of a SOCK_SEQPACKET pair: the reply is captured as one
 *      packet, and the fault layer decides what really goes out ("garbage"
 *      replaces it with random bytes, "close" cuts it in half and closes,
 *      "slow" delays it);
 *   4. the reply waits in the client's out buffer until due and is written
 *      as the socket accepts it; the client's next request is only looked
 *      at once the previous reply has gone, as on a real device.
 *
 * Only struct transport knows Modbus TCP framing and how to listen; a
 * serial (RTU) transport needs its own frame_size (CRC-checked), a context
 * from modbus_new_rtu() and a pseudo-terminal instead of a listener.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <modbus.h>

#include "core/util.h"
#include "sim/modbus_server.h"

#define FRAME_MAX MODBUS_TCP_MAX_ADU_LENGTH
#define UNIT_COUNT 256
#define LISTEN_BACKLOG 16

struct transport {
	const char *name;
	int header_length;          /* bytes before the function code */
	/* Size of the first complete frame, 0 when incomplete, -1 if bad. */
	int (*frame_size)(const uint8_t *buf, size_t len);
	/* Make a reply-sized buffer of random bytes certainly invalid. */
	void (*spoil)(uint8_t *buf, size_t len);
	modbus_t *(*new_context)(const struct connector *c);
};

struct client {
	int fd;                     /* -1: free slot */
	uint8_t in[FRAME_MAX];
	size_t inlen;
	int64_t in_since;           /* ms when the pending frame began */
	uint8_t out[FRAME_MAX];
	size_t outlen, outoff;
	int64_t out_due;            /* ms when the reply may be sent */
	int close_after;            /* fault "close": hang up once sent */
};

struct listener {
	const struct connector *conn;
	const struct transport *tr;
	struct sim_fault fault;
	int fd;
	modbus_t *ctx;              /* builds replies; never connected */
	long unit_device[UNIT_COUNT];   /* device index per unit, -1: none */
	struct client clients[SERVER_MAX_CLIENTS];
};

/* What a pollfd stands for: a listener (client -1) or one of its clients. */
struct poll_ref {
	size_t listener;
	int client;
};

struct server {
	const struct model *model;
	struct plant *plant;
	struct rng rng;
	int capture[2];             /* [0] is every context's socket */
	struct listener *listeners;
	size_t nlisteners;
	struct pollfd *pfds;
	struct poll_ref *refs;
	int64_t start_ms;
	server_notify_fn *notify;
	void *notify_arg;
};

/* A range of one table that a request reads or writes. */
struct access {
	enum modbus_table table;
	int address, count, write;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* --- Modbus TCP ------------------------------------------------------ */

/* MBAP: transaction id, protocol id 0, length (unit + PDU), unit id. */
static int
tcp_frame_size(const uint8_t *buf, size_t len)
{
	int n;

	if (len >= 4 && get16(buf + 2) != 0)
		return -1;
	if (len < 7)
		return 0;
	n = get16(buf + 4);
	if (n < 2 || 6 + n > FRAME_MAX)
		return -1;
	return len >= (size_t)(6 + n) ? 6 + n : 0;
}

/* A non-zero protocol id: no Modbus TCP client can take it for a reply. */
static void
tcp_spoil(uint8_t *buf, size_t len)
{
	if (len > 2)
		buf[2] |= 0x80;
}

static modbus_t *
tcp_new_context(const struct connector *c)
{
	return modbus_new_tcp(SERVER_ADDRESS, c->port);
}

static const struct transport transport_tcp = {
	"tcp", 7, tcp_frame_size, tcp_spoil, tcp_new_context
};

static int
tcp_listen(int port)
{
	struct sockaddr_in sin;
	int fd, one = 1, saved;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, SERVER_ADDRESS, &sin.sin_addr);
	/* Let a restarted simulator rebind over its old TIME_WAITs. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(fd, LISTEN_BACKLOG) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* --- faults ---------------------------------------------------------- */

static int
parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int
set_mode(struct sim_fault *f, enum fault_mode mode)
{
	if (f->mode != FAULT_NONE && f->mode != mode)
		return -2;
	f->mode = mode;
	return 0;
}

int
fault_parse(const char *text, struct sim_fault *f)
{
	int code;

	if (strcmp(text, "refuse") == 0) {
		f->refuse = 1;
		return 0;
	}
	if (strcmp(text, "garbage") == 0)
		return set_mode(f, FAULT_GARBAGE);
	if (strcmp(text, "close") == 0)
		return set_mode(f, FAULT_CLOSE);
	if (strncmp(text, "slow=", 5) == 0)
		return parse_int(text + 5, 0, SERVER_SLOW_MAX_MS, &f->slow_ms);
	if (strncmp(text, "exception=", 10) == 0) {
		if (parse_int(text + 10, 1, MODBUS_EXCEPTION_GATEWAY_TARGET,
		    &code) != 0)
			return -1;
		if (f->mode == FAULT_EXCEPTION && f->exception != code)
			return -2;
		if (set_mode(f, FAULT_EXCEPTION) != 0)
			return -2;
		f->exception = code;
		return 0;
	}
	return -1;
}

/* --- requests -------------------------------------------------------- */

static int
read_access(const uint8_t *pdu, int len, enum modbus_table t, int max,
    struct access *a)
{
	if (len != 5)
		return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
	a->table = t;
	a->address = get16(pdu + 1);
	a->count = get16(pdu + 3);
	a->write = 0;
	if (a->count < 1 || a->count > max)
		return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
	return 0;
}

static int
write_access(const uint8_t *pdu, int len, enum modbus_table t, int max,
    struct access *a)
{
	int bytes;

	if (len < 6)
		return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
	a->table = t;
	a->address = get16(pdu + 1);
	a->count = get16(pdu + 3);
	a->write = 1;
	bytes = t == TABLE_COIL ? (a->count + 7) / 8 : a->count * 2;
	if (a->count < 1 || a->count > max || pdu[5] != bytes ||
	    len != 6 + bytes)
		return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
	return 0;
}

static void
single_access(const uint8_t *pdu, enum modbus_table t, int write,
    struct access *a)
{
	a->table = t;
	a->address = get16(pdu + 1);
	a->count = 1;
	a->write = write;
}

/*
 * The ranges a request touches (*n of them), or the exception code (03)
 * when its length or quantity is wrong.  Functions that touch no data, or
 * that this simulator does not know, get *n == 0: libmodbus answers them.
 */
static int
request_accesses(const uint8_t *pdu, int len, struct access a[2], int *n)
{
	*n = 1;
	switch (pdu[0]) {
	case MODBUS_FC_READ_COILS:
		return read_access(pdu, len, TABLE_COIL, MODBUS_MAX_READ_BITS, a);
	case MODBUS_FC_READ_DISCRETE_INPUTS:
		return read_access(pdu, len, TABLE_DISCRETE_INPUT,
		    MODBUS_MAX_READ_BITS, a);
	case MODBUS_FC_READ_HOLDING_REGISTERS:
		return read_access(pdu, len, TABLE_HOLDING_REGISTER,
		    MODBUS_MAX_READ_REGISTERS, a);
	case MODBUS_FC_READ_INPUT_REGISTERS:
		return read_access(pdu, len, TABLE_INPUT_REGISTER,
		    MODBUS_MAX_READ_REGISTERS, a);
	case MODBUS_FC_WRITE_SINGLE_COIL:
	case MODBUS_FC_WRITE_SINGLE_REGISTER:
		if (len != 5)
			return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
		single_access(pdu, pdu[0] == MODBUS_FC_WRITE_SINGLE_COIL ?
		    TABLE_COIL : TABLE_HOLDING_REGISTER, 1, a);
		return 0;
	case MODBUS_FC_MASK_WRITE_REGISTER:
		if (len != 7)
			return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
		single_access(pdu, TABLE_HOLDING_REGISTER, 1, a);
		return 0;
	case MODBUS_FC_WRITE_MULTIPLE_COILS:
		return write_access(pdu, len, TABLE_COIL,
		    MODBUS_MAX_WRITE_BITS, a);
	case MODBUS_FC_WRITE_MULTIPLE_REGISTERS:
		return write_access(pdu, len, TABLE_HOLDING_REGISTER,
		    MODBUS_MAX_WRITE_REGISTERS, a);
	case MODBUS_FC_WRITE_AND_READ_REGISTERS:
		if (len < 10)
			return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
		*n = 2;
		a[0].table = a[1].table = TABLE_HOLDING_REGISTER;
		a[0].address = get16(pdu + 1);
		a[0].count = get16(pdu + 3);
		a[0].write = 0;
		a[1].address = get16(pdu + 5);
		a[1].count = get16(pdu + 7);
		a[1].write = 1;
		if (a[0].count < 1 || a[0].count > MODBUS_MAX_WR_READ_REGISTERS ||
		    a[1].count < 1 || a[1].count > MODBUS_MAX_WR_WRITE_REGISTERS ||
		    pdu[9] != a[1].count * 2 || len != 10 + pdu[9])
			return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
		return 0;
	default:
		*n = 0;
		return 0;
	}
}

/* Drop whatever a failed reply may have left in the capture pair. */
static void
capture_drain(struct server *s)
{
	uint8_t junk[FRAME_MAX];

	while (recv(s->capture[1], junk, sizeof junk, MSG_DONTWAIT) > 0)
		continue;
}

/* Whether the reply waiting in the capture pair is an exception. */
static int
capture_is_exception(struct server *s, int header_length)
{
	uint8_t rsp[FRAME_MAX];
	ssize_t n;

	n = recv(s->capture[1], rsp, sizeof rsp, MSG_PEEK | MSG_DONTWAIT);
	return n <= header_length || (rsp[header_length] & 0x80) != 0;
}

/* Answer a request for a known device: check it, refresh, reply. */
static int
reply_device(struct server *s, struct listener *l, size_t dev,
    const uint8_t *req, int len)
{
	const uint8_t *pdu = req + l->tr->header_length;
	struct access a[2];
	int n, code, rc;

	code = request_accesses(pdu, len - l->tr->header_length, a, &n);
	for (int k = 0; code == 0 && k < n; k++)
		if (!plant_covers(s->plant, dev, a[k].table, a[k].address,
		    a[k].count))
			code = MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS;
	if (code != 0)
		return modbus_reply_exception(l->ctx, req, (unsigned)code);
	plant_refresh(s->plant, dev, (double)(now_ms() - s->start_ms) / 1e3);
	rc = modbus_reply(l->ctx, req, len, plant_mapping(s->plant, dev));
	/* Once libmodbus accepted a write, the written points hold. */
	if (rc > 0 && capture_is_exception(s, l->tr->header_length))
		return rc;
	for (int k = 0; rc > 0 && k < n; k++)
		if (a[k].write)
			plant_hold(s->plant, dev, a[k].table, a[k].address,
			    a[k].count);
	return rc;
}

/* Build the reply to one frame into rsp; its length, 0 for none. */
static size_t
build_reply(struct server *s, struct listener *l, const uint8_t *req,
    int len, uint8_t *rsp)
{
	int unit = req[l->tr->header_length - 1];
	ssize_t n;
	int rc;

	capture_drain(s);
	if (l->fault.mode == FAULT_EXCEPTION)
		rc = modbus_reply_exception(l->ctx, req,
		    (unsigned)l->fault.exception);
	else if (l->unit_device[unit] < 0)
		rc = modbus_reply_exception(l->ctx, req,
		    MODBUS_EXCEPTION_GATEWAY_TARGET);
	else
		rc = reply_device(s, l, (size_t)l->unit_device[unit], req, len);
	if (rc <= 0) {
		capture_drain(s);
		return 0;
	}
	n = recv(s->capture[1], rsp, FRAME_MAX, MSG_DONTWAIT);
	return n > 0 ? (size_t)n : 0;
}

/* Put a reply in the client's out buffer, as the connector's fault says. */
static void
queue_reply(struct server *s, struct listener *l, struct client *c,
    const uint8_t *rsp, size_t n)
{
	memcpy(c->out, rsp, n);
	c->outlen = n;
	c->outoff = 0;
	c->close_after = 0;
	switch (l->fault.mode) {
	case FAULT_GARBAGE:
		for (size_t k = 0; k < n; k++)
			c->out[k] = (uint8_t)rng_next(&s->rng);
		l->tr->spoil(c->out, n);
		break;
	case FAULT_CLOSE:
		c->outlen = n > 1 ? n / 2 : 1;
		c->close_after = 1;
		break;
	case FAULT_NONE:
	case FAULT_EXCEPTION:
		break;
	}
	c->out_due = now_ms() + l->fault.slow_ms;
}

/* --- clients --------------------------------------------------------- */

static void
client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->inlen = c->outlen = c->outoff = 0;
	c->close_after = 0;
}

/* Handle every complete frame in the in buffer, one reply at a time. */
static void
client_process(struct server *s, struct listener *l, struct client *c)
{
	uint8_t rsp[FRAME_MAX];

	while (c->fd >= 0 && c->outlen == 0) {
		int size = l->tr->frame_size(c->in, c->inlen);
		size_t n;

		if (size < 0) {
			client_close(c);
			return;
		}
		if (size == 0)
			return;
		n = build_reply(s, l, c->in, size, rsp);
		c->inlen -= (size_t)size;
		memmove(c->in, c->in + size, c->inlen);
		c->in_since = now_ms();
		if (n > 0)
			queue_reply(s, l, c, rsp, n);
	}
}

static void
client_read(struct server *s, struct listener *l, struct client *c)
{
	ssize_t n;

	if (c->inlen == sizeof c->in)   /* cannot happen: frames fit */
		return;
	n = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)) {
		client_close(c);
		return;
	}
	if (n < 0)
		return;
	if (c->inlen == 0)
		c->in_since = now_ms();
	c->inlen += (size_t)n;
	client_process(s, l, c);
}

static void
client_write(struct server *s, struct listener *l, struct client *c)
{
	ssize_t n;

	n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
	    MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			client_close(c);
		return;
	}
	c->outoff += (size_t)n;
	if (c->outoff < c->outlen)
		return;
	c->outlen = c->outoff = 0;
	if (c->close_after) {
		client_close(c);
		return;
	}
	c->in_since = now_ms();     /* the next frame's clock starts now */
	client_process(s, l, c);
}

static void
listener_accept(struct server *s, struct listener *l)
{
	for (;;) {
		struct client *c = NULL;
		int fd, one = 1;

		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;     /* EAGAIN, or out of descriptors */
		}
		for (int k = 0; k < SERVER_MAX_CLIENTS && c == NULL; k++)
			if (l->clients[k].fd < 0)
				c = &l->clients[k];
		if (c == NULL) {
			close(fd);
			if (s->notify != NULL)
				s->notify(s->notify_arg,
				    SERVER_CLIENT_REJECTED, l->conn);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->fd = fd;
		c->inlen = c->outlen = c->outoff = 0;
		c->close_after = 0;
		c->in_since = now_ms();
	}
}

/* --- the server ------------------------------------------------------ */

struct server *
server_new(const struct model *m, struct plant *p, uint64_t seed)
{
	struct server *s = xcalloc(1, sizeof *s);

	s->model = m;
	s->plant = p;
	rng_seed(&s->rng, seed ^ UINT64_C(0x5EED5EED5EED5EED));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    s->capture) != 0) {
		free(s);
		return NULL;
	}
	s->start_ms = now_ms();
	return s;
}

void
server_set_notify(struct server *s, server_notify_fn *fn, void *arg)
{
	s->notify = fn;
	s->notify_arg = arg;
}

void
server_free(struct server *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nlisteners; i++) {
		struct listener *l = &s->listeners[i];

		for (int k = 0; k < SERVER_MAX_CLIENTS; k++)
			client_close(&l->clients[k]);
		if (l->fd >= 0)
			close(l->fd);
		/* The context's socket is the shared capture end: not ours. */
		modbus_free(l->ctx);
	}
	close(s->capture[0]);
	close(s->capture[1]);
	free(s->listeners);
	free(s->pfds);
	free(s->refs);
	free(s);
}

static void
map_units(const struct model *m, size_t c, struct listener *l)
{
	for (int u = 0; u < UNIT_COUNT; u++)
		l->unit_device[u] = -1;
	for (size_t d = 0; d < m->ndevices; d++)
		if (m->devices[d].connector == c &&
		    m->devices[d].unit_id >= 0 &&
		    m->devices[d].unit_id < UNIT_COUNT)
			l->unit_device[m->devices[d].unit_id] = (long)d;
}

int
server_add(struct server *s, size_t c, const struct sim_fault *f)
{
	const struct connector *conn = &s->model->connectors[c];
	struct listener *l;
	modbus_t *ctx;
	int fd;

	if (conn->kind != CONNECTOR_TCP) {
		errno = ENOTSUP;
		return -1;
	}
	if (f->refuse)
		return 0;
	if ((fd = tcp_listen(conn->port)) < 0)
		return -1;
	if ((ctx = transport_tcp.new_context(conn)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	/* response_exception() sleeps this long before a flush: keep it 1 us. */
	modbus_set_response_timeout(ctx, 0, 1);
	modbus_set_socket(ctx, s->capture[0]);
	s->listeners = xrealloc(s->listeners,
	    (s->nlisteners + 1) * sizeof *s->listeners);
	l = &s->listeners[s->nlisteners++];
	memset(l, 0, sizeof *l);
	l->conn = conn;
	l->tr = &transport_tcp;
	l->fault = *f;
	l->fd = fd;
	l->ctx = ctx;
	map_units(s->model, c, l);
	for (int k = 0; k < SERVER_MAX_CLIENTS; k++)
		l->clients[k].fd = -1;
	return 0;
}

static void
add_poll(struct server *s, size_t *n, int fd, short events, size_t li,
    int ci)
{
	s->pfds[*n].fd = fd;
	s->pfds[*n].events = events;
	s->pfds[*n].revents = 0;
	s->refs[*n].listener = li;
	s->refs[*n].client = ci;
	(*n)++;
}

static void
lower_deadline(int64_t *deadline, int64_t t)
{
	if (*deadline < 0 || t < *deadline)
		*deadline = t;
}

/*
 * Close stalled clients and fill the poll set.  *deadline is the earliest
 * moment something is due (a slow reply, a frame timeout), -1 for none.
 */
static size_t
prepare_poll(struct server *s, int64_t now, int64_t *deadline)
{
	size_t n = 0;

	*deadline = -1;
	for (size_t i = 0; i < s->nlisteners; i++) {
		struct listener *l = &s->listeners[i];

		add_poll(s, &n, l->fd, POLLIN, i, -1);
		for (int k = 0; k < SERVER_MAX_CLIENTS; k++) {
			struct client *c = &l->clients[k];
			int64_t stall = c->in_since + SERVER_FRAME_TIMEOUT_MS;

			if (c->fd < 0)
				continue;
			if (c->outlen > 0) {
				if (c->out_due <= now)
					add_poll(s, &n, c->fd, POLLOUT, i, k);
				else {
					lower_deadline(deadline, c->out_due);
					add_poll(s, &n, c->fd, 0, i, k);
				}
				continue;
			}
			if (c->inlen > 0 && stall <= now) {
				client_close(c);
				continue;
			}
			if (c->inlen > 0)
				lower_deadline(deadline, stall);
			add_poll(s, &n, c->fd, POLLIN, i, k);
		}
	}
	return n;
}

static void
dispatch(struct server *s, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		struct listener *l = &s->listeners[s->refs[j].listener];
		short re = s->pfds[j].revents;
		struct client *c;

		if (re == 0)
			continue;
		if (s->refs[j].client < 0) {
			listener_accept(s, l);
			continue;
		}
		c = &l->clients[s->refs[j].client];
		if (c->fd != s->pfds[j].fd)
			continue;       /* closed and reused meanwhile */
		if (re & (POLLERR | POLLNVAL))
			client_close(c);
		else if (re & POLLOUT)
			client_write(s, l, c);
		else if (re & (POLLIN | POLLHUP))
			client_read(s, l, c);
	}
}

int
server_run(struct server *s, volatile sig_atomic_t *stop)
{
	size_t cap = s->nlisteners * (SERVER_MAX_CLIENTS + 1);
	sigset_t waitmask;

	s->pfds = xcalloc(cap, sizeof *s->pfds);
	s->refs = xcalloc(cap, sizeof *s->refs);
	sigprocmask(SIG_BLOCK, NULL, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	while (!*stop) {
		int64_t now = now_ms(), deadline;
		struct timespec ts, *tp = NULL;
		size_t n = prepare_poll(s, now, &deadline);

		if (deadline >= 0) {
			int64_t wait = deadline > now ? deadline - now : 0;

			ts.tv_sec = (time_t)(wait / 1000);
			ts.tv_nsec = (long)(wait % 1000) * 1000000;
			tp = &ts;
		}
		if (ppoll(s->pfds, (nfds_t)n, tp, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		dispatch(s, n);
	}
	return 0;
}
