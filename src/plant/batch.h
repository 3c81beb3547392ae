/*
 * batch.h: one batch, as pure logic: its state machine, its runs and its
 * record.
 *
 * A batch runs one recipe: idle -> running -> (held <-> running) ->
 * stopping -> complete, or -> aborted from running, held or stopping.
 * Stop is graceful (the current run finishes, then the batch completes);
 * abort ends it at once.  The table of transitions, and why each is there,
 * is at the top of batch.c.
 *
 * The caller (the batch manager in the engine) owns everything around it:
 * it checks the signatures (approval.h) before it asks for a transition,
 * writes an audit event for every transition that happened, tags samples
 * while batch_tags_samples() says so, and makes a fresh struct for every
 * new batch.  Nothing here reads a clock, allocates, locks or prints:
 * times are the caller's (monotonic milliseconds for durations, real
 * microseconds for the record), so the unit tests use made-up times.
 */
#ifndef JOPE_PLANT_BATCH_H
#define JOPE_PLANT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BATCH_ID_MAX 33                 /* 1..32 of [A-Za-z0-9._-], NUL */
#define BATCH_RECIPE_ID_MAX 64
#define BATCH_RECIPE_NAME_MAX 128
#define BATCH_RECIPE_VERSION_MAX 32
#define BATCH_USER_MAX 33               /* as struct esig's user */
#define BATCH_LOG_MAX 64                /* transitions kept in the record */

/* Order is stable (stored as names, but tests loop over it). */
enum batch_state {
	BATCH_IDLE,
	BATCH_RUNNING,
	BATCH_HELD,
	BATCH_STOPPING,
	BATCH_COMPLETE,                 /* final */
	BATCH_ABORTED,                  /* final */
	BATCH_STATE_COUNT_
};

enum batch_event {
	BATCH_EV_START,
	BATCH_EV_HOLD,
	BATCH_EV_RESUME,
	BATCH_EV_STOP,
	BATCH_EV_ABORT,
	BATCH_EV_RUN_END,               /* from batch_tick only, never a command */
	BATCH_EVENT_COUNT_
};

#define BATCH_EV_BIT(ev) (1u << (ev))

/*
 * Why a request was refused.  Each has an English template
 * (batch_refusal_format) with at most one conversion, a %s for the batch
 * id, so the UI can show it translated: snprintf(buf, len,
 * _(batch_refusal_format(r)), b->id).
 */
enum batch_refusal {
	BATCH_OK,
	BATCH_REFUSED_NOT_STARTED,      /* idle: only start */
	BATCH_REFUSED_RUNNING,          /* start or resume while running */
	BATCH_REFUSED_HELD,             /* start or hold while held */
	BATCH_REFUSED_STOPPING,         /* anything but abort while stopping */
	BATCH_REFUSED_COMPLETE,         /* anything once complete */
	BATCH_REFUSED_ABORTED,          /* anything once aborted */
	BATCH_REFUSED_MAINTENANCE,      /* start during a maintenance window */
	BATCH_REFUSED_SIGNER,           /* no (or an overlong) signer name */
	BATCH_REFUSED_NOT_A_COMMAND,    /* run_end asked of batch_apply */
	BATCH_REFUSED_BAD_ID,           /* batch_init: batch_id_valid fails */
	BATCH_REFUSED_BAD_RECIPE,       /* batch_init: recipe incomplete */
	BATCH_REFUSAL_COUNT_
};

/* A moment, from the clock interface (core/clock.h). */
struct batch_time {
	int64_t mono_ms;                /* durations and runs */
	int64_t real_us;                /* the record: µs since the epoch, UTC */
};

/* What batch_init copies from the configured recipe. */
struct batch_recipe {
	const char *id, *name, *version;        /* not empty */
	int64_t run_ms;                 /* one SMB run (cycle), > 0 */
	int64_t expected_ms;            /* the whole batch, expected, > 0 */
};

/* A console command, after its signatures were checked (approval.h). */
struct batch_cmd {
	const char *user;               /* who performed it: 1..32 bytes */
	const char *second_user;        /* 4-eyes second signer; NULL or "" */
	bool in_maintenance;            /* a maintenance window is in progress
	                                   now (only START looks at it) */
};

struct batch_transition {
	enum batch_event event;
	enum batch_state from, to;
	int64_t mono_ms, real_us;
	char user[BATCH_USER_MAX];      /* "" for run_end */
	char second_user[BATCH_USER_MAX];       /* "" when one signature */
	int64_t audit_seq;              /* the signed audit event of the
	                                   command (set by the caller), 0 */
};

