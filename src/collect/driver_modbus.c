/*
 * driver_modbus.c: Modbus TCP and RTU through libmodbus.
 *
 * One libmodbus context per open connection (one logical device), created
 * at open and destroyed at close, so no state from an earlier session (a
 * late reply, a half-read frame) can ever leak into the next one.  libmodbus
 * connects, sets up serial lines and frames RTU; reads are sent raw and
 * every field of the reply is checked here (transaction id, unit id,
 * function, byte count), because libmodbus 3.1.6 takes a TCP reply from
 * another unit id for the answer.  Modbus TCP reads are framed here with a
 * transaction id of their own for the same reason.  Errors are classified
 * into collect_code values (writes, not issued by the executor yet, still
 * use libmodbus's framing).  The executor closes the connection after any
 * error that is not a clean Modbus exception, which is how a desynchronised
 * stream is recovered: it is rebuilt, never re-read.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "collect/driver.h"
#include "core/util.h"

struct driver_conn {
	modbus_t *ctx;
	bool tcp;
	int unit;
	int timeout_ms;                 /* response timeout */
	uint16_t tid;                   /* last TCP transaction id sent */
	int inter_frame_delay_ms;       /* rtu: silence before each request */
};

const char *
collect_code_name(enum collect_code code)
{
	switch (code) {
	case COLLECT_OK: return "ok";
	case COLLECT_CONNECT_REFUSED: return "connect_refused";
	case COLLECT_TIMEOUT: return "timeout";
	case COLLECT_EXCEPTION: return "exception";
	case COLLECT_CRC: return "crc";
	case COLLECT_MALFORMED: return "malformed";
	case COLLECT_IO: return "io";
	case COLLECT_BAD_VALUE: return "bad_value";
	case COLLECT_CANCELLED: return "cancelled";
	case COLLECT_HARD_ERROR: return "hard_error";
	case COLLECT_REMOTE_ERROR: return "remote_error";
	}
	return "unknown";
}

static void
classify(int e, struct collect_error *err, const char *what)
{
	err->detail = e;
	if (e > MODBUS_ENOBASE && e <= EMBXGTAR) {
		err->code = COLLECT_EXCEPTION;
		err->detail = e - MODBUS_ENOBASE;
		snprintf(err->text, sizeof err->text,
		    "%s: Modbus exception %02d (%s)", what, err->detail,
		    modbus_strerror(e));
		return;
	}
	switch (e) {
	case ETIMEDOUT:
	case EAGAIN:
		err->code = COLLECT_TIMEOUT;
		break;
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENOENT:
	case EACCES:
		err->code = COLLECT_CONNECT_REFUSED;
		break;
	case EMBBADCRC:
		err->code = COLLECT_CRC;
		break;
	case EMBBADDATA:
	case EMBBADEXC:
	case EMBUNKEXC:
	case EMBMDATA:
	case EMBBADSLAVE:
		err->code = COLLECT_MALFORMED;
		break;
	default:
		err->code = COLLECT_IO;
		break;
	}
	snprintf(err->text, sizeof err->text, "%s: %s", what,
	    modbus_strerror(e));
}

static modbus_t *
new_context(const struct connector *line)
{
	char port[16];

	if (line->kind == CONNECTOR_TCP) {
		snprintf(port, sizeof port, "%d", line->port);
		return modbus_new_tcp_pi(line->host, port);
	}
	return modbus_new_rtu(line->serial, line->baud, line->parity,
	    line->data_bits, line->stop_bits);
}

/*
 * RS-485 mode and RTS control need ioctls that only real serial ports
 * answer; a pseudo-terminal or a USB adapter without them says ENOTTY.
 * Say so in words an engineer can act on, instead of a bare errno.
 */
static int
apply_serial_options(modbus_t *mb, const struct connector *line,
    struct collect_error *err)
{
	char msg[512];

