/*
 * driver.h: how the executor talks to a device, whatever carries it.
 *
 * The executor opens one connection per logical device (rule 1), reads or
 * writes through it and closes it; the driver never decides when.  Two
 * drivers implement this: Modbus TCP/RTU over libmodbus (driver_modbus.c) and
 * an in-memory one for unit tests of the executor (driver_mem.c).
 * Every failure is returned as a collect_error, never printed.
 */
#ifndef JOPE_DRIVER_H
#define JOPE_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "config/model.h"

/* Error codes stored with error records; stable, they reach the historian. */
enum collect_code {
	COLLECT_OK = 0,
	COLLECT_CONNECT_REFUSED = 1,    /* connection refused / unreachable */
	COLLECT_TIMEOUT = 2,            /* no (complete) reply in time */
	COLLECT_EXCEPTION = 3,          /* Modbus exception; detail holds its code */
	COLLECT_CRC = 4,                /* RTU CRC mismatch */
	COLLECT_MALFORMED = 5,          /* reply not understood / wrong ids */
	COLLECT_IO = 6,                 /* connection reset, closed mid-reply */
	COLLECT_BAD_VALUE = 7,          /* value not a number (NaN, inf) */
	COLLECT_CANCELLED = 8,          /* task cancelled (HardError, shutdown) */
	COLLECT_HARD_ERROR = 9,         /* device in HardError */
	COLLECT_REMOTE_ERROR = 10       /* the inference host answered with an
	                                   error (detail 0, text says which) */
};

struct collect_error {
	enum collect_code code;
	int detail;                     /* e.g. Modbus exception code, errno */
	char text[160];                 /* human readable, untranslated */
};

const char *collect_code_name(enum collect_code code);

struct driver_conn;                     /* one open connection */

struct driver {
	const char *name;
	void *ctx;
	/* Open a connection to dev on its line; 0 or -1 with err filled. */
	int (*open)(void *ctx, const struct connector *line,
	    const struct device *dev, struct driver_conn **conn,
	    struct collect_error *err);
	/*
	 * Read count registers (or bits: one uint16_t 0/1 per bit) of table
	 * starting at address.  0 or -1 with err filled.  After an error the
	 * executor closes the connection: a desynchronised stream is never
	 * read again.
	 */
	int (*read)(struct driver_conn *conn, enum modbus_table table,
	    int address, int count, uint16_t *out, struct collect_error *err);
	int (*write)(struct driver_conn *conn, enum modbus_table table,
	    int address, int count, const uint16_t *in,
	    struct collect_error *err);
	void (*close)(struct driver_conn *conn);
	void (*free)(void *ctx);
};

/* Modbus TCP and RTU through libmodbus. */
struct driver *driver_modbus_new(void);

/*
 * In-memory devices for unit tests: registers held per device index, with
 * switches to refuse connections or fail reads.  See driver_mem_* below.
 */
struct driver *driver_mem_new(const struct model *m);
void driver_mem_set(struct driver *d, size_t device, enum modbus_table t,
    int address, uint16_t value);
void driver_mem_refuse(struct driver *d, size_t device, int refuse);
void driver_mem_fail_reads(struct driver *d, size_t device, enum collect_code code);
void driver_mem_set_delay(struct driver *d, int64_t read_delay_ms);
/* Reads of more than max_count registers answer exception 02 (0 = off). */
void driver_mem_limit_read(struct driver *d, size_t device, int max_count);
/* Counters for assertions: opens, closes, concurrent opens seen per line. */
struct driver_mem_stats {
	int opens, closes, reads, max_open_per_device, max_open_per_line;
};
void driver_mem_stats(struct driver *d, struct driver_mem_stats *out);

void driver_free(struct driver *d);

#endif