struct batch {
	enum batch_state state;
	char id[BATCH_ID_MAX];
	char recipe_id[BATCH_RECIPE_ID_MAX];
	char recipe_name[BATCH_RECIPE_NAME_MAX];
	char recipe_version[BATCH_RECIPE_VERSION_MAX];
	int64_t run_ms, expected_ms;
	char started_by[BATCH_USER_MAX];

	/* Times (0 until they happen); ended is the end of the final run
	   for a completed batch, the abort for an aborted one. */
	int64_t started_mono_ms, started_real_us;
	int64_t ended_mono_ms, ended_real_us;
	int64_t held_since_mono_ms;     /* while HELD */
	int64_t held_total_ms;          /* holds that ended */
	unsigned holds;                 /* how many times held */
	int64_t last_mono_ms;           /* latest transition: time never goes
	                                   back before it */

	int64_t run;                    /* the run in progress as of the last
	                                   batch_tick (1.. once started) */
	int64_t stop_run;               /* stopping: the run that completes it */

	uint64_t samples, errors, alarms;       /* while active */

	/* The first BATCH_LOG_MAX - 1 transitions and always the latest in
	   the last slot; log_dropped counts those overwritten there.  The
	   audit trail holds every one. */
	struct batch_transition log[BATCH_LOG_MAX];
	size_t nlog;
	uint64_t log_dropped;
};

/*
 * A fresh batch in IDLE with this id and a copy of the recipe.  Refused
 * (BATCH_REFUSED_BAD_ID or _BAD_RECIPE, *b untouched, the English reason
 * in why when not NULL) when the id is not valid or the recipe lacks a
 * field, has one too long, or a duration <= 0.
 */
enum batch_refusal batch_init(struct batch *b, const char *id,
    const struct batch_recipe *r, char *why, size_t whylen);

/*
 * Ask for a command event (start, hold, resume, stop, abort) at now.  On
 * BATCH_OK the state has changed and the transition is the last entry of
 * b->log.  Otherwise nothing in *b changed, and the English reason (the
 * template filled with b->id) is in why, when why is not NULL.
 *
 * Call batch_tick(b, now) first, so that the runs that ended before the
 * command are counted and reported before it.  A time earlier than the
 * latest transition counts as that transition's time.
 */
enum batch_refusal batch_apply(struct batch *b, enum batch_event ev,
    const struct batch_cmd *cmd, struct batch_time now, char *why,
    size_t whylen);

/*
 * Let time pass to now: the runs that ended since the last tick (held
 * time excluded) are counted into b->run and their number returned.  A
 * stopping batch completes at the end of its current run, recorded at
 * that exact moment (not at now) and logged as run_end; *completed
 * (may be NULL) says whether it did in this call.
 */
unsigned batch_tick(struct batch *b, struct batch_time now, bool *completed);

struct batch_progress {
	int64_t elapsed_ms;             /* since start, held time excluded */
	int64_t held_ms;                /* all holds, one in progress too */
	int64_t remaining_ms;           /* expected - elapsed, >= 0 */
	double fraction;                /* elapsed / expected, may pass 1 */
	int64_t run;                    /* in progress (or last); 0: idle */
	double run_fraction;            /* of that run, 0..1 */
	int64_t run_remaining_ms;       /* until that run ends; stopping:
	                                   until the batch completes */
};

/*
 * Where the batch stands at now_ms (monotonic), from the times alone, so
 * it is right whenever the last tick was.  A final batch stands still at
 * its end.  All zero for an idle batch.
 */
void batch_progress(const struct batch *b, int64_t now_ms,
    struct batch_progress *p);

/* The commands batch_apply accepts in this state: BATCH_EV_BIT()s. */
unsigned batch_allowed_events(const struct batch *b);

/* Are samples tagged with b->id now: running, held or stopping. */
bool batch_tags_samples(const struct batch *b);

/* Add to the record's counts; only while batch_tags_samples (else false). */
bool batch_count_samples(struct batch *b, uint64_t n);
bool batch_count_errors(struct batch *b, uint64_t n);
bool batch_count_alarms(struct batch *b, uint64_t n);

/* 1..32 characters, each of A-Z a-z 0-9 . _ - */
bool batch_id_valid(const char *id);

/* "idle", "running", ...: stable, untranslated (NULL out of range). */
const char *batch_state_name(enum batch_state s);
/* "start", "hold", ...: stable, untranslated (NULL out of range). */
const char *batch_event_name(enum batch_event ev);
/* The English template of a refusal ("" for BATCH_OK; NULL out of range). */
const char *batch_refusal_format(enum batch_refusal r);

#endif
