/*
 * test_batch_record.c: a batch's record as JSON, both ways
 * (src/plant/batch_record.c), on made-up times.
 *
 * A batch that ran, was held, resumed and is stopping is written and read
 * back at a later moment: every field survives, its monotonic times are
 * rebased so that its progress at the new moment is what it would have
 * been, a stopping batch read back after its last run ended completes at
 * that run's end, a held batch stays held with its clock standing, and a
 * record with a field missing or wrong is refused whole.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "plant/batch_record.h"

#define T0 5000000LL                    /* monotonic ms at t = 0 */
#define R0 1795000000000000LL           /* real µs at t = 0 (2026) */
#define RUN_MS 600000LL                 /* 10 min */

static const struct batch_cmd olga = { "olga", NULL, false };
static const struct batch_cmd olga_sam = { "olga", "sam", false };

static struct batch_time
at(int64_t ms)
{
	struct batch_time t = { T0 + ms, R0 + ms * 1000 };

	return t;
}

/* Started at 0, held 100 s..160 s, stop asked at 700 s (run 2). */
static void
make_stopping(struct batch *b)
{
	const struct batch_recipe r = { "racemate-sep", "Racemate separation",
	    "3", RUN_MS, 6 * RUN_MS };

	assert_int_equal(batch_init(b, "ipc1-20261121-01", &r, NULL, 0),
	    BATCH_OK);
	assert_int_equal(batch_apply(b, BATCH_EV_START, &olga, at(0), NULL,
	    0), BATCH_OK);
	b->log[b->nlog - 1].audit_seq = 41;
	assert_int_equal(batch_apply(b, BATCH_EV_HOLD, &olga, at(100000),
	    NULL, 0), BATCH_OK);
	assert_int_equal(batch_apply(b, BATCH_EV_RESUME, &olga, at(160000),
	    NULL, 0), BATCH_OK);
	batch_tick(b, at(700000), NULL);
	assert_int_equal(batch_apply(b, BATCH_EV_STOP, &olga_sam, at(700000),
	    NULL, 0), BATCH_OK);
	b->log[b->nlog - 1].audit_seq = 44;
	batch_count_samples(b, 1234);
	batch_count_errors(b, 5);
	batch_count_alarms(b, 2);
}

/* Written at t, read back at t + later (monotonic clock elsewhere). */
static void
round_trip(const struct batch *b, int64_t t, int64_t later, int64_t mono,
    struct batch *out)
{
	json_t *j = batch_record_to_json(b, "ipc-1", R0 + t * 1000);
	char *text = json_dumps(j, 0);
	json_t *back = json_loads(text, 0, NULL);
	char err[128];

	assert_non_null(back);
	assert_int_equal(batch_record_from_json(back, out, mono,
	    R0 + (t + later) * 1000, err, sizeof err), 0);
	json_decref(back);
	json_decref(j);
	free(text);
}

static void
test_fields_survive(void **state)
{
	struct batch b, r;
	json_t *j;

	(void)state;
	make_stopping(&b);
	j = batch_record_to_json(&b, "ipc-1", R0 + 710000000LL);
	assert_string_equal(json_string_value(json_object_get(j, "state")),
	    "stopping");
	assert_string_equal(json_string_value(json_object_get(j, "started")),
	    "2026-11-18T11:06:40.000000Z");
	assert_string_equal(json_string_value(json_object_get(j, "console")),
	    "ipc-1");
	assert_int_equal(json_array_size(json_object_get(j, "transitions")), 4);
	json_decref(j);

	round_trip(&b, 710000, 0, 42, &r);
	assert_string_equal(r.id, b.id);
	assert_string_equal(r.recipe_name, "Racemate separation");
	assert_string_equal(r.started_by, "olga");
	assert_int_equal(r.state, BATCH_STOPPING);
	assert_int_equal(r.run_ms, RUN_MS);
	assert_int_equal(r.stop_run, b.stop_run);
	assert_int_equal(r.held_total_ms, 60000);
	assert_int_equal(r.holds, 1);
	assert_int_equal(r.samples, 1234);
	assert_int_equal(r.errors, 5);
	assert_int_equal(r.alarms, 2);
	assert_int_equal(r.nlog, 4);
	assert_int_equal(r.log[0].audit_seq, 41);
	assert_int_equal(r.log[3].audit_seq, 44);
	assert_string_equal(r.log[3].second_user, "sam");
	assert_int_equal(r.log[3].event, BATCH_EV_STOP);
	assert_int_equal(r.log[1].real_us, R0 + 100000000LL);
}

