/*
 * modbus_server.c: Modbus TCP and RTU service of the simulator, one loop.
 *
 * Threading: none.  Every listening socket, every TCP client, every
 * pseudo-terminal master and its inotify watch sit in one ppoll() set, and
 * all of them are non-blocking.  The simulator is pure I/O on tiny frames,
 * so one thread is plenty, and it buys a plant and mappings that need no
 * locks, a run that --seed makes reproducible, faults that can be replaced
 * between two requests, and delays that are timers instead of sleeps: a
 * "slow" device holds its reply in the client's queue until it is due
 * while the other connectors go on answering.
 *
 * A request goes through these steps:
 *   1. bytes accumulate in the client's in buffer until the transport says
 *      a frame is complete.  Modbus TCP: by the MBAP length; a stream that
 *      cannot be Modbus TCP closes the connection, and so does a frame left
 *      incomplete for SERVER_FRAME_TIMEOUT_MS.  Modbus RTU: by the length
 *      that the function code implies (8 bytes for functions 1-6 and 8,
 *      4 for 7, 11, 12 and 17, 10 for 22, the byte count for 15, 16 and
 *      23); a function whose length is unknown ends at a silence of
 *      SERVER_RTU_SILENCE_MS, and so does an incomplete frame, which is then
 *      thrown away.  The 3.5 character times of a real line mean nothing on
 *      a pseudo-terminal, and a scheduler pause must not cut a frame in two,
 *      so the silence is a fixed, generous one.  A frame whose CRC is wrong
 *      is ignored with everything buffered after it, as a real slave does:
 *      no reply;
 *   2. the unit id picks the device and the device (else the connector)
 *      picks the fault.  "drop" answers nothing; "exception" answers its
 *      code; a unit that no device on the connector has gets exception 0B
 *      on TCP (as from a gateway whose serial device is silent) and no reply
 *      on RTU (nobody at that address); a request whose length does not fit
 *      its function, or whose quantity exceeds the Modbus limits, gets 03;
 *      one touching an address that is neither part of a configured point
 *      nor of the plant's clock or spectrum block gets 02; anything else is
 *      answered by libmodbus's modbus_reply() on the device's mapping,
 *      refreshed from the plant at that instant;
 *   3. libmodbus sends its replies to the context's socket, so that socket
 *      is one end of a SOCK_SEQPACKET pair: the reply is captured as one
 *      packet (an RTU context appends its CRC), and the fault decides what
 *      really goes out: "garbage" spoils it, "close" cuts it in half (and
 *      on TCP hangs up), "mismatch" makes it the reply to another request
 *      (TCP: transaction id, RTU: unit id), "slow" and "late" delay it;
 *   4. the reply waits in the client's queue until due, and is written as
 *      the descriptor accepts it.  The client's next request is looked at
 *      only once every reply queued before it has gone, as on a real
 *      device, except behind "late" replies: then requests go on being read
 *      and answered, and replies leave by due time, so a client that stops
 *      waiting and asks again reads the old reply as soon as it is due
 *      (first, if it asked the same late device), and on an RTU line a
 *      prompt device answers at once while another's late reply waits.
 *
 * struct transport holds everything that differs between TCP and RTU
 * framing; struct listener holds one connector, either a listening socket
 * with up to SERVER_MAX_CLIENTS clients, or a pty_line whose master end is
 * its single, permanent client.
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
#include "sim/pty_line.h"

#define FRAME_MAX MODBUS_TCP_MAX_ADU_LENGTH  /* RTU frames are shorter */
#define UNIT_COUNT 256
#define LISTEN_BACKLOG 16
#define RTU_MIN_FRAME 4             /* unit, function, CRC */

struct transport {
	const char *name;
	int rtu;
	int header_length;          /* bytes before the function code */
	int checksum_length;        /* bytes after the PDU */
	int stall_ms;               /* TCP: frame timeout; RTU: silence */
	/*
	 * Size of the first complete frame; 0 while incomplete; -1 when the
	 * bytes cannot start a frame; -2 when only silence can end it.
	 */
	int (*frame_size)(const uint8_t *buf, size_t len);
	int (*frame_valid)(const uint8_t *buf, size_t len);
	/* Turn a reply into bytes no client can take for a valid reply. */
	void (*garbage)(struct rng *r, uint8_t *buf, size_t len);
	/* Turn a reply into a valid reply to some other request. */
	void (*mismatch)(uint8_t *buf, size_t len);
};

