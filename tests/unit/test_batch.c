/*
 * test_batch.c: the batch state machine, row by row of the table in
 * src/plant/batch.c, on made-up times: a recipe of 10 min runs expected to
 * take 1 h, started at t = 0 (monotonic T0 ms, real R0 µs).
 *
 * The expected table below is written from the spec, not from batch.c:
 * every state x command pair is asked of batch_apply and checked against
 * it (next state, or the refusal and an unchanged batch), and run_end is
 * driven through batch_tick in every state.  Then: graceful stop completes
 * exactly at the end of the current run with held time excluded, abort
 * ends at once, runs are counted, progress, maintenance windows, counts,
 * the allowed-events mask, the record's log, and id validation.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "plant/batch.h"

#define T0 1000000LL                    /* monotonic ms at t = 0 */
#define R0 1795000000000000LL           /* real µs at t = 0 (2026) */
#define RUN_MS 600000LL                 /* 10 min */
#define EXPECTED_MS 3600000LL           /* 1 h */

static const struct batch_cmd alice = { "alice", NULL, false };
static const struct batch_cmd alice_bob = { "alice", "bob", false };

static struct batch_time
at(int64_t ms)
{
	struct batch_time t = { T0 + ms, R0 + ms * 1000 };

	return t;
}

static void
init(struct batch *b)
{
	const struct batch_recipe r = { "smb-rac-01", "Racemate split",
	    "3.2", RUN_MS, EXPECTED_MS };

	assert_int_equal(batch_init(b, "B-001", &r, NULL, 0), BATCH_OK);
}

static void
apply_ok(struct batch *b, enum batch_event ev, int64_t ms)
{
	assert_int_equal(batch_apply(b, ev, &alice, at(ms), NULL, 0),
	    BATCH_OK);
}

/* A batch in state s; every step of the way before t = 100 s. */
static void
make_in(struct batch *b, enum batch_state s)
{
	bool done = false;

	init(b);
	if (s == BATCH_IDLE)
		return;
	apply_ok(b, BATCH_EV_START, 0);
	switch (s) {
	case BATCH_HELD:
		apply_ok(b, BATCH_EV_HOLD, 100000);
		break;
	case BATCH_STOPPING:
		apply_ok(b, BATCH_EV_STOP, 100000);
		break;
	case BATCH_COMPLETE:
		apply_ok(b, BATCH_EV_STOP, 100000);
		assert_int_equal(batch_tick(b, at(RUN_MS), &done), 1);
		assert_true(done);
		break;
	case BATCH_ABORTED:
		apply_ok(b, BATCH_EV_ABORT, 100000);
		break;
	default:
		break;
	}
	assert_int_equal(b->state, s);
}

#define NO (-1)
#define CMDS 5          /* start hold resume stop abort */

/* From the spec: the next state of every command, or NO (refused). */
static const int expect_next[BATCH_STATE_COUNT_][CMDS] = {
	/*                    start          hold        resume
	                      stop            abort */
	[BATCH_IDLE]     = { BATCH_RUNNING, NO,         NO,
	                     NO,             NO },
	[BATCH_RUNNING]  = { NO,            BATCH_HELD, NO,
	                     BATCH_STOPPING, BATCH_ABORTED },
	[BATCH_HELD]     = { NO,            NO,         BATCH_RUNNING,
	                     BATCH_STOPPING, BATCH_ABORTED },
	[BATCH_STOPPING] = { NO,            NO,         NO,
	                     NO,             BATCH_ABORTED },
	[BATCH_COMPLETE] = { NO,            NO,         NO,
	                     NO,             NO },
	[BATCH_ABORTED]  = { NO,            NO,         NO,
	                     NO,             NO },
};

/* The reason for a refused command, by state. */
static const enum batch_refusal expect_refusal[BATCH_STATE_COUNT_] = {
	[BATCH_IDLE]		= BATCH_REFUSED_NOT_STARTED,
	[BATCH_RUNNING]		= BATCH_REFUSED_RUNNING,
	[BATCH_HELD]		= BATCH_REFUSED_HELD,
	[BATCH_STOPPING]	= BATCH_REFUSED_STOPPING,
	[BATCH_COMPLETE]	= BATCH_REFUSED_COMPLETE,
	[BATCH_ABORTED]		= BATCH_REFUSED_ABORTED,
};

