/*
 * driver_mem.c: in-memory devices, for unit tests of the executor.
 *
 * Each logical device of the model gets 65536 registers per table.  Tests
 * can make a device refuse connections or fail reads, slow reads down, and
 * read counters that expose rule violations: the most connections ever open
 * at once to one device (rule 1) and on one line (rule 2).  Only tests use
 * it; the console always runs on driver_modbus.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/driver.h"
#include "core/util.h"

struct mem_device {
	uint16_t *tables[4];
	int refuse;
	int max_count;
	enum collect_code read_fail;
	int open_now;
};

struct mem_ctx {
	const struct model *m;
	pthread_mutex_t lock;
	struct mem_device *devs;
	int *line_open;
	int64_t delay_ms;
	struct driver_mem_stats stats;
};

struct driver_conn {
	struct mem_ctx *mc;
	size_t device;
};

static int
mem_open(void *ctx, const struct connector *line, const struct device *dev,
    struct driver_conn **out, struct collect_error *err)
{
	struct mem_ctx *mc = ctx;
	size_t i = (size_t)(dev - mc->m->devices);
	size_t l = (size_t)(line - mc->m->connectors);
	int rc = 0;

	pthread_mutex_lock(&mc->lock);
	if (mc->devs[i].refuse) {
		err->code = COLLECT_CONNECT_REFUSED;
		str_copy(err->text, "connect: Connection refused",
		    sizeof err->text);
		rc = -1;
	} else {
		mc->stats.opens++;
		if (++mc->devs[i].open_now > mc->stats.max_open_per_device)
			mc->stats.max_open_per_device = mc->devs[i].open_now;
		if (++mc->line_open[l] > mc->stats.max_open_per_line)
			mc->stats.max_open_per_line = mc->line_open[l];
		*out = xcalloc(1, sizeof **out);
		(*out)->mc = mc;
		(*out)->device = i;
	}
	pthread_mutex_unlock(&mc->lock);
	return rc;
}

static int
mem_read(struct driver_conn *c, enum modbus_table table, int address,
    int count, uint16_t *out, struct collect_error *err)
{
	struct mem_ctx *mc = c->mc;
	int rc = 0;
	int64_t delay;

	pthread_mutex_lock(&mc->lock);
	delay = mc->delay_ms;
	mc->stats.reads++;
	struct mem_device *d = &mc->devs[c->device];
	if (d->read_fail != COLLECT_OK) {
		err->code = d->read_fail;
		err->detail = d->read_fail == COLLECT_EXCEPTION ? 2 : 0;
		str_copy(err->text, "read: injected failure", sizeof err->text);
		rc = -1;
	} else if (address < 0 || address + count > 65536 ||
	    (d->max_count > 0 && count > d->max_count)) {
		err->code = COLLECT_EXCEPTION;
		err->detail = 2;
		str_copy(err->text, "read: illegal data address",
		    sizeof err->text);
		rc = -1;
	} else {
		memcpy(out, d->tables[table] + address,
		    (size_t)count * sizeof *out);
	}
	pthread_mutex_unlock(&mc->lock);
	if (delay > 0) {
		struct timespec ts = { (time_t)(delay / 1000),
		    (long)(delay % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	return rc;
}

static int
mem_write(struct driver_conn *c, enum modbus_table table, int address,
    int count, const uint16_t *in, struct collect_error *err)
{
	struct mem_ctx *mc = c->mc;

	if (address < 0 || address + count > 65536) {
		err->code = COLLECT_EXCEPTION;
		err->detail = 2;
		str_copy(err->text, "write: illegal data address",
		    sizeof err->text);
		return -1;
	}
	pthread_mutex_lock(&mc->lock);
	memcpy(mc->devs[c->device].tables[table] + address, in,
	    (size_t)count * sizeof *in);
	pthread_mutex_unlock(&mc->lock);
	return 0;
}

static void
mem_close(struct driver_conn *c)
{
	struct mem_ctx *mc = c->mc;
	size_t l = mc->m->devices[c->device].connector;

	pthread_mutex_lock(&mc->lock);
	mc->stats.closes++;
	mc->devs[c->device].open_now--;
	mc->line_open[l]--;
	pthread_mutex_unlock(&mc->lock);
	free(c);
}

static void
mem_free(void *ctx)
{
	struct mem_ctx *mc = ctx;

	for (size_t i = 0; i < mc->m->ndevices; i++)
		for (int t = 0; t < 4; t++)
			free(mc->devs[i].tables[t]);
	free(mc->devs);
	free(mc->line_open);
	pthread_mutex_destroy(&mc->lock);
	free(mc);
}

struct driver *
driver_mem_new(const struct model *m)
{
	struct driver *d = xcalloc(1, sizeof *d);
	struct mem_ctx *mc = xcalloc(1, sizeof *mc);

	mc->m = m;
	pthread_mutex_init(&mc->lock, NULL);
	mc->devs = xcalloc(m->ndevices + 1, sizeof *mc->devs);
	mc->line_open = xcalloc(m->nconnectors + 1, sizeof *mc->line_open);
	for (size_t i = 0; i < m->ndevices; i++)
		for (int t = 0; t < 4; t++)
			mc->devs[i].tables[t] = xcalloc(65536, sizeof(uint16_t));
	d->name = "memory";
	d->ctx = mc;
	d->open = mem_open;
	d->read = mem_read;
	d->write = mem_write;
	d->close = mem_close;
	d->free = mem_free;
	return d;
}

void
driver_mem_set(struct driver *d, size_t device, enum modbus_table t,
    int address, uint16_t value)
{
	struct mem_ctx *mc = d->ctx;

	pthread_mutex_lock(&mc->lock);
	mc->devs[device].tables[t][address & 0xffff] = value;
	pthread_mutex_unlock(&mc->lock);
}

void
driver_mem_refuse(struct driver *d, size_t device, int refuse)
{
	struct mem_ctx *mc = d->ctx;

	pthread_mutex_lock(&mc->lock);
	mc->devs[device].refuse = refuse;
	pthread_mutex_unlock(&mc->lock);
}

void
driver_mem_fail_reads(struct driver *d, size_t device, enum collect_code code)
{
	struct mem_ctx *mc = d->ctx;

	pthread_mutex_lock(&mc->lock);
	mc->devs[device].read_fail = code;
	pthread_mutex_unlock(&mc->lock);
}

void
driver_mem_limit_read(struct driver *d, size_t device, int max_count)
{
	struct mem_ctx *mc = d->ctx;

	pthread_mutex_lock(&mc->lock);
	mc->devs[device].max_count = max_count;
	pthread_mutex_unlock(&mc->lock);
}

void
driver_mem_set_delay(struct driver *d, int64_t read_delay_ms)
{
	struct mem_ctx *mc = d->ctx;

	pthread_mutex_lock(&mc->lock);
	mc->delay_ms = read_delay_ms;
	pthread_mutex_unlock(&mc->lock);
}

void
driver_mem_stats(struct driver *d, struct driver_mem_stats *out)
{
	struct mem_ctx *mc = d->ctx;

	pthread_mutex_lock(&mc->lock);
	*out = mc->stats;
	pthread_mutex_unlock(&mc->lock);
}