struct reply {
	uint8_t buf[FRAME_MAX];
	size_t len;
	int64_t due;                /* ms when it may be sent */
	int close_after;            /* fault "close": hang up once sent */
	int pipelined;              /* fault "late": requests read meanwhile */
};

struct client {
	int fd;                     /* -1: free slot */
	uint8_t in[FRAME_MAX];
	size_t inlen;
	int64_t in_since;           /* TCP: frame began; RTU: last byte */
	struct reply out[SERVER_REPLY_QUEUE];  /* by due time; [0] next */
	size_t nout, outoff;        /* outoff: bytes of out[0] sent */
};

struct listener {
	size_t index;               /* into model.connectors */
	const struct connector *conn;
	const struct transport *tr;
	int fd;                     /* TCP: listening; RTU: pty watch; or -1 */
	struct pty_line pty;        /* RTU */
	modbus_t *ctx;              /* builds replies; never connected */
	long unit_device[UNIT_COUNT];   /* device index per unit, -1: none */
	struct client clients[SERVER_MAX_CLIENTS]; /* RTU: [0] is the master */
	int nclients;
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
	struct sim_fault *conn_fault;   /* per connector */
	struct sim_fault *dev_fault;    /* per device */
	struct listener *listeners;
	size_t nlisteners;
	struct pollfd *pfds;
	struct poll_ref *refs;
	int64_t start_ms;
	server_notify_fn *notify;
	void *notify_arg;
	server_tick_fn *tick;
	void *tick_arg;
	volatile sig_atomic_t *poke;
	int64_t next_tick;
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

static int
tcp_frame_valid(const uint8_t *buf, size_t len)
{
	(void)buf;
	(void)len;
	return 1;
}

/* Random bytes with a non-zero protocol id: never a Modbus TCP reply. */
static void
tcp_garbage(struct rng *r, uint8_t *buf, size_t len)
{
	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)rng_next(r);
	if (len > 2)
		buf[2] |= 0x80;
}

/* Far from the request's transaction id, and from its next few. */
static void
tcp_mismatch(uint8_t *buf, size_t len)
{
	if (len > 0)
		buf[0] ^= 0x80;
}

static const struct transport transport_tcp = {
	"tcp", 0, 7, 0, SERVER_FRAME_TIMEOUT_MS, tcp_frame_size,
	tcp_frame_valid, tcp_garbage, tcp_mismatch
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

/* --- Modbus RTU ------------------------------------------------------ */

/* CRC-16/MODBUS: polynomial 0xA001 reflected, from 0xFFFF. */
static uint16_t
crc16(const uint8_t *buf, size_t len)
{
	uint16_t crc = 0xFFFF;

	for (size_t k = 0; k < len; k++) {
		crc ^= buf[k];
		for (int b = 0; b < 8; b++)
			crc = crc & 1 ? (uint16_t)(crc >> 1 ^ 0xA001) :
			    (uint16_t)(crc >> 1);
	}
	return crc;
}

/* The CRC goes low byte first. */
static void
rtu_put_crc(uint8_t *buf, size_t len, uint16_t crc)
{
	buf[len - 2] = (uint8_t)(crc & 0xff);
	buf[len - 1] = (uint8_t)(crc >> 8);
}

static int
rtu_frame_valid(const uint8_t *buf, size_t len)
{
	return len >= RTU_MIN_FRAME &&
	    crc16(buf, len - 2) == (buf[len - 2] | buf[len - 1] << 8);
}

/* Request length from the function code: unit, PDU, CRC. */
static int
rtu_frame_size(const uint8_t *buf, size_t len)
{
	int n;

	if (len < 2)
		return 0;
	switch (buf[1]) {
	case MODBUS_FC_READ_COILS:
	case MODBUS_FC_READ_DISCRETE_INPUTS:
	case MODBUS_FC_READ_HOLDING_REGISTERS:
	case MODBUS_FC_READ_INPUT_REGISTERS:
	case MODBUS_FC_WRITE_SINGLE_COIL:
	case MODBUS_FC_WRITE_SINGLE_REGISTER:
	case 0x08:                  /* diagnostics */
		n = 8;
		break;
	case MODBUS_FC_READ_EXCEPTION_STATUS:
	case 0x0B:                  /* get comm event counter */
	case 0x0C:                  /* get comm event log */
	case MODBUS_FC_REPORT_SLAVE_ID:
		n = 4;
		break;
	case MODBUS_FC_WRITE_MULTIPLE_COILS:
	case MODBUS_FC_WRITE_MULTIPLE_REGISTERS:
		if (len < 7)
			return 0;
		n = 9 + buf[6];
		break;
	case MODBUS_FC_MASK_WRITE_REGISTER:
		n = 10;
		break;
	case MODBUS_FC_WRITE_AND_READ_REGISTERS:
		if (len < 11)
			return 0;
		n = 13 + buf[10];
		break;
	default:
		return -2;
	}
	if (n > MODBUS_RTU_MAX_ADU_LENGTH)
		return -1;
	return len >= (size_t)n ? n : 0;
}

/*
 * Unit, function and first byte (the byte count of a read) kept, so a
 * master reads the whole frame; random data and a CRC that does not
 * match, as after noise on the line.
 */
static void
rtu_garbage(struct rng *r, uint8_t *buf, size_t len)
{
	if (len < RTU_MIN_FRAME)
		return;
	for (size_t k = 3; k + 2 < len; k++)
		buf[k] = (uint8_t)rng_next(r);
	rtu_put_crc(buf, len, (uint16_t)(crc16(buf, len - 2) ^ 0x5AA5));
}

/* The reply of the next unit up, CRC and all. */
static void
rtu_mismatch(uint8_t *buf, size_t len)
{
	if (len < RTU_MIN_FRAME)
		return;
	buf[0] = (uint8_t)(buf[0] % 247 + 1);
	rtu_put_crc(buf, len, crc16(buf, len - 2));
}

static const struct transport transport_rtu = {
	"rtu", 1, 1, 2, SERVER_RTU_SILENCE_MS, rtu_frame_size,
	rtu_frame_valid, rtu_garbage, rtu_mismatch
};

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

	code = request_accesses(pdu, len - l->tr->header_length -
	    l->tr->checksum_length, a, &n);
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
			plant_written(s->plant, dev, a[k].table, a[k].address,
			    a[k].count);
	return rc;
}