/* Every state x command pair: the table's rows and its refusals. */
static void
test_transition_table(void **state)
{
	(void)state;
	for (int s = 0; s < BATCH_STATE_COUNT_; s++) {
		for (int ev = 0; ev < CMDS; ev++) {
			struct batch b, before;
			char why[256], want[256];
			enum batch_refusal rc;
			const struct batch_transition *e;

			make_in(&b, (enum batch_state)s);
			memcpy(&before, &b, sizeof b);
			strcpy(why, "untouched");
			rc = batch_apply(&b, (enum batch_event)ev, &alice_bob,
			    at(200000), why, sizeof why);
			if (expect_next[s][ev] == NO) {
				assert_int_equal(rc, expect_refusal[s]);
				assert_memory_equal(&b, &before, sizeof b);
				snprintf(want, sizeof want,
				    batch_refusal_format(rc), "B-001");
				assert_string_equal(why, want);
				assert_non_null(strstr(why, "B-001"));
				continue;
			}
			assert_int_equal(rc, BATCH_OK);
			assert_string_equal(why, "untouched");
			assert_int_equal(b.state, expect_next[s][ev]);
			assert_int_equal(b.nlog, before.nlog + 1);
			e = &b.log[b.nlog - 1];
			assert_int_equal(e->event, ev);
			assert_int_equal(e->from, s);
			assert_int_equal(e->to, expect_next[s][ev]);
			assert_int_equal(e->mono_ms, T0 + 200000);
			assert_int_equal(e->real_us, R0 + 200000000LL);
			assert_string_equal(e->user, "alice");
			assert_string_equal(e->second_user, "bob");
		}
	}
}

/* run_end, per state, through batch_tick at t = 700 s (past run 1). */
static void
test_run_end_rows(void **state)
{
	static const struct {
		int next;       /* NO: nothing happens */
		unsigned ended;
	} want[BATCH_STATE_COUNT_] = {
		[BATCH_IDLE]		= { NO, 0 },
		[BATCH_RUNNING]		= { BATCH_RUNNING, 1 },
		[BATCH_HELD]		= { NO, 0 },  /* the clock stands */
		[BATCH_STOPPING]	= { BATCH_COMPLETE, 1 },
		[BATCH_COMPLETE]	= { NO, 0 },
		[BATCH_ABORTED]		= { NO, 0 },
	};

	(void)state;
	for (int s = 0; s < BATCH_STATE_COUNT_; s++) {
		struct batch b, before;
		bool done = true;

		make_in(&b, (enum batch_state)s);
		memcpy(&before, &b, sizeof b);
		assert_int_equal(batch_tick(&b, at(700000), &done),
		    want[s].ended);
		assert_int_equal(done, want[s].next == BATCH_COMPLETE);
		if (want[s].next == NO) {
			assert_memory_equal(&b, &before, sizeof b);
			continue;
		}
		assert_int_equal(b.state, want[s].next);
		if (want[s].next == BATCH_RUNNING) {
			/* Counted, not logged. */
			assert_int_equal(b.run, 2);
			assert_int_equal(b.nlog, before.nlog);
		} else {
			assert_int_equal(b.nlog, before.nlog + 1);
			assert_int_equal(b.log[b.nlog - 1].event,
			    BATCH_EV_RUN_END);
			assert_int_equal(b.log[b.nlog - 1].from,
			    BATCH_STOPPING);
			assert_int_equal(b.log[b.nlog - 1].to, BATCH_COMPLETE);
		}
	}
}

/* run_end is never a command, in any state. */
static void
test_run_end_not_a_command(void **state)
{
	(void)state;
	for (int s = 0; s < BATCH_STATE_COUNT_; s++) {
		struct batch b, before;
		char why[256];

		make_in(&b, (enum batch_state)s);
		memcpy(&before, &b, sizeof b);
		assert_int_equal(batch_apply(&b, BATCH_EV_RUN_END, &alice,
		    at(700000), why, sizeof why), BATCH_REFUSED_NOT_A_COMMAND);
		assert_memory_equal(&b, &before, sizeof b);
		assert_string_equal(why, "batch B-001: a run ends by the "
		    "batch clock, not by a command");
		assert_int_equal(batch_apply(&b, BATCH_EVENT_COUNT_, &alice,
		    at(700000), NULL, 0), BATCH_REFUSED_NOT_A_COMMAND);
		assert_memory_equal(&b, &before, sizeof b);
	}
}

