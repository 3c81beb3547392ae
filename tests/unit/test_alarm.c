/*
 * test_alarm.c: the alarm state machine row by row of the table in
 * src/plant/alarm.c, then the condition that drives it (limits at the
 * boundary, deadband, on-delay, quality), flapping, display order and
 * names, on made-up monotonic times.
 */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plant/alarm.h"

/* High 100, high-high 120, low 10, low-low 5, deadband 2, no delay. */
static struct alarm_limits
limits(void)
{
	struct alarm_limits lim = {
	    .has_hh = true, .has_h = true, .has_l = true, .has_ll = true,
	    .hh = 120.0, .h = 100.0, .l = 10.0, .ll = 5.0,
	    .deadband = 2.0, .delay_ms = 0 };

	return lim;
}

/* A COMM alarm brought into state s through the API, activated at 1000. */
static struct alarm
in_state(enum alarm_state s)
{
	struct alarm a;

	alarm_init(&a, ALARM_COMM);
	if (s == ALARM_NORMAL)
		return a;
	assert_int_equal(alarm_feed_condition(&a, true, 0, 1000),
	    ALARM_ACTIVATED);
	if (s == ALARM_ACK_ACTIVE)
		assert_int_equal(alarm_ack(&a, 1500), ALARM_ACK_DONE);
	if (s == ALARM_UNACK_CLEARED)
		assert_int_equal(alarm_feed_condition(&a, false, 0, 1500),
		    ALARM_CLEARED);
	assert_int_equal(a.state, s);
	return a;
}

/* --- the table, row by row ---------------------------------------------- */

/* Row 1: NORMAL --active--> UNACK_ACTIVE. */
static void
test_row1_normal_active(void **state)
{
	struct alarm a = in_state(ALARM_NORMAL);

	(void)state;
	assert_int_equal(alarm_feed_condition(&a, true, 0, 2000),
	    ALARM_ACTIVATED);
	assert_int_equal(a.state, ALARM_UNACK_ACTIVE);
	assert_int_equal(a.activated_ms, 2000);
	assert_int_equal(a.activations, 1);
}

/* Row 2: NORMAL --ack--> refused, nothing changes. */
static void
test_row2_normal_ack_refused(void **state)
{
	struct alarm a = in_state(ALARM_NORMAL);

	(void)state;
	assert_int_equal(alarm_ack(&a, 2000), ALARM_ACK_NOTHING);
	assert_int_equal(a.state, ALARM_NORMAL);
	assert_int_equal(a.acked_ms, 0);
}

/* Row 3: UNACK_ACTIVE --ack--> ACK_ACTIVE. */
static void
test_row3_unack_active_ack(void **state)
{
	struct alarm a = in_state(ALARM_UNACK_ACTIVE);

	(void)state;
	assert_int_equal(alarm_ack(&a, 2000), ALARM_ACK_DONE);
	assert_int_equal(a.state, ALARM_ACK_ACTIVE);
	assert_int_equal(a.acked_ms, 2000);
}

/* Row 4: UNACK_ACTIVE --clear--> UNACK_CLEARED. */
static void
test_row4_unack_active_clear(void **state)
{
	struct alarm a = in_state(ALARM_UNACK_ACTIVE);

	(void)state;
	assert_int_equal(alarm_feed_condition(&a, false, 0, 3000),
	    ALARM_CLEARED);
	assert_int_equal(a.state, ALARM_UNACK_CLEARED);
	assert_int_equal(a.cleared_ms, 3000);
	assert_int_equal(a.activated_ms, 1000);
}

/* Row 5: ACK_ACTIVE --clear--> NORMAL. */
static void
test_row5_ack_active_clear(void **state)
{
	struct alarm a = in_state(ALARM_ACK_ACTIVE);

	(void)state;
	assert_int_equal(alarm_feed_condition(&a, false, 0, 3000),
	    ALARM_CLEARED);
	assert_int_equal(a.state, ALARM_NORMAL);
	assert_int_equal(a.cleared_ms, 3000);
}