/* The fault for a request to device dev (-1: no such unit) on l. */
static const struct sim_fault *
effective_fault(const struct server *s, const struct listener *l, long dev)
{
	if (dev >= 0 && fault_is_set(&s->dev_fault[dev]))
		return &s->dev_fault[dev];
	return &s->conn_fault[l->index];
}

/* Build the right reply to one frame into rsp; its length, 0 for none. */
static size_t
build_reply(struct server *s, struct listener *l, const struct sim_fault *f,
    long dev, const uint8_t *req, int len, uint8_t *rsp)
{
	ssize_t n;
	int rc;

	capture_drain(s);
	if (f->mode == FAULT_EXCEPTION)
		rc = modbus_reply_exception(l->ctx, req,
		    (unsigned)f->exception);
	else if (dev < 0)
		rc = modbus_reply_exception(l->ctx, req,
		    MODBUS_EXCEPTION_GATEWAY_TARGET);
	else
		rc = reply_device(s, l, (size_t)dev, req, len);
	if (rc <= 0) {
		capture_drain(s);
		return 0;
	}
	n = recv(s->capture[1], rsp, FRAME_MAX, MSG_DONTWAIT);
	return n > 0 ? (size_t)n : 0;
}

/* Queue a reply for the client, as the fault f says. */
static void
queue_reply(struct server *s, struct listener *l, struct client *c,
    const struct sim_fault *f, const uint8_t *rsp, size_t n)
{
	int64_t due = now_ms() + (f->late_ms > 0 ? f->late_ms : f->slow_ms);
	size_t k = c->outoff > 0 ? 1 : 0;   /* out[0] is half sent: it stays */
	struct reply *r;

	if (c->nout == SERVER_REPLY_QUEUE)  /* cannot happen: see may_read */
		return;
	while (k < c->nout && c->out[k].due <= due)
		k++;
	memmove(&c->out[k + 1], &c->out[k], (c->nout - k) * sizeof *r);
	c->nout++;
	r = &c->out[k];
	r->due = due;
	memcpy(r->buf, rsp, n);
	r->len = n;
	r->close_after = 0;
	switch (f->mode) {
	case FAULT_GARBAGE:
		l->tr->garbage(&s->rng, r->buf, n);
		break;
	case FAULT_CLOSE:
		r->len = n > 1 ? n / 2 : 1;
		r->close_after = 1;
		break;
	case FAULT_MISMATCH:
		l->tr->mismatch(r->buf, n);
		break;
	case FAULT_NONE:
	case FAULT_EXCEPTION:
	case FAULT_DROP:
		break;
	}
	r->pipelined = f->late_ms > 0;
}