/* The record of a start: who, when, the recipe, run 1. */
static void
test_start_record(void **state)
{
	struct batch b;

	(void)state;
	init(&b);
	assert_int_equal(b.state, BATCH_IDLE);
	assert_int_equal(b.run, 0);
	assert_int_equal(b.nlog, 0);
	assert_int_equal(batch_apply(&b, BATCH_EV_START, &alice, at(5000),
	    NULL, 0), BATCH_OK);
	assert_string_equal(b.id, "B-001");
	assert_string_equal(b.recipe_id, "smb-rac-01");
	assert_string_equal(b.recipe_name, "Racemate split");
	assert_string_equal(b.recipe_version, "3.2");
	assert_int_equal(b.run_ms, RUN_MS);
	assert_int_equal(b.expected_ms, EXPECTED_MS);
	assert_string_equal(b.started_by, "alice");
	assert_int_equal(b.started_mono_ms, T0 + 5000);
	assert_int_equal(b.started_real_us, R0 + 5000000LL);
	assert_int_equal(b.run, 1);
	assert_int_equal(b.log[0].event, BATCH_EV_START);
	assert_string_equal(b.log[0].second_user, "");
	assert_int_equal(b.ended_mono_ms, 0);
}

/* Stop: not before the end of the current run, and exactly at it. */
static void
test_stop_completes_at_run_end(void **state)
{
	struct batch b;
	bool done = true;

	(void)state;
	init(&b);
	apply_ok(&b, BATCH_EV_START, 0);
	apply_ok(&b, BATCH_EV_STOP, 250000);
	assert_int_equal(batch_tick(&b, at(RUN_MS - 1), &done), 0);
	assert_false(done);
	assert_int_equal(b.state, BATCH_STOPPING);
	/* A late tick: recorded at the run's end, not at the tick. */
	assert_int_equal(batch_tick(&b, at(RUN_MS + 7000), &done), 1);
	assert_true(done);
	assert_int_equal(b.state, BATCH_COMPLETE);
	assert_int_equal(b.ended_mono_ms, T0 + RUN_MS);
	assert_int_equal(b.ended_real_us, R0 + RUN_MS * 1000);
	assert_int_equal(b.log[b.nlog - 1].mono_ms, T0 + RUN_MS);
	assert_int_equal(b.log[b.nlog - 1].real_us, R0 + RUN_MS * 1000);
	assert_string_equal(b.log[b.nlog - 1].user, "");
	assert_int_equal(b.run, 1);
	/* Complete is final: more time changes nothing. */
	assert_int_equal(batch_tick(&b, at(10 * RUN_MS), &done), 0);
	assert_false(done);
	assert_int_equal(b.state, BATCH_COMPLETE);
}

/* Stop in a later run finishes that run, whose end is counted too. */
static void
test_stop_in_later_run(void **state)
{
	struct batch b;
	bool done;

	(void)state;
	init(&b);
	apply_ok(&b, BATCH_EV_START, 0);
	assert_int_equal(batch_tick(&b, at(1300000), NULL), 2);
	apply_ok(&b, BATCH_EV_STOP, 1300000);
	assert_int_equal(batch_tick(&b, at(3 * RUN_MS - 1), &done), 0);
	assert_false(done);
	assert_int_equal(batch_tick(&b, at(3 * RUN_MS), &done), 1);
	assert_true(done);
	assert_int_equal(b.run, 3);
	assert_int_equal(b.ended_mono_ms, T0 + 3 * RUN_MS);
}

/*
 * A stop asked exactly at a boundary, without a tick first: run 1 has
 * just ended, so run 2 completes the batch; run 1's end is still reported.
 */
static void
test_stop_at_boundary(void **state)
{
	struct batch b;
	bool done;

	(void)state;
	init(&b);
	apply_ok(&b, BATCH_EV_START, 0);
	apply_ok(&b, BATCH_EV_STOP, RUN_MS);
	assert_int_equal(batch_tick(&b, at(2 * RUN_MS - 1), &done), 1);
	assert_false(done);
	assert_int_equal(b.state, BATCH_STOPPING);
	assert_int_equal(b.run, 2);
	assert_int_equal(batch_tick(&b, at(2 * RUN_MS), &done), 1);
	assert_true(done);
	assert_int_equal(b.ended_mono_ms, T0 + 2 * RUN_MS);
}

