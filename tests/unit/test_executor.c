/*
 * test_executor.c: the executor's rules, row by row, on the in-memory driver
 * and a virtual clock (so 10 s keep-alive and 20 s guard take milliseconds).
 *
 * The integration tests run the same executor on real Modbus against the
 * simulator; these tests pin down timing and ordering that a real network
 * would make flaky.  Rule by rule:
 *   1 test_rule1_one_connection_per_device
 *   2 test_line_exclusive_with_guard
 *   3 test_rule3_fifo_before_close
 *   4 test_keep_alive_reuses_connection, test_keep_alive_extended_at_9900
 *   5 test_guard_to_the_millisecond
 *   6 test_longest_waiting_first, test_max_hold_yields_line
 *   7 test_hard_error_cancels
 *   8 test_parallel_lines, test_pool_grows_and_shrinks,
 *     test_pool_one_idle_thread_two_jobs
 * and the rest of the table: read errors, exception-02 splits, stopping,
 * immediate writes, clocks and spectra.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/driver.h"
#include "collect/executor.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"

#define MAXDEV 4

struct record {
	pthread_mutex_t lock;
	int ok[MAXDEV], failed[MAXDEV];
	int total_ok;                   /* every device, also >= MAXDEV */
	int codes[16];                  /* count per collect_code */
	enum device_conn_state state[MAXDEV];
	int connected_order[16];        /* device index in order of connect */
	int nconnected;
	double last_value[MAXDEV];
};

static struct record rec;

static void
sink_results(void *ctx, size_t device, const struct point_result *r, size_t n)
{
	(void)ctx;
	pthread_mutex_lock(&rec.lock);
	for (size_t i = 0; i < n; i++) {
		if (r[i].ok) {
			rec.total_ok++;
			if (device >= MAXDEV)
				continue;
			rec.ok[device]++;
			rec.last_value[device] = r[i].value;
		} else if (device < MAXDEV) {
			rec.failed[device]++;
			rec.codes[r[i].err.code]++;
		}
	}
	pthread_mutex_unlock(&rec.lock);
}

static void
sink_state(void *ctx, size_t device, enum device_conn_state s,
    const struct collect_error *err)
{
	(void)ctx;
	(void)err;
	if (device >= MAXDEV)
		return;
	pthread_mutex_lock(&rec.lock);
	rec.state[device] = s;
	if (s == DEVICE_CONNECTED && rec.nconnected < 16)
		rec.connected_order[rec.nconnected++] = (int)device;
	pthread_mutex_unlock(&rec.lock);
}

static struct {
	int spectra, spectrum_errors, commands_ok, commands_failed;
	double first_pixel, last_pixel;
	size_t pixels;
	char last_text[256];
} cmd;

static void
sink_spectrum(void *ctx, size_t device, size_t spectrum, const double *px,
    size_t n, int64_t ts, const struct collect_error *err)
{
	(void)ctx;
	(void)device;
	(void)spectrum;
	(void)ts;
	pthread_mutex_lock(&rec.lock);
	if (err != NULL) {
		cmd.spectrum_errors++;
	} else {
		cmd.spectra++;
		cmd.pixels = n;
		cmd.first_pixel = px[0];
		cmd.last_pixel = px[n - 1];
	}
	pthread_mutex_unlock(&rec.lock);
}

static void
sink_command(void *ctx, size_t device, enum task_kind kind, size_t index,
    bool ok, const char *text)
{
	(void)ctx;
	(void)device;
	(void)kind;
	(void)index;
	pthread_mutex_lock(&rec.lock);
	if (ok)
		cmd.commands_ok++;
	else
		cmd.commands_failed++;
	snprintf(cmd.last_text, sizeof cmd.last_text, "%s", text);
	pthread_mutex_unlock(&rec.lock);
}

static const struct executor_sink sink = { .results = sink_results,
    .device_state = sink_state, .spectrum = sink_spectrum,
    .command_done = sink_command };

static int
read_cmd(size_t which)
{
	pthread_mutex_lock(&rec.lock);
	int n = which == 0 ? cmd.commands_ok : which == 1 ?
	    cmd.commands_failed : which == 2 ? cmd.spectra :
	    cmd.spectrum_errors;
	pthread_mutex_unlock(&rec.lock);
	return n;
}