/* One complete, checked frame: answer it (or not) as faults say. */
static void
handle_request(struct server *s, struct listener *l, struct client *c,
    const uint8_t *req, int len)
{
	long dev = l->unit_device[req[l->tr->header_length - 1]];
	const struct sim_fault *f = effective_fault(s, l, dev);
	uint8_t rsp[FRAME_MAX];
	size_t n;

	if (f->mode == FAULT_DROP)
		return;
	if (dev < 0 && l->tr->rtu)
		return;                 /* nobody at that address */
	if ((n = build_reply(s, l, f, dev, req, len, rsp)) > 0)
		queue_reply(s, l, c, f, rsp, n);
}

/* --- clients --------------------------------------------------------- */

static void
client_reset(struct client *c)
{
	c->inlen = 0;
	c->nout = c->outoff = 0;
}

/* TCP: hang up.  RTU: the line cannot be hung up; forget its buffers. */
static void
client_close(struct listener *l, struct client *c)
{
	if (!l->tr->rtu && c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	client_reset(c);
}

/* The next request is read when nothing but late replies wait before it. */
static int
may_read(const struct client *c)
{
	if (c->nout == SERVER_REPLY_QUEUE)
		return 0;
	for (size_t k = 0; k < c->nout; k++)
		if (!c->out[k].pipelined)
			return 0;
	return 1;
}

static void
consume_input(struct client *c, size_t n)
{
	c->inlen -= n;
	memmove(c->in, c->in + n, c->inlen);
}

/* Bytes that cannot be a request.  TCP: hang up.  RTU: forget them. */
static void
reject_input(struct listener *l, struct client *c)
{
	if (l->tr->rtu)
		c->inlen = 0;
	else
		client_close(l, c);
}

/* The first size bytes of the in buffer are a frame: check and answer. */
static void
take_frame(struct server *s, struct listener *l, struct client *c, int size)
{
	if (!l->tr->frame_valid(c->in, (size_t)size)) {
		reject_input(l, c);     /* RTU: bad CRC, resynchronise */
		return;
	}
	handle_request(s, l, c, c->in, size);
	consume_input(c, (size_t)size);
	if (!l->tr->rtu)
		c->in_since = now_ms();
}

/* Handle every complete frame in the in buffer, as far as may_read. */
static void
client_process(struct server *s, struct listener *l, struct client *c)
{
	while (c->fd >= 0 && c->inlen > 0 && may_read(c)) {
		int size = l->tr->frame_size(c->in, c->inlen);

		if (size == -1) {
			reject_input(l, c);
			return;
		}
		if (size <= 0)
			return;
		take_frame(s, l, c, size);
	}
}

/*
 * The client has been silent with a frame unfinished.  TCP: hang up.  RTU:
 * the silence ends the frame; answered if its length could only be known
 * this way, thrown away if it is short of what its function needs.
 */
static void
client_stalled(struct server *s, struct listener *l, struct client *c)
{
	if (!l->tr->rtu) {
		client_close(l, c);
		return;
	}
	if (l->tr->frame_size(c->in, c->inlen) == -2 &&
	    c->inlen >= RTU_MIN_FRAME)
		take_frame(s, l, c, (int)c->inlen);
	c->inlen = 0;
	client_process(s, l, c);
}

static void
client_read(struct server *s, struct listener *l, struct client *c)
{
	ssize_t n;

	if (!may_read(c) || c->inlen == sizeof c->in)
		return;
	n = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0) {
		client_close(l, c);
		return;
	}
	if (c->inlen == 0 || l->tr->rtu)
		c->in_since = now_ms();
	c->inlen += (size_t)n;
	client_process(s, l, c);
}

static void
client_write(struct server *s, struct listener *l, struct client *c)
{
	struct reply *r = &c->out[0];
	ssize_t n;
	int close_after;

	if (l->tr->rtu && l->pty.clients == 0)
		n = (ssize_t)(r->len - c->outoff);  /* lost: nobody listens */
	else if (l->tr->rtu)
		n = write(c->fd, r->buf + c->outoff, r->len - c->outoff);
	else
		n = send(c->fd, r->buf + c->outoff, r->len - c->outoff,
		    MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			client_close(l, c);
		return;
	}
	c->outoff += (size_t)n;
	if (c->outoff < r->len)
		return;
	close_after = r->close_after;
	c->nout--;
	memmove(&c->out[0], &c->out[1], c->nout * sizeof *r);
	c->outoff = 0;
	if (close_after && !l->tr->rtu) {
		client_close(l, c);
		return;
	}
	if (!l->tr->rtu)
		c->in_since = now_ms(); /* the next frame's clock starts now */
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
		for (int k = 0; k < l->nclients && c == NULL; k++)
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
		client_reset(c);
		c->in_since = now_ms();
	}
}