/* Held time does not count: the run ends that much later. */
static void
test_stop_excludes_held_time(void **state)
{
	struct batch b;
	struct batch_progress p;
	bool done;

	(void)state;
	init(&b);
	apply_ok(&b, BATCH_EV_START, 0);
	apply_ok(&b, BATCH_EV_HOLD, 100000);
	apply_ok(&b, BATCH_EV_RESUME, 400000);          /* held 300 s */
	apply_ok(&b, BATCH_EV_STOP, 500000);
	assert_int_equal(b.held_total_ms, 300000);
	assert_int_equal(batch_tick(&b, at(RUN_MS + 300000 - 1), &done), 0);
	assert_false(done);
	assert_int_equal(b.state, BATCH_STOPPING);
	assert_int_equal(batch_tick(&b, at(RUN_MS + 300000), &done), 1);
	assert_true(done);
	assert_int_equal(b.ended_mono_ms, T0 + RUN_MS + 300000);
	batch_progress(&b, T0 + 5 * RUN_MS, &p);
	assert_int_equal(p.elapsed_ms, RUN_MS);
	assert_int_equal(p.held_ms, 300000);
}

/* Stop while held: the held run resumes and completes the batch. */
static void
test_stop_from_held(void **state)
{
	struct batch b;
	bool done;

	(void)state;
	init(&b);
	apply_ok(&b, BATCH_EV_START, 0);
	assert_int_equal(batch_tick(&b, at(700000), NULL), 1);
	apply_ok(&b, BATCH_EV_HOLD, 700000);            /* run 2, 100 s in */
	assert_int_equal(batch_tick(&b, at(1000000), NULL), 0);
	apply_ok(&b, BATCH_EV_STOP, 1000000);           /* held 300 s */
	assert_int_equal(b.state, BATCH_STOPPING);
	assert_int_equal(b.held_total_ms, 300000);
	assert_int_equal(b.stop_run, 2);
	assert_int_equal(batch_tick(&b, at(2 * RUN_MS + 300000 - 1), &done),
	    0);
	assert_false(done);
	assert_int_equal(batch_tick(&b, at(2 * RUN_MS + 300000), &done), 1);
	assert_true(done);
	assert_int_equal(b.state, BATCH_COMPLETE);
	assert_int_equal(b.ended_mono_ms, T0 + 2 * RUN_MS + 300000);
}

/* Abort ends at once from running, held and stopping. */
static void
test_abort_at_once(void **state)
{
	static const enum batch_state from[] = {
		BATCH_RUNNING, BATCH_HELD, BATCH_STOPPING };
	/* Elapsed at the abort (t = 250 s): held from 100 s in HELD. */
	static const int64_t elapsed[] = { 250000, 100000, 250000 };

	(void)state;
	for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
		struct batch b;
		struct batch_progress p;
		bool done = true;

		make_in(&b, from[i]);
		apply_ok(&b, BATCH_EV_ABORT, 250000);
		assert_int_equal(b.state, BATCH_ABORTED);
		assert_int_equal(b.ended_mono_ms, T0 + 250000);
		assert_int_equal(b.ended_real_us, R0 + 250000000LL);
		assert_int_equal(b.log[b.nlog - 1].from, from[i]);
		assert_int_equal(b.log[b.nlog - 1].to, BATCH_ABORTED);
		/* The run's end passes: nothing more happens. */
		assert_int_equal(batch_tick(&b, at(2 * RUN_MS), &done), 0);
		assert_false(done);
		assert_int_equal(b.state, BATCH_ABORTED);
		batch_progress(&b, T0 + 2 * RUN_MS, &p);
		assert_int_equal(p.elapsed_ms, elapsed[i]);
		assert_int_equal(p.held_ms, 250000 - elapsed[i]);
	}
}

/* Runs end every run_ms of batch-clock time; none while held. */
static void
test_runs_counted(void **state)
{
	struct batch b;

	(void)state;
	init(&b);
	apply_ok(&b, BATCH_EV_START, 0);
	assert_int_equal(batch_tick(&b, at(RUN_MS - 1), NULL), 0);
	assert_int_equal(b.run, 1);
	assert_int_equal(batch_tick(&b, at(RUN_MS), NULL), 1);
	assert_int_equal(b.run, 2);
	assert_int_equal(batch_tick(&b, at(RUN_MS), NULL), 0);
	/* A late tick reports every run that ended. */
	assert_int_equal(batch_tick(&b, at(2500000), NULL), 3);
	assert_int_equal(b.run, 5);
	apply_ok(&b, BATCH_EV_HOLD, 2500000);
	assert_int_equal(batch_tick(&b, at(2900000), NULL), 0);
	assert_int_equal(b.run, 5);
	apply_ok(&b, BATCH_EV_RESUME, 3000000);         /* held 500 s */
	/* Run 5 ends at batch clock 3,000 s, so at t = 3,500 s. */
	assert_int_equal(batch_tick(&b, at(3499999), NULL), 0);
	assert_int_equal(b.run, 5);
	assert_int_equal(batch_tick(&b, at(3500000), NULL), 1);
	assert_int_equal(b.run, 6);
	assert_int_equal(b.state, BATCH_RUNNING);
	assert_int_equal(b.nlog, 3);    /* start, hold, resume */
}