/* Row 6: ACK_ACTIVE --ack--> refused, nothing changes. */
static void
test_row6_ack_active_ack_refused(void **state)
{
	struct alarm a = in_state(ALARM_ACK_ACTIVE);

	(void)state;
	assert_int_equal(alarm_ack(&a, 3000), ALARM_ACK_NOTHING);
	assert_int_equal(a.state, ALARM_ACK_ACTIVE);
	assert_int_equal(a.acked_ms, 1500);
}

/* Row 7: UNACK_CLEARED --ack--> NORMAL. */
static void
test_row7_unack_cleared_ack(void **state)
{
	struct alarm a = in_state(ALARM_UNACK_CLEARED);

	(void)state;
	assert_int_equal(alarm_ack(&a, 3000), ALARM_ACK_DONE);
	assert_int_equal(a.state, ALARM_NORMAL);
	assert_int_equal(a.acked_ms, 3000);
	assert_false(alarm_is_shown(&a));
}

/* Row 8: UNACK_CLEARED --active--> UNACK_ACTIVE (re-alarm). */
static void
test_row8_unack_cleared_realarm(void **state)
{
	struct alarm a = in_state(ALARM_UNACK_CLEARED);

	(void)state;
	assert_int_equal(alarm_feed_condition(&a, true, 0, 3000),
	    ALARM_ACTIVATED);
	assert_int_equal(a.state, ALARM_UNACK_ACTIVE);
	assert_int_equal(a.activated_ms, 3000);
	assert_int_equal(a.activations, 2);
}

/* The four cells that cannot occur: a sample that keeps the condition. */
static void
test_no_event_keeps_state(void **state)
{
	static const struct {
		enum alarm_state s;
		bool cond;
	} cells[] = {
		{ ALARM_NORMAL, false },
		{ ALARM_UNACK_ACTIVE, true },
		{ ALARM_ACK_ACTIVE, true },
		{ ALARM_UNACK_CLEARED, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
		struct alarm a = in_state(cells[i].s);
		uint32_t n = a.activations;

		assert_int_equal(alarm_feed_condition(&a, cells[i].cond, 0,
		    4000), ALARM_NO_CHANGE);
		assert_int_equal(a.state, cells[i].s);
		assert_int_equal(a.activations, n);
	}
}

/* --- the analog condition ----------------------------------------------- */

/* A high alarm raises at the limit, not below it. */
static void
test_high_raises_at_limit(void **state)
{
	struct alarm_limits lim = limits();
	struct alarm a;

	(void)state;
	alarm_init(&a, ALARM_H);
	assert_int_equal(alarm_feed_value(&a, &lim, 99.999, true, 1000),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.state, ALARM_NORMAL);
	assert_int_equal(alarm_feed_value(&a, &lim, 100.0, true, 2000),
	    ALARM_ACTIVATED);
	assert_int_equal(a.state, ALARM_UNACK_ACTIVE);
}

/*
 * Deadband 2 on H 100: values between 98 and 100 neither clear the active
 * alarm nor raise it again once cleared; 98 itself does not clear.
 */
static void
test_deadband(void **state)
{
	static const double wobble[] = { 99.5, 98.1, 100.5, 98.0, 99.9 };
	struct alarm_limits lim = limits();
	struct alarm a;
	int64_t t = 1000;

	(void)state;
	alarm_init(&a, ALARM_H);
	assert_int_equal(alarm_feed_value(&a, &lim, 105.0, true, t),
	    ALARM_ACTIVATED);
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof wobble / sizeof wobble[0]; i++)
			assert_int_equal(alarm_feed_value(&a, &lim, wobble[i],
			    true, t += 1000), ALARM_NO_CHANGE);
	assert_int_equal(a.state, ALARM_UNACK_ACTIVE);
	assert_int_equal(alarm_feed_value(&a, &lim, 97.99, true, t += 1000),
	    ALARM_CLEARED);
	assert_int_equal(a.state, ALARM_UNACK_CLEARED);
	/* Back inside the deadband, below the limit: no re-alarm. */
	for (int round = 0; round < 3; round++) {
		assert_int_equal(alarm_feed_value(&a, &lim, 99.99, true,
		    t += 1000), ALARM_NO_CHANGE);
		assert_int_equal(alarm_feed_value(&a, &lim, 98.5, true,
		    t += 1000), ALARM_NO_CHANGE);
	}
	assert_int_equal(a.state, ALARM_UNACK_CLEARED);
	assert_int_equal(a.activations, 1);
	assert_int_equal(alarm_feed_value(&a, &lim, 100.0, true, t += 1000),
	    ALARM_ACTIVATED);
	assert_int_equal(a.activations, 2);
}