/*
 * RTU: a client opened or closed the port.  After a close, the unread rest
 * of what was sent is lost, and once nobody has the port open, so are the
 * requests not read yet; replies still queued wait for their time, and are
 * written if a client has the port open by then.
 */
static void
line_events(struct listener *l)
{
	struct client *c = &l->clients[0];

	if (!pty_line_events(&l->pty))
		return;
	pty_line_discard(&l->pty, l->pty.clients == 0);
	if (l->pty.clients == 0)
		c->inlen = 0;
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
	s->conn_fault = xcalloc(m->nconnectors + 1, sizeof *s->conn_fault);
	s->dev_fault = xcalloc(m->ndevices + 1, sizeof *s->dev_fault);
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
server_set_tick(struct server *s, server_tick_fn *fn, void *arg,
    volatile sig_atomic_t *poke)
{
	s->tick = fn;
	s->tick_arg = arg;
	s->poke = poke;
	s->next_tick = now_ms() + SERVER_TICK_MS;
}

static void
listener_release(struct listener *l)
{
	for (int k = 0; k < l->nclients; k++)
		client_close(l, &l->clients[k]);
	if (l->tr->rtu)
		pty_line_close(&l->pty);   /* closes fd, the watch, too */
	else if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	/* The context's socket is the shared capture end: not ours. */
	if (l->ctx != NULL)
		modbus_free(l->ctx);
	l->ctx = NULL;
}

void
server_free(struct server *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nlisteners; i++)
		listener_release(&s->listeners[i]);
	close(s->capture[0]);
	close(s->capture[1]);
	free(s->conn_fault);
	free(s->dev_fault);
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

/* On the air or off: listening (TCP) or linked at its path (RTU). */
static int
listener_set_up(struct listener *l, int up)
{
	if (l->tr->rtu) {
		if (up)
			return pty_line_link(&l->pty, l->conn->serial);
		pty_line_unlink(&l->pty);
		return 0;
	}
	if (up && l->fd < 0) {
		l->fd = tcp_listen(l->conn->port);
		return l->fd < 0 ? -1 : 0;
	}
	if (!up && l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
		for (int k = 0; k < l->nclients; k++)
			client_close(l, &l->clients[k]);
	}
	return 0;
}

int
server_set_faults(struct server *s, const struct sim_fault *conn,
    const struct sim_fault *dev, size_t *failed)
{
	int rc = 0, saved = 0;

	memcpy(s->conn_fault, conn, s->model->nconnectors * sizeof *conn);
	memcpy(s->dev_fault, dev, s->model->ndevices * sizeof *dev);
	for (size_t i = 0; i < s->nlisteners; i++) {
		struct listener *l = &s->listeners[i];

		if (listener_set_up(l, !s->conn_fault[l->index].refuse) != 0 &&
		    rc == 0) {
			rc = -1;
			saved = errno;
			if (failed != NULL)
				*failed = l->index;
		}
	}
	errno = saved;
	return rc;
}

static modbus_t *
new_context(const struct connector *conn)
{
	if (conn->kind == CONNECTOR_RTU)
		return modbus_new_rtu(conn->serial, conn->baud, conn->parity,
		    conn->data_bits, conn->stop_bits);
	return modbus_new_tcp(SERVER_ADDRESS, conn->port);
}

int
server_add(struct server *s, size_t c)
{
	const struct connector *conn = &s->model->connectors[c];
	struct listener *l;
	int saved;

	s->listeners = xrealloc(s->listeners,
	    (s->nlisteners + 1) * sizeof *s->listeners);
	l = &s->listeners[s->nlisteners];
	memset(l, 0, sizeof *l);
	l->index = c;
	l->conn = conn;
	l->tr = conn->kind == CONNECTOR_RTU ? &transport_rtu : &transport_tcp;
	l->fd = -1;
	l->pty.master = l->pty.slave = l->pty.watch = -1;
	l->nclients = l->tr->rtu ? 1 : SERVER_MAX_CLIENTS;
	for (int k = 0; k < SERVER_MAX_CLIENTS; k++)
		l->clients[k].fd = -1;
	map_units(s->model, c, l);
	if ((l->ctx = new_context(conn)) == NULL) {
		errno = errno != 0 ? errno : ENOMEM;
		return -1;
	}
	/* response_exception() sleeps this long before a flush: keep it 1 us. */
	modbus_set_response_timeout(l->ctx, 0, 1);
	modbus_set_socket(l->ctx, s->capture[0]);
	if (l->tr->rtu) {
		if (pty_line_open(&l->pty) != 0)
			goto fail;
		l->fd = l->pty.watch;
		l->clients[0].fd = l->pty.master;
	}
	if (listener_set_up(l, !s->conn_fault[c].refuse) != 0)
		goto fail;
	s->nlisteners++;
	return 0;
fail:
	saved = errno;
	listener_release(l);
	errno = saved;
	return -1;
}

const char *
server_pty_name(const struct server *s, size_t c)
{
	for (size_t i = 0; i < s->nlisteners; i++)
		if (s->listeners[i].index == c && s->listeners[i].tr->rtu)
			return s->listeners[i].pty.pts;
	return NULL;
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

/* Frames left unfinished too long: see client_stalled. */
static void
expire_stalls(struct server *s, int64_t now)
{
	for (size_t i = 0; i < s->nlisteners; i++) {
		struct listener *l = &s->listeners[i];

		for (int k = 0; k < l->nclients; k++) {
			struct client *c = &l->clients[k];

			if (c->fd >= 0 && c->inlen > 0 && may_read(c) &&
			    c->in_since + l->tr->stall_ms <= now)
				client_stalled(s, l, c);
		}
	}
}

/*
 * Fill the poll set.  *deadline is the earliest moment something is due
 * (a delayed reply, a frame timeout or silence), -1 for none.
 */
static size_t
prepare_poll(struct server *s, int64_t now, int64_t *deadline)
{
	size_t n = 0;

	*deadline = -1;
	for (size_t i = 0; i < s->nlisteners; i++) {
		struct listener *l = &s->listeners[i];

		if (l->fd >= 0)
			add_poll(s, &n, l->fd, POLLIN, i, -1);
		for (int k = 0; k < l->nclients; k++) {
			struct client *c = &l->clients[k];
			short events = 0;

			if (c->fd < 0)
				continue;
			if (c->nout > 0) {
				int64_t due = c->out[0].due;

				if (due <= now)
					events |= POLLOUT;
				else
					lower_deadline(deadline, due);
			}
			if (may_read(c)) {
				events |= POLLIN;
				if (c->inlen > 0)
					lower_deadline(deadline,
					    c->in_since + l->tr->stall_ms);
			}
			add_poll(s, &n, c->fd, events, i, k);
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
			if (l->tr->rtu)
				line_events(l);
			else
				listener_accept(s, l);
			continue;
		}
		c = &l->clients[s->refs[j].client];
		if (c->fd != s->pfds[j].fd)
			continue;       /* closed and reused meanwhile */
		if (re & (POLLERR | POLLNVAL)) {
			client_close(l, c);
			continue;
		}
		if (re & POLLOUT)
			client_write(s, l, c);
		if (c->fd == s->pfds[j].fd && (re & (POLLIN | POLLHUP)))
			client_read(s, l, c);
	}
}

/* Let the caller look at the world: once a second, or when poked. */
static void
run_tick(struct server *s, int64_t now)
{
	int poked;

	if (s->tick == NULL)
		return;
	poked = s->poke != NULL && *s->poke != 0;
	if (!poked && now < s->next_tick)
		return;
	if (s->poke != NULL)
		*s->poke = 0;   /* signals are blocked here: no race */
	s->next_tick = now + SERVER_TICK_MS;
	s->tick(s->tick_arg, poked);
}

int
server_run(struct server *s, volatile sig_atomic_t *stop)
{
	size_t cap = s->nlisteners * (SERVER_MAX_CLIENTS + 1) + 1;
	sigset_t waitmask;

	s->pfds = xcalloc(cap, sizeof *s->pfds);
	s->refs = xcalloc(cap, sizeof *s->refs);
	sigprocmask(SIG_BLOCK, NULL, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGUSR1);
	while (!*stop) {
		int64_t now = now_ms(), deadline;
		struct timespec ts, *tp = NULL;
		size_t n;

		run_tick(s, now);
		now = now_ms();
		expire_stalls(s, now);
		n = prepare_poll(s, now, &deadline);
		if (s->tick != NULL)
			lower_deadline(&deadline, s->next_tick);
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