static void
assert_near(double a, double b)
{
	assert_true(a - b < 1e-9 && b - a < 1e-9);
}

/* Progress from the times, held time excluded, tick or no tick. */
static void
test_progress(void **state)
{
	struct batch b;
	struct batch_progress p;

	(void)state;
	init(&b);
	p.run = 99;
	batch_progress(&b, T0 + 300000, &p);
	assert_int_equal(p.elapsed_ms, 0);
	assert_int_equal(p.run, 0);
	assert_int_equal(p.remaining_ms, 0);
	assert_near(p.fraction, 0.0);

	apply_ok(&b, BATCH_EV_START, 0);
	batch_progress(&b, T0 + 300000, &p);
	assert_int_equal(p.elapsed_ms, 300000);
	assert_int_equal(p.held_ms, 0);
	assert_int_equal(p.remaining_ms, 3300000);
	assert_near(p.fraction, 300000.0 / 3600000.0);
	assert_int_equal(p.run, 1);
	assert_near(p.run_fraction, 0.5);
	assert_int_equal(p.run_remaining_ms, 300000);

	apply_ok(&b, BATCH_EV_HOLD, 300000);
	batch_progress(&b, T0 + 500000, &p);            /* stands still */
	assert_int_equal(p.elapsed_ms, 300000);
	assert_int_equal(p.held_ms, 200000);
	assert_near(p.run_fraction, 0.5);
	apply_ok(&b, BATCH_EV_RESUME, 500000);

	batch_progress(&b, T0 + 1100000, &p);   /* no tick: b.run is 1 */
	assert_int_equal(b.run, 1);
	assert_int_equal(p.elapsed_ms, 900000);
	assert_int_equal(p.held_ms, 200000);
	assert_int_equal(p.run, 2);
	assert_near(p.run_fraction, 0.5);

	/* Past the expected duration: more than 1, nothing remaining. */
	batch_progress(&b, T0 + 4200000, &p);
	assert_int_equal(p.elapsed_ms, 4000000);
	assert_near(p.fraction, 4000000.0 / 3600000.0);
	assert_int_equal(p.remaining_ms, 0);
	assert_int_equal(p.run, 7);

	/* Stopping in run 7: it completes at batch clock 4,200 s. */
	apply_ok(&b, BATCH_EV_STOP, 4200000);
	batch_progress(&b, T0 + 4300000, &p);
	assert_int_equal(p.run, 7);
	assert_int_equal(p.run_remaining_ms, 100000);
	batch_progress(&b, T0 + 4500000, &p);   /* ended, not yet ticked */
	assert_int_equal(p.run, 7);
	assert_near(p.run_fraction, 1.0);
	assert_int_equal(p.run_remaining_ms, 0);
	assert_int_equal(batch_tick(&b, at(4500000), NULL), 7);  /* 1..7 */
	assert_int_equal(b.state, BATCH_COMPLETE);
	assert_int_equal(b.run, 7);
	batch_progress(&b, T0 + 9000000, &p);
	assert_int_equal(p.elapsed_ms, 4200000);
	assert_int_equal(p.run, 7);
	assert_near(p.run_fraction, 1.0);
}