/* A model of ndev devices; line_of[i] gives device i's line. */
static struct model *
make_model(size_t ndev, const size_t *line_of, size_t nlines)
{
	struct model *m = xcalloc(1, sizeof *m);

	m->nconnectors = nlines;
	m->connectors = xcalloc(nlines, sizeof *m->connectors);
	for (size_t i = 0; i < nlines; i++)
		snprintf(m->connectors[i].id, MODEL_ID_MAX, "line%zu", i);
	m->ndevices = ndev;
	m->devices = xcalloc(ndev, sizeof *m->devices);
	m->npoints = ndev;
	m->points = xcalloc(ndev, sizeof *m->points);
	for (size_t i = 0; i < ndev; i++) {
		snprintf(m->devices[i].id, MODEL_ID_MAX, "dev%zu", i);
		m->devices[i].connector = line_of[i];
		m->devices[i].unit_id = 1;
		snprintf(m->points[i].id, MODEL_ID_MAX, "p%zu", i);
		m->points[i].device = i;
		m->points[i].table = TABLE_HOLDING_REGISTER;
		m->points[i].address = 10;
		m->points[i].type = VALUE_U16;
		m->points[i].scale = 1;
	}
	return m;
}

static void
free_model(struct model *m)
{
	free(m->connectors);
	free(m->devices);
	free(m->points);
	free(m);
}

