/*
 * test_alarm_board.c: the board the engine feeds (plant/alarm_board.h):
 * keys and entries made from a model, records queued and dropped only
 * once recorded, acknowledgements limited to what the operator saw, the
 * filter, and a reload that keeps every alarm's state.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "plant/alarm_board.h"

static struct point points[2];
static struct device devices[1];
static struct model model;

static void
make_model(double h)
{
	memset(&model, 0, sizeof model);
	memset(points, 0, sizeof points);
	memset(devices, 0, sizeof devices);
	strcpy(devices[0].id, "pressure");
	strcpy(devices[0].name, "Pressure transmitters");
	strcpy(points[0].id, "PT-303");
	strcpy(points[0].name, "Zone III pressure");
	strcpy(points[0].unit, "bar");
	points[0].has_alarms = true;
	points[0].alarms = (struct alarm_limits){ .has_h = true, .h = h,
	    .has_hh = true, .hh = 30 };
	strcpy(points[1].id, "TT-401");         /* no alarms */
	model.points = points;
	model.npoints = 2;
	model.devices = devices;
	model.ndevices = 1;
}

static const struct alarm_row *
row(const struct alarm_view *v, const char *key)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->rows[i].key, key) == 0)
			return &v->rows[i];
	return NULL;
}

static size_t
drain(struct alarm_board *b, struct alarm_change_rec *out, size_t max)
{
	uint64_t lost = 99;
	size_t n = alarm_board_peek_changes(b, out, max, &lost);

	assert_int_equal(lost, 0);
	alarm_board_drop_changes(b, n);
	return n;
}

static void
test_keys_and_feed(void **state)
{
	struct alarm_board *b;
	struct alarm_change_rec ch[ALARM_CHANGES_MAX], q[16];
	struct alarm_view *v;

	(void)state;
	make_model(18);
	b = alarm_board_new(&model, NULL);
	assert_int_equal(alarm_board_feed_point(b, 0, 19.0, true, 1000, 1, ch),
	    1);
	assert_string_equal(ch[0].key, "PT-303/H");
	assert_string_equal(ch[0].what, "activated");
	assert_true(ch[0].value == 19.0 && ch[0].limit == 18.0);
	/* A point without alarms raises nothing. */
	assert_int_equal(alarm_board_feed_point(b, 1, 1e9, true, 1000, 1, ch),
	    0);
	assert_int_equal(alarm_board_feed_device(b, 0, ALARM_COMM, true, 1000,
	    1, ch), 1);
	assert_string_equal(ch[0].key, "pressure/COMM");
	assert_int_equal(alarm_board_feed_system(b, SYSALARM_DISK_LOW, true,
	    1000, 1, ch), 1);
	assert_string_equal(ch[0].key, "system/disk_low");
	v = alarm_board_publish(b);
	assert_int_equal(v->n, 3);
	assert_int_equal(v->unacked, 3);
	assert_int_equal(v->activations, 3);
	assert_non_null(row(v, "PT-303/H"));
	assert_null(row(v, "PT-303/HH"));
	alarm_view_release(v);
	/* Queued once each, in order, dropped only when asked. */
	assert_int_equal(alarm_board_peek_changes(b, q, 16, NULL), 3);
	assert_int_equal(alarm_board_peek_changes(b, q, 16, NULL), 3);
	alarm_board_drop_changes(b, 1);
	assert_int_equal(drain(b, q, 16), 2);
	assert_string_equal(q[0].key, "pressure/COMM");
	assert_int_equal(drain(b, q, 16), 0);
	alarm_board_free(b);
}

/* An alarm raised after the operator's look is not acknowledged with it. */
static void
test_ack_only_what_was_seen(void **state)
{
	struct alarm_board *b;
	struct alarm_change_rec ch[ALARM_CHANGES_MAX], q[16];
	struct alarm_view *v;
	uint64_t seen;
	bool more;

	(void)state;
	make_model(18);
	b = alarm_board_new(&model, NULL);
	alarm_board_feed_point(b, 0, 19.0, true, 1000, 1, ch);
	v = alarm_board_publish(b);
	seen = v->activations;
	alarm_view_release(v);
	/* Meanwhile the device stops answering. */
	alarm_board_feed_device(b, 0, ALARM_COMM, true, 2000, 2, ch);
	drain(b, q, 16);
	assert_int_equal(alarm_board_ack(b, "", "", "olga", seen, 3000, 3,
	    &more), 1);
	assert_false(more);
	assert_int_equal(drain(b, q, 16), 1);
	assert_string_equal(q[0].key, "PT-303/H");
	assert_string_equal(q[0].what, "acked");
	assert_string_equal(q[0].user, "olga");
	v = alarm_board_publish(b);
	assert_int_equal(row(v, "PT-303/H")->state, ALARM_ACK_ACTIVE);
	assert_string_equal(row(v, "PT-303/H")->acked_by, "olga");
	assert_int_equal(row(v, "pressure/COMM")->state, ALARM_UNACK_ACTIVE);
	seen = v->activations;
	alarm_view_release(v);
	/* Nothing left to acknowledge by key; the filter is ASCII-folded. */
	assert_int_equal(alarm_board_ack(b, "PT-303/H", NULL, "olga", seen,
	    4000, 4, &more), 0);
	assert_int_equal(alarm_board_ack(b, NULL, "PRESS", "sam", seen, 4000,
	    4, &more), 1);
	assert_int_equal(drain(b, q, 16), 1);
	assert_string_equal(q[0].user, "sam");
	alarm_board_free(b);
}

/* A reload keeps states, acknowledgements and the activation count. */
static void
test_reload_keeps_state(void **state)
{
	struct alarm_board *b, *next;
	struct alarm_change_rec ch[ALARM_CHANGES_MAX], q[16];
	struct alarm_view *v;
	bool more;

	(void)state;
	make_model(18);
	b = alarm_board_new(&model, NULL);
	alarm_board_feed_point(b, 0, 19.0, true, 1000, 1, ch);
	alarm_board_feed_device(b, 0, ALARM_COMM, true, 1000, 1, ch);
	alarm_board_ack(b, "PT-303/H", NULL, "olga", 2, 2000, 2, &more);
	drain(b, q, 16);
	make_model(25);                 /* the new limit is above the value */
	next = alarm_board_new(&model, b);
	alarm_board_free(b);
	v = alarm_board_publish(next);
	assert_int_equal(v->activations, 2);
	assert_int_equal(row(v, "PT-303/H")->state, ALARM_ACK_ACTIVE);
	assert_string_equal(row(v, "PT-303/H")->acked_by, "olga");
	assert_int_equal(row(v, "pressure/COMM")->state, ALARM_UNACK_ACTIVE);
	alarm_view_release(v);
	/* Not raised again; judged against the new limit: cleared. */
	assert_int_equal(alarm_board_feed_point(next, 0, 19.0, true, 3000, 3,
	    ch), 1);
	assert_string_equal(ch[0].what, "cleared");
	assert_int_equal(alarm_board_feed_device(next, 0, ALARM_COMM, true,
	    3000, 3, ch), 0);
	alarm_board_free(next);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_and_feed),
		cmocka_unit_test(test_ack_only_what_was_seen),
		cmocka_unit_test(test_reload_keeps_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