/* A maintenance window refuses a start, and nothing else. */
static void
test_maintenance(void **state)
{
	const struct batch_cmd in_window = { "alice", NULL, true };
	struct batch b, before;
	char why[256];

	(void)state;
	init(&b);
	memcpy(&before, &b, sizeof b);
	assert_int_equal(batch_apply(&b, BATCH_EV_START, &in_window,
	    at(0), why, sizeof why), BATCH_REFUSED_MAINTENANCE);
	assert_memory_equal(&b, &before, sizeof b);
	assert_string_equal(why, "batch B-001 cannot start: a maintenance "
	    "window is in progress; start it when the window has ended");
	assert_int_equal(batch_apply(&b, BATCH_EV_START, &alice, at(0),
	    why, sizeof why), BATCH_OK);

	/* A running batch: the window does not touch it. */
	assert_int_equal(batch_apply(&b, BATCH_EV_START, &in_window,
	    at(1000), NULL, 0), BATCH_REFUSED_RUNNING);
	assert_int_equal(batch_apply(&b, BATCH_EV_HOLD, &in_window,
	    at(1000), NULL, 0), BATCH_OK);
	assert_int_equal(batch_apply(&b, BATCH_EV_RESUME, &in_window,
	    at(2000), NULL, 0), BATCH_OK);
	assert_int_equal(batch_apply(&b, BATCH_EV_STOP, &in_window,
	    at(3000), NULL, 0), BATCH_OK);
	assert_int_equal(batch_tick(&b, at(RUN_MS + 1000), NULL), 1);
	assert_int_equal(b.state, BATCH_COMPLETE);
}

/* Commands need a signer's name; the state is checked before it. */
static void
test_signer(void **state)
{
	static const char u32[] = "u0123456789012345678901234567890";
	static const char u33[] = "u01234567890123456789012345678901";
	const struct batch_cmd none = { NULL, NULL, false };
	const struct batch_cmd empty = { "", NULL, false };
	const struct batch_cmd longer = { u33, NULL, false };
	const struct batch_cmd second_longer = { "alice", u33, false };
	const struct batch_cmd max = { u32, u32, false };
	const struct batch_cmd *bad[] = { NULL, &none, &empty, &longer,
	    &second_longer };
	struct batch b, before;

	(void)state;
	assert_int_equal(strlen(u32), 32);
	assert_int_equal(strlen(u33), 33);
	init(&b);
	memcpy(&before, &b, sizeof b);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(batch_apply(&b, BATCH_EV_START, bad[i],
		    at(0), NULL, 0), BATCH_REFUSED_SIGNER);
		assert_memory_equal(&b, &before, sizeof b);
	}
	assert_int_equal(batch_apply(&b, BATCH_EV_HOLD, NULL, at(0), NULL,
	    0), BATCH_REFUSED_NOT_STARTED);
	assert_int_equal(batch_apply(&b, BATCH_EV_START, &max, at(0), NULL,
	    0), BATCH_OK);
	assert_string_equal(b.started_by, u32);
	assert_string_equal(b.log[0].second_user, u32);
}

/* Counts only while the batch is active (running, held, stopping). */
static void
test_counts_only_active(void **state)
{
	static const bool active[BATCH_STATE_COUNT_] = {
		[BATCH_RUNNING] = true, [BATCH_HELD] = true,
		[BATCH_STOPPING] = true };

	(void)state;
	for (int s = 0; s < BATCH_STATE_COUNT_; s++) {
		struct batch b;
		uint64_t n = active[s] ? 1 : 0;

		make_in(&b, (enum batch_state)s);
		assert_int_equal(batch_tags_samples(&b), active[s]);
		assert_int_equal(batch_count_samples(&b, 10), active[s]);
		assert_int_equal(batch_count_samples(&b, 5), active[s]);
		assert_int_equal(batch_count_errors(&b, 2), active[s]);
		assert_int_equal(batch_count_alarms(&b, 1), active[s]);
		assert_int_equal(b.samples, 15 * n);
		assert_int_equal(b.errors, 2 * n);
		assert_int_equal(b.alarms, 1 * n);
	}
}

/* Only the commands that work now, never run_end. */
static void
test_allowed_events(void **state)
{
	static const unsigned want[BATCH_STATE_COUNT_] = {
		[BATCH_IDLE]	= 1u << BATCH_EV_START,
		[BATCH_RUNNING]	= 1u << BATCH_EV_HOLD | 1u << BATCH_EV_STOP |
		    1u << BATCH_EV_ABORT,
		[BATCH_HELD]	= 1u << BATCH_EV_RESUME |
		    1u << BATCH_EV_STOP | 1u << BATCH_EV_ABORT,
		[BATCH_STOPPING] = 1u << BATCH_EV_ABORT,
		[BATCH_COMPLETE] = 0,
		[BATCH_ABORTED]	= 0,
	};

	(void)state;
	for (int s = 0; s < BATCH_STATE_COUNT_; s++) {
		struct batch b;

		make_in(&b, (enum batch_state)s);
		assert_int_equal(batch_allowed_events(&b), want[s]);
	}
}