	if (line->rs485 &&
	    modbus_rtu_set_serial_mode(mb, MODBUS_RTU_RS485) != 0) {
		int e = errno;

		err->code = COLLECT_IO;
		err->detail = e;
		snprintf(msg, sizeof msg,
		    "connect: %s does not support RS-485 mode (%s); set "
		    "\"rs485\": false for connector %s", line->serial,
		    e == ENOTTY ? "not a serial port with RS-485" :
		    strerror(e), line->id);
		str_copy(err->text, msg, sizeof err->text);
		return -1;
	}
	if (line->rts != RTS_NONE && modbus_rtu_set_rts(mb,
	    line->rts == RTS_UP ? MODBUS_RTU_RTS_UP : MODBUS_RTU_RTS_DOWN) !=
	    0) {
		int e = errno;

		err->code = COLLECT_IO;
		err->detail = e;
		snprintf(msg, sizeof msg,
		    "connect: %s does not support RTS control (%s); set "
		    "\"rts\": \"none\" for connector %s", line->serial,
		    e == ENOTTY ? "not a serial port" : strerror(e), line->id);
		str_copy(err->text, msg, sizeof err->text);
		return -1;
	}
	return 0;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int
modbus_open(void *ctx, const struct connector *line, const struct device *dev,
    struct driver_conn **out, struct collect_error *err)
{
	modbus_t *mb;
	int tmo = line->timeout_ms > 0 ? line->timeout_ms : 1000;

	(void)ctx;
	mb = new_context(line);
	if (mb == NULL) {
		classify(errno, err, "connect");
		return -1;
	}
	modbus_set_slave(mb, dev->unit_id);
	modbus_set_response_timeout(mb, (uint32_t)(tmo / 1000),
	    (uint32_t)(tmo % 1000) * 1000);
	modbus_set_byte_timeout(mb, (uint32_t)(tmo / 1000),
	    (uint32_t)(tmo % 1000) * 1000);
	modbus_set_error_recovery(mb, MODBUS_ERROR_RECOVERY_NONE);
	if (modbus_connect(mb) != 0) {
		int e = errno;
		modbus_free(mb);
		classify(e, err, "connect");
		if (err->code == COLLECT_IO || err->code == COLLECT_TIMEOUT)
			err->code = COLLECT_CONNECT_REFUSED;
		return -1;
	}
	if (line->kind == CONNECTOR_RTU && apply_serial_options(mb, line,
	    err) != 0) {
		modbus_close(mb);
		modbus_free(mb);
		return -1;
	}
	*out = xcalloc(1, sizeof **out);
	(*out)->ctx = mb;
	(*out)->tcp = line->kind == CONNECTOR_TCP;
	(*out)->unit = dev->unit_id;
	(*out)->timeout_ms = tmo;
	(*out)->inter_frame_delay_ms = line->kind == CONNECTOR_RTU ?
	    line->inter_frame_delay_ms : 0;
	return 0;
}

static int
malformed(struct collect_error *err, int detail, const char *what)
{
	err->code = COLLECT_MALFORMED;
	err->detail = detail;
	snprintf(err->text, sizeof err->text, "read: %s", what);
	return -1;
}

static int
io_error(struct collect_error *err, int e, const char *what)
{
	classify(e, err, what);
	return -1;
}

/* Wait until fd is ready for events or the deadline passes. */
static int
wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct timespec now;
	struct pollfd p = { fd, events, 0 };
	long ms;
	int rc;