/* Stop the executor first (it may still report), then what it used. */
static void
finish(struct executor *ex, struct driver *drv, struct clock *clk,
    struct model *m)
{
	executor_free(ex);
	driver_free(drv);
	clock_virtual_free(clk);
	free_model(m);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
read_ok(size_t dev)
{
	pthread_mutex_lock(&rec.lock);
	int n = rec.ok[dev];
	pthread_mutex_unlock(&rec.lock);
	return n;
}

static int
read_failed(size_t dev)
{
	pthread_mutex_lock(&rec.lock);
	int n = rec.failed[dev];
	pthread_mutex_unlock(&rec.lock);
	return n;
}

static enum device_conn_state
read_state(size_t dev)
{
	pthread_mutex_lock(&rec.lock);
	enum device_conn_state s = rec.state[dev];
	pthread_mutex_unlock(&rec.lock);
	return s;
}

/* Wait (real time, bounded) until fn(dev) >= want. */
static bool
wait_count(int (*fn)(size_t), size_t dev, int want)
{
	for (int i = 0; i < 10000; i++) {  /* bounded: 10 s */
		if (fn(dev) >= want)
			return true;
		sleep_ms(1);
	}
	return false;
}

static bool
wait_state(size_t dev, enum device_conn_state s)
{
	for (int i = 0; i < 10000; i++) {  /* bounded: 10 s */
		if (read_state(dev) == s)
			return true;
		sleep_ms(1);
	}
	return false;
}

/* Let worker threads settle without moving virtual time. */
static void
settle(void)
{
	sleep_ms(30);
}

static const struct executor_params params = {
	.keep_alive_ms = 10000, .guard_ms = 20000, .retries = 3,
	.hard_error_ms = 300000, .threads = 8
};

static int
setup(void **state)
{
	(void)state;
	memset(&rec, 0, sizeof rec);
	memset(&cmd, 0, sizeof cmd);
	pthread_mutex_init(&rec.lock, NULL);
	return 0;
}

/* Rules 3 and 4: tasks run on one connection while keep-alive lasts. */
static void
test_keep_alive_reuses_connection(void **state)
{
	size_t lines[] = { 0 };
	struct model *m = make_model(1, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct driver_mem_stats st;
	size_t p = 0;

	(void)state;
	driver_mem_set(drv, 0, TABLE_HOLDING_REGISTER, 10, 42);
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	assert_true(executor_submit_read(ex, 0, &p, 1) > 0);
	assert_true(wait_count(read_ok, 0, 1));
	assert_int_equal((int)rec.last_value[0], 42);

	clock_virtual_advance(clk, 9000);       /* inside keep-alive */
	settle();
	assert_int_equal(read_state(0), DEVICE_CONNECTED);
	executor_submit_read(ex, 0, &p, 1);
	assert_true(wait_count(read_ok, 0, 2));
	clock_virtual_advance(clk, 9000);       /* keep-alive restarted */
	settle();
	assert_int_equal(read_state(0), DEVICE_CONNECTED);
	driver_mem_stats(drv, &st);
	assert_int_equal(st.opens, 1);
	assert_int_equal(st.closes, 0);

	clock_virtual_advance(clk, 1500);       /* keep-alive over */
	assert_true(wait_state(0, DEVICE_IDLE));
	driver_mem_stats(drv, &st);
	assert_int_equal(st.closes, 1);

	finish(ex, drv, clk, m);
}

/* Rules 2, 5, 6: one device at a time per line, guard between them. */
static void
test_line_exclusive_with_guard(void **state)
{
	size_t lines[] = { 0, 0 };
	struct model *m = make_model(2, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct driver_mem_stats st;
	size_t p0 = 0, p1 = 1;

	(void)state;
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	executor_submit_read(ex, 0, &p0, 1);
	assert_true(wait_count(read_ok, 0, 1));
	executor_submit_read(ex, 1, &p1, 1);    /* waits: line busy */
	settle();
	assert_int_equal(read_ok(1), 0);
	assert_int_equal(read_state(1), DEVICE_WAITING);

	clock_virtual_advance(clk, 10001);      /* dev0 keep-alive ends */
	assert_true(wait_state(0, DEVICE_IDLE));
	settle();
	assert_int_equal(read_ok(1), 0);        /* guard interval */
	clock_virtual_advance(clk, 19000);
	settle();
	assert_int_equal(read_ok(1), 0);        /* still in guard */
	clock_virtual_advance(clk, 1001);
	assert_true(wait_count(read_ok, 1, 1)); /* rule 6 */

	driver_mem_stats(drv, &st);
	assert_int_equal(st.max_open_per_line, 1);
	assert_int_equal(st.max_open_per_device, 1);
	finish(ex, drv, clk, m);
}

/* Fairness: when a line frees up, the device that waited longest goes. */
static void
test_longest_waiting_first(void **state)
{
	size_t lines[] = { 0, 0, 0 };
	struct model *m = make_model(3, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	size_t p[] = { 0, 1, 2 };

	(void)state;
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	executor_submit_read(ex, 0, &p[0], 1);
	assert_true(wait_count(read_ok, 0, 1));
	clock_virtual_advance(clk, 100);
	executor_submit_read(ex, 2, &p[2], 1);  /* waits longer */
	clock_virtual_advance(clk, 100);
	executor_submit_read(ex, 1, &p[1], 1);
	clock_virtual_advance(clk, 10000);      /* keep-alive of dev0 ends */
	assert_true(wait_state(0, DEVICE_IDLE));
	clock_virtual_advance(clk, 20001);      /* guard ends */
	assert_true(wait_count(read_ok, 2, 1));
	assert_int_equal(read_ok(1), 0);
	pthread_mutex_lock(&rec.lock);
	assert_int_equal(rec.connected_order[0], 0);
	assert_int_equal(rec.connected_order[1], 2);
	pthread_mutex_unlock(&rec.lock);

	finish(ex, drv, clk, m);
}

/* Rule 7: r failed connects -> HardError, tasks cancelled and recorded. */
static void
test_hard_error_cancels(void **state)
{
	size_t lines[] = { 0 };
	struct model *m = make_model(1, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	size_t p = 0;

	(void)state;
	driver_mem_refuse(drv, 0, 1);
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	executor_submit_read(ex, 0, &p, 1);
	for (int attempt = 0; attempt < 2; attempt++) {
		settle();
		assert_int_equal(read_failed(0), 0);    /* still queued */
		clock_virtual_advance(clk, params.guard_ms + 1);
	}
	assert_true(wait_state(0, DEVICE_HARD_ERROR));
	assert_true(wait_count(read_failed, 0, 1));
	pthread_mutex_lock(&rec.lock);
	assert_int_equal(rec.codes[COLLECT_HARD_ERROR], 1);
	pthread_mutex_unlock(&rec.lock);

	/* New tasks during HardError are cancelled at once, and recorded. */
	assert_int_equal(executor_submit_read(ex, 0, &p, 1), 0);
	assert_int_equal(read_failed(0), 2);

	/* After d, the device is tried again. */
	driver_mem_refuse(drv, 0, 0);
	clock_virtual_advance(clk, params.hard_error_ms + 1);
	assert_true(wait_state(0, DEVICE_IDLE));
	assert_true(executor_submit_read(ex, 0, &p, 1) > 0);
	assert_true(wait_count(read_ok, 0, 1));

	finish(ex, drv, clk, m);
}

/* Rule 8: devices on different lines are served in parallel. */
static void
test_parallel_lines(void **state)
{
	size_t lines[] = { 0, 1, 2 };
	struct model *m = make_model(3, lines, 3);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct driver_mem_stats st;
	size_t p[] = { 0, 1, 2 };

	(void)state;
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	for (size_t i = 0; i < 3; i++)
		executor_submit_read(ex, i, &p[i], 1);
	for (size_t i = 0; i < 3; i++)
		assert_true(wait_count(read_ok, i, 1));
	/* All three are held open in keep-alive at the same time. */
	settle();
	driver_mem_stats(drv, &st);
	assert_int_equal(st.opens, 3);
	assert_int_equal(st.closes, 0);
	assert_int_equal(executor_threads(ex), 3);      /* one per line */

	finish(ex, drv, clk, m);
}

/* A read error is recorded per point; an I/O error closes the connection. */
static void
test_read_error_recorded(void **state)
{
	size_t lines[] = { 0 };
	struct model *m = make_model(1, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct driver_mem_stats st;
	size_t p = 0;

	(void)state;
	driver_mem_fail_reads(drv, 0, COLLECT_TIMEOUT);
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	executor_submit_read(ex, 0, &p, 1);
	assert_true(wait_count(read_failed, 0, 1));
	assert_true(wait_state(0, DEVICE_IDLE));
	driver_mem_stats(drv, &st);
	assert_int_equal(st.closes, 1);         /* rebuilt, not re-read */
	pthread_mutex_lock(&rec.lock);
	assert_int_equal(rec.codes[COLLECT_TIMEOUT], 1);
	pthread_mutex_unlock(&rec.lock);

	finish(ex, drv, clk, m);
}

/* Stopping cancels queued tasks and records each cancellation. */
static void
test_stop_cancels_queued(void **state)
{
	size_t lines[] = { 0, 0 };
	struct model *m = make_model(2, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	size_t p0 = 0, p1 = 1;

	(void)state;
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	executor_submit_read(ex, 0, &p0, 1);
	assert_true(wait_count(read_ok, 0, 1));
	executor_submit_read(ex, 1, &p1, 1);    /* blocked by the line */
	executor_submit_read(ex, 1, &p1, 1);
	settle();
	assert_int_equal((int)executor_queued(ex, 1), 2);
	executor_free(ex);
	assert_int_equal(read_failed(1), 2);
	assert_int_equal(rec.codes[COLLECT_CANCELLED], 2);
	driver_free(drv);
	clock_virtual_free(clk);
	free_model(m);
}

/* Rule 4 to the millisecond: a task at 9.9 s extends the keep-alive. */
static void
test_keep_alive_extended_at_9900(void **state)
{
	size_t lines[] = { 0 };
	struct model *m = make_model(1, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct driver_mem_stats st;
	size_t p = 0;

	(void)state;
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	executor_submit_read(ex, 0, &p, 1);
	assert_true(wait_count(read_ok, 0, 1));
	clock_virtual_advance(clk, 9900);
	executor_submit_read(ex, 0, &p, 1);
	assert_true(wait_count(read_ok, 0, 2));
	clock_virtual_advance(clk, 9999);       /* 19.899 s: still open */
	settle();
	assert_int_equal(read_state(0), DEVICE_CONNECTED);
	driver_mem_stats(drv, &st);
	assert_int_equal(st.closes, 0);
	clock_virtual_advance(clk, 1);          /* 19.900 s: closes */
	assert_true(wait_state(0, DEVICE_IDLE));
	driver_mem_stats(drv, &st);
	assert_int_equal(st.opens, 1);
	assert_int_equal(st.closes, 1);

	finish(ex, drv, clk, m);
}

/* Rule 5 to the millisecond: not at guard - 1 ms, at guard exactly. */
static void
test_guard_to_the_millisecond(void **state)
{
	size_t lines[] = { 0, 0 };
	struct model *m = make_model(2, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	size_t p0 = 0, p1 = 1;

	(void)state;
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	executor_submit_read(ex, 0, &p0, 1);
	assert_true(wait_count(read_ok, 0, 1));
	clock_virtual_advance(clk, 10000);      /* closes at exactly 10 s */
	assert_true(wait_state(0, DEVICE_IDLE));
	executor_submit_read(ex, 1, &p1, 1);
	clock_virtual_advance(clk, 19999);
	settle();
	assert_int_equal(read_ok(1), 0);
	clock_virtual_advance(clk, 1);
	assert_true(wait_count(read_ok, 1, 1));

	finish(ex, drv, clk, m);
}

/* Optional max hold: a busy device yields the line to one that waits. */
static void
test_max_hold_yields_line(void **state)
{
	size_t lines[] = { 0, 0 };
	struct model *m = make_model(2, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	size_t p0 = 0, p1 = 1;

	(void)state;
	m->connectors[0].max_hold_ms = 3000;
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	executor_submit_read(ex, 0, &p0, 1);
	assert_true(wait_count(read_ok, 0, 1));
	executor_submit_read(ex, 1, &p1, 1);
	for (int i = 2; i <= 3; i++) {          /* dev0 polled every second */
		clock_virtual_advance(clk, 1000);
		executor_submit_read(ex, 0, &p0, 1);
		assert_true(wait_count(read_ok, 0, i));
	}
	assert_int_equal(read_state(0), DEVICE_CONNECTED);
	clock_virtual_advance(clk, 1000);       /* held 3 s, dev1 waits */
	assert_true(wait_state(0, DEVICE_IDLE));
	clock_virtual_advance(clk, params.guard_ms);
	assert_true(wait_count(read_ok, 1, 1));

	finish(ex, drv, clk, m);
}

/* Exception 02 on a merged read: split, read singly, and remember. */
static void
test_split_after_exception_02(void **state)
{
	size_t lines[] = { 0 };
	struct model *m = make_model(1, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct driver_mem_stats st;
	size_t pts[3] = { 0, 1, 2 };
	char *plan;

	(void)state;
	/* Three adjacent u16 points of one device: 10, 11, 12. */
	m->npoints = 3;
	m->points = xrealloc(m->points, 3 * sizeof *m->points);
	for (int i = 1; i < 3; i++) {
		m->points[i] = m->points[0];
		snprintf(m->points[i].id, MODEL_ID_MAX, "p%d", i);
		m->points[i].address = 10 + i;
	}
	for (int i = 0; i < 3; i++)
		driver_mem_set(drv, 0, TABLE_HOLDING_REGISTER, 10 + i,
		    (uint16_t)(100 + i));
	driver_mem_limit_read(drv, 0, 1);
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	plan = executor_describe_plan(ex, 0);
	assert_non_null(strstr(plan, "holding_register 10+3: p0 p1 p2"));
	free(plan);

	executor_submit_read(ex, 0, pts, 3);
	assert_true(wait_count(read_ok, 0, 3));
	assert_int_equal(read_failed(0), 0);
	assert_int_equal(read_state(0), DEVICE_CONNECTED);  /* kept */
	driver_mem_stats(drv, &st);
	assert_int_equal(st.reads, 4);          /* 1 merged + 3 single */
	plan = executor_describe_plan(ex, 0);
	assert_non_null(strstr(plan, "holding_register 11+1: p1"));
	free(plan);

	executor_submit_read(ex, 0, pts, 3);    /* remembered: no retry */
	assert_true(wait_count(read_ok, 0, 6));
	driver_mem_stats(drv, &st);
	assert_int_equal(st.reads, 7);

	finish(ex, drv, clk, m);
}

/* Rule 8: the pool grows with demand, never past -t, and shrinks idle. */
static void
test_pool_grows_and_shrinks(void **state)
{
	size_t lines[] = { 0, 1, 2, 3 };
	struct model *m = make_model(4, lines, 4);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct executor_params small = params;
	size_t p[] = { 0, 1, 2, 3 };

	(void)state;
	small.threads = 2;
	small.pool_idle_ms = 50;
	struct executor *ex = executor_new(m, &small, drv, clk, &sink);
	for (size_t i = 0; i < 4; i++)
		executor_submit_read(ex, i, &p[i], 1);
	/* Two sessions hold their threads through the keep-alive. */
	assert_true(wait_count(read_ok, 0, 1));
	assert_true(wait_count(read_ok, 1, 1));
	settle();
	assert_int_equal(executor_threads(ex), 2);
	assert_int_equal(read_ok(2) + read_ok(3), 0);
	/* Keep-alive over: the waiting lines get the threads. */
	clock_virtual_advance(clk, params.keep_alive_ms);
	assert_true(wait_count(read_ok, 2, 1));
	assert_true(wait_count(read_ok, 3, 1));
	assert_true(executor_threads(ex) <= 2);
	clock_virtual_advance(clk, params.keep_alive_ms);
	for (int i = 0; i < 200 && executor_threads(ex) > 0; i++)
		sleep_ms(5);
	assert_int_equal(executor_threads(ex), 0);   /* idle: shrunk */

	finish(ex, drv, clk, m);
}

/*
 * Rule 8: two lines freed in one dispatcher pass with one idle thread get
 * two threads, not one thread for both (one line would starve).
 */
static void
test_pool_one_idle_thread_two_jobs(void **state)
{
	size_t lines[] = { 0, 1, 2 };
	struct model *m = make_model(3, lines, 3);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct executor_params p = params;
	size_t pt[] = { 0, 1, 2 };

	(void)state;
	p.pool_idle_ms = 60000;                 /* idle threads stay */
	struct executor *ex = executor_new(m, &p, drv, clk, &sink);
	executor_submit_read(ex, 0, &pt[0], 1);
	executor_submit_read(ex, 1, &pt[1], 1);
	assert_true(wait_count(read_ok, 0, 1));
	assert_true(wait_count(read_ok, 1, 1));
	clock_virtual_advance(clk, p.keep_alive_ms);    /* both end: 2 idle */
	assert_true(wait_state(0, DEVICE_IDLE));
	assert_true(wait_state(1, DEVICE_IDLE));
	executor_submit_read(ex, 2, &pt[2], 1);         /* takes one */
	assert_true(wait_count(read_ok, 2, 1));
	executor_submit_read(ex, 0, &pt[0], 1);         /* lines in guard */
	executor_submit_read(ex, 1, &pt[1], 1);
	settle();
	/* dev2 keeps its thread busy (a task every 5 s) while the guard runs. */
	for (int i = 1; i <= 4; i++) {
		clock_virtual_advance(clk, p.guard_ms / 4);
		executor_submit_read(ex, 2, &pt[2], 1);
		assert_true(wait_count(read_ok, 2, 1 + i));
	}
	assert_true(wait_count(read_ok, 0, 2));         /* both lines served */
	assert_true(wait_count(read_ok, 1, 2));
	assert_int_equal(read_state(2), DEVICE_CONNECTED);
	assert_int_equal(executor_threads(ex), 3);

	finish(ex, drv, clk, m);
}

/* Immediate tasks: a setpoint is written and read back; refusals. */
static void
test_write_setpoint(void **state)
{
	size_t lines[] = { 0 };
	struct model *m = make_model(1, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);

	(void)state;
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	assert_int_equal(executor_submit_write(ex, 0, 5), 0);  /* not writable */
	assert_int_equal(read_cmd(1), 1);
	assert_non_null(strstr(cmd.last_text, "not writable"));

	m->points[0].writable = 1;
	assert_int_equal(executor_submit_write(ex, 0, NAN), 0);
	assert_int_equal(read_cmd(1), 2);
	assert_true(executor_submit_write(ex, 0, 1234) > 0);
	assert_true(wait_count(read_cmd, 0, 1));
	assert_true(wait_count(read_ok, 0, 1));         /* read back */
	assert_true(rec.last_value[0] == 1234);
	assert_non_null(strstr(cmd.last_text, "p0: 1234"));

	finish(ex, drv, clk, m);
}

/* The device clock: seconds high word first, then milliseconds. */
static void
test_set_clock(void **state)
{
	size_t lines[] = { 0 };
	struct model *m = make_model(1, lines, 1);
	struct clock *clk = clock_virtual_new(1000, INT64_C(1763701268123000));
	struct driver *drv = driver_mem_new(m);
	uint16_t regs[3];
	struct driver_conn *conn;
	struct collect_error err;

	(void)state;
	m->devices[0].clock_address = -1;
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	assert_int_equal(executor_submit_set_clock(ex, 0), 0);  /* no clock */
	assert_non_null(strstr(cmd.last_text, "no clock"));
	m->devices[0].clock_address = 9000;
	assert_true(executor_submit_set_clock(ex, 0) > 0);
	assert_true(wait_count(read_cmd, 0, 1));
	assert_non_null(strstr(cmd.last_text, "clock set to "
	    "2025-11-21T05:01:08.123000Z"));
	executor_free(ex);

	assert_int_equal(drv->open(drv->ctx, &m->connectors[0], &m->devices[0],
	    &conn, &err), 0);
	assert_int_equal(drv->read(conn, TABLE_HOLDING_REGISTER, 9000, 3, regs,
	    &err), 0);
	drv->close(conn);
	assert_int_equal(((uint32_t)regs[0] << 16 | regs[1]), 1763701268);
	assert_int_equal(regs[2], 123);
	driver_free(drv);
	clock_virtual_free(clk);
	free_model(m);
}

/* A 1024-pixel float32 spectrum is read in chunks of 124 registers. */
static void
test_spectrum_in_chunks(void **state)
{
	size_t lines[] = { 0 };
	struct model *m = make_model(1, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct driver_mem_stats st;
	struct spectrum spec = { .id = "S", .device = 0,
	    .table = TABLE_INPUT_REGISTER, .address = 1000, .pixels = 1024,
	    .type = VALUE_F32, .order = ORDER_ABCD };

	(void)state;
	m->spectra = &spec;
	m->nspectra = 1;
	for (int i = 0; i < 1024; i++) {
		float f = (float)i * 0.5f;
		uint32_t u;

		memcpy(&u, &f, 4);
		driver_mem_set(drv, 0, TABLE_INPUT_REGISTER, 1000 + 2 * i,
		    (uint16_t)(u >> 16));
		driver_mem_set(drv, 0, TABLE_INPUT_REGISTER, 1001 + 2 * i,
		    (uint16_t)u);
	}
	driver_mem_limit_read(drv, 0, 125);
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	assert_true(executor_submit_spectrum(ex, 0, 0) > 0);
	assert_true(wait_count(read_cmd, 2, 1));
	assert_int_equal(cmd.pixels, 1024);
	assert_true(cmd.first_pixel == 0.0);
	assert_true(cmd.last_pixel == 511.5);
	driver_mem_stats(drv, &st);
	assert_int_equal(st.reads, 17);         /* ceil(1024 / 62) */

	driver_mem_fail_reads(drv, 0, COLLECT_TIMEOUT);
	executor_submit_spectrum(ex, 0, 0);
	assert_true(wait_count(read_cmd, 3, 1));        /* one error record */

	executor_free(ex);
	m->spectra = NULL;
	m->nspectra = 0;
	driver_free(drv);
	clock_virtual_free(clk);
	free_model(m);
}

/* Rule 1: many tasks for one device from many threads: one connection. */
struct flood { struct executor *ex; size_t point; };

static void *
flood_main(void *arg)
{
	struct flood *f = arg;

	for (int i = 0; i < 50; i++)
		executor_submit_read(f->ex, 0, &f->point, 1);
	return NULL;
}

static void
test_rule1_one_connection_per_device(void **state)
{
	size_t lines[] = { 0 };
	struct model *m = make_model(1, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct driver_mem_stats st;
	pthread_t th[4];

	(void)state;
	driver_mem_set_delay(drv, 1);
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	struct flood f = { ex, 0 };
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, flood_main, &f);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_true(wait_count(read_ok, 0, 200));
	driver_mem_stats(drv, &st);
	assert_int_equal(st.max_open_per_device, 1);
	assert_int_equal(st.opens, 1);

	finish(ex, drv, clk, m);
}

/* Rule 3: tasks queued meanwhile all run, in order, before the close. */
static int order[16], norder;

static void
order_results(void *ctx, size_t device, const struct point_result *r,
    size_t n)
{
	(void)ctx;
	(void)device;
	pthread_mutex_lock(&rec.lock);
	for (size_t i = 0; i < n && norder < 16; i++)
		order[norder++] = (int)r[i].point;
	rec.ok[0] += (int)n;
	pthread_mutex_unlock(&rec.lock);
}

static void
test_rule3_fifo_before_close(void **state)
{
	size_t lines[] = { 0, 0, 0, 0, 0 };
	struct model *m = make_model(5, lines, 1);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct driver_mem_stats st;
	const struct executor_sink osink = { .results = order_results,
	    .device_state = sink_state };
	size_t p[5] = { 0, 1, 2, 3, 4 };

	(void)state;
	norder = 0;
	/* Five points of device 0 (make_model gave each its own device). */
	for (int i = 0; i < 5; i++)
		m->points[i].device = 0;
	driver_mem_set_delay(drv, 5);
	struct executor *ex = executor_new(m, &params, drv, clk, &osink);
	for (int i = 0; i < 5; i++)
		executor_submit_read(ex, 0, &p[i], 1);
	assert_true(wait_count(read_ok, 0, 5));
	driver_mem_stats(drv, &st);
	assert_int_equal(st.opens, 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(order[i], i);          /* first come first */
	clock_virtual_advance(clk, params.keep_alive_ms);
	assert_true(wait_state(0, DEVICE_IDLE));
	driver_mem_stats(drv, &st);
	assert_int_equal(st.closes, 1);

	finish(ex, drv, clk, m);
}

/* Rule 8: under a stream of short sessions the pool stays one thread per
 * line that can run, not one per job posted. */
static void
test_pool_sized_by_lines(void **state)
{
	size_t lines[20];
	struct model *m;
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct executor_params p = params;
	int total = 0;

	(void)state;
	for (size_t i = 0; i < 20; i++)
		lines[i] = i % 4;
	m = make_model(20, lines, 4);
	struct driver *drv = driver_mem_new(m);
	p.keep_alive_ms = 0;
	p.guard_ms = 0;
	p.threads = 64;
	struct executor *ex = executor_new(m, &p, drv, clk, &sink);
	for (int round = 0; round < 20; round++)
		for (size_t d = 0; d < 20; d++) {
			executor_submit_read(ex, d, &d, 1);
			total++;
		}
	for (int i = 0; i < 10000; i++) {       /* bounded: 10 s */
		pthread_mutex_lock(&rec.lock);
		int sum = rec.total_ok;
		pthread_mutex_unlock(&rec.lock);
		if (sum >= total)
			break;
		sleep_ms(1);
	}
	pthread_mutex_lock(&rec.lock);
	assert_int_equal(rec.total_ok, total);
	pthread_mutex_unlock(&rec.lock);
	assert_true(executor_threads(ex) <= 4);
	finish(ex, drv, clk, m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rule1_one_connection_per_device,
		    setup),
		cmocka_unit_test_setup(test_rule3_fifo_before_close, setup),
		cmocka_unit_test_setup(test_keep_alive_reuses_connection, setup),
		cmocka_unit_test_setup(test_line_exclusive_with_guard, setup),
		cmocka_unit_test_setup(test_longest_waiting_first, setup),
		cmocka_unit_test_setup(test_hard_error_cancels, setup),
		cmocka_unit_test_setup(test_parallel_lines, setup),
		cmocka_unit_test_setup(test_read_error_recorded, setup),
		cmocka_unit_test_setup(test_stop_cancels_queued, setup),
		cmocka_unit_test_setup(test_keep_alive_extended_at_9900, setup),
		cmocka_unit_test_setup(test_guard_to_the_millisecond, setup),
		cmocka_unit_test_setup(test_max_hold_yields_line, setup),
		cmocka_unit_test_setup(test_split_after_exception_02, setup),
		cmocka_unit_test_setup(test_pool_grows_and_shrinks, setup),
		cmocka_unit_test_setup(test_pool_one_idle_thread_two_jobs, setup),
		cmocka_unit_test_setup(test_pool_sized_by_lines, setup),
		cmocka_unit_test_setup(test_write_setpoint, setup),
		cmocka_unit_test_setup(test_set_clock, setup),
		cmocka_unit_test_setup(test_spectrum_in_chunks, setup),
	};

	return cmocka_run_group_tests_name("executor", tests, NULL, NULL);
}