/* The first 63 transitions and always the latest one. */
static void
test_log_overflow(void **state)
{
	struct batch b;
	int64_t t = 0;

	(void)state;
	init(&b);
	apply_ok(&b, BATCH_EV_START, t);
	for (int i = 0; i < 40; i++) {
		apply_ok(&b, BATCH_EV_HOLD, t += 1000);
		apply_ok(&b, BATCH_EV_RESUME, t += 1000);
	}
	/* 81 transitions: 17 of them overwritten in the last slot. */
	assert_int_equal(b.nlog, BATCH_LOG_MAX);
	assert_int_equal(b.log_dropped, 81 - BATCH_LOG_MAX);
	assert_int_equal(b.holds, 40);
	assert_int_equal(b.held_total_ms, 40 * 1000);
	assert_int_equal(b.log[0].event, BATCH_EV_START);
	/* Transition 63 (resume number 31, at t = 62 s) is in slot 62. */
	assert_int_equal(b.log[BATCH_LOG_MAX - 2].event, BATCH_EV_RESUME);
	assert_int_equal(b.log[BATCH_LOG_MAX - 2].mono_ms, T0 + 62000);
	assert_int_equal(b.log[BATCH_LOG_MAX - 1].event, BATCH_EV_RESUME);
	assert_int_equal(b.log[BATCH_LOG_MAX - 1].mono_ms, T0 + 80000);
	apply_ok(&b, BATCH_EV_ABORT, t += 1000);
	assert_int_equal(b.nlog, BATCH_LOG_MAX);
	assert_int_equal(b.log_dropped, 82 - BATCH_LOG_MAX);
	assert_int_equal(b.log[BATCH_LOG_MAX - 1].event, BATCH_EV_ABORT);
	assert_int_equal(b.log[BATCH_LOG_MAX - 1].to, BATCH_ABORTED);
}

/* A time before the latest transition counts as that time. */
static void
test_time_never_goes_back(void **state)
{
	struct batch b;
	struct batch_progress p;

	(void)state;
	init(&b);
	apply_ok(&b, BATCH_EV_START, 10000);
	apply_ok(&b, BATCH_EV_HOLD, 5000);
	assert_int_equal(b.log[1].mono_ms, T0 + 10000);
	assert_int_equal(b.log[1].real_us, R0 + 5000000LL);    /* as given */
	batch_progress(&b, T0, &p);
	assert_int_equal(p.elapsed_ms, 0);
	assert_int_equal(p.held_ms, 0);
	apply_ok(&b, BATCH_EV_RESUME, 12000);
	assert_int_equal(b.held_total_ms, 2000);
	apply_ok(&b, BATCH_EV_ABORT, 11000);
	assert_int_equal(b.ended_mono_ms, T0 + 12000);
	assert_int_equal(b.ended_real_us, R0 + 11000000LL);
}

static void
test_init_refusals(void **state)
{
	static const char v31[] = "0123456789012345678901234567890";
	static const char v32[] = "01234567890123456789012345678901";
	struct batch_recipe ok = { "smb-rac-01", "Racemate split", "3.2",
	    RUN_MS, EXPECTED_MS };
	struct batch_recipe bad[8];
	struct batch b, before;
	char why[256];

	(void)state;
	for (size_t i = 0; i < 8; i++)
		bad[i] = ok;
	bad[0].id = NULL;
	bad[1].name = "";
	bad[2].version = NULL;
	bad[3].version = v32;
	bad[4].run_ms = 0;
	bad[5].expected_ms = -1;
	bad[6].run_ms = -RUN_MS;
	bad[7].id = "";
	memset(&b, 0xa5, sizeof b);
	memcpy(&before, &b, sizeof b);
	assert_int_equal(batch_init(&b, "B 001", &ok, why, sizeof why),
	    BATCH_REFUSED_BAD_ID);
	assert_memory_equal(&b, &before, sizeof b);
	assert_string_equal(why, batch_refusal_format(BATCH_REFUSED_BAD_ID));
	assert_int_equal(batch_init(&b, "B-001", NULL, why, sizeof why),
	    BATCH_REFUSED_BAD_RECIPE);
	assert_non_null(strstr(why, "batch B-001: "));
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(batch_init(&b, "B-001", &bad[i], NULL, 0),
		    BATCH_REFUSED_BAD_RECIPE);
		assert_memory_equal(&b, &before, sizeof b);
	}
	ok.version = v31;
	assert_int_equal(batch_init(&b, "B-001", &ok, NULL, 0), BATCH_OK);
	assert_string_equal(b.recipe_version, v31);
	assert_int_equal(b.state, BATCH_IDLE);
	assert_int_equal(b.samples, 0);
	assert_int_equal(b.nlog, 0);
}