	do {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (deadline->tv_sec - now.tv_sec) * 1000 +
		    (deadline->tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rc = poll(&p, 1, (int)ms);
	} while (rc < 0 && errno == EINTR);
	if (rc == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

static int
read_exact(int fd, uint8_t *buf, size_t n, const struct timespec *deadline)
{
	while (n > 0) {
		ssize_t got;

		if (wait_fd(fd, POLLIN, deadline) != 0)
			return -1;
		got = recv(fd, buf, n, 0);
		if (got == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		buf += got;
		n -= (size_t)got;
	}
	return 0;
}

/*
 * One Modbus TCP exchange on the connection's socket, framed here rather
 * than by libmodbus: libmodbus 3.1.6 sends raw requests with transaction
 * id 0, so it could not tell a late reply from the answer.  Each request
 * gets its own id; the reply's header is read first and its length
 * bounded before the rest is read.
 */
static int
tcp_exchange(struct driver_conn *conn, const uint8_t *pdu, size_t pdulen,
    uint8_t *rsp, int *rsplen, uint16_t *tid, struct collect_error *err)
{
	int fd = modbus_get_socket(conn->ctx);
	uint8_t frame[7 + 253];
	struct timespec deadline;
	size_t len;

	conn->tid = conn->tid < UINT16_MAX ? conn->tid + 1 : 1;
	*tid = conn->tid;
	frame[0] = (uint8_t)(*tid >> 8);
	frame[1] = (uint8_t)*tid;
	frame[2] = frame[3] = 0;
	frame[4] = (uint8_t)((pdulen + 1) >> 8);
	frame[5] = (uint8_t)(pdulen + 1);
	frame[6] = (uint8_t)conn->unit;
	memcpy(frame + 7, pdu, pdulen);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += conn->timeout_ms / 1000;
	deadline.tv_nsec += (long)(conn->timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	ssize_t sent = send(fd, frame, 7 + pdulen, MSG_NOSIGNAL);
	if (sent != (ssize_t)(7 + pdulen))
		return io_error(err, sent < 0 ? errno : EIO, "read");
	if (read_exact(fd, rsp, 7, &deadline) != 0)
		return io_error(err, errno, "read");
	len = (size_t)(rsp[4] << 8 | rsp[5]);
	if (len < 2 || len > 254)
		return malformed(err, (int)len, "reply with an impossible "
		    "length");
	if (read_exact(fd, rsp + 7, len - 1, &deadline) != 0)
		return io_error(err, errno, "read");
	*rsplen = (int)(6 + len);
	return 0;
}

/*
 * Check a raw reply against its request and take the values out of it.
 * libmodbus 3.1.6 checks a TCP reply's transaction id but not its unit id,
 * and stays one reply behind after a late one; so every field is checked
 * here, and any mismatch is an error after which the executor rebuilds the
 * connection: a reply is never taken for the answer to another request.
 */
static int
parse_reply(struct driver_conn *conn, const uint8_t *rsp, int len, int fc,
    int count, uint16_t tid, uint16_t *out, struct collect_error *err)
{
	int hdr = modbus_get_header_length(conn->ctx);
	bool bits = fc == 0x01 || fc == 0x02;
	int want = bits ? (count + 7) / 8 : 2 * count;

	if (len == 0 && !conn->tcp)     /* libmodbus: another slave's reply */
		return malformed(err, 0, "reply from another unit id");
	if (len < hdr + 2)
		return malformed(err, len, "reply too short");
	if (conn->tcp && ((rsp[0] << 8 | rsp[1]) != tid || rsp[2] != 0 ||
	    rsp[3] != 0))
		return malformed(err, rsp[0] << 8 | rsp[1],
		    "reply with another transaction id");
	if (rsp[hdr - 1] != conn->unit)
		return malformed(err, rsp[hdr - 1],
		    "reply from another unit id");
	if (rsp[hdr] == (fc | 0x80)) {
		err->code = COLLECT_EXCEPTION;
		err->detail = rsp[hdr + 1];
		snprintf(err->text, sizeof err->text,
		    "read: Modbus exception %02d (%s)", err->detail,
		    modbus_strerror(MODBUS_ENOBASE + err->detail));
		return -1;
	}
	if (rsp[hdr] != fc)
		return malformed(err, rsp[hdr], "reply to another function");
	if (rsp[hdr + 1] != want || len < hdr + 2 + want)
		return malformed(err, rsp[hdr + 1], "reply of the wrong size");
	for (int i = 0; i < count; i++) {
		const uint8_t *d = rsp + hdr + 2;

		out[i] = bits ? (d[i / 8] >> (i % 8)) & 1 :
		    (uint16_t)(d[2 * i] << 8 | d[2 * i + 1]);
	}
	return 0;
}

static int
modbus_read(struct driver_conn *conn, enum modbus_table table, int address,
    int count, uint16_t *out, struct collect_error *err)
{
	static const int functions[] = {
		[TABLE_COIL] = 0x01, [TABLE_DISCRETE_INPUT] = 0x02,
		[TABLE_HOLDING_REGISTER] = 0x03, [TABLE_INPUT_REGISTER] = 0x04
	};
	uint8_t req[6], rsp[MODBUS_MAX_ADU_LENGTH];
	int fc = functions[table], limit, len;
	uint16_t tid = 0;

	limit = fc <= 0x02 ? MODBUS_MAX_READ_BITS : MODBUS_MAX_READ_REGISTERS;
	if (count < 1 || count > limit || address < 0 ||
	    address + count > 65536) {
		/* Our own request is wrong: not the device's exception. */
		return malformed(err, count, "request out of range");
	}
	if (conn->inter_frame_delay_ms > 0)
		sleep_ms(conn->inter_frame_delay_ms);
	req[0] = (uint8_t)conn->unit;
	req[1] = (uint8_t)fc;
	req[2] = (uint8_t)(address >> 8);
	req[3] = (uint8_t)address;
	req[4] = (uint8_t)(count >> 8);
	req[5] = (uint8_t)count;
	if (conn->tcp) {
		if (tcp_exchange(conn, req + 1, sizeof req - 1, rsp, &len, &tid,
		    err) != 0)
			return -1;
	} else {
		/*
		 * RTU: libmodbus frames, times and checks the CRC.  RTU has
		 * no transaction ids: drop whatever a late reply left in the
		 * input first (the guard interval covers one still on its
		 * way).
		 */
		modbus_flush(conn->ctx);
		if (modbus_send_raw_request(conn->ctx, req, sizeof req) < 0)
			return io_error(err, errno, "read");
		len = modbus_receive_confirmation(conn->ctx, rsp);
		if (len < 0)
			return io_error(err, errno, "read");
	}
	return parse_reply(conn, rsp, len, fc, count, tid, out, err);
}

static int
modbus_write(struct driver_conn *conn, enum modbus_table table, int address,
    int count, const uint16_t *in, struct collect_error *err)
{
	int rc;

	if (count < 1 || count > (table == TABLE_COIL ?
	    MODBUS_MAX_WRITE_BITS : MODBUS_MAX_WRITE_REGISTERS)) {
		err->code = COLLECT_MALFORMED;
		err->detail = count;
		str_copy(err->text, "write: request out of range",
		    sizeof err->text);
		return -1;
	}
	if (table == TABLE_COIL) {
		uint8_t bits[MODBUS_MAX_WRITE_BITS];

		for (int i = 0; i < count; i++)
			bits[i] = in[i] ? 1 : 0;
		rc = modbus_write_bits(conn->ctx, address, count, bits);
	} else if (table == TABLE_HOLDING_REGISTER) {
		rc = modbus_write_registers(conn->ctx, address, count, in);
	} else {
		err->code = COLLECT_EXCEPTION;
		err->detail = MODBUS_EXCEPTION_ILLEGAL_FUNCTION;
		str_copy(err->text, "write: table is read-only",
		    sizeof err->text);
		return -1;
	}
	if (rc == count)
		return 0;
	classify(errno, err, "write");
	return -1;
}

static void
modbus_close_conn(struct driver_conn *conn)
{
	if (conn == NULL)
		return;
	modbus_close(conn->ctx);
	modbus_free(conn->ctx);
	free(conn);
}

static void
modbus_free_ctx(void *ctx)
{
	(void)ctx;
}

struct driver *
driver_modbus_new(void)
{
	struct driver *d = xcalloc(1, sizeof *d);

	d->name = "modbus";
	d->open = modbus_open;
	d->read = modbus_read;
	d->write = modbus_write;
	d->close = modbus_close_conn;
	d->free = modbus_free_ctx;
	return d;
}

void
driver_free(struct driver *d)
{
	if (d == NULL)
		return;
	if (d->free != NULL)
		d->free(d->ctx);
	free(d);
}
