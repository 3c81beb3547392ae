/*
 * driver_modbus.c: Modbus TCP and RTU through libmodbus.
 *
 * One libmodbus context per open connection (one logical device), created
 * at open and destroyed at close, so no state from an earlier session (a
 * late reply, a half-read frame) can ever leak into the next one.  Errors
 * are classified into collect_code values; the executor closes the
 * connection after any error that is not a clean Modbus exception, which is
 * how a desynchronised stream is recovered: it is rebuilt, never re-read.
 */
#include "config.h"

#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/driver.h"
#include "core/util.h"

struct driver_conn {
	modbus_t *ctx;
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
	(*out)->inter_frame_delay_ms = line->kind == CONNECTOR_RTU ?
	    line->inter_frame_delay_ms : 0;
	return 0;
}

static int
modbus_read(struct driver_conn *conn, enum modbus_table table, int address,
    int count, uint16_t *out, struct collect_error *err)
{
	uint8_t bits[MODBUS_MAX_READ_BITS];
	int rc;

	if (conn->inter_frame_delay_ms > 0)
		sleep_ms(conn->inter_frame_delay_ms);
	switch (table) {
	case TABLE_COIL:
	case TABLE_DISCRETE_INPUT:
		if (count > MODBUS_MAX_READ_BITS)
			count = MODBUS_MAX_READ_BITS;
		rc = table == TABLE_COIL ?
		    modbus_read_bits(conn->ctx, address, count, bits) :
		    modbus_read_input_bits(conn->ctx, address, count, bits);
		if (rc == count)
			for (int i = 0; i < count; i++)
				out[i] = bits[i] ? 1 : 0;
		break;
	case TABLE_INPUT_REGISTER:
		rc = modbus_read_input_registers(conn->ctx, address, count, out);
		break;
	default:
		rc = modbus_read_registers(conn->ctx, address, count, out);
		break;
	}
	if (rc == count)
		return 0;
	if (rc >= 0) {
		err->code = COLLECT_MALFORMED;
		err->detail = rc;
		snprintf(err->text, sizeof err->text,
		    "read: %d of %d values in reply", rc, count);
		return -1;
	}
	classify(errno, err, "read");
	return -1;
}

static int
modbus_write(struct driver_conn *conn, enum modbus_table table, int address,
    int count, const uint16_t *in, struct collect_error *err)
{
	int rc;

	if (table == TABLE_COIL) {
		uint8_t bits[MODBUS_MAX_WRITE_BITS];

		if (count > MODBUS_MAX_WRITE_BITS)
			count = MODBUS_MAX_WRITE_BITS;
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