static void
test_id_valid(void **state)
{
	(void)state;
	assert_true(batch_id_valid("B-001"));
	assert_true(batch_id_valid("a"));
	assert_true(batch_id_valid("A.b_c-9"));
	assert_true(batch_id_valid("0123456789abcdefghijABCDEFGHIJ._"));
	assert_false(batch_id_valid("0123456789abcdefghijABCDEFGHIJ._-"));
	assert_false(batch_id_valid(""));
	assert_false(batch_id_valid(NULL));
	assert_false(batch_id_valid("B 001"));
	assert_false(batch_id_valid("B/001"));
	assert_false(batch_id_valid("B-001\n"));
	assert_false(batch_id_valid("B\xc3\xa4"));     /* "Bä" */
	assert_false(batch_id_valid("B%s"));
}

static void
test_names(void **state)
{
	static const char *const states[] = { "idle", "running", "held",
	    "stopping", "complete", "aborted" };
	static const char *const events[] = { "start", "hold", "resume",
	    "stop", "abort", "run_end" };

	(void)state;
	for (int s = 0; s < BATCH_STATE_COUNT_; s++)
		assert_string_equal(batch_state_name((enum batch_state)s),
		    states[s]);
	for (int ev = 0; ev < BATCH_EVENT_COUNT_; ev++)
		assert_string_equal(batch_event_name((enum batch_event)ev),
		    events[ev]);
	assert_null(batch_state_name(BATCH_STATE_COUNT_));
	assert_null(batch_state_name((enum batch_state)-1));
	assert_null(batch_event_name(BATCH_EVENT_COUNT_));
	assert_null(batch_event_name((enum batch_event)-1));
}

/* Each template: text, and at most one conversion, a %s (the id). */
static void
test_refusal_formats(void **state)
{
	char why[256];
	struct batch b;

	(void)state;
	assert_string_equal(batch_refusal_format(BATCH_OK), "");
	assert_null(batch_refusal_format(BATCH_REFUSAL_COUNT_));
	for (int r = 1; r < BATCH_REFUSAL_COUNT_; r++) {
		const char *f = batch_refusal_format((enum batch_refusal)r);
		int conversions = 0;

		assert_non_null(f);
		assert_true(strlen(f) > 20);
		for (const char *p = strchr(f, '%'); p != NULL;
		    p = strchr(p + 1, '%')) {
			assert_int_equal(p[1], 's');
			conversions++;
		}
		assert_in_range(conversions, 0, 1);
	}
	/* The wording the UI relies on. */
	make_in(&b, BATCH_HELD);
	assert_int_equal(batch_apply(&b, BATCH_EV_HOLD, &alice, at(200000),
	    why, sizeof why), BATCH_REFUSED_HELD);
	assert_string_equal(why, "batch B-001 is held: resume it or stop it");
	/* A short buffer is cut, still terminated. */
	assert_int_equal(batch_apply(&b, BATCH_EV_HOLD, &alice, at(200000),
	    why, 9), BATCH_REFUSED_HELD);
	assert_string_equal(why, "batch B-");
	assert_int_equal(batch_apply(&b, BATCH_EV_HOLD, &alice, at(200000),
	    why, 1), BATCH_REFUSED_HELD);
	assert_string_equal(why, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_table),
		cmocka_unit_test(test_run_end_rows),
		cmocka_unit_test(test_run_end_not_a_command),
		cmocka_unit_test(test_start_record),
		cmocka_unit_test(test_stop_completes_at_run_end),
		cmocka_unit_test(test_stop_in_later_run),
		cmocka_unit_test(test_stop_at_boundary),
		cmocka_unit_test(test_stop_excludes_held_time),
		cmocka_unit_test(test_stop_from_held),
		cmocka_unit_test(test_abort_at_once),
		cmocka_unit_test(test_runs_counted),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_maintenance),
		cmocka_unit_test(test_signer),
		cmocka_unit_test(test_counts_only_active),
		cmocka_unit_test(test_allowed_events),
		cmocka_unit_test(test_log_overflow),
		cmocka_unit_test(test_time_never_goes_back),
		cmocka_unit_test(test_init_refusals),
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_refusal_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
