/*
 * test_scheduler.c: periodic events on a virtual clock: due times with
 * phase, coalescing of ticks whose task still waits, missed ticks counted
 * and not replayed.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/driver.h"
#include "collect/executor.h"
#include "collect/scheduler.h"
#include "core/clock.h"
#include "core/util.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int reads, failures;

static void
on_results(void *ctx, size_t device, const struct point_result *r, size_t n)
{
	(void)ctx;
	(void)device;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n; i++) {
		if (r[i].ok)
			reads++;
		else
			failures++;
	}
	pthread_mutex_unlock(&lock);
}

static const struct executor_sink sink = { .results = on_results };

static int
count_reads(void)
{
	pthread_mutex_lock(&lock);
	int n = reads;
	pthread_mutex_unlock(&lock);
	return n;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

static bool
wait_reads(int want)
{
	for (int i = 0; i < 10000; i++) {  /* bounded: 10 s */
		if (count_reads() >= want)
			return true;
		sleep_ms(1);
	}
	return false;
}

/* One device, one u16 point, one event of period_ms + phase_ms. */
static struct model *
make_model(int64_t period_ms, int64_t phase_ms)
{
	struct model *m = xcalloc(1, sizeof *m);

	m->nconnectors = m->ndevices = m->npoints = m->nevents = 1;
	m->connectors = xcalloc(1, sizeof *m->connectors);
	str_copy(m->connectors[0].id, "line", MODEL_ID_MAX);
	m->devices = xcalloc(1, sizeof *m->devices);
	str_copy(m->devices[0].id, "dev", MODEL_ID_MAX);
	m->devices[0].clock_address = -1;
	m->points = xcalloc(1, sizeof *m->points);
	str_copy(m->points[0].id, "p", MODEL_ID_MAX);
	m->points[0].table = TABLE_HOLDING_REGISTER;
	m->points[0].type = VALUE_U16;
	m->points[0].scale = 1;
	m->events = xcalloc(1, sizeof *m->events);
	str_copy(m->events[0].id, "ev", MODEL_ID_MAX);
	m->events[0].period_ms = period_ms;
	m->events[0].phase_ms = phase_ms;
	m->events[0].points = xcalloc(1, sizeof(size_t));
	m->events[0].npoints = 1;
	return m;
}

static const struct executor_params params = {
	.keep_alive_ms = 60000, .guard_ms = 20000, .retries = 1000,
	.hard_error_ms = 300000, .threads = 4
};

static void
test_due_times_with_phase(void **state)
{
	struct model *m = make_model(1000, 250);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	struct scheduler *s = scheduler_start(m, ex, clk);
	struct scheduler_stats st;

	(void)state;
	reads = failures = 0;
	clock_virtual_advance(clk, 1249);       /* 2249: not yet */
	sleep_ms(30);
	assert_int_equal(count_reads(), 0);
	clock_virtual_advance(clk, 1);          /* 2250: first tick */
	assert_true(wait_reads(1));
	for (int i = 0; i < 3; i++) {
		clock_virtual_advance(clk, 1000);
		assert_true(wait_reads(2 + i));
	}
	scheduler_get_stats(s, &st);
	assert_int_equal(st.ticks, 4);
	assert_int_equal(st.missed, 0);
	assert_int_equal(st.coalesced, 0);
	scheduler_stop(s);
	executor_free(ex);
	driver_free(drv);
	clock_virtual_free(clk);
	model_free(m);
}

/* A device that cannot be reached keeps its task queued: later ticks
 * are coalesced, not piled up. */
static void
test_coalesce_while_queued(void **state)
{
	struct model *m = make_model(1000, 0);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	struct scheduler *s = scheduler_start(m, ex, clk);
	struct scheduler_stats st;

	(void)state;
	driver_mem_refuse(drv, 0, 1);
	for (int i = 0; i < 6; i++) {           /* 2000 .. 7000 */
		clock_virtual_advance(clk, 1000);
		/* Let the tick happen before the next one is due. */
		for (int k = 0; k < 10000; k++) {       /* bounded: 10 s */
			scheduler_get_stats(s, &st);
			if (st.ticks > (uint64_t)i)
				break;
			sleep_ms(1);
		}
	}
	sleep_ms(20);
	scheduler_get_stats(s, &st);
	assert_int_equal(st.ticks, 6);
	assert_int_equal(st.coalesced, 5);      /* one task waits, in guard */
	assert_int_equal((int)executor_queued(ex, 0), 1);
	scheduler_stop(s);
	executor_free(ex);
	driver_free(drv);
	clock_virtual_free(clk);
	model_free(m);
}

/* Waking 10 periods late fires once and counts the rest as missed. */
static void
test_missed_ticks_counted(void **state)
{
	struct model *m = make_model(1000, 0);
	struct clock *clk = clock_virtual_new(1000, 1000000);
	struct driver *drv = driver_mem_new(m);
	struct executor *ex = executor_new(m, &params, drv, clk, &sink);
	struct scheduler *s = scheduler_start(m, ex, clk);
	struct scheduler_stats st;

	(void)state;
	reads = failures = 0;
	clock_virtual_advance(clk, 11000);      /* due 2000, now 12000 */
	assert_true(wait_reads(1));
	sleep_ms(30);
	scheduler_get_stats(s, &st);
	assert_int_equal(st.ticks, 1);
	assert_int_equal(st.missed, 10);
	assert_int_equal(count_reads(), 1);     /* not replayed */
	clock_virtual_advance(clk, 1000);       /* back on the grid */
	assert_true(wait_reads(2));
	scheduler_stop(s);
	executor_free(ex);
	driver_free(drv);
	clock_virtual_free(clk);
	model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_times_with_phase),
		cmocka_unit_test(test_coalesce_while_queued),
		cmocka_unit_test(test_missed_ticks_counted),
	};

	return cmocka_run_group_tests_name("scheduler", tests, NULL, NULL);
}