/* Rebased: progress at the new moment is what it would have been. */
static void
test_rebased_progress(void **state)
{
	struct batch b, r;
	struct batch_progress p, q;

	(void)state;
	make_stopping(&b);
	/* Read back 50 s later on a clock that reads 42 ms. */
	round_trip(&b, 710000, 50000, 42, &r);
	batch_progress(&b, T0 + 760000, &p);
	batch_progress(&r, 42, &q);
	assert_int_equal(q.elapsed_ms, p.elapsed_ms);
	assert_int_equal(q.held_ms, p.held_ms);
	assert_int_equal(q.run, p.run);
	assert_int_equal(q.run_remaining_ms, p.run_remaining_ms);
}

/* Down past the end of its last run: it completes at that end. */
static void
test_completes_while_down(void **state)
{
	struct batch b, r;
	bool done = false;

	(void)state;
	make_stopping(&b);
	/* Run 2 ends at batch clock 1200 s = 1260 s with the hold. */
	round_trip(&b, 710000, 3600000, 99, &r);
	batch_tick(&r, (struct batch_time){ 99, R0 + 4310000000LL }, &done);
	assert_true(done);
	assert_int_equal(r.state, BATCH_COMPLETE);
	assert_int_equal(r.ended_real_us, R0 + 1260000000LL);
}

/* Held: the clock stands, however long the console was down. */
static void
test_held_stays_held(void **state)
{
	const struct batch_recipe rc = { "r", "R", "1", RUN_MS, RUN_MS * 3 };
	struct batch b, r;
	struct batch_progress p;

	(void)state;
	assert_int_equal(batch_init(&b, "B-1", &rc, NULL, 0), BATCH_OK);
	assert_int_equal(batch_apply(&b, BATCH_EV_START, &olga, at(0), NULL,
	    0), BATCH_OK);
	assert_int_equal(batch_apply(&b, BATCH_EV_HOLD, &olga, at(30000),
	    NULL, 0), BATCH_OK);
	round_trip(&b, 40000, 7200000, 10, &r);
	assert_int_equal(r.state, BATCH_HELD);
	batch_progress(&r, 10, &p);
	assert_int_equal(p.elapsed_ms, 30000);
	assert_int_equal(batch_apply(&r, BATCH_EV_RESUME, &olga,
	    (struct batch_time){ 10, R0 + 7240000000LL }, NULL, 0), BATCH_OK);
	batch_progress(&r, 20010, &p);
	assert_int_equal(p.elapsed_ms, 50000);
}

/* Every required field, removed or spoiled in turn: refused whole. */
static void
test_refuses_broken(void **state)
{
	static const char *const keys[] = { "id", "state", "started_by",
	    "started_us", "ended_us", "held_total_ms", "holds", "held_since_us",
	    "run", "stop_run", "samples", "errors", "alarms", "transitions",
	    "transitions_dropped", "recipe", NULL };
	struct batch b, r, before;
	char err[128];

	(void)state;
	make_stopping(&b);
	memset(&r, 0x5a, sizeof r);
	before = r;
	for (size_t i = 0; keys[i] != NULL; i++) {
		json_t *j = batch_record_to_json(&b, "", R0);

		json_object_del(j, keys[i]);
		assert_int_equal(batch_record_from_json(j, &r, 0, R0, err,
		    sizeof err), -1);
		assert_memory_equal(&r, &before, sizeof r);
		json_object_set_new(j, keys[i], json_integer(-5));
		assert_int_equal(batch_record_from_json(j, &r, 0, R0, err,
		    sizeof err), -1);
		json_decref(j);
	}
	{
		json_t *j = batch_record_to_json(&b, "", R0);

		json_object_set_new(j, "state", json_string("flying"));
		assert_int_equal(batch_record_from_json(j, &r, 0, R0, err,
		    sizeof err), -1);
		json_object_set_new(j, "state", json_string("running"));
		json_object_set_new(j, "id", json_string("bad id!"));
		assert_int_equal(batch_record_from_json(j, &r, 0, R0, err,
		    sizeof err), -1);
		json_decref(j);
	}
	assert_int_equal(batch_state_from_name("held"), BATCH_HELD);
	assert_int_equal(batch_state_from_name("nope"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_survive),
		cmocka_unit_test(test_rebased_progress),
		cmocka_unit_test(test_completes_while_down),
		cmocka_unit_test(test_held_stays_held),
		cmocka_unit_test(test_refuses_broken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