/* Low limits mirror the high ones: raise at <= limit, clear > limit + db. */
static void
test_low_symmetric(void **state)
{
	struct alarm_limits lim = limits();
	struct alarm l, ll;

	(void)state;
	alarm_init(&l, ALARM_L);
	alarm_init(&ll, ALARM_LL);
	assert_int_equal(alarm_feed_value(&l, &lim, 10.001, true, 1000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&l, &lim, 10.0, true, 2000),
	    ALARM_ACTIVATED);
	assert_int_equal(alarm_feed_value(&ll, &lim, 6.0, true, 2000),
	    ALARM_NO_CHANGE);
	assert_int_equal(ll.state, ALARM_NORMAL);
	assert_int_equal(alarm_feed_value(&l, &lim, 11.9, true, 3000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&l, &lim, 12.0, true, 4000),
	    ALARM_NO_CHANGE);
	assert_int_equal(l.state, ALARM_UNACK_ACTIVE);
	assert_int_equal(alarm_feed_value(&l, &lim, 12.01, true, 5000),
	    ALARM_CLEARED);
	assert_int_equal(l.state, ALARM_UNACK_CLEARED);
	assert_int_equal(alarm_feed_value(&ll, &lim, 5.0, true, 6000),
	    ALARM_ACTIVATED);
}

/* HH and H are two alarms: their own states, acks and clears. */
static void
test_hh_and_h_independent(void **state)
{
	struct alarm_limits lim = limits();
	struct alarm h, hh;

	(void)state;
	alarm_init(&h, ALARM_H);
	alarm_init(&hh, ALARM_HH);
	assert_int_equal(alarm_feed_value(&h, &lim, 110.0, true, 1000),
	    ALARM_ACTIVATED);
	assert_int_equal(alarm_feed_value(&hh, &lim, 110.0, true, 1000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&h, &lim, 125.0, true, 2000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&hh, &lim, 125.0, true, 2000),
	    ALARM_ACTIVATED);
	assert_int_equal(alarm_ack(&hh, 3000), ALARM_ACK_DONE);
	assert_int_equal(hh.state, ALARM_ACK_ACTIVE);
	assert_int_equal(h.state, ALARM_UNACK_ACTIVE);
	/* Between H and HH - deadband: HH clears (to NORMAL: acked), H stays. */
	assert_int_equal(alarm_feed_value(&h, &lim, 110.0, true, 4000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&hh, &lim, 110.0, true, 4000),
	    ALARM_CLEARED);
	assert_int_equal(hh.state, ALARM_NORMAL);
	assert_int_equal(h.state, ALARM_UNACK_ACTIVE);
	assert_int_equal(alarm_feed_value(&h, &lim, 95.0, true, 5000),
	    ALARM_CLEARED);
	assert_int_equal(alarm_feed_value(&hh, &lim, 95.0, true, 5000),
	    ALARM_NO_CHANGE);
	assert_int_equal(h.state, ALARM_UNACK_CLEARED);
	assert_int_equal(hh.state, ALARM_NORMAL);
}

/* An absent limit is never in alarm; a non-analog level has no limit. */
static void
test_absent_limit(void **state)
{
	struct alarm_limits lim = limits();
	struct alarm a, comm;

	(void)state;
	lim.has_h = false;
	alarm_init(&a, ALARM_H);
	assert_int_equal(alarm_feed_value(&a, &lim, 1000.0, true, 1000),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.state, ALARM_NORMAL);
	lim.has_h = true;
	assert_int_equal(alarm_feed_value(&a, &lim, 1000.0, true, 2000),
	    ALARM_ACTIVATED);
	lim.has_h = false;              /* the limit was removed */
	assert_int_equal(alarm_feed_value(&a, &lim, 1000.0, true, 3000),
	    ALARM_CLEARED);
	alarm_init(&comm, ALARM_COMM);
	assert_int_equal(alarm_feed_value(&comm, &lim, 1e9, true, 1000),
	    ALARM_NO_CHANGE);
	assert_int_equal(comm.state, ALARM_NORMAL);
}

