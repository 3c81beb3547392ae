/*
 * test_infer_health.c: the inference link's state rule, row by row of the
 * table in src/inference/health.c, on made-up times (heartbeat 2 s,
 * timeout 200 ms, target p95 20 ms), and the latency percentiles
 * (nearest rank) over a rolling window.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "inference/health.h"

static struct infer_health_input
base(void)
{
	struct infer_health_input in = {
	    .now_ms = 100000, .started_ms = 10000,
	    .last_good_heartbeat_ms = 99000, .last_problem_ms = 0,
	    .heartbeat_ms = 2000, .timeout_ms = 200,
	    .p95_ms = 0.3, .latency_n = 100, .target_p95_ms = 20.0 };

	return in;
}

/* Row 1: before the first heartbeat could have been answered. */
static void
test_unknown_at_start(void **state)
{
	struct infer_health_input in = base();

	(void)state;
	in.started_ms = 100000 - 2199;
	in.last_good_heartbeat_ms = 0;
	assert_int_equal(infer_health(&in), LINK_UNKNOWN);
	in.started_ms = 100000 - 2200;  /* heartbeat + timeout: no answer */
	assert_int_equal(infer_health(&in), LINK_DOWN);
}

/* Row 2: two heartbeats in a row unanswered (2 * (2000 + 200) ms). */
static void
test_down_after_two_missed(void **state)
{
	struct infer_health_input in = base();

	(void)state;
	in.last_good_heartbeat_ms = in.now_ms - 4400;
	in.last_problem_ms = in.now_ms - 100;
	assert_int_equal(infer_health(&in), LINK_DEGRADED);
	in.last_good_heartbeat_ms = in.now_ms - 4401;
	assert_int_equal(infer_health(&in), LINK_DOWN);
}

/* Row 3: never a good heartbeat, long after the start. */
static void
test_down_never_answered(void **state)
{
	struct infer_health_input in = base();

	(void)state;
	in.last_good_heartbeat_ms = 0;
	in.started_ms = in.now_ms - 3000;
	assert_int_equal(infer_health(&in), LINK_DOWN);
}

/* Row 4: a recent problem degrades, for INFER_DEGRADED_HOLD heartbeats. */
static void
test_degraded_after_problem(void **state)
{
	struct infer_health_input in = base();

	(void)state;
	in.last_problem_ms = in.now_ms - (INFER_DEGRADED_HOLD * 2000 - 1);
	assert_int_equal(infer_health(&in), LINK_DEGRADED);
	in.last_problem_ms = in.now_ms - INFER_DEGRADED_HOLD * 2000;
	assert_int_equal(infer_health(&in), LINK_UP);
}

/* Row 5: p95 above the target, once there are enough round trips. */
static void
test_degraded_by_p95(void **state)
{
	struct infer_health_input in = base();

	(void)state;
	in.p95_ms = 20.5;
	assert_int_equal(infer_health(&in), LINK_DEGRADED);
	in.latency_n = INFER_P95_MIN_SAMPLES - 1;
	assert_int_equal(infer_health(&in), LINK_UP);
	in.latency_n = INFER_P95_MIN_SAMPLES;
	in.p95_ms = 20.0;               /* at the target is not above it */
	assert_int_equal(infer_health(&in), LINK_UP);
}

/* Row 6: otherwise up. */
static void
test_up(void **state)
{
	struct infer_health_input in = base();

	(void)state;
	assert_int_equal(infer_health(&in), LINK_UP);
}

static void
test_percentiles(void **state)
{
	struct latency_window w;
	double p50, p95, p99, max;

	(void)state;
	latency_init(&w, 100);
	latency_percentiles(&w, &p50, &p95, &p99, &max);
	assert_true(p50 == 0.0 && p95 == 0.0 && p99 == 0.0 && max == 0.0);
	/* 1..100 ms in a shuffled order: nearest rank gives 50, 95, 99. */
	for (int i = 0; i < 100; i++)
		latency_add(&w, (double)((i * 37) % 100 + 1));
	latency_percentiles(&w, &p50, &p95, &p99, &max);
	assert_true(p50 == 50.0);
	assert_true(p95 == 95.0);
	assert_true(p99 == 99.0);
	assert_true(max == 100.0);
	latency_free(&w);
}

/* The window forgets the oldest round trips. */
static void
test_window_rolls(void **state)
{
	struct latency_window w;
	double p50, p95, p99, max;

	(void)state;
	latency_init(&w, 10);
	for (int i = 0; i < 10; i++)
		latency_add(&w, 500.0);
	for (int i = 0; i < 10; i++)
		latency_add(&w, 1.0);
	latency_percentiles(&w, &p50, &p95, &p99, &max);
	assert_int_equal(w.n, 10);
	assert_true(max == 1.0 && p99 == 1.0);
	latency_add(&w, 7.0);
	latency_percentiles(&w, &p50, &p95, &p99, &max);
	assert_true(max == 7.0 && p95 == 7.0 && p50 == 1.0);
	latency_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_at_start),
		cmocka_unit_test(test_down_after_two_missed),
		cmocka_unit_test(test_down_never_answered),
		cmocka_unit_test(test_degraded_after_problem),
		cmocka_unit_test(test_degraded_by_p95),
		cmocka_unit_test(test_up),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_window_rolls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