/* Bad quality and NaN neither raise nor clear. */
static void
test_bad_sample_holds(void **state)
{
	struct alarm_limits lim = limits();
	struct alarm on, off;

	(void)state;
	alarm_init(&on, ALARM_H);
	alarm_init(&off, ALARM_H);
	assert_int_equal(alarm_feed_value(&on, &lim, 105.0, true, 1000),
	    ALARM_ACTIVATED);
	assert_int_equal(alarm_feed_value(&on, &lim, 50.0, false, 2000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&on, &lim, NAN, true, 3000),
	    ALARM_NO_CHANGE);
	assert_int_equal(on.state, ALARM_UNACK_ACTIVE);
	assert_int_equal(alarm_feed_value(&off, &lim, 150.0, false, 2000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&off, &lim, NAN, true, 3000),
	    ALARM_NO_CHANGE);
	assert_int_equal(off.state, ALARM_NORMAL);
	assert_false(off.pending);
	/* The good samples still count. */
	assert_int_equal(alarm_feed_value(&on, &lim, 50.0, true, 4000),
	    ALARM_CLEARED);
	assert_int_equal(alarm_feed_value(&off, &lim, 150.0, true, 4000),
	    ALARM_ACTIVATED);
}

/* A bad sample during the on-delay neither restarts nor ends it. */
static void
test_bad_sample_keeps_delay(void **state)
{
	struct alarm_limits lim = limits();
	struct alarm a;

	(void)state;
	lim.delay_ms = 5000;
	alarm_init(&a, ALARM_H);
	assert_int_equal(alarm_feed_value(&a, &lim, 101.0, true, 10000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&a, &lim, 50.0, false, 12000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&a, &lim, NAN, true, 13000),
	    ALARM_NO_CHANGE);
	assert_true(a.pending);
	assert_int_equal(a.pending_since_ms, 10000);
	assert_int_equal(alarm_feed_value(&a, &lim, NAN, false, 16000),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.state, ALARM_NORMAL);
	assert_int_equal(alarm_feed_value(&a, &lim, 101.0, true, 16000),
	    ALARM_ACTIVATED);
}

/* --- the on-delay ------------------------------------------------------- */

/* An excursion shorter than the delay raises nothing. */
static void
test_delay_short_excursion(void **state)
{
	struct alarm_limits lim = limits();
	struct alarm a;

	(void)state;
	lim.delay_ms = 5000;
	alarm_init(&a, ALARM_H);
	assert_int_equal(alarm_feed_value(&a, &lim, 101.0, true, 10000),
	    ALARM_NO_CHANGE);
	assert_true(a.pending);
	assert_int_equal(alarm_feed_value(&a, &lim, 130.0, true, 14999),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&a, &lim, 99.0, true, 15000),
	    ALARM_NO_CHANGE);
	assert_false(a.pending);
	assert_int_equal(alarm_feed_value(&a, &lim, 99.0, true, 30000),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.state, ALARM_NORMAL);
	assert_int_equal(a.activations, 0);
}

/* A dip below the limit (even inside the deadband) restarts the timer. */
static void
test_delay_dip_restarts(void **state)
{
	struct alarm_limits lim = limits();
	struct alarm a;

	(void)state;
	lim.delay_ms = 5000;
	alarm_init(&a, ALARM_H);
	assert_int_equal(alarm_feed_value(&a, &lim, 101.0, true, 10000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&a, &lim, 101.0, true, 13000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&a, &lim, 99.0, true, 14000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&a, &lim, 101.0, true, 15000),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.pending_since_ms, 15000);
	assert_int_equal(alarm_feed_value(&a, &lim, 101.0, true, 19999),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.state, ALARM_NORMAL);
	assert_int_equal(alarm_feed_value(&a, &lim, 101.0, true, 20000),
	    ALARM_ACTIVATED);
	assert_int_equal(a.activated_ms, 20000);
}

/* Held for exactly the delay: active. */
static void
test_delay_exact(void **state)
{
	struct alarm_limits lim = limits();
	struct alarm a;

	(void)state;
	lim.delay_ms = 5000;
	alarm_init(&a, ALARM_H);
	assert_int_equal(alarm_feed_value(&a, &lim, 100.0, true, 10000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&a, &lim, 100.0, true, 15000),
	    ALARM_ACTIVATED);
	assert_int_equal(a.state, ALARM_UNACK_ACTIVE);
	assert_false(a.pending);
}

/* The delay holds raising only: clearing is at once. */
static void
test_clear_has_no_delay(void **state)
{
	struct alarm_limits lim = limits();
	struct alarm a;

	(void)state;
	lim.delay_ms = 5000;
	alarm_init(&a, ALARM_H);
	assert_int_equal(alarm_feed_value(&a, &lim, 105.0, true, 10000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_value(&a, &lim, 105.0, true, 15000),
	    ALARM_ACTIVATED);
	assert_int_equal(alarm_feed_value(&a, &lim, 90.0, true, 15001),
	    ALARM_CLEARED);
	assert_int_equal(a.cleared_ms, 15001);
}

/* Re-alarm from UNACK_CLEARED waits for the delay like the first alarm. */
static void
test_realarm_waits_for_delay(void **state)
{
	struct alarm a = in_state(ALARM_UNACK_CLEARED);

	(void)state;
	assert_int_equal(alarm_feed_condition(&a, true, 2000, 10000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_condition(&a, true, 2000, 11999),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.state, ALARM_UNACK_CLEARED);
	assert_int_equal(alarm_feed_condition(&a, true, 2000, 12000),
	    ALARM_ACTIVATED);
	assert_int_equal(a.state, ALARM_UNACK_ACTIVE);
}

/* A discrete condition: the same delay, restarted by a false sample. */
static void
test_discrete_delay(void **state)
{
	struct alarm a;

	(void)state;
	alarm_init(&a, ALARM_HARD_ERROR);
	assert_int_equal(alarm_feed_condition(&a, true, 3000, 10000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_condition(&a, false, 3000, 11000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_condition(&a, true, 3000, 12000),
	    ALARM_NO_CHANGE);
	assert_int_equal(alarm_feed_condition(&a, true, 3000, 14999),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.state, ALARM_NORMAL);
	assert_int_equal(alarm_feed_condition(&a, true, 3000, 15000),
	    ALARM_ACTIVATED);
	assert_int_equal(alarm_feed_condition(&a, false, 3000, 15500),
	    ALARM_CLEARED);
	assert_int_equal(a.state, ALARM_UNACK_CLEARED);
}

/* --- flapping ----------------------------------------------------------- */

/* Activate and clear once: activation at t, clear at t + 1000. */
static void
cycle(struct alarm *a, int64_t t)
{
	assert_int_equal(alarm_feed_condition(a, true, 0, t),
	    ALARM_ACTIVATED);
	assert_int_equal(alarm_feed_condition(a, false, 0, t + 1000),
	    ALARM_CLEARED);
}

/* More than 5 activations in 60 s: flapping, and still the table. */
static void
test_flapping(void **state)
{
	struct alarm a;

	(void)state;
	alarm_init(&a, ALARM_COMM);
	for (int64_t t = 10000; t <= 50000; t += 10000)
		cycle(&a, t);
	assert_int_equal(a.flap_count, 5);
	assert_false(a.flapping);
	assert_int_equal(alarm_feed_condition(&a, true, 0, 60000),
	    ALARM_ACTIVATED);
	assert_int_equal(a.flap_count, 6);
	assert_true(a.flapping);
	assert_int_equal(a.state, ALARM_UNACK_ACTIVE);
	assert_int_equal(alarm_ack(&a, 60500), ALARM_ACK_DONE);
	assert_int_equal(alarm_feed_condition(&a, false, 0, 61000),
	    ALARM_CLEARED);
	assert_int_equal(a.state, ALARM_NORMAL);
	assert_true(a.flapping);
}

/* Activations older than the window drop out, one by one. */
static void
test_flapping_window_expires(void **state)
{
	struct alarm a;

	(void)state;
	alarm_init(&a, ALARM_COMM);
	for (int64_t t = 10000; t <= 60000; t += 10000)
		cycle(&a, t);
	assert_true(a.flapping);
	assert_int_equal(alarm_feed_condition(&a, false, 0, 69999),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.flap_count, 6);
	assert_true(a.flapping);
	assert_int_equal(alarm_feed_condition(&a, false, 0, 70000),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.flap_count, 5);
	assert_false(a.flapping);
	assert_int_equal(alarm_feed_condition(&a, false, 0, 130000),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.flap_count, 0);
	assert_int_equal(a.activations, 6);
}

/* The rule is the caller's; out-of-range rules are refused. */
static void
test_flap_rule(void **state)
{
	struct alarm_limits lim = limits();
	struct alarm a;

	(void)state;
	alarm_init(&a, ALARM_SYSTEM);
	assert_int_equal(a.flap_max, ALARM_FLAP_MAX_DEFAULT);
	assert_int_equal(a.flap_window_ms, ALARM_FLAP_WINDOW_DEFAULT_MS);
	assert_false(alarm_set_flap_rule(&a, 0, 1000));
	assert_false(alarm_set_flap_rule(&a, ALARM_FLAP_HISTORY, 1000));
	assert_false(alarm_set_flap_rule(&a, 2, 0));
	assert_int_equal(a.flap_max, ALARM_FLAP_MAX_DEFAULT);
	assert_int_equal(a.flap_window_ms, ALARM_FLAP_WINDOW_DEFAULT_MS);
	assert_true(alarm_set_flap_rule(&a, 2, 5000));
	cycle(&a, 10000);
	cycle(&a, 11500);
	assert_false(a.flapping);
	cycle(&a, 13000);               /* as of 14000: all three in 5 s */
	assert_int_equal(a.flap_count, 3);
	assert_true(a.flapping);
	/* Feeding values, good or bad, moves the window too. */
	alarm_init(&a, ALARM_H);
	assert_true(alarm_set_flap_rule(&a, 1, 1000));
	assert_int_equal(alarm_feed_value(&a, &lim, 101.0, true, 100),
	    ALARM_ACTIVATED);
	assert_int_equal(alarm_feed_value(&a, &lim, 90.0, true, 200),
	    ALARM_CLEARED);
	assert_int_equal(alarm_feed_value(&a, &lim, 101.0, true, 300),
	    ALARM_ACTIVATED);
	assert_true(a.flapping);
	assert_int_equal(alarm_feed_value(&a, &lim, NAN, false, 1100),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.flap_count, 1);
	assert_false(a.flapping);
}

/*
 * More activations than the ring holds: it keeps the newest
 * ALARM_FLAP_HISTORY (32) and forgets the oldest.  40 activations 1.5 s
 * apart, at 10000 + 1500 i (i = 0..39), the ring holds i = 8..39.
 */
static void
test_flap_ring_wraps(void **state)
{
	struct alarm a;

	(void)state;
	alarm_init(&a, ALARM_COMM);
	assert_true(alarm_set_flap_rule(&a, ALARM_FLAP_HISTORY - 1, 60000));
	for (int64_t i = 0; i < 40; i++)
		cycle(&a, 10000 + 1500 * i);
	assert_int_equal(a.activations, 40);
	assert_int_equal(a.flap_count, ALARM_FLAP_HISTORY);
	assert_true(a.flapping);
	/* i = 8 (22000) leaves the window at 82000. */
	assert_int_equal(alarm_feed_condition(&a, false, 0, 81999),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.flap_count, ALARM_FLAP_HISTORY);
	assert_true(a.flapping);
	assert_int_equal(alarm_feed_condition(&a, false, 0, 82000),
	    ALARM_NO_CHANGE);
	assert_int_equal(a.flap_count, ALARM_FLAP_HISTORY - 1);
	assert_false(a.flapping);
}

/* --- display and names -------------------------------------------------- */

static struct alarm
shown(int priority, enum alarm_state s, int64_t activated_ms)
{
	struct alarm a;

	alarm_init(&a, ALARM_COMM);
	a.priority = priority;
	assert_int_equal(alarm_feed_condition(&a, true, 0, activated_ms),
	    ALARM_ACTIVATED);
	if (s == ALARM_ACK_ACTIVE)
		assert_int_equal(alarm_ack(&a, activated_ms + 1),
		    ALARM_ACK_DONE);
	if (s == ALARM_UNACK_CLEARED)
		assert_int_equal(alarm_feed_condition(&a, false, 0,
		    activated_ms + 1), ALARM_CLEARED);
	assert_int_equal(a.state, s);
	return a;
}

static int
cmp_ptr(const void *x, const void *y)
{
	return alarm_display_cmp(*(const struct alarm *const *)x,
	    *(const struct alarm *const *)y);
}

static void
test_display_order(void **state)
{
	struct alarm a[6];
	const struct alarm *p[6];
	/* Expected order, by index into a[] after sorting. */
	static const int want[6] = { 4, 3, 2, 1, 0, 5 };

	(void)state;
	a[0] = shown(2, ALARM_UNACK_ACTIVE, 5000);
	a[1] = shown(1, ALARM_ACK_ACTIVE, 1000);
	a[2] = shown(1, ALARM_UNACK_CLEARED, 9000);
	a[3] = shown(1, ALARM_UNACK_ACTIVE, 2000);
	a[4] = shown(1, ALARM_UNACK_ACTIVE, 3000);
	a[5] = shown(2, ALARM_ACK_ACTIVE, 8000);
	for (int i = 0; i < 6; i++)
		p[i] = &a[i];
	qsort(p, 6, sizeof p[0], cmp_ptr);
	for (int i = 0; i < 6; i++)
		assert_ptr_equal(p[i], &a[want[i]]);
	/* Each key on its own, both ways. */
	assert_true(alarm_display_cmp(&a[1], &a[0]) < 0);  /* priority */
	assert_true(alarm_display_cmp(&a[0], &a[1]) > 0);
	assert_true(alarm_display_cmp(&a[2], &a[1]) < 0);  /* unack first */
	assert_true(alarm_display_cmp(&a[3], &a[2]) < 0);  /* active first */
	assert_true(alarm_display_cmp(&a[4], &a[3]) < 0);  /* newest first */
	assert_true(alarm_display_cmp(&a[3], &a[4]) > 0);
	assert_int_equal(alarm_display_cmp(&a[3], &a[3]), 0);
}

static void
test_is_shown(void **state)
{
	struct alarm n = in_state(ALARM_NORMAL);
	struct alarm ua = in_state(ALARM_UNACK_ACTIVE);
	struct alarm aa = in_state(ALARM_ACK_ACTIVE);
	struct alarm uc = in_state(ALARM_UNACK_CLEARED);

	(void)state;
	assert_false(alarm_is_shown(&n));
	assert_true(alarm_is_shown(&ua));
	assert_true(alarm_is_shown(&aa));
	assert_true(alarm_is_shown(&uc));
	assert_true(alarm_is_active(&ua) && alarm_is_active(&aa));
	assert_false(alarm_is_active(&n) || alarm_is_active(&uc));
	assert_true(alarm_is_unacked(&ua) && alarm_is_unacked(&uc));
	assert_false(alarm_is_unacked(&n) || alarm_is_unacked(&aa));
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(alarm_state_name(ALARM_NORMAL), "normal");
	assert_string_equal(alarm_state_name(ALARM_UNACK_ACTIVE),
	    "unack_active");
	assert_string_equal(alarm_state_name(ALARM_ACK_ACTIVE), "ack_active");
	assert_string_equal(alarm_state_name(ALARM_UNACK_CLEARED),
	    "unack_cleared");
	assert_string_equal(alarm_state_name(ALARM_STATE_COUNT_), "?");
	assert_string_equal(alarm_level_name(ALARM_HH), "HH");
	assert_string_equal(alarm_level_name(ALARM_H), "H");
	assert_string_equal(alarm_level_name(ALARM_L), "L");
	assert_string_equal(alarm_level_name(ALARM_LL), "LL");
	assert_string_equal(alarm_level_name(ALARM_COMM), "COMM");
	assert_string_equal(alarm_level_name(ALARM_HARD_ERROR), "HARD_ERROR");
	assert_string_equal(alarm_level_name(ALARM_SYSTEM), "SYSTEM");
	assert_string_equal(alarm_level_name(ALARM_LEVEL_COUNT_), "?");
	/* No catalogue loaded: the labels are their English msgids. */
	assert_string_equal(alarm_state_label(ALARM_UNACK_CLEARED),
	    "cleared, unacknowledged");
	assert_string_equal(alarm_level_label(ALARM_HARD_ERROR), "hard error");
	assert_string_equal(alarm_level_label(ALARM_LEVEL_COUNT_), "?");
}

static void
test_init_defaults(void **state)
{
	static const int want[ALARM_LEVEL_COUNT_] = {
		[ALARM_HH] = 1, [ALARM_H] = 2, [ALARM_L] = 2, [ALARM_LL] = 1,
		[ALARM_COMM] = 2, [ALARM_HARD_ERROR] = 1, [ALARM_SYSTEM] = 2,
	};
	struct alarm a;

	(void)state;
	for (int l = 0; l < ALARM_LEVEL_COUNT_; l++) {
		memset(&a, 0xa5, sizeof a);
		alarm_init(&a, (enum alarm_level)l);
		assert_int_equal(a.level, l);
		assert_int_equal(a.priority, want[l]);
		assert_int_equal(a.state, ALARM_NORMAL);
		assert_false(a.pending);
		assert_false(a.flapping);
		assert_int_equal(a.activations, 0);
		assert_int_equal(a.flap_n, 0);
	}
}

static void
test_limits_check(void **state)
{
	struct alarm_limits lim = limits();

	(void)state;
	assert_null(alarm_limits_check(&lim));
	lim.deadband = -0.1;
	assert_non_null(alarm_limits_check(&lim));
	lim = limits();
	lim.deadband = NAN;
	assert_non_null(alarm_limits_check(&lim));
	lim = limits();
	lim.delay_ms = -1;
	assert_non_null(alarm_limits_check(&lim));
	lim = limits();
	lim.hh = INFINITY;
	assert_non_null(alarm_limits_check(&lim));
	lim.has_hh = false;             /* an absent limit's value is unused */
	assert_null(alarm_limits_check(&lim));
	lim = limits();
	lim.ll = 10.5;                  /* LL above L */
	assert_non_null(alarm_limits_check(&lim));
	lim.ll = 10.0;                  /* LL at L is allowed */
	assert_null(alarm_limits_check(&lim));
	lim = limits();
	lim.h = 121.0;                  /* H above HH */
	assert_non_null(alarm_limits_check(&lim));
	lim = limits();
	lim.l = 100.0;                  /* L at H: 100 would be both */
	assert_non_null(alarm_limits_check(&lim));
	lim = limits();
	lim.has_l = lim.has_h = false;  /* LL against HH alone */
	lim.ll = 120.0;
	assert_non_null(alarm_limits_check(&lim));
	lim.ll = 119.0;
	assert_null(alarm_limits_check(&lim));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row1_normal_active),
		cmocka_unit_test(test_row2_normal_ack_refused),
		cmocka_unit_test(test_row3_unack_active_ack),
		cmocka_unit_test(test_row4_unack_active_clear),
		cmocka_unit_test(test_row5_ack_active_clear),
		cmocka_unit_test(test_row6_ack_active_ack_refused),
		cmocka_unit_test(test_row7_unack_cleared_ack),
		cmocka_unit_test(test_row8_unack_cleared_realarm),
		cmocka_unit_test(test_no_event_keeps_state),
		cmocka_unit_test(test_high_raises_at_limit),
		cmocka_unit_test(test_deadband),
		cmocka_unit_test(test_low_symmetric),
		cmocka_unit_test(test_hh_and_h_independent),
		cmocka_unit_test(test_absent_limit),
		cmocka_unit_test(test_bad_sample_holds),
		cmocka_unit_test(test_bad_sample_keeps_delay),
		cmocka_unit_test(test_delay_short_excursion),
		cmocka_unit_test(test_delay_dip_restarts),
		cmocka_unit_test(test_delay_exact),
		cmocka_unit_test(test_clear_has_no_delay),
		cmocka_unit_test(test_realarm_waits_for_delay),
		cmocka_unit_test(test_discrete_delay),
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_flapping_window_expires),
		cmocka_unit_test(test_flap_rule),
		cmocka_unit_test(test_flap_ring_wraps),
		cmocka_unit_test(test_display_order),
		cmocka_unit_test(test_is_shown),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_init_defaults),
		cmocka_unit_test(test_limits_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
